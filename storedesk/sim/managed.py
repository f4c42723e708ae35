"""Field ownership: metadata.managedFields, as kube-apiserver's field manager keeps it.

Every write records who set what. A field set is a set of paths; a path is a tuple of
elements, written as managedFields writes them: ("f", name) for a field or map key,
("k", ((key, json), ...)) for an item of a keyed list, ("v", json) for an item of a set
list. The rules are structured-merge-diff's and k8s.io/apimachinery's managedfields:

- An update (POST, PUT, non-apply PATCH) by manager M compares the object before and
  after (as Go objects: structs and non-omitempty fields always present). M takes what
  was added or modified; every other manager loses it, and everybody loses what went.
- An apply by M merges M's configuration into the object; M owns exactly the fields of
  its configuration. Fields M applied last time and omits now are removed, unless another
  manager owns them too. A change to a field another manager owns is a conflict (409)
  unless forced, which moves the field to M.
"""

from __future__ import annotations

import copy
import json
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from storedesk.sim import gotypes
from storedesk.sim.errors import ApiError
from storedesk.sim.schema import Schema, SchemaIndex, ref_name

Element = tuple[str, Any]
Path = tuple[Element, ...]
FieldSet = frozenset[Path]

_MISSING: Any = object()  # a field absent from a map (as opposed to present and null)
NOT_SENT: Any = object()  # a request without metadata.managedFields
_KEY_DEFAULTS = {"protocol": "TCP"}  # list-map keys with an OpenAPI default
# What a manager never owns (stripMetaManager), and what a subresource may not touch.
_STRIPPED: frozenset[tuple[Element, ...]] = frozenset(
    {(("f", "apiVersion"),), (("f", "kind"),), (("f", "metadata"),)}
    | {
        (("f", "metadata"), ("f", name))
        for name in (
            "name",
            "namespace",
            "creationTimestamp",
            "selfLink",
            "uid",
            "clusterName",
            "generation",
            "managedFields",
            "resourceVersion",
        )
    }
)
_MAX_UPDATERS = 10  # capManagersManager: older update entries merge into "ancient-changes"
_CONFLICT_CAUSE = "FieldManagerConflict"


# -- paths --------------------------------------------------------------------------------


def _canon(value: Any) -> str:
    """A value as compact JSON (how keys and set items are written in fieldsV1)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def element_text(element: Element) -> str:
    """An element as a fieldsV1 key: f:name, k:{"name":"web"}, v:"x", i:0."""
    kind, payload = element
    if kind == "f":
        return "f:" + payload
    if kind == "k":
        return "k:{" + ",".join(f"{_canon(k)}:{v}" for k, v in payload) + "}"
    if kind == "v":
        return "v:" + payload
    return f"i:{payload}"


def path_text(path: Path) -> str:
    """A path as conflict messages print it: .spec.containers[name="web"].image."""
    out = []
    for kind, payload in path:
        if kind == "f":
            out.append("." + payload)
        elif kind == "k":
            out.append("[" + ",".join(f"{k}={_go_value(json.loads(v))}" for k, v in payload) + "]")
        elif kind == "v":
            out.append(f"[={_go_value(json.loads(payload))}]")
        else:
            out.append(f"[{payload}]")
    return "".join(out)


def _go_value(value: Any) -> str:
    """structured-merge-diff's value.ToString: strings quoted, numbers and bools bare."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ",".join(_go_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "".join(f"{k}={_go_value(v)}" for k, v in value.items())
    return str(value)


def _sort_key(element: Element) -> tuple[int, Any]:
    """PathElement.Compare: fields, then keys, then values, then indexes."""
    kind, payload = element
    if kind == "f":
        return (0, payload)
    if kind == "k":
        return (1, tuple((k, _value_key(json.loads(v))) for k, v in payload))
    if kind == "v":
        return (2, _value_key(json.loads(payload)))
    return (3, payload)


def _value_key(value: Any) -> tuple[Any, ...]:
    """value.Compare's total order: numbers, strings, bools, lists, maps, null."""
    if isinstance(value, bool):
        return (2, value)
    if isinstance(value, (int, float)):
        return (0, value)
    if isinstance(value, str):
        return (1, value)
    if isinstance(value, list):
        return (3, tuple(_value_key(v) for v in value))
    if isinstance(value, dict):
        return (4, tuple((k, _value_key(v)) for k, v in sorted(value.items())))
    return (5,)


# -- fieldsV1 -----------------------------------------------------------------------------


