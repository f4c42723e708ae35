"""The pods/portforward subresource: what kube-apiserver, the kubelet and containerd do
together, with each forwarded connection reaching the container's simulated responder.

Three ways in, as real clients use them:
- WebSocket with a channel protocol (`v4.channel.k8s.io`, `v4.base64.channel.k8s.io`, or
  none): the kubernetes Python client. Ports come from `?ports=`; per port a data channel
  (2i) and an error channel (2i+1), each opened by a frame carrying the port as 2 bytes
  little-endian. The WebSocket closes once every port's connection has ended.
- WebSocket with `SPDY/3.1+portforward.k8s.io` (KEP-4006): kubectl 1.31+ tunnels SPDY
  through binary messages.
- `POST` upgraded to SPDY/3.1 (`X-Stream-Protocol-Version: portforward.k8s.io`): older
  kubectl, and newer kubectl when the WebSocket upgrade fails.
Over SPDY a connection is a pair of streams (headers streamType=error|data, port,
requestID); the error stream carries the kubelet's message if forwarding fails.

Checks come in the server's order: RBAC (`get` for a WebSocket, which since 1.35 also
needs `create`; `create` for SPDY), the pod (404), its node (400), a pod that no longer
runs (the kubelet's 500). A container that does not listen (not running, not Ready,
crash-looping, image not pulled, no such port) refuses the connection with containerd's
words on the error channel; a pod that goes away ends the streams it carried.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import logging
import socket
import struct
import threading
import uuid
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from storedesk.sim import resources as res
from storedesk.sim import responder, spdy, websocket
from storedesk.sim.errors import ApiError, bad_request
from storedesk.sim.store import Change, Obj, Store

if TYPE_CHECKING:
    from storedesk.sim.server import Handler

log = logging.getLogger("storedesk.sim.portforward")

PROTOCOL = "portforward.k8s.io"
TUNNEL = "SPDY/3.1+" + PROTOCOL  # constants.WebsocketsSPDYTunnelingPortForwardV1
V4_BINARY = "v4.channel.k8s.io"
V4_BASE64 = "v4.base64.channel.k8s.io"
_CHANNEL_PROTOCOLS = ("", V4_BINARY, V4_BASE64)  # what the kubelet's handler accepts
_CHUNK = 32 * 1024  # client-go copies in 32 KiB buffers


# -- entry point ------------------------------------------------------------------------------


def serve(handler: Handler, namespace: str, name: str, query: dict[str, str]) -> None:
    """Serve .../pods/NAME/portforward on `handler`'s connection (taken over on upgrade)."""
    ctx = handler.server.ctx
    if websocket.is_upgrade(handler.headers):
        _authorize(ctx, "get", namespace, name)
        _authorize_create(ctx, namespace, name)
    else:
        _authorize(ctx, "create", namespace, name)
    pod = _pod(ctx.api, namespace, name)
    if not (pod.get("spec") or {}).get("nodeName"):
        raise bad_request(f"pod {name} does not have a host assigned")
    if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
        # kubelet GetPortForward: its runtime lists running pods only.
        _plain(handler, 500, f'pod not found ("{name}_{namespace}")')
        return
    target = PodTarget(ctx.api.store, pod)
    if websocket.is_upgrade(handler.headers):
        _serve_websocket(handler, target, handler.path)
    elif _is_spdy_upgrade(handler):
        _serve_spdy_upgrade(handler, target)
    else:
        _plain(handler, 400, "unable to upgrade: missing upgrade headers in request")


def _pod(api: Any, namespace: str, name: str) -> Obj:
    pods = res.lookup("", "v1", "pods")
    assert pods is not None
    return dict(api.get(pods, namespace, name))


def _authorize(ctx: Any, verb: str, namespace: str, name: str) -> None:
    """The authorization filter's check, on the subresource (RBAC grants pods/portforward
    separately from pods)."""
    if ctx.faults.denied(verb, "pods/portforward", namespace):
        raise ApiError(
            403,
            f'pods "{name}" is forbidden: User "{ctx.user}" cannot {verb} resource '
            f'"pods/portforward" in API group "" in the namespace "{namespace}"',
            "Forbidden",
            details={"name": name, "kind": "pods"},
        )


