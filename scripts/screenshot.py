"""Take the README's screenshots: the real main window against the simulator, with stores
in several states (Ready, Provisioning, Failed, Deleting), at 1280x760.

- docs/screenshot.png: the table, a Ready store's details;
- docs/screenshot-failed.png: a failed store, its reason and fix, and the failing
  container's log (a failed store opens on it);
- docs/screenshot-history.png: a store's history: created, upgraded, rolled back.

--scale 1.5 takes them at 1.5x (files named ...@1.5x.png), as a 1.5x desktop shows the
window; --theme dark in the dark theme (...-dark.png). Run it under a private keyring and
the pinned helm 4 (it creates real releases):

    scripts/with-keyring.sh env STOREDESK_HELM=.cache/tools/helm4/helm \\
        .venv/bin/python scripts/screenshot.py [--scale 1.5] [--theme dark]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZE = (1280, 760)  # the window, in logical pixels
TIMEOUT = 30.0  # seconds helm waits for the stores that never turn Ready here
READY = ("summer-sale", "gift-cards", "outlet")
SCENES = ("main", "failed", "history")


def main() -> int:
    """Set up Qt for the scale asked, build the scene once, grab each screenshot."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", default=str(ROOT / "docs"))
    parser.add_argument("--theme", choices=("light", "dark"), default="light")
    parser.add_argument("--scale", choices=("1", "1.5"), default="1")
    parser.add_argument("--scene", choices=(*SCENES, "all"), default="all")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="storedesk-screenshot-") as scratch:
        folder = Path(scratch)
        # Before Qt starts: a screen with room for the window at this scale.
        os.environ["QT_SCALE_FACTOR"] = args.scale
        os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={screen(folder)}"
        suffix = ("-dark" if args.theme == "dark" else "") + (
            "@1.5x" if args.scale == "1.5" else ""
        )
        scenes = SCENES if args.scene == "all" else (args.scene,)
        take(folder, Path(args.output_dir), suffix, args.theme, scenes)
    return 0


def screen(folder: Path) -> Path:
    """A 2560x1600 offscreen screen: 1707x1067 logical pixels at 1.5x."""
    path = folder / "screen.json"
    path.write_text(
        json.dumps(
            {
                "windowFrameMargins": False,
                "screens": [
                    {
                        "name": "screen",
                        "x": 0,
                        "y": 0,
                        "width": 2560,
                        "height": 1600,
                        "logicalDpi": 96,
                        "logicalBaseDpi": 96,
                        "dpr": 1,
                    }
                ],
            }
        )
    )
    return path


