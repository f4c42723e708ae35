"""A byte stream to a pod's port through the Kubernetes API: the kubernetes client's
port-forward over WebSocket (channel protocol), never a `kubectl` subprocess.

Opening is bounded: the client's WebSocket handshake has no deadline of its own, so it runs
on a helper thread that is given up after `timeout`. Failures become our errors, naming
the pod, and what the cluster said on the port's error channel.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
from typing import Any

from storedesk.cluster.kube import KubeClient
from storedesk.errors import ClusterUnreachable, Forbidden, OperationFailed

OPEN_TIMEOUT = 10.0  # seconds for the WebSocket handshake
_HANDSHAKE = re.compile(r"Handshake status (\d{3})")


class PodStream:
    """One forwarded connection to a pod's port: a connected socket plus its error channel."""

    def __init__(self, forward: Any, port: int, pod: str) -> None:
        self._forward = forward
        self.port = port
        self.pod = pod
        self.socket: socket.socket = forward.socket(port)

    def error(self) -> str | None:
        """What the cluster said on the port's error channel (e.g. connection refused)."""
        said = self._forward.error(self.port)
        return str(said).strip() or None if said else None

    def close(self) -> None:
        """Close the stream (the WebSocket closes once every port is closed)."""
        with contextlib.suppress(OSError):
            self._forward.close()


def open_stream(
    kube: KubeClient, namespace: str, pod: str, port: int, *, timeout: float = OPEN_TIMEOUT
) -> PodStream:
    """A stream to `port` of `pod`; Forbidden, ClusterUnreachable or OperationFailed."""
    from kubernetes.client.exceptions import ApiException
    from kubernetes.stream.ws_client import portforward_call

    api = kube.api_client
    box: dict[str, Any] = {}

    def connect() -> None:
        try:
            # The request as the client's generated CoreV1Api would build it (URL, auth
            # headers), handed to the client's own port-forward call. Not through CoreV1Api:
            # that module alone costs 0.4 s and 23 MB to import, and its stream() wrapper
            # swaps the shared ApiClient's call_api while it connects, which would turn
            # other threads' requests into port-forwards.
            _, url, headers, _, _ = api.param_serialize(
                method="GET",
                resource_path="/api/v1/namespaces/{namespace}/pods/{name}/portforward",
                path_params={"namespace": namespace, "name": pod},
                query_params=[("ports", str(port))],
                header_params={"Accept": "*/*"},
                auth_settings=["BearerToken"],
            )
            box["forward"] = portforward_call(api.configuration, "GET", url, headers=headers)
        except Exception as exc:  # translated below, on the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=connect, name="port-forward-open", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise ClusterUnreachable(
            f"the cluster did not open a port-forward to pod {pod} within {timeout:g}s",
            hint="check that the cluster is running and reachable",
        )
    error = box.get("error")
    if isinstance(error, ApiException):
        status, said = error.status or 0, str(error.reason)
        # The client reports a refused WebSocket handshake as status 0 with the answer in
        # its reason: "Handshake status 403 Forbidden -+-+- {headers} -+-+- {body}".
        refused = _HANDSHAKE.match(said)
        if status == 0 and refused:
            status = int(refused.group(1))
            said = _status_message(said.rsplit("-+-+-", 1)[-1].strip()) or said
        raise _translate(status, said, namespace, pod) from None
    if error is not None and getattr(error, "status_code", None):
        # The WebSocket handshake was refused: the body is the server's Status.
        said = _status_message(getattr(error, "resp_body", b"")) or str(error)
        raise _translate(error.status_code, said, namespace, pod) from None
    if error is not None:
        raise ClusterUnreachable(
            f"could not open a port-forward to pod {pod}: {type(error).__name__}: {error}",
            hint="check that the cluster is running and reachable",
        ) from None
    return PodStream(box["forward"], port, pod)


def _status_message(body: Any) -> str:
    """The message of a Kubernetes Status body, if that is what `body` is."""
    try:
        data = json.loads(body.decode() if isinstance(body, bytes) else body or "")
    except (ValueError, UnicodeDecodeError):
        return ""
    return str(data.get("message", "")) if isinstance(data, dict) else ""


def _translate(status: int, reason: str, namespace: str, pod: str) -> Exception:
    reason = reason.strip()
    if status == 403:
        return Forbidden(
            f"the cluster does not allow this user to port-forward to pods in {namespace} "
            "(pods/portforward)",
            hint="ask for the `create` verb on `pods/portforward`, or open the store through "
            "an ingress controller",
        )
    if status == 404:
        return OperationFailed(f"pod {pod} is gone from {namespace}; a new one takes its place")
    if status == 0:
        return ClusterUnreachable(
            f"the cluster did not answer the port-forward to pod {pod}: {reason}",
            hint="check that the cluster is running and reachable",
        )
    return OperationFailed(f"port-forward to pod {pod} failed ({status}): {reason}")