def _authorize_create(ctx: Any, namespace: str, name: str) -> None:
    """AuthorizePodWebsocketUpgradeCreatePermission (on by default since 1.35): a WebSocket
    GET also needs `create`; the registry says so with the authorizer's reason, which RBAC
    leaves empty."""
    if ctx.faults.denied("create", "pods/portforward", namespace):
        raise ApiError(
            403,
            f'pods "{name}" is forbidden: ',
            "Forbidden",
            details={"name": name, "kind": "pods"},
        )


def _plain(handler: Handler, code: int, text: str) -> None:
    """A plain-text answer, as the kubelet's errors come back through the API server."""
    data = text.encode()
    handler.send_response(code)
    handler.send_header("Content-Type", "text/plain; charset=utf-8")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


# -- the pod end: what containerd dials inside the pod's network namespace --------------------


class Refused(Exception):
    """Forwarding to the port failed; the message is what the kubelet reports."""


class PodTarget:
    """The pod a port-forward connection was opened to (by uid: a replacement pod with the
    same name is another sandbox)."""

    def __init__(self, store: Store, pod: Obj) -> None:
        self.store = store
        meta = pod["metadata"]
        self.namespace, self.name, self.uid = meta["namespace"], meta["name"], meta["uid"]
        self.sandbox = hashlib.sha256(f"sandbox:{self.uid}".encode()).hexdigest()
        digest = hashlib.sha256(f"netns:{self.uid}".encode()).digest()
        self.netns = f"/var/run/netns/cni-{uuid.UUID(bytes=digest[:16])}"

    def current(self) -> Obj | None:
        """The pod as stored now, if it is still this one."""
        pods = res.lookup("", "v1", "pods")
        assert pods is not None
        with self.store.lock:
            pod = self.store.get(pods, self.namespace, self.name)
        return pod if pod is not None and pod["metadata"]["uid"] == self.uid else None

    def connect(self, port: int) -> tuple[socket.socket, str]:
        """A connection to `port` inside the pod and the container that took it, or
        Refused with the kubelet's message."""
        pod = self.current()
        if pod is None or pod["metadata"].get("deletionTimestamp"):
            gone = f'failed to find sandbox "{self.sandbox}" in store: not found'
            raise Refused(self._error(port, gone))
        container = listening_container(pod, port)
        if container is None:
            raise Refused(self._error(port, self._refused(port)))
        sock = responder.open_connection(responder.target_for(pod, container, port))
        return sock, str(container.get("name", ""))

    def _error(self, port: int, cause: str) -> str:
        # The CRI streaming server knows the sandbox, not the pod's uid: hence "uid : ".
        return f"error forwarding port {port} to pod {self.sandbox}, uid : {cause}"

    def _refused(self, port: int) -> str:
        """containerd's words when nothing listens on the port (the trailing space is its)."""
        return (
            f'failed to execute portforward in network namespace "{self.netns}": failed to '
            f'connect to localhost:{port} inside namespace "{self.sandbox}", IPv4: dial tcp4 '
            f"127.0.0.1:{port}: connect: connection refused IPv6 dial tcp6 [::1]:{port}: "
            "connect: connection refused "
        )


def running(pod: Obj | None, container: str) -> bool:
    """Whether `container` of `pod` still runs (the pod not deleted, not being deleted)."""
    if pod is None or pod["metadata"].get("deletionTimestamp"):
        return False
    statuses = (pod.get("status") or {}).get("containerStatuses") or ()
    status: dict[str, Any] = next((s for s in statuses if s.get("name") == container), {})
    return "running" in (status.get("state") or {})


def listening_container(pod: Obj, port: int) -> Obj | None:
    """The container that answers on `port`: one that declares it (TCP), is running and
    Ready, in a pod not being deleted. None: the connection is refused."""
    if pod["metadata"].get("deletionTimestamp"):
        return None
    statuses = {s.get("name"): s for s in (pod.get("status") or {}).get("containerStatuses") or ()}
    for container in (pod.get("spec") or {}).get("containers") or ():
        declared = any(
            p.get("containerPort") == port and p.get("protocol", "TCP") == "TCP"
            for p in container.get("ports") or ()
        )
        status = statuses.get(container.get("name")) or {}
        if declared and status.get("ready") and "running" in (status.get("state") or {}):
            return dict(container)
    return None


