"""Storedesk's own port-forward against the simulator (issue 11): a store's page through
http://<store>.localhost:<port>/ on 127.0.0.1 only, surviving its pod being replaced,
several stores at once, a busy port moved and remembered, and errors a user understands."""

from __future__ import annotations

import http.client
import queue
import signal
import socket
import threading
import time
from pathlib import Path

import psutil
import pytest

from storedesk.domain.models import Phase
from storedesk.errors import OperationFailed
from storedesk.provisioning.forwards import LOOPBACK, PortBook, port_is_free
from tests.integration.cli_process import cli_env, run_cli, start_cli, wait_for
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
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers do
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


def keep_alive(port: int, host: str) -> http.client.HTTPConnection:
    """A browser's connection through the forward, its first page read and the connection
    kept open (the stream to the pod with it)."""
    conn = http.client.HTTPConnection(LOOPBACK, port, timeout=15)
    conn.request("GET", "/", headers={"Host": f"{host}:{port}"})
    response = conn.getresponse()
    assert response.status == 200 and MARKER in response.read()
    return conn


def problem_of(service, name: str) -> str | None:
    return next(s.problem for s in service.forwards.states() if s.store == name)


def test_the_cluster_going_away_mid_stream_is_said_and_the_forward_recovers(sim, service) -> None:
    name = unique_store()
    service.create(name, wait=True, use_keyring=False)
    state = service.forwards.start(name)
    browser = keep_alive(state.port, f"{name}.localhost")
    sim.set_outage("refuse")  # the API server dies with the stream open
    try:
        for _ in range(100):
            if problem_of(service, name):
                break
            time.sleep(0.05)
        problem = problem_of(service, name) or ""
        assert problem.startswith("the cluster went away in the middle of a connection")
        assert "cannot reach the cluster of context" in problem
        # A new connection meanwhile gets a page saying why, not a dead socket.
        status, body = fetch(state.port, f"{name}.localhost")
        assert status == 503 and b"cannot reach the cluster" in body
    finally:
        browser.close()
        sim.set_outage(None)
    status, body = fetch(state.port, f"{name}.localhost")
    assert status == 200 and MARKER in body
    assert problem_of(service, name) is None


def test_a_pod_closing_its_connection_is_no_problem(sim, service) -> None:
    name = unique_store()
    service.create(name, wait=True, use_keyring=False)
    state = service.forwards.start(name)
    conn = http.client.HTTPConnection(LOOPBACK, state.port, timeout=15)
    # "Connection: close": the pod's side ends the stream, and the cluster still answers.
    conn.request("GET", "/", headers={"Host": f"{name}.localhost", "Connection": "close"})
    assert conn.getresponse().read()
    conn.close()
    time.sleep(0.5)
    assert problem_of(service, name) is None


def test_storedesk_forward_serves_says_what_goes_wrong_and_stops_on_ctrl_c(
    sim, tmp_path: Path
) -> None:
    name = unique_store()
    env = cli_env(tmp_path / "data")
    created = run_cli(sim, env, "create", name, "--wait", "--no-keyring")
    assert created.returncode == 0, created.stderr
    forward = start_cli(sim, env, "forward", name)
    said: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [said.put(x) for x in forward.stderr], daemon=True).start()
    try:
        first = forward.stdout.readline()
        assert first.startswith(f"forwarding http://{name}.localhost:")
        port = int(first.split("(127.0.0.1:", 1)[1].split(")", 1)[0])
        browser = keep_alive(port, f"{name}.localhost")
        sim.set_outage("refuse")
        try:
            line = said.get(timeout=30)
        finally:
            browser.close()
            sim.set_outage(None)
        assert line.startswith(
            f"storedesk: forward {name}: the cluster went away in the middle of a connection"
        )
        assert fetch(port, f"{name}.localhost")[0] == 200
        assert said.get(timeout=30) == f"storedesk: forward {name}: forwarding again\n"
        forward.send_signal(signal.SIGINT)
        assert forward.wait(timeout=30) == 0
        assert said.get(timeout=5) == "storedesk: forwarding stopped\n"
        wait_for(lambda: port_is_free(port), 10, "the port freed")
    finally:
        forward.kill()
