"""What the window remembers between runs (QSettings, organisation "Storedesk")."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QByteArray, QSettings

ORGANISATION = "Storedesk"
APPLICATION = "Storedesk"
THEMES = ("system", "light", "dark")


@dataclass(frozen=True)
class LastContext:
    """The context selected when the window closed."""

    name: str
    demo: bool  # the built-in demo cluster


class UiSettings:
    """Typed access to the window's QSettings."""

    def __init__(self, settings: QSettings | None = None) -> None:
        self._settings = settings or QSettings(ORGANISATION, APPLICATION)

    def _bytes(self, key: str) -> QByteArray | None:
        value = self._settings.value(key)
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def geometry(self) -> QByteArray | None:
        """The main window's saved geometry."""
        return self._bytes("window/geometry")

    def window_state(self) -> QByteArray | None:
        """The main window's toolbars and docks."""
        return self._bytes("window/state")

    def splitter(self) -> QByteArray | None:
        """The table/details split."""
        return self._bytes("window/splitter")

    def table_header(self) -> QByteArray | None:
        """Column widths, order and sort of the store table."""
        return self._bytes("table/header")

    def save_window(
        self, geometry: QByteArray, state: QByteArray, splitter: QByteArray, header: QByteArray
    ) -> None:
        """Remember the window's layout."""
        self._settings.setValue("window/geometry", geometry)
        self._settings.setValue("window/state", state)
        self._settings.setValue("window/splitter", splitter)
        self._settings.setValue("table/header", header)

    def filter_text(self) -> str:
        """The table's filter."""
        return str(self._settings.value("table/filter", "") or "")

    def set_filter_text(self, text: str) -> None:
        """Remember the table's filter."""
        self._settings.setValue("table/filter", text)

    def last_context(self) -> LastContext | None:
        """The context selected last time, if any."""
        name = str(self._settings.value("cluster/context", "") or "")
        demo = str(self._settings.value("cluster/demo", "false")).lower() == "true"
        return LastContext(name, demo) if name else None

    def set_last_context(self, context: LastContext) -> None:
        """Remember the selected context."""
        self._settings.setValue("cluster/context", context.name)
        self._settings.setValue("cluster/demo", "true" if context.demo else "false")

    def theme(self) -> str:
        """'system', 'light' or 'dark'."""
        value = str(self._settings.value("view/theme", "system"))
        return value if value in THEMES else "system"

    def set_theme(self, theme: str) -> None:
        """Remember the colour scheme."""
        self._settings.setValue("view/theme", theme)

    def forward_at_start(self) -> bool:
        """Whether every Ready port-forwarded store's forward starts when its cluster does."""
        return str(self._settings.value("access/forward_at_start", "false")) == "true"

    def set_forward_at_start(self, on: bool) -> None:
        """Remember the choice."""
        self._settings.setValue("access/forward_at_start", "true" if on else "false")

    def sync(self) -> None:
        """Write to disk now."""
        self._settings.sync()