class _PodWatch:
    """Calls a connection back when its pod changes or goes (store listener)."""

    def __init__(self, store: Store) -> None:
        self._lock = threading.Lock()
        self._callbacks: dict[str, set[Callable[[Obj | None], None]]] = {}
        store.subscribe(self._on_change)

    def add(self, uid: str, callback: Callable[[Obj | None], None]) -> None:
        """Call `callback(pod or None)` on every change to the pod with this uid."""
        with self._lock:
            self._callbacks.setdefault(uid, set()).add(callback)

    def remove(self, uid: str, callback: Callable[[Obj | None], None]) -> None:
        """Stop calling `callback`."""
        with self._lock:
            callbacks = self._callbacks.get(uid)
            if callbacks is not None:
                callbacks.discard(callback)
                if not callbacks:
                    del self._callbacks[uid]

    def _on_change(self, change: Change) -> None:
        if change.rt.kind != "Pod":
            return
        uid = change.obj["metadata"].get("uid", "")
        with self._lock:
            callbacks = list(self._callbacks.get(uid, ()))
        pod = None if change.type == "DELETED" else change.obj
        for callback in callbacks:
            callback(pod)


_WATCHES: weakref.WeakKeyDictionary[Store, _PodWatch] = weakref.WeakKeyDictionary()
_WATCHES_LOCK = threading.Lock()


def _watch(store: Store) -> _PodWatch:
    with _WATCHES_LOCK:
        watch = _WATCHES.get(store)
        if watch is None:
            watch = _WATCHES[store] = _PodWatch(store)
        return watch


class Forwarded:
    """One forwarded connection: the socket to the container, pumped back to `send`
    until either side ends; ended early when the pod stops serving the port."""

    def __init__(
        self,
        target: PodTarget,
        connection: tuple[socket.socket, str],
        send: Callable[[bytes], bool],
        done: Callable[[], None],
    ) -> None:
        self.target = target
        self.sock, self.container = connection
        self._send, self._done = send, done
        self._closed = threading.Event()
        _watch(target.store).add(target.uid, self._pod_changed)
        threading.Thread(target=self._pump, name=f"forward-{target.name}", daemon=True).start()

    def write(self, data: bytes) -> None:
        """Bytes from the client to the container."""
        with contextlib.suppress(OSError):
            self.sock.sendall(data)

    def finish_writing(self) -> None:
        """The client has sent all it will (half close)."""
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_WR)

    def abort(self) -> None:
        """End the connection now (client reset, session gone, pod gone)."""
        if not self._closed.is_set():
            self._closed.set()
            with contextlib.suppress(OSError):
                self.sock.shutdown(socket.SHUT_RDWR)

    def _pod_changed(self, pod: Obj | None) -> None:
        # A container that stops (the pod deleted, a crash) takes its connections with
        # it; one that only turns unready keeps them, as a real process does.
        if not running(pod, self.container):
            self.abort()

    def _pump(self) -> None:
        try:
            while True:
                data = self.sock.recv(_CHUNK)
                if not data or not self._send(data):
                    break
        except OSError:
            pass
        finally:
            _watch(self.target.store).remove(self.target.uid, self._pod_changed)
            self._closed.set()
            self.sock.close()
            self._done()


# -- WebSockets ----------------------------------------------------------------------------------


def _serve_websocket(handler: Handler, target: PodTarget, path: str) -> None:
    offered = websocket.offered_protocols(handler.headers)
    if TUNNEL in offered:
        ws = _accept(handler, TUNNEL)
        _run_spdy(target, _MessageStream(ws).read_exact, lambda b: _send_binary(ws, b), ws.close)
        return
    ports = _ports(path)
    if isinstance(ports, str):
        _plain(handler, 400, ports)
        return
    protocol = next((p for p in offered or [""] if p in _CHANNEL_PROTOCOLS), None)
    if protocol is None:
        # golang.org/x/net/websocket answers a failed subprotocol handshake with a bare 403.
        handler.send_response_only(403)
        handler.send_header("Content-Length", "0")
        handler.end_headers()
        return
    ws = _accept(handler, protocol)
    _ChannelSession(ws, target, ports, base64_frames=protocol == V4_BASE64).run()


