"""An API server that answers badly (drops the connection mid-body, or answers with
something that is not JSON) is reported in Storedesk's own words, never as a raw error."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from storedesk.cluster.kube import KubeClient
from storedesk.cluster.kubeconfig import resolve_target
from storedesk.errors import ClusterUnreachable, OperationFailed
from tests.integration.cluster.kube_support import run_cli

CUT_SHORT = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n"
    b'{"major": "1", "minor": '
)
NOT_JSON = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 9\r\n"
    b"Connection: close\r\n\r\nnot json\n"
)


@pytest.fixture
def answering() -> Iterator[Callable[[bytes], str]]:
    """answering(reply) -> the http URL of a server that sends `reply` to every request."""
    sockets: list[socket.socket] = []

    def serve(reply: bytes) -> str:
        server = socket.create_server(("127.0.0.1", 0))
        sockets.append(server)

        def loop() -> None:
            while True:
                try:
                    conn, _ = server.accept()
                except OSError:
                    return  # closed at the end of the test
                with conn:
                    conn.recv(65536)
                    conn.sendall(reply)

        threading.Thread(target=loop, daemon=True).start()
        return f"http://127.0.0.1:{server.getsockname()[1]}"

    yield serve
    for server in sockets:
        server.close()


def client_for(write_kubeconfig, url: str) -> KubeClient:
    path: Path = write_kubeconfig("config", {"bad": "bad"}, {"bad": url}, current="bad")
    return KubeClient(resolve_target(str(path), "bad", {}))


def test_a_connection_dropped_mid_answer_reads_as_unreachable(write_kubeconfig, answering):
    client = client_for(write_kubeconfig, answering(CUT_SHORT))
    with pytest.raises(ClusterUnreachable, match="cannot reach the cluster of context 'bad'"):
        client.version()


def test_an_answer_that_is_not_json_is_a_failed_operation(write_kubeconfig, answering):
    client = client_for(write_kubeconfig, answering(NOT_JSON))
    with pytest.raises(OperationFailed, match="the cluster's answer is not JSON"):
        client.version()


def html_reply(status: str, page: bytes, content_type: bytes = b"text/html") -> bytes:
    head = f"HTTP/1.1 {status}\r\nContent-Length: {len(page)}\r\nConnection: close\r\n"
    return head.encode() + b"Content-Type: " + content_type + b"\r\n\r\n" + page


PORTAL = b"<!DOCTYPE html>\n<html><head><title>Sign in &amp;\n  continue</title></head></html>"


@pytest.mark.parametrize(
    "reply",
    [
        html_reply("200 OK", PORTAL),
        html_reply("403 Forbidden", PORTAL),
        html_reply("503 Service Unavailable", PORTAL),
        html_reply("200 OK", PORTAL, content_type=b"application/json"),  # sniffed
    ],
    ids=["200", "403", "503", "mislabelled"],
)
def test_an_html_page_means_the_server_is_not_the_api(write_kubeconfig, answering, reply):
    client = client_for(write_kubeconfig, answering(reply))
    with pytest.raises(ClusterUnreachable) as caught:
        client.version()
    message = str(caught.value)
    assert "answered with an HTML page, not the Kubernetes API" in message
    assert "Sign in & continue" in message  # the page's title, on one line
    assert "\n" not in message and "<html" not in message


def test_a_multi_line_server_message_is_told_on_one_line(write_kubeconfig, answering):
    body = b'{"kind": "Status", "message": "first line\\nsecond line"}'
    reply = (
        b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
        + body
    )
    client = client_for(write_kubeconfig, answering(reply))
    with pytest.raises(OperationFailed, match=r"failed \(500\): first line second line$"):
        client.version()


def test_the_cli_reports_an_html_page_as_a_cluster_problem(write_kubeconfig, answering, tmp_path):
    url = answering(html_reply("200 OK", PORTAL))
    kubeconfig = write_kubeconfig("config", {"bad": "bad"}, {"bad": url}, current="bad")
    done = run_cli(kubeconfig, "bad", "list", data_dir=tmp_path / "data", timeout=60)
    assert done.returncode == 3, done.stderr
    assert done.stderr.startswith(
        f"storedesk: the server at {url} answered with an HTML page, not the Kubernetes API "
        "(HTTP 200: Sign in & continue)"
    )
    assert done.stderr.count("\n") == 1
