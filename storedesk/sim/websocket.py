"""The server side of RFC 6455 WebSockets, as much as the pod streaming subresources need:
the opening handshake with subprotocol negotiation, framing with client masks and
fragments, ping/pong, and the closing handshake.

A connection is taken over from an HTTP request handler once the 101 answer is written:
reads go through the handler's buffered reader (it may already hold frame bytes), writes
straight to the socket, one frame at a time under a lock so threads can share it.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import socket
import struct
import threading
from typing import Protocol

_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455 section 1.3

CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
NORMAL_CLOSURE = 1000
_MAX_MESSAGE = 64 * 1024 * 1024  # a client that sends more is not a Kubernetes client


class Headers(Protocol):
    """Request headers (an http.server handler's, or a dict)."""

    def get(self, name: str, /) -> str | None: ...


class Reader(Protocol):
    """A buffered reader (an http.server handler's rfile)."""

    def read(self, size: int, /) -> bytes: ...


class ProtocolError(Exception):
    """The peer broke the framing rules."""


def is_upgrade(headers: Headers) -> bool:
    """Whether a request asks to become a WebSocket (Connection: Upgrade, Upgrade: websocket)."""
    connection = (headers.get("Connection") or "").lower()
    upgrade = (headers.get("Upgrade") or "").lower()
    return "upgrade" in connection and upgrade == "websocket"


def offered_protocols(headers: Headers) -> list[str]:
    """The subprotocols a client offers, in its order of preference."""
    raw = headers.get("Sec-WebSocket-Protocol") or ""
    return [p.strip() for p in raw.split(",") if p.strip()]


def accept_key(key: str) -> str:
    """Sec-WebSocket-Accept for a client's Sec-WebSocket-Key."""
    digest = hashlib.sha1((key.strip() + _GUID).encode(), usedforsecurity=False).digest()
    return base64.b64encode(digest).decode()


def handshake(key: str, protocol: str) -> bytes:
    """The 101 answer accepting a WebSocket (with `protocol`, unless empty)."""
    lines = [
        "HTTP/1.1 101 Switching Protocols",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Accept: {accept_key(key)}",
    ]
    if protocol:
        lines.append(f"Sec-WebSocket-Protocol: {protocol}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def encode_frame(opcode: int, payload: bytes, fin: bool = True) -> bytes:
    """One unmasked frame, as a server sends it."""
    first = (0x80 if fin else 0) | opcode
    size = len(payload)
    if size < 126:
        header = struct.pack("!BB", first, size)
    elif size < 1 << 16:
        header = struct.pack("!BBH", first, 126, size)
    else:
        header = struct.pack("!BBQ", first, 127, size)
    return header + payload


class WebSocket:
    """An accepted WebSocket: receive whole messages, send frames from any thread."""

    def __init__(self, reader: Reader, sock: socket.socket) -> None:
        self._reader = reader
        self._sock = sock
        self._send_lock = threading.Lock()
        self._closed = False

    def receive(self) -> tuple[int, bytes] | None:
        """The next data message as (TEXT or BINARY, payload); None once the peer closes
        or the connection ends. Pings are answered here, pongs dropped."""
        opcode, parts = -1, list[bytes]()
        try:
            while True:
                fin, frame_op, payload = self._read_frame()
                if frame_op == CLOSE:
                    self.close()
                    return None
                if frame_op == PING:
                    self.send(PONG, payload)
                    continue
                if frame_op == PONG:
                    continue
                if frame_op != CONTINUATION:
                    opcode, parts = frame_op, []
                parts.append(payload)
                if sum(len(p) for p in parts) > _MAX_MESSAGE:
                    raise ProtocolError("message too large")
                if fin:
                    return opcode, b"".join(parts)
        except (OSError, ProtocolError, ValueError):
            self.close()
            return None

    def send(self, opcode: int, payload: bytes) -> bool:
        """Send one frame; False when the connection is already gone."""
        frame = encode_frame(opcode, payload)
        with self._send_lock:
            if self._closed and opcode != CLOSE:
                return False
            try:
                self._sock.sendall(frame)
            except OSError:
                self._closed = True
                return False
        return True

    def close(self, code: int = NORMAL_CLOSURE) -> None:
        """Send a close frame (once) and stop sending; the caller ends the connection."""
        with self._send_lock:
            if self._closed:
                return
            self._closed = True
            with contextlib.suppress(OSError):
                self._sock.sendall(encode_frame(CLOSE, struct.pack("!H", code)))

    def shutdown(self) -> None:
        """End the connection both ways (a reader blocked in `receive` gets None)."""
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)

    @property
    def closed(self) -> bool:
        """Whether this side has closed (or found the connection gone)."""
        return self._closed

    def _read_exact(self, size: int) -> bytes:
        data = self._reader.read(size) if size else b""
        if len(data) != size:
            raise ProtocolError("connection ended inside a frame")
        return data

    def _read_frame(self) -> tuple[bool, int, bytes]:
        first, second = self._read_exact(2)
        fin, opcode = bool(first & 0x80), first & 0x0F
        size = second & 0x7F
        if size == 126:
            size = struct.unpack("!H", self._read_exact(2))[0]
        elif size == 127:
            size = struct.unpack("!Q", self._read_exact(8))[0]
        if size > _MAX_MESSAGE:
            raise ProtocolError("frame too large")
        if not second & 0x80:
            raise ProtocolError("a client frame must be masked")  # RFC 6455 section 5.1
        mask = self._read_exact(4)
        return fin, opcode, _unmask(self._read_exact(size), mask)


def _unmask(data: bytes, mask: bytes) -> bytes:
    """XOR `data` with the 4-byte `mask`, a whole word at a time."""
    if not data:
        return data
    repeated = (mask * (len(data) // 4 + 1))[: len(data)]
    value = int.from_bytes(data, "big") ^ int.from_bytes(repeated, "big")
    return value.to_bytes(len(data), "big")
