"""pods/portforward against the simulator with real clients: the kubernetes Python client
(WebSocket, v4 channels) and kubectl 1.32 and 1.35 (SPDY tunnelled over a WebSocket, and
plain SPDY when WebSockets are off). Bytes flow both ways to the container's simulated
responder; refusals, a deleted pod and RBAC denials come back as a cluster says them."""

from __future__ import annotations

import http.client
import json
import os
import re
import select
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client, config
from kubernetes.client.rest import ApiException
from kubernetes.stream import portforward

from tests.support import helm_binary

pytestmark = pytest.mark.timeout(180)

KUBECTL_132 = Path("/usr/bin/kubectl")
REFUSED = re.compile(
    r"error forwarding port (\d+) to pod [0-9a-f]{64}, uid : failed to execute portforward in "
    r'network namespace "/var/run/netns/cni-[0-9a-f-]{36}": failed to connect to '
    r'localhost:\1 inside namespace "[0-9a-f]{64}", IPv4: dial tcp4 127.0.0.1:\1: connect: '
    r"connection refused IPv6 dial tcp6 \[::1\]:\1: connect: connection refused $"
)
WORDPRESS = "wordpress:7.1.1-php8.3-apache"


@pytest.fixture
def core(sim) -> client.CoreV1Api:
    """A CoreV1Api bound to the simulator."""
    api_client = config.new_client_from_config(config_file=str(sim.kubeconfig), context=sim.context)
    return client.CoreV1Api(api_client)


def wait_for(sim, check: Callable[[], bool], what: str, timeout: float = 60) -> None:
    """Block until `check()` holds (re-checked on every store change), or fail."""
    deadline = time.monotonic() + timeout
    with sim.store.changed:
        while not check():
            left = deadline - time.monotonic()
            if left <= 0:
                pytest.fail(f"timed out waiting for {what}")
            sim.store.changed.wait(min(left, 0.5))


def stored_pod(sim, name: str, namespace: str = "default") -> dict[str, Any] | None:
    from storedesk.sim import resources as res

    pods = res.lookup("", "v1", "pods")
    assert pods is not None
    return sim.store.get(pods, namespace, name)


def is_ready(pod: dict[str, Any] | None) -> bool:
    conditions = ((pod or {}).get("status") or {}).get("conditions") or ()
    return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)


def make_pod(sim, core, name: str, image: str = WORDPRESS, port: int = 80, **labels: str) -> None:
    """Create a pod whose container declares `port`."""
    core.create_namespaced_pod(
        "default",
        {
            "metadata": {"name": name, "labels": {"storedesk.io/store": "shop1", **labels}},
            "spec": {
                "containers": [{"name": "web", "image": image, "ports": [{"containerPort": port}]}]
            },
        },
    )


@pytest.fixture
def wordpress(sim, core) -> str:
    """A Ready WordPress pod `wp` declaring port 80."""
    make_pod(sim, core, "wp")
    wait_for(sim, lambda: is_ready(stored_pod(sim, "wp")), "pod wp Ready")
    return "wp"


