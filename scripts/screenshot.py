"""Take docs/screenshot.png: the real main window against the simulator, with stores in
several states (Ready, Provisioning, Failed, Deleting) and the failed one's details shown.

Run it under a private keyring and the pinned helm 4 (it creates real releases):

    scripts/with-keyring.sh env QT_QPA_PLATFORM=offscreen \\
        STOREDESK_HELM=.cache/tools/helm4/helm .venv/bin/python scripts/screenshot.py
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEventLoop, QSettings
from PySide6.QtWidgets import QApplication

from storedesk.cluster.kubeconfig import resolve_target
from storedesk.domain.models import Phase
from storedesk.provisioning.service import Settings, StoreService
from storedesk.sim import Simulator
from storedesk.ui.icons import app_icon
from storedesk.ui.main_window import MainWindow
from storedesk.ui.new_store_dialog import NewStore
from storedesk.ui.palette import apply_theme
from storedesk.ui.session import Connection
from storedesk.ui.ui_settings import UiSettings

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 30.0  # seconds helm waits for the stores that never turn Ready here
READY = ("summer-sale", "outlet", "gift-cards")


def wait_for(
    app: QApplication, what: str, condition: Callable[[], bool], seconds: float = 90
) -> None:
    """Run the event loop until `condition` holds."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"screenshot: gave up waiting for {what}")
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)


def pump(app: QApplication, seconds: float) -> None:
    """Run the event loop for a while."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)


def main() -> int:
    """Build the scene, grab the window, save the PNG."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default=str(ROOT / "docs" / "screenshot.png"))
    parser.add_argument("--theme", choices=("light", "dark"), default="light")
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    with tempfile.TemporaryDirectory(prefix="storedesk-screenshot-") as scratch:
        take(Path(scratch), Path(args.output), args.theme)
    return 0


def take(scratch: Path, output: Path, theme: str) -> None:
    """Start the simulator and the window in `scratch`, set the scene, save `output`."""
    data_dir = scratch / "data"
    app = QApplication([sys.argv[0]])
    app.setWindowIcon(app_icon())
    apply_theme(theme)

    sim = Simulator(ready_delay=0.3, kubeconfig=scratch / "kubeconfig").start()
    service = StoreService(
        resolve_target(str(sim.kubeconfig), sim.context),
        settings=Settings(data_dir=data_dir, timeout=TIMEOUT),
    )
    for name in READY:
        service.create(name)

    settings = UiSettings(QSettings(str(scratch / "ui.ini"), QSettings.Format.IniFormat))
    window = MainWindow(
        kubeconfig=str(sim.kubeconfig), settings=settings, data_dir=data_dir, timeout=TIMEOUT
    )
    window.resize(1400, 900)
    window.splitter.setSizes([790, 610])
    window.show()
    window.start()
    wait_for(
        app,
        "the cluster",
        lambda: (
            window.session.state.connection == Connection.REACHABLE
            and len(window.model.names()) == len(READY)
        ),
    )

    # From here on pods take long to turn Ready: a new store stays Provisioning.
    sim.timing.ready_delay = 3600
    window.operations.create(NewStore("flash-deals", "woocommerce", {}))
    wait_for(
        app, "flash-deals' pods", lambda: window.model.record("flash-deals").status.pods_total == 2
    )

    # A store whose web server image cannot be pulled (created by another client, as
    # the CLI would): it shows Failed with the kubelet's reason.
    sim.faults.fail_image("*wordpress:*-apache", "ImagePullBackOff")
    broken = threading.Thread(target=lambda: _create_quietly(service, "launch-party"), daemon=True)
    broken.start()
    wait_for(
        app,
        "the failure",
        lambda: (
            (record := window.model.record("launch-party")) is not None
            and record.status.reason == "ImagePullBackOff"
        ),
    )

    # Pods that take long to stop keep a deleted store in Deleting.
    sim.timing.termination = 3600
    window.operations.delete("gift-cards")
    wait_for(
        app, "the delete", lambda: window.model.record("gift-cards").status.phase == Phase.DELETING
    )

    window.table.select("launch-party")
    wait_for(
        app,
        "the details",
        lambda: (
            window.details.pods.topLevelItemCount() > 0
            and window.details.events.topLevelItemCount() > 0
        ),
    )
    window.details.tabs.setCurrentWidget(window.details.events)
    window.statusBar().clearMessage()
    pump(app, 0.5)  # let the views repaint
    output.parent.mkdir(parents=True, exist_ok=True)
    if not window.grab().save(str(output)):
        raise SystemExit(f"screenshot: could not write {output}")
    print(f"screenshot: wrote {output}")

    # Let every operation end (helm gives up after TIMEOUT), then stop cleanly.
    sim.timing.termination = 0.2
    sim.faults.clear_image_failures()
    wait_for(
        app, "the operations", lambda: not window.operations.running(), seconds=TIMEOUT * 3 + 60
    )
    broken.join(TIMEOUT * 3 + 60)
    window.close()
    window.runner.wait(30_000)
    window.session.shutdown()
    sim.stop()


def _create_quietly(service: StoreService, name: str) -> None:
    """Create a store that is expected to fail (helm times out waiting for it)."""
    from storedesk.errors import StoredeskError

    with contextlib.suppress(StoredeskError):
        service.create(name)


if __name__ == "__main__":
    sys.exit(main())
