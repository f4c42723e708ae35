"""A cluster that does not answer, through the CLI: requests are not retried behind the
user's back, so a silent server is reported within the stated timeout (not four times
it), and an outage prints one line, without urllib3's "Retrying" warnings."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from storedesk.cluster.kube import KubeClient
from storedesk.cluster.kubeconfig import resolve_target
from storedesk.errors import ClusterUnreachable
from tests.integration.cluster.kube_support import run_cli

REQUEST_TIMEOUT = 10  # KubeClient's default, what `list` waits for one answer
# Generous, but under the 4 x 10 s that urllib3's default retries took.
BOUND = 2.5 * REQUEST_TIMEOUT

pytestmark = pytest.mark.timeout(BOUND + 60)


@pytest.fixture
def silent_server() -> Iterator[tuple[str, list[socket.socket]]]:
    """(http URL, connections accepted) of a server that never answers."""
    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return  # closed at the end of the test
            held.append(conn)  # kept open, never read or answered

    threading.Thread(target=accept, daemon=True).start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}", held
    server.close()
    for conn in held:
        conn.close()


def kubeconfig_for(write_kubeconfig, url: str) -> Path:
    return write_kubeconfig("config", {"quiet": "quiet"}, {"quiet": url}, current="quiet")


def test_a_silent_server_is_reported_within_the_stated_timeout(
    write_kubeconfig, silent_server, tmp_path: Path
) -> None:
    url, _ = silent_server
    kubeconfig = kubeconfig_for(write_kubeconfig, url)
    done = run_cli(kubeconfig, "quiet", "list", data_dir=tmp_path / "data", timeout=BOUND)
    assert done.returncode == 3, done.stderr
    assert done.stderr.startswith(
        f"storedesk: the cluster of context 'quiet' at {url} did not answer within "
        f"{REQUEST_TIMEOUT}s (check that the cluster is running and reachable"
    )
    assert done.stderr.count("\n") == 1 and "Retrying" not in done.stderr


def test_a_request_is_sent_once_not_retried(write_kubeconfig, silent_server) -> None:
    url, accepted = silent_server
    target = resolve_target(str(kubeconfig_for(write_kubeconfig, url)), None, {})
    client = KubeClient(target, request_timeout=2)
    with pytest.raises(ClusterUnreachable, match="did not answer within 2s"):
        client.request("GET", "/api/v1/namespaces")
    assert len(accepted) == 1


def test_an_outage_prints_one_line_and_no_retry_warnings(
    write_kubeconfig, closed_server, tmp_path: Path
) -> None:
    kubeconfig = kubeconfig_for(write_kubeconfig, closed_server())
    done = run_cli(kubeconfig, "quiet", "list", data_dir=tmp_path / "data", timeout=BOUND)
    assert done.returncode == 3, done.stderr
    assert "Retrying" not in done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert "cannot reach the cluster of context 'quiet'" in done.stderr
    assert "connection refused" in done.stderr


def test_an_outage_logs_no_retries(write_kubeconfig, closed_server, caplog) -> None:
    # The window logs warnings: each silent retry used to add a "Retrying (...)" record.
    target = resolve_target(str(kubeconfig_for(write_kubeconfig, closed_server())), None, {})
    with caplog.at_level(logging.DEBUG), pytest.raises(ClusterUnreachable):
        KubeClient(target).request("GET", "/api/v1/namespaces")
    assert [r.getMessage() for r in caplog.records if "Retrying" in r.getMessage()] == []
