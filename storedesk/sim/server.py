"""HTTP front of the simulator: routing, content negotiation, watch streams.

Plain HTTP/1.1 on loopback (client-go, kubectl, helm and the Python client all accept an
http:// server in a kubeconfig). One thread per connection; watch responses are chunked
JSON lines, one event per line, like the real server's.
"""

from __future__ import annotations

import contextlib
import json
import logging
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml

from storedesk.sim import discovery, gojson, openapi, protobuf, reviews, tables
from storedesk.sim import resources as res
from storedesk.sim.api import Api, WriteOptions
from storedesk.sim.errors import ApiError, bad_request, invalid
from storedesk.sim.faults import Faults
from storedesk.sim.resources import ResourceType
from storedesk.sim.selectors import field_matcher, label_matcher
from storedesk.sim.store import Change, TooOld

log = logging.getLogger("storedesk.sim")

VERSION_INFO = {
    "major": "1",
    "minor": "35",
    "emulationMajor": "1",
    "emulationMinor": "35",
    "minCompatibilityMajor": "1",
    "minCompatibilityMinor": "34",
    # The +storedesk-sim build metadata lets Storedesk label the demo cluster as such.
    "gitVersion": "v1.35.0+storedesk-sim",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2026-01-01T00:00:00Z",
    "goVersion": "go1.25.0",
    "compiler": "gc",
    "platform": "linux/amd64",
}
_NOT_FOUND = ApiError(
    404, "the server could not find the requested resource", "NotFound", details={}
)
_PATCH_TYPES = (
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
    "application/apply-patch+yaml",
)
# Pod subresources that stream to a container; the simulator has none to connect to.
_CONNECT = {"exec": "exec", "attach": "attach", "portforward": "port-forward"}
# What encoding/json says when the body is JSON but no object (the kind cannot be read).
_FIND_KIND_ERROR = (
    "json: cannot unmarshal %s into Go value of type struct { APIVersion string "
    '"json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }'
)
_BOOKMARK_EVERY = 30.0  # seconds between watch bookmarks when the client allows them


@dataclass
class Route:
    """A resource request: which type, namespace, object and subresource."""

    rt: ResourceType
    namespace: str | None
    name: str | None
    subresource: str | None


@dataclass
class ServerContext:
    """What request handlers share."""

    api: Api
    faults: Faults
    address: str = ""
    stopping: threading.Event | None = None
    requests: Counter[str] | None = None
    user: str = "kubernetes-admin"
    outage_503: bool = False
    # Stored objects as JSON bytes, for lists, gets and watches that send them again.
    encoded: gojson.StoredObjects = field(default_factory=gojson.StoredObjects)

    def __post_init__(self) -> None:
        # A replaced or deleted object's bytes go with it (watch events that still
        # carry it encode it again).
        self.api.store.subscribe(lambda change: self.encoded.forget(change.old))


class SimHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server carrying the simulator context; tracks open connections so
    an outage can cut them like a crashed API server would."""

    daemon_threads = True
    request_queue_size = 256
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], ctx: ServerContext) -> None:
        self.ctx = ctx
        self.connections: set[Any] = set()
        self.conn_lock = threading.Lock()
        super().__init__(address, Handler)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        with self.conn_lock:
            self.connections.add(request)
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self.conn_lock:
                self.connections.discard(request)

    def cut_connections(self) -> None:
        """Drop every open connection (watch streams included)."""
        import socket

        with self.conn_lock:
            for conn in list(self.connections):
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)


class Handler(BaseHTTPRequestHandler):
    """One HTTP request against the simulated API server."""

    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle on, keep-alive clients wait
    # for a delayed ACK (~40 ms) on every response.
    disable_nagle_algorithm = True
    server: SimHTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    # -- dispatch --------------------------------------------------------------------------

    def _serve(self, method: str) -> None:
        ctx = self.server.ctx
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        body = self._read_body()
        if ctx.requests is not None:
            ctx.requests[f"{method} {url.path}"] += 1
        if ctx.outage_503:
            self._send_status(
                ApiError(
                    503,
                    "the server is currently unable to handle the request",
                    "ServiceUnavailable",
                )
            )
            return
        watching = query.get("watch") in ("1", "true")
        if ctx.faults.latency and not watching:
            time.sleep(ctx.faults.latency)
        try:
            self._route(method, url.path.rstrip("/") or "/", query, body)
        except ApiError as e:
            self._send_status(e)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception as e:  # a bug in the simulator must still answer like a server
            log.exception("internal error on %s %s", method, self.path)
            self._send_status(ApiError(500, f"simulator internal error: {e}", "InternalError"))

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _route(self, method: str, path: str, query: dict[str, str], body: bytes) -> None:
        parts = [p for p in path.split("/") if p]
        if path in ("/healthz", "/livez", "/readyz"):
            self._send_text(200, "ok")
        elif path == "/version":
            # Served as raw indented JSON (responsewriters.WriteRawJSON), not by a serializer.
            self._send_bytes(200, json.dumps(VERSION_INFO, indent=2).encode(), "application/json")
        elif path == "/api":
            self._send_json(200, discovery.api_versions(self.server.ctx.address))
        elif path == "/apis":
            self._send_json(200, discovery.api_group_list(self.server.ctx.api.types))
        elif parts[:1] == ["openapi"]:
            self._serve_openapi(parts)
        elif parts[:2] == ["api", "v1"]:
            self._resource_request(method, "", "v1", parts[2:], query, body)
        elif parts[:1] == ["apis"] and len(parts) == 2:
            group = discovery.api_group(parts[1], self.server.ctx.api.types)
            if group is None:
                raise _NOT_FOUND
            self._send_json(200, group)
        elif parts[:1] == ["apis"] and len(parts) >= 3:
            self._resource_request(method, parts[1], parts[2], parts[3:], query, body)
        else:
            raise _NOT_FOUND

    def _serve_openapi(self, parts: list[str]) -> None:
        types = self.server.ctx.api.types
        if parts == ["openapi", "v3"]:
            self._send_json(200, openapi.v3_index(types))
        elif parts[:2] == ["openapi", "v3"] and len(parts) >= 4:
            group, version = ("", parts[3]) if parts[2] == "api" else (parts[3], parts[4])
            if not types.by_group_version(group, version):
                raise _NOT_FOUND
            self._send_bytes(200, openapi.v3_document(group, version, types), "application/json")
        elif parts == ["openapi", "v2"]:
            self._serve_openapi_v2(types)
        else:
            raise _NOT_FOUND

    def _serve_openapi_v2(self, types: res.Registry) -> None:
        """Swagger 2.0 as JSON or gnostic protobuf, negotiated like kube-openapi (406 for
        anything else)."""
        media = openapi.v2_media(self.headers.get("Accept", ""))
        if media is None:
            self.send_response(406)
            self.send_header("Content-Length", "0")
            self.send_header("Vary", "Accept")
            self.end_headers()
            return
        self._send_bytes(200, openapi.v2_body(types, media), media)

    # -- resources -------------------------------------------------------------------------

    def _resource_request(
        self,
        method: str,
        group: str,
        version: str,
        rest: list[str],
        query: dict[str, str],
        body: bytes,
    ) -> None:
        if not rest:
            listing = discovery.resource_list(group, version, self.server.ctx.api.types)
            if listing is None:
                raise _NOT_FOUND
            self._send_json(200, listing)
            return
        if not group and len(rest) == 5 and rest[2] == "pods" and rest[4] in _CONNECT:
            self._pod_connect(rest[1], rest[3], rest[4], query)
            return
        route = _parse_route(group, version, rest, self.server.ctx.api.types)
        if route is None:
            raise _NOT_FOUND
        verb = _verb(method, route, query)
        if verb not in route.rt.verbs and route.subresource is None:
            raise ApiError(
                405,
                "the server does not allow this method on the requested resource",
                "MethodNotAllowed",
            )
        self._authorize(verb, route)
        api = self.server.ctx.api
        rt = route.rt
        ns = route.namespace or ""
        if route.subresource == "log":
            from storedesk.sim import logs

            self._send_text(200, logs.pod_log(api, api.get(rt, ns, route.name or ""), query))
        elif route.subresource == "scale":
            self._scale(method, route, query, body)
        elif verb == "watch":
            self._watch(rt, route.namespace, query)
        elif verb == "list":
            listed = api.list(
                rt,
                route.namespace,
                label_selector=query.get("labelSelector"),
                field_selector=query.get("fieldSelector"),
                limit=int(query.get("limit") or 0),
                continue_token=query.get("continue"),
            )
            self._send_object(200, listed, rt)
        elif verb == "get":
            self._send_object(200, api.get(rt, ns, route.name or ""), rt)
        elif verb == "create" and rt.verbs == res.CREATE_ONLY:
            # The review APIs answer from the request and the simulated authorizer.
            ctx = self.server.ctx
            review = reviews.answer(rt, self._decode(body, rt), ctx.faults, ctx.user, api.types)
            self._send_json(201, review)
        elif verb == "create":
            opts = _write_options(query, self.headers)
            sent, warnings = self._decode_object(body, rt, opts)
            result = api.create(rt, ns, sent, opts)
            self._send_json(201, result.obj, warnings + result.warnings)
        elif verb == "update":
            opts = _write_options(query, self.headers)
            sent, warnings = self._decode_object(body, rt, opts)
            result = api.update(rt, ns, route.name or "", sent, opts, subresource=route.subresource)
            self._send_json(201 if result.created else 200, result.obj, warnings + result.warnings)
        elif verb == "patch":
            content_type = self._content_type()
            if content_type not in _PATCH_TYPES:
                raise ApiError(
                    415,
                    f"the body of the request was in an unknown format - "
                    f"accepted media types include: {', '.join(_PATCH_TYPES)}",
                )
            if "force" in query and content_type != "application/apply-patch+yaml":
                raise invalid(
                    "PatchOptions",
                    "meta.k8s.io",
                    "",
                    [("force", "Forbidden: may not be specified for non-apply patch")],
                )
            patch_body = self._decode(body, rt, yaml_ok=content_type.endswith("yaml"))
            if (
                content_type == "application/apply-patch+yaml"
                and api.store.get(rt, ns if rt.namespaced else "", route.name or "") is None
            ):
                self._authorize("create", route)  # an apply that creates needs create too
            result = api.patch(
                rt,
                ns,
                route.name or "",
                content_type,
                patch_body,
                _write_options(query, self.headers),
                subresource=route.subresource,
            )
            self._send_json(201 if result.created else 200, result.obj, result.warnings)
        elif verb == "delete":
            options = self._delete_options(body, query)
            self._send_json(
                200,
                api.delete(rt, ns, route.name or "", options, dry_run=query.get("dryRun") == "All"),
            )
        elif verb == "deletecollection":
            options = self._delete_options(body, query)
            deleted = api.delete_collection(
                rt,
                route.namespace,
                label_selector=query.get("labelSelector"),
                field_selector=query.get("fieldSelector"),
                options=options,
            )
            self._send_json(200, deleted)
        else:
            raise ApiError(
                405,
                "the server does not allow this method on the requested resource",
                "MethodNotAllowed",
            )

    def _pod_connect(self, namespace: str, name: str, what: str, query: dict[str, str]) -> None:
        """exec and attach: checked as the server checks them, then refused plainly,
        because no container runs here to connect to. portforward reaches the containers'
        simulated responders (storedesk.sim.portforward)."""
        if what == "portforward":
            from storedesk.sim import portforward

            portforward.serve(self, namespace, name, query)
            return
        pod_type = res.lookup("", "v1", "pods")
        assert pod_type is not None
        self._authorize("create", Route(pod_type, namespace, name, what))
        pod = self.server.ctx.api.get(pod_type, namespace, name)
        spec = pod.get("spec") or {}
        if what != "portforward":
            _stream_container(pod, query.get("container", ""))
        if not spec.get("nodeName"):
            raise bad_request(f"pod {name} does not have a host assigned")
        raise bad_request(
            f"the Storedesk simulator runs no containers: {_CONNECT[what]} is not available "
            f"(pod {namespace}/{name})"
        )

    def _authorize(self, verb: str, route: Route) -> None:
        ctx = self.server.ctx
        if not ctx.faults.denied(verb, route.rt.plural, route.namespace):
            return
        rt = route.rt
        resource = f"{rt.plural}/{route.subresource}" if route.subresource else rt.plural
        where = (
            f'in the namespace "{route.namespace}"' if route.namespace else "at the cluster scope"
        )
        subject = f"{rt.plural}{'.' + rt.group if rt.group else ''}"
        if route.name:
            subject += f' "{route.name}"'
        group = rt.group
        raise ApiError(
            403,
            f'{subject} is forbidden: User "{ctx.user}" cannot {verb} resource "{resource}" '
            f'in API group "{group}" {where}',
            "Forbidden",
            details={
                "name": route.name or "",
                **({"group": group} if group else {}),
                "kind": rt.plural,
            },
        )

    def _scale(self, method: str, route: Route, query: dict[str, str], body: bytes) -> None:
        api = self.server.ctx.api
        ns, name = route.namespace or "", route.name or ""
        if method in ("PUT", "PATCH"):
            sent = self._decode(body, None)
            replicas = (sent.get("spec") or {}).get("replicas")
            if not isinstance(replicas, int):
                raise bad_request("spec.replicas must be an integer")
            api.patch(
                route.rt,
                ns,
                name,
                "application/merge-patch+json",
                {"spec": {"replicas": replicas}},
                _write_options(query, self.headers),
                subresource="scale",
            )
        obj = api.get(route.rt, ns, name)
        selector = (obj.get("spec", {}).get("selector") or {}).get("matchLabels") or {}
        self._send_json(
            200,
            {
                "kind": "Scale",
                "apiVersion": "autoscaling/v1",
                "metadata": {
                    k: obj["metadata"][k]
                    for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
                },
                "spec": {"replicas": obj["spec"].get("replicas", 1)},
                "status": {
                    "replicas": obj.get("status", {}).get("replicas", 0),
                    "selector": ",".join(f"{k}={v}" for k, v in selector.items()),
                },
            },
        )

    # -- watch -----------------------------------------------------------------------------

    def _watch(self, rt: ResourceType, namespace: str | None, query: dict[str, str]) -> None:
        ctx = self.server.ctx
        store = ctx.api.store
        labels = label_matcher(query.get("labelSelector"))
        fields = field_matcher(query.get("fieldSelector"), rt.kind)

        def matches(obj: dict[str, Any] | None) -> bool:
            return (
                obj is not None
                and (namespace is None or obj["metadata"].get("namespace") == namespace)
                and labels(obj)
                and fields(obj)
            )

        # Real servers spread watch timeouts (30-60 min) so clients do not relist in lockstep.
        timeout = float(query.get("timeoutSeconds") or random.uniform(1800, 3600))  # noqa: S311
        deadline = time.monotonic() + timeout
        bookmarks = query.get("allowWatchBookmarks") in ("1", "true")
        send_initial = query.get("sendInitialEvents") == "true"
        requested = query.get("resourceVersion", "")
        as_table = _wants_table(self.headers.get("Accept", ""))
        with store.lock:
            cursor = store.resource_version
            initial = []
            error: dict[str, Any] | None = None
            if send_initial or requested in ("", "0"):
                initial = [o for o in store.items(rt, namespace) if matches(o)]
            else:
                try:
                    cursor = int(requested)
                    store.changes_since(cursor, rt)
                except ValueError:
                    raise bad_request(f"invalid resource version: {requested}") from None
                except TooOld as e:
                    error = ApiError(410, str(e), "Expired").status()
        self._start_stream()
        if error is not None:
            self._write_event({"type": "ERROR", "object": error})
            self._end_stream()
            return
        for obj in initial:
            self._write_stored("ADDED", obj, rt, as_table)
        if send_initial:
            self._write_event(self._bookmark(rt, cursor, initial_end=True))
        last_sent = time.monotonic()
        stopping = ctx.stopping
        while time.monotonic() < deadline and not (stopping and stopping.is_set()):
            with store.changed:
                if store.resource_version <= cursor:
                    store.changed.wait(timeout=min(1.0, max(0.0, deadline - time.monotonic())))
                try:
                    changes = store.changes_since(cursor, rt)
                except TooOld as e:
                    changes, error = [], ApiError(410, str(e), "Expired").status()
                newest = store.resource_version
            if error is not None:
                self._write_event({"type": "ERROR", "object": error})
                break
            for change in changes:
                event = _filtered(change, rt, matches)
                if event is not None:
                    self._write_stored(event[0], event[1], rt, as_table)
                    last_sent = time.monotonic()
            cursor = changes[-1].rv if changes else max(cursor, newest)
            if bookmarks and time.monotonic() - last_sent > _BOOKMARK_EVERY:
                self._write_event(self._bookmark(rt, cursor))
                last_sent = time.monotonic()
        self._end_stream()

    def _write_stored(self, kind: str, obj: dict[str, Any], rt: ResourceType, table: bool) -> None:
        """A watch event about a stored object (its bytes reused when sent as it is)."""
        if table or kind == "DELETED" or _wants_metadata(self.headers.get("Accept", "")):
            # A deleted object is no stored version: its bytes are not kept.
            self._write_event(self._event(kind, obj, rt, table))
        else:
            self._write_line(self.server.ctx.encoded.encode_event(kind, obj))

    def _event(
        self, kind: str, obj: dict[str, Any], rt: ResourceType, as_table: bool
    ) -> dict[str, Any]:
        if as_table:
            return {"type": kind, "object": tables.to_table(rt, [obj])}
        if _wants_metadata(self.headers.get("Accept", "")):
            return {"type": kind, "object": _partial(obj)}
        return {"type": kind, "object": obj}

    @staticmethod
    def _bookmark(rt: ResourceType, rv: int, initial_end: bool = False) -> dict[str, Any]:
        meta: dict[str, Any] = {"resourceVersion": str(rv)}
        if initial_end:
            meta["annotations"] = {"k8s.io/initial-events-end": "true"}
        return {
            "type": "BOOKMARK",
            "object": {"kind": rt.kind, "apiVersion": rt.group_version, "metadata": meta},
        }

    def _start_stream(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()

    def _write_event(self, event: dict[str, Any]) -> None:
        self._write_line(gojson.encode(event))

    def _write_line(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _end_stream(self) -> None:
        try:
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except OSError:
            self.close_connection = True

    # -- bodies ----------------------------------------------------------------------------

    def _content_type(self) -> str:
        return self.headers.get("Content-Type", "application/json").split(";")[0].strip()

    def _decode(
        self, body: bytes, rt: ResourceType | None, yaml_ok: bool = False, kind: str = ""
    ) -> Any:
        content_type = self._content_type()
        if not body:
            raise bad_request("the body of the request was empty")
        if content_type == "application/vnd.kubernetes.protobuf":
            if rt is not None and not kind:
                return protobuf.decode(body, kind=rt.kind, api_version=rt.group_version)
            return protobuf.decode(body, kind=kind, api_version="v1" if kind else "")
        try:
            if yaml_ok or content_type in ("application/yaml", "application/apply-patch+yaml"):
                return yaml.safe_load(body)
            return json.loads(body)
        except (ValueError, yaml.YAMLError) as e:
            raise bad_request(f"error decoding request body: {e}") from None

    def _decode_object(
        self, body: bytes, rt: ResourceType, opts: WriteOptions
    ) -> tuple[Any, list[str]]:
        """A create or update body, decoded as the server's (strict) JSON decoder does:
        its syntax errors and repeated fields in encoding/json's words."""
        if self._content_type() != "application/json":
            return self._decode(body, rt), []
        try:
            sent, repeated = gojson.decode(body)
        except ValueError as e:
            error = f"couldn't get version/kind; json parse error: {e}"
            raise _unrecognized(rt, error, body) from None
        if not isinstance(sent, dict):
            detail = _FIND_KIND_ERROR % _json_kind(sent)
            raise _unrecognized(rt, f"couldn't get version/kind; json parse error: {detail}", body)
        if repeated and opts.field_validation == "Strict":
            kind = sent.get("kind") if isinstance(sent.get("kind"), str) else ""
            version = str(sent.get("apiVersion") or "").rpartition("/")[2]
            raise bad_request(
                f'{kind or rt.kind} in version "{version or rt.version}" cannot be handled as '
                f"a {rt.kind}: strict decoding error: " + ", ".join(repeated)
            )
        return sent, repeated if opts.field_validation == "Warn" else []

    def _delete_options(self, body: bytes, query: dict[str, str]) -> dict[str, Any]:
        options: dict[str, Any] = {}
        if body:
            decoded = self._decode(body, None, kind="DeleteOptions")
            if isinstance(decoded, dict):
                options.update(decoded)
        if "propagationPolicy" in query:
            options["propagationPolicy"] = query["propagationPolicy"]
        if "gracePeriodSeconds" in query:
            options["gracePeriodSeconds"] = int(query["gracePeriodSeconds"])
        if "orphanDependents" in query:
            options["orphanDependents"] = query["orphanDependents"] == "true"
        return options

    # -- responses -------------------------------------------------------------------------

    def _send_object(self, code: int, obj: dict[str, Any], rt: ResourceType) -> None:
        if _wants_metadata(self.headers.get("Accept", "")):
            if "items" in obj:
                obj = {
                    "kind": "PartialObjectMetadataList",
                    "apiVersion": "meta.k8s.io/v1",
                    "metadata": obj["metadata"],
                    "items": [_partial(o) for o in obj["items"]],
                }
            else:
                obj = _partial(obj)
            self._send_json(code, obj)
        elif _wants_table(self.headers.get("Accept", "")):
            items = obj.get("items", [obj])
            table = tables.to_table(rt, items)
            table["metadata"] = {
                k: v
                for k, v in obj["metadata"].items()
                if k in ("resourceVersion", "continue", "remainingItemCount")
            }
            self._send_json(code, table)
        elif "items" in obj:  # a list of stored objects
            self._send_bytes(code, self.server.ctx.encoded.encode_list(obj), "application/json")
        else:  # a stored object
            data = self.server.ctx.encoded.bytes_of(obj) + b"\n"
            self._send_bytes(code, data, "application/json")

    def _send_json(self, code: int, obj: Any, warnings: list[str] | None = None) -> None:
        self._send_bytes(code, gojson.encode(obj), "application/json", warnings)

    def _send_bytes(
        self, code: int, data: bytes, content_type: str, warnings: list[str] | None = None
    ) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-cache, private")
        for text in warnings or ():
            escaped = text.replace("\\", "\\\\").replace('"', '\\"')
            self.send_header("Warning", f'299 - "{escaped}"')
        self.end_headers()
        self.wfile.write(data)

    def _send_text(self, code: int, text: str) -> None:
        self._send_bytes(code, text.encode(), "text/plain; charset=utf-8")

    def _send_status(self, error: ApiError) -> None:
        try:
            self._send_json(error.code, error.status())
        except OSError:
            self.close_connection = True


