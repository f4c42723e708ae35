"""PATCH semantics of the simulator: JSON patch, merge patch and strategic merge patch.

Strategic cases marked "apimachinery" are ported from k8s.io/apimachinery
pkg/util/strategicpatch/patch_test.go (current -> patch -> result), over the same MergeItem
type expressed as a schema. The Deployment cases use the real v1.35 schema; their expected
results were checked against `kubectl patch --local` (same apimachinery/json-patch code).
"""

from __future__ import annotations

import copy

import pytest
import yaml

from storedesk.sim.errors import ApiError
from storedesk.sim.patch import (
    apply_json_patch,
    apply_merge_patch,
    apply_strategic_merge_patch,
)
from storedesk.sim.schema import SchemaIndex, load

_ITEM = {"$ref": "#/$defs/mergeItem"}
MERGE_ITEM_DEFS = {
    "mergeItem": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string"},
            "value": {"type": "string"},
            "other": {"type": "string"},
            "mergingList": {
                "type": "array",
                "items": _ITEM,
                "x-kubernetes-patch-strategy": "merge",
                "x-kubernetes-patch-merge-key": "name",
            },
            "nonMergingList": {"type": "array", "items": _ITEM},
            "mergingIntList": {
                "type": "array",
                "items": {"type": "integer"},
                "x-kubernetes-patch-strategy": "merge",
            },
            "nonMergingIntList": {"type": "array", "items": {"type": "integer"}},
            "simpleMap": {"type": "object", "additionalProperties": {"type": "string"}},
            "replacingItem": {"type": "object", "x-kubernetes-patch-strategy": "replace"},
            "retainKeysMap": {
                "$ref": "#/$defs/retainKeysItem",
                "x-kubernetes-patch-strategy": "retainKeys",
            },
            "retainKeysMergingList": {
                "type": "array",
                "items": _ITEM,
                "x-kubernetes-patch-strategy": "merge,retainKeys",
                "x-kubernetes-patch-merge-key": "name",
            },
        },
    },
    "retainKeysItem": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string"},
            "value": {"type": "string"},
            "other": {"type": "string"},
            "simpleMap": {"type": "object", "additionalProperties": {"type": "string"}},
        },
    },
}
MERGE_INDEX = SchemaIndex(MERGE_ITEM_DEFS)
MERGE_SCHEMA = MERGE_ITEM_DEFS["mergeItem"]
K8S = load()
DEPLOYMENT = K8S.for_kind("apps", "v1", "Deployment")
SERVICE = K8S.for_kind("", "v1", "Service")


def smp(current: dict, patch: dict) -> dict:
    return apply_strategic_merge_patch(current, patch, MERGE_SCHEMA, MERGE_INDEX)