def read_response(sock: Any) -> bytes:
    """One HTTP response (headers and a Content-Length body) from a socket."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed inside the headers: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(re.search(rb"Content-Length: (\d+)", head).group(1))  # type: ignore[union-attr]
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, "connection closed inside the body"
        body += chunk
    return head + b"\r\n\r\n" + body


def read_to_end(sock: Any) -> bytes:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def request(path: str, host: str, close: bool = False) -> bytes:
    extra = "Connection: close\r\n" if close else ""
    return f"GET {path} HTTP/1.1\r\nHost: {host}\r\n{extra}\r\n".encode()


# -- the kubernetes Python client -------------------------------------------------------------


def test_python_client_reaches_the_simulated_page_both_ways(sim, core, wordpress) -> None:
    forward = portforward(core.connect_get_namespaced_pod_portforward, "wp", "default", ports="80")
    sock = forward.socket(80)
    sock.settimeout(30)
    sock.sendall(request("/", "shop1.localhost:8080"))
    page = read_response(sock)
    assert page.startswith(b"HTTP/1.1 200 OK")
    assert b'<meta name="generator" content="WooCommerce 11.0.0 (Storedesk simulator)" />' in page
    assert b"<dd>shop1.localhost:8080</dd>" in page  # the Host it was asked for
    assert b"this is not a shop" in page
    # The same connection carries a second request (keep-alive): bytes flow both ways.
    sock.sendall(request("/wp-json/wc/store/v1/products", "shop1.localhost", close=True))
    products = read_to_end(sock)
    assert b"Simulated product (Storedesk simulator: not for sale)" in products
    assert forward.error(80) is None
    assert sim.request_counts()["GET /api/v1/namespaces/default/pods/wp/portforward"] == 1


@pytest.mark.parametrize(
    ("image", "fault", "port", "state"),
    [
        (WORDPRESS, None, 81, "Ready, but nothing declares the port"),
        ("crash:1", "CrashLoopBackOff", 80, "crash-looping"),
        ("crash:1", "ErrImagePull", 80, "image not pulled"),
    ],
    ids=["undeclared-port", "crash-loop", "image-pull"],
)
def test_python_client_a_refused_port_says_so_on_the_error_channel(
    sim, core, image: str, fault: str | None, port: int, state: str
) -> None:
    if fault:
        sim.faults.fail_image("crash:*", fault)
    make_pod(sim, core, "p", image=image)
    if fault:
        wait_for(sim, lambda: _waiting_reason(stored_pod(sim, "p")) is not None, state)
    else:
        wait_for(sim, lambda: is_ready(stored_pod(sim, "p")), state)
    forward = portforward(
        core.connect_get_namespaced_pod_portforward, "p", "default", ports=str(port)
    )
    sock = forward.socket(port)
    sock.settimeout(30)
    assert read_to_end(sock) == b""
    assert REFUSED.match(forward.error(port)), forward.error(port)


def _waiting_reason(pod: dict[str, Any] | None) -> str | None:
    for status in ((pod or {}).get("status") or {}).get("containerStatuses") or ():
        reason = (status.get("state") or {}).get("waiting", {}).get("reason")
        if reason in ("CrashLoopBackOff", "ErrImagePull", "ImagePullBackOff"):
            return str(reason)
    return None


def test_python_client_a_running_but_unready_container_refuses(sim, core) -> None:
    sim.timing.ready_delay = 3600  # started, never Ready: nothing listens yet
    make_pod(sim, core, "slow")
    wait_for(
        sim,
        lambda: (stored_pod(sim, "slow") or {}).get("status", {}).get("phase") == "Running",
        "slow Running",
    )
    forward = portforward(
        core.connect_get_namespaced_pod_portforward, "slow", "default", ports="80"
    )
    sock = forward.socket(80)
    sock.settimeout(30)
    assert read_to_end(sock) == b""
    assert REFUSED.match(forward.error(80))


def test_python_client_stream_ends_when_the_pod_is_deleted(sim, core, wordpress) -> None:
    forward = portforward(core.connect_get_namespaced_pod_portforward, "wp", "default", ports="80")
    sock = forward.socket(80)
    sock.settimeout(30)
    sock.sendall(request("/", "shop1.localhost"))  # keep-alive: the container keeps it open
    assert read_response(sock).startswith(b"HTTP/1.1 200 OK")
    core.delete_namespaced_pod("wp", "default", grace_period_seconds=0)
    assert read_to_end(sock) == b""  # the stream closes with the container
    assert forward.error(80) is None


def test_python_client_several_ports_each_get_their_channels(sim, core) -> None:
    core.create_namespaced_pod(
        "default",
        {
            "metadata": {"name": "two"},
            "spec": {
                "containers": [
                    {"name": "wordpress", "image": WORDPRESS, "ports": [{"containerPort": 80}]},
                    {"name": "db", "image": "mariadb:11.8.9", "ports": [{"containerPort": 3306}]},
                ]
            },
        },
    )
    wait_for(sim, lambda: is_ready(stored_pod(sim, "two")), "pod two Ready")
    forward = portforward(
        core.connect_get_namespaced_pod_portforward, "two", "default", ports="80,3306"
    )
    for port, marker in ((80, b"WooCommerce"), (3306, b"Simulated container")):
        sock = forward.socket(port)
        sock.settimeout(30)
        sock.sendall(request("/", "localhost"))
        page = read_response(sock)
        assert marker in page
        assert f"<dd>{port}</dd>".encode() in page


def handshake(sim, path: str, protocol: str = "v4.channel.k8s.io") -> http.client.HTTPResponse:
    """A raw WebSocket opening request, as the Python client sends it."""
    conn = http.client.HTTPConnection("127.0.0.1", sim.port, timeout=30)
    conn.request(
        "GET",
        path,
        headers={
            "Connection": "Upgrade",
            "Upgrade": "websocket",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
            "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Protocol": protocol,
        },
    )
    return conn.getresponse()


@pytest.mark.parametrize(
    ("denied", "message"),
    [
        (
            "get",
            'pods "wp" is forbidden: User "kubernetes-admin" cannot get resource '
            '"pods/portforward" in API group "" in the namespace "default"',
        ),
        # 1.35's AuthorizePodWebsocketUpgradeCreatePermission: RBAC gives no reason.
        ("create", 'pods "wp" is forbidden: '),
    ],
)
def test_rbac_denial_is_a_403_status(sim, core, wordpress, denied: str, message: str) -> None:
    sim.faults.deny(denied, "pods/portforward", "default")
    answer = handshake(sim, "/api/v1/namespaces/default/pods/wp/portforward?ports=80")
    assert answer.status == 403
    status = json.loads(answer.read())
    assert status["kind"] == "Status"
    assert status["reason"] == "Forbidden"
    assert status["message"] == message
    with pytest.raises(ApiException) as refused:
        portforward(core.connect_get_namespaced_pod_portforward, "wp", "default", ports="80")
    assert "403 Forbidden" in str(refused.value)


def test_a_denial_of_pods_alone_leaves_port_forward_alone(sim, core, wordpress) -> None:
    sim.faults.deny("create", "pods", "default")  # RBAC grants pods/portforward separately
    forward = portforward(core.connect_get_namespaced_pod_portforward, "wp", "default", ports="80")
    sock = forward.socket(80)
    sock.settimeout(30)
    sock.sendall(request("/", "localhost", close=True))
    assert b"200 OK" in read_to_end(sock)


def test_checks_before_the_upgrade_answer_as_the_server_does(sim, core, wordpress) -> None:
    missing = handshake(sim, "/api/v1/namespaces/default/pods/nope/portforward?ports=80")
    assert missing.status == 404
    assert b'pods \\"nope\\" not found' in missing.read()
    no_port = handshake(sim, "/api/v1/namespaces/default/pods/wp/portforward")
    assert (no_port.status, no_port.read()) == (400, b'query parameter "port" is required')
    only_v5 = handshake(
        sim, "/api/v1/namespaces/default/pods/wp/portforward?ports=80", protocol="v5.channel.k8s.io"
    )
    assert only_v5.status == 403  # the kubelet speaks v4 (and base64, and none) only


def test_a_pod_that_ran_to_completion_is_not_found_by_the_kubelet(sim, core) -> None:
    core.create_namespaced_pod(
        "default",
        {
            "metadata": {"name": "done"},
            "spec": {
                "restartPolicy": "Never",
                "containers": [{"name": "c", "image": "busybox", "ports": [{"containerPort": 80}]}],
            },
        },
    )
    wait_for(
        sim,
        lambda: (stored_pod(sim, "done") or {}).get("status", {}).get("phase") == "Succeeded",
        "pod done Succeeded",
    )
    answer = handshake(sim, "/api/v1/namespaces/default/pods/done/portforward?ports=80")
    assert (answer.status, answer.read()) == (500, b'pod not found ("done_default")')


# -- kubectl -----------------------------------------------------------------------------------


class KubectlForward:
    """`kubectl port-forward` running against the simulator; `port` is its local port."""

    def __init__(self, process: subprocess.Popen[str], port: int) -> None:
        self.process, self.port = process, port

    def connect(self) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=30)
        return sock

    def finish(self, timeout: float = 60) -> tuple[int, str]:
        """Wait for kubectl to exit on its own: (exit code, stderr)."""
        _, err = self.process.communicate(timeout=timeout)
        return self.process.returncode, err


@contextmanager
def kubectl_forward(
    kubectl: Path, sim, pod: str, remote: int = 80, websockets: bool = True
) -> Iterator[KubectlForward]:
    env = dict(os.environ)
    if not websockets:
        env["KUBECTL_PORT_FORWARD_WEBSOCKETS"] = "false"
    argv = [str(kubectl), "--kubeconfig", str(sim.kubeconfig), "--context", sim.context]
    argv += ["port-forward", f"pod/{pod}", f":{remote}"]
    process = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        ready, _, _ = select.select([process.stdout], [], [], 60)
        assert ready, "kubectl port-forward printed nothing within 60 s"
        line = process.stdout.readline()  # type: ignore[union-attr]
        found = re.match(r"Forwarding from 127\.0\.0\.1:(\d+) -> " + str(remote), line)
        assert found, f"unexpected kubectl output {line!r}"
        yield KubectlForward(process, int(found.group(1)))
    finally:
        if process.poll() is None:
            process.terminate()
            process.communicate(timeout=30)


KUBECTLS = [
    pytest.param("1.32", True, id="kubectl-1.32-websocket"),
    pytest.param("1.35", True, id="kubectl-1.35-websocket"),
    pytest.param("1.35", False, id="kubectl-1.35-spdy"),
]


def kubectl_of(version: str) -> Path:
    return KUBECTL_132 if version == "1.32" else helm_binary("4").kubectl


@pytest.mark.parametrize(("version", "websockets"), KUBECTLS)
def test_kubectl_port_forward_reaches_the_simulated_page(
    sim, core, wordpress, version: str, websockets: bool
) -> None:
    with kubectl_forward(kubectl_of(version), sim, "wp", websockets=websockets) as forward:
        for path, marker in (
            ("/", b"WooCommerce 11.0.0 (Storedesk simulator)"),
            ("/wp-json/wc/store/v1/products", b"not for sale"),
        ):
            sock = forward.connect()
            sock.sendall(request(path, "shop1.localhost", close=True))
            assert marker in read_to_end(sock)
            sock.close()
    counts = sim.request_counts()
    path = "/api/v1/namespaces/default/pods/wp/portforward"
    # WebSockets on: SPDY tunnelled in a WebSocket (GET); off: the SPDY upgrade (POST).
    assert (counts[f"GET {path}"], counts[f"POST {path}"]) == ((1, 0) if websockets else (0, 1))


@pytest.mark.parametrize(("version", "websockets"), KUBECTLS)
def test_kubectl_stream_ends_when_the_pod_is_deleted(
    sim, core, wordpress, version: str, websockets: bool
) -> None:
    with kubectl_forward(kubectl_of(version), sim, "wp", websockets=websockets) as forward:
        sock = forward.connect()
        sock.sendall(request("/", "shop1.localhost"))
        assert read_response(sock).startswith(b"HTTP/1.1 200 OK")
        core.delete_namespaced_pod("wp", "default", grace_period_seconds=0)
        assert read_to_end(sock) == b""
        # The next connection finds no sandbox: kubectl reports it and gives up.
        retry = forward.connect()
        retry.sendall(request("/", "shop1.localhost"))
        assert read_to_end(retry) == b""
        code, err = forward.finish()
    assert code == 1
    assert "an error occurred forwarding" in err
    assert 'failed to find sandbox \\"' in err  # klog escapes the quotes
    assert "lost connection to pod" in err


@pytest.mark.parametrize("version", ["1.32", "1.35"])
def test_kubectl_crash_looping_pod_refuses_on_the_error_stream(sim, core, version: str) -> None:
    sim.faults.fail_image("crash:*", "CrashLoopBackOff")
    make_pod(sim, core, "crashy", image="crash:1")
    wait_for(sim, lambda: _waiting_reason(stored_pod(sim, "crashy")) is not None, "crash loop")
    with kubectl_forward(kubectl_of(version), sim, "crashy") as forward:
        sock = forward.connect()
        sock.sendall(request("/", "localhost"))
        assert read_to_end(sock) == b""
        code, err = forward.finish()
    assert code == 1
    found = re.search(r'err="an error occurred forwarding \d+ -> 80: (.*)"\n', err)
    assert found, err
    assert REFUSED.match(found.group(1).replace('\\"', '"'))
    assert err.endswith("error: lost connection to pod\n")


@pytest.mark.parametrize("version", ["1.32", "1.35"])
def test_kubectl_rbac_denial(sim, core, wordpress, version: str) -> None:
    sim.faults.deny("create", "pods/portforward")
    argv = [str(kubectl_of(version)), "--kubeconfig", str(sim.kubeconfig)]
    argv += ["--context", sim.context, "port-forward", "pod/wp", ":80"]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 1
    # The WebSocket is refused (403), kubectl falls back to SPDY, which is refused too.
    assert result.stderr == (
        'error: error upgrading connection: pods "wp" is forbidden: User "kubernetes-admin" '
        'cannot create resource "pods/portforward" in API group "" in the namespace "default"\n'
    )


BULK = 5_000_000  # bytes: many frames, 64-bit WebSocket lengths, SPDY DATA in chunks


def test_python_client_carries_a_large_body(sim, core, wordpress) -> None:
    forward = portforward(core.connect_get_namespaced_pod_portforward, "wp", "default", ports="80")
    sock = forward.socket(80)
    sock.settimeout(30)
    sock.sendall(request(f"/.storedesk-sim/bytes/{BULK}", "localhost", close=True))
    head, _, body = read_to_end(sock).partition(b"\r\n\r\n")
    assert f"Content-Length: {BULK}".encode() in head
    assert body == bytes(BULK)


@pytest.mark.parametrize(("version", "websockets"), KUBECTLS[1:])
def test_kubectl_carries_a_large_body(sim, core, wordpress, version: str, websockets: bool) -> None:
    with kubectl_forward(kubectl_of(version), sim, "wp", websockets=websockets) as forward:
        sock = forward.connect()
        sock.sendall(request(f"/.storedesk-sim/bytes/{BULK}", "localhost", close=True))
        head, _, body = read_to_end(sock).partition(b"\r\n\r\n")
    assert f"Content-Length: {BULK}".encode() in head
    assert body == bytes(BULK)


@pytest.mark.parametrize("version", ["1.32", "1.35"])
def test_kubectl_auth_can_i_sees_the_port_forward_denial(sim, version: str) -> None:
    sim.faults.deny("create", "pods/portforward", "default")
    argv = [str(kubectl_of(version)), "--kubeconfig", str(sim.kubeconfig), "--context"]
    argv += [sim.context, "auth", "can-i", "-n", "default", "create"]
    asked = {
        " ".join(what): subprocess.run(
            [*argv, *what], capture_output=True, text=True, timeout=60, check=False
        ).stdout
        for what in (["pods", "--subresource=portforward"], ["pods"])
    }
    assert asked == {"pods --subresource=portforward": "no\n", "pods": "yes\n"}
