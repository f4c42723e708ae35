"""The reachability probe against local HTTP servers standing in for what a shopper's browser
may meet: the shop, nothing listening, a controller that 404s or cannot reach the pods, a
redirect, another site (issue 10)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from storedesk.cluster.probe import probe
from storedesk.domain.reach import Seen

MARKER = 'name="generator" content="WooCommerce'
SHOP = f'<html><head><meta {MARKER} 11.0.0" /></head><body>Shop</body></html>'


def serve(status: int, body: str = "", location: str | None = None) -> Iterator[int]:
    seen_hosts: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen_hosts.append(self.headers["Host"])
            if self.path == "/moved" or location is None:
                code, text = (200, SHOP) if self.path == "/moved" else (status, body)
                self.send_response(code)
            else:
                self.send_response(status)
                self.send_header("Location", location)
                text = ""
            data = text.encode()
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(
    ("status", "body", "seen"),
    [
        (200, SHOP, Seen.SHOP),
        (200, "<html>It works!</html>", Seen.OTHER_PAGE),
        (404, "default backend - 404", Seen.NOT_ROUTED),
        (502, "Bad Gateway", Seen.UPSTREAM),
        (504, "Gateway Timeout", Seen.UPSTREAM),
    ],
)
def test_what_answered_is_told_apart(status: int, body: str, seen: Seen) -> None:
    for port in serve(status, body):
        fact = probe(f"http://shop.localhost:{port}/", MARKER)
        assert fact.seen == seen, fact
        assert fact.ok == (seen == Seen.SHOP)


def test_nothing_listening_is_refused(free_port: int) -> None:
    fact = probe(f"http://shop.localhost:{free_port}/", MARKER)
    assert (fact.seen, fact.said) == (Seen.REFUSED, "connection refused")


def test_a_name_that_does_not_resolve() -> None:
    fact = probe("http://shop.storedesk-test.invalid/", MARKER)
    assert fact.seen == Seen.NO_NAME


def test_a_redirect_on_the_same_host_is_followed() -> None:
    for port in serve(301, location="/moved"):
        assert probe(f"http://shop.localhost:{port}/", MARKER).seen == Seen.SHOP


def test_a_redirect_elsewhere_is_another_page() -> None:
    for port in serve(302, location="https://elsewhere.example/"):
        fact = probe(f"http://shop.localhost:{port}/", MARKER)
        assert fact.seen == Seen.OTHER_PAGE
        assert "redirected to https://elsewhere.example/" in fact.said


def test_tls_to_a_plain_http_server_is_a_tls_error() -> None:
    for port in serve(200, SHOP):
        assert probe(f"https://shop.localhost:{port}/", MARKER).seen == Seen.TLS