def _accept(handler: Handler, protocol: str) -> websocket.WebSocket:
    handler.close_connection = True
    handler.wfile.write(websocket.handshake(handler.headers.get("Sec-WebSocket-Key", ""), protocol))
    return websocket.WebSocket(handler.rfile, handler.connection)


def _send_binary(ws: websocket.WebSocket, data: bytes) -> None:
    if not ws.send(websocket.BINARY, data):
        raise OSError("websocket closed")


def _ports(path: str) -> list[int] | str:
    """The ports a channel-protocol client asks for, or the kubelet's complaint. (The API
    server hands its `ports` on as the kubelet's `port`, hence the name in the message.)"""
    values = parse_qs(urlsplit(path).query, keep_blank_values=True).get("ports", [])
    if not values:
        return 'query parameter "port" is required'
    ports = []
    for value in values:
        if not value:
            return 'query parameter "port" cannot be empty'
        for part in value.split(","):
            if not part.isdigit() or int(part) > 65535:
                return f'unable to parse "{value}" as a port: strconv.ParseUint: parsing "{part}": invalid syntax'
            if int(part) < 1:
                return f'port "{value}" must be > 0'
            ports.append(int(part))
    return ports


class _MessageStream:
    """Binary WebSocket messages read as one byte stream (the tunnel's framing)."""

    def __init__(self, ws: websocket.WebSocket) -> None:
        self._ws = ws
        self._buffer = bytearray()

    def read_exact(self, size: int) -> bytes:
        while len(self._buffer) < size:
            message = self._ws.receive()
            if message is None:
                raise EOFError("websocket closed")
            if message[0] != websocket.BINARY:
                raise EOFError("invalid message type received")  # as TunnelingConnection
            self._buffer += message[1]
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data


class _ChannelSession:
    """The kubelet's WebSocket port-forward: per port a data and an error channel."""

    def __init__(
        self, ws: websocket.WebSocket, target: PodTarget, ports: list[int], base64_frames: bool
    ) -> None:
        self.ws, self.target, self.ports = ws, target, ports
        self.base64 = base64_frames
        self.forwards: dict[int, Forwarded] = {}
        self._pending = len(ports)
        self._lock = threading.Lock()

    def run(self) -> None:
        """Announce the channels, connect every port, then relay until all have ended."""
        for index, port in enumerate(self.ports):
            prefix = struct.pack("<H", port)
            self._send(2 * index, prefix)
            self._send(2 * index + 1, prefix)
        for index, port in enumerate(self.ports):
            self._connect(index, port)
        while not self.ws.closed:
            message = self.ws.receive()
            if message is None:
                break
            self._from_client(*message)
        for forward in list(self.forwards.values()):
            forward.abort()

    def _connect(self, index: int, port: int) -> None:
        try:
            connection = self.target.connect(port)
        except Refused as e:
            self._send(2 * index + 1, str(e).encode())
            self._port_done()
            return
        self.forwards[index] = Forwarded(
            self.target, connection, lambda data: self._send(2 * index, data), self._port_done
        )

    def _from_client(self, opcode: int, payload: bytes) -> None:
        if opcode == websocket.TEXT and self.base64:
            if not payload:
                return
            channel, data = payload[0] - ord("0"), base64.b64decode(payload[1:])
        elif payload:
            channel, data = payload[0], payload[1:]
        else:
            return
        forward = self.forwards.get(channel // 2)
        if forward is not None and channel % 2 == 0 and data:
            forward.write(data)

    def _send(self, channel: int, data: bytes) -> bool:
        if self.base64:
            return self.ws.send(
                websocket.TEXT, bytes([ord("0") + channel]) + base64.b64encode(data)
            )
        return self.ws.send(websocket.BINARY, bytes([channel]) + data)

    def _port_done(self) -> None:
        with self._lock:
            self._pending -= 1
            last = self._pending == 0
        if last:  # handleWebSocketStreams returns, and the connection closes
            self.ws.close()
            self.ws.shutdown()


# -- SPDY ------------------------------------------------------------------------------------


def _is_spdy_upgrade(handler: Handler) -> bool:
    connection = (handler.headers.get("Connection") or "").lower()
    upgrade = (handler.headers.get("Upgrade") or "").lower()
    return "upgrade" in connection and "spdy/3.1" in upgrade


def _serve_spdy_upgrade(handler: Handler, target: PodTarget) -> None:
    """httpstream.Handshake, then the SPDY response upgrader, then the session."""
    offered = [
        p.strip()
        for value in handler.headers.get_all("X-Stream-Protocol-Version") or ()
        for p in value.split(",")
        if p.strip()
    ]
    if not offered:
        _plain(
            handler,
            400,
            f"unable to upgrade: header X-Stream-Protocol-Version does not exist in request "
            f"with {len(handler.headers)} headers",
        )
        return
    if PROTOCOL not in offered:
        handler.send_response(403)
        handler.send_header("X-Accepted-Stream-Protocol-Versions", PROTOCOL)
        text = (
            f"unable to upgrade: unable to negotiate protocol: client supports "
            f"[{' '.join(offered)}], server accepts [{PROTOCOL}]\n"
        ).encode()
        handler.send_header("Content-Type", "text/plain; charset=utf-8")
        handler.send_header("Content-Length", str(len(text)))
        handler.end_headers()
        handler.wfile.write(text)
        return
    handler.close_connection = True
    handler.wfile.write(
        b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n"
        b"X-Stream-Protocol-Version: " + PROTOCOL.encode() + b"\r\n\r\n"
    )
    reader, sock = handler.rfile, handler.connection

    def read_exact(size: int) -> bytes:
        data = reader.read(size)
        if len(data) != size:
            raise EOFError("connection closed")
        return data

    def close() -> None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)

    _run_spdy(target, read_exact, sock.sendall, close)


