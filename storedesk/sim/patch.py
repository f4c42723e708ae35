"""PATCH bodies applied as kube-apiserver applies them: JSON, merge and strategic merge patches.

JSON patch and merge patch follow gopkg.in/evanphx/json-patch.v4 (what the API server vendors,
quirks included); strategic merge patch follows k8s.io/apimachinery/pkg/util/strategicpatch,
reading patch strategies and merge keys from the OpenAPI schema instead of Go struct tags.
Errors carry the codes and messages of k8s.io/apiserver/pkg/endpoints/handlers/patch.go.
Inputs are never mutated: each entry point works on deep copies.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from typing import Any

from storedesk.sim.errors import ApiError, bad_request
from storedesk.sim.gofmt import go_v
from storedesk.sim.managed import copy_object
from storedesk.sim.schema import Schema, SchemaIndex, types_of

MAX_JSON_PATCH_OPERATIONS = 10000

_DIRECTIVE = "$patch"
_RETAIN_KEYS = "$retainKeys"
_DELETE_PREFIX = "$deleteFromPrimitiveList"
_ORDER_PREFIX = "$setElementOrder"
_INDEX = re.compile(r"[+-]?[0-9]+")


def server_error(message: str) -> ApiError:
    """500 for an error that is not a Status: the API server sends it with no reason."""
    error = ApiError(500, message)
    error.reason = ""  # StatusReasonUnknown is the empty string in the real body
    return error


def rejected() -> ApiError:
    """422 the server sends when a patch cannot be applied; it drops the underlying reason."""
    message = "the server rejected our request due to an error in our request"
    return ApiError(422, message, "Invalid", details={})


# --- RFC 6902 JSON patch ---------------------------------------------------------------


class _NotApplicable(Exception):
    """A JSON patch operation that does not apply (the server hides which one)."""


def apply_json_patch(doc: dict, ops: Any) -> dict:
    """Apply an RFC 6902 patch as json-patch v4 does (negative indices, lenient replace)."""
    if ops is None:
        return copy.deepcopy(doc)
    if not isinstance(ops, list):
        raise bad_request(
            f"json: cannot unmarshal {_json_kind(ops)} into Go value of type jsonpatch.Patch"
        )
    for op in ops:
        if op is not None and not isinstance(op, dict):
            raise bad_request(
                f"json: cannot unmarshal {_json_kind(op)} into Go value of type jsonpatch.Operation"
            )
    if len(ops) > MAX_JSON_PATCH_OPERATIONS:
        raise ApiError(
            413,
            "Request entity too large: The allowed maximum operations in a JSON "
            f"patch is {MAX_JSON_PATCH_OPERATIONS}, got {len(ops)}",
            "RequestEntityTooLarge",
        )
    result = copy.deepcopy(doc)
    try:
        for op in ops:
            _apply_op(result, op or {})
    except _NotApplicable:
        raise rejected() from None
    return result


def _apply_op(doc: dict, op: dict) -> None:
    kind = op.get("op")
    if kind == "add":
        _add(*_locate(doc, _pointer(op, "path")), copy.deepcopy(op.get("value")))
    elif kind == "remove":
        _remove(*_locate(doc, _pointer(op, "path")))
    elif kind == "replace":
        container, key = _locate(doc, _pointer(op, "path"))
        if isinstance(container, list):
            container[_index(key, len(container))] = copy.deepcopy(op.get("value"))
        else:  # json-patch v4 replaces a missing object member instead of failing
            container[key] = copy.deepcopy(op.get("value"))
    elif kind in ("move", "copy"):
        container, key = _locate(doc, _pointer(op, "from"))
        value = _get(container, key)  # a missing object member reads as null, as in v4
        if kind == "move":
            _remove(container, key)
        _add(*_locate(doc, _pointer(op, "path")), copy.deepcopy(value))
    elif kind == "test":
        value = _get(*_locate(doc, _pointer(op, "path")))
        if "value" not in op or not _json_equal(value, op["value"]):
            raise _NotApplicable
    else:
        raise _NotApplicable


def _json_equal(left: Any, right: Any) -> bool:
    """Equality of decoded JSON as Go's reflect.DeepEqual sees it: all numbers are float64."""
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(_json_equal(left[k], right[k]) for k in left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(map(_json_equal, left, right))
    if _go_kind(left) in ("int64", "float64") and _go_kind(right) in ("int64", "float64"):
        return float(left) == float(right)
    return type(left) is type(right) and left == right


def _pointer(op: dict, field: str) -> str:
    value = op.get(field)
    if not isinstance(value, str):
        raise _NotApplicable
    return value


def _locate(doc: dict, path: str) -> tuple[dict | list, str]:
    parts = path.split("/")
    if len(parts) < 2:
        raise _NotApplicable
    node: Any = doc
    for part in parts[1:-1]:
        node = _get(node, _unescape(part))
        if not isinstance(node, dict | list):
            raise _NotApplicable
    return node, _unescape(parts[-1])


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def _index(key: str, size: int) -> int:
    if not _INDEX.fullmatch(key):
        raise _NotApplicable
    index = int(key)
    if index >= size or index < -size:
        raise _NotApplicable
    return index + size if index < 0 else index


def _get(container: dict | list, key: str) -> Any:
    if isinstance(container, dict):
        return container.get(key)
    return container[_index(key, len(container))]


def _add(container: dict | list, key: str, value: Any) -> None:
    if isinstance(container, dict):
        container[key] = value
    elif key == "-":
        container.append(value)
    else:
        container.insert(_index(key, len(container) + 1), value)


def _remove(container: dict | list, key: str) -> None:
    if isinstance(container, list):
        del container[_index(key, len(container))]
    elif key in container:
        del container[key]
    else:
        raise _NotApplicable


# --- RFC 7386 merge patch --------------------------------------------------------------


def apply_merge_patch(doc: dict, patch: Any) -> dict:
    """Apply an RFC 7386 merge patch as json-patch v4 does."""
    if patch is None:
        raise bad_request("Invalid JSON Patch")
    if not isinstance(patch, dict):
        # v4 returns the patch itself; decoding it as an object then fails.
        raise _undecodable(patch)
    return _merge_docs(doc, patch)


def _merge_docs(doc: dict, patch: dict) -> dict:
    """The merged document: new maps along the patched paths, the rest shared with `doc`
    (which stays as it was)."""
    out = dict(doc)
    for key, value in patch.items():
        current = out.get(key)
        if value is None:
            out.pop(key, None)
        elif isinstance(current, dict) and isinstance(value, dict):
            out[key] = _merge_docs(current, value)
        elif isinstance(current, dict):
            out[key] = copy.deepcopy(value)  # v4 keeps nulls when an object turns scalar
        else:
            out[key] = _prune_nulls(value)
    return out


def _prune_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _prune_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_prune_nulls(v) for v in value]
    return value


