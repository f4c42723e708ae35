"""Kubernetes access through the official client, as plain JSON dicts.

Storedesk reads the cluster with one list (and one watch) per resource type across all
namespaces, filtered by label, so a refresh costs the same for 1 store or 200. Bodies
stay dicts: building the client's model classes costs about a millisecond per pod.
Every failure is translated here, once, into `storedesk.errors`.
"""

from __future__ import annotations

import html
import json
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from storedesk.cluster.kubeconfig import ClusterTarget
from storedesk.errors import (
    ClusterUnreachable,
    Forbidden,
    KubeconfigError,
    OperationFailed,
    StoredeskError,
)

Obj = dict[str, Any]
JSON = "application/json"
MERGE_PATCH = "application/merge-patch+json"
# Only metadata: enough for helm's release records, without their (large) payloads.
METADATA_ONLY = "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json"
METADATA_ONLY_WATCH = (
    "application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io,application/json"
)


_JSON = json.JSONDecoder()


def _same(item: Obj) -> Obj:
    return item


def decode_list(data: bytes, each: Callable[[Obj], Any]) -> tuple[list[Any], str]:
    """(`each` of every item, resourceVersion) of a List's JSON, one item decoded at a time
    (json.loads would build every item first: 25 MB for 400 pods with their managedFields).
    ValueError when it is not a JSON object."""
    reader = _ListReader(data.decode("utf-8"), each)
    if reader.members(reader.skip(0, "{"), "}", reader.field) != len(reader.text):
        raise ValueError("extra data after the list")
    return reader.items, reader.version


class _ListReader:
    """The state of one decode_list(). A class, not closures: a closure that calls itself
    is a reference cycle, which would keep the whole answer alive until the next GC."""

    def __init__(self, text: str, each: Callable[[Obj], Any]) -> None:
        self.text, self.each = text, each
        self.items: list[Any] = []
        self.version = ""

    def skip(self, pos: int, then: str = "") -> int:
        """Past the white space at `pos`, and past `then` and the space after it."""
        text = self.text
        while text[pos : pos + 1] in (" ", "\t", "\n", "\r"):
            pos += 1
        if then:
            if text[pos : pos + 1] != then:
                raise ValueError(f"expected {then!r} at character {pos}")
            pos = self.skip(pos + 1)
        return pos

    def members(self, pos: int, close: str, one: Callable[[int], int]) -> int:
        """Read `one` member after another up to `close`, commas between."""
        if self.text[pos : pos + 1] != close:
            pos = self.skip(one(pos))
            while self.text[pos : pos + 1] == ",":
                pos = self.skip(one(self.skip(pos, ",")))
        return self.skip(pos, close)

    def item(self, pos: int) -> int:
        """One item of the list, handed to `each`."""
        value, pos = _JSON.raw_decode(self.text, pos)
        self.items.append(self.each(value))
        return pos

    def field(self, pos: int) -> int:
        """One field of the List object: its items one by one, its metadata's version."""
        key, pos = _JSON.raw_decode(self.text, pos)
        pos = self.skip(pos, ":")
        if key == "items" and self.text[pos : pos + 1] == "[":
            return self.members(self.skip(pos, "["), "]", self.item)
        value, pos = _JSON.raw_decode(self.text, pos)
        if key == "metadata" and isinstance(value, dict):
            self.version = str(value.get("resourceVersion") or "")
        return pos


class NotFound(OperationFailed):
    """The object does not exist."""


class Conflict(OperationFailed):
    """The object changed since it was read, or already exists."""


@dataclass(frozen=True)
class Resource:
    """Where a resource type lives in the API."""

    prefix: str  # /api/v1 or /apis/G/V
    plural: str
    namespaced: bool = True

    def collection(self, namespace: str | None = None) -> str:
        """Path of the collection, in one namespace or across all."""
        if namespace and self.namespaced:
            return f"{self.prefix}/namespaces/{quote(namespace)}/{self.plural}"
        return f"{self.prefix}/{self.plural}"

    def item(self, name: str, namespace: str | None = None) -> str:
        """Path of one object."""
        return f"{self.collection(namespace)}/{quote(name)}"