def _parse_route(
    group: str, version: str, rest: list[str], types: res.Registry | None = None
) -> Route | None:
    """Map the path after /api/v1 or /apis/G/V to a resource route."""
    lookup = types.lookup if types is not None else res.lookup
    if rest[0] == "namespaces" and len(rest) >= 3:
        rt = lookup(group, version, rest[2])
        if rt is not None and rt.namespaced and len(rest) <= 5:
            return Route(
                rt, rest[1], rest[3] if len(rest) > 3 else None, rest[4] if len(rest) > 4 else None
            )
        if not group and len(rest) == 3 and rest[2] in ("status", "finalize"):
            ns_type = res.lookup("", "v1", "namespaces")
            assert ns_type is not None
            return Route(ns_type, None, rest[1], rest[2])
        return None
    rt = lookup(group, version, rest[0])
    if rt is None or len(rest) > 3:
        return None
    name = rest[1] if len(rest) > 1 else None
    if rt.namespaced and name is not None:
        return None  # namespaced objects are only addressed under /namespaces/NS/
    sub = rest[2] if len(rest) > 2 else None
    if sub is not None and sub not in rt.subresources:
        return None
    return Route(rt, None, name, sub)


def _verb(method: str, route: Route, query: dict[str, str]) -> str:
    if route.subresource is not None and route.subresource not in route.rt.subresources:
        raise _NOT_FOUND
    if method == "GET":
        if route.name is None:
            return "watch" if query.get("watch") in ("1", "true") else "list"
        return "get"
    if method == "POST":
        if route.name is not None:
            raise ApiError(
                405,
                "the server does not allow this method on the requested resource",
                "MethodNotAllowed",
            )
        return "create"
    if route.name is None:
        return {"DELETE": "deletecollection"}.get(method, "unsupported")
    return {"PUT": "update", "PATCH": "patch", "DELETE": "delete"}[method]


