"""What a simulated container answers on a port it declares: a small HTTP/1.1 responder.

No process runs in the simulator, so each container port answers with a page that says
plainly what it is: a simulated store (or container), never a shop. It names the store,
engine, pod, container, image and the Host it was asked for, and carries the markers
Storedesk's reachability check looks for, so the check, a port-forward and a browser can
be tested end to end without containers:

- a WordPress container (image `wordpress*`, not the `cli` variant): an HTML page with the
  WooCommerce generator meta tag, and the Store API's product list
  (`/wp-json/wc/store/v1/products`) holding one product that says it is simulated;
- a Medusa server (a `medusa` command, as charts/medusa starts it): `/health` answers
  `OK`, `/store/products` a JSON list (the real one also wants a publishable key header;
  the simulator does not check it);
- anything else: a plain "simulated container" page.

Every container also serves `/.storedesk-sim/bytes/N`: N zero bytes (up to 64 MiB), so a
benchmark can measure a forward's throughput against the same request made directly.

Reads only: every other method (a checkout is a POST) answers 501, because the simulator
runs no shop.
"""

from __future__ import annotations

import contextlib
import html
import json
import logging
import posixpath
import socket
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import urlsplit

log = logging.getLogger("storedesk.sim.responder")

WOOCOMMERCE_GENERATOR = "WooCommerce 11.0.0 (Storedesk simulator)"
NO_SHOP = "the simulator runs no shop"
SERVER = "storedesk-sim"
_MAX_BODY = 1 << 20  # request bodies up to this are read and dropped; larger close the line
BYTES_PATH = "/.storedesk-sim/bytes/"
_MAX_BYTES = 64 << 20


@dataclass(frozen=True)
class Target:
    """One container port of one pod: what answers there."""

    namespace: str
    pod: str
    container: str
    image: str
    port: int
    store: str = ""
    engine: str = ""
    command: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        """woocommerce, medusa or other: which page this container serves."""
        words = [w for part in self.command for w in part.split()]
        if any(posixpath.basename(w) == "medusa" for w in words):
            return "medusa"
        name, tag = _image_name(self.image)
        if name.startswith("wordpress") and not tag.startswith("cli"):
            return "woocommerce"
        return "other"


def target_for(pod: dict[str, Any], container: dict[str, Any], port: int) -> Target:
    """The Target for `container` of `pod` on `port`."""
    meta = pod["metadata"]
    labels = meta.get("labels") or {}
    return Target(
        namespace=meta.get("namespace", ""),
        pod=meta["name"],
        container=container.get("name", ""),
        image=container.get("image", ""),
        port=port,
        store=labels.get("storedesk.io/store", ""),
        engine=labels.get("storedesk.io/engine", ""),
        command=tuple(str(c) for c in [*container.get("command", []), *container.get("args", [])]),
    )


def _image_name(image: str) -> tuple[str, str]:
    """(the image's last path element, its tag) of e.g. docker.io/library/wordpress:7@sha256:..."""
    ref = image.split("@", 1)[0]
    last = ref.rsplit("/", 1)[-1]
    name, _, tag = last.partition(":")
    return name.lower(), tag.lower()


@dataclass(frozen=True)
class Reply:
    """An HTTP answer."""

    status: int
    content_type: str
    body: bytes


def respond(target: Target, method: str, path: str, host: str) -> Reply:
    """What `target` answers to `method path` asked of `host`."""
    if method not in ("GET", "HEAD"):
        return Reply(501, "text/plain; charset=utf-8", f"{NO_SHOP}\n".encode())
    route = urlsplit(path).path or "/"
    if route.startswith(BYTES_PATH):
        return _bytes(route[len(BYTES_PATH) :])
    kind = target.kind
    if kind == "woocommerce":
        return _woocommerce(target, route, host)
    if kind == "medusa":
        return _medusa(target, route, host)
    return _page(target, host, "Simulated container", "")


def _bytes(count: str) -> Reply:
    """N zero bytes, for throughput measurements."""
    if not count.isdigit() or int(count) > _MAX_BYTES:
        text = f"ask for 0 to {_MAX_BYTES} bytes\n".encode()
        return Reply(400, "text/plain; charset=utf-8", text)
    return Reply(200, "application/octet-stream", bytes(int(count)))


def _woocommerce(target: Target, route: str, host: str) -> Reply:
    if route.rstrip("/") == "/wp-json/wc/store/v1/products":
        return _json(200, [_product(target, host)])
    if route.startswith("/wp-json"):
        return _json(
            404,
            {
                "code": "rest_no_route",
                "message": "No route was found matching the URL and request method.",
                "data": {"status": 404},
            },
        )
    generator = f'<meta name="generator" content="{WOOCOMMERCE_GENERATOR}" />\n'
    return _page(target, host, "Simulated store", generator, engine="WooCommerce")


