"""SPDY/3.1 as Kubernetes streaming speaks it (moby/spdystream on both ends): the server
side of a session, with the frames kubectl and a kubelet exchange.

Frames: SYN_STREAM, SYN_REPLY, RST_STREAM, PING, GOAWAY and DATA carry the work; SETTINGS,
HEADERS and WINDOW_UPDATE are read and ignored, as spdystream does (it has no flow
control). Header blocks are zlib streams, one per direction for the whole session,
primed with the SPDY/3 dictionary and sync-flushed after every block.
"""

from __future__ import annotations

import contextlib
import logging
import struct
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger("storedesk.sim.spdy")

VERSION = 3
SYN_STREAM, SYN_REPLY, RST_STREAM, SETTINGS = 1, 2, 3, 4
PING, GOAWAY, HEADERS, WINDOW_UPDATE = 6, 7, 8, 9
FLAG_FIN = 0x01
RST_PROTOCOL_ERROR, RST_INVALID_STREAM, RST_REFUSED_STREAM, RST_CANCEL = 1, 2, 3, 5
GOAWAY_OK = 0
_MAX_DATA = (1 << 24) - 1  # a frame's 24-bit length


def _dictionary() -> bytes:
    """The SPDY/3 header compression dictionary (draft-mbelshe-httpbis-spdy-00, 2.6.10.1):
    length-prefixed header names and values, then common status lines, dates and types."""
    words = [
        *("options", "head", "post", "put", "delete", "trace", "accept", "accept-charset"),
        *("accept-encoding", "accept-language", "accept-ranges", "age", "allow"),
        *("authorization", "cache-control", "connection", "content-base", "content-encoding"),
        *("content-language", "content-length", "content-location", "content-md5"),
        *("content-range", "content-type", "date", "etag", "expect", "expires", "from"),
        *("host", "if-match", "if-modified-since", "if-none-match", "if-range"),
        *("if-unmodified-since", "last-modified", "location", "max-forwards", "pragma"),
        *("proxy-authenticate", "proxy-authorization", "range", "referer", "retry-after"),
        *("server", "te", "trailer", "transfer-encoding", "upgrade", "user-agent", "vary"),
        *("via", "warning", "www-authenticate", "method", "get", "status", "200 OK"),
        *("version", "HTTP/1.1", "url", "public", "set-cookie", "keep-alive", "origin"),
    ]
    codes = "100101201202205206300302303304305306307402405406407408409410411412413414415416417"
    codes += "502504505"
    phrases = (
        "203 Non-Authoritative Information204 No Content301 Moved Permanently"
        "400 Bad Request401 Unauthorized403 Forbidden404 Not Found"
        "500 Internal Server Error501 Not Implemented503 Service Unavailable"
    )
    dates = "Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 "
    days = "Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT"
    types = (
        "chunked,text/html,image/png,image/jpg,image/gif,application/xml,"
        "application/xhtml+xml,text/plain,text/javascript,publicprivatemax-age="
        "gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0."
    )
    head = b"".join(struct.pack("!I", len(w)) + w.encode() for w in words)
    return head + (codes + phrases + dates + days + types).encode()


DICTIONARY = _dictionary()

Headers = dict[str, list[str]]


class SpdyError(Exception):
    """A frame this side cannot accept."""


@dataclass
class Frame:
    """One frame read from the peer."""

    control: bool
    type: int  # a control frame's type; 0 for DATA
    flags: int
    stream_id: int = 0
    headers: Headers = field(default_factory=dict)
    data: bytes = b""
    value: int = 0  # RST status, PING id, GOAWAY status

    @property
    def fin(self) -> bool:
        """Whether the sender has finished its half of the stream."""
        return bool(self.flags & FLAG_FIN)