APIMACHINERY_CASES = {
    "delete map from nested map": (
        """
simpleMap: {key1: "1", key2: "1"}
""",
        """
simpleMap: {$patch: delete}
""",
        """
simpleMap: {}
""",
    ),
    "delete all items from merging list": (
        """
mergingList: [{name: 1}, {name: 2}]
""",
        """
mergingList: [{$patch: replace}]
""",
        """
mergingList: []
""",
    ),
    "add key and delete all keys from map": (
        """
name: 1
value: 1
""",
        """
other: a
$patch: replace
""",
        """
other: a
""",
    ),
    "de-duplicate entries in a merging list": (
        """
mergingList: [{name: 1}, {name: 1}, {name: 2, value: a}, {name: 3}, {name: 3}]
""",
        """
mergingList: [{name: 1, $patch: delete}, {name: 3, $patch: delete}]
""",
        """
mergingList: [{name: 2, value: a}]
""",
    ),
    "preserve the order from the patch in a merging list 2": (
        """
mergingList: [{name: 1}, {name: 2, value: b}, {name: 3}]
""",
        """
mergingList: [{name: 3, value: c}, {name: 1, value: a}]
""",
        """
mergingList: [{name: 2, value: b}, {name: 3, value: c}, {name: 1, value: a}]
""",
    ),
    "preserve the order from the patch in a merging int list": (
        """
mergingIntList: [1, 2, 3]
""",
        """
mergingIntList: [3, 1]
""",
        """
mergingIntList: [2, 3, 1]
""",
    ),
    "unique scalars when merging lists": (
        """
mergingIntList: [1, 2]
""",
        """
mergingIntList: [2, 3]
""",
        """
mergingIntList: [1, 2, 3]
""",
    ),
    "delete field from nested map with conflict": (
        """
simpleMap: {key1: a, key2: "1", other: a}
""",
        """
simpleMap: {key1: "1", key2: null}
""",
        """
simpleMap: {key1: "1", other: a}
""",
    ),
    "replace list of scalars with conflict": (
        """
nonMergingIntList: [1, 4]
""",
        """
nonMergingIntList: [2, 3]
""",
        """
nonMergingIntList: [2, 3]
""",
    ),
    "delete items in lists of scalars": (
        """
mergingIntList: [1, 2, 3, 4]
""",
        """
$setElementOrder/mergingIntList: [1, 2]
$deleteFromPrimitiveList/mergingIntList: [3]
""",
        """
mergingIntList: [1, 2, 4]
""",
    ),
    "merge lists of maps": (
        """
mergingList: [{name: 1, other: a}, {name: 2, value: 2, other: b}]
""",
        """
$setElementOrder/mergingList: [{name: 4}, {name: 1}, {name: 2}, {name: 3}]
mergingList: [{name: 4, value: 4}, {name: 3, value: 3}]
""",
        """
mergingList:
- {name: 4, value: 4}
- {name: 1, other: a}
- {name: 2, value: 2, other: b}
- {name: 3, value: 3}
""",
    ),
    "set elements order in a list with server-only items 3": (
        """
mergingList: [{name: 1, other: a}, {name: 2, value: 2}, {name: 7}, {name: 9}, {name: 8},
              {name: 3, value: 3}, {name: 4, value: 4}]
""",
        """
$setElementOrder/mergingList: [{name: 2}, {name: 1}, {name: 4}, {name: 3}]
""",
        """
mergingList: [{name: 2, value: 2}, {name: 1, other: a}, {name: 7}, {name: 9}, {name: 8},
              {name: 4, value: 4}, {name: 3, value: 3}]
""",
    ),
    "set elements order in a int list with server-only items 2": (
        """
mergingIntList: [1, 2, 9, 3, 4]
""",
        """
$setElementOrder/mergingIntList: [2, 1, 4, 3]
""",
        """
mergingIntList: [2, 1, 9, 4, 3]
""",
    ),
    "add and delete an item in a int list and preserve order": (
        """
mergingIntList: [1, 2, 3]
""",
        """
$setElementOrder/mergingIntList: [4, 2, 1]
mergingIntList: [4]
$deleteFromPrimitiveList/mergingIntList: [3]
""",
        """
mergingIntList: [4, 2, 1]
""",
    ),
    "retainKeys map should clear defaulted field with conflict (discriminated union)": (
        """
retainKeysMap: {name: type1, value: foo}
""",
        """
retainKeysMap: {$retainKeys: [name, other], name: type2, other: bar}
""",
        """
retainKeysMap: {name: type2, other: bar}
""",
    ),
    "retainKeys map deletes a field in a nested map": (
        """
retainKeysMap: {name: foo, value: bar, simpleMap: {key1: a, key2: b, key3: c}}
""",
        """
retainKeysMap: {$retainKeys: [name, simpleMap, value], simpleMap: {key2: null}}
""",
        """
retainKeysMap: {name: foo, value: bar, simpleMap: {key1: a, key3: c}}
""",
    ),
    "retainKeys list can delete a field when no retainKeys directive present": (
        """
retainKeysMergingList: [{name: bar}, {name: foo, value: a}]
""",
        """
retainKeysMergingList: [{name: foo, value: null}]
""",
        """
retainKeysMergingList: [{name: bar}, {name: foo}]
""",
    ),
}


@pytest.mark.parametrize("name", sorted(APIMACHINERY_CASES))
def test_strategic_merge_matches_apimachinery_table(name: str) -> None:
    current, patch, result = (yaml.safe_load(text) for text in APIMACHINERY_CASES[name])
    assert smp(current, patch) == result


