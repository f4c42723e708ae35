"""The real Kubernetes object schema (from kubernetes-validate), indexed for the simulator.

kubernetes-validate ships the OpenAPI definitions of every Kubernetes minor as JSON
Schema; we read one version's strict definitions once and use them for field
validation, OpenAPI documents, strategic-merge keys and server-side apply list types.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

SERVER_MINOR = "1.35"
_REF_PREFIX = "#/$defs/"

Schema = dict[str, Any]


class SchemaIndex:
    """Definitions of one Kubernetes version, looked up by name or by group/version/kind."""

    def __init__(self, definitions: dict[str, Schema]) -> None:
        self.definitions = definitions
        self._by_gvk: dict[tuple[str, str, str], str] = {}
        for name, schema in definitions.items():
            for gvk in schema.get("x-kubernetes-group-version-kind", ()):
                # Several definitions can claim a GVK (e.g. DeleteOptions); the one whose
                # name ends with the kind is the object itself.
                key = (gvk["group"], gvk["version"], gvk["kind"])
                if key not in self._by_gvk or name.endswith("." + gvk["kind"]):
                    self._by_gvk[key] = name

    def name_for(self, group: str, version: str, kind: str) -> str | None:
        """Definition name (e.g. io.k8s.api.apps.v1.Deployment) for a kind, if known."""
        return self._by_gvk.get((group, version, kind))

    def for_kind(self, group: str, version: str, kind: str) -> Schema | None:
        """The object schema of a kind, if known."""
        name = self.name_for(group, version, kind)
        return self.definitions[name] if name else None

    def resolve(self, schema: Schema | None) -> Schema | None:
        """Follow $ref (possibly chained) to the schema it names."""
        while schema is not None and "$ref" in schema:
            schema = self.definitions[ref_name(schema["$ref"])]
        return schema

    def property_schema(self, schema: Schema | None, key: str) -> Schema | None:
        """Schema of `key` inside an object schema (a declared property or a map value)."""
        schema = self.resolve(schema)
        if schema is None:
            return None
        props = schema.get("properties")
        if props and key in props:
            return props[key]
        extra = schema.get("additionalProperties")
        return extra if isinstance(extra, dict) else None

    def item_schema(self, schema: Schema | None) -> Schema | None:
        """Schema of the items of an array schema."""
        schema = self.resolve(schema)
        return None if schema is None else schema.get("items")


def ref_name(ref: str) -> str:
    """Definition name from a `#/$defs/NAME` reference."""
    if not ref.startswith(_REF_PREFIX):
        raise ValueError(f"unexpected schema reference {ref!r}")
    return ref[len(_REF_PREFIX) :]


def types_of(schema: Schema) -> set[str]:
    """JSON types a schema admits, without null (kubernetes-validate adds null to optionals)."""
    declared = schema.get("type")
    if declared is None:
        return set()
    names = {declared} if isinstance(declared, str) else set(declared)
    names.discard("null")
    return names


@cache
def load(minor: str = SERVER_MINOR) -> SchemaIndex:
    """Load (once) the strict definitions of Kubernetes `minor`."""
    root = resources.files("kubernetes_validate").joinpath("kubernetes-json-schema")
    folder = root.joinpath(f"v{minor}.0-local-strict")
    with folder.joinpath("_definitions.json").open() as f:
        return SchemaIndex(json.load(f)["$defs"])
