"""The kubernetes Python client (what Storedesk itself uses) against the simulator."""

from __future__ import annotations

import threading

import pytest
from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException


@pytest.fixture
def core(sim) -> client.CoreV1Api:
    """A CoreV1Api bound to the simulator's kubeconfig and context."""
    api_client = config.new_client_from_config(config_file=str(sim.kubeconfig), context=sim.context)
    return client.CoreV1Api(api_client)


def test_create_list_patch_delete(core: client.CoreV1Api) -> None:
    core.create_namespace({"metadata": {"name": "py", "labels": {"team": "a"}}})
    core.create_namespaced_config_map(
        "py", {"metadata": {"name": "c", "labels": {"k": "v"}}, "data": {"a": "1"}}
    )
    listed = core.list_config_map_for_all_namespaces(label_selector="k=v")
    assert [c.metadata.name for c in listed.items] == ["c"]
    assert int(listed.metadata.resource_version) > 0
    patched = core.patch_namespaced_config_map("c", "py", {"data": {"b": "2"}})
    assert patched.data == {"a": "1", "b": "2"}
    core.delete_namespaced_config_map("c", "py")
    with pytest.raises(ApiException) as e:
        core.read_namespaced_config_map("c", "py")
    assert e.value.status == 404


def test_conflict_on_stale_resource_version(core: client.CoreV1Api) -> None:
    cm = core.create_namespaced_config_map("default", {"metadata": {"name": "c"}})
    core.patch_namespaced_config_map("c", "default", {"data": {"x": "1"}})
    cm.data = {"y": "2"}
    with pytest.raises(ApiException) as e:
        core.replace_namespaced_config_map("c", "default", cm)
    assert e.value.status == 409
    assert "the object has been modified" in e.value.body


def test_watch_by_label_across_namespaces(core: client.CoreV1Api) -> None:
    for ns in ("w1", "w2"):
        core.create_namespace({"metadata": {"name": ns}})
    seen: list[tuple[str, str]] = []
    started = threading.Event()

    def follow() -> None:
        stream = watch.Watch()
        started.set()
        for event in stream.stream(
            core.list_config_map_for_all_namespaces, label_selector="store=yes", timeout_seconds=5
        ):
            seen.append((event["type"], event["object"].metadata.name))
            if len(seen) == 3:
                stream.stop()

    thread = threading.Thread(target=follow)
    thread.start()
    started.wait()
    core.create_namespaced_config_map("w1", {"metadata": {"name": "a", "labels": {"store": "yes"}}})
    core.create_namespaced_config_map("w2", {"metadata": {"name": "ignored"}})
    core.create_namespaced_config_map("w2", {"metadata": {"name": "b", "labels": {"store": "yes"}}})
    core.patch_namespaced_config_map("a", "w1", {"metadata": {"labels": {"store": "no"}}})
    thread.join(timeout=10)
    # Relabelled out of the selector reads as DELETED, as on a real server.
    assert seen == [("ADDED", "a"), ("ADDED", "b"), ("DELETED", "a")]


def test_watch_from_expired_version_gets_410(core: client.CoreV1Api, sim) -> None:
    sim.store.event_fresh = 0  # events age at once: the watch cache keeps its floor, 100
    first = core.list_namespaced_config_map("default").metadata.resource_version
    for i in range(110):
        core.create_namespaced_config_map("default", {"metadata": {"name": f"c{i}"}})
    stream = watch.Watch()
    with pytest.raises(ApiException) as e:
        for _ in stream.stream(
            core.list_namespaced_config_map, "default", resource_version=first, timeout_seconds=2
        ):
            pass
    assert e.value.status == 410
