"""LimitRanger and ResourceQuota admission: defaults filled in, and the server's 403 messages.

Messages follow plugin/pkg/admission/limitranger/admission.go, the resourcequota admission
controller and pkg/quota/v1/evaluator/core (formats, ordering, quantity rendering).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from storedesk.sim.admission import apply_limit_ranges, check_quota, compute_used
from storedesk.sim.errors import ApiError


def container(name="app", requests=None, limits=None, **extra):
    resources = {}
    if requests is not None:
        resources["requests"] = requests
    if limits is not None:
        resources["limits"] = limits
    return {"name": name, "image": "wordpress:6.5", "resources": resources, **extra}


def pod(name="web-x", *containers, init=(), phase=None, **spec):
    obj = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "s"},
        "spec": {"containers": list(containers) or [container()], **spec},
    }
    if init:
        obj["spec"]["initContainers"] = list(init)
    if phase:
        obj["status"] = {"phase": phase}
    return obj


def limit_range(*items, name="limits"):
    return {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": {"name": name},
        "spec": {"limits": list(items)},
    }


def quota(hard, name="store-quota", **spec):
    return {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": name},
        "spec": {"hard": hard, **spec},
    }


def pvc(name="data", storage="1Gi", storage_class=None):
    spec = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": storage}}}
    if storage_class:
        spec["storageClassName"] = storage_class
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": name},
        "spec": spec,
    }


def forbidden_message(call) -> str:
    with pytest.raises(ApiError) as caught:
        call()
    error = caught.value
    assert (error.code, error.reason) == (403, "Forbidden")
    return error.message


# -- LimitRanger ---------------------------------------------------------------------------


def test_defaults_fill_missing_requests_and_limits_and_annotate_the_pod():
    lr = limit_range(
        {
            "type": "Container",
            "default": {"cpu": "500m", "memory": "512Mi"},
            "defaultRequest": {"cpu": "100m", "memory": "128Mi"},
        }
    )
    app = container("app", requests={"cpu": "200m"})
    admitted = apply_limit_ranges(pod("web-x", app, init=[container("init")]), "pods", [lr])
    app_after, init_after = admitted["spec"]["containers"][0], admitted["spec"]["initContainers"][0]
    assert app_after["resources"] == {
        "requests": {"cpu": "200m", "memory": "128Mi"},
        "limits": {"cpu": "500m", "memory": "512Mi"},
    }
    assert init_after["resources"] == {
        "requests": {"cpu": "100m", "memory": "128Mi"},
        "limits": {"cpu": "500m", "memory": "512Mi"},
    }
    assert admitted["metadata"]["annotations"]["kubernetes.io/limit-ranger"] == (
        "LimitRanger plugin set: memory request for container app; cpu, memory limit for "
        "container app; cpu, memory request for init container init; cpu, memory limit for "
        "init container init"
    )


def test_input_pod_is_not_modified():
    original = pod()
    apply_limit_ranges(
        original, "pods", [limit_range({"type": "Container", "default": {"cpu": "1"}})]
    )
    assert original == pod()


@pytest.mark.parametrize(
    ("item", "limits", "requests"),
    [
        # defaultRequest defaults from default ...
        ({"default": {"cpu": "300m"}}, {"cpu": "300m"}, {"cpu": "300m"}),
        # ... default from max ...
        ({"max": {"memory": "1Gi"}}, {"memory": "1Gi"}, {"memory": "1Gi"}),
        # ... and defaultRequest from min when nothing else names the resource.
        ({"min": {"cpu": "50m"}}, None, {"cpu": "50m"}),
        ({"min": {"cpu": "50m"}, "default": {"cpu": "2"}}, {"cpu": "2"}, {"cpu": "2"}),
    ],
)
def test_limit_range_item_defaulting_rules(item, limits, requests):
    admitted = apply_limit_ranges(pod(), "pods", [limit_range({"type": "Container", **item})])
    resources = admitted["spec"]["containers"][0]["resources"]
    assert resources.get("limits") == limits
    assert resources["requests"] == requests


def test_no_limit_ranges_admits_the_object_unchanged():
    obj = pod()
    assert apply_limit_ranges(obj, "pods", []) is obj
    assert apply_limit_ranges({"kind": "Service"}, "services", [limit_range()]) == {
        "kind": "Service"
    }


def test_maximum_per_container():
    lr = limit_range({"type": "Container", "max": {"cpu": "1"}})
    message = forbidden_message(
        lambda: apply_limit_ranges(
            pod("x", container(limits={"cpu": "2"}, requests={"cpu": "2"})), "pods", [lr]
        )
    )
    assert message == 'pods "x" is forbidden: maximum cpu usage per Container is 1, but limit is 2'


def test_maximum_compares_requests_when_the_limit_fits():
    lr = limit_range({"type": "Container", "max": {"memory": "1Gi"}})
    obj = pod("x", container(limits={"memory": "1Gi"}, requests={"memory": "1536Mi"}))
    assert forbidden_message(lambda: apply_limit_ranges(obj, "pods", [lr])) == (
        'pods "x" is forbidden: maximum memory usage per Container is 1Gi, but request is 1536Mi'
    )


def test_minimum_without_a_request_has_the_double_space_wording():
    # The limit range itself defaults the request from min, so use one without min defaults:
    # a Pod-type item sees the aggregate, which has no memory request.
    lr = limit_range({"type": "Pod", "min": {"memory": "100Mi"}})
    message = forbidden_message(lambda: apply_limit_ranges(pod("x"), "pods", [lr]))
    assert message == (
        'pods "x" is forbidden: minimum memory usage per Pod is 100Mi.  No request is specified'
    )


def test_minimum_below_the_request():
    lr = limit_range({"type": "Container", "min": {"cpu": "250m"}})
    obj = pod("x", container(requests={"cpu": "100m"}))
    assert forbidden_message(lambda: apply_limit_ranges(obj, "pods", [lr])) == (
        'pods "x" is forbidden: minimum cpu usage per Container is 250m, but request is 100m'
    )


def test_limit_to_request_ratio_prints_go_float_format():
    lr = limit_range({"type": "Container", "maxLimitRequestRatio": {"cpu": "2"}})
    obj = pod("x", container(requests={"cpu": "250m"}, limits={"cpu": "1"}))
    assert forbidden_message(lambda: apply_limit_ranges(obj, "pods", [lr])) == (
        'pods "x" is forbidden: cpu max limit to request ratio per Container is 2, '
        "but provided ratio is 4.000000"
    )


def test_several_breaches_are_aggregated_and_duplicates_collapse():
    lr = limit_range({"type": "Container", "max": {"cpu": "1"}})
    two = pod("x", container("a", limits={"cpu": "2"}), container("b", limits={"cpu": "3"}))
    assert forbidden_message(lambda: apply_limit_ranges(two, "pods", [lr])) == (
        'pods "x" is forbidden: [maximum cpu usage per Container is 1, but limit is 2, '
        "maximum cpu usage per Container is 1, but limit is 3]"
    )
    same = pod("x", container("a", limits={"cpu": "2"}), container("b", limits={"cpu": "2"}))
    assert forbidden_message(lambda: apply_limit_ranges(same, "pods", [lr])) == (
        'pods "x" is forbidden: maximum cpu usage per Container is 1, but limit is 2'
    )


def test_pod_maximum_counts_the_init_container_peak():
    lr = limit_range({"type": "Pod", "max": {"memory": "1Gi"}})
    obj = pod(
        "x",
        container(limits={"memory": "512Mi"}),
        init=[container("migrate", limits={"memory": "2Gi"})],
    )
    assert forbidden_message(lambda: apply_limit_ranges(obj, "pods", [lr])) == (
        'pods "x" is forbidden: maximum memory usage per Pod is 1Gi, but limit is 2Gi'
    )


def test_generated_names_are_reported_by_their_prefix():
    lr = limit_range({"type": "Container", "max": {"cpu": "1"}})
    obj = pod("web-", container(limits={"cpu": "2"}))
    obj["metadata"] = {"generateName": "web-7d9f8-"}
    assert forbidden_message(lambda: apply_limit_ranges(obj, "pods", [lr])).startswith(
        'pods "web-7d9f8-" is forbidden: '
    )


def test_persistent_volume_claim_bounds():
    lr = limit_range(
        {"type": "PersistentVolumeClaim", "min": {"storage": "1Gi"}, "max": {"storage": "5Gi"}}
    )
    assert apply_limit_ranges(pvc(storage="2Gi"), "persistentvolumeclaims", [lr]) == pvc(
        storage="2Gi"
    )
    assert forbidden_message(
        lambda: apply_limit_ranges(pvc(storage="10Gi"), "persistentvolumeclaims", [lr])
    ) == (
        'persistentvolumeclaims "data" is forbidden: maximum storage usage per '
        "PersistentVolumeClaim is 5Gi, but request is 10Gi"
    )
    assert forbidden_message(
        lambda: apply_limit_ranges(pvc(storage="500Mi"), "persistentvolumeclaims", [lr])
    ) == (
        'persistentvolumeclaims "data" is forbidden: minimum storage usage per '
        "PersistentVolumeClaim is 1Gi, but request is 500Mi"
    )


# -- ResourceQuota -------------------------------------------------------------------------


def existing(*pods_):
    return {"pods": list(pods_)}


def sized(name, memory, cpu="500m", phase=None):
    res = {"memory": memory, "cpu": cpu}
    return pod(name, container(requests=res, limits=res), phase=phase)


def test_exceeded_quota_message():
    q = quota({"limits.memory": "2Gi", "limits.cpu": "4"})
    used = existing(sized("a", "1Gi"), sized("b", "512Mi"))
    message = forbidden_message(lambda: check_quota(sized("web-x", "1Gi"), "pods", [q], used))
    assert message == (
        'pods "web-x" is forbidden: exceeded quota: store-quota, requested: '
        "limits.memory=1Gi, used: limits.memory=1536Mi, limited: "
        "limits.memory=2Gi"
    )


def test_exceeded_lists_every_resource_over_the_limit_sorted():
    q = quota({"requests.cpu": "1", "cpu": "1", "pods": "5"})
    used = existing(sized("a", "1Gi", cpu="1"))
    message = forbidden_message(lambda: check_quota(sized("b", "1Gi"), "pods", [q], used))
    assert message == (
        'pods "b" is forbidden: exceeded quota: store-quota, requested: '
        "cpu=500m,requests.cpu=500m, used: cpu=1,requests.cpu=1, limited: "
        "cpu=1,requests.cpu=1"
    )


def test_within_quota_is_admitted():
    q = quota({"limits.memory": "2Gi", "pods": "3"})
    assert check_quota(sized("web-x", "512Mi"), "pods", [q], existing(sized("a", "1Gi"))) is None


def test_pods_must_specify_what_compute_quota_tracks():
    q = quota({"limits.cpu": "2", "limits.memory": "2Gi", "requests.storage": "10Gi"})
    obj = pod("web-x", container("app"), container("sidecar", limits={"cpu": "100m"}))
    assert forbidden_message(lambda: check_quota(obj, "pods", [q], existing())) == (
        'pods "web-x" is forbidden: failed quota: store-quota: must specify limits.cpu for: '
        "app; limits.memory for: app,sidecar"
    )


def test_terminal_pods_use_no_compute_quota_but_still_count():
    q = quota({"pods": "10", "limits.memory": "4Gi", "count/pods": "10"})
    objects = existing(
        sized("a", "1Gi"),
        sized("done", "2Gi", phase="Succeeded"),
        sized("bad", "2Gi", phase="Failed"),
    )
    assert compute_used(q, objects) == {"count/pods": "3", "limits.memory": "1Gi", "pods": "1"}


def test_pods_past_their_deletion_grace_use_no_compute_quota():
    gone = sized("gone", "1Gi")
    gone["metadata"].update(deletionTimestamp="2026-01-01T00:00:00Z", deletionGracePeriodSeconds=30)
    q = quota({"pods": "10"})
    assert compute_used(q, existing(gone), now=datetime(2026, 1, 1, 0, 0, 10, tzinfo=UTC)) == {
        "pods": "1"
    }
    assert compute_used(q, existing(gone), now=datetime(2026, 1, 1, 0, 1, tzinfo=UTC)) == {
        "pods": "0"
    }


def test_used_prints_as_the_quota_controller_writes_it():
    q = quota(
        {
            "requests.cpu": "8",
            "requests.memory": "8Gi",
            "limits.cpu": "8",
            "services": "5",
            "secrets": "9",
        }
    )
    objects = {
        "pods": [sized("a", "1Gi", cpu="1"), sized("b", "512Mi", cpu="500m")],
        "services": [],
        "secrets": [{"metadata": {"name": "s"}}],
    }
    assert compute_used(q, objects) == {
        "limits.cpu": "1500m",
        "requests.cpu": "1500m",
        "requests.memory": "1536Mi",
        "secrets": "1",
        "services": "0",
    }


def test_object_counts_use_count_names_and_legacy_aliases():
    q = quota(
        {"count/deployments.apps": "1", "secrets": "1", "configmaps": "2", "count/configmaps": "2"}
    )
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d2"}}
    objects = {
        "deployments": [{"metadata": {"name": "d1"}}],
        "secrets": [{"metadata": {"name": "s1"}}],
        "configmaps": [],
    }
    assert forbidden_message(lambda: check_quota(deployment, "deployments", [q], objects)) == (
        'deployments.apps "d2" is forbidden: exceeded quota: store-quota, requested: '
        "count/deployments.apps=1, used: count/deployments.apps=1, limited: "
        "count/deployments.apps=1"
    )
    assert forbidden_message(
        lambda: check_quota({"metadata": {"name": "s2"}}, "secrets", [q], objects)
    ) == (
        'secrets "s2" is forbidden: exceeded quota: store-quota, requested: secrets=1, '
        "used: secrets=1, limited: secrets=1"
    )
    assert check_quota({"metadata": {"name": "c"}}, "configmaps", [q], objects) is None


def test_services_count_load_balancers_and_node_ports():
    q = quota({"services": "10", "services.loadbalancers": "0", "services.nodeports": "5"})
    lb = {
        "metadata": {"name": "shop"},
        "spec": {"type": "LoadBalancer", "ports": [{"port": 80}, {"port": 443}]},
    }
    assert forbidden_message(lambda: check_quota(lb, "services", [q], {"services": []})) == (
        'services "shop" is forbidden: exceeded quota: store-quota, requested: '
        "services.loadbalancers=1, used: services.loadbalancers=0, limited: "
        "services.loadbalancers=0"
    )
    node_port = {"metadata": {"name": "np"}, "spec": {"type": "NodePort", "ports": [{"port": 80}]}}
    assert compute_used(q, {"services": [node_port, lb]}) == {
        "services": "2",
        "services.loadbalancers": "1",
        "services.nodeports": "3",
    }


def test_claims_charge_storage_also_per_storage_class():
    q = quota(
        {
            "persistentvolumeclaims": "5",
            "requests.storage": "20Gi",
            "fast.storageclass.storage.k8s.io/requests.storage": "5Gi",
        }
    )
    objects = {"persistentvolumeclaims": [pvc("a", "4Gi", "fast"), pvc("b", "10Gi")]}
    assert compute_used(q, objects) == {
        "fast.storageclass.storage.k8s.io/requests.storage": "4Gi",
        "persistentvolumeclaims": "2",
        "requests.storage": "14Gi",
    }
    assert forbidden_message(
        lambda: check_quota(pvc("c", "2Gi", "fast"), "persistentvolumeclaims", [q], objects)
    ) == (
        'persistentvolumeclaims "c" is forbidden: exceeded quota: store-quota, requested: '
        "fast.storageclass.storage.k8s.io/requests.storage=2Gi, used: "
        "fast.storageclass.storage.k8s.io/requests.storage=4Gi, limited: "
        "fast.storageclass.storage.k8s.io/requests.storage=5Gi"
    )


def test_scoped_quotas_only_see_matching_pods():
    best_effort = quota({"pods": "1"}, name="best-effort", scopes=["BestEffort"])
    objects = existing(pod("a"))
    assert forbidden_message(lambda: check_quota(pod("b"), "pods", [best_effort], objects)) == (
        'pods "b" is forbidden: exceeded quota: best-effort, requested: pods=1, used: pods=1, '
        "limited: pods=1"
    )
    assert check_quota(sized("c", "1Gi"), "pods", [best_effort], objects) is None
    assert compute_used(best_effort, existing(pod("a"), sized("c", "1Gi"))) == {"pods": "1"}


def test_priority_class_scope_selector():
    q = quota(
        {"pods": "0"},
        scopeSelector={
            "matchExpressions": [
                {"scopeName": "PriorityClass", "operator": "In", "values": ["high"]}
            ]
        },
    )
    assert check_quota(pod("plain"), "pods", [q], existing()) is None
    high = pod("high", priorityClassName="high")
    assert "exceeded quota" in forbidden_message(lambda: check_quota(high, "pods", [q], existing()))


def test_usage_can_come_from_a_callable():
    q = quota({"pods": "2"})
    seen = []

    def used(of):
        seen.append(of["metadata"]["name"])
        return {"pods": "2"}

    assert "used: pods=2" in forbidden_message(lambda: check_quota(pod(), "pods", [q], used))
    assert seen == ["store-quota"]


def test_missing_usage_is_status_unknown():
    q = quota({"pods": "2", "limits.cpu": "1"})
    message = forbidden_message(
        lambda: check_quota(sized("x", "1Gi"), "pods", [q], lambda _: {"pods": "0"})
    )
    assert message == (
        'pods "x" is forbidden: status unknown for quota: store-quota, resources: limits.cpu,pods'
    )


def test_quotas_that_track_nothing_of_the_object_do_not_apply():
    q = quota({"services": "0"})
    assert check_quota(pod(), "pods", [q], existing()) is None


def test_error_details_name_the_resource():
    q = quota({"pods": "0"})
    with pytest.raises(ApiError) as caught:
        check_quota(pod("web-x"), "pods", [q], existing())
    assert caught.value.status()["details"] == {"name": "web-x", "kind": "pods"}