_LEAF: dict[str, Any] = {}  # every empty node of every fieldsV1: shared, never changed
# Field sets are the large part of these caches (a few KiB each): the objects being
# written now, and the sets many objects share, fit in a few hundred.
_ENCODINGS_KEPT = 256
# A field set -> its fieldsV1 and the set itself (made of interned paths): the decode
# cache is given that very set, so the two caches hold one copy of it.
_encodings: OrderedDict[FieldSet, tuple[dict[str, Any], FieldSet]] = OrderedDict()
_encodings_lock = threading.Lock()

# Equal fieldsV1 nodes, one dict for all: documents of objects made alike differ in a few
# nodes (a pod's owner uid, a label) and share the rest, across objects and versions.
# A node's key is its children's texts and keys, so equal subtrees have equal keys.
NodeKey = tuple[Any, ...]
_NODES_KEPT = 50000
_nodes: dict[NodeKey, tuple[dict[str, Any], NodeKey]] = {}


def encode_fields(paths: Iterable[Path]) -> dict[str, Any]:
    """A field set as fieldsV1: nested keys in order, "." where a node is itself owned.

    The result is shared with every other entry owning the same fields (the pods of one
    template, say) and must not be changed."""
    key = paths if isinstance(paths, frozenset) else frozenset(paths)
    with _encodings_lock:
        found = _encodings.get(key)
        if found is not None:
            _encodings.move_to_end(key)
    if found is None:
        key = _shared(key)
        found = (_encode(key), key)
        with _encodings_lock:
            _encodings[key] = found
            if len(_encodings) > _ENCODINGS_KEPT:
                _encodings.popitem(last=False)
    _remember(*found)  # the next write to its object reads it back
    return found[0]


def _encode(paths: FieldSet) -> dict[str, Any]:
    root: dict[Element, Any] = {}
    members: set[Path] = set()
    for path in paths:
        members.add(path)
        node = root
        for element in path:
            node = node.setdefault(element, {})
    return _emit(root, (), members)[0]


def _emit(
    node: dict[Element, Any], prefix: Path, members: set[Path]
) -> tuple[dict[str, Any], NodeKey]:
    """The fieldsV1 node of a trie node, shared with equal ones, and its key."""
    if not node:
        return _LEAF, ()
    out: dict[str, Any] = {}
    key: list[Any] = []
    if prefix and prefix in members:
        out["."] = _LEAF
        key += (".", ())
    for element in sorted(node, key=_sort_key):
        text = sys.intern(element_text(element))
        out[text], child = _emit(node[element], (*prefix, element), members)
        key += (text, child)
    return _shared_node(out, tuple(key))


def _shared_node(node: dict[str, Any], key: NodeKey) -> tuple[dict[str, Any], NodeKey]:
    """The one node (and key) kept for nodes equal to `node` (bounded: when full, the
    table starts again; documents keep their nodes, only later sharing is lost)."""
    found = _nodes.get(key)
    if found is not None:
        return found
    if len(_nodes) >= _NODES_KEPT:
        _nodes.clear()
    return _nodes.setdefault(key, (node, key))


# Decoded elements and paths, shared by every field set that names them (most objects
# name the same few hundred): the sets the field manager keeps then cost little memory.
_INTERNED_KEPT = 30000
_elements: dict[str, Element | None] = {}
_paths: dict[Path, Path] = {}


def _shared(fields: FieldSet) -> FieldSet:
    """The same set, made of the interned paths (what caches keep)."""
    if len(_paths) > _INTERNED_KEPT:
        _paths.clear()
    return frozenset(_paths.setdefault(p, p) for p in fields)


def decode_fields(fields: Any) -> FieldSet:
    """The field set a fieldsV1 document describes (unknown element kinds are skipped)."""
    out: set[Path] = set()
    if isinstance(fields, dict):
        if len(_elements) > _INTERNED_KEPT or len(_paths) > _INTERNED_KEPT:
            _elements.clear()
            _paths.clear()
        _collect(fields, (), out)
    return frozenset(out)


def _collect(node: dict[str, Any], prefix: Path, out: set[Path]) -> None:
    children = [k for k in node if k != "."]
    if prefix and (not children or "." in node):
        out.add(prefix)
    for text in children:
        element = _elements.get(text, _MISSING)
        if element is _MISSING:
            element = _elements[text] = _parse_element(text)
        if element is not None and isinstance(node[text], dict):
            path = (*prefix, element)
            _collect(node[text], _paths.setdefault(path, path), out)


