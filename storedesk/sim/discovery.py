"""Discovery documents (/api, /apis, /api/v1, /apis/G/V) as a real API server serves them."""

from __future__ import annotations

import base64
import hashlib
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


def api_group_list() -> dict[str, Any]:
    """GET /apis."""
    groups = []
    for group, version in res.group_versions():
        if not group:
            continue
        gv = {"groupVersion": f"{group}/{version}", "version": version}
        groups.append({"name": group, "versions": [gv], "preferredVersion": gv})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def api_group(group: str) -> dict[str, Any] | None:
    """GET /apis/GROUP."""
    for entry in api_group_list()["groups"]:
        if entry["name"] == group:
            return {"kind": "APIGroup", "apiVersion": "v1", **entry}
    return None


def resource_list(group: str, version: str) -> dict[str, Any] | None:
    """GET /api/v1 or /apis/G/V: every resource with its verbs (clients skip verb-less ones)."""
    types = res.by_group_version(group, version)
    if not types:
        return None
    resources: list[dict[str, Any]] = []
    for rt in types:
        resources.append(_resource_entry(rt))
        for sub in rt.subresources:
            resources.append(_subresource_entry(rt, sub))
    body: dict[str, Any] = {
        "kind": "APIResourceList",
        "groupVersion": types[0].group_version,
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
