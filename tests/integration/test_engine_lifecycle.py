"""The engine end to end: real helm (3 and 4), the simulator, a real Secret Service."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from storedesk.cluster.keyring_store import CredentialStore
from storedesk.domain.models import Phase
from storedesk.errors import HelmTimeout, NameTaken, NextStep, OperationFailed, StoreBusy
from storedesk.provisioning.locks import LeaseInfo
from storedesk.provisioning.monitor import Snapshot, StatusMonitor
from storedesk.sim import Simulator
from tests.integration.engine_support import (
    cluster_secret,
    helm_secrets,
    keyring_key,
    keyring_lookup,
    service_for,
    unique_store,
)
from tests.support import HelmBinary, helm_binary, run_tool

pytestmark = [pytest.mark.helm, pytest.mark.keyring]


@pytest.fixture
def store(sim: Simulator) -> str:
    """A fresh store name; its keyring entry is removed afterwards whatever happens."""
    name = unique_store()
    key = keyring_key(sim, name)
    yield name
    CredentialStore().delete(key)


def test_create_recreate_delete(sim, helm: HelmBinary, tmp_path: Path, store: str) -> None:
    service = service_for(sim, helm, tmp_path)
    record = service.create(store, wait=True)
    assert record.status.phase == Phase.READY
    assert record.url.startswith(f"http://{store}.localhost:")  # through the port-forward
    assert record.forwarded
    saved = keyring_lookup(keyring_key(sim, store))
    assert saved is not None and saved["admin_user"] == "admin"
    secret = cluster_secret(sim, helm, store)
    assert secret["admin-password"] == saved["admin_password"]
    assert secret["database-password"] == saved["database_password"]

    again = service.create(store, wait=True)
    assert again.status.phase == Phase.READY
    assert keyring_lookup(keyring_key(sim, store)) == saved  # no password rotated
    assert cluster_secret(sim, helm, store) == secret
    assert again.release_revision == 2  # one helm upgrade, nothing more
    log = [e.message for e in service.events(store)]
    assert "reused the passwords kept in the keyring" in log

    service.delete(store, wait=True)
    assert run_tool(helm.kubectl, sim, "get", "ns", f"store-{store}", check=False).returncode == 1
    assert helm_secrets(sim, helm, store) == []
    assert keyring_lookup(keyring_key(sim, store)) is None
    assert service.list_stores() == []


def test_recreate_reuses_the_cluster_secret_when_the_keyring_lost_it(
    sim, tmp_path: Path, store: str
) -> None:
    helm = helm_binary("4")
    service = service_for(sim, helm, tmp_path)
    service.create(store)
    before = cluster_secret(sim, helm, store)
    CredentialStore().delete(keyring_key(sim, store))
    service.create(store)
    assert cluster_secret(sim, helm, store) == before
    assert keyring_lookup(keyring_key(sim, store))["admin_password"] == before["admin-password"]
    assert any("from the store's Secret in the cluster" in e.message for e in service.events(store))


def test_image_failure_shows_failed_with_reason(sim, tmp_path: Path, store: str) -> None:
    sim.faults.fail_image("*wordpress:7*", "ImagePullBackOff")
    service = service_for(sim, helm_binary("4"), tmp_path)
    with pytest.raises(OperationFailed, match=r"ImagePullBackOff|ErrImagePull"):
        service.create(store, wait=True, timeout=60)
    status = service.get_store(store).status
    assert status.phase == Phase.FAILED
    assert status.reason in ("ImagePullBackOff", "ErrImagePull")
    assert "wordpress" in status.detail
    assert status.fix


def test_quota_exceeded_shows_failed_with_reason(sim, tmp_path: Path, store: str) -> None:
    helm = helm_binary("4")
    # An administrator's quota on the store's namespace leaves room for one pod only.
    run_tool(helm.kubectl, sim, "create", "namespace", f"store-{store}")
    run_tool(
        helm.kubectl,
        sim,
        "label",
        "namespace",
        f"store-{store}",
        "app.kubernetes.io/managed-by=storedesk",
        f"storedesk.io/store={store}",
        "storedesk.io/engine=woocommerce",
    )
    run_tool(
        helm.kubectl, sim, "create", "quota", "admin-limit", "-n", f"store-{store}", "--hard=pods=1"
    )
    service = service_for(sim, helm, tmp_path)
    # helm then waits on the setup hook, whose pod the quota refuses too, until its timeout.
    with pytest.raises(OperationFailed, match="exceeded quota"):
        service.create(store, wait=True, timeout=10)
    status = service.get_store(store).status
    assert (status.phase, status.reason) == (Phase.FAILED, "quota exceeded")
    assert "exceeded quota: admin-limit" in status.detail


def test_foreign_namespace_is_never_touched(sim, tmp_path: Path) -> None:
    helm = helm_binary("4")
    run_tool(helm.kubectl, sim, "create", "namespace", "store-x")
    before = run_tool(helm.kubectl, sim, "get", "ns", "store-x", "-o", "json").stdout
    service = service_for(sim, helm, tmp_path)
    with pytest.raises(NameTaken, match="not managed by Storedesk"):
        service.create("x")
    with pytest.raises(NameTaken):
        service.delete("x")
    after = run_tool(helm.kubectl, sim, "get", "ns", "store-x", "-o", "json").stdout
    assert json.loads(after)["metadata"] == json.loads(before)["metadata"]
    assert service.list_stores() == []
    assert not [
        s
        for s in sim.request_counts()
        if s.startswith(("POST", "PUT", "PATCH", "DELETE")) and "store-x" in s
    ]


def test_second_operation_on_a_store_is_busy(sim, tmp_path: Path, store: str) -> None:
    service = service_for(sim, helm_binary("4"), tmp_path)
    sim.faults.latency = 0.05  # helm takes a few seconds
    errors: list[Exception] = []
    first = threading.Thread(target=lambda: _capture(errors, service.create, store))
    first.start()
    _wait_for(lambda: any(e.step == "helm" for e in service.events(store)) or not first.is_alive())
    with pytest.raises(StoreBusy, match="busy"):
        service.create(store)
    with pytest.raises(StoreBusy):
        service.delete(store)
    first.join()
    assert errors == []


def test_lease_from_another_machine_makes_the_store_busy(sim, tmp_path: Path, store: str) -> None:
    helm = helm_binary("4")
    service = service_for(sim, helm, tmp_path)
    service.create(store)
    lease = LeaseInfo(
        "bob@other-laptop pid 7 #abc", "delete", datetime.now(UTC) + timedelta(seconds=60)
    )
    run_tool(
        helm.kubectl,
        sim,
        "annotate",
        "ns",
        f"store-{store}",
        f"storedesk.io/lease={lease.to_annotation()}",
    )
    with pytest.raises(StoreBusy, match="bob@other-laptop"):
        service.create(store)
    assert service.get_store(store).status.phase == Phase.DELETING  # what bob is doing


def test_outage_mid_create_shows_unknown_then_converges(sim, tmp_path: Path, store: str) -> None:
    service = service_for(sim, helm_binary("4"), tmp_path)
    snapshots: list[Snapshot] = []
    monitor = StatusMonitor(service_for(sim, helm_binary("4"), tmp_path), snapshots.append)
    watcher = threading.Thread(target=monitor.run, daemon=True)
    watcher.start()
    sim.faults.latency = 0.05
    errors: list[Exception] = []
    creating = threading.Thread(target=lambda: _capture(errors, service.create, store, wait=True))
    creating.start()
    _wait_for(lambda: any(s.records for s in snapshots))
    sim.set_outage("refuse")
    _wait_for(lambda: any(not s.reachable for s in snapshots))
    unknown = next(s for s in snapshots if not s.reachable)
    assert [r.status.phase for r in unknown.records] == [Phase.UNKNOWN]
    time.sleep(1.5)
    sim.faults.latency = 0
    sim.set_outage(None)
    creating.join(timeout=120)
    assert errors == []
    _wait_for(
        lambda: (
            snapshots[-1].reachable
            and snapshots[-1].records
            and snapshots[-1].records[0].status.phase == Phase.READY
        )
    )
    monitor.stop()
    assert service.get_store(store).status.phase == Phase.READY
    changes = [e.message for e in service.events(store) if e.step == "status"]
    assert changes and changes[-1].endswith("-> Ready")  # the monitor logged what it saw


def test_opening_the_window_again_logs_no_status_change_of_a_ready_store(
    sim, tmp_path: Path, store: str
) -> None:
    service = service_for(sim, helm_binary("4"), tmp_path)
    service.create(store, wait=True)
    logged = [e.message for e in service.events(store) if e.step == "status"]
    snapshots: list[Snapshot] = []
    # A fresh monitor is the window opening: each Ready store's storefront is asked once
    # more, which is no change of the store's status and no line in its event log.
    monitor = StatusMonitor(service_for(sim, helm_binary("4"), tmp_path), snapshots.append)
    threading.Thread(target=monitor.run, daemon=True).start()
    _wait_for(
        lambda: (
            snapshots
            and snapshots[-1].records
            and snapshots[-1].records[0].status.phase == Phase.READY
        )
    )
    monitor.stop()
    assert [e.message for e in service.events(store) if e.step == "status"] == logged


def test_helm_timeout_names_the_latest_pod_events(tmp_path: Path, store: str) -> None:
    # A slow cluster: nothing fails, the setup Job is simply not done within helm's timeout.
    with Simulator(ready_delay=30) as slow:
        service = service_for(slow, helm_binary("4"), tmp_path)
        with pytest.raises(HelmTimeout) as caught:
            service.create(store, timeout=10)
    message = str(caught.value)
    assert f"Job/store-{store}/{store}-setup" in message  # what helm waited for
    assert f"latest events: pod/{store}-" in message  # and what the pods were doing


def test_image_failure_stops_helm_early(sim, tmp_path: Path, store: str) -> None:
    # The setup hook's image never arrives: Storedesk sees the store fail and stops helm
    # instead of holding the store's lock until helm's timeout.
    sim.faults.fail_image("*wordpress:cli*", "ImagePullBackOff")
    service = service_for(sim, helm_binary("4"), tmp_path)
    with pytest.raises(OperationFailed, match="cannot pull image") as caught:
        service.create(store, timeout=300)
    assert caught.value.next_steps == (NextStep.RETRY_CREATE, NextStep.DELETE)
    assert not isinstance(caught.value, HelmTimeout)  # stopped, not left to time out
    sim.faults.clear_image_failures()
    assert service.create(store, wait=True).status.phase == Phase.READY  # and it repairs


def _capture(errors: list[Exception], fn, *args, **kwargs) -> None:
    try:
        fn(*args, **kwargs)
    except Exception as e:
        errors.append(e)


def _wait_for(condition, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


def test_delete_without_wait_forgets_the_credentials_once_the_namespace_is_gone(
    sim, tmp_path: Path, store: str
) -> None:
    helm = helm_binary("4")
    service = service_for(sim, helm, tmp_path)
    service.create(store)
    service.delete(store, wait=False)
    # The cluster side is not gone yet: the saved credentials must stay until it is.
    assert keyring_lookup(keyring_key(sim, store)) is not None
    run_tool(helm.kubectl, sim, "wait", "--for=delete", f"namespace/store-{store}", "--timeout=30s")
    service.reconcile(service.list_stores())  # the next look finishes the job
    assert keyring_lookup(keyring_key(sim, store)) is None
    assert service.events(store)[-2].message.startswith("removed the saved credentials")


def test_another_release_in_the_stores_namespace_does_not_hide_its_own(
    sim, tmp_path: Path, store: str
) -> None:
    helm = helm_binary("4")
    service = service_for(sim, helm, tmp_path)
    assert service.create(store, wait=True).status.phase == Phase.READY
    chart = tmp_path / "extra"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: extra\nversion: 0.1.0\n")
    (chart / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\ndata:\n  a: b\n"
    )
    # Named to sort after the store's release: the first to be seen must not win.
    run_tool(helm.path, sim, "install", "zz-extra", str(chart), "-n", f"store-{store}")
    [record] = [r for r in service.list_stores() if r.name == store]
    assert record.status.phase == Phase.READY
    assert record.release_revision == 1
