"""The window's actions: one QAction each, shared by toolbar, menus and the table's context
menu, with their shortcuts and icons."""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

from storedesk.ui.icons import action_icon

Shortcut = QKeySequence.StandardKey | str | None


class Actions:
    """Every action of the main window (triggers are connected by the window)."""

    def __init__(self, parent: QWidget) -> None:
        def make(text: str, shortcut: Shortcut, icon: str | None, tip: str) -> QAction:
            action = QAction(text, parent)
            if icon is not None:
                action.setIcon(action_icon(icon))
            if shortcut is not None:
                action.setShortcut(QKeySequence(shortcut))
                tip += f" ({action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)})"
            action.setToolTip(tip)
            action.setStatusTip(tip)
            return action

        key = QKeySequence.StandardKey
        self.new_store = make("&New store…", key.New, "new", "Create a store on this cluster")
        self.delete = make("&Delete…", key.Delete, "delete", "Delete the selected store")
        self.open_storefront = make(
            "Open &storefront", "Ctrl+O", "storefront", "Open the store in your browser"
        )
        self.open_admin = make(
            "Open &admin", "Ctrl+Shift+O", "admin", "Open the store's admin in your browser"
        )
        self.copy_password = make(
            "&Copy admin password",
            "Ctrl+Shift+C",
            "password",
            "Copy the admin password (cleared from the clipboard after 30 s)",
        )
        self.refresh = make(
            "&Refresh", key.Refresh, "refresh", "Read every store from the cluster again"
        )
        self.switch_context = make(
            "Switch &context…", "Ctrl+K", "context", "Choose another kube context"
        )
        self.start_demo = make(
            "Start &demo cluster",
            None,
            "demo",
            "Start the built-in simulated cluster and select it",
        )
        self.cluster_check = make(
            "Cluster c&heck…",
            None,
            None,
            "Check this cluster: version, helm, permissions, storage, ingress, room for stores",
        )
        self.upgrade = make(
            "&Upgrade…",
            None,
            None,
            "Install the chart this Storedesk ships on the selected store",
        )
        self.choose_kubeconfig = make(
            "Choose a &kubeconfig…", None, None, "Read the contexts of another kubeconfig file"
        )
        self.demo_from_terminal = make(
            "Use the demo cluster from a &terminal…",
            None,
            None,
            "Where the demo cluster's kubeconfig is, for the command line and kubectl",
        )
        self.filter = make("&Filter stores", key.Find, None, "Filter the stores by any column")
        self.quit = make("&Quit", key.Quit, None, "Quit Storedesk")
        self.about = make("&About Storedesk", None, None, "About Storedesk")
        for action, short in (
            (self.new_store, "New store"),
            (self.delete, "Delete"),
            (self.open_storefront, "Storefront"),
            (self.open_admin, "Admin"),
            (self.copy_password, "Copy password"),
        ):
            action.setIconText(short)

    def store_actions(self) -> list[QAction]:
        """The actions on the selected store (the table's context menu)."""
        return [
            self.open_storefront,
            self.open_admin,
            self.copy_password,
            self.upgrade,
            self.delete,
        ]
