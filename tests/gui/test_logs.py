"""Pod logs: the simulator's honest log lines (read by real kubectl), and the window's Logs
tab with helm 3 and 4: a failed store opens on its failing container's log, follow mode
reads it again, Copy copies it."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from storedesk.domain.models import ContainerFact, Phase, PodFact
from storedesk.provisioning.logs import failing_container
from storedesk.sim import Simulator
from storedesk.ui.main_window import MainWindow
from tests.gui.driver import TIMEOUT_MS, create_with_dialog, status_cell, wait_connected
from tests.support import HelmBinary, run_tool

pytestmark = [pytest.mark.gui, pytest.mark.helm, pytest.mark.keyring]

POD = """
apiVersion: v1
kind: Pod
metadata: {name: two, namespace: default}
spec:
  containers:
    - {name: web, image: "nginx:1.27.3"}
    - {name: side, image: "busybox:1.37"}
"""


def pod_name(kubectl: Path, sim: Simulator, namespace: str, prefix: str) -> str:
    names = run_tool(
        kubectl, sim, "get", "pods", "-n", namespace, "-o", "jsonpath={.items[*].metadata.name}"
    ).stdout.split()
    return next(n for n in names if n.startswith(prefix))


def test_the_simulator_says_what_it_did_never_made_up_output(
    sim: Simulator, kubectl: Path, qtbot
) -> None:
    run_tool(kubectl, sim, "apply", "-f", "-", input=POD)
    qtbot.waitUntil(
        lambda: (
            "true true"
            in run_tool(
                kubectl,
                sim,
                "get",
                "pod",
                "two",
                "-o",
                "jsonpath={.status.containerStatuses[*].ready}",
            ).stdout
        ),
        timeout=TIMEOUT_MS,
    )
    # Two containers and none named: the server asks which one, in its own words (kubectl
    # itself picks the first, so the request goes raw).
    refused = run_tool(
        kubectl, sim, "get", "--raw", "/api/v1/namespaces/default/pods/two/log", check=False
    )
    assert refused.returncode != 0
    assert "a container name must be specified for pod two, choose one of: [web side]" in (
        refused.stderr
    )
    text = run_tool(kubectl, sim, "logs", "two", "-c", "web").stdout
    lines = text.splitlines()
    assert all("storedesk-sim:" in line for line in lines)
    assert "is simulated: no process runs" in lines[0]
    said = "\n".join(lines)
    for step in ("pulled image nginx:1.27.3", "started container web", "container web is ready"):
        assert step in said, said
    assert "busybox" not in said  # the other container's story is its own
    assert run_tool(kubectl, sim, "logs", "two", "-c", "web", "--tail", "1").stdout.count("\n") == 1
    stamped = run_tool(kubectl, sim, "logs", "two", "-c", "web", "--timestamps").stdout
    assert stamped.splitlines()[0][:4].isdigit() and "Z " in stamped.splitlines()[0]
    previous = run_tool(kubectl, sim, "logs", "two", "-c", "web", "--previous", check=False)
    assert 'previous terminated container "web" in pod "two" not found' in previous.stderr
    unknown = run_tool(kubectl, sim, "logs", "two", "-c", "nope", check=False)
    assert "container nope is not valid for pod two" in unknown.stderr


def test_a_failed_pull_says_which_fault(sim: Simulator, kubectl: Path, qtbot) -> None:
    sim.faults.fail_image("nginx:9*", "ImagePullBackOff")
    run_tool(kubectl, sim, "run", "broken", "--image", "nginx:9.9", "--restart", "Never")
    qtbot.waitUntil(
        lambda: (
            "failed to pull image nginx:9.9"
            in run_tool(kubectl, sim, "logs", "broken", check=False).stdout
        ),
        timeout=TIMEOUT_MS,
    )
    said = run_tool(kubectl, sim, "logs", "broken").stdout
    assert "(injected fault)" in said and "not found" in said


def test_the_failing_container_is_found() -> None:
    ok = ContainerFact("db", ready=True)
    crashing = ContainerFact("app", ready=False, restarts=3, waiting_reason="CrashLoopBackOff")
    pods = [
        PodFact("b-db", "store-b", "b", "Running", True, (ok,)),
        PodFact("b-app", "store-b", "b", "Running", False, (crashing,)),
    ]
    assert failing_container(pods) == ("b-app", "app")
    assert failing_container(pods[:1]) is None


def test_a_failed_store_opens_on_its_failing_containers_log(
    qtbot, sim: Simulator, open_window, helm: HelmBinary, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STOREDESK_HELM", str(helm.path))
    window: MainWindow = open_window(sim.kubeconfig, sim.context)
    wait_connected(qtbot, window)
    sim.faults.fail_image("*wordpress:*apache*", "ImagePullBackOff")
    create_with_dialog(qtbot, window, "logged")
    qtbot.waitUntil(lambda: status_cell(window, "logged").startswith("Failed"), timeout=TIMEOUT_MS)
    details = window.details
    logs = details.logs
    qtbot.waitUntil(lambda: details.tabs.currentWidget() is logs, timeout=TIMEOUT_MS)
    assert logs.chosen() is not None and logs.chosen()[1] == "wordpress"
    qtbot.waitUntil(lambda: "failed to pull image" in logs.text.toPlainText(), timeout=TIMEOUT_MS)
    assert "(injected fault)" in logs.text.toPlainText()
    assert "lines, read at" in logs.note.text()

    # Another container: its own log.
    index = next(
        i
        for i in range(logs.container_combo.count())
        if logs.container_combo.itemData(i).endswith("\nmariadb")
    )
    logs.container_combo.setCurrentIndex(index)
    qtbot.waitUntil(
        lambda: "started container mariadb" in logs.text.toPlainText(), timeout=TIMEOUT_MS
    )
    assert "wordpress" not in logs.text.toPlainText()

    # Follow: read again by itself; the repeated pull failures show up.
    logs.choose(*logs.failing)
    qtbot.waitUntil(lambda: "wordpress" in logs.text.toPlainText(), timeout=TIMEOUT_MS)
    logs.follow_check.setChecked(True)
    reads: list[object] = []
    logs.requested.connect(reads.append)
    qtbot.waitUntil(lambda: len(reads) >= 2, timeout=TIMEOUT_MS)
    logs.follow_check.setChecked(False)

    qtbot.mouseClick(logs.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == logs.text.toPlainText()
    sim.faults.clear_image_failures()


def test_a_container_not_started_yet_says_why_there_is_no_log(
    qtbot, window: MainWindow, sim: Simulator
) -> None:
    sim.timing.start_delay = 3600  # scheduled, never started
    create_with_dialog(qtbot, window, "waiting")
    qtbot.waitUntil(lambda: window.details.pods.topLevelItemCount() >= 1, timeout=TIMEOUT_MS)
    window.details.tabs.setCurrentWidget(window.details.logs)
    qtbot.waitUntil(
        lambda: "have not started yet" in window.details.logs.note.text(), timeout=TIMEOUT_MS
    )
    assert window.details.logs.text.toPlainText() == ""
    sim.timing.start_delay = 0.1
    assert window.model.record("waiting").status.phase in (Phase.PROVISIONING, Phase.FAILED)
    window.operations.cancel_all()  # helm would wait for these pods until its timeout


def test_the_server_refuses_the_log_of_a_container_not_started(
    sim: Simulator, kubectl: Path
) -> None:
    sim.timing.start_delay = 3600
    run_tool(kubectl, sim, "run", "later", "--image", "nginx:1.27.3")
    refused = run_tool(kubectl, sim, "logs", "later", check=False)
    assert refused.returncode != 0
    assert 'container "later" in pod "later" is waiting to start' in refused.stderr