def _parse_element(text: str) -> Element | None:
    kind, _, payload = text.partition(":")
    try:
        if kind == "f":
            return ("f", payload)
        if kind == "k":
            keys = json.loads(payload)
            return ("k", tuple(sorted((k, _canon(v)) for k, v in keys.items())))
        if kind == "v":
            return ("v", _canon(json.loads(payload)))
        if kind == "i":
            return ("i", int(payload))
    except (ValueError, AttributeError):
        return None
    return None


# -- the schema, as structured-merge-diff sees it ---------------------------------------


class Types:
    """Schema questions the walks ask: map or struct, atomic, list kind, item identity."""

    def __init__(self, index: SchemaIndex) -> None:
        self.index = index
        self._roots: dict[tuple[str, str, str], Schema | None] = {}

    def root(self, group: str, version: str, kind: str) -> Schema | None:
        """The schema of a kind, as a reference (so its definition name is known)."""
        key = (group, version, kind)
        if key not in self._roots:
            name = self.index.name_for(group, version, kind)
            self._roots[key] = {"$ref": f"#/$defs/{name}"} if name else None
        return self._roots[key]

    def resolve(self, schema: Schema | None) -> Schema | None:
        """Follow references to the definition."""
        return self.index.resolve(schema) if schema is not None else None

    def extension(self, schema: Schema | None, name: str) -> Any:
        """An x-kubernetes-* marker on the field or on the definition it refers to."""
        if schema is None:
            return None
        if name in schema:
            return schema[name]
        return (self.resolve(schema) or {}).get(name)

    def child(self, schema: Schema | None, key: str) -> Schema | None:
        """The schema of a map's key (a declared field, or the map's values)."""
        return self.index.property_schema(schema, key) if schema is not None else None

    def declared(self, schema: Schema | None, key: str) -> bool:
        """Whether `key` is a named field of a struct (FindField), not a map key."""
        resolved = self.resolve(schema)
        return bool(resolved and key in (resolved.get("properties") or {}))

    def item(self, schema: Schema | None) -> Schema | None:
        """The schema of a list's items."""
        return self.index.item_schema(schema) if schema is not None else None

    def atomic_map(self, schema: Schema | None) -> bool:
        """A map replaced and owned as a whole."""
        return self.extension(schema, "x-kubernetes-map-type") == "atomic"

    def identity(self, schema: Schema | None) -> Callable[[Any], Element | None] | None:
        """How an item of a granular list is named in paths; None for atomic lists."""
        list_type = self.extension(schema, "x-kubernetes-list-type")
        if list_type == "set":
            return lambda item: None if isinstance(item, dict) else ("v", _canon(item))
        if list_type == "map":
            keys = self.extension(schema, "x-kubernetes-list-map-keys") or []
            return lambda item: _keyed(item, keys)
        return None  # atomic (the default for lists), and every list of a deduced schema

    def always(self, schema: Schema | None) -> dict[str, Any]:
        """Fields a Go object of this definition always carries, with their zero values."""
        if schema is None or "$ref" not in schema:
            return {}
        return gotypes.ALWAYS.get(ref_name(schema["$ref"]), {})


def _keyed(item: Any, keys: list[str]) -> Element | None:
    if not isinstance(item, dict):
        return None
    found = []
    for key in keys:
        value = item.get(key, _KEY_DEFAULTS.get(key, _MISSING))
        if value is not _MISSING:
            found.append((key, _canon(value)))
    return ("k", tuple(sorted(found))) if found else None


# -- walks: the field set of a value, differences, removal --------------------------------


def field_set(value: Any, schema: Schema | None, types: Types) -> FieldSet:
    """ToFieldSet: every leaf, list item and map entry of `value` (an applied config)."""
    out: set[Path] = set()
    _fields(value, schema, types, (), out)
    return frozenset(out)


def _fields(value: Any, schema: Schema | None, types: Types, path: Path, out: set[Path]) -> None:
    if isinstance(value, dict):
        if types.atomic_map(schema):
            out.add(path)
            return
        for key, item in value.items():
            sub = (*path, ("f", key))
            _fields(item, types.child(schema, key), types, sub, out)
            if item is None or item == {} or not types.declared(schema, key):
                out.add(sub)
    elif isinstance(value, list):
        identity = types.identity(schema)
        if identity is None:
            out.add(path)
            return
        item_schema = types.item(schema)
        seen: set[Element] = set()
        repeated: set[Element] = set()
        for item in value:
            element = identity(item)
            if element is not None and element in seen:
                repeated.add(element)
            if element is not None:
                seen.add(element)
        for element in repeated:
            out.add((*path, element))  # duplicates are owned as one, not item by item
        for item in value:
            element = identity(item)
            if element is None or element in repeated:
                continue
            sub = (*path, element)
            _fields(item, item_schema, types, sub, out)
            out.add(sub)
    else:
        out.add(path)