def _write_options(query: dict[str, str], headers: Any = None) -> WriteOptions:
    validation = query.get("fieldValidation") or "Warn"
    if validation not in ("Strict", "Warn", "Ignore"):
        raise bad_request(
            f'fieldValidation must be one of Strict, Warn, Ignore, not "{validation}"'
        )
    return WriteOptions(
        field_validation=validation,
        dry_run=query.get("dryRun") == "All",
        field_manager=query.get("fieldManager"),
        force=query.get("force") == "true",
        user_agent=(headers.get("User-Agent") or "") if headers is not None else None,
    )


def _filtered(change: Change, rt: ResourceType, matches: Any) -> tuple[str, Any] | None:
    """The event a watcher with these selectors sees for a change (or None)."""
    if change.rt is not rt:
        return None
    now, before = matches(change.obj), matches(change.old)
    if change.type == "ADDED":
        return ("ADDED", change.obj) if now else None
    if change.type == "DELETED":
        return ("DELETED", change.obj) if before else None
    if now and before:
        return ("MODIFIED", change.obj)
    if now:
        return ("ADDED", change.obj)
    if before:
        return ("DELETED", change.obj)
    return None


def _wants_table(accept: str) -> bool:
    first = accept.split(",")[0]
    return "as=Table" in first


def _wants_metadata(accept: str) -> bool:
    """Clients that only need metadata (e.g. informers on Secrets) ask for it like this."""
    return "as=PartialObjectMetadata" in accept.split(",")[0]