@pytest.mark.parametrize(
    ("current", "patch", "code", "message"),
    [
        pytest.param(
            {"mergingList": [{"name": 1}, {"name": 3}, {"name": 2}]},
            {
                "$setElementOrder/mergingList": [{"name": 1}, {"name": 2}, {"name": 3}],
                "mergingList": [{"name": 3, "value": 3}, {"name": 1, "value": 1}],
            },
            500,
            "The order in patch list:\n[map[name:3 value:3] map[name:1 value:1]]\n "
            "doesn't match $setElementOrder list:\n[map[name:1] map[name:2] "
            "map[name:3]]\n",
            id="order does not match $setElementOrder",
        ),
        pytest.param(
            {"mergingList": [{"name": 1, "value": "a"}]},
            {"mergingList": [{"value": "b"}]},
            500,
            "map: map[value:b] does not contain declared merge key: name",
            id="missing merge key",
        ),
        pytest.param(
            {"simpleMap": {"a": "b"}},
            {"simpleMap": {"$patch": "merge", "c": "d"}},
            500,
            "unknown patch type: merge in map: map[$patch:merge c:d]",
            id="$patch merge on a map",
        ),
        pytest.param(
            {"mergingList": [{"name": 1}]},
            {"mergingList": [{"$patch": "merge"}]},
            500,
            "merging lists cannot yet be specified in the patch",
            id="$patch merge in a list",
        ),
        pytest.param(
            {"retainKeysMap": {"name": "a"}},
            {"retainKeysMap": {"$retainKeys": ["name"], "value": "v"}},
            400,
            "invalid patch format of retainKeys",
            id="field outside $retainKeys",
        ),
        pytest.param(
            {"mergingIntList": [1]},
            {"$setElementOrderX/mergingIntList": [1]},
            400,
            "invalid patch format of setElementOrder list",
            id="bad order directive",
        ),
        pytest.param(
            {"mergingIntList": [1]},
            {"$deleteFromPrimitiveList": [1]},
            400,
            "invalid patch format of primitive list",
            id="bad deletion directive",
        ),
        pytest.param(
            {"mergingIntList": [1]},
            {"mergingIntList": ["a"]},
            500,
            "list element types are not identical: [[1] [a]]",
            id="mixed types",
        ),
        pytest.param(
            {"mergingIntList": [[1]]},
            {"mergingIntList": [[2]]},
            422,
            "the server rejected our request due to an error in our request",
            id="list of lists",
        ),
    ],
)
def test_strategic_merge_errors_as_the_server_reports_them(
    current: dict, patch: dict, code: int, message: str
) -> None:
    with pytest.raises(ApiError) as caught:
        smp(current, patch)
    assert (caught.value.code, caught.value.message) == (code, message)
    if code == 500:
        assert "reason" not in caught.value.status()  # a plain Go error: no StatusReason


def live_deployment() -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "shop-web",
            "namespace": "store-a",
            "uid": "u-1",
            "labels": {"app.kubernetes.io/managed-by": "Helm", "app.kubernetes.io/version": "6.5"},
            "annotations": {
                "meta.helm.sh/release-name": "shop",
                "deployment.kubernetes.io/revision": "1",
            },
        },
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "web"}},
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
            },
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        {
                            "name": "web",
                            "image": "wordpress:6.5",
                            "args": ["--verbose"],
                            "env": [
                                {"name": "DB_HOST", "value": "db"},
                                {"name": "DB_USER", "value": "wp"},
                                {"name": "LEGACY_MODE", "value": "1"},
                            ],
                            "ports": [{"containerPort": 80, "name": "http", "protocol": "TCP"}],
                        },
                        {"name": "metrics", "image": "exporter:1"},
                    ],
                    "dnsPolicy": "ClusterFirst",
                },
            },
        },
        "status": {"replicas": 1},
    }


def test_helm3_three_way_patch_of_a_deployment() -> None:
    # What helm 3.19's CreateThreeWayMergePatch sends on upgrade: new image and label,
    # DB_PASSWORD_FILE inserted between two kept vars, LEGACY_MODE removed, port 443 added.
    patch = {
        "metadata": {"labels": {"app.kubernetes.io/version": "6.6"}},
        "spec": {
            "template": {
                "spec": {
                    "$setElementOrder/containers": [{"name": "web"}, {"name": "metrics"}],
                    "containers": [
                        {
                            "$setElementOrder/env": [
                                {"name": "DB_HOST"},
                                {"name": "DB_PASSWORD_FILE"},
                                {"name": "DB_USER"},
                            ],
                            "$setElementOrder/ports": [
                                {"containerPort": 80},
                                {"containerPort": 443},
                            ],
                            "env": [
                                {"name": "DB_PASSWORD_FILE", "value": "/run/secrets/db"},
                                {"$patch": "delete", "name": "LEGACY_MODE"},
                            ],
                            "image": "wordpress:6.6",
                            "name": "web",
                            "ports": [{"containerPort": 443, "name": "https", "protocol": "TCP"}],
                        }
                    ],
                }
            }
        },
    }
    live = live_deployment()
    result = apply_strategic_merge_patch(live, patch, DEPLOYMENT, K8S)

    expected = live_deployment()
    expected["metadata"]["labels"]["app.kubernetes.io/version"] = "6.6"
    web = expected["spec"]["template"]["spec"]["containers"][0]
    web["image"] = "wordpress:6.6"
    web["env"] = [
        {"name": "DB_HOST", "value": "db"},
        {"name": "DB_PASSWORD_FILE", "value": "/run/secrets/db"},
        {"name": "DB_USER", "value": "wp"},
    ]
    web["ports"].append({"containerPort": 443, "name": "https", "protocol": "TCP"})
    assert result == expected
    assert live == live_deployment()  # the input is left alone
    assert "$setElementOrder/env" not in str(result)


