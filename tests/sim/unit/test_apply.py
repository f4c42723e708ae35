"""Server-side apply of the simulator, as helm 4 and kubectl --server-side drive it."""

from __future__ import annotations

import copy

import pytest

from storedesk.sim import apply, managed
from storedesk.sim.errors import ApiError
from storedesk.sim.schema import load

K8S = load()
DEPLOYMENT = K8S.for_kind("apps", "v1", "Deployment")
SERVICE = K8S.for_kind("", "v1", "Service")
FIELDS = managed.FieldManager(K8S)
NOW = "2026-01-01T00:00:00Z"


def server_side_apply(
    live: dict | None, applied: dict, previous: dict | None, schema: dict | None, index
) -> dict:
    """What the server stores when helm applies `applied` over `live`, having applied
    `previous` (and owning exactly that) last time, forcing conflicts; defaulting aside."""
    kind = (applied["apiVersion"].rpartition("/")[0], "v1", applied["kind"])
    root = FIELDS.types.root(*kind) if schema is not None else None
    if live is not None and previous is not None:
        owned = managed.field_set(previous, root, FIELDS.types)
        entry = managed.Entry(owned, applied["apiVersion"], NOW)
        live = copy.deepcopy(live)
        live["metadata"]["managedFields"] = managed.encode_managed(
            {managed.Manager("helm", "Apply"): entry}
        )
    merged = apply.server_side_apply(live, applied, schema, index)
    result, _ = FIELDS.apply(
        root, live, merged, applied, "helm", applied["apiVersion"], force=True, now=NOW
    )
    return result


def chart_deployment(image: str, env: list[dict], version: str) -> dict:
    """The Deployment a chart renders and helm 4 applies (fieldManager=helm)."""
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "shop-web",
            "namespace": "store-a",
            "labels": {
                "app.kubernetes.io/managed-by": "Helm",
                "app.kubernetes.io/version": version,
            },
            "annotations": {"meta.helm.sh/release-name": "shop"},
        },
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        {
                            "name": "web",
                            "image": image,
                            "env": env,
                            "ports": [{"containerPort": 80, "name": "http"}],
                        }
                    ]
                },
            },
        },
    }


FIRST_ENV = [
    {"name": "DB_HOST", "value": "db"},
    {"name": "LEGACY_MODE", "value": "1"},
    {"name": "DB_USER", "value": "wp"},
]


def stored(applied: dict) -> dict:
    """The first applied config as the server keeps it: defaulted, with status and extras."""
    live = copy.deepcopy(applied)
    live["metadata"].update(uid="u-1", resourceVersion="7", generation=1)
    live["metadata"]["annotations"]["deployment.kubernetes.io/revision"] = "1"
    spec = live["spec"]
    spec["strategy"] = {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
    }
    pod = spec["template"]["spec"]
    pod["dnsPolicy"] = "ClusterFirst"
    pod["containers"][0]["ports"][0]["protocol"] = "TCP"
    pod["containers"][0]["imagePullPolicy"] = "IfNotPresent"
    live["status"] = {"replicas": 1, "readyReplicas": 1}
    return live


def test_helm4_apply_over_an_existing_deployment() -> None:
    first = chart_deployment("wordpress:6.5", FIRST_ENV, "6.5")
    live = stored(first)
    second = chart_deployment("wordpress:6.6", [FIRST_ENV[0], FIRST_ENV[2]], "6.6")
    second["metadata"]["labels"].pop("app.kubernetes.io/managed-by")

    result = server_side_apply(live, second, first, DEPLOYMENT, K8S)

    meta = result["metadata"]
    assert meta["labels"] == {"app.kubernetes.io/version": "6.6"}
    assert meta["annotations"] == {
        "meta.helm.sh/release-name": "shop",
        "deployment.kubernetes.io/revision": "1",
    }
    assert (meta["uid"], meta["generation"]) == ("u-1", 1)
    web = result["spec"]["template"]["spec"]["containers"][0]
    assert web["image"] == "wordpress:6.6"
    assert web["env"] == [{"name": "DB_HOST", "value": "db"}, {"name": "DB_USER", "value": "wp"}]
    # The applied port has no protocol; it matches the live one by its default, TCP.
    assert web["ports"] == [{"containerPort": 80, "name": "http", "protocol": "TCP"}]
    assert web["imagePullPolicy"] == "IfNotPresent"
    assert result["spec"]["strategy"]["type"] == "RollingUpdate"
    assert result["status"] == {"replicas": 1, "readyReplicas": 1}


