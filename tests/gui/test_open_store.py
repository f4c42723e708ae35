"""Storefront from the window on a store served through Storedesk's port-forward: the page
the browser would open is fetched through the URL the window opens (issue 11)."""

from __future__ import annotations

import http.client
import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from PySide6.QtCore import Qt

from storedesk.domain.models import Phase
from tests.gui.driver import TIMEOUT_MS, create_with_dialog, record, wait_idle, wait_phase

pytestmark = [pytest.mark.gui, pytest.mark.helm, pytest.mark.keyring]


@pytest.fixture
def browser(tmp_path: Path, monkeypatch) -> Path:
    """A stand-in for the desktop's browser: an `xdg-open` first on PATH (what Qt and the
    window run on Linux) that writes down the URL it was asked to open."""
    opened = tmp_path / "opened.txt"
    fake = tmp_path / "bin" / "xdg-open"
    fake.parent.mkdir()
    fake.write_text(f'#!/bin/sh\nprintf "%s\\n" "$1" >> "{opened}"\n')
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}:{os.environ['PATH']}")
    return opened


def test_storefront_opens_through_the_forward(qtbot, window, browser) -> None:
    create_with_dialog(qtbot, window, "fwd")
    wait_phase(qtbot, window, "fwd", Phase.READY)
    wait_idle(qtbot, window)
    assert record(window, "fwd").forwarded  # the simulator has no ingress controller
    window.table.select("fwd")
    window.commands.open_storefront.trigger()
    qtbot.waitUntil(
        lambda: browser.exists() and bool(browser.read_text().strip()), timeout=TIMEOUT_MS
    )
    url = urlsplit(browser.read_text().splitlines()[0])
    assert (url.hostname, url.port) == ("fwd.localhost", url.port) and url.port
    conn = http.client.HTTPConnection("127.0.0.1", url.port, timeout=15)
    conn.request("GET", url.path or "/", headers={"Host": url.netloc})
    page = conn.getresponse()
    assert page.status == 200
    assert b'content="WooCommerce' in page.read()
    conn.close()


def fetch_opened(browser: Path) -> tuple[int, bytes, str]:
    """GET the URL the window last gave the browser: (status, body, URL)."""
    url = urlsplit(browser.read_text().splitlines()[-1])
    conn = http.client.HTTPConnection("127.0.0.1", url.port or 80, timeout=15)
    try:
        conn.request("GET", url.path or "/", headers={"Host": url.netloc})
        page = conn.getresponse()
        return page.status, page.read(), url.geturl()
    finally:
        conn.close()


def test_demo_stores_open_through_the_forward_and_through_the_demos_own_ingress(
    qtbot, tmp_path: Path, open_window, browser: Path
) -> None:
    window = open_window(tmp_path / "missing-kubeconfig")
    window.session.start_demo()
    qtbot.waitUntil(lambda: window.session.service is not None, timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: window.commands.new_store.isEnabled(), timeout=TIMEOUT_MS)
    # One store chosen to open through the port-forward, one left to Storedesk: the demo
    # cluster is its own ingress controller, on a port it keeps.
    window.commands.new_store.trigger()
    dialog = window.new_store_dialog
    access = dialog.option_widgets["access"]
    access.setCurrentIndex(access.findData("port-forward"))
    qtbot.keyClicks(dialog.name_edit, "viafwd")
    qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    create_with_dialog(qtbot, window, "viaingress")
    for name in ("viafwd", "viaingress"):
        wait_phase(qtbot, window, name, Phase.READY)
    wait_idle(qtbot, window)
    assert record(window, "viafwd").forwarded and not record(window, "viaingress").forwarded
    for count, name in enumerate(("viafwd", "viaingress"), start=1):
        window.table.select(name)
        window.commands.open_storefront.trigger()
        qtbot.waitUntil(
            lambda n=count: browser.exists() and len(browser.read_text().splitlines()) == n,
            timeout=TIMEOUT_MS,
        )
        status, body, url = fetch_opened(browser)
        assert url == record(window, name).url
        assert status == 200 and b'content="WooCommerce' in body


def test_a_setting_starts_every_ready_stores_forward_with_the_cluster(
    qtbot, sim, open_window, ui_settings, tmp_path: Path
) -> None:
    from tests.integration.engine_support import service_for
    from tests.support import helm_binary

    made = service_for(sim, helm_binary("4"), tmp_path / "other")
    made.create("early", wait=True, use_keyring=False)
    made.forwards.stop_all()
    ui_settings.set_forward_at_start(True)
    window = open_window(sim.kubeconfig, sim.context)
    assert window.forward_at_start.isChecked()
    qtbot.waitUntil(
        lambda: (
            window.session.service is not None
            and any(s.store == "early" for s in window.session.service.forwards.states())
        ),
        timeout=TIMEOUT_MS,
    )
    state = next(s for s in window.session.service.forwards.states() if s.store == "early")
    conn = http.client.HTTPConnection("127.0.0.1", state.port, timeout=15)
    conn.request("GET", "/", headers={"Host": f"early.localhost:{state.port}"})
    assert conn.getresponse().status == 200
    conn.close()
