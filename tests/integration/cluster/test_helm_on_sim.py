"""The helm runner driving real helm 3 and helm 4 against the simulated cluster: a release's
whole life, and the failures a user meets (RBAC, pods never ready, outage)."""

from __future__ import annotations

from pathlib import Path

import pytest

from storedesk.cluster.helm import HelmRunner
from storedesk.cluster.kubeconfig import resolve_target
from storedesk.errors import ClusterUnreachable, Forbidden, HelmTimeout
from tests.support import helm_binary, run_tool

pytestmark = pytest.mark.helm


@pytest.fixture
def web_chart(tmp_path: Path) -> Path:
    """A one-Deployment chart whose image comes from the values."""
    folder = tmp_path / "web"
    (folder / "templates").mkdir(parents=True)
    (folder / "Chart.yaml").write_text("apiVersion: v2\nname: web\nversion: 0.1.0\n")
    (folder / "templates" / "deployment.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n"
        "  replicas: 1\n  selector: {matchLabels: {app: web}}\n  template:\n"
        "    metadata: {labels: {app: web}}\n    spec:\n      containers:\n"
        '      - {name: web, image: "{{ .Values.image }}"}\n'
    )
    return folder


@pytest.fixture
def runner(helm, sim, tmp_path: Path) -> HelmRunner:
    target = resolve_target(str(sim.kubeconfig), sim.context, {})
    env = {"STOREDESK_HELM": str(helm.path), "HOME": str(tmp_path), "SHELL": "/nonexistent"}
    return HelmRunner(target, env=env)


def test_release_lifecycle(runner: HelmRunner, sim, web_chart: Path) -> None:
    values = {"image": "nginx:1.27", "password": "first-Secret-9f2"}
    run_tool(helm_binary("4").kubectl, sim, "create", "namespace", "store-web")
    installed = runner.upgrade_install("web", web_chart, "store-web", values=values, timeout=60)
    assert (installed.revision, installed.status, installed.chart) == (1, "deployed", "web-0.1.0")
    assert runner.status("web", "store-web").status == "deployed"
    assert [(r.name, r.namespace) for r in runner.list_releases(None)] == [("web", "store-web")]
    assert runner.get_values("web", "store-web") == values

    upgraded = runner.upgrade_install(
        "web", web_chart, "store-web", values={**values, "image": "nginx:1.28"}, timeout=60
    )
    assert upgraded.revision == 2
    runner.rollback("web", "store-web", 1, timeout=60)
    history = runner.history("web", "store-web")
    assert [(r.revision, r.status) for r in history] == [
        (1, "superseded"),
        (2, "superseded"),
        (3, "deployed"),
    ]
    assert runner.get_values("web", "store-web")["image"] == "nginx:1.27"

    assert runner.uninstall("web", "store-web", wait=True, timeout=60) is True
    assert runner.uninstall("web", "store-web") is False  # already gone: nothing to do
    assert runner.status("web", "store-web") is None
    assert runner.history("web", "store-web") == []
    assert runner.get_values("web", "store-web") is None


def test_pods_never_ready_is_a_timeout(runner: HelmRunner, sim, web_chart: Path) -> None:
    sim.faults.fail_image("registry.invalid/*")
    run_tool(helm_binary("4").kubectl, sim, "create", "namespace", "store-web")
    with pytest.raises(HelmTimeout) as caught:
        runner.upgrade_install(
            "web",
            web_chart,
            "store-web",
            values={"image": "registry.invalid/web:1"},
            timeout=3,
        )
    assert "helm upgrade of 'web' timed out after 3s" in caught.value.message
    assert runner.status("web", "store-web").status == "failed"


def test_rbac_denial_names_verb_and_resource(runner: HelmRunner, sim) -> None:
    sim.faults.deny("list", "secrets", "store-web")
    with pytest.raises(Forbidden) as caught:
        runner.status("web", "store-web")
    assert "not allowed to list secrets in namespace 'store-web'" in caught.value.message


@pytest.mark.parametrize("outage", ["refuse", "503"])
def test_outage_is_unreachable_and_recovers(runner: HelmRunner, sim, outage: str) -> None:
    sim.set_outage(outage)
    with pytest.raises(ClusterUnreachable, match="storedesk-sim"):
        runner.list_releases(None)
    sim.set_outage(None)
    assert runner.list_releases(None) == []
