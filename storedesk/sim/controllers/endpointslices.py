"""The EndpointSlice controller: beside each selector Service's Endpoints, an IPv4
EndpointSlice listing its pods with ready/serving/terminating conditions, owned by the
Service (so it goes with it)."""

from __future__ import annotations

from typing import Any

from storedesk.sim.controllers.loop import ControllerManager, rt_of
from storedesk.sim.controllers.workloads import is_ready
from storedesk.sim.store import Change, Obj

SLICE = rt_of("endpointslices", "discovery.k8s.io")
SERVICE = rt_of("services")
POD = rt_of("pods")
NAMESPACE = rt_of("namespaces")
SERVICE_NAME = "kubernetes.io/service-name"
MANAGED_BY = "endpointslice.kubernetes.io/managed-by"
CONTROLLER = "endpointslice-controller.k8s.io"


class EndpointSlices:
    """Keeps one managed EndpointSlice per selector Service."""

    def __init__(self, manager: ControllerManager) -> None:
        self.m = manager
        manager.register("EndpointSlices", self.reconcile)
        manager.watch(self._keys)

    def _keys(self, change: Change) -> list[tuple[str, str, str]]:
        if change.rt in (POD, SERVICE) or (
            change.rt is SLICE and change.type == "DELETED"  # someone deleted ours
        ):
            return [("EndpointSlices", change.obj["metadata"].get("namespace", ""), "")]
        return []

    def reconcile(self, namespace: str, _: str) -> None:
        """Bring every managed slice of the namespace in line with its Service's pods."""
        store = self.m.api.store
        ns = store.get(NAMESPACE, "", namespace)
        if ns is None or ns["metadata"].get("deletionTimestamp"):
            return
        services = {
            s["metadata"]["name"]: s
            for s in store.items(SERVICE, namespace)
            if s["spec"].get("selector") and not s["metadata"].get("deletionTimestamp")
        }
        slices = [
            s
            for s in store.items(SLICE, namespace)
            if (s["metadata"].get("labels") or {}).get(MANAGED_BY) == CONTROLLER
        ]
        kept: set[str] = set()
        for existing in slices:
            service = (existing["metadata"].get("labels") or {}).get(SERVICE_NAME, "")
            if service not in services or service in kept:
                self.m.api.delete(SLICE, namespace, existing["metadata"]["name"])
            else:
                kept.add(service)
                self._update(existing, services[service])
        for name in sorted(services.keys() - kept):
            self._create(services[name])

    def _create(self, service: Obj) -> None:
        meta = service["metadata"]
        body = {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": {
                "generateName": f"{meta['name']}-",
                "labels": self._labels(service),
                "ownerReferences": [
                    {
                        "apiVersion": "v1",
                        "kind": "Service",
                        "name": meta["name"],
                        "uid": meta["uid"],
                        "controller": True,
                        "blockOwnerDeletion": True,
                    }
                ],
            },
            **self._content(service),
        }
        self.m.api.create(SLICE, meta["namespace"], body)

    def _update(self, existing: Obj, service: Obj) -> None:
        content = self._content(service)
        labels = self._labels(service)
        current = {k: existing.get(k) for k in content}
        if current == content and (existing["metadata"].get("labels") or {}) == labels:
            return
        meta = {**existing["metadata"], "labels": labels}
        self.m.api.update(
            SLICE, meta["namespace"], meta["name"], {**existing, **content, "metadata": meta}
        )

    @staticmethod
    def _labels(service: Obj) -> dict[str, str]:
        return {
            **(service["metadata"].get("labels") or {}),
            SERVICE_NAME: service["metadata"]["name"],
            MANAGED_BY: CONTROLLER,
        }

    def _content(self, service: Obj) -> dict[str, Any]:
        selector = service["spec"]["selector"]
        pods = [
            p
            for p in self.m.api.store.items(POD, service["metadata"]["namespace"])
            if (p.get("status") or {}).get("podIP")
            and all((p["metadata"].get("labels") or {}).get(k) == v for k, v in selector.items())
            and (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
        ]
        endpoints = [_endpoint(p) for p in sorted(pods, key=lambda p: p["metadata"]["name"])]
        ports = [
            {
                "name": port.get("name", ""),
                "port": _target_port(port, pods),
                "protocol": port.get("protocol", "TCP"),
            }
            for port in service["spec"].get("ports") or ()
        ]
        return {
            "addressType": "IPv4",
            "endpoints": endpoints or None,
            "ports": [p for p in ports if p["port"] is not None] or None,
        }


def _endpoint(pod: Obj) -> dict[str, Any]:
    meta = pod["metadata"]
    terminating = bool(meta.get("deletionTimestamp"))
    ready = is_ready(pod)
    endpoint: dict[str, Any] = {
        "addresses": [pod["status"]["podIP"]],
        "conditions": {
            "ready": ready and not terminating,
            "serving": ready,
            "terminating": terminating,
        },
        "targetRef": {
            "kind": "Pod",
            "namespace": meta["namespace"],
            "name": meta["name"],
            "uid": meta["uid"],
        },
    }
    if pod["spec"].get("nodeName"):
        endpoint["nodeName"] = pod["spec"]["nodeName"]
    return endpoint


def _target_port(port: Obj, pods: list[Obj]) -> int | None:
    target = port.get("targetPort", port.get("port"))
    if isinstance(target, int):
        return target
    for pod in pods:  # a named port: the pods' container port of that name
        for container in pod["spec"].get("containers") or ():
            for named in container.get("ports") or ():
                if named.get("name") == target:
                    return int(named["containerPort"])
    return None