@dataclass
class Comparison:
    """What changed between two versions of an object."""

    added: set[Path] = field(default_factory=set)
    modified: set[Path] = field(default_factory=set)
    removed: set[Path] = field(default_factory=set)

    def changed(self) -> set[Path]:
        """Added or modified."""
        return self.added | self.modified


def compare(lhs: Any, rhs: Any, schema: Schema | None, types: Types) -> Comparison:
    """typed.Compare of two whole objects, seen as Go objects."""
    result = Comparison()
    _compare(lhs, rhs, schema, types, (), result)
    return result


def _compare(
    lhs: Any, rhs: Any, schema: Schema | None, types: Types, path: Path, out: Comparison
) -> None:
    if lhs is not _MISSING and rhs is not _MISSING and type(lhs) is type(rhs) and lhs == rhs:
        return  # nothing underneath changed either
    value = rhs if rhs is not _MISSING else lhs
    if isinstance(value, dict) or (value is None and isinstance(lhs, dict)):
        if _compare_map(lhs, rhs, schema, types, path, out):
            return
    elif isinstance(value, list) or (value is None and isinstance(lhs, list)):
        if _compare_list(lhs, rhs, schema, types, path, out):
            return
    else:
        _leaf(lhs, rhs, path, out)
        return
    if path:
        if lhs is _MISSING:
            out.added.add(path)
        elif rhs is _MISSING:
            out.removed.add(path)


def _leaf(lhs: Any, rhs: Any, path: Path, out: Comparison) -> None:
    if lhs is _MISSING:
        out.added.add(path)
    elif rhs is _MISSING:
        out.removed.add(path)
    elif type(lhs) is not type(rhs) or lhs != rhs:
        out.modified.add(path)


def _as_map(value: Any, schema: Schema | None, types: Types) -> dict[str, Any] | None:
    """A side of a map comparison with the fields its Go struct always has."""
    if not isinstance(value, dict):
        return None
    always = types.always(schema)
    if not always:
        return value
    filled = dict(value)
    for key, zero in always.items():
        if key not in filled:
            filled[key] = {} if zero is gotypes.STRUCT else zero
    return filled


def _compare_map(
    lhs: Any, rhs: Any, schema: Schema | None, types: Types, path: Path, out: Comparison
) -> bool:
    """Compare two maps; True if they were treated as one leaf."""
    left, right = _as_map(lhs, schema, types), _as_map(rhs, schema, types)
    if types.atomic_map(schema) or (not left and not right):
        _leaf(lhs, rhs, path, out)
        return True
    left, right = left or {}, right or {}
    for key in {**left, **right}:
        _compare(
            left.get(key, _MISSING),
            right.get(key, _MISSING),
            types.child(schema, key),
            types,
            (*path, ("f", key)),
            out,
        )
    return False


def _compare_list(
    lhs: Any, rhs: Any, schema: Schema | None, types: Types, path: Path, out: Comparison
) -> bool:
    """Compare two lists; True if they were treated as one leaf."""
    identity = types.identity(schema)
    left = lhs if isinstance(lhs, list) else []
    right = rhs if isinstance(rhs, list) else []
    if identity is None or (not left and not right):
        _leaf(lhs, rhs, path, out)
        return True
    item_schema = types.item(schema)
    lefts, rights = _group(left, identity), _group(right, identity)
    for element in {**lefts, **rights}:
        old, new = lefts.get(element, []), rights.get(element, [])
        sub = (*path, element)
        if len(old) <= 1 and len(new) <= 1:
            _compare(
                old[0] if old else _MISSING,
                new[0] if new else _MISSING,
                item_schema,
                types,
                sub,
                out,
            )
        elif len(old) >= 2 and len(new) >= 2:
            if old != new:
                out.modified.add(sub)
        elif len(old) >= 2:
            out.removed.add(sub)
        else:
            out.added.add(sub)
    return False


def _group(items: list[Any], identity: Callable[[Any], Element | None]) -> dict[Element, list[Any]]:
    grouped: dict[Element, list[Any]] = {}
    for item in items:
        element = identity(item)
        if element is not None:
            grouped.setdefault(element, []).append(item)
    return grouped


