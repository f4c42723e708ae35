"""Storedesk's own port-forward: a store served at http://<store>.localhost:<port>/ on any
cluster, through the Kubernetes API, with no ingress controller and no setup.

Each store keeps the same local port, remembered per context and store in the data dir;
a busy port moves to the next free one, which is remembered instead. A forward listens on
127.0.0.1 only, never on another address. Every connection a browser opens is forwarded to
a Ready pod behind the store's Service, looked up anew for each connection, so a forward
survives its pod being replaced. When no pod is ready, the browser gets a page saying so.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import socket
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from storedesk.cluster.kube import PODS, SERVICES, KubeClient
from storedesk.cluster.portforward import open_stream
from storedesk.domain.engines import Engine
from storedesk.domain.models import store_namespace
from storedesk.errors import (
    ClusterUnreachable,
    DataDirUnavailable,
    InvalidInput,
    OperationFailed,
    StoredeskError,
)

if TYPE_CHECKING:
    from storedesk.provisioning.service import StoreService

LOOPBACK = "127.0.0.1"  # never 0.0.0.0: a store's admin must not reach the LAN
FIRST_PORT = 8780
PORT_RANGE = 200  # ports tried from FIRST_PORT before giving up
CHUNK = 64 * 1024


class PortBook:
    """The local port of each store, per context, kept in `<data dir>/forwards.json`."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "forwards.json"
        self._lock = threading.Lock()

    def port_for(self, context: str, store: str, *, free: bool = True) -> int:
        """The store's port: the one remembered if it is free (or `free` is False), else the
        next free one from FIRST_PORT, remembered from now on."""
        with self._lock:
            book = self._read()
            ports = book.setdefault(context, {})
            known = ports.get(store)
            if isinstance(known, int) and (not free or port_is_free(known)):
                return known
            taken = {p for c in book.values() for p in c.values()}
            for port in range(FIRST_PORT, FIRST_PORT + PORT_RANGE):
                if port not in taken and port_is_free(port):
                    ports[store] = port
                    self._write(book)
                    return port
        raise OperationFailed(
            f"every local port from {FIRST_PORT} to {FIRST_PORT + PORT_RANGE - 1} is busy",
            hint="stop some forwards or programs listening there, then open the store again",
        )

    def forget(self, context: str, store: str) -> None:
        """A deleted store's port is free for the next store."""
        with self._lock:
            book = self._read()
            if book.get(context, {}).pop(store, None) is not None:
                self._write(book)

    def _read(self) -> dict[str, dict[str, int]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            return {}  # a damaged book only costs the remembered ports
        return data if isinstance(data, dict) else {}

    def _write(self, book: dict[str, dict[str, int]]) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(book, indent=1, sort_keys=True), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError as e:
            raise DataDirUnavailable.because("the forwarded ports file", self.path, e) from None


def port_is_free(port: int) -> bool:
    """True when nothing listens on 127.0.0.1:`port`."""
    with _tcp_socket() as probe:
        try:
            probe.bind((LOOPBACK, port))
        except OSError:
            return False
    # On macOS (BSD sockets) SO_REUSEADDR lets that bind succeed beside another program
    # listening on 0.0.0.0:`port`; only a connection attempt tells.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as caller:
        caller.settimeout(1.0)
        return caller.connect_ex((LOOPBACK, port)) != 0


def _tcp_socket() -> socket.socket:
    """A TCP socket for a listener. With SO_REUSEADDR (not on Windows, where it would let
    two programs share a port): connections this forward closed linger in TIME_WAIT for a
    minute, and without it a restarted app would find its own store's port "busy"."""
    made = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if os.name != "nt":
        made.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    return made


@dataclass(frozen=True)
class ForwardState:
    """What the window shows of a forward."""

    store: str
    port: int
    url: str
    listening: bool
    connections: int
    problem: str | None  # the last thing that went wrong, in words


def ready_pod(kube: KubeClient, namespace: str, service: str, port: int) -> tuple[str, int]:
    """(pod, container port) of a Ready pod behind `service`'s `port`; OperationFailed
    naming what is missing otherwise."""
    svc = kube.get(SERVICES, service, namespace)
    if svc is None:
        raise OperationFailed(f"Service {service} is missing from {namespace}")
    spec = svc.get("spec", {})
    selector = ",".join(f"{k}={v}" for k, v in (spec.get("selector") or {}).items())
    wanted = next((p for p in spec.get("ports") or () if p.get("port") == port), None)
    if not selector or wanted is None:
        raise OperationFailed(f"Service {service} in {namespace} has no port {port} to forward")
    pods, _ = kube.list(PODS, namespace=namespace, label_selector=selector)
    for pod in sorted(pods, key=lambda p: p["metadata"]["name"]):
        if pod["metadata"].get("deletionTimestamp") or not _is_ready(pod):
            continue
        target = _container_port(pod, wanted.get("targetPort", port))
        if target is not None:
            return pod["metadata"]["name"], target
    raise OperationFailed(
        f"no pod is ready behind Service {service} in {namespace}",
        hint="the store's pods are starting or failing: its status says which",
    )


def _is_ready(pod: dict[str, Any]) -> bool:
    conditions = pod.get("status", {}).get("conditions") or ()
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def _container_port(pod: dict[str, Any], target: int | str) -> int | None:
    if isinstance(target, int):
        return target
    for container in pod.get("spec", {}).get("containers") or ():
        for declared in container.get("ports") or ():
            if declared.get("name") == target:
                return int(declared["containerPort"])
    return None


class Forward:
    """One store's forward: a listener on 127.0.0.1:port, a thread per connection."""

    def __init__(self, kube: KubeClient, store: str, engine: Engine, port: int, url: str) -> None:
        target = engine.forward_target(store)
        if target is None:
            raise InvalidInput(f"engine {engine.name} names no Service to forward to")
        self.kube, self.store, self.port, self.url = kube, store, port, url
        self.namespace = store_namespace(store)
        self.service, self.service_port = target
        self.problem: str | None = None
        self.connections = 0
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._listener = _tcp_socket()
        try:
            self._listener.bind((LOOPBACK, port))
        except OSError as e:
            self._listener.close()
            raise OperationFailed(
                f"cannot listen on {LOOPBACK}:{port} for store '{store}': {e.strerror or e}",
                hint="another program uses the port; Storedesk moves the store to the next "
                "free one when it opens it again",
            ) from None
        self._listener.listen(16)
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._accept, name=f"forward-{store}", daemon=True)
        self._thread.start()

    @property
    def listening(self) -> bool:
        """True until stopped."""
        return not self._stopped.is_set()

    def state(self) -> ForwardState:
        """What the window shows."""
        return ForwardState(
            self.store, self.port, self.url, self.listening, self.connections, self.problem
        )

    def stop(self) -> None:
        """Stop listening and close every connection."""
        self._stopped.set()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        with self._lock:
            for sock in list(self._open):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
        self._thread.join(timeout=5)

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # stopped
            threading.Thread(
                target=self._serve, args=(client,), name=f"forward-{self.store}-conn", daemon=True
            ).start()

    def _serve(self, client: socket.socket) -> None:
        with self._lock:
            self._open.add(client)
            self.connections += 1
        try:
            self._relay(client)
        finally:
            with self._lock:
                self._open.discard(client)
                self.connections -= 1
            with contextlib.suppress(OSError):
                client.close()

    def _relay(self, client: socket.socket) -> None:
        try:
            pod, port = ready_pod(self.kube, self.namespace, self.service, self.service_port)
            stream = open_stream(self.kube, self.namespace, pod, port)
        except StoredeskError as e:
            self.problem = str(e)
            _answer(client, 503, str(e))
            return
        self.problem = None
        try:
            sent, pod_ended = _pump(client, stream.socket)
            said = stream.error()
            if said:
                self.problem = f"pod {pod}: {said}"
            elif pod_ended:
                self.problem = self._cluster_gone()
            if self.problem and not sent:
                _answer(client, 502, self.problem)
        finally:
            stream.close()

    def _cluster_gone(self) -> str | None:
        """Why the pod's side of a stream ended, if the cluster went away (None when it
        still answers: the pod closed the connection, as web servers do)."""
        # The WebSocket ends the same way whether the pod closed the connection or the API
        # server vanished; only asking the cluster tells them apart.
        try:
            self.kube.version()
        except ClusterUnreachable as e:
            return f"the cluster went away in the middle of a connection: {e.message}"
        except StoredeskError:
            return None  # it answers, if not happily: the stream's end was the pod's
        return None


