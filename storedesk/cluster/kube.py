"""Kubernetes access through the official client, as plain JSON dicts.

Storedesk reads the cluster with one list (and one watch) per resource type across all
namespaces, filtered by label, so a refresh costs the same for 1 store or 200. Bodies
stay dicts: building the client's model classes costs about a millisecond per pod.
Every failure is translated here, once, into `storedesk.errors`.
"""

from __future__ import annotations

import json
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
SECRETS = Resource("/api/v1", "secrets")
EVENTS = Resource("/api/v1", "events")
JOBS = Resource("/apis/batch/v1", "jobs")


class KubeClient:
    """The cluster behind one kubeconfig + context."""

    def __init__(self, target: ClusterTarget, *, request_timeout: float = 10.0) -> None:
        # Imported here: the client takes ~0.6 s to import and the GUI must open first.
        from kubernetes import config
        from kubernetes.config.config_exception import ConfigException

        self.target = target
        self.request_timeout = request_timeout
        try:
            self._api = config.new_client_from_config(
                persist_config=False, **target.client_kwargs()
            )
        except (ConfigException, OSError, ValueError, TypeError) as e:
            raise KubeconfigError(
                f"cannot use context {target.context!r} from {target.kubeconfig}: {e}",
                hint="`kubectl config view` shows what kubectl makes of the kubeconfig",
            ) from None
        # Fail fast: urllib3's default retries turn an outage into a long hang.
        self._api.configuration.retries = False
        self.server = self._api.configuration.host

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
    ) -> Any:
        """One API request; returns the decoded JSON body."""
        response = self._send(method, path, query, body, content_type, accept, timeout)
        data = self._body(response)
        try:
            return json.loads(data) if data else None
        except ValueError:
            raise OperationFailed(
                f"{method} {path}: the cluster's answer is not JSON ({len(data)} bytes)"
            ) from None

    def _body(self, response: Any) -> bytes:
        # The body arrives after the status line: the connection can still drop here.
        import urllib3

        try:
            return response.read()
        except (urllib3.exceptions.HTTPError, OSError) as e:
            raise self._unreachable(e) from None

    def _send(
        self,
        method: str,
        path: str,
        query: dict[str, Any] | None,
        body: Any,
        content_type: str,
        accept: str,
        timeout: float | tuple[float, float] | None,
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
                method,
                url,
                header_params=headers,
                body=body,
                _request_timeout=timeout or self.request_timeout,
            )
        except (urllib3.exceptions.HTTPError, OSError) as e:
            raise self._unreachable(e) from None
        except StoredeskError:
            raise
        except Exception as e:  # the client's own errors (e.g. an exec plugin failing)
            raise self._unreachable(e) from None
        if response.status >= 400:
            raise self._translate(response.status, self._body(response), method, path)
        return response

    def _unreachable(self, error: Exception) -> ClusterUnreachable:
        reason = _root_cause(error)
        return ClusterUnreachable(
            f"cannot reach the cluster of context {self.target.context!r} at {self.server}: "
            f"{reason}",
            hint="check that the cluster is running and reachable (VPN, network), or pick "
            "another context",
        )

    def _translate(self, status: int, data: bytes, method: str, path: str) -> StoredeskError:
        try:
            message = json.loads(data).get("message") or data.decode(errors="replace")
        except ValueError:
            message = data.decode(errors="replace").strip() or f"HTTP {status}"
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
    ) -> tuple[list[Obj], str]:
        """Items and the list's resourceVersion (to start a watch from)."""
        body = self.request(
            "GET",
            resource.collection(namespace),
            query={"labelSelector": label_selector, "fieldSelector": field_selector},
            accept=METADATA_ONLY if metadata_only else JSON,
        )
        return body.get("items") or [], body["metadata"].get("resourceVersion", "")

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
            (5.0, timeout_seconds + 10.0),
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
            raise self._unreachable(e) from None
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
