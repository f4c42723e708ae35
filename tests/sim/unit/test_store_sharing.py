"""A new version of an object shares the parts its previous version already holds, but
only where both encode to the same JSON: what clients read never changes."""

from __future__ import annotations

import copy
import json

import pytest

from storedesk.sim.store import same_json, share_unchanged

POD = {
    "metadata": {"name": "shop-0", "labels": {"app": "shop"}, "resourceVersion": "7"},
    "spec": {"containers": [{"name": "web", "ports": [{"containerPort": 80}]}]},
    "status": {"phase": "Pending", "ready": False},
}


def test_a_status_update_shares_the_untouched_spec_and_labels() -> None:
    new = copy.deepcopy(POD)
    new["metadata"]["resourceVersion"] = "8"
    new["status"] = {"phase": "Running", "ready": True}
    share_unchanged(new, POD)
    assert new["spec"] is POD["spec"]
    assert new["metadata"]["labels"] is POD["metadata"]["labels"]
    assert new["metadata"] is not POD["metadata"] and new["metadata"]["resourceVersion"] == "8"
    assert new["status"] == {"phase": "Running", "ready": True}


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (True, 1),
        (1, 1.0),
        (0, False),
        ({"a": 1, "b": 2}, {"b": 2, "a": 1}),  # same keys, other order: other bytes
        ([1, 2], [1, 2, 3]),
        ("80", 80),
    ],
)
def test_values_python_calls_equal_but_json_does_not_are_kept_apart(a, b) -> None:
    assert json.dumps(a) != json.dumps(b)
    assert not same_json(a, b)
    new, old = {"spec": {"x": a}}, {"spec": {"x": b}}
    share_unchanged(new, old)
    assert json.dumps(new) == json.dumps({"spec": {"x": a}})
    assert new["spec"] is not old["spec"]


def test_equal_json_is_shared_at_the_largest_equal_subtree() -> None:
    old = {"spec": {"a": {"deep": [1, {"x": None}]}, "b": 1}}
    new = {"spec": {"a": {"deep": [1, {"x": None}]}, "b": 2}}
    share_unchanged(new, old)
    assert new["spec"]["a"] is old["spec"]["a"]
    assert new["spec"]["b"] == 2
