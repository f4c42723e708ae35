"""Each store keeps its local port; a busy one moves to the next free port, remembered."""

from __future__ import annotations

import socket
from pathlib import Path

from storedesk.provisioning.forwards import FIRST_PORT, PortBook, port_is_free


def test_a_store_keeps_its_port_across_restarts(tmp_path: Path) -> None:
    first = PortBook(tmp_path).port_for("kind-kind", "shop")
    assert first >= FIRST_PORT
    assert PortBook(tmp_path).port_for("kind-kind", "shop") == first  # a new process
    assert PortBook(tmp_path).port_for("kind-kind", "other") != first


def test_a_busy_port_moves_to_the_next_free_one_and_that_is_remembered(tmp_path: Path) -> None:
    book = PortBook(tmp_path)
    port = book.port_for("ctx", "shop")
    with socket.socket() as squatter:
        # Another program listening there (with SO_REUSEADDR, as servers set it: earlier
        # tests' connections may linger on the port in TIME_WAIT).
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        assert not port_is_free(port)
        moved = book.port_for("ctx", "shop")
        assert moved != port
        assert book.port_for("ctx", "shop", free=False) == moved
    assert PortBook(tmp_path).port_for("ctx", "shop") == moved


def test_a_forgotten_store_frees_its_port(tmp_path: Path) -> None:
    book = PortBook(tmp_path)
    port = book.port_for("ctx", "shop")
    book.forget("ctx", "shop")
    assert book.port_for("ctx", "next") == port


def test_connections_lingering_after_a_restart_leave_the_port_free(tmp_path: Path) -> None:
    port = PortBook(tmp_path).port_for("ctx", "shop")
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen()
        browser = socket.create_connection(("127.0.0.1", port))
        served, _ = listener.accept()
        served.close()  # the forward's side closes first: its end waits in TIME_WAIT
        browser.close()
    # The app quit and starts again: the store's port is still its own, not "busy".
    assert port_is_free(port)
    assert PortBook(tmp_path).port_for("ctx", "shop") == port


def test_a_program_listening_on_every_address_makes_the_port_busy(tmp_path: Path) -> None:
    port = PortBook(tmp_path).port_for("ctx", "shop")
    with socket.socket() as squatter:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(("0.0.0.0", port))  # noqa: S104 - another program's choice, not ours
        squatter.listen()
        assert not port_is_free(port)
        assert PortBook(tmp_path).port_for("ctx", "shop") != port