def test_apply_creates_from_the_applied_config_without_nulls() -> None:
    applied = chart_deployment("wordpress:6.5", FIRST_ENV, "6.5")
    applied["spec"]["template"]["spec"]["containers"][0]["resources"] = None
    applied["spec"]["paused"] = None
    result = server_side_apply(None, applied, None, DEPLOYMENT, K8S)
    expected = chart_deployment("wordpress:6.5", FIRST_ENV, "6.5")
    assert result == expected
    assert "resources" in applied["spec"]["template"]["spec"]["containers"][0]  # untouched


def test_apply_without_previous_config_removes_nothing() -> None:
    live = stored(chart_deployment("wordpress:6.5", FIRST_ENV, "6.5"))
    applied = chart_deployment("wordpress:6.6", [FIRST_ENV[0]], "6.5")
    result = server_side_apply(live, applied, None, DEPLOYMENT, K8S)
    env = result["spec"]["template"]["spec"]["containers"][0]["env"]
    assert [e["name"] for e in env] == ["DB_HOST", "LEGACY_MODE", "DB_USER"]


@pytest.mark.parametrize(
    ("live", "applied", "merged"),
    [
        # Ordering cases of structured-merge-diff's typed/merge_test.go ("associative list").
        ("a b", "a x", "a b x"),
        ("b", "a b c", "a b c"),
        ("a b c", "c b", "a c b"),
        ("a b c", "c a", "b c a"),
        # Live-only items keep their place; shared items follow the applied order.
        ("A X B C", "C A N", "X B C A N"),
    ],
)
def test_apply_orders_map_list_items_like_structured_merge_diff(
    live: str, applied: str, merged: str
) -> None:
    def env(names: str) -> list[dict]:
        return [{"name": n} for n in names.split()]

    result = server_side_apply(
        chart_deployment("wp", env(live), "1"),
        chart_deployment("wp", env(applied), "1"),
        None,
        DEPLOYMENT,
        K8S,
    )
    assert result["spec"]["template"]["spec"]["containers"][0]["env"] == env(merged)


def test_apply_replaces_atomic_maps_and_lists() -> None:
    live = stored(chart_deployment("wp", FIRST_ENV, "1"))
    live["spec"]["template"]["spec"]["containers"][0]["args"] = ["--a", "--b"]
    live["spec"]["template"]["spec"]["nodeSelector"] = {"disk": "ssd"}
    applied = chart_deployment("wp", FIRST_ENV, "1")
    applied["spec"]["selector"] = {"matchLabels": {"tier": "web"}}
    applied["spec"]["template"]["spec"]["containers"][0]["args"] = ["--c"]
    applied["spec"]["template"]["spec"]["nodeSelector"] = {"zone": "a"}
    result = server_side_apply(live, applied, None, DEPLOYMENT, K8S)
    assert result["spec"]["selector"] == {"matchLabels": {"tier": "web"}}
    assert result["spec"]["template"]["spec"]["containers"][0]["args"] == ["--c"]
    assert result["spec"]["template"]["spec"]["nodeSelector"] == {"zone": "a"}


def test_apply_set_lists_union_and_drop_what_the_manager_stopped_declaring() -> None:
    live = stored(chart_deployment("wp", FIRST_ENV, "1"))
    live["metadata"]["finalizers"] = ["other.io/guard", "storedesk.io/old"]
    previous = chart_deployment("wp", FIRST_ENV, "1")
    previous["metadata"]["finalizers"] = ["storedesk.io/old"]
    applied = chart_deployment("wp", FIRST_ENV, "1")
    applied["metadata"]["finalizers"] = ["storedesk.io/new"]
    result = server_side_apply(live, applied, previous, DEPLOYMENT, K8S)
    assert result["metadata"]["finalizers"] == ["other.io/guard", "storedesk.io/new"]


