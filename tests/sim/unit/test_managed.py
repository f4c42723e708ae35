"""Field ownership bookkeeping: fieldsV1, paths, conflicts, and the entries updates leave."""

from __future__ import annotations

from storedesk.sim import managed
from storedesk.sim.schema import load

FIELDS = managed.FieldManager(load())
DEPLOYMENT = FIELDS.types.root("apps", "v1", "Deployment")
SERVICE = FIELDS.types.root("", "v1", "Service")
NOW = "2026-01-01T00:00:00Z"


def f(*names: str) -> managed.Path:
    """A path of field names."""
    return tuple(("f", n) for n in names)


def test_fields_v1_marks_owned_parents_and_sorts_like_the_server() -> None:
    web = ("k", (("name", '"web"'),))
    port = ("k", (("containerPort", "80"), ("protocol", '"TCP"')))
    containers = (*f("spec", "template", "spec", "containers"),)
    fields = {
        f("spec", "replicas"),
        (*containers, web),
        (*containers, web, ("f", "image")),
        (*containers, web, ("f", "ports")),
        (*containers, web, ("f", "ports"), port),
        (*containers, web, ("f", "ports"), port, ("f", "containerPort")),
        f("metadata", "labels", "b"),
        f("metadata", "labels", "a"),
    }
    encoded = managed.encode_fields(fields)
    assert encoded == {
        "f:metadata": {"f:labels": {"f:a": {}, "f:b": {}}},
        "f:spec": {
            "f:replicas": {},
            "f:template": {
                "f:spec": {
                    "f:containers": {
                        'k:{"name":"web"}': {
                            ".": {},
                            "f:image": {},
                            "f:ports": {
                                ".": {},
                                'k:{"containerPort":80,"protocol":"TCP"}': {
                                    ".": {},
                                    "f:containerPort": {},
                                },
                            },
                        }
                    }
                }
            },
        },
    }
    assert list(encoded) == ["f:metadata", "f:spec"]
    assert managed.decode_fields(encoded) == fields


def test_elements_sort_fields_keys_then_values_numbers_numerically() -> None:
    values = [("v", "10"), ("v", "9"), ("v", '"a"'), ("k", (("port", "8"),)), ("f", "z")]
    fields = {(*f("x"), v) for v in values}
    assert list(managed.encode_fields(fields)["f:x"]) == [
        "f:z",
        'k:{"port":8}',
        "v:9",
        "v:10",
        'v:"a"',
    ]


def test_paths_print_as_conflict_messages_print_them() -> None:
    path = (
        *f("spec", "ports"),
        ("k", (("port", "80"), ("protocol", '"TCP"'))),
        ("f", "targetPort"),
    )
    assert managed.path_text(path) == '.spec.ports[port=80,protocol="TCP"].targetPort'
    assert managed.path_text((*f("metadata", "finalizers"), ("v", '"a/b"'))) == (
        '.metadata.finalizers[="a/b"]'
    )


def test_conflict_status_is_shaped_like_the_servers() -> None:
    kubectl = managed.Manager("kubectl", "Update", "apps/v1", "scale")
    error = managed.conflict_error([(kubectl, f("spec", "replicas"))])
    assert error.status() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'Apply failed with 1 conflict: conflict with "kubectl" with subresource '
        '"scale" using apps/v1: .spec.replicas',
        "reason": "Conflict",
        "details": {
            "causes": [
                {
                    "reason": "FieldManagerConflict",
                    "message": 'conflict with "kubectl" with subresource "scale" using apps/v1',
                    "field": ".spec.replicas",
                }
            ]
        },
        "code": 409,
    }


def test_several_conflicts_group_by_manager_members_before_children() -> None:
    alice = managed.Manager("alice", "Apply")
    bob = managed.Manager("bob", "Update", "v1")
    error = managed.conflict_error(
        [(bob, f("data", "b")), (alice, f("metadata", "labels", "x")), (alice, f("data", "a"))]
    )
    assert error.message == (
        'Apply failed with 3 conflicts: conflicts with "alice":\n- .data.a\n'
        '- .metadata.labels.x\nconflicts with "bob" using v1:\n- .data.b'
    )


def deployment(replicas: int, image: str = "nginx") -> dict:
    """A small Deployment."""
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "d"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": image}]},
            },
        },
    }


