"""The simulator as its own ingress controller, driven by real clients: kubectl applies
Deployments, Services and Ingresses, helm 4 installs the WooCommerce chart, and Python's
http.client asks by Host. It routes by Host and path, 404s unknown hosts, 503s a Service
without a ready pod, publishes its port on its IngressClass, and listens on 127.0.0.1
only (read from the process's listening sockets)."""

from __future__ import annotations

import http.client
import json
import queue
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from kubernetes import client, config
from kubernetes.stream import portforward

from tests.support import ROOT, helm_binary, run_tool

pytestmark = pytest.mark.timeout(180)

STORE = """
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, namespace: default}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}, storedesk.io/store: {name}}}}}
    spec:
      containers:
        - name: wordpress
          image: {image}
          ports: [{{name: http, containerPort: 80}}]
---
apiVersion: v1
kind: Service
metadata: {{name: {name}, namespace: default}}
spec:
  selector: {{app: {name}}}
  ports: [{{name: http, port: 80, targetPort: http}}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {{name: {name}, namespace: default}}
spec:
  {class_line}
  rules:
    - host: {name}.localhost
      http:
        paths:
          - path: /
            pathType: Prefix
            backend: {{service: {{name: {name}, port: {{number: 80}}}}}}
"""


@pytest.fixture
def sim() -> Iterator:
    """A simulated cluster that is also its own ingress controller (on a free port)."""
    from storedesk.sim import Simulator

    with Simulator(ready_delay=0.3, ingress_port=0) as running:
        yield running


def apply_store(
    sim,
    kubectl: Path,
    name: str,
    replicas: int = 1,
    image: str = "wordpress:7.1.1-php8.3-apache",
    ingress_class: str | None = None,
) -> None:
    class_line = f"ingressClassName: {ingress_class}" if ingress_class else ""
    manifest = STORE.format(name=name, replicas=replicas, image=image, class_line=class_line)
    run_tool(kubectl, sim, "apply", "-f", "-", input=manifest)
    if replicas and image.startswith("wordpress"):
        run_tool(kubectl, sim, "rollout", "status", f"deployment/{name}", "--timeout=60s")


def ask(sim, host: str, path: str = "/", method: str = "GET") -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", sim.ingress.port, timeout=30)
    conn.request(method, path, headers={"Host": host})
    answer = conn.getresponse()
    return answer.status, answer.read()


def test_routes_by_host_to_each_store(sim, kubectl) -> None:
    apply_store(sim, kubectl, "alpha")
    apply_store(sim, kubectl, "beta", replicas=2)
    port = sim.ingress.port
    for store in ("alpha", "beta"):
        status, page = ask(sim, f"{store}.localhost:{port}")
        assert status == 200
        assert b'content="WooCommerce 11.0.0 (Storedesk simulator)"' in page
        assert f"<dd>{store}</dd>".encode() in page
        assert f"<dd>{store}.localhost:{port}</dd>".encode() in page
    status, body = ask(sim, "alpha.localhost", "/wp-json/wc/store/v1/products")
    assert status == 200
    assert json.loads(body)[0]["is_purchasable"] is False
    assert ask(sim, "alpha.localhost", "/?wc-ajax=checkout", method="POST")[0] == 501


def test_unknown_host_gets_the_default_backend_404(sim, kubectl) -> None:
    apply_store(sim, kubectl, "alpha")
    status, page = ask(sim, "nobody.localhost")
    assert status == 404
    assert b"<title>404 Not Found</title>" in page


def test_a_service_without_a_ready_pod_answers_503(sim, kubectl) -> None:
    apply_store(sim, kubectl, "empty", replicas=0)
    assert ask(sim, "empty.localhost")[0] == 503
    sim.faults.fail_image("crash:*", "CrashLoopBackOff")
    apply_store(sim, kubectl, "crashy", image="crash:1")
    status, page = ask(sim, "crashy.localhost")
    assert status == 503
    assert b"503 Service Temporarily Unavailable" in page


def test_another_class_is_not_ours(sim, kubectl) -> None:
    apply_store(sim, kubectl, "elsewhere", ingress_class="nginx")
    assert ask(sim, "elsewhere.localhost")[0] == 404
    apply_store(sim, kubectl, "ours", ingress_class="storedesk-sim")
    assert ask(sim, "ours.localhost")[0] == 200


def test_the_ingress_class_publishes_the_port_and_ingresses_the_address(sim, kubectl) -> None:
    classes = json.loads(run_tool(kubectl, sim, "get", "ingressclass", "-o", "json").stdout)
    (ours,) = classes["items"]
    assert ours["metadata"]["name"] == "storedesk-sim"
    assert ours["spec"]["controller"] == "storedesk.io/simulator"
    annotations = ours["metadata"]["annotations"]
    assert annotations["ingressclass.kubernetes.io/is-default-class"] == "true"
    assert annotations["storedesk.io/http-port"] == str(sim.ingress.port)
    apply_store(sim, kubectl, "alpha")
    run_tool(
        kubectl,
        sim,
        "wait",
        "ingress/alpha",
        "--for=jsonpath={.status.loadBalancer.ingress[0].ip}=127.0.0.1",
        "--timeout=60s",
    )


