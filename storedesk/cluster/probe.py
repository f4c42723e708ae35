"""Ask a store's storefront for its page, from this machine, as a shopper's browser would.

`*.localhost` goes to 127.0.0.1 as browsers send it (RFC 6761), whatever the system
resolver says. Every step has a short deadline; what answered becomes a ReachFact. For a
port-forwarded store the caller hands over a connected stream (the forward's own path).
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import SplitResult, urlsplit

from storedesk.domain.reach import ReachFact, Seen

PROBE_TIMEOUT = 3.0  # seconds for each of connect, handshake and answer
MAX_BODY = 512 * 1024  # enough for a storefront's head, where the marker sits
MAX_REDIRECTS = 3
USER_AGENT = "Storedesk reachability check"

Connect = Callable[[], socket.socket]


def probe(
    url: str, marker: str, *, timeout: float = PROBE_TIMEOUT, connect: Connect | None = None
) -> ReachFact:
    """GET `url` and say what answered; the shop when its page carries `marker`."""
    for _ in range(MAX_REDIRECTS + 1):
        fact, location = _once(url, marker, timeout, connect)
        if location is None:
            return fact
        url = location
    return ReachFact(url, Seen.OTHER_PAGE, "too many redirects", datetime.now(UTC))


def _once(
    url: str, marker: str, timeout: float, connect: Connect | None
) -> tuple[ReachFact, str | None]:
    parts = urlsplit(url)
    host = parts.hostname or ""
    tls = parts.scheme == "https"
    port = parts.port or (443 if tls else 80)

    def fact(seen: Seen, said: str = "") -> ReachFact:
        return ReachFact(url, seen, said, datetime.now(UTC))

    try:
        sock = connect() if connect is not None else _dial(host, port, timeout)
    except socket.gaierror as e:
        return fact(Seen.NO_NAME, e.strerror or str(e)), None
    except ConnectionRefusedError:
        return fact(Seen.REFUSED, "connection refused"), None
    except TimeoutError:
        return fact(Seen.TIMEOUT, f"no connection within {timeout:g}s"), None
    except OSError as e:
        return fact(Seen.REFUSED, e.strerror or str(e)), None
    try:
        sock.settimeout(timeout)
        if tls:
            context = ssl.create_default_context()
            # A laptop cluster serves its controller's own certificate: a browser warns and
            # lets the shopper go on. Only a handshake that fails keeps the shop away.
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            sock = context.wrap_socket(sock, server_hostname=host)
        status, location, body = _exchange(sock, parts, host, port, tls)
    except ssl.SSLError as e:
        return fact(Seen.TLS, e.reason or str(e)), None
    except TimeoutError:
        return fact(Seen.TIMEOUT, f"no answer within {timeout:g}s"), None
    except (OSError, http.client.HTTPException) as e:
        return fact(Seen.REFUSED, str(e) or type(e).__name__), None
    finally:
        with contextlib.suppress(OSError):
            sock.close()
    said = f"HTTP {status}"
    if status in (301, 302, 303, 307, 308) and location:
        nxt = urlsplit(location)
        if not nxt.netloc or (nxt.hostname, nxt.port) == (parts.hostname, parts.port):
            return fact(Seen.OTHER_PAGE, said), parts._replace(path=nxt.path or "/").geturl()
        return fact(Seen.OTHER_PAGE, f"{said}, redirected to {location}"), None
    if status == 404:
        return fact(Seen.NOT_ROUTED, said), None
    if status in (502, 503, 504):
        return fact(Seen.UPSTREAM, said), None
    if status == 200 and marker and marker.encode() in body:
        return fact(Seen.SHOP, said), None
    return fact(Seen.OTHER_PAGE, said), None


def _dial(host: str, port: int, timeout: float) -> socket.socket:
    if host == "localhost" or host.endswith(".localhost"):
        return socket.create_connection(("127.0.0.1", port), timeout=timeout)
    return socket.create_connection((host, port), timeout=timeout)


def _exchange(
    sock: socket.socket, parts: SplitResult, host: str, port: int, tls: bool
) -> tuple[int, str | None, bytes]:
    """One GET over `sock`: (status, Location, the first MAX_BODY bytes of the body)."""
    default = 443 if tls else 80
    host_header = host if port == default else f"{host}:{port}"
    path = parts.path or "/"
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {host_header}\r\nUser-Agent: {USER_AGENT}\r\n"
        "Accept: text/html\r\nConnection: close\r\n\r\n"
    )
    sock.sendall(request.encode("ascii"))
    response = http.client.HTTPResponse(sock)
    response.begin()
    body = response.read(MAX_BODY) if response.status == 200 else b""
    return response.status, response.getheader("Location"), body