def test_strategic_merge_replaces_atomic_lists_and_unions_finalizers() -> None:
    live = live_deployment()
    live["metadata"]["finalizers"] = ["storedesk.io/cleanup"]
    patch = {
        "metadata": {"finalizers": ["example.com/keep"]},
        "spec": {"template": {"spec": {"containers": [{"name": "web", "args": ["-q"]}]}}},
    }
    result = apply_strategic_merge_patch(live, patch, DEPLOYMENT, K8S)
    # Patch items go first unless the live list orders them (apimachinery's mergeSortedSlice).
    assert result["metadata"]["finalizers"] == ["example.com/keep", "storedesk.io/cleanup"]
    assert result["spec"]["template"]["spec"]["containers"][0]["args"] == ["-q"]


def test_strategic_merge_retain_keys_switches_deployment_strategy() -> None:
    # kubectl apply moving from RollingUpdate to Recreate sends $retainKeys for the union.
    patch = {
        "spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate", "rollingUpdate": None}}
    }
    result = apply_strategic_merge_patch(live_deployment(), patch, DEPLOYMENT, K8S)
    assert result["spec"]["strategy"] == {"type": "Recreate"}


def test_strategic_merge_service_ports_merge_by_port() -> None:
    live = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web"},
        "spec": {
            "selector": {"app": "web"},
            "ports": [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}],
        },
    }
    patch = {
        "spec": {
            "ports": [
                {"port": 80, "targetPort": 9090},
                {"name": "https", "port": 443, "protocol": "TCP"},
            ]
        }
    }
    result = apply_strategic_merge_patch(live, patch, SERVICE, K8S)
    assert result["spec"]["ports"] == [
        {"name": "http", "port": 80, "targetPort": 9090, "protocol": "TCP"},
        {"name": "https", "port": 443, "protocol": "TCP"},
    ]


def test_strategic_merge_of_unknown_type_is_a_merge_patch() -> None:
    live = {"spec": {"items": [{"name": "a"}], "keep": 1}}
    patch = {"spec": {"items": [{"name": "b"}]}}
    result = apply_strategic_merge_patch(live, patch, None, K8S)
    assert result == {"spec": {"items": [{"name": "b"}], "keep": 1}}


def test_strategic_merge_body_must_be_an_object() -> None:
    with pytest.raises(ApiError) as caught:
        apply_strategic_merge_patch(live_deployment(), ["x"], DEPLOYMENT, K8S)
    assert caught.value.code == 400
    assert caught.value.message == (
        "json: cannot unmarshal array into Go value of type map[string]interface {}"
    )


ENV = "/spec/template/spec/containers/0/env"


def test_json_patch_as_kubectl_sends_it_on_a_list() -> None:
    live = live_deployment()
    result = apply_json_patch(
        live,
        [
            {"op": "add", "path": f"{ENV}/-", "value": {"name": "NEW", "value": "n"}},
            {"op": "remove", "path": f"{ENV}/0"},
            {"op": "replace", "path": f"{ENV}/0/value", "value": "admin"},
            {"op": "add", "path": "/metadata/annotations/example.com~1owner", "value": "ops"},
            {"op": "test", "path": "/spec/replicas", "value": 1},
        ],
    )
    web = result["spec"]["template"]["spec"]["containers"][0]
    assert web["env"] == [
        {"name": "DB_USER", "value": "admin"},
        {"name": "LEGACY_MODE", "value": "1"},
        {"name": "NEW", "value": "n"},
    ]
    assert result["metadata"]["annotations"]["example.com/owner"] == "ops"
    assert live == live_deployment()


def test_json_patch_move_copy_and_negative_indices() -> None:
    result = apply_json_patch(
        {"a": [1, 2, 3], "b": {"c~": "x"}},
        [
            {"op": "move", "from": "/a/0", "path": "/a/-"},
            {"op": "copy", "from": "/b/c~0", "path": "/d"},
            {"op": "remove", "path": "/a/-1"},
            {"op": "add", "path": "/a/-2", "value": 9},
        ],
    )
    assert result == {"a": [2, 9, 3], "b": {"c~": "x"}, "d": "x"}