def _undecodable(value: Any) -> ApiError:
    text = json.dumps(value, separators=(",", ":"))
    detail = (
        "couldn't get version/kind; json parse error: json: cannot unmarshal "
        f"{_json_kind(value)} into Go value of type struct {{ APIVersion string "
        '"json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }'
    )
    cause = f"Invalid value: {json.dumps(text)}: {detail}"
    return ApiError(
        422,
        f' "" is invalid: patch: {cause}',
        "Invalid",
        details={"causes": [{"reason": "FieldValueInvalid", "message": cause, "field": "patch"}]},
    )


# --- strategic merge patch -------------------------------------------------------------


def apply_strategic_merge_patch(
    doc: dict, patch: Any, schema: Schema | None, index: SchemaIndex
) -> dict:
    """Apply a strategic merge patch; without a schema (unknown type) it is a merge patch."""
    if schema is None:
        return apply_merge_patch(doc, patch)
    if patch is None:
        return copy.deepcopy(doc)
    if not isinstance(patch, dict):
        raise bad_request(
            f"json: cannot unmarshal {_json_kind(patch)} into Go value of type "
            "map[string]interface {}"
        )
    # A strategic patch replaces managedFields whole if it names them: they stay shared.
    return _Strategic(index).merge_map(copy_object(doc), copy.deepcopy(patch), schema)


