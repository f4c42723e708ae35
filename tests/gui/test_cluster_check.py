"""The cluster check in the real window: checked when a context is selected, kept per
context, shown in Cluster > Cluster check and in the status bar."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from storedesk.sim import Simulator
from storedesk.ui.main_window import MainWindow
from tests.gui.driver import TIMEOUT_MS, wait_connected
from tests.support import helm_binary, run_tool

pytestmark = [pytest.mark.gui, pytest.mark.helm]

NGINX_CLASS = """
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: nginx
  annotations: {ingressclass.kubernetes.io/is-default-class: "true"}
spec: {controller: k8s.io/ingress-nginx}
---
apiVersion: v1
kind: Namespace
metadata: {name: ingress-nginx}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ingress-nginx-controller, namespace: ingress-nginx}
spec:
  replicas: 1
  selector:
    matchLabels: &labels
      app.kubernetes.io/name: ingress-nginx
      app.kubernetes.io/component: controller
  template:
    metadata: {labels: *labels}
    spec:
      containers: [{name: controller, image: registry.example/ingress-nginx/controller:1}]
"""


def wait_checked(qtbot, window: MainWindow) -> None:
    """Until the selected context has its check results."""
    qtbot.waitUntil(
        lambda: (
            window.cluster_check.report() is not None
            and window.session.choice not in window.cluster_check.running
        ),
        timeout=TIMEOUT_MS,
    )


def shown(window: MainWindow, title: str) -> tuple[str, str]:
    """The heading and sentence the dialog shows for the check called `title`."""
    row = window.cluster_check.dialog.row(title)
    assert row is not None, f"no row for {title}"
    return row.heading.text(), row.message.text()


def test_the_window_checks_the_cluster_and_shows_each_check(
    qtbot, sim: Simulator, window: MainWindow
) -> None:
    wait_checked(qtbot, window)
    status = window.cluster_check.status_button
    assert status.isVisible() and status.text() == "Cluster check: 1 warning"
    window.commands.cluster_check.trigger()
    dialog = window.cluster_check.dialog
    assert dialog.isVisible()
    assert dialog.windowTitle() == f"Cluster check — {sim.context}"
    assert [r.result.title for r in dialog.rows] == [
        "Kubernetes version",
        "helm",
        "Permissions (RBAC)",
        "Default StorageClass",
        "Ingress controller",
        "NetworkPolicy enforcement",
        "How many stores fit",
    ]
    heading, message = shown(window, "Ingress controller")
    assert "warning" in heading and message.startswith("No ingress controller")
    assert dialog.row("Ingress controller").fix.isVisible()
    assert "ok" in shown(window, "Default StorageClass")[0]
    assert "1 warning" in dialog.summary.text()

    # The user installs an ingress controller, then checks again.
    run_tool(helm_binary("4").kubectl, sim, "apply", "-f", "-", input=NGINX_CLASS)
    run_tool(
        helm_binary("4").kubectl,
        sim,
        "wait",
        "-n",
        "ingress-nginx",
        "--for=condition=ready",
        "pod",
        "-l",
        "app.kubernetes.io/name=ingress-nginx",
        "--timeout=60s",
    )
    qtbot.mouseClick(dialog.again_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: status.text() == "Cluster check: no problem", timeout=TIMEOUT_MS)
    heading, message = shown(window, "Ingress controller")
    assert "ok" in heading
    assert "pods in namespace ingress-nginx (1/1 ready)" in message
    assert not dialog.row("Ingress controller").fix.isVisible()


def test_results_are_kept_per_context(
    qtbot, sim: Simulator, open_window: Callable[..., MainWindow], data_dir: Path
) -> None:
    with Simulator(ready_delay=0.3, kubeconfig=sim.kubeconfig, context="second") as other:
        other.faults.deny("create", "namespaces")
        window = open_window(sim.kubeconfig, sim.context)
        wait_connected(qtbot, window)
        wait_checked(qtbot, window)
        window.commands.cluster_check.trigger()
        assert "ok" in shown(window, "Permissions (RBAC)")[0]

        combo = window.context_bar.combo
        combo.activated.emit(combo.findText("second"))
        qtbot.waitUntil(lambda: window.session.choice.name == "second", timeout=TIMEOUT_MS)
        wait_checked(qtbot, window)
        heading, message = shown(window, "Permissions (RBAC)")
        assert "problem" in heading and message == "This user may not create namespaces."
        assert window.cluster_check.dialog.windowTitle() == "Cluster check — second"

        # Meanwhile the first cluster loses its StorageClass; going back shows what was
        # found there, kept, until the user checks again.
        run_tool(helm_binary("4").kubectl, sim, "delete", "storageclass", "standard")
        combo.activated.emit(combo.findText(sim.context))
        assert window.session.choice.name == sim.context
        assert "ok" in shown(window, "Default StorageClass")[0]
        assert "ok" in shown(window, "Permissions (RBAC)")[0]
        wait_connected(qtbot, window)
        assert window.session.choice not in window.cluster_check.running
        qtbot.mouseClick(window.cluster_check.dialog.again_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(
            lambda: "problem" in shown(window, "Default StorageClass")[0], timeout=TIMEOUT_MS
        )
        window.session.shutdown()
