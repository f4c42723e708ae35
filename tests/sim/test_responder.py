"""What a simulated container answers on its ports, read with real clients: Python's
http.client over the kubernetes client's port-forward. Honest pages, the markers the
reachability check looks for, and no shop: a checkout (POST) answers 501."""

from __future__ import annotations

import http.client
import json
from typing import Any

import pytest
from kubernetes import client, config
from kubernetes.stream import portforward

from tests.sim.test_portforward import is_ready, stored_pod, wait_for

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def core(sim) -> client.CoreV1Api:
    """A CoreV1Api bound to the simulator."""
    api_client = config.new_client_from_config(config_file=str(sim.kubeconfig), context=sim.context)
    return client.CoreV1Api(api_client)


def run_pod(sim, core, name: str, container: dict[str, Any], labels: dict[str, str]) -> None:
    core.create_namespaced_pod(
        "default",
        {"metadata": {"name": name, "labels": labels}, "spec": {"containers": [container]}},
    )
    wait_for(sim, lambda: is_ready(stored_pod(sim, name)), f"pod {name} Ready")


def http_to(core, pod: str, port: int) -> http.client.HTTPConnection:
    """An HTTP client whose connection is a port-forward to `pod`:`port`."""
    forward = portforward(
        core.connect_get_namespaced_pod_portforward, pod, "default", ports=str(port)
    )
    conn = http.client.HTTPConnection("localhost", port, timeout=30)
    conn.sock = forward.socket(port)
    conn.sock.settimeout(30)
    return conn


def get(
    conn: http.client.HTTPConnection, path: str, host: str = "shop1.localhost"
) -> tuple[int, str, bytes]:
    conn.request("GET", path, headers={"Host": host})
    answer = conn.getresponse()
    return answer.status, answer.getheader("Content-Type") or "", answer.read()


@pytest.fixture
def wordpress(sim, core) -> http.client.HTTPConnection:
    run_pod(
        sim,
        core,
        "wp",
        {
            "name": "wordpress",
            "image": "docker.io/library/wordpress:7.1.1-php8.3-apache@sha256:" + "5" * 64,
            "ports": [{"name": "http", "containerPort": 80}],
        },
        {"storedesk.io/store": "shop1", "storedesk.io/engine": "woocommerce"},
    )
    return http_to(core, "wp", 80)


def test_wordpress_page_says_it_is_simulated_and_carries_the_generator(wordpress) -> None:
    status, kind, page = get(wordpress, "/", host="shop1.localhost:8080")
    assert (status, kind) == (200, "text/html; charset=UTF-8")
    text = page.decode()
    assert '<meta name="generator" content="WooCommerce 11.0.0 (Storedesk simulator)" />' in text
    assert "this is not a shop" in text and "Nothing can be bought here" in text
    for shown in ("shop1", "woocommerce", "default/wp", "wordpress", "shop1.localhost:8080"):
        assert f"<dd>{shown}</dd>" in text


def test_wordpress_store_api_lists_one_simulated_product(wordpress) -> None:
    status, kind, body = get(wordpress, "/wp-json/wc/store/v1/products")
    assert (status, kind) == (200, "application/json; charset=UTF-8")
    (product,) = json.loads(body)
    assert product["name"] == "Simulated product (Storedesk simulator: not for sale)"
    assert product["is_purchasable"] is False
    status, _, body = get(wordpress, "/wp-json/wc/store/v1/nothing-here")
    assert status == 404
    assert json.loads(body)["code"] == "rest_no_route"


def test_a_checkout_is_never_faked(wordpress) -> None:
    wordpress.request(
        "POST",
        "/wp-json/wc/store/v1/checkout",
        body=json.dumps({"payment_method": "cod"}),
        headers={"Host": "shop1.localhost", "Content-Type": "application/json"},
    )
    answer = wordpress.getresponse()
    assert (answer.status, answer.read()) == (501, b"the simulator runs no shop\n")
    # The connection stays usable: the body was read, the next request parses.
    assert get(wordpress, "/")[0] == 200


def test_head_sends_headers_only(wordpress) -> None:
    wordpress.request("HEAD", "/", headers={"Host": "shop1.localhost"})
    answer = wordpress.getresponse()
    assert answer.status == 200
    assert int(answer.getheader("Content-Length") or 0) > 0
    assert answer.getheader("X-Storedesk-Simulated") == "true"
    assert answer.read() == b""


def test_medusa_server_answers_health_and_store_products(sim, core) -> None:
    app = "/data/app"
    run_pod(
        sim,
        core,
        "medusa",
        {
            "name": "medusa",
            "image": "docker.io/library/node:24.19.0-bookworm-slim",
            "command": [f"{app}/node_modules/.bin/medusa", "start"],
            "ports": [{"name": "http", "containerPort": 9000}],
        },
        {"storedesk.io/store": "shop2", "storedesk.io/engine": "medusa"},
    )
    conn = http_to(core, "medusa", 9000)
    assert get(conn, "/health") == (200, "text/plain; charset=utf-8", b"OK")
    status, _, body = get(conn, "/store/products")
    assert status == 200
    assert json.loads(body)["products"][0]["title"].startswith("Simulated product")
    status, _, page = get(conn, "/app")
    assert status == 200
    assert b"<dd>shop2</dd>" in page and b"WooCommerce" not in page


def test_any_other_container_gets_a_plain_simulated_page(sim, core) -> None:
    run_pod(
        sim,
        core,
        "db",
        {"name": "mariadb", "image": "mariadb:11.8.9", "ports": [{"containerPort": 3306}]},
        {},
    )
    status, _, page = get(http_to(core, "db", 3306), "/", host="localhost")
    assert status == 200
    assert b"Simulated container: this is not a shop" in page
    assert b"generator" not in page
    assert b"<dd>(not a Storedesk store)</dd>" in page


def test_the_wordpress_cli_image_is_not_a_store(sim, core) -> None:
    run_pod(
        sim,
        core,
        "cli",
        {"name": "cli", "image": "wordpress:cli-2.12.0-php8.3", "ports": [{"containerPort": 80}]},
        {},
    )
    assert b"generator" not in get(http_to(core, "cli", 80), "/")[2]