class _Strategic:
    """apimachinery's mergeMap/mergeSlice (server side: parallel lists merged, nulls dropped)."""

    def __init__(self, index: SchemaIndex) -> None:
        self.index = index

    def meta(self, schema: Schema | None, key: str) -> tuple[Schema | None, str, str]:
        """(field schema, patch strategy without retainKeys, merge key) of a field."""
        field = self.index.property_schema(schema, key)
        if field is None:
            return None, "", ""
        resolved = self.index.resolve(field) or {}

        def extension(name: str) -> str:
            return field.get(name) or resolved.get(name) or ""

        parts = [p for p in extension("x-kubernetes-patch-strategy").split(",") if p]
        others = [p for p in parts if p != "retainKeys"]
        if len(parts) > 2 or len(others) > 1:
            raise server_error(f"unexpected patch strategy: {go_v(parts)}")
        return field, (others[0] if others else ""), extension("x-kubernetes-patch-merge-key")

    def merge_map(self, original: dict, patch: dict, schema: Schema | None) -> dict:
        """Merge `patch` into `original` (both owned by the caller, mutated)."""
        if _DIRECTIVE in patch:
            return _map_directive(patch)
        _retain_keys(original, patch)
        self.merge_ordered_lists(original, patch, schema)
        for key, value in patch.items():
            delete_list = key.startswith(_DELETE_PREFIX)
            if delete_list:
                key = _extract_key(key, _DELETE_PREFIX, "invalid patch format of primitive list")
            if value is None:
                original.pop(key, None)
                continue
            if key not in original or type(original[key]) is not type(value):
                if not delete_list:
                    _set_without_directives(original, key, _discard_nulls(value))
                continue
            field, strategy, merge_key = self.meta(schema, key)
            if isinstance(value, dict):
                original[key] = (
                    value if strategy == "replace" else self.merge_map(original[key], value, field)
                )
            elif isinstance(value, list):
                original[key] = self.merge_list_field(
                    original[key], value, field, strategy, merge_key, delete_list
                )
            else:
                original[key] = value
        return original

    def merge_list_field(
        self,
        original: list,
        patch: list,
        field: Schema | None,
        strategy: str,
        merge_key: str,
        delete_list: bool,
    ) -> list:
        """A list field: merged when its strategy says so (or it is a deletion list)."""
        if strategy != "merge" and not delete_list:
            return patch
        item_schema = self.index.item_schema(field)
        if not original and not patch:
            return original
        is_map = _element_kind(original, patch) == "map"
        if not is_map:
            if delete_list:
                gone = {_canon(v) for v in patch}
                return [v for v in original if _canon(v) not in gone]
            merged = _dedupe(original + patch)
        else:
            if not merge_key:
                raise server_error(
                    f"cannot merge lists without merge key for {self._kind_name(item_schema)}"
                )
            original, patch = _list_directives(original, patch, merge_key)
            merged = self.merge_items(original, patch, merge_key, item_schema)
        patch_items, server_only = _partition(merged, patch, merge_key)
        return _normalize_order(patch_items, server_only, patch, original, merge_key, is_map)

    def merge_items(
        self, original: list, patch: list, merge_key: str, item_schema: Schema | None
    ) -> list:
        """Merge patch items into the original item with the same merge key, or append them."""
        merged = list(original)
        for item in patch:
            if merge_key not in item:
                raise server_error(_no_merge_key(item, merge_key))
            at = _find(merged, merge_key, item[merge_key])
            if at >= 0:
                merged[at] = self.merge_map(merged[at], item, item_schema)
            else:
                merged.append(item)
        return merged

    def merge_ordered_lists(self, original: dict, patch: dict, schema: Schema | None) -> None:
        """Merge each list that has a $setElementOrder directive, in the order it asks for."""
        for directive in [k for k in patch if k.startswith(_ORDER_PREFIX)]:
            order = patch.pop(directive)
            if not isinstance(order, list):
                raise server_error(_bad_arg("slice", order))
            key = _extract_key(
                directive, _ORDER_PREFIX, "invalid patch format of setElementOrder list"
            )
            in_original, in_patch = key in original, key in patch
            original_list, patch_list = original.get(key, []), patch.get(key, [])
            for value in (original_list, patch_list):
                if not isinstance(value, list):
                    raise server_error(_bad_arg("slice", value))
            field, strategy, merge_key = self.meta(schema, key)
            _check_order(patch_list, order, merge_key)
            if in_original and in_patch:
                merged = self.merge_list_field(
                    original_list, patch_list, field, strategy, merge_key, False
                )
            elif in_patch:
                merged = _remove_directives(patch_list)[0]
            elif in_original:
                merged = original_list
            else:
                continue
            patch_items, server_only = _partition(merged, order, merge_key)
            is_map = _element_kind(original_list, patch_list) == "map"
            original[key] = _normalize_order(
                patch_items, server_only, order, original_list, merge_key, is_map
            )
            patch.pop(key, None)

    def _kind_name(self, schema: Schema | None) -> str:
        """Go kind of a list's element type, as apimachinery names it in messages."""
        resolved = self.index.resolve(schema) or {}
        if "properties" in resolved:
            return "struct"
        return "string" if "string" in types_of(resolved) else "interface"


