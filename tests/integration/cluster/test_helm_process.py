"""The helm runner around real helm 3 and 4 when helm misbehaves: a child it leaves
holding its output, bytes that are not UTF-8, a secret it prints escaped
(issue 16: F4, F5, F10)."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from storedesk.cluster import helm as helm_module
from storedesk.cluster.helm import HelmRunner, HelmTool
from storedesk.cluster.helm_argv import HelmVersion
from storedesk.cluster.kubeconfig import ClusterTarget, resolve_target
from storedesk.errors import HelmFailed, HelmTimeout
from tests.integration.cluster.test_helm_binaries import SilentServer

pytestmark = pytest.mark.helm

NO_SHELL = {"SHELL": "/nonexistent/shell"}


def script(path: Path, body: str) -> Path:
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return path


@pytest.fixture
def lingering(helm, tmp_path: Path) -> Iterator[Path]:
    """A helm that first starts a child which keeps helm's stdout and stderr for 300 s."""
    pids = tmp_path / "children"
    wrapper = script(
        tmp_path / "helm", f'sleep 300 &\necho $! >> "{pids}"\nexec "{helm.path}" "$@"\n'
    )
    yield wrapper
    for pid in pids.read_text().split() if pids.exists() else ():
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(pid), signal.SIGKILL)


def runner_on(sim, helm_path: Path, tmp_path: Path, **env: str) -> HelmRunner:
    target = resolve_target(str(sim.kubeconfig), sim.context, {})
    base = {"STOREDESK_HELM": str(helm_path), "HOME": str(tmp_path), **NO_SHELL}
    return HelmRunner(target, env={**base, **env})


@pytest.mark.timeout(60)  # before: each command waited for the child, 300 s
def test_a_child_helm_leaves_behind_does_not_hold_up_the_command(
    sim, lingering: Path, tmp_path: Path
) -> None:
    runner = runner_on(sim, lingering, tmp_path)  # `helm version` runs through it too
    assert runner.status("nothing", "default") is None
    assert runner.list_releases(None) == []


@pytest.mark.timeout(60)  # before: helm was killed on time, then the wait went on for 300 s
def test_a_hanging_helm_with_a_lingering_child_stops_at_its_limit(
    helm, lingering: Path, tmp_path: Path, write_kubeconfig, monkeypatch
) -> None:
    server = SilentServer()  # helm waits for its answer forever
    config = write_kubeconfig("k.yaml", {"dev": "c"}, {"c": server.url})
    version = HelmVersion.parse(helm.version)
    assert version is not None
    runner = HelmRunner(
        ClusterTarget((config,), "dev"),
        HelmTool(lingering, version),
        env={"HOME": str(tmp_path), **NO_SHELL},
    )
    monkeypatch.setattr(helm_module, "QUERY_TIMEOUT", 3.0)
    try:
        with pytest.raises(HelmTimeout) as caught:
            runner.status("shop", "store-shop")
    finally:
        server.close()
    assert caught.value.message == "helm status did not finish within 3s; Storedesk stopped it"


def test_output_that_is_not_utf8_is_read_not_a_crash(helm, sim, tmp_path: Path) -> None:
    garbled = script(
        tmp_path / "helm",
        f"if [ \"$1\" = version ]; then printf '{helm.version}\\377\\n'; exit 0; fi\n"
        "printf 'Release \\377\\376 cancelled\\n'\n"
        "printf 'Error: garbled \\377\\376 output\\n' >&2\n"
        "exit 1\n",
    )
    runner = runner_on(sim, garbled, tmp_path)
    assert str(runner.tool.version) == helm.version
    with pytest.raises(HelmFailed) as caught:
        runner.status("shop", "store-shop")
    assert caught.value.message == "helm status of 'shop' failed: garbled \ufffd\ufffd output"


@pytest.fixture
def label_chart(tmp_path: Path) -> Path:
    """A chart putting a value into a label, which Kubernetes refuses quoting the value."""
    folder = tmp_path / "leak"
    (folder / "templates").mkdir(parents=True)
    (folder / "Chart.yaml").write_text("apiVersion: v2\nname: leak\nversion: 0.1.0\n")
    (folder / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: leak\n  labels:\n"
        "    pw: {{ .Values.pw | quote }}\ndata: {a: b}\n"
    )
    return folder


def test_a_password_with_a_tab_never_reaches_the_error(
    helm, sim, tmp_path: Path, label_chart: Path
) -> None:
    tail = os.urandom(6).hex()
    password = f"Tab\tpw-{tail}"
    runner = runner_on(sim, helm.path, tmp_path)
    with pytest.raises(HelmFailed) as caught:
        runner.upgrade_install(
            "leak", label_chart, "default", values={"pw": password}, secrets=(password,)
        )
    shown = str(caught.value)
    # helm did print it (Kubernetes quotes the invalid value, the tab as \t) ...
    assert 'metadata.labels: Invalid value: "***"' in shown
    # ... and no form of it is left.
    for form in (
        password,
        password.replace("\t", "\\t"),
        json.dumps(password)[1:-1],
        base64.b64encode(password.encode()).decode(),
        tail,
    ):
        assert form not in shown