class HeaderCodec:
    """The two header compression contexts of one session (ours and the peer's)."""

    def __init__(self) -> None:
        self._inflate = zlib.decompressobj(zdict=DICTIONARY)
        self._deflate = zlib.compressobj(level=9, zdict=DICTIONARY)

    def decode(self, block: bytes) -> Headers:
        """A compressed name/value block: uint32 count, then length-prefixed names and
        values (a value holds several, separated by NUL)."""
        try:
            raw = self._inflate.decompress(block)
        except zlib.error as e:
            raise SpdyError(f"header block: {e}") from None
        headers: Headers = {}
        count, offset = _u32(raw, 0), 4
        for _ in range(count):
            name, offset = _string(raw, offset)
            value, offset = _string(raw, offset)
            headers.setdefault(name.lower(), []).extend(value.split("\0"))
        return headers

    def encode(self, headers: Headers) -> bytes:
        """Our compressed name/value block."""
        raw = struct.pack("!I", len(headers))
        for name, values in headers.items():
            for part in (name.lower(), "\0".join(values)):
                encoded = part.encode()
                raw += struct.pack("!I", len(encoded)) + encoded
        return self._deflate.compress(raw) + self._deflate.flush(zlib.Z_SYNC_FLUSH)


def _u32(raw: bytes, offset: int) -> int:
    if offset + 4 > len(raw):
        raise SpdyError("header block cut short")
    return int(struct.unpack_from("!I", raw, offset)[0])


def _string(raw: bytes, offset: int) -> tuple[str, int]:
    size = _u32(raw, offset)
    start = offset + 4
    if start + size > len(raw):
        raise SpdyError("header block cut short")
    return raw[start : start + size].decode("utf-8", "replace"), start + size


def read_frame(read_exact: Callable[[int], bytes], codec: HeaderCodec) -> Frame:
    """The next frame; `read_exact(n)` returns n bytes or raises EOFError."""
    first, second = struct.unpack("!II", read_exact(8))
    flags, length = second >> 24, second & 0xFFFFFF
    body = read_exact(length) if length else b""
    if not first & 0x80000000:
        return Frame(False, 0, flags, stream_id=first & 0x7FFFFFFF, data=body)
    kind = first & 0xFFFF
    frame = Frame(True, kind, flags)
    if kind in (SYN_STREAM, SYN_REPLY, HEADERS, RST_STREAM, WINDOW_UPDATE):
        frame.stream_id = _u32(body, 0) & 0x7FFFFFFF
    if kind == SYN_STREAM:
        frame.headers = codec.decode(body[10:])  # after stream id, associated id, priority
    elif kind in (SYN_REPLY, HEADERS):
        frame.headers = codec.decode(body[4:])
    elif kind == RST_STREAM:
        frame.value = _u32(body, 4)
    elif kind in (PING, GOAWAY):
        frame.value = _u32(body, 0 if kind == PING else 4)
    return frame


def _control(kind: int, flags: int, body: bytes) -> bytes:
    return struct.pack("!HHI", 0x8000 | VERSION, kind, (flags << 24) | len(body)) + body


def syn_reply(stream_id: int, codec: HeaderCodec, headers: Headers | None = None) -> bytes:
    """Accept a stream the peer opened."""
    return _control(SYN_REPLY, 0, struct.pack("!I", stream_id) + codec.encode(headers or {}))


def rst_stream(stream_id: int, status: int) -> bytes:
    """Abort a stream."""
    return _control(RST_STREAM, 0, struct.pack("!II", stream_id, status))


def ping(ping_id: int) -> bytes:
    """A PING (answered by sending the peer's own back)."""
    return _control(PING, 0, struct.pack("!I", ping_id))


def goaway(last_good: int, status: int = GOAWAY_OK) -> bytes:
    """The session ends; streams up to `last_good` were accepted."""
    return _control(GOAWAY, 0, struct.pack("!II", last_good, status))


def data_frames(stream_id: int, data: bytes, fin: bool = False) -> list[bytes]:
    """`data` as DATA frames (an empty one when only FIN is sent)."""
    chunks = [data[i : i + _MAX_DATA] for i in range(0, len(data), _MAX_DATA)] or [b""]
    frames = []
    for index, chunk in enumerate(chunks):
        last = fin and index == len(chunks) - 1
        header = struct.pack("!II", stream_id, ((FLAG_FIN if last else 0) << 24) | len(chunk))
        frames.append(header + chunk)
    return frames


