"""The toolbar's cluster corner: the context picker, reachability, and the demo badge."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSizePolicy, QWidget

from storedesk.domain.models import Phase
from storedesk.ui.icons import phase_icon
from storedesk.ui.session import ClusterState, Connection, ContextChoice

# How each connection state reads, and the status icon it borrows.
_LOOK = {
    Connection.CONNECTING: ("Connecting…", Phase.PROVISIONING),
    Connection.REACHABLE: ("Connected", Phase.READY),
    Connection.UNREACHABLE: ("Unreachable", Phase.FAILED),
    Connection.NO_CLUSTER: ("No cluster", Phase.UNKNOWN),
    Connection.STARTING_DEMO: ("Starting demo…", Phase.PROVISIONING),
}


class ContextBar(QWidget):
    """Always shows which context is selected and whether its cluster answers."""

    chosen = Signal(object)  # ContextChoice picked by the user

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.combo = QComboBox(self)
        self.combo.setObjectName("contextCombo")
        self.combo.setToolTip("The kube context Storedesk works on (Ctrl+K)")
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.combo.setMinimumContentsLength(14)
        self.combo.activated.connect(self._activated)
        self.reach_icon = QLabel(self)
        self.reach = QLabel(self)
        self.reach.setObjectName("reachability")
        self.demo_badge = QLabel(" DEMO ", self)
        self.demo_badge.setObjectName("demoBadge")
        self.demo_badge.setToolTip("The built-in simulated cluster: stores here are simulated")
        self.demo_badge.setAutoFillBackground(True)
        self.demo_badge.setBackgroundRole(QPalette.ColorRole.Highlight)
        self.demo_badge.setForegroundRole(QPalette.ColorRole.HighlightedText)
        font = self.demo_badge.font()
        font.setBold(True)
        self.demo_badge.setFont(font)
        self.demo_badge.hide()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 0, 4, 0)
        layout.addWidget(QLabel("Context:", self))
        layout.addWidget(self.combo)
        layout.addSpacing(6)
        layout.addWidget(self.reach_icon)
        layout.addWidget(self.reach)
        layout.addSpacing(6)
        layout.addWidget(self.demo_badge)
        self.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Preferred)
        self._choices: list[ContextChoice] = []

    def set_choices(self, choices: list[ContextChoice], current: ContextChoice | None) -> None:
        """List the contexts; mark the selected one."""
        self._choices = list(choices)
        self.combo.blockSignals(True)
        self.combo.clear()
        for choice in self._choices:
            self.combo.addItem(choice.label)
            self.combo.setItemData(
                self.combo.count() - 1, choice.server or choice.name, Qt.ItemDataRole.ToolTipRole
            )
        if current is not None and current not in self._choices:
            self.combo.addItem(current.label)  # e.g. a --context the kubeconfig lacks
            self._choices.append(current)
        self.combo.setCurrentIndex(self._choices.index(current) if current else -1)
        self.combo.blockSignals(False)

    def set_state(self, state: ClusterState) -> None:
        """Show reachability (and the server, version or error in the tooltip)."""
        text, phase = _LOOK[state.connection]
        if state.connection == Connection.REACHABLE and state.info is not None:
            text += f" · {state.info.version.split('+')[0]}"
        self.reach.setText(text)
        self.reach_icon.setPixmap(phase_icon(phase).pixmap(14, 14))
        details = [f"<b>{escape(text)}</b>"]
        if state.info is not None:
            details.append(f"server {escape(state.info.server)}")
        elif state.choice is not None and state.choice.server:
            details.append(f"server {escape(state.choice.server)}")
        if state.error:
            details.append(escape(state.error))
        self.reach.setToolTip("<br>".join(details))
        demo = bool((state.info and state.info.demo) or (state.choice and state.choice.demo))
        self.demo_badge.setVisible(demo)

    def _activated(self, index: int) -> None:
        if 0 <= index < len(self._choices):
            self.chosen.emit(self._choices[index])