def _map_directive(patch: dict) -> dict:
    directive = patch[_DIRECTIVE]
    if directive == "replace":
        return {k: v for k, v in patch.items() if k != _DIRECTIVE}
    if directive == "delete":
        return {}
    raise server_error(_bad_patch_type(directive, patch))


def _retain_keys(original: dict, patch: dict) -> None:
    if _RETAIN_KEYS not in patch:
        return
    keep = patch.pop(_RETAIN_KEYS)
    if not isinstance(keep, list):
        raise bad_request("invalid patch format of retainKeys")
    kept = {_canon(k) for k in keep}
    for key, value in patch.items():
        if value is None or key.startswith((_DELETE_PREFIX, _ORDER_PREFIX)):
            continue
        if _canon(key) not in kept:
            raise bad_request("invalid patch format of retainKeys")
    for key in [k for k in original if _canon(k) not in kept]:
        del original[key]


def _extract_key(directive: str, prefix: str, malformed: str) -> str:
    head, sep, rest = directive.partition("/")
    if not sep or head != prefix:
        raise bad_request(malformed)
    return rest


def _set_without_directives(target: dict, key: str, value: Any) -> None:
    value, keep = _remove_directives(value)
    if keep:
        target[key] = value
    else:
        target.pop(key, None)


def _remove_directives(value: Any) -> tuple[Any, bool]:
    """Strip $patch'd maps from a value that lands where the original had nothing to merge."""
    if isinstance(value, dict):
        if _DIRECTIVE in value:
            return None, False
        out = {}
        for k, v in value.items():
            v, keep = _remove_directives(v)
            if keep:
                out[k] = v
        return out, True
    if isinstance(value, list):
        return [v for v, keep in map(_remove_directives, value) if keep], True
    return value, True


def _discard_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _discard_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_discard_nulls(v) for v in value]
    return value


def _list_directives(original: list, patch: list, merge_key: str) -> tuple[list, list]:
    """Apply `$patch: delete|replace` list elements; returns (original, plain patch items)."""
    plain: list = []
    replace = False
    for item in patch:
        if _DIRECTIVE not in item:
            plain.append(item)
        elif item[_DIRECTIVE] == "delete":
            if merge_key not in item:
                raise server_error(_no_merge_key(item, merge_key))
            while (at := _find(original, merge_key, item[merge_key])) >= 0:
                original = original[:at] + original[at + 1 :]
        elif item[_DIRECTIVE] == "replace":
            replace = True
        elif item[_DIRECTIVE] == "merge":
            raise server_error("merging lists cannot yet be specified in the patch")
        else:
            raise server_error(_bad_patch_type(item[_DIRECTIVE], item))
    return (plain, []) if replace else (original, plain)


def _find(items: list, merge_key: str, value: Any) -> int:
    for at, item in enumerate(items):
        if not isinstance(item, dict):
            raise server_error(f"value for key {at} is not a map")
        if merge_key in item and _canon(item[merge_key]) == _canon(value):
            return at
    return -1


def _check_order(patch_list: list, order: list, merge_key: str) -> None:
    """The patch list must follow the $setElementOrder list (apimachinery's validation)."""
    if not order or not patch_list:
        return
    items = [i for i in patch_list if not _is_delete(i)] if merge_key else patch_list
    at = pos = 0
    while at < len(items) and pos < len(order):
        if isinstance(items[at], dict) and _DIRECTIVE in items[at]:
            at += 1
            continue
        if _key_equal(items[at], order[pos], merge_key):
            at += 1
        pos += 1
    if at < len(items) and pos >= len(order):
        raise server_error(
            f"The order in patch list:\n{go_v(patch_list)}\n doesn't match "
            f"{_ORDER_PREFIX} list:\n{go_v(order)}\n"
        )


def _is_delete(item: Any) -> bool:
    if not isinstance(item, dict):
        raise server_error(_bad_arg("map", item))
    return item.get(_DIRECTIVE) == "delete"


def _key_equal(left: Any, right: Any, merge_key: str) -> bool:
    if not merge_key:
        return _canon(left) == _canon(right)
    for item in (left, right):
        if not isinstance(item, dict):
            raise server_error(_bad_arg("map", item))
        if merge_key not in item:
            raise server_error(_no_merge_key(item, merge_key))
    return _canon(left[merge_key]) == _canon(right[merge_key])