def _partial(obj: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": obj["metadata"],
    }


def _unrecognized(rt: ResourceType, error: str, body: bytes) -> ApiError:
    """transformDecodeError when the body names no kind (it could not be read)."""
    return bad_request(
        f"the object provided is unrecognized (must be of type {rt.kind}): {error} "
        f"({_summary(body)})"
    )


def _summary(body: bytes, limit: int = 30) -> str:
    """summarizeData: the start of a body, hex unless it looks like JSON."""
    if not body:
        return "<empty>"
    head = body[:limit]
    text = head.decode("utf-8", "replace") if body[:1] == b"{" else head.hex()
    return text + (" ..." if len(body) > limit else "")


def _json_kind(value: Any) -> str:
    """How encoding/json names a JSON value's kind in an UnmarshalTypeError."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return {str: "string", list: "array", type(None): "null"}.get(type(value), "object")


def _go_list(items: list[str]) -> str:
    """Go's %v of a []string: [a b c]."""
    return "[" + " ".join(items) + "]"


def _stream_container(pod: dict[str, Any], container: str) -> None:
    """The registry's check of the container an exec or attach names (or implies)."""
    spec, name = pod.get("spec") or {}, pod["metadata"]["name"]
    every = [
        c.get("name", "")
        for key in ("initContainers", "containers", "ephemeralContainers")
        for c in spec.get(key) or ()
    ]
    if not container:
        containers = spec.get("containers") or []
        if len(containers) == 0:
            raise bad_request(f"a container name must be specified for pod {name}")
        if len(containers) > 1:
            raise bad_request(
                f"a container name must be specified for pod {name}, "
                f"choose one of: {_go_list(every)}"
            )
    elif container not in every:
        raise bad_request(f"container {container} is not valid for pod {name}")