def test_dropping_a_whole_map_keeps_what_others_set_in_it() -> None:
    previous = chart_deployment("wp", FIRST_ENV, "1")
    live = stored(previous)
    applied = chart_deployment("wp", FIRST_ENV, "1")
    del applied["metadata"]["annotations"]
    root = FIELDS.types.root("apps", "v1", "Deployment")
    revision = (("f", "metadata"), ("f", "annotations"), ("f", "deployment.kubernetes.io/revision"))
    live["metadata"]["managedFields"] = managed.encode_managed(
        {
            managed.Manager("helm", "Apply"): managed.Entry(
                managed.field_set(previous, root, FIELDS.types), "apps/v1", NOW
            ),
            managed.Manager("kube-controller-manager", "Update", "apps/v1"): managed.Entry(
                frozenset({revision}), "apps/v1", NOW
            ),
        }
    )
    merged = apply.server_side_apply(live, applied, DEPLOYMENT, K8S)
    result, _ = FIELDS.apply(root, live, merged, applied, "helm", "apps/v1", force=False, now=NOW)
    assert result["metadata"]["annotations"] == {"deployment.kubernetes.io/revision": "1"}


def test_dropping_a_whole_map_nobody_else_owns_removes_it() -> None:
    previous = chart_deployment("wp", FIRST_ENV, "1")
    live = stored(previous)  # the revision annotation: set, but owned by no manager
    applied = chart_deployment("wp", FIRST_ENV, "1")
    del applied["metadata"]["annotations"]
    result = server_side_apply(live, applied, previous, DEPLOYMENT, K8S)
    assert "annotations" not in result["metadata"]  # structured-merge-diff removes the map


def test_apply_of_an_unknown_type_merges_maps_and_replaces_lists() -> None:
    live = {
        "apiVersion": "x.io/v1",
        "kind": "Thing",
        "metadata": {"name": "t"},
        "spec": {"a": 1, "items": [1, 2]},
    }
    applied = {
        "apiVersion": "x.io/v1",
        "kind": "Thing",
        "metadata": {"name": "t"},
        "spec": {"b": 2, "items": [3]},
    }
    result = server_side_apply(live, applied, None, None, K8S)
    assert result["spec"] == {"a": 1, "items": [3], "b": 2}


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        pytest.param(
            lambda d: d["spec"].update(replica=2),
            ".spec.replica: field not declared in schema",
            id="unknown field",
        ),
        pytest.param(
            lambda d: d["spec"]["template"]["spec"]["containers"][0].update(imageName="x"),
            '.spec.template.spec.containers[name="web"].imageName: field not declared in schema',
            id="unknown field in a map-list item",
        ),
        pytest.param(
            lambda d: d["spec"]["template"]["spec"]["containers"][0]["env"].append(
                {"value": "orphan"}
            ),
            '.spec.template.spec.containers[name="web"].env: element 3: associative list '
            'with keys has an element that omits key field "name" (and doesn\'t have '
            "default value)",
            id="list item without its key",
        ),
    ],
)
def test_apply_rejects_configs_that_do_not_fit_the_schema(edit, problem: str) -> None:
    applied = chart_deployment("wp", copy.deepcopy(FIRST_ENV), "1")
    edit(applied)
    with pytest.raises(ApiError) as caught:
        server_side_apply(None, applied, None, DEPLOYMENT, K8S)
    assert caught.value.code == 500
    assert caught.value.message == (
        "failed to create typed patch object (store-a/shop-web; "
        f"apps/v1, Kind=Deployment): {problem}"
    )


def test_apply_service_ports_keyed_by_port_and_protocol() -> None:
    live = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web"},
        "spec": {
            "type": "ClusterIP",
            "clusterIP": "10.96.0.10",
            "ports": [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 80}],
        },
    }
    applied = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web"},
        "spec": {
            "ports": [
                {"name": "http", "port": 80, "targetPort": 8080},
                {"name": "dns", "port": 53, "protocol": "UDP"},
            ]
        },
    }
    result = server_side_apply(live, applied, None, SERVICE, K8S)
    assert result["spec"] == {
        "type": "ClusterIP",
        "clusterIP": "10.96.0.10",
        "ports": [
            {"name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080},
            {"name": "dns", "port": 53, "protocol": "UDP"},
        ],
    }


def test_apply_never_mutates_its_inputs() -> None:
    first = chart_deployment("wordpress:6.5", FIRST_ENV, "6.5")
    live = stored(first)
    second = chart_deployment("wordpress:6.6", FIRST_ENV[:1], "6.6")
    snapshot = copy.deepcopy((live, second, first))
    result = server_side_apply(live, second, first, DEPLOYMENT, K8S)
    result["spec"]["template"]["spec"]["containers"][0]["env"].append({"name": "Z"})
    result["metadata"]["labels"]["z"] = "z"
    assert (live, second, first) == snapshot