def created(manager: str = "kubectl-create") -> dict:
    """deployment(1) as stored after a create by `manager`."""
    obj = deployment(1)
    entries = FIELDS.update(DEPLOYMENT, None, obj, manager, "apps/v1", now=NOW)
    return {**obj, "metadata": {**obj["metadata"], "managedFields": entries}}


def test_a_create_owns_what_it_sent_and_structs_go_objects_always_have_are_not_new() -> None:
    (entry,) = created()["metadata"]["managedFields"]
    assert entry["fieldsV1"] == {
        "f:spec": {
            "f:replicas": {},
            "f:selector": {},
            "f:template": {
                "f:metadata": {"f:labels": {".": {}, "f:app": {}}},
                "f:spec": {
                    "f:containers": {
                        'k:{"name":"web"}': {
                            ".": {},
                            "f:image": {},
                            "f:name": {},
                            "f:resources": {},
                        }
                    }
                },
            },
        }
    }
    assert list(entry) == ["manager", "operation", "apiVersion", "time", "fieldsType", "fieldsV1"]


def test_an_update_takes_changed_fields_from_other_managers() -> None:
    live = created()
    new = {**deployment(1, image="nginx:2"), "metadata": live["metadata"]}
    entries = FIELDS.update(DEPLOYMENT, live, new, "kubectl-edit", "apps/v1", now=NOW)
    by_manager = {e["manager"]: e["fieldsV1"] for e in entries}
    container = 'k:{"name":"web"}'
    assert by_manager["kubectl-edit"] == {
        "f:spec": {"f:template": {"f:spec": {"f:containers": {container: {"f:image": {}}}}}}
    }
    create = by_manager["kubectl-create"]["f:spec"]["f:template"]["f:spec"]["f:containers"]
    assert "f:image" not in create[container]


def test_an_untracked_object_stays_untracked_until_applied() -> None:
    live = deployment(1)
    assert FIELDS.update(DEPLOYMENT, live, deployment(2), "x", "apps/v1", now=NOW) is None
    merged = deployment(3)
    _, entries = FIELDS.apply(
        DEPLOYMENT, live, merged, deployment(3), "helm", "apps/v1", force=True, now=NOW
    )
    assert [(e["manager"], e["operation"]) for e in entries] == [
        ("helm", "Apply"),
        ("before-first-apply", "Update"),
    ]


def test_empty_managed_fields_in_a_request_reset_ownership() -> None:
    live = created()
    new = {**deployment(1), "metadata": {**live["metadata"], "managedFields": []}}
    entries = FIELDS.update(DEPLOYMENT, live, new, "kubectl-replace", "apps/v1", now=NOW)
    assert entries == []


def test_status_writes_own_status_only() -> None:
    live = created()
    new = {**live, "status": {"replicas": 1}, "spec": {**live["spec"], "replicas": 9}}
    entries = FIELDS.update(DEPLOYMENT, live, new, "kcm", "apps/v1", subresource="status", now=NOW)
    status = next(e for e in entries if e.get("subresource") == "status")
    assert status["fieldsV1"] == {"f:status": {"f:replicas": {}}}


def test_at_most_ten_update_managers_the_oldest_merge() -> None:
    obj = created("m00")
    for i in range(1, 12):
        new = {
            **obj,
            "metadata": {**obj["metadata"], "labels": {**obj["metadata"].get("labels", {})}},
        }
        new["metadata"]["labels"][f"l{i}"] = "x"
        time = f"2026-01-01T00:00:{i:02d}Z"
        entries = FIELDS.update(DEPLOYMENT, obj, new, f"m{i:02d}", "apps/v1", now=time)
        obj = {**new, "metadata": {**new["metadata"], "managedFields": entries}}
    names = [e["manager"] for e in obj["metadata"]["managedFields"]]
    assert len(names) == 10
    assert "ancient-changes" in names
    assert "m00" not in names and "m01" not in names and "m02" not in names


def test_service_ports_are_keyed_by_port_and_protocol_default() -> None:
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web"},
        "spec": {"ports": [{"port": 80}]},
    }
    fields = managed.field_set(service, SERVICE, FIELDS.types)
    key = ("k", (("port", "80"), ("protocol", '"TCP"')))
    assert fields == {
        f("apiVersion"),
        f("kind"),
        f("metadata", "name"),
        (*f("spec", "ports"), key),
        (*f("spec", "ports"), key, ("f", "port")),
    }
