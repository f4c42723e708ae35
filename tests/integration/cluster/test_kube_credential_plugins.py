"""Kubeconfig credential plugins (`exec`), through the CLI against the simulator: one that
hangs is stopped within its timeout, and one that fails, is missing or prints garbage is
named with its cause (exit 3, one line, no raw logging), never read as a cluster problem."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from storedesk.cluster.kube import KubeClient
from storedesk.cluster.kube_auth import PLUGIN_TIMEOUT, PluginProblem, new_api_client
from storedesk.cluster.kubeconfig import resolve_target
from tests.integration.cluster.kube_support import (
    EXEC_API,
    alive,
    credential,
    run_cli,
    write_exec_kubeconfig,
    write_script,
)

pytestmark = pytest.mark.timeout(PLUGIN_TIMEOUT + 120)


def assert_one_clean_line(stderr: str) -> str:
    """The CLI's error: one line, none of the client's logging or urllib3's warnings."""
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "ERROR:root" not in stderr and "Retrying" not in stderr
    assert "Traceback" not in stderr
    return lines[0]


def test_a_hanging_plugin_is_stopped_within_its_timeout(sim, tmp_path: Path) -> None:
    child_pid = tmp_path / "child.pid"
    plugin = write_script(
        tmp_path / "hanging-plugin", f"sleep 1000 &\necho $! > {child_pid}\nwait\n"
    )
    kubeconfig = write_exec_kubeconfig(tmp_path / "config", sim.url, str(plugin))
    done = run_cli(kubeconfig, "plugged", "list", data_dir=tmp_path, timeout=PLUGIN_TIMEOUT + 60)
    assert done.returncode == 3, done.stderr
    line = assert_one_clean_line(done.stderr)
    assert f"the credential plugin '{plugin}' of context 'plugged'" in line
    assert f"did not answer within {PLUGIN_TIMEOUT:g}s and was stopped" in line
    assert not alive(int(child_pid.read_text())), "the plugin's child outlived it"


@pytest.mark.parametrize(
    ("body", "cause"),
    [
        (
            "echo 'getting a token...' >&2\necho 'error: your session expired' >&2\nexit 1\n",
            "failed (exit status 1): error: your session expired",
        ),
        (
            "echo 'hello, I am not JSON'\n",
            "printed no valid ExecCredential: its output is not JSON",
        ),
        (
            "echo '" + credential("t", api="client.authentication.k8s.io/v1") + "'\n",
            "printed no valid ExecCredential: its apiVersion is "
            "'client.authentication.k8s.io/v1', the kubeconfig asks for "
            "'client.authentication.k8s.io/v1beta1'",
        ),
        ("kill -9 $$\n", "was killed by signal 9"),
    ],
    ids=["exits-1", "garbage", "wrong-api-version", "killed"],
)
def test_a_failing_plugin_is_named_with_its_cause(sim, tmp_path: Path, body, cause) -> None:
    plugin = write_script(tmp_path / "cloud-login", body)
    kubeconfig = write_exec_kubeconfig(tmp_path / "config", sim.url, str(plugin))
    done = run_cli(kubeconfig, "plugged", "list", data_dir=tmp_path, timeout=60)
    assert done.returncode == 3, done.stderr
    line = assert_one_clean_line(done.stderr)
    assert f"storedesk: the credential plugin '{plugin}' of context 'plugged' {cause}" in line


@pytest.mark.parametrize("where", ["on-path", "as-a-path"])
def test_a_missing_plugin_is_named(sim, tmp_path: Path, where: str) -> None:
    command = "storedesk-test-no-such-plugin" if where == "on-path" else str(tmp_path / "nope")
    kubeconfig = write_exec_kubeconfig(tmp_path / "config", sim.url, command)
    done = run_cli(kubeconfig, "plugged", "list", data_dir=tmp_path, timeout=60)
    assert done.returncode == 3, done.stderr
    line = assert_one_clean_line(done.stderr)
    assert f"the credential plugin '{command}' of context 'plugged' was not found" in line


def test_a_failing_plugin_is_not_read_as_an_outage(closed_server, tmp_path: Path) -> None:
    # The client used to log the plugin's error, carry on without credentials, and report
    # the cluster's answer (here: connection refused) with urllib3's retry warnings.
    plugin = write_script(tmp_path / "sso-login", "echo 'token expired' >&2\nexit 1\n")
    kubeconfig = write_exec_kubeconfig(tmp_path / "config", closed_server(), str(plugin))
    done = run_cli(kubeconfig, "plugged", "list", data_dir=tmp_path, timeout=60)
    assert done.returncode == 3, done.stderr
    line = assert_one_clean_line(done.stderr)
    assert f"'{plugin}' of context 'plugged' failed (exit status 1): token expired" in line
    assert "connection refused" not in line


def test_a_working_plugin_lets_the_cli_in(sim, tmp_path: Path) -> None:
    plugin = write_script(tmp_path / "good-plugin", f"echo '{credential('sesame')}'\n")
    kubeconfig = write_exec_kubeconfig(tmp_path / "config", sim.url, str(plugin))
    done = run_cli(kubeconfig, "plugged", "list", "-o", "json", data_dir=tmp_path, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"context": "plugged", "stores": []}
    assert done.stderr == ""


# -- the token reaches the server, and is renewed when it expires --------------------------


@pytest.fixture
def version_server() -> Iterator[tuple[str, list[str]]]:
    """(URL, Authorization headers seen) of a server answering GET /version."""
    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.headers.get("Authorization", ""))
            body = b'{"major": "1", "minor": "35", "gitVersion": "v1.35.0"}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()


def test_an_expired_token_is_renewed_and_a_failed_renewal_named(tmp_path, version_server):
    url, seen = version_server
    count, broken = tmp_path / "count", tmp_path / "broken"
    # Each run prints a new token that has already expired, so every request renews it.
    expired = credential("token-$n", expires="2000-01-01T00:00:00Z")
    plugin = write_script(
        tmp_path / "renewing-plugin",
        f"[ -e {broken} ] && {{ echo 'login required' >&2; exit 2; }}\n"
        f"n=$(( $(cat {count} 2>/dev/null || echo 0) + 1 )); echo $n > {count}\n"
        f"cat <<EOF\n{expired}\nEOF\n",  # the here-document fills in $n
    )
    kubeconfig = write_exec_kubeconfig(tmp_path / "config", url, str(plugin))
    client = KubeClient(resolve_target(str(kubeconfig), "plugged", {}))
    client.version()
    assert seen == ["Bearer token-2"]  # run once to build the client, once to renew
    broken.touch()
    with pytest.raises(PluginProblem, match=r"failed \(exit status 2\): login required"):
        client.version()
    assert seen == ["Bearer token-2"]  # nothing was sent without credentials


def test_a_client_certificate_from_the_plugin_is_used(tmp_path: Path) -> None:
    answer = json.dumps(
        {
            "apiVersion": EXEC_API,
            "kind": "ExecCredential",
            "status": {"clientCertificateData": "CERT PEM", "clientKeyData": "KEY PEM"},
        }
    )
    plugin = write_script(tmp_path / "cert-plugin", f"echo '{answer}'\n")
    kubeconfig = write_exec_kubeconfig(tmp_path / "config", "http://127.0.0.1:1", str(plugin))
    configuration = new_api_client(resolve_target(str(kubeconfig), None, {})).configuration
    assert Path(configuration.cert_file).read_text() == "CERT PEM"
    assert Path(configuration.key_file).read_text() == "KEY PEM"
    assert configuration.retries is False