NAMESPACES = Resource("/api/v1", "namespaces", namespaced=False)
PODS = Resource("/api/v1", "pods")
SERVICES = Resource("/api/v1", "services")
SECRETS = Resource("/api/v1", "secrets")
EVENTS = Resource("/api/v1", "events")
JOBS = Resource("/apis/batch/v1", "jobs")
INGRESSES = Resource("/apis/networking.k8s.io/v1", "ingresses")
NODES = Resource("/api/v1", "nodes", namespaced=False)
STORAGE_CLASSES = Resource("/apis/storage.k8s.io/v1", "storageclasses", namespaced=False)
INGRESS_CLASSES = Resource("/apis/networking.k8s.io/v1", "ingressclasses", namespaced=False)


class KubeClient:
    """The cluster behind one kubeconfig + context."""

    def __init__(
        self,
        target: ClusterTarget,
        *,
        request_timeout: float = 10.0,
        plugin_timeout: float | None = None,
    ) -> None:
        # Imported here: the client takes ~0.6 s to import and the GUI must open first.
        from storedesk.cluster import kube_auth

        self.target = target
        self.request_timeout = request_timeout
        # Requests are never retried (a timeout means what it says); a credential plugin
        # runs with a deadline and its failures name it.
        self._api = kube_auth.new_api_client(
            target,
            plugin_timeout=kube_auth.PLUGIN_TIMEOUT if plugin_timeout is None else plugin_timeout,
        )
        self.server = self._api.configuration.host

    @property
    def api_client(self) -> Any:
        """The configured kubernetes ApiClient (for the few calls made through it: port-forward)."""
        return self._api

    # -- requests --------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        query: dict[str, Any] | None = None,
        body: Any = None,
        content_type: str = JSON,
        accept: str = JSON,
        timeout: float | tuple[float, float] | None = None,
        decode: Callable[[bytes], Any] = json.loads,
    ) -> Any:
        """One API request; returns its JSON body as `decode` reads it."""
        timeout = timeout or self.request_timeout
        response = self._send(method, path, query, body, content_type, accept, timeout)
        data = self._body(response, timeout)
        try:
            return decode(data) if data else None
        except ValueError:
            if _is_html(response.headers.get("Content-Type"), data):
                raise self._html_page(response.status, data) from None
            raise OperationFailed(
                f"{method} {path}: the cluster's answer is not JSON ({len(data)} bytes)"
            ) from None

    def text(
        self, path: str, *, query: dict[str, Any] | None = None, timeout: float | None = None
    ) -> str:
        """A GET whose answer is text, not JSON (a container's log); failures as request()'s."""
        timeout = timeout or self.request_timeout
        response = self._send("GET", path, query, None, JSON, "text/plain", timeout)
        return self._body(response, timeout).decode("utf-8", "replace")

    def _body(self, response: Any, timeout: float | tuple[float, float]) -> bytes:
        # The body arrives after the status line: the connection can still drop here.
        import urllib3

        try:
            return response.read()
        except (urllib3.exceptions.HTTPError, OSError) as e:
            raise self._unreachable(e, timeout) from None

    def _send(
        self,
        method: str,
        path: str,
        query: dict[str, Any] | None,
        body: Any,
        content_type: str,
        accept: str,
        timeout: float | tuple[float, float],
    ) -> Any:
        import urllib3

        headers = {"Accept": accept}
        if body is not None:
            headers["Content-Type"] = content_type
        params = [(k, v) for k, v in (query or {}).items() if v is not None]
        try:
            method, url, headers, body, _ = self._api.param_serialize(
                method=method,
                resource_path=path,
                query_params=params,
                header_params=headers,
                body=body,
                auth_settings=["BearerToken"],
            )
            response = self._api.call_api(
                method, url, header_params=headers, body=body, _request_timeout=timeout
            )
        except (urllib3.exceptions.HTTPError, OSError) as e:
            raise self._unreachable(e, timeout) from None
        except StoredeskError:
            raise  # e.g. a credential plugin failing while it renews an expired token
        except Exception as e:  # the client's own errors
            raise self._unreachable(e, timeout) from None
        if response.status >= 400 or _is_html_type(response.headers.get("Content-Type")):
            data = self._body(response, timeout)
            if _is_html(response.headers.get("Content-Type"), data):
                raise self._html_page(response.status, data)
            raise self._translate(response.status, data, method, path)
        return response

    def _unreachable(
        self, error: Exception, timeout: float | tuple[float, float] | None = None
    ) -> ClusterUnreachable:
        reason = _root_cause(error)
        where = f"the cluster of context {self.target.context!r} at {self.server}"
        hint = (
            "check that the cluster is running and reachable (VPN, network), "
            "or pick another context"
        )
        if reason == "timed out" and timeout:
            seconds = max(timeout) if isinstance(timeout, tuple) else timeout
            return ClusterUnreachable(f"{where} did not answer within {seconds:g}s", hint=hint)
        return ClusterUnreachable(f"cannot reach {where}: {reason}", hint=hint)

    def _html_page(self, status: int, data: bytes) -> ClusterUnreachable:
        # A proxy, a login portal or a web server: whatever it is, not the Kubernetes API.
        title = _html_title(data)
        return ClusterUnreachable(
            f"the server at {self.server} answered with an HTML page, not the Kubernetes API "
            f"(HTTP {status}{': ' + title if title else ''})",
            hint=f"check the server address of context {self.target.context!r} in the "
            "kubeconfig, and whether HTTPS_PROXY sends the request to a proxy",
        )

    def _translate(self, status: int, data: bytes, method: str, path: str) -> StoredeskError:
        message = _server_message(data) or f"HTTP {status}"
        if status == 401:
            return KubeconfigError(
                f"the cluster refused the credentials of context {self.target.context!r} "
                f"(401 Unauthorized)",
                hint="log in again (your token or certificate may have expired)",
            )
        if status == 403:
            return Forbidden(
                message,
                hint="ask your cluster admin for this permission, or use a context that has it",
            )
        if status == 404:
            return NotFound(message)
        if status == 409:
            return Conflict(message)
        if status in (502, 503, 504):
            return ClusterUnreachable(
                f"the cluster's API server at {self.server} is not answering ({status}): {message}",
                hint="wait for the cluster to come back, then retry",
            )
        return OperationFailed(f"{method} {path} failed ({status}): {message}")

    # -- reading ---------------------------------------------------------------------------

    def version(self) -> Obj:
        """GET /version: the cheapest way to know the cluster answers."""
        return self.request("GET", "/version", timeout=min(5.0, self.request_timeout))

    def list(
        self,
        resource: Resource,
        *,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        metadata_only: bool = False,
        each: Callable[[Obj], Any] | None = None,
    ) -> tuple[list[Any], str]:
        """Items and the list's resourceVersion (to start a watch from). With `each`, what
        it makes of every item instead: each item is decoded, handed over and dropped
        before the next, so a digest of 400 pods never holds 400 decoded pods at once."""
        return self.request(
            "GET",
            resource.collection(namespace),
            query={"labelSelector": label_selector, "fieldSelector": field_selector},
            accept=METADATA_ONLY if metadata_only else JSON,
            decode=lambda data: decode_list(data, each or _same),
        ) or ([], "")

    def get(self, resource: Resource, name: str, namespace: str | None = None) -> Obj | None:
        """One object, or None when it does not exist."""
        try:
            return self.request("GET", resource.item(name, namespace))
        except NotFound:
            return None

    def watch(
        self,
        resource: Resource,
        resource_version: str,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
        metadata_only: bool = False,
        timeout_seconds: int = 300,
        stop: threading.Event | None = None,
        opened: Callable[[Any], None] | None = None,
    ) -> Iterator[Obj]:
        """Watch events after `resource_version` until the server ends the stream.

        An expired resourceVersion arrives as an ERROR event with code 410: relist.
        `opened` receives the open response: its shutdown() ends the stream from another
        thread at once (a blocked read would otherwise wait for the next event)."""
        timeout = (5.0, timeout_seconds + 10.0)
        response = self._send(
            "GET",
            resource.collection(),
            {
                "watch": "true",
                "resourceVersion": resource_version,
                "allowWatchBookmarks": "true",
                "timeoutSeconds": str(timeout_seconds),
                "labelSelector": label_selector,
                "fieldSelector": field_selector,
            },
            None,
            JSON,
            METADATA_ONLY_WATCH if metadata_only else JSON,
            timeout,
        )
        raw = response.response
        if opened is not None:
            opened(raw)
        buffer = b""
        try:
            for chunk in raw.stream(65536, decode_content=True):
                if stop is not None and stop.is_set():
                    return
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    if line.strip():
                        yield json.loads(line)
        except Exception as e:
            if stop is not None and stop.is_set():
                return
            raise self._unreachable(e, timeout) from None
        finally:
            raw.release_conn()

    # -- writing ---------------------------------------------------------------------------

    def create(self, resource: Resource, body: Obj, namespace: str | None = None) -> Obj:
        """POST a new object (Conflict if it exists)."""
        return self.request("POST", resource.collection(namespace), body=body)

    def replace(self, resource: Resource, body: Obj, namespace: str | None = None) -> Obj:
        """PUT an object; its metadata.resourceVersion makes this a compare-and-swap."""
        return self.request("PUT", resource.item(body["metadata"]["name"], namespace), body=body)

    def merge_patch(
        self, resource: Resource, name: str, patch: Obj, namespace: str | None = None
    ) -> Obj:
        """Apply a JSON merge patch."""
        return self.request(
            "PATCH", resource.item(name, namespace), body=patch, content_type=MERGE_PATCH
        )

    def delete(
        self,
        resource: Resource,
        name: str,
        namespace: str | None = None,
        *,
        propagation: str = "Background",
    ) -> bool:
        """Delete an object; False when it was already gone."""
        try:
            self.request(
                "DELETE",
                resource.item(name, namespace),
                body={
                    "kind": "DeleteOptions",
                    "apiVersion": "v1",
                    "propagationPolicy": propagation,
                },
            )
        except NotFound:
            return False
        return True