def remove_items(
    value: Any, paths: FieldSet | set[Path], schema: Schema | None, types: Types
) -> Any:
    """RemoveItems: `value` without the fields, entries and items named by `paths`."""
    if not paths:
        return value
    tree = _tree(paths)
    result = _remove(value, tree, schema, types)
    return result if result is not _MISSING else {}


def _tree(paths: Iterable[Path]) -> dict[Element, Any]:
    """Paths as a trie; a node owned itself carries the key None."""
    root: dict[Any, Any] = {}
    for path in paths:
        node = root
        for element in path:
            node = node.setdefault(element, {})
        node[None] = True
    return root


def _remove(value: Any, tree: dict[Any, Any], schema: Schema | None, types: Types) -> Any:
    if isinstance(value, dict):
        if not value or types.atomic_map(schema):
            return value
        out = {}
        for key, item in value.items():
            node = tree.get(("f", key))
            if node is None:
                out[key] = item
            elif None in node:
                continue
            else:
                rest = _remove(item, node, types.child(schema, key), types)
                if rest is not _MISSING:
                    out[key] = rest
        return out if out else _MISSING
    if isinstance(value, list):
        identity = types.identity(schema)
        if not value or identity is None:
            return value
        item_schema = types.item(schema)
        kept = []
        for item in value:
            node = tree.get(identity(item))
            if node is None:
                kept.append(item)
            elif None not in node:
                rest = _remove(item, node, item_schema, types)
                kept.append(rest if rest is not _MISSING else {})
        return kept if kept else _MISSING
    return value


def with_named_parents(paths: Iterable[Path], schema: Schema | None, types: Types) -> set[Path]:
    """EnsureNamedFieldsAreMembers: each struct field on the way to a path counts as owned."""
    out = set(paths)
    for path in list(out):
        current = schema
        for at, (kind, payload) in enumerate(path[:-1]):
            if kind == "f":
                if types.declared(current, payload):
                    out.add(path[: at + 1])
                current = types.child(current, payload)
            else:
                current = types.item(current)
    return out


def _under(paths: Iterable[Path], prefix: Path) -> set[Path]:
    return {p for p in paths if p[: len(prefix)] == prefix}


# -- managers -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Manager:
    """A manager's identity: the same manager applying and updating keeps two entries."""

    name: str
    operation: str  # Apply or Update
    api_version: str = ""  # updates only: the version the manager wrote in
    subresource: str = ""

    def describe(self) -> str:
        """printManager: how conflict messages name the manager."""
        text = json.dumps(self.name, ensure_ascii=False)
        if self.subresource:
            text += f" with subresource {json.dumps(self.subresource)}"
        if self.operation == "Update":
            text += f" using {self.api_version}"
        return text


@dataclass
class Entry:
    """What one manager owns, in which version, since when."""

    fields: FieldSet
    api_version: str
    time: str | None
    encoded: dict[str, Any] | None = None  # the stored entry, reused while unchanged


Managed = dict[Manager, Entry]

_DECODED_KEPT = 256  # as _ENCODINGS_KEPT
_decoded_lock = threading.Lock()
# id(fieldsV1) -> (fieldsV1, its field set): stored entries are read back on every write
# to their object; holding the document keeps its id from being reused.
_decoded: OrderedDict[int, tuple[Any, FieldSet]] = OrderedDict()


def decode_managed(entries: Any) -> Managed | None:
    """Stored managedFields as managers and field sets; None if malformed."""
    if not isinstance(entries, list):
        return None
    out: Managed = {}
    for entry in entries:
        if not isinstance(entry, dict):
            return None
        operation, api_version = entry.get("operation"), entry.get("apiVersion")
        if operation not in ("Apply", "Update") or not api_version:
            return None
        if entry.get("fieldsType") != "FieldsV1":
            return None
        manager = Manager(
            str(entry.get("manager") or ""),
            operation,
            api_version if operation == "Update" else "",
            str(entry.get("subresource") or ""),
        )
        out[manager] = Entry(
            _fields_of(entry.get("fieldsV1")), api_version, entry.get("time"), entry
        )
    return out


def _fields_of(fields: Any) -> FieldSet:
    """decode_fields, remembered for stored entries (which are never mutated)."""
    with _decoded_lock:
        cached = _decoded.get(id(fields))
        if cached is not None and cached[0] is fields:
            _decoded.move_to_end(id(fields))
            return cached[1]
    decoded = decode_fields(fields)  # made of interned paths
    _remember(fields, decoded)  # the cache's reference keeps the id unique
    return decoded


