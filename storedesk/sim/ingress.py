"""The simulator as its own ingress controller: HTTP on a local port (127.0.0.1 only),
routed by Host and path through the cluster's Ingress objects to the simulated
responders of the pods behind each Service.

It answers for the IngressClass it creates, `storedesk-sim` (controller
`storedesk.io/simulator`, marked the default class), and for Ingresses that name no class
(the DefaultIngressClass admission would have given them this one). The class publishes
where to reach it: the annotation `storedesk.io/http-port` holds the port, and every
Ingress it serves gets `status.loadBalancer.ingress: [{ip: 127.0.0.1}]`.

As a controller does: a host no rule matches gets the default backend's 404; a Service
with no ready endpoint gets 503; an endpoint whose container does not listen, 502.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from storedesk.sim import portforward, responder
from storedesk.sim import resources as res
from storedesk.sim.controllers.loop import ControllerManager
from storedesk.sim.errors import ApiError
from storedesk.sim.store import Change, Obj

log = logging.getLogger("storedesk.sim.ingress")

CLASS_NAME = "storedesk-sim"
CONTROLLER = "storedesk.io/simulator"
PORT_ANNOTATION = "storedesk.io/http-port"
DEFAULT_CLASS = "ingressclass.kubernetes.io/is-default-class"
LEGACY_CLASS = "kubernetes.io/ingress.class"
ADDRESS = "127.0.0.1"  # never 0.0.0.0: the demo cluster is this machine's alone


def _rt(group: str, plural: str) -> res.ResourceType:
    found = res.lookup(group, "v1", plural)
    assert found is not None
    return found


INGRESS = _rt("networking.k8s.io", "ingresses")
INGRESS_CLASS = _rt("networking.k8s.io", "ingressclasses")
SERVICE = _rt("", "services")
ENDPOINTS = _rt("", "endpoints")
POD = _rt("", "pods")


@dataclass(frozen=True)
class Backend:
    """Where a request goes: a Service port in a namespace."""

    namespace: str
    service: str
    port: dict[str, Any]  # {"number": N} or {"name": X}


class IngressController:
    """Serves the cluster's Ingresses of its class on 127.0.0.1:`port` (0: a free one)."""

    def __init__(self, controllers: ControllerManager, port: int = 0) -> None:
        self.m = controllers
        self.store = controllers.api.store
        self._port = port
        self._server: ThreadingHTTPServer | None = None
        self._turn = itertools.count()  # round-robin over ready endpoints
        controllers.register("SimIngress", self._reconcile)
        controllers.watch(self._keys)

    @property
    def port(self) -> int:
        """The port it listens on (known once started)."""
        return self._port

    @property
    def url(self) -> str:
        """http://127.0.0.1:PORT"""
        return f"http://{ADDRESS}:{self._port}"

    def start(self) -> None:
        """Listen, publish the IngressClass with the port, and claim existing Ingresses."""
        self._server = _Server((ADDRESS, self._port), self)
        self._port = self._server.server_address[1]
        threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.2},
            name="sim-ingress",
            daemon=True,
        ).start()
        self._publish_class()
        with self.store.lock:
            ingresses = list(self.store.items(INGRESS))
        for ing in ingresses:
            meta = ing["metadata"]
            self.m.enqueue(("SimIngress", meta["namespace"], meta["name"]))

    def stop(self) -> None:
        """Stop serving."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # -- the IngressClass and Ingress status ----------------------------------------------

    def _publish_class(self) -> None:
        body: Obj = {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "IngressClass",
            "metadata": {
                "name": CLASS_NAME,
                "annotations": {DEFAULT_CLASS: "true", PORT_ANNOTATION: str(self._port)},
                "labels": {"app.kubernetes.io/managed-by": "storedesk-sim"},
            },
            "spec": {"controller": CONTROLLER},
        }
        api = self.m.api
        with self.store.lock:
            current = self.store.get(INGRESS_CLASS, "", CLASS_NAME)
            if current is None:
                api.create(INGRESS_CLASS, "", body)
                return
            annotations = {**(current["metadata"].get("annotations") or {})}
            annotations[PORT_ANNOTATION] = str(self._port)
            meta = {**current["metadata"], "annotations": annotations}
            api.update(INGRESS_CLASS, "", CLASS_NAME, {**current, "metadata": meta})

    def _keys(self, change: Change) -> list[tuple[str, str, str]]:
        if change.rt is not INGRESS or change.type == "DELETED":
            return []
        meta = change.obj["metadata"]
        return [("SimIngress", meta["namespace"], meta["name"])]

    def _reconcile(self, namespace: str, name: str) -> None:
        ing = self.store.get(INGRESS, namespace, name)
        if ing is None or self._server is None or not self.serves(ing):
            return
        status = {"loadBalancer": {"ingress": [{"ip": ADDRESS}]}}
        with contextlib.suppress(ApiError):
            self.m.write_status(INGRESS, ing, status)

    def serves(self, ing: Obj) -> bool:
        """Whether an Ingress is this controller's (its class, or no class at all)."""
        spec = ing.get("spec") or {}
        legacy = (ing["metadata"].get("annotations") or {}).get(LEGACY_CLASS)
        named = spec.get("ingressClassName") or legacy
        if named:
            return bool(named == CLASS_NAME)
        ours = self.store.get(INGRESS_CLASS, "", CLASS_NAME)
        return (
            ours is not None
            and (ours["metadata"].get("annotations") or {}).get(DEFAULT_CLASS) == "true"
        )

    # -- routing ---------------------------------------------------------------------------

    def answer(self, method: str, path: str, host_header: str) -> responder.Reply:
        """What the controller answers to one request."""
        host = _host_name(host_header)
        route = path.split("?", 1)[0] or "/"
        with self.store.lock:
            backend = self._backend(host, route)
            if backend is None:
                return _status_page(404, "Not Found")
            target = self._endpoint(backend)
        if isinstance(target, responder.Reply):
            return target
        return responder.respond(target, method, path, host_header)

    def _backend(self, host: str, path: str) -> Backend | None:
        """The best rule for host and path over every Ingress of this class: an exact host
        before a wildcard before no host, then an Exact path, then the longest prefix."""
        best: tuple[tuple[int, int, int], Backend] | None = None
        fallback: Backend | None = None
        for ing in self.store.items(INGRESS):
            if not self.serves(ing) or ing["metadata"].get("deletionTimestamp"):
                continue
            namespace = ing["metadata"]["namespace"]
            spec = ing.get("spec") or {}
            for rule in spec.get("rules") or ():
                host_rank = _host_rank(rule.get("host") or "", host)
                if host_rank < 0:
                    continue
                for entry in (rule.get("http") or {}).get("paths") or ():
                    path_rank = _path_rank(entry, path)
                    service = (entry.get("backend") or {}).get("service")
                    if path_rank is None or not service:
                        continue
                    rank = (host_rank, *path_rank)
                    if best is None or rank > best[0]:
                        backend = Backend(namespace, service["name"], service.get("port") or {})
                        best = (rank, backend)
            default = (spec.get("defaultBackend") or {}).get("service")
            if default and fallback is None:
                fallback = Backend(namespace, default["name"], default.get("port") or {})
        return best[1] if best else fallback

    def _endpoint(self, backend: Backend) -> responder.Target | responder.Reply:
        """A ready endpoint's responder behind the Service port, or the controller's error."""
        service = self.store.get(SERVICE, backend.namespace, backend.service)
        if service is None:
            return _status_page(503, "Service Temporarily Unavailable")
        service_port = _service_port(service, backend.port)
        endpoints = self.store.get(ENDPOINTS, backend.namespace, backend.service)
        ready = _ready_addresses(endpoints, service_port)
        if not ready:
            return _status_page(503, "Service Temporarily Unavailable")
        address, port = ready[next(self._turn) % len(ready)]
        ref = address.get("targetRef") or {}
        pod = self.store.get(POD, ref.get("namespace", backend.namespace), ref.get("name", ""))
        container = portforward.listening_container(pod, port) if pod else None
        if pod is None or container is None:
            return _status_page(502, "Bad Gateway")  # the upstream refused the connection
        return responder.target_for(pod, container, port)