def take(scratch: Path, out: Path, suffix: str, theme: str, scenes: tuple[str, ...]) -> None:
    """Start the simulator and the window in `scratch`, set the scene, save the PNGs."""
    from PySide6.QtCore import QEventLoop, QSettings
    from PySide6.QtWidgets import QApplication, QScrollArea

    from storedesk.cluster.kubeconfig import resolve_target
    from storedesk.domain.models import Phase
    from storedesk.provisioning.service import Settings, StoreService
    from storedesk.sim import Simulator
    from storedesk.ui.icons import app_icon
    from storedesk.ui.main_window import MainWindow
    from storedesk.ui.new_store_dialog import NewStore
    from storedesk.ui.session import Connection
    from storedesk.ui.ui_settings import UiSettings

    def wait_for(what: str, condition: Callable[[], bool], seconds: float = 120) -> None:
        deadline = time.monotonic() + seconds
        while not condition():
            if time.monotonic() > deadline:
                raise SystemExit(f"screenshot: gave up waiting for {what}")
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)

    def pump(seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)

    data_dir = scratch / "data"
    app = QApplication([sys.argv[0]])
    app.setWindowIcon(app_icon())
    sim = Simulator(ready_delay=0.3, kubeconfig=scratch / "kubeconfig").start()
    service = StoreService(
        resolve_target(str(sim.kubeconfig), sim.context),
        settings=Settings(data_dir=data_dir, timeout=TIMEOUT),
    )
    for name in READY:
        service.create(name)
    # A history worth showing: created, converged again (an upgrade), rolled back.
    service.create("outlet")
    service.rollback("outlet", 1)

    settings = UiSettings(QSettings(str(scratch / "ui.ini"), QSettings.Format.IniFormat))
    settings.set_theme(theme)
    window = MainWindow(
        kubeconfig=str(sim.kubeconfig), settings=settings, data_dir=data_dir, timeout=TIMEOUT
    )
    window.resize(*SIZE)
    window.splitter.setSizes([700, 580])
    window.show()
    window.start()
    wait_for(
        "the cluster",
        lambda: (
            window.session.state.connection == Connection.REACHABLE
            and len(window.model.names()) == len(READY)
        ),
    )

    # From here on pods take long to turn Ready: a new store stays Provisioning.
    sim.timing.ready_delay = 3600
    window.operations.create(NewStore("flash-deals", "woocommerce", {}))
    wait_for("flash-deals' pods", lambda: window.model.record("flash-deals").status.pods_total == 2)
    # A store whose web server image cannot be pulled (created by another client, as
    # the CLI would): it shows Failed with the kubelet's reason.
    sim.faults.fail_pod("launch-party-wordpress-*", "ImagePullBackOff")
    broken = threading.Thread(target=lambda: _create_quietly(service, "launch-party"), daemon=True)
    broken.start()
    wait_for(
        "the failure",
        lambda: (
            (record := window.model.record("launch-party")) is not None
            and record.status.reason == "ImagePullBackOff"
        ),
    )
    # Pods that take long to stop keep a deleted store in Deleting.
    sim.timing.termination = 3600
    window.operations.delete("gift-cards")
    wait_for("the delete", lambda: window.model.record("gift-cards").status.phase == Phase.DELETING)

    details = window.details
    out.mkdir(parents=True, exist_ok=True)

    def scroll_to_end(area: QScrollArea) -> None:
        for _ in range(3):  # wrapped texts settle their heights over a few layouts
            pump(0.2)
            area.verticalScrollBar().setValue(area.verticalScrollBar().maximum())

    def grab(scene: str) -> None:
        window.status_line.clear_message()
        window.notice.hide()
        pump(0.6)  # let the views repaint
        path = out / f"screenshot{'' if scene == 'main' else '-' + scene}{suffix}.png"
        if not window.grab().save(str(path)):
            raise SystemExit(f"screenshot: could not write {path}")
        print(f"screenshot: wrote {path}")

    if "main" in scenes:
        window.table.select("summer-sale")
        wait_for("the pods", lambda: details.pods.topLevelItemCount() == 2)
        details.tabs.setCurrentWidget(details.pods)
        grab("main")
    if "failed" in scenes:
        window.table.select("launch-party")
        wait_for(
            "the failing container's log",
            lambda: "failed to pull image" in details.logs.text.toPlainText(),
        )
        scroll_to_end(details.scroller)  # the reason, the fix and the log in view
        grab("failed")
    if "history" in scenes:
        window.table.select("outlet")
        details.tabs.setCurrentWidget(details.history)
        tree = details.history.tree
        wait_for("the history", lambda: tree.topLevelItemCount() == 3)
        tree.setCurrentItem(tree.topLevelItem(1))
        scroll_to_end(details.scroller)  # the revisions in view
        grab("history")

    # Let every operation end (helm gives up after TIMEOUT), then stop cleanly.
    sim.timing.termination = 0.2
    sim.faults.clear_pod_failures()
    wait_for("the operations", lambda: not window.operations.running(), TIMEOUT * 3 + 60)
    broken.join(TIMEOUT * 3 + 60)
    window.close()
    window.runner.wait(30_000)
    window.session.shutdown()
    sim.stop()


def _create_quietly(service: object, name: str) -> None:
    """Create a store that is expected to fail (helm times out waiting for it)."""
    from storedesk.errors import StoredeskError

    with contextlib.suppress(StoredeskError):
        service.create(name)  # type: ignore[attr-defined]


if __name__ == "__main__":
    sys.exit(main())