def test_without_the_flag_there_is_no_controller(kubectl) -> None:
    from storedesk.sim import Simulator

    with Simulator(ready_delay=0.3) as plain:
        assert plain.ingress is None
        listed = run_tool(kubectl, plain, "get", "ingressclass", "-o", "name").stdout
        assert listed == ""


def listening(pid: int) -> list[tuple[str, int]]:
    """(address, port) of every TCP socket process `pid` listens on."""
    return [
        (c.laddr.ip, c.laddr.port)
        for c in psutil.Process(pid).net_connections(kind="inet")
        if c.status == psutil.CONN_LISTEN
    ]


def test_listens_on_loopback_only_even_while_forwarding(sim, kubectl) -> None:
    apply_store(sim, kubectl, "alpha")
    api_client = config.new_client_from_config(config_file=str(sim.kubeconfig), context=sim.context)
    core = client.CoreV1Api(api_client)
    pod = core.list_namespaced_pod("default", label_selector="app=alpha").items[0].metadata.name
    forward = portforward(core.connect_get_namespaced_pod_portforward, pod, "default", ports="80")
    sock = forward.socket(80)
    sock.settimeout(30)
    sock.sendall(b"GET / HTTP/1.1\r\nHost: alpha.localhost\r\nConnection: close\r\n\r\n")
    assert b"200 OK" in sock.recv(65536)
    sockets = listening(psutil.Process().pid)
    assert ("127.0.0.1", sim.ingress.port) in sockets
    assert ("127.0.0.1", sim.port) in sockets
    assert all(address == "127.0.0.1" for address, _ in sockets), sockets
    forward.close()


def test_storedesk_sim_flag_starts_the_controller(tmp_path: Path) -> None:
    argv = [sys.executable, "-m", "storedesk.sim", "--kubeconfig", str(tmp_path / "kc")]
    argv += ["--ingress-port", "0", "--exit-when-stdin-closes"]
    process = subprocess.Popen(
        argv, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in process.stdout], daemon=True).start()  # type: ignore[union-attr]
    try:
        port = None
        while port is None:
            line = lines.get(timeout=60)  # storedesk sim prints its banner at once
            found = re.search(r"ingress: http://127\.0\.0\.1:(\d+) ", line)
            port = int(found.group(1)) if found else None
        assert ("127.0.0.1", port) in listening(process.pid)
        assert all(address == "127.0.0.1" for address, _ in listening(process.pid))
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", "/", headers={"Host": "nobody.localhost"})
        assert conn.getresponse().status == 404
    finally:
        process.stdin.close()  # type: ignore[union-attr]
        process.wait(timeout=60)


@pytest.mark.helm
def test_a_woocommerce_store_installed_by_helm_opens_through_the_ingress(
    sim, tmp_path: Path
) -> None:
    helm = helm_binary("4")
    values = tmp_path / "values.yaml"
    values.write_text(
        "storeName: demo\nauth:\n  adminPassword: Admin-pass-1x9\n"
        "  databasePassword: Db-pass-2y8\n  databaseRootPassword: Root-pass-3z7\n"
    )
    run_tool(
        helm.path,
        sim,
        "install",
        "demo",
        str(ROOT / "charts" / "woocommerce"),
        "--namespace",
        "store-demo",
        "--create-namespace",
        "--values",
        str(values),
        "--wait=watcher",
        "--timeout=120s",
        timeout=170,
    )
    status, page = ask(sim, f"demo.localhost:{sim.ingress.port}")
    assert status == 200
    assert b'content="WooCommerce 11.0.0 (Storedesk simulator)"' in page
    assert b"<dd>demo</dd>" in page


def test_storedesk_sim_refuses_an_ingress_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        argv = [sys.executable, "-m", "storedesk.sim", "--kubeconfig", str(tmp_path / "kc")]
        argv += ["--ingress-port", str(port)]
        result = subprocess.run(
            argv, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
        )
    assert result.returncode == 2
    assert result.stderr.startswith(f"storedesk sim: cannot listen on 127.0.0.1:{port}: ")


@pytest.mark.helm
def test_a_medusa_store_installed_by_helm_answers_health_through_the_ingress(
    sim, kubectl, tmp_path: Path
) -> None:
    from tests.chart.chartkit import NAMESPACE, PLAIN_VALUES, STORE, values_file
    from tests.chart.medusakit import CHART, SECRET_VALUES

    values = values_file(tmp_path, {**PLAIN_VALUES, **SECRET_VALUES})
    helm = helm_binary("4")
    run_tool(
        helm.path, sim, "upgrade", "--install", STORE, str(CHART), "--namespace", NAMESPACE,
        "--create-namespace", "--timeout", "2m", "--values", str(values), timeout=170,
    )  # fmt: skip
    run_tool(
        kubectl, sim, "wait", "--for=condition=Available", "deployment", "--all",
        "-n", NAMESPACE, "--timeout=60s",
    )  # fmt: skip
    assert ask(sim, f"{STORE}.localhost:{sim.ingress.port}", "/health") == (200, b"OK")
    status, page = ask(sim, f"{STORE}.localhost", "/app")
    assert status == 200
    assert f"<dd>{STORE}</dd>".encode() in page
    assert b"<dd>medusa</dd>" in page and b"WooCommerce" not in page  # the engine label