def _host_name(header: str) -> str:
    """The host of a Host header, without its port, lower case."""
    host = header.strip().lower()
    if host.startswith("["):  # an IPv6 literal
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0] if ":" in host else host


def _host_rank(rule_host: str, host: str) -> int:
    """2: the rule names this host; 1: a matching wildcard (one label); 0: no host
    (every host); -1: no match."""
    if not rule_host:
        return 0
    if rule_host == host:
        return 2
    if rule_host.startswith("*.") and "." in host and host.split(".", 1)[1] == rule_host[2:]:
        return 1
    return -1


def _path_rank(entry: Obj, path: str) -> tuple[int, int] | None:
    """(1 for Exact, 0 for a prefix; the length matched), or None when it does not match.
    ImplementationSpecific is a prefix here, as most controllers treat it."""
    wanted = entry.get("path") or "/"
    if entry.get("pathType") == "Exact":
        return (1, len(wanted)) if path == wanted else None
    stem = wanted.rstrip("/")
    if not stem or path == stem or path.startswith(stem + "/"):
        return (0, len(stem))
    return None


def _service_port(service: Obj, wanted: dict[str, Any]) -> Obj | None:
    for port in (service.get("spec") or {}).get("ports") or ():
        if ("number" in wanted and port.get("port") == wanted["number"]) or (
            "name" in wanted and port.get("name") == wanted["name"]
        ):
            return dict(port)
    return None


def _ready_addresses(endpoints: Obj | None, service_port: Obj | None) -> list[tuple[Obj, int]]:
    """(address, target port) for each ready address serving the Service port."""
    if endpoints is None or service_port is None:
        return []
    found: list[tuple[Obj, int]] = []
    for subset in endpoints.get("subsets") or ():
        ports = subset.get("ports") or ()
        named = [p for p in ports if p.get("name") == service_port.get("name")]
        chosen = named or (list(ports) if len(ports) == 1 else [])
        for port in chosen:
            found.extend((a, int(port["port"])) for a in subset.get("addresses") or ())
    return found


def _status_page(code: int, reason: str) -> responder.Reply:
    """The controller's own error page (as nginx words them)."""
    body = (
        f"<html>\n<head><title>{code} {reason}</title></head>\n<body>\n"
        f"<center><h1>{code} {reason}</h1></center>\n"
        "<hr><center>storedesk-sim ingress</center>\n</body>\n</html>\n"
    )
    return responder.Reply(code, "text/html", body.encode())


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], controller: IngressController) -> None:
        self.controller = controller
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    """One client connection to the ingress controller (HTTP/1.1, keep-alive)."""

    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    def version_string(self) -> str:
        return "storedesk-sim-ingress"

    def do_GET(self) -> None:
        responder.drain_body(self)
        reply = self.server.controller.answer(self.command, self.path, self.headers.get("Host", ""))
        responder.write(self, reply, head=self.command == "HEAD")

    do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET
