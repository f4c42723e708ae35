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

CUT_SHORT = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n"
    b'{"major": "1", "minor": '
)
NOT_JSON = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 21\r\n"
    b"Connection: close\r\n\r\n<html>a proxy</html>\n"
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