def _retimed(encoded: dict[str, Any] | None, now: str) -> dict[str, Any] | None:
    """A stored entry with a new time and the very same fieldsV1 (still decoded)."""
    if encoded is None:
        return None
    out: dict[str, Any] = {}
    for key, value in encoded.items():
        if key == "fieldsType" and "time" not in encoded:
            out["time"] = now
        out[key] = now if key == "time" else value
    return out


def _remember(fields_v1: Any, fields: FieldSet) -> None:
    """Cache a fieldsV1 document as decoded (`fields`: made of interned paths)."""
    with _decoded_lock:
        found = _decoded.get(id(fields_v1))
        if found is None or found[0] is not fields_v1:
            _decoded[id(fields_v1)] = (fields_v1, fields)
        _decoded.move_to_end(id(fields_v1))
        if len(_decoded) > _DECODED_KEPT:
            _decoded.popitem(last=False)


def encode_managed(managed: Managed) -> list[dict[str, Any]]:
    """managedFields entries, sorted as the server sorts them."""
    entries = []
    for manager, entry in managed.items():
        if entry.encoded is None:
            encoded: dict[str, Any] = {
                "manager": sys.intern(manager.name),
                "operation": manager.operation,
                "apiVersion": entry.api_version,
            }
            if entry.time:
                encoded["time"] = entry.time
            encoded["fieldsType"] = "FieldsV1"
            encoded["fieldsV1"] = encode_fields(entry.fields)
            if manager.subresource:
                encoded["subresource"] = manager.subresource
            entry.encoded = _shared_entry(encoded)
        entries.append((manager, entry))
    entries.sort(
        key=lambda pair: (
            pair[0].operation,
            pair[1].time or "",
            pair[0].name,
            pair[1].api_version,
            pair[0].subresource,
        )
    )
    return [entry.encoded for _, entry in entries if entry.encoded is not None]


_ENTRIES_KEPT = 256  # as _ENCODINGS_KEPT
_entries: OrderedDict[tuple[Any, ...], dict[str, Any]] = OrderedDict()


def _shared_entry(encoded: dict[str, Any]) -> dict[str, Any]:
    """One dict for equal entries (objects made alike in the same second: events, pods
    of one template): stored entries are never changed, so they may be shared."""
    key = tuple((k, id(v) if k == "fieldsV1" else v) for k, v in encoded.items())
    with _encodings_lock:
        found = _entries.get(key)
        if found is not None and found["fieldsV1"] is encoded["fieldsV1"]:
            _entries.move_to_end(key)
            return found
        _entries[key] = encoded
        if len(_entries) > _ENTRIES_KEPT:
            _entries.popitem(last=False)
    return encoded


def copy_object(obj: dict[str, Any]) -> dict[str, Any]:
    """A deep copy that shares metadata.managedFields: stored entries are never changed
    in place, and a copy of them per version would undo their sharing between objects."""
    meta = obj.get("metadata")
    if not isinstance(meta, dict) or not isinstance(meta.get("managedFields"), list):
        return copy.deepcopy(obj)
    rest = {k: v for k, v in meta.items() if k != "managedFields"}
    out = copy.deepcopy({**obj, "metadata": rest})
    out["metadata"]["managedFields"] = meta["managedFields"]
    return out


def _is_reset(entries: Any) -> bool:
    """`managedFields: []` or `[{}]` in a request asks for the ownership to be reset."""
    return entries == [] or entries == [{}]


def conflict_error(conflicts: list[tuple[Manager, Path]]) -> ApiError:
    """The 409 an apply that would change other managers' fields answers."""
    conflicts = sorted(conflicts, key=lambda c: (c[0].describe(), _path_order(c[1])))
    causes = [
        {
            "reason": _CONFLICT_CAUSE,
            "message": f"conflict with {m.describe()}",
            "field": path_text(p),
        }
        for m, p in conflicts
    ]
    if len(conflicts) == 1:
        manager, path = conflicts[0]
        message = (
            f"Apply failed with 1 conflict: conflict with {manager.describe()}: {path_text(path)}"
        )
    else:
        lines = []
        current = None
        for manager, path in conflicts:
            if manager.describe() != current:
                current = manager.describe()
                lines.append(f"conflicts with {current}:")
            lines.append(f"- {path_text(path)}")
        message = f"Apply failed with {len(conflicts)} conflicts: " + "\n".join(lines)
    return ApiError(409, message, "Conflict", details={"causes": causes})


def _path_order(path: Path) -> tuple[Any, ...]:
    """Set.Iterate's order: a node's own members before its children, each sorted."""
    last = len(path) - 1
    return tuple((0 if at == last else 1, _sort_key(e)) for at, e in enumerate(path))


