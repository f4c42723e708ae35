"""`storedesk` with no command: open the desktop window."""

from __future__ import annotations

import argparse
import logging
import sys

APP_ID = "storedesk"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """--kubeconfig and --context (the CLI's cluster selection)."""
    parser = argparse.ArgumentParser(prog="storedesk", description="Open the Storedesk window.")
    parser.add_argument(
        "--kubeconfig", help="kubeconfig file (default: KUBECONFIG, then ~/.kube/config)"
    )
    parser.add_argument(
        "--context",
        help="kube context (default: the last one used, then the kubeconfig's current context)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Open the window and run until it is closed; the exit status."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    # Qt is imported here, after argument parsing, so `--help` stays instant.
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from storedesk.ui.icons import app_icon
    from storedesk.ui.main_window import MainWindow
    from storedesk.ui.ui_settings import APPLICATION, ORGANISATION

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    app = QApplication.instance() or QApplication([sys.argv[0]])
    assert isinstance(app, QApplication)
    app.setOrganizationName(ORGANISATION)
    app.setApplicationName(APPLICATION)
    app.setDesktopFileName(APP_ID)  # matches resources/storedesk.desktop (icon, taskbar)
    app.setWindowIcon(app_icon())
    window = MainWindow(kubeconfig=args.kubeconfig, context=args.context)
    window.show()
    QTimer.singleShot(0, window.start)  # connect once the window is on screen
    status = app.exec()
    window.runner.wait(10_000)
    window.session.shutdown()
    return status
