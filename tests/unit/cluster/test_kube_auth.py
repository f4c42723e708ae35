"""Credential plugins: the kubeconfig entry and the plugin's answer are checked, and a plugin
runs with a deadline that holds even when its children keep our pipes open."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from storedesk.cluster.kube import _html_title, _is_html, _one_line, _server_message
from storedesk.cluster.kube_auth import (
    Plugin,
    PluginProblem,
    credential_status,
    plugin_from_config,
    run_plugin,
)
from storedesk.errors import KubeconfigError

API = "client.authentication.k8s.io/v1"
PLUGIN = Plugin("my-login", api_version=API)


# -- the kubeconfig's exec entry ----------------------------------------------------------


def test_an_exec_entry_becomes_a_plugin() -> None:
    plugin = plugin_from_config(
        {
            "apiVersion": API,
            "command": "aws",
            "args": ["eks", "get-token"],
            "env": [{"name": "AWS_PROFILE", "value": "shop"}],
            "provideClusterInfo": True,
        },
        context="eks",
        base_dir="/home/u/.kube",
        cluster={"server": "https://x"},
    )
    assert plugin == Plugin(
        "aws", ("eks", "get-token"), {"AWS_PROFILE": "shop"}, API, "/home/u/.kube",
        {"server": "https://x"},
    )  # fmt: skip


def test_cluster_info_goes_to_the_plugin_only_when_asked_for() -> None:
    plugin = plugin_from_config(
        {"apiVersion": API, "command": "aws"}, context="eks", cluster={"server": "https://x"}
    )
    assert plugin.cluster is None


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ("aws", "exec is not a mapping"),
        ({"apiVersion": API}, "exec.command is missing"),
        ({"apiVersion": API, "command": ["aws"]}, "exec.command is missing"),
        ({"apiVersion": API, "command": "aws", "args": "eks"}, "exec.args must be a list"),
        ({"command": "aws"}, "exec.apiVersion is missing"),
        (
            {"apiVersion": API, "command": "aws", "env": [{"name": "A"}]},
            "every exec.env entry needs a name and a value",
        ),
    ],
)
def test_a_broken_exec_entry_is_refused_before_anything_runs(entry, problem) -> None:
    with pytest.raises(KubeconfigError, match=f"context 'eks' has an invalid .*: {problem}"):
        plugin_from_config(entry, context="eks")


# -- what the plugin prints -----------------------------------------------------------------


def printed(status: object, api: str = API, kind: str = "ExecCredential") -> bytes:
    return json.dumps({"apiVersion": api, "kind": kind, "status": status}).encode()


def test_a_token_or_a_certificate_is_a_credential() -> None:
    assert credential_status(printed({"token": "t"}), PLUGIN, "c") == {"token": "t"}
    pem = {"clientCertificateData": "CERT", "clientKeyData": "KEY"}
    assert credential_status(printed(pem), PLUGIN, "c") == pem


@pytest.mark.parametrize(
    ("stdout", "problem"),
    [
        (b"", "its output is empty"),
        (b"secret-token-abc", "its output is not JSON"),
        (b"[1, 2]", "its output is not an ExecCredential object"),
        (printed({"token": "t"}, kind="Other"), "not an ExecCredential object"),
        (printed({"token": "t"}, api="v0"), "its apiVersion is 'v0', the kubeconfig asks for"),
        (printed(None), "it has no status"),
        (printed({"token": ""}), "neither a token nor a client certificate"),
        (printed({"clientCertificateData": "C"}), "neither a token nor a client certificate"),
        (printed({"token": "t", "expirationTimestamp": "soon"}), "not an RFC 3339 time"),
    ],
)
def test_anything_else_names_the_plugin_and_what_is_wrong(stdout, problem) -> None:
    with pytest.raises(PluginProblem) as caught:
        credential_status(stdout, PLUGIN, "prod")
    message = str(caught.value)
    assert message.startswith("the credential plugin 'my-login' of context 'prod' printed no")
    assert problem in message
    assert "secret-token-abc" not in message  # the output may be a token: never quoted


# -- running it -----------------------------------------------------------------------------


def script(tmp_path: Path, body: str) -> Plugin:
    path = tmp_path / "plugin"
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return Plugin(str(path), api_version=API)


def test_the_plugin_gets_its_args_env_and_exec_info(tmp_path: Path) -> None:
    info = tmp_path / "info.json"
    answer = json.dumps({"apiVersion": API, "kind": "ExecCredential", "status": {"token": "T"}})
    plugin = script(
        tmp_path,
        f'printf %s "$KUBERNETES_EXEC_INFO" > {info}\necho \'{answer}\' | sed "s/T/$SHOP-$1/"\n',
    )
    cluster = {"server": "https://x", "extensions": [{"name": "other", "extension": {}}]}
    plugin = Plugin(plugin.command, ("eu",), {"SHOP": "tok"}, API, cluster=cluster)
    assert run_plugin(plugin, "c") == {"token": "tok-eu"}
    assert json.loads(info.read_text()) == {
        "apiVersion": API,
        "kind": "ExecCredential",
        "spec": {"interactive": False, "cluster": cluster},
    }


def test_stderr_last_line_says_why_it_failed(tmp_path: Path) -> None:
    plugin = script(tmp_path, "echo working >&2\necho 'denied: MFA needed' >&2\necho\nexit 4\n")
    with pytest.raises(PluginProblem, match=r"failed \(exit status 4\): denied: MFA needed \("):
        run_plugin(plugin, "c")


def test_a_file_that_cannot_be_run_is_named(tmp_path: Path) -> None:
    path = tmp_path / "not-executable"
    path.write_text("#!/bin/sh\n")
    with pytest.raises(PluginProblem, match="not-executable' of context 'c' cannot be run: "):
        run_plugin(Plugin(str(path), api_version=API), "c")


def test_a_relative_command_is_found_beside_the_kubeconfig(tmp_path: Path) -> None:
    plugin = script(tmp_path, "exit 7\n")
    relative = Plugin("./plugin", api_version=API, base_dir=str(tmp_path))
    with pytest.raises(PluginProblem, match=r"'\./plugin' of context 'c' failed \(exit status 7"):
        run_plugin(relative, "c")
    assert Path(plugin.command).parent == tmp_path


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    "body",
    [
        "sleep 600\n",
        "sleep 600 &\nwait\n",  # a child holding our pipes: the whole group is stopped
        "setsid sleep 15 &\nsleep 600\n",  # one that left the group: we stop reading
    ],
    ids=["sleeps", "child-holds-pipes", "escaped-child"],
)
def test_a_hanging_plugin_is_stopped_at_its_deadline(tmp_path: Path, body: str) -> None:
    plugin = script(tmp_path, body)
    with pytest.raises(PluginProblem, match=r"did not answer within 0\.5s and was stopped"):
        run_plugin(plugin, "c", timeout=0.5)


def test_nothing_of_a_stopped_plugin_keeps_running(tmp_path: Path) -> None:
    pid_file = tmp_path / "child"
    plugin = script(tmp_path, f"sleep 600 &\necho $! > {pid_file}\nwait\n")
    with pytest.raises(PluginProblem):
        run_plugin(plugin, "c", timeout=0.5)
    child = int(pid_file.read_text())
    for _ in range(50):  # the kill is sent; give the kernel a moment to finish it
        stat = Path(f"/proc/{child}/stat")
        if not stat.exists() or stat.read_text().rsplit(")", 1)[1].split()[0] == "Z":
            break
        time.sleep(0.1)
    else:
        pytest.fail("the plugin's child still runs")


# -- answers that are not the Kubernetes API --------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "body", "expected"),
    [
        ("text/html; charset=utf-8", b"", True),
        ("application/xhtml+xml", b"", True),
        ("application/json", b"  \n<!DOCTYPE HTML><p>x", True),
        (None, b"<html><body>proxy</body></html>", True),
        ("application/json", b'{"kind": "Status"}', False),
        ("text/plain", b"404 page not found", False),  # the real API server's own 404
    ],
)
def test_an_html_page_is_recognised(content_type, body, expected) -> None:
    assert _is_html(content_type, body) is expected


def test_the_page_title_and_server_messages_come_on_one_short_line() -> None:
    page = b"<html><head><TITLE lang=en>Corporate\n  proxy &gt; login</TITLE></head>"
    assert _html_title(page) == "Corporate proxy > login"
    assert _html_title(b"<html>no title</html>") == ""
    assert _one_line("a\n\tb   c") == "a b c"
    assert len(_one_line("x" * 1000)) == 500
    assert _server_message(b'{"message": "line one\\nline two"}') == "line one line two"
    assert _server_message(b'["not", "a", "status"]') == '["not", "a", "status"]'
    assert _server_message(b"plain\ntext") == "plain text"
