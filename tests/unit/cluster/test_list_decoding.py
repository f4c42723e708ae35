"""Reading a List answer one item at a time: the same items and resourceVersion as
json.loads, each handed over as it is read, and a malformed answer refused."""

from __future__ import annotations

import json

import pytest

from storedesk.cluster.kube import decode_list

# As kube-apiserver writes a list (field order kind, apiVersion, metadata, items).
POD_LIST = {
    "kind": "PodList",
    "apiVersion": "v1",
    "metadata": {"resourceVersion": "4711"},
    "items": [
        {
            "metadata": {"name": f"shop-{i}", "namespace": "store-a", "labels": {"x": "}]"}},
            "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]},
        }
        for i in range(3)
    ],
}


def names(item: dict) -> str:
    return item["metadata"]["name"]


def test_a_list_reads_as_json_loads_reads_it() -> None:
    for indent in (None, 2):
        data = json.dumps(POD_LIST, indent=indent).encode()
        items, version = decode_list(data, names)
        assert items == ["shop-0", "shop-1", "shop-2"]
        assert version == "4711"
        assert decode_list(data, lambda item: item)[0] == POD_LIST["items"]


def test_each_item_is_handed_over_before_the_next_is_read() -> None:
    seen: list[str] = []
    data = json.dumps(POD_LIST).encode()
    decode_list(data, lambda item: seen.append(names(item)))
    assert seen == ["shop-0", "shop-1", "shop-2"]


@pytest.mark.parametrize(
    "text",
    ['{"items": [], "metadata": {}}', '{"items": null}', "{}", '{"metadata": {"x": [1, 2]}}'],
)
def test_an_empty_list_has_no_items(text: str) -> None:
    assert decode_list(text.encode(), names)[0] == []


def test_the_version_may_follow_the_items() -> None:
    data = json.dumps({"items": [], "metadata": {"resourceVersion": "9"}}).encode()
    assert decode_list(data, names) == ([], "9")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "[1]",
        '{"items": [1,]}',
        '{"items": [1] "kind": "PodList"}',
        '{"kind": "PodList",}',
        '{"items": []} trailing',
        '{"items": [{"a": 1}',
        "<html>proxy login</html>",
    ],
)
def test_what_is_not_a_json_object_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        decode_list(text.encode(), lambda item: item)
