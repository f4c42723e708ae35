"""The window on a 1920x1080 screen at 1.0x and 1.5x scale (issue 15 #5): it fits the
available area, and the table keeps its share. Qt reads the scale factor once per process,
so each scale runs the real window in a process of its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.gui

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import json, sys
from pathlib import Path
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
from storedesk.ui.main_window import MainWindow
from storedesk.ui.ui_settings import UiSettings

app = QApplication([sys.argv[0]])
scratch = Path(sys.argv[1])
settings = UiSettings(QSettings(str(scratch / "ui.ini"), QSettings.Format.IniFormat))
window = MainWindow(kubeconfig=str(scratch / "none"), settings=settings, data_dir=scratch / "d")
window.show()
for _ in range(20):
    app.processEvents()
room = window.screen().availableGeometry()
frame = window.frameGeometry()
print(json.dumps({
    "room": [room.x(), room.y(), room.width(), room.height()],
    "frame": [frame.x(), frame.y(), frame.width(), frame.height()],
    "table": window.table.width(),
    "splitter": window.splitter.width(),
    "scale": window.devicePixelRatio(),
}))
window.session.shutdown()
"""


def screen_config(folder: Path, width: int, height: int) -> Path:
    """An offscreen screen of `width`x`height` device pixels, with window frames."""
    path = folder / "screen.json"
    path.write_text(
        json.dumps(
            {
                "windowFrameMargins": True,
                "screens": [
                    {
                        "name": "screen",
                        "x": 0,
                        "y": 0,
                        "width": width,
                        "height": height,
                        "logicalDpi": 96,
                        "logicalBaseDpi": 96,
                        "dpr": 1,
                    }
                ],
            }
        )
    )
    return path


def measure(tmp_path: Path, scale: str, width: int = 1920, height: int = 1080) -> dict:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": f"offscreen:configfile={screen_config(tmp_path, width, height)}",
        "QT_SCALE_FACTOR": scale,
    }
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("scale", ["1", "1.5"])
def test_the_default_window_fits_the_screen(tmp_path: Path, scale: str) -> None:
    seen = measure(tmp_path, scale)
    assert seen["scale"] == float(scale)
    x, y, w, h = seen["frame"]
    rx, ry, rw, rh = seen["room"]
    assert rx <= x and ry <= y and x + w <= rx + rw and y + h <= ry + rh, seen
    assert seen["table"] >= 0.4 * seen["splitter"]


def test_a_small_screen_at_1_5x_still_gets_the_whole_window(tmp_path: Path) -> None:
    seen = measure(tmp_path, "1.5", 1366, 768)  # 911x512 logical pixels
    x, y, w, h = seen["frame"]
    rx, ry, rw, rh = seen["room"]
    assert x + w <= rx + rw and y + h <= ry + rh, seen