def test_json_patch_keeps_json_patch_v4_leniencies() -> None:
    # The server's json-patch v4: replace creates a missing member, copy of one gives null,
    # test of a missing member against null passes, numbers compare as numbers.
    result = apply_json_patch(
        {"a": 1},
        [
            {"op": "replace", "path": "/b", "value": 2},
            {"op": "copy", "from": "/nope", "path": "/c"},
            {"op": "test", "path": "/nope", "value": None},
            {"op": "test", "path": "/a", "value": 1.0},
        ],
    )
    assert result == {"a": 1, "b": 2, "c": None}


@pytest.mark.parametrize(
    "ops",
    [
        pytest.param(
            [
                {"op": "test", "path": "/spec/replicas", "value": 2},
                {"op": "replace", "path": "/spec/replicas", "value": 3},
            ],
            id="failed test",
        ),
        pytest.param([{"op": "remove", "path": "/metadata/labels/absent"}], id="remove missing"),
        pytest.param([{"op": "add", "path": "/spec/absent/x", "value": 1}], id="missing parent"),
        pytest.param([{"op": "replace", "path": f"{ENV}/3", "value": {}}], id="index past end"),
        pytest.param([{"op": "add", "path": f"{ENV}/5", "value": {}}], id="insert past end"),
        pytest.param([{"op": "frob", "path": "/spec"}], id="unknown op"),
        pytest.param([{"op": "add", "value": 1}], id="no path"),
    ],
)
def test_json_patch_that_does_not_apply_is_a_bare_422(ops: list) -> None:
    with pytest.raises(ApiError) as caught:
        apply_json_patch(live_deployment(), ops)
    assert caught.value.status() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "the server rejected our request due to an error in our request",
        "reason": "Invalid",
        "details": {},
        "code": 422,
    }


def test_json_patch_body_must_be_a_list_of_operations() -> None:
    with pytest.raises(ApiError) as caught:
        apply_json_patch(live_deployment(), {"op": "add", "path": "/a", "value": 1})
    assert (caught.value.code, caught.value.reason) == (400, "BadRequest")
    assert caught.value.message == (
        "json: cannot unmarshal object into Go value of type jsonpatch.Patch"
    )


def test_json_patch_operation_limit() -> None:
    ops = [{"op": "test", "path": "/spec/replicas", "value": 1}] * 10001
    with pytest.raises(ApiError) as caught:
        apply_json_patch(live_deployment(), ops)
    assert caught.value.code == 413
    assert caught.value.message.endswith("is 10000, got 10001")


def test_merge_patch_deletes_keys_and_replaces_lists() -> None:
    live = live_deployment()
    result = apply_merge_patch(
        live,
        {
            "metadata": {
                "annotations": {"deployment.kubernetes.io/revision": None},
                "labels": {"tier": "front"},
            },
            "spec": {
                "template": {
                    "spec": {"containers": [{"name": "web", "image": "wp:7", "stdin": None}]}
                },
                "paused": None,
            },
        },
    )
    assert result["metadata"]["annotations"] == {"meta.helm.sh/release-name": "shop"}
    assert result["metadata"]["labels"]["tier"] == "front"
    assert result["spec"]["template"]["spec"]["containers"] == [{"name": "web", "image": "wp:7"}]
    assert live == live_deployment()


def test_merge_patch_of_null_or_non_object() -> None:
    with pytest.raises(ApiError) as null:
        apply_merge_patch({"a": 1}, None)
    assert (null.value.code, null.value.message) == (400, "Invalid JSON Patch")
    with pytest.raises(ApiError) as array:
        apply_merge_patch({"a": 1}, [1])
    assert array.value.code == 422
    assert array.value.message.startswith(' "" is invalid: patch: Invalid value: "[1]": ')
    assert array.value.status()["details"]["causes"][0]["field"] == "patch"


def test_patches_never_mutate_their_inputs() -> None:
    patch = {
        "metadata": {"labels": {"x": None, "y": "1"}},
        "spec": {"template": {"spec": {"containers": [{"name": "web", "env": [{"name": "A"}]}]}}},
    }
    frozen = copy.deepcopy(patch)
    live = live_deployment()
    apply_strategic_merge_patch(live, patch, DEPLOYMENT, K8S)
    apply_merge_patch(live, patch)
    assert (live, patch) == (live_deployment(), frozen)
