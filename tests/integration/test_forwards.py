"""Storedesk's own port-forward against the simulator (issue 11): a store's page through
http://<store>.localhost:<port>/ on 127.0.0.1 only, surviving its pod being replaced,
several stores at once, a busy port moved and remembered, and errors a user understands."""

from __future__ import annotations

import http.client
import socket
import time
from pathlib import Path

import psutil
import pytest

from storedesk.domain.models import Phase
from storedesk.errors import OperationFailed
from storedesk.provisioning.forwards import LOOPBACK, PortBook
from tests.integration.engine_support import service_for, unique_store
from tests.support import helm_binary, run_tool

pytestmark = [pytest.mark.helm, pytest.mark.keyring]
HELM4 = helm_binary("4")
MARKER = b'name="generator" content="WooCommerce'


def fetch(port: int, host: str, path: str = "/") -> tuple[int, bytes]:
    """GET through the forward, as a browser sends it (Host carries the port)."""
    conn = http.client.HTTPConnection(LOOPBACK, port, timeout=15)
    try:
        conn.request("GET", path, headers={"Host": f"{host}:{port}"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@pytest.fixture
def service(sim, tmp_path: Path):
    made = service_for(sim, HELM4, tmp_path)
    yield made
    made.forwards.stop_all()


def test_a_store_opens_through_its_forward_and_survives_its_pod_being_replaced(
    sim, service
) -> None:
    name = unique_store()
    record = service.create(name, wait=True, use_keyring=False)
    assert record.forwarded and record.status.phase == Phase.READY
    state = service.forwards.start(name)
    assert state.url == record.url and f":{state.port}/" in record.url
    status, body = fetch(state.port, f"{name}.localhost")
    assert status == 200 and MARKER in body and b"simulat" in body.lower()

    run_tool(
        HELM4.kubectl,
        sim,
        "delete",
        "pods",
        "-n",
        f"store-{name}",
        "-l",
        "app.kubernetes.io/component=wordpress",
        "--wait=false",
    )
    for _ in range(100):  # the Deployment brings a new pod; the next connection finds it
        time.sleep(0.1)
        status, body = fetch(state.port, f"{name}.localhost")
        if status == 200:
            break
    assert status == 200 and MARKER in body


def test_two_stores_are_forwarded_at_once_on_loopback_only(sim, service) -> None:
    names = [unique_store() for _ in range(2)]
    for name in names:
        service.create(name, wait=True, use_keyring=False)
    states = [service.forwards.start(name) for name in names]
    assert len({s.port for s in states}) == 2
    for name, state in zip(names, states, strict=True):
        assert fetch(state.port, f"{name}.localhost")[0] == 200
    ours = {s.port for s in states}
    listening = [
        c.laddr
        for c in psutil.net_connections(kind="tcp")
        if c.status == psutil.CONN_LISTEN and c.laddr.port in ours
    ]
    assert listening and all(address.ip == LOOPBACK for address in listening)


def test_a_busy_port_moves_to_the_next_free_one_and_is_remembered(sim, service) -> None:
    name = unique_store()
    first = service.create(name, wait=True, use_keyring=False)
    port = int(first.url.rsplit(":", 1)[1].rstrip("/"))
    with socket.socket() as squatter:
        squatter.bind((LOOPBACK, port))
        squatter.listen()
        # Another program took the store's port: opening it moves the store (its URL and
        # WordPress's follow: an upgrade) and the new port is remembered.
        state = service.forwards.start(name)
        moved = state.port
        assert moved != port
        assert service.get_store(name).url == f"http://{name}.localhost:{moved}/" == state.url
        assert fetch(moved, f"{name}.localhost")[0] == 200
    service.forwards.stop_all()  # as when the app quits: the next start finds the port kept
    assert PortBook(service.settings.data_dir).port_for(service.target.context, name) == moved


def test_no_ready_pod_is_a_page_that_says_so(sim, service) -> None:
    name = unique_store()
    service.create(name, wait=True, use_keyring=False)
    state = service.forwards.start(name)
    run_tool(
        HELM4.kubectl,
        sim,
        "scale",
        "deployment",
        f"{name}-wordpress",
        "-n",
        f"store-{name}",
        "--replicas=0",
    )
    for _ in range(100):
        time.sleep(0.1)
        status, body = fetch(state.port, f"{name}.localhost")
        if status == 503:
            break
    assert status == 503
    assert b"no pod is ready behind Service" in body


def test_rbac_without_port_forward_is_named(sim, service) -> None:
    name = unique_store()
    service.create(name, wait=True, use_keyring=False)
    state = service.forwards.start(name)
    sim.faults.deny("create", "pods/portforward")
    sim.faults.deny("get", "pods/portforward")
    status, body = fetch(state.port, f"{name}.localhost")
    assert status == 503
    assert b"does not allow this user to port-forward" in body


def test_every_port_busy_is_said_plainly(tmp_path: Path, monkeypatch) -> None:
    import storedesk.provisioning.forwards as forwards

    monkeypatch.setattr(forwards, "port_is_free", lambda port: False)  # a full machine
    with pytest.raises(OperationFailed, match="every local port from 8780 to 8979 is busy"):
        PortBook(tmp_path).port_for("ctx", "shop")