_MESSAGE_CHARS = 500  # of a server's error text, in our one-line messages


def _one_line(text: str, limit: int = _MESSAGE_CHARS) -> str:
    """`text` with its whitespace runs collapsed, cut to `limit` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _server_message(data: bytes) -> str:
    """The message of a Status answer, else the body's text, on one line."""
    try:
        decoded = json.loads(data)
    except ValueError:
        decoded = None
    if isinstance(decoded, dict) and isinstance(decoded.get("message"), str):
        return _one_line(decoded["message"])
    return _one_line(data.decode(errors="replace"))


def _is_html_type(content_type: str | None) -> bool:
    """Whether a Content-Type header announces a web page."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media in ("text/html", "application/xhtml+xml")


def _is_html(content_type: str | None, data: bytes) -> bool:
    """Whether an answer is a web page (by its type, or by how its body starts)."""
    if _is_html_type(content_type):
        return True
    start = data[:64].lstrip().lower()
    return start.startswith((b"<!doctype html", b"<html"))


def _html_title(data: bytes) -> str:
    """The <title> of an HTML page, short and on one line ("" when it has none)."""
    found = re.search(rb"<title[^>]*>(.*?)</title", data[:65536], re.IGNORECASE | re.DOTALL)
    return _one_line(html.unescape(found.group(1).decode(errors="replace")), 100) if found else ""


def _root_cause(error: BaseException) -> str:
    """The innermost reason of a urllib3 error chain, short ('connection refused')."""
    seen = error
    while True:
        inner = getattr(seen, "reason", None) or seen.__cause__ or seen.__context__
        if inner is None or inner is seen or not isinstance(inner, BaseException):
            break
        seen = inner
    text = str(seen)
    for known in (
        "Connection refused",
        "Name or service not known",
        "timed out",
        "No route to host",
        "Connection reset",
        "Remote end closed connection",
    ):
        if known.lower() in text.lower():
            return known.lower()
    return text.split(": ", 1)[-1] if ": " in text else text