def _run_spdy(
    target: PodTarget,
    read_exact: Callable[[int], bytes],
    write: Callable[[bytes], None],
    close: Callable[[], None],
) -> None:
    pairs = _StreamPairs(target)
    session = spdy.Session(read_exact, write, pairs.accept, pairs.opened)
    try:
        session.serve()
    finally:
        pairs.abort_all()
        close()


class _Pair:
    """The error and data streams of one forwarded connection (one requestID)."""

    def __init__(self) -> None:
        self.error: spdy.Stream | None = None
        self.data: spdy.Stream | None = None


class _StreamPairs:
    """The kubelet's httpStreamHandler: validates streams, pairs them by requestID, and
    forwards each complete pair."""

    def __init__(self, target: PodTarget) -> None:
        self.target = target
        self.pairs: dict[str, _Pair] = {}  # waiting for their second stream
        self.active: set[Forwarded] = set()

    def accept(self, stream: spdy.Stream) -> bool:
        """httpStreamReceived: a port header that parses, and a known stream type."""
        port = stream.header("port")
        if not port.isdigit() or not 0 < int(port) <= 65535:
            log.debug("stream rejected: bad port header %r", port)
            return False
        return stream.header("streamType") in ("error", "data")

    def opened(self, stream: spdy.Stream) -> None:
        """Add the stream to its pair; a complete pair starts forwarding."""
        # Clients without a requestID (before 1.4) pair streams by the data stream's id.
        request = stream.header("requestID") or str(
            stream.id if stream.header("streamType") == "data" else stream.id + 2
        )
        pair = self.pairs.setdefault(request, _Pair())
        kind = stream.header("streamType")
        if getattr(pair, kind) is not None:
            message = (
                f"error processing stream for request {request}: {kind} stream already assigned"
            )
            if pair.error is not None:
                pair.error.write(message.encode())
            stream.reset()
            return
        setattr(pair, kind, stream)
        if pair.error is not None and pair.data is not None:
            del self.pairs[request]
            self._forward(pair.error, pair.data, int(stream.header("port")), request)

    def _forward(self, error: spdy.Stream, data: spdy.Stream, port: int, request: str) -> None:
        try:
            connection = self.target.connect(port)
        except Refused as e:
            error.write(str(e).encode())
            data.close()
            error.close()
            return

        def done() -> None:
            self.active.discard(forward)
            data.close()
            error.close()

        forward = Forwarded(self.target, connection, data.write, done)
        self.active.add(forward)
        data.on_data = forward.write
        data.on_end = lambda reset: forward.abort() if reset else forward.finish_writing()
        if data.remote_done:
            forward.finish_writing()

    def abort_all(self) -> None:
        """The session is over: end every forwarded connection."""
        for forward in list(self.active):
            forward.abort()
