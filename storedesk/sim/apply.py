"""Server-side apply (PATCH with application/apply-patch+yaml): the merge.

The real API server checks the applied configuration against the schema, then merges it
into the live object with sigs.k8s.io/structured-merge-diff, driven by
x-kubernetes-list-type, -list-map-keys and -map-type. What the manager stops applying is
removed afterwards, by ownership (storedesk.sim.managed), as are the 409 conflicts.
"""

from __future__ import annotations

import copy
import json
from collections import deque
from collections.abc import Callable
from typing import Any

from storedesk.sim.errors import ApiError
from storedesk.sim.patch import server_error
from storedesk.sim.schema import Schema, SchemaIndex

# Key fields with an OpenAPI default (ContainerPort/ServicePort protocol is "TCP"); the
# kubernetes-validate schemas drop defaults, and apply matches a missing key by its default.
_KEY_DEFAULTS = {"protocol": "TCP"}


def server_side_apply(
    live: dict | None,
    applied: dict,
    schema: Schema | None,
    index: SchemaIndex,
) -> dict:
    """`applied` merged over `live` (None: created from `applied`); nothing is removed."""
    problem = _Typed(index).problem(applied, schema, "")
    if problem:
        raise _typed_patch_error(applied, problem)
    merger = _Merger(index)
    return merger.merge_map(copy.deepcopy(live or {}), applied, schema)


class _Merger:
    """structured-merge-diff's merge of an applied configuration over the live object."""

    def __init__(self, index: SchemaIndex) -> None:
        self.index = index

    def merge_map(self, live: dict, applied: dict, schema: Schema | None) -> dict:
        """Merge applied map fields into live ones (an applied null clears a field)."""
        out = {}
        for key, value in live.items():
            field = self.index.property_schema(schema, key)
            if key in applied:
                if applied[key] is not None:
                    out[key] = self.merge(value, applied[key], field)
            else:
                out[key] = value
        for key, value in applied.items():
            if key not in live and value is not None:
                out[key] = _without_nulls(value)
        return out

    def merge(self, live: Any, applied: Any, schema: Schema | None) -> Any:
        """Merge one applied value over the live one; atomic values are replaced."""
        if isinstance(live, dict) and isinstance(applied, dict) and not self.atomic_map(schema):
            return self.merge_map(live, applied, schema)
        if isinstance(live, list) and isinstance(applied, list):
            identity = self.identity(schema)
            if identity:
                return self.merge_list(live, applied, schema, identity)
        return _without_nulls(applied)

    def merge_list(
        self,
        live: list,
        applied: list,
        schema: Schema | None,
        identity: Callable[[Any], str],
    ) -> list:
        """Merge a map or set list item by item, in structured-merge-diff's order."""
        item_schema = self.index.item_schema(schema)
        rhs = _first_by_key(applied, identity)
        lhs = _first_by_key(live, identity)

        def merged(key: str) -> Any:
            if key not in lhs:
                return _without_nulls(rhs[key])
            if key not in rhs:
                return lhs[key]
            return self.merge(lhs[key], rhs[key], item_schema)

        return [merged(k) for k in _merge_order(list(lhs), list(rhs))]

    def atomic_map(self, schema: Schema | None) -> bool:
        """A map replaced as a whole (x-kubernetes-map-type: atomic)."""
        return self.extension(schema, "x-kubernetes-map-type") == "atomic"

    def identity(self, schema: Schema | None) -> Callable[[Any], str] | None:
        """How items of a map or set list are identified; None for atomic lists."""
        list_type = self.extension(schema, "x-kubernetes-list-type")
        if list_type == "set":
            return _canon
        if list_type == "map":
            keys = self.extension(schema, "x-kubernetes-list-map-keys") or []
            return lambda item: _canon([_key_value(item, k) for k in keys])
        return None

    def extension(self, schema: Schema | None, name: str) -> Any:
        """An x-kubernetes-* marker on the field or on the definition it refers to."""
        if schema is None:
            return None
        if name in schema:
            return schema[name]
        return (self.index.resolve(schema) or {}).get(name)