def _element_kind(*lists: list) -> str:
    kind = None
    for item in (item for items in lists for item in items):
        if kind is None and _go_kind(item) == "slice":
            raise rejected()  # mergepatch.ErrNoListOfLists ends as a bare 422
        if kind is not None and _go_kind(item) != kind:
            raise server_error(f"list element types are not identical: {go_v(list(lists))}")
        kind = _go_kind(item)
    if kind is None:
        raise server_error("no elements in any of the given slices")
    return kind


def _dedupe(items: list) -> list:
    seen: set[str] = set()
    out = []
    for item in items:
        if _canon(item) not in seen:
            seen.add(_canon(item))
            out.append(item)
    return out


def _partition(merged: list, present: list, merge_key: str) -> tuple[list, list]:
    """Split into (items present in `present`, server-only items), keeping merged order."""
    if not merge_key:
        wanted = {_canon(v) for v in present}
        return (
            [v for v in merged if _canon(v) in wanted],
            [v for v in merged if _canon(v) not in wanted],
        )
    inside: list[Any] = []
    outside: list[Any] = []
    for item in merged:
        if not isinstance(item, dict):
            raise server_error(_bad_arg("map", item))
        if merge_key not in item:
            raise server_error(_no_merge_key(item, merge_key))
        (inside if _find(present, merge_key, item[merge_key]) >= 0 else outside).append(item)
    return inside, outside


def _normalize_order(
    patch_items: list,
    server_only: list,
    patch_order: list,
    server_order: list,
    merge_key: str,
    is_map: bool,
) -> list:
    """Order patch items by the patch, server-only items by the live list, then interleave."""
    patch_items = _sort_by(patch_items, patch_order, merge_key, is_map)
    server_only = _sort_by(server_only, server_order, merge_key, is_map)
    key = _merge_value(merge_key, is_map)

    def position(item: Any) -> int:
        return _position(server_order, item, key)

    merged: list = []
    left = right = 0
    while left < len(server_only) or right < len(patch_items):
        if right >= len(patch_items):
            merged.append(server_only[left])
            left += 1
        elif left >= len(server_only):
            merged.append(patch_items[right])
            right += 1
        else:
            lpos, rpos = position(server_only[left]), position(patch_items[right])
            if 0 <= lpos < rpos:
                merged.append(server_only[left])
                left += 1
            else:
                merged.append(patch_items[right])
                right += 1
    return merged


def _sort_by(items: list, order: list, merge_key: str, is_map: bool) -> list:
    deleted: list = []
    if is_map:
        for item in items + order:
            if not isinstance(item, dict):
                raise server_error(_bad_arg("map", item))
            if merge_key not in item:
                raise server_error(_no_merge_key(item, merge_key))
        deleted = [i for i in items if _is_delete(i)]
        items = [i for i in items if not _is_delete(i)]
    key = _merge_value(merge_key, is_map)

    def rank(item: Any) -> int:
        found = _position(order, item, key)
        return found if found >= 0 else len(order)

    return sorted(items, key=rank) + deleted


def _merge_value(merge_key: str, is_map: bool) -> Callable[[Any], Any]:
    if not is_map:
        return lambda item: item
    return lambda item: item.get(merge_key) if isinstance(item, dict) else None


def _position(items: list, item: Any, key: Callable[[Any], Any]) -> int:
    wanted = _canon(key(item))
    return next((at for at, other in enumerate(items) if _canon(key(other)) == wanted), -1)


# --- messages spelled as Go spells them ------------------------------------------------


def _canon(value: Any) -> str:
    """Identity of a JSON value, type included (1 and 1.0 and true differ, as in Go)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _json_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "bool"
    return "number"


def _go_kind(value: Any) -> str:
    kinds = {
        dict: "map",
        list: "slice",
        str: "string",
        bool: "bool",
        int: "int64",
        float: "float64",
    }
    return kinds.get(type(value), "invalid")


def _bad_arg(expected: str, actual: Any) -> str:
    return f"expected a {expected}, but received a {_go_kind(actual)}"


def _no_merge_key(item: Any, merge_key: str) -> str:
    return f"map: {go_v(item)} does not contain declared merge key: {merge_key}"


def _bad_patch_type(directive: Any, item: dict) -> str:
    shown = directive if isinstance(directive, str) else go_v(directive)
    return f"unknown patch type: {shown} in map: {go_v(item)}"
