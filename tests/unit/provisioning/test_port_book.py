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