def _pump(client: socket.socket, pod: socket.socket) -> tuple[bool, bool]:
    """Copy bytes both ways until either side closes: (the pod sent anything, the pod's
    side was the one that ended)."""
    sent = False
    ends = [client, pod]
    while True:
        readable, _, _ = select.select(ends, [], [], 300)
        if not readable:
            return sent, False  # idle for 5 minutes: a browser keeps no connection that long
        for end in readable:
            other = pod if end is client else client
            try:
                data = end.recv(CHUNK)
            except OSError:
                return sent, end is pod
            if not data:
                return sent, end is pod
            try:
                other.sendall(data)
            except OSError:
                return sent, other is pod
            sent = sent or end is pod


def _answer(client: socket.socket, code: int, why: str) -> None:
    """A short plain-text HTTP answer for the browser, saying what is wrong."""
    reason = {502: "Bad Gateway", 503: "Service Unavailable"}.get(code, "Error")
    body = f"Storedesk's port-forward could not reach the store: {why}\n".encode()
    head = (
        f"HTTP/1.1 {code} {reason}\r\nContent-Type: text/plain; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    with contextlib.suppress(OSError):
        client.sendall(head + body)


class Forwards:
    """The forwards of one StoreService (one cluster), started on demand, stopped together."""

    def __init__(self, service: StoreService) -> None:
        self.service = service
        self.book = PortBook(service.settings.data_dir)
        self._forwards: dict[str, Forward] = {}
        self._lock = threading.Lock()

    def start(self, store: str) -> ForwardState:
        """Forward `store` (no-op when it is forwarded already); returns its state."""
        with self._lock:
            running = self._forwards.get(store)
            if running is not None and running.listening:
                return running.state()
            record = self.service.get_store(store, probe_now=False)
            engine = self.service.engine_of(store)
            port = self.book.port_for(self.service.target.context, store)
            if record.url is None or f":{port}/" not in record.url:
                # Its port was taken by another program meanwhile: the store moves to the
                # free one (an upgrade: WordPress's URLs carry the port), remembered.
                record = self.service.create(store, options={"url_port": port}, wait=True)
            forward = Forward(self.service.kube, store, engine, port, record.url or "")
            self._forwards[store] = forward
            return forward.state()

    def states(self) -> list[ForwardState]:
        """Every forward's state."""
        with self._lock:
            return [f.state() for f in self._forwards.values()]

    def stop(self, store: str) -> None:
        """Stop one store's forward."""
        with self._lock:
            forward = self._forwards.pop(store, None)
        if forward is not None:
            forward.stop()

    def stop_all(self) -> None:
        """Stop every forward (the app quits)."""
        with self._lock:
            forwards, self._forwards = list(self._forwards.values()), {}
        for forward in forwards:
            forward.stop()