class FieldManager:
    """Keeps metadata.managedFields on writes, as the API server's field manager does."""

    def __init__(self, index: SchemaIndex) -> None:
        self.types = Types(index)

    # -- updates ---------------------------------------------------------------------------

    def update(
        self,
        schema: Schema | None,
        live: dict[str, Any] | None,
        new: dict[str, Any],
        manager: str,
        api_version: str,
        *,
        sent: Any = _MISSING,
        subresource: str = "",
        status_subresource: bool = False,
        now: str,
    ) -> list[dict[str, Any]] | None:
        """managedFields after an update (live None: a create); `sent`: the managedFields
        the request carried, if not those of `new`. None: leave them unset (an object that
        had none before the update stays untracked)."""
        live_entries = (live or {}).get("metadata", {}).get("managedFields")
        if sent is _MISSING:
            sent = new.get("metadata", {}).get("managedFields")
        if sent is not None and sent is not live_entries and sent == live_entries:
            sent = live_entries  # sent back unchanged: the stored entries, already decoded
        if subresource:
            managed = decode_managed(live_entries) or {}
        elif _is_reset(sent):
            managed = {}
        else:
            managed = decode_managed(sent) or decode_managed(live_entries) or {}
        if not managed and live is not None and not _is_reset(sent):
            return None  # skipNonAppliedManager: an untracked object stays untracked
        before = _without_managed(live) if live is not None else {}
        after = _without_managed(new)
        changes = compare(before, after, schema, self.types)
        owner = Manager(manager or "unknown", "Update", api_version, subresource)
        changed = _reset(changes.changed(), subresource, status_subresource)
        lost = changed | _reset(changes.removed, subresource, status_subresource)
        prior = managed[owner].fields if owner in managed else frozenset()
        prior_encoded = managed[owner].encoded if owner in managed else None
        _take(managed, lost)
        mine = _strip(changed)
        if mine:
            previous = managed.get(owner)
            if previous is not None and mine <= prior and not (prior & (lost - mine)):
                # The manager owns what it owned: only the time moves.
                previous.fields = prior
                previous.time = now
                previous.encoded = _retimed(prior_encoded, now)
            else:
                fields = mine | (previous.fields if previous else frozenset())
                managed[owner] = Entry(frozenset(fields), api_version, now)
        _cap(managed)
        return encode_managed(managed)

    def scale(
        self, live: dict[str, Any], new: dict[str, Any], manager: str, api_version: str
    ) -> list[dict[str, Any]] | None:
        """managedFields after a write through /scale: only spec.replicas changes hands,
        and the scaler's entry carries no time (the scale handler's conversion)."""
        managed = decode_managed(live.get("metadata", {}).get("managedFields")) or {}
        replicas: Path = (("f", "spec"), ("f", "replicas"))
        old = (live.get("spec") or {}).get("replicas", _MISSING)
        if not managed or old == (new.get("spec") or {}).get("replicas", _MISSING):
            return live.get("metadata", {}).get("managedFields")
        owner = Manager(manager or "unknown", "Update", api_version, "scale")
        _take(managed, {replicas})
        previous = managed.get(owner)
        fields = frozenset({replicas} | (previous.fields if previous else frozenset()))
        managed[owner] = Entry(fields, api_version, previous.time if previous else None)
        return encode_managed(managed)

    # -- applies ---------------------------------------------------------------------------

    def apply(
        self,
        schema: Schema | None,
        live: dict[str, Any] | None,
        merged: dict[str, Any],
        config: dict[str, Any],
        manager: str,
        api_version: str,
        *,
        force: bool,
        status_subresource: bool = False,
        now: str,
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The object after `config` (already merged into `merged`) is applied by
        `manager`, pruned of what it stopped applying, and its managedFields; raises the
        409 conflict unless forced."""
        live_obj = _without_managed(live) if live is not None else {}
        managed = decode_managed((live or {}).get("metadata", {}).get("managedFields"))
        if managed is None:
            if live is not None and live.get("metadata", {}).get("managedFields"):
                raise ApiError(500, "failed to decode managed fields", "InternalError")
            managed = {}
        if not managed and live is not None:  # skipNonAppliedManager: the object as it was
            before = compare({}, live_obj, schema, self.types)
            fields = _strip(_reset(before.changed(), "", status_subresource))
            if fields:
                old_owner = Manager("before-first-apply", "Update", api_version)
                managed[old_owner] = Entry(fields, api_version, now)
        owner = Manager(manager, "Apply", "", "")
        last = managed.get(owner)
        applied = _strip(_reset(field_set(config, schema, self.types), "", status_subresource))
        managed[owner] = Entry(applied, api_version, last.time if last else None)
        result = _without_managed(merged)
        if last is not None and last.fields:
            result = self._prune(result, managed, last.fields, schema)
        changes = compare(live_obj, result, schema, self.types)
        changed = _reset(changes.changed(), "", status_subresource)
        conflicts: list[tuple[Manager, Path]] = []
        for other, entry in managed.items():
            if other != owner:
                conflicts.extend((other, path) for path in entry.fields & changed)
        if conflicts and not force:
            raise conflict_error(conflicts)
        removed = _reset(changes.removed, "", status_subresource)
        _take(managed, changed | removed, keep=owner)
        if owner in managed:
            if result != live_obj:
                managed[owner].time = now
            managed[owner].encoded = None
        _drop_empty(managed)  # an applier left owning nothing has no entry (stripMetaManager)
        return result, encode_managed(managed)

    def _prune(
        self, merged: dict[str, Any], managed: Managed, last: FieldSet, schema: Schema | None
    ) -> dict[str, Any]:
        """What the manager applied last time and no longer does goes, unless someone
        (the manager's new config included) still owns it."""
        types = self.types
        last_all = with_named_parents(last, schema, types)
        pruned = remove_items(merged, last_all, schema, types)
        owned: set[Path] = set()
        for entry in managed.values():
            owned |= entry.fields
        owned_all = with_named_parents(owned, schema, types)
        merged_all = with_named_parents(field_set(merged, schema, types), schema, types)
        pruned_all = with_named_parents(field_set(pruned, schema, types), schema, types)
        pruned = remove_items(merged, merged_all - (pruned_all | owned_all), schema, types)
        pruned_all = with_named_parents(field_set(pruned, schema, types), schema, types)
        return remove_items(merged, (merged_all - pruned_all) & last_all, schema, types)


def _reset(paths: Iterable[Path], subresource: str, status_subresource: bool) -> set[Path]:
    """The registry's reset fields: the main resource does not own status (when status is
    a subresource), /status owns nothing but status."""
    status: Path = (("f", "status"),)
    if subresource == "status":
        return _under(paths, status)
    if status_subresource:
        return set(paths) - _under(paths, status)
    return set(paths)


def _strip(paths: Iterable[Path]) -> FieldSet:
    """stripMetaManager: name, uid, resourceVersion and the like belong to nobody."""
    return frozenset(set(paths) - _STRIPPED)


def _take(managed: Managed, lost: set[Path], keep: Manager | None = None) -> None:
    """Managers other than `keep` lose `lost` (what changed hands, and what went)."""
    for manager, entry in managed.items():
        if manager != keep and entry.fields & lost:
            entry.fields = frozenset(entry.fields - lost)
            entry.encoded = None
    _drop_empty(managed)


def _drop_empty(managed: Managed) -> None:
    for manager in [m for m, e in managed.items() if not e.fields]:
        del managed[manager]


def _cap(managed: Managed) -> None:
    """At most ten update entries: the oldest merge into "ancient-changes"."""
    updaters = [m for m in managed if m.operation == "Update"]
    if len(updaters) <= _MAX_UPDATERS:
        return
    updaters.sort(key=lambda m: (managed[m].time or "", m.name))
    first_by_version: dict[str, Manager] = {}
    count = len(updaters)
    for manager in updaters:
        if count <= _MAX_UPDATERS:
            break
        entry = managed[manager]
        bucket = Manager("ancient-changes", "Update", entry.api_version)
        first = first_by_version.get(entry.api_version)
        if first is None:
            first_by_version[entry.api_version] = manager
            continue
        if bucket not in managed:
            managed[bucket] = managed.pop(first)
        merged = managed[bucket].fields | entry.fields
        managed[bucket] = Entry(frozenset(merged), entry.api_version, entry.time)
        del managed[manager]
        count -= 1


def _without_managed(obj: dict[str, Any]) -> dict[str, Any]:
    meta = obj.get("metadata")
    if isinstance(meta, dict) and "managedFields" in meta:
        return {**obj, "metadata": {k: v for k, v in meta.items() if k != "managedFields"}}
    return obj


def iter_paths(fields: FieldSet) -> Iterator[str]:
    """Paths as text, for tests and logs."""
    for path in sorted(fields, key=_path_order):
        yield path_text(path)
