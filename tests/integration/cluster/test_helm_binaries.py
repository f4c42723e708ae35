"""The helm runner with the real helm 3 and helm 4 binaries: finding helm, its version, and
what a user sees when the kubeconfig or the cluster is not right."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from storedesk.cluster.helm import HelmRunner, detect_helm
from storedesk.cluster.kubeconfig import ClusterTarget, resolve_target
from storedesk.errors import ClusterUnreachable, HelmUnavailable, KubeconfigError

pytestmark = pytest.mark.helm

NO_SHELL = {"SHELL": "/nonexistent/shell"}  # keep the user's login shell out of these tests


@pytest.fixture
def chart(tmp_path: Path) -> Path:
    """A one-ConfigMap chart."""
    folder = tmp_path / "chart"
    (folder / "templates").mkdir(parents=True)
    (folder / "Chart.yaml").write_text("apiVersion: v2\nname: demo\nversion: 0.1.0\n")
    (folder / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: demo}\ndata: {a: x}\n"
    )
    return folder


def runner_for(helm, target: ClusterTarget, tmp_path: Path) -> HelmRunner:
    env = {"STOREDESK_HELM": str(helm.path), "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    return HelmRunner(target, env={**env, **NO_SHELL})


def test_detects_the_helm_version(helm) -> None:
    tool = detect_helm({"STOREDESK_HELM": str(helm.path), "PATH": ""})
    assert str(tool.version) == helm.version
    assert tool.version.major == int(helm.major)


def test_finds_helm_on_path(helm, tmp_path: Path) -> None:
    env = {"PATH": str(helm.path.parent), "HOME": str(tmp_path), **NO_SHELL}
    assert detect_helm(env).path == helm.path


def test_finds_helm_in_the_search_folders(helm) -> None:
    assert (
        detect_helm({"PATH": ""}, dirs=[Path("/nonexistent"), helm.path.parent]).path == helm.path
    )


def test_helm_not_found_says_how_to_install() -> None:
    with pytest.raises(HelmUnavailable, match="helm is not installed") as caught:
        detect_helm({"PATH": ""}, dirs=[])
    assert "https://helm.sh/docs/intro/install/" in caught.value.hint
    assert "make run" in caught.value.hint
    assert caught.value.exit_code == 3


def test_storedesk_helm_must_point_at_an_executable(tmp_path: Path) -> None:
    with pytest.raises(HelmUnavailable, match=r"STOREDESK_HELM=.* is not an executable"):
        detect_helm({"STOREDESK_HELM": str(tmp_path / "helm"), "PATH": ""})


def test_unsupported_version_is_refused(tmp_path: Path) -> None:
    old = tmp_path / "helm"
    old.write_text("#!/bin/sh\necho v3.12.3\n")  # what `helm version --template` prints
    old.chmod(0o755)
    with pytest.raises(HelmUnavailable) as caught:
        detect_helm({"STOREDESK_HELM": str(old), "PATH": "/usr/bin:/bin"})
    assert "helm v3.12.3" in caught.value.message
    assert "helm 3.14 or newer, or helm 4" in caught.value.message


def test_unreachable_cluster(helm, tmp_path: Path, write_kubeconfig, closed_server, chart) -> None:
    # Every command, with every flag we use: helm must accept them all (an unknown flag
    # would fail before helm dials) and then report the outage.
    server = closed_server()
    config = write_kubeconfig("k.yaml", {"dev": "c"}, {"c": server}, current="dev")
    runner = runner_for(helm, resolve_target(str(config), None, {}), tmp_path)
    calls: list[Callable[[], object]] = [
        lambda: runner.status("shop", "store-shop"),
        lambda: runner.list_releases(None),
        lambda: runner.list_releases("store-shop"),
        lambda: runner.history("shop", "store-shop"),
        lambda: runner.get_values("shop", "store-shop"),
        lambda: runner.rollback("shop", "store-shop", 1, wait=True, timeout=30),
        lambda: runner.uninstall("shop", "store-shop", wait=True, timeout=30),
        lambda: runner.upgrade_install(
            "shop",
            chart,
            "store-shop",
            values={"a": "b"},
            timeout=30,
            atomic=True,
        ),
    ]
    for call in calls:
        with pytest.raises(ClusterUnreachable) as caught:
            call()
        assert "cannot reach the cluster of context 'dev'" in caught.value.message
        assert server.removeprefix("https://") in caught.value.message
        assert "connection refused" in caught.value.message


def test_kubeconfig_removed_after_selection(helm, tmp_path: Path, write_kubeconfig) -> None:
    config = write_kubeconfig("k.yaml", {"dev": "c"}, {"c": "https://127.0.0.1:1"})
    runner = runner_for(helm, resolve_target(str(config), "dev", {}), tmp_path)
    config.unlink()
    with pytest.raises(KubeconfigError, match=f"kubeconfig file {config} does not exist"):
        runner.status("shop", "store-shop")


def test_unknown_context_reaching_helm(helm, tmp_path: Path, write_kubeconfig) -> None:
    config = write_kubeconfig("k.yaml", {"dev": "c"}, {"c": "https://127.0.0.1:1"})
    runner = runner_for(helm, ClusterTarget((config,), "ghost"), tmp_path)
    with pytest.raises(KubeconfigError, match="context 'ghost' does not exist"):
        runner.history("shop", "store-shop")


def test_missing_credential_plugin(helm, tmp_path: Path, write_kubeconfig, closed_server) -> None:
    exec_user = (
        "user: {exec: {apiVersion: client.authentication.k8s.io/v1beta1, "
        "command: storedesk-missing-plugin, interactiveMode: Never}}"
    )
    config = write_kubeconfig("k.yaml", {"eks": "c"}, {"c": closed_server()}, user=exec_user)
    runner = runner_for(helm, resolve_target(str(config), "eks", {}), tmp_path)
    with pytest.raises(KubeconfigError, match="'storedesk-missing-plugin' is not installed"):
        runner.status("shop", "store-shop")


class SilentServer:
    """Accepts TCP connections and never answers: helm sits waiting on its TLS handshake."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"https://127.0.0.1:{self.listener.getsockname()[1]}"
        self.accepted: list[socket.socket] = []
        self.connected = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.accepted.append(conn)
            self.connected.set()

    def close(self) -> None:
        for conn in self.accepted:
            conn.close()
        # shutdown wakes the blocked accept(); close alone would leave the port listening.
        self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()


