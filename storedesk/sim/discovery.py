"""Discovery documents (/api, /apis, /api/v1, /apis/G/V) as a real API server serves them."""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

from storedesk.sim import resources as res
from storedesk.sim.resources import ResourceType

_SUBRESOURCE_KIND = {"scale": ("autoscaling", "v1", "Scale")}
_SUBRESOURCE_VERBS = {
    "status": ("get", "patch", "update"),
    "scale": ("get", "patch", "update"),
    "log": ("get",),
    "finalize": ("update",),
}


def api_versions(server_address: str) -> dict[str, Any]:
    """GET /api."""
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [
            {"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}
        ],
    }


_BUILT_IN = res.Registry()  # serves the built-in types only (callers without CRDs)


def api_group_list(types: res.Registry | None = None) -> dict[str, Any]:
    """GET /apis: one entry per group, its versions highest priority first."""
    versions: dict[str, list[str]] = {}
    for group, version in (types or _BUILT_IN).group_versions():
        if group:
            versions.setdefault(group, []).append(version)
    groups = []
    for group, served in versions.items():
        entries = [
            {"groupVersion": f"{group}/{v}", "version": v}
            for v in sorted(served, key=version_priority)
        ]
        groups.append({"name": group, "versions": entries, "preferredVersion": entries[0]})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def version_priority(version: str) -> tuple[int, int, int, int, str]:
    """Kubernetes' version order as a sort key: v2 before v1 before v1beta2 before v1alpha1,
    then any other name alphabetically (apimachinery's CompareKubeAwareVersionStrings)."""
    match = re.fullmatch(r"v([1-9][0-9]*)(?:(alpha|beta)([1-9][0-9]*))?", version)
    if match is None:
        return (1, 0, 0, 0, version)
    stage = {"alpha": 2, None: 0, "beta": 1}[match.group(2)]
    return (0, stage, -int(match.group(1)), -int(match.group(3) or 0), "")


def api_group(group: str, types: res.Registry | None = None) -> dict[str, Any] | None:
    """GET /apis/GROUP."""
    for entry in api_group_list(types)["groups"]:
        if entry["name"] == group:
            return {"kind": "APIGroup", "apiVersion": "v1", **entry}
    return None


def resource_list(
    group: str, version: str, types: res.Registry | None = None
) -> dict[str, Any] | None:
    """GET /api/v1 or /apis/G/V: every resource with its verbs (clients skip verb-less ones)."""
    types_served = (types or _BUILT_IN).by_group_version(group, version)
    if not types_served:
        return None
    resources: list[dict[str, Any]] = []
    for rt in types_served:
        resources.append(_resource_entry(rt))
        for sub in rt.subresources:
            resources.append(_subresource_entry(rt, sub))
    body: dict[str, Any] = {
        "kind": "APIResourceList",
        "groupVersion": types_served[0].group_version,
        "resources": resources,
    }
    if group:
        body["apiVersion"] = "v1"
    return body


def _resource_entry(rt: ResourceType) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": rt.plural,
        "singularName": rt.singular,
        "namespaced": rt.namespaced,
        "kind": rt.kind,
        "verbs": list(rt.verbs),
    }
    if rt.short_names:
        entry["shortNames"] = list(rt.short_names)
    if rt.categories:
        entry["categories"] = list(rt.categories)
    entry["storageVersionHash"] = _storage_hash(rt)
    return entry


def _subresource_entry(rt: ResourceType, sub: str) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": f"{rt.plural}/{sub}",
        "singularName": "",
        "namespaced": rt.namespaced,
        "kind": rt.kind,
        "verbs": list(_SUBRESOURCE_VERBS[sub]),
    }
    if sub in _SUBRESOURCE_KIND:
        group, version, kind = _SUBRESOURCE_KIND[sub]
        entry.update(group=group, version=version, kind=kind)
    return entry


def _storage_hash(rt: ResourceType) -> str:
    digest = hashlib.sha256(f"{rt.group}/{rt.version}/{rt.kind}".encode()).digest()
    return base64.b64encode(digest[:8]).decode()