def _product(target: Target, host: str) -> dict[str, Any]:
    """The one product of a simulated store: it says what it is and cannot be bought."""
    return {
        "id": 1,
        "name": "Simulated product (Storedesk simulator: not for sale)",
        "slug": "simulated-product",
        "permalink": f"http://{host}/product/simulated-product/",
        "description": f"<p>Store {target.store or '-'} is simulated: no shop runs here.</p>",
        "prices": {"price": "0", "regular_price": "0", "currency_code": "USD"},
        "is_purchasable": False,
        "is_in_stock": False,
    }


def _medusa(target: Target, route: str, host: str) -> Reply:
    if route == "/health":
        return Reply(200, "text/plain; charset=utf-8", b"OK")
    if route.rstrip("/") == "/store/products":
        products = [
            {
                "id": "prod_simulated",
                "title": "Simulated product (Storedesk simulator: not for sale)",
                "handle": "simulated-product",
                "description": f"Store {target.store or '-'} is simulated: no shop runs here.",
            }
        ]
        return _json(200, {"products": products, "count": 1, "offset": 0, "limit": 50})
    # The admin's page carries the element Medusa's own admin mounts into.
    marker = '<div id="medusa"></div>\n' if route.startswith("/app") else ""
    return _page(target, host, "Simulated store", "", engine="Medusa", extra_body=marker)


def _json(status: int, value: Any) -> Reply:
    return Reply(status, "application/json; charset=UTF-8", json.dumps(value).encode())


def _page(
    target: Target, host: str, title: str, extra_head: str, engine: str = "", extra_body: str = ""
) -> Reply:
    """The HTML page: what this is, in plain words, and what it stands for."""
    rows = [
        ("Store", target.store or "(not a Storedesk store)"),
        ("Engine", target.engine or engine or "-"),
        ("Pod", f"{target.namespace}/{target.pod}"),
        ("Container", target.container),
        ("Image", target.image),
        ("Port", str(target.port)),
        ("Host asked for", host or "-"),
    ]
    listing = "\n".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in rows)
    what = "store" if title == "Simulated store" else "container"
    body = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8" />\n'
        f"{extra_head}<title>{title} {html.escape(target.store or target.pod)} "
        "(Storedesk simulator)</title>\n</head>\n<body>\n"
        f"<h1>{title}: this is not a shop</h1>\n{extra_body}"
        f"<p>This page comes from the Storedesk simulator, which runs no containers. It "
        f"stands in for the {what} below so that links, port-forwards and checks can be "
        "tried without a cluster. Nothing can be bought here.</p>\n"
        f"<dl>\n{listing}\n</dl>\n</body>\n</html>\n"
    )
    return Reply(200, "text/html; charset=UTF-8", body.encode())


class _Handler(BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive on one forwarded connection."""

    protocol_version = "HTTP/1.1"
    target: Target

    def __init__(self, request: Any, target: Target) -> None:
        self.target = target
        super().__init__(request, ("127.0.0.1", target.port), None)  # type: ignore[arg-type]

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s: %s", self.target.pod, format % args)

    def version_string(self) -> str:
        return SERVER

    def do_GET(self) -> None:
        self._answer()

    do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET

    def _answer(self) -> None:
        drain_body(self)
        reply = respond(self.target, self.command, self.path, self.headers.get("Host", ""))
        write(self, reply, head=self.command == "HEAD")


def drain_body(handler: BaseHTTPRequestHandler) -> None:
    """Read and drop a request body, so the next request on the line parses (a body too
    big, or chunked, ends the connection after the answer instead)."""
    size = handler.headers.get("Content-Length") or "0"
    if not size.isdigit() or int(size) > _MAX_BODY or handler.headers.get("Transfer-Encoding"):
        handler.close_connection = True
    elif int(size):
        handler.rfile.read(int(size))


def write(handler: BaseHTTPRequestHandler, reply: Reply, head: bool = False) -> None:
    """Send `reply` through an HTTP handler (headers that say it is simulated)."""
    handler.send_response(reply.status)
    handler.send_header("Content-Type", reply.content_type)
    handler.send_header("Content-Length", str(len(reply.body)))
    handler.send_header("X-Storedesk-Simulated", "true")
    handler.end_headers()
    if not head:
        handler.wfile.write(reply.body)


def open_connection(target: Target) -> socket.socket:
    """A connected socket to `target`'s responder: one end of a socket pair, the other
    served by a thread (no listening socket per pod)."""
    ours, theirs = socket.socketpair()
    thread = threading.Thread(
        target=_serve, args=(theirs, target), name=f"responder-{target.pod}", daemon=True
    )
    thread.start()
    return ours


def _serve(sock: socket.socket, target: Target) -> None:
    try:
        _Handler(sock, target)
    except OSError:
        pass  # the other end went away mid-request
    finally:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()