class _Typed:
    """The checks of structured-merge-diff's typed conversion of the applied config."""

    def __init__(self, index: SchemaIndex) -> None:
        self.index = index
        self.markers = _Merger(index)

    def problem(self, value: Any, schema: Schema | None, path: str) -> str | None:
        """First field error in `value` (unknown field, list item without its keys), if any."""
        resolved = self.index.resolve(schema)
        if resolved is None:
            return None
        if isinstance(value, dict):
            return self.map_problem(value, resolved, path)
        if isinstance(value, list):
            return self.list_problem(value, schema, path)
        return None

    def map_problem(self, value: dict, schema: Schema, path: str) -> str | None:
        """Unknown fields of a closed object, then problems inside its fields."""
        props = schema.get("properties")
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            if props is not None and key in props:
                field = props[key]
            elif isinstance(extra, dict):
                field = extra
            elif props is not None:
                return f"{path}.{key}: field not declared in schema"
            else:
                continue  # a free-form object (x-kubernetes-preserve-unknown-fields)
            found = self.problem(item, field, f"{path}.{key}")
            if found:
                return found
        return None

    def list_problem(self, value: list, schema: Schema | None, path: str) -> str | None:
        """Missing key fields of map-list items, then problems inside the items."""
        list_type = self.markers.extension(schema, "x-kubernetes-list-type")
        keys = self.markers.extension(schema, "x-kubernetes-list-map-keys") or []
        item_schema = self.index.item_schema(schema)
        for at, item in enumerate(value):
            if list_type == "map" and isinstance(item, dict):
                for key in keys:
                    if key not in item and key not in _KEY_DEFAULTS:
                        return (
                            f"{path}: element {at}: associative list with keys has an "
                            f'element that omits key field "{key}" (and doesn\'t have '
                            "default value)"
                        )
                step = ",".join(f"{k}={_json(_key_value(item, k))}" for k in keys)
            elif list_type == "set":
                step = f"={_json(item)}"
            else:
                step = str(at)
            found = self.problem(item, item_schema, f"{path}[{step}]")
            if found:
                return found
        return None


def _typed_patch_error(applied: dict, problem: str) -> ApiError:
    """500 the API server answers when the applied config does not fit the schema."""
    meta = applied.get("metadata") or {}
    api_version = str(applied.get("apiVersion", ""))
    group_version = api_version if "/" in api_version else "/" + api_version
    subject = (
        f"{meta.get('namespace', '')}/{meta.get('name', '')}; {group_version}, "
        f"Kind={applied.get('kind', '')}"
    )
    return server_error(f"failed to create typed patch object ({subject}): {problem}")


def _merge_order(lhs: list[str], rhs: list[str]) -> list[str]:
    """Item order of structured-merge-diff's visitListItems: live order, applied order wins."""
    rhs_set, lhs_set = set(rhs), set(lhs)
    shared = deque(k for k in rhs if k in lhs_set)
    upcoming = shared.popleft() if shared else None
    out: list[str] = []
    done: set[str] = set()
    left = right = 0
    while left < len(lhs) or right < len(rhs):
        if left < len(lhs) and right < len(rhs):
            key = lhs[left]
            if key == rhs[right]:
                out.append(key)
                done.add(key)
                left, right = left + 1, right + 1
                upcoming = shared.popleft() if shared else None
                continue
            if key in rhs_set and upcoming is not None and upcoming != key:
                left += 1  # shared, but not the one due now
                continue
        if left < len(lhs):
            key = lhs[left]
            if key not in rhs_set:
                out.append(key)
                left += 1
                continue
            if key in done:
                left += 1
                continue
        if right < len(rhs):
            key = rhs[right]
            out.append(key)
            done.add(key)
            right += 1
            if upcoming == key:
                upcoming = shared.popleft() if shared else None
    return out


def _first_by_key(items: list, identity: Callable[[Any], str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        out.setdefault(identity(item), item)
    return out


def _key_value(item: Any, key: str) -> Any:
    if not isinstance(item, dict):
        return None
    return item.get(key, _KEY_DEFAULTS.get(key))


def _without_nulls(value: Any) -> Any:
    """A fresh copy without null fields (typed decoding drops them)."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def _canon(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))