class Stream:
    """A stream the peer opened: its headers, and what we send on it. What the peer sends
    goes to the callbacks the application sets (`on_data`, `on_end`)."""

    def __init__(self, session: Session, stream_id: int, headers: Headers) -> None:
        self.session = session
        self.id = stream_id
        self.headers = headers
        self.on_data: Callable[[bytes], None] | None = None
        self.on_end: Callable[[bool], None] | None = None  # True: reset, False: FIN
        self.sent_fin = False
        self.remote_done = False

    def header(self, name: str) -> str:
        """The first value of a header ('' when absent)."""
        values = self.headers.get(name.lower()) or [""]
        return values[0]

    def write(self, data: bytes) -> bool:
        """Send data; False once the stream or session can take no more."""
        if self.sent_fin or not data:
            return not self.sent_fin
        return self.session.send(*data_frames(self.id, data))

    def close(self) -> None:
        """Finish our half (FIN), once."""
        if not self.sent_fin:
            self.sent_fin = True
            self.session.send(*data_frames(self.id, b"", fin=True))

    def reset(self, status: int = RST_CANCEL) -> None:
        """Abort the stream both ways."""
        self.sent_fin = True
        self.session.send(rst_stream(self.id, status))

    def _ended(self, reset: bool) -> None:
        if self.remote_done:
            return
        self.remote_done = True
        if self.on_end is not None:
            self.on_end(reset)


class Session:
    """The server end of a SPDY session over a byte transport. `serve` reads frames until
    the peer goes away. For each new stream `accept(stream)` decides (False resets it);
    once it is answered, `opened(stream)` may use it. Both run on the reading thread, so
    they must not block."""

    def __init__(
        self,
        read_exact: Callable[[int], bytes],
        write: Callable[[bytes], None],
        accept: Callable[[Stream], bool],
        opened: Callable[[Stream], None],
    ) -> None:
        self._read_exact = read_exact
        self._write = write
        self._accept = accept
        self._opened = opened
        self._codec = HeaderCodec()
        self._lock = threading.Lock()
        self.streams: dict[int, Stream] = {}
        self._last_id = 0
        self.closed = threading.Event()

    def serve(self) -> None:
        """Handle frames until the transport ends or the peer sends GOAWAY."""
        try:
            while not self.closed.is_set():
                frame = read_frame(self._read_exact, self._codec)
                if frame.control and frame.type == GOAWAY:
                    break
                self._dispatch(frame)
        except (EOFError, OSError, SpdyError, struct.error) as e:
            log.debug("spdy session ends: %s", e)
        finally:
            self.closed.set()
            for stream in list(self.streams.values()):
                stream._ended(True)

    def send(self, *frames: bytes) -> bool:
        """Write whole frames (never interleaved with another thread's); False when the
        transport is gone."""
        with self._lock:
            if self.closed.is_set():
                return False
            try:
                for frame in frames:
                    self._write(frame)
            except OSError:
                self.closed.set()
                return False
        return True

    def go_away(self) -> None:
        """Tell the peer the session is over (it closes the transport)."""
        self.send(goaway(self._last_id))
        self.closed.set()

    def _dispatch(self, frame: Frame) -> None:
        if not frame.control:
            self._on_data(frame)
        elif frame.type == SYN_STREAM:
            self._open(frame)
        elif frame.type == RST_STREAM:
            stream = self.streams.pop(frame.stream_id, None)
            if stream is not None:
                stream.sent_fin = True
                stream._ended(True)
        elif frame.type == PING:
            self.send(ping(frame.value))  # the peer's pings come back as they are
        # SYN_REPLY (we open no streams), SETTINGS, HEADERS, WINDOW_UPDATE: nothing to do

    def _open(self, frame: Frame) -> None:
        if frame.stream_id <= self._last_id or frame.stream_id % 2 == 0:
            self.send(rst_stream(frame.stream_id, RST_PROTOCOL_ERROR))
            return
        self._last_id = frame.stream_id
        stream = Stream(self, frame.stream_id, frame.headers)
        self.streams[stream.id] = stream
        if not self._accept(stream):
            self.streams.pop(stream.id, None)
            stream.reset()
            return
        # The reply goes first: spdystream drops data on a stream it has no reply for.
        self.send(syn_reply(stream.id, self._codec))
        if frame.fin:
            stream.remote_done = True
        self._opened(stream)

    def _on_data(self, frame: Frame) -> None:
        stream = self.streams.get(frame.stream_id)
        if stream is None:
            return  # spdystream drops data for streams it no longer has
        if frame.data and stream.on_data is not None:
            with contextlib.suppress(OSError):
                stream.on_data(frame.data)
        if frame.fin:
            stream._ended(False)
