"""Server-side printing: the `Table` objects `kubectl get` asks for, with the real columns."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from storedesk.sim.resources import ResourceType

Obj = dict[str, Any]
Column = tuple[str, str, Callable[[Obj], Any]]  # (name, type, cell)


def age(obj: Obj) -> str:
    """`5m10s`-style age of an object, as kubectl shows it."""
    created = obj.get("metadata", {}).get("creationTimestamp")
    if not created:
        return "<unknown>"
    then = datetime.strptime(created, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    return short_duration((datetime.now(UTC) - then).total_seconds())


def short_duration(seconds: float) -> str:
    """Human duration the way apimachinery's HumanDuration prints it."""
    s = max(0, int(seconds))
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        return f"{minutes}m{s % 60}s" if s % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    return f"{hours // 24}d"


def _pod_status(pod: Obj) -> str:
    if pod["metadata"].get("deletionTimestamp"):
        return "Terminating"
    status = pod.get("status", {})
    reason = status.get("reason") or status.get("phase", "Pending")
    for cs in status.get("containerStatuses", []):
        state = cs.get("state", {})
        if state.get("waiting", {}).get("reason"):
            reason = state["waiting"]["reason"]
        elif state.get("terminated", {}).get("reason"):
            reason = state["terminated"]["reason"]
    return reason


def _pod_ready(pod: Obj) -> str:
    statuses = pod.get("status", {}).get("containerStatuses", [])
    total = len(pod.get("spec", {}).get("containers", []))
    return f"{sum(1 for c in statuses if c.get('ready'))}/{total}"


def _ports(svc: Obj) -> str:
    ports = svc.get("spec", {}).get("ports", [])
    return ",".join(f"{p['port']}/{p.get('protocol', 'TCP')}" for p in ports) or "<none>"


def _job_status(job: Obj) -> str:
    for cond in job.get("status", {}).get("conditions", []):
        if cond.get("status") == "True" and cond["type"] in ("Complete", "Failed"):
            return cond["type"]
    return "Running"


_COLUMNS: dict[str, list[Column]] = {
    "Pod": [
        ("Ready", "string", _pod_ready),
        ("Status", "string", _pod_status),
        (
            "Restarts",
            "string",
            lambda p: str(
                sum(
                    c.get("restartCount", 0)
                    for c in p.get("status", {}).get("containerStatuses", [])
                )
            ),
        ),
    ],
    "Deployment": [
        (
            "Ready",
            "string",
            lambda d: (
                f"{d.get('status', {}).get('readyReplicas', 0)}/{d['spec'].get('replicas', 1)}"
            ),
        ),
        ("Up-to-date", "integer", lambda d: d.get("status", {}).get("updatedReplicas", 0)),
        ("Available", "integer", lambda d: d.get("status", {}).get("availableReplicas", 0)),
    ],
    "ReplicaSet": [
        ("Desired", "integer", lambda r: r["spec"].get("replicas", 1)),
        ("Current", "integer", lambda r: r.get("status", {}).get("replicas", 0)),
        ("Ready", "integer", lambda r: r.get("status", {}).get("readyReplicas", 0)),
    ],
    "StatefulSet": [
        (
            "Ready",
            "string",
            lambda s: (
                f"{s.get('status', {}).get('readyReplicas', 0)}/{s['spec'].get('replicas', 1)}"
            ),
        )
    ],
    "Job": [
        ("Status", "string", _job_status),
        (
            "Completions",
            "string",
            lambda j: (
                f"{j.get('status', {}).get('succeeded', 0)}/{j['spec'].get('completions', 1)}"
            ),
        ),
    ],
    "Service": [
        ("Type", "string", lambda s: s["spec"].get("type", "ClusterIP")),
        ("Cluster-IP", "string", lambda s: s["spec"].get("clusterIP", "<none>")),
        ("External-IP", "string", lambda s: "<none>"),
        ("Port(s)", "string", _ports),
    ],
    "Namespace": [("Status", "string", lambda n: n.get("status", {}).get("phase", "Active"))],
    "PersistentVolumeClaim": [
        ("Status", "string", lambda c: c.get("status", {}).get("phase", "Pending")),
        ("Volume", "string", lambda c: c["spec"].get("volumeName", "")),
        (
            "Capacity",
            "string",
            lambda c: c.get("status", {}).get("capacity", {}).get("storage", ""),
        ),
        (
            "Access Modes",
            "string",
            lambda c: ",".join(
                {"ReadWriteOnce": "RWO", "ReadOnlyMany": "ROX", "ReadWriteMany": "RWX"}.get(m, m)
                for m in c.get("status", {}).get("accessModes", [])
            ),
        ),
        ("StorageClass", "string", lambda c: c["spec"].get("storageClassName", "")),
    ],
    "Secret": [
        ("Type", "string", lambda s: s.get("type", "Opaque")),
        ("Data", "string", lambda s: str(len(s.get("data") or {}))),
    ],
    "ConfigMap": [
        ("Data", "string", lambda c: str(len(c.get("data") or {}) + len(c.get("binaryData") or {})))
    ],
    "Ingress": [
        ("Class", "string", lambda i: i["spec"].get("ingressClassName", "<none>")),
        (
            "Hosts",
            "string",
            lambda i: ",".join(r.get("host", "*") for r in i["spec"].get("rules", [])) or "*",
        ),
        (
            "Address",
            "string",
            lambda i: ",".join(
                x.get("ip") or x.get("hostname", "")
                for x in i.get("status", {}).get("loadBalancer", {}).get("ingress", [])
            ),
        ),
        ("Ports", "string", lambda i: "80, 443" if i["spec"].get("tls") else "80"),
    ],
}


def _event_columns() -> list[Column]:
    def involved(e: Obj) -> str:
        obj = e.get("involvedObject", {})
        return f"{obj.get('kind', '').lower()}/{obj.get('name', '')}"

    return [
        ("Type", "string", lambda e: e.get("type", "")),
        ("Reason", "string", lambda e: e.get("reason", "")),
        ("Object", "string", involved),
        ("Message", "string", lambda e: e.get("message", "")),
    ]


def to_table(rt: ResourceType, items: list[Obj]) -> Obj:
    """A meta.k8s.io/v1 Table for these objects (rows carry PartialObjectMetadata)."""
    if rt.kind == "Event":
        columns = [("Last Seen", "string", lambda e: age(e)), *_event_columns()]
    else:
        columns = [
            ("Name", "string", lambda o: o["metadata"]["name"]),
            *_COLUMNS.get(rt.kind, []),
            ("Age", "string", age),
        ]
    definitions = [
        {
            "name": name,
            "type": kind,
            "format": "name" if name == "Name" else "",
            "description": name,
            "priority": 0,
        }
        for name, kind, _ in columns
    ]
    rows = [
        {
            "cells": [cell(obj) for _, _, cell in columns],
            "object": {
                "kind": "PartialObjectMetadata",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": obj["metadata"],
            },
        }
        for obj in items
    ]
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {},
        "columnDefinitions": definitions,
        "rows": rows,
    }