def helm_processes(release: str) -> list[list[str]]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            argv = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        if release in argv and "upgrade" in argv:
            found.append(argv)
    return found


def every_argv() -> str:
    return _every("cmdline")


def every_environ() -> str:
    return _every("environ")


def _every(name: str) -> str:
    chunks = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            chunks.append((entry / name).read_bytes().decode(errors="replace"))
        except OSError:
            continue
    return "\n".join(chunks)


def test_secret_values_travel_through_stdin(helm, tmp_path: Path, write_kubeconfig, chart) -> None:
    secret = "Pw-" + os.urandom(12).hex()
    server = SilentServer()
    config = write_kubeconfig("k.yaml", {"dev": "c"}, {"c": server.url})
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    env = {
        "XDG_RUNTIME_DIR": str(runtime),
        "TMPDIR": str(runtime),
        "STOREDESK_HELM": str(helm.path),
    }
    runner = HelmRunner(
        ClusterTarget((config,), "dev"), env={**env, "HOME": str(tmp_path), **NO_SHELL}
    )
    outcome: list[BaseException] = []

    def create() -> None:
        try:
            runner.upgrade_install("shop-x1", chart, "store-x1", values={"db": {"pw": secret}})
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=create)
    worker.start()
    try:
        assert server.connected.wait(30), "helm never contacted the cluster"
        # helm is running now, having read the values: no argv or environment holds the
        # secret, and no file was written for it.
        assert secret not in every_argv()
        assert secret not in every_environ()
        [argv] = helm_processes("shop-x1")
        assert argv[argv.index("--values") + 1] == "-"
        assert list(runtime.iterdir()) == []
    finally:
        server.close()
        worker.join(60)
    [error] = outcome
    assert isinstance(error, ClusterUnreachable)
    assert secret not in str(error)
