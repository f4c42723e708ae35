"""Field validation of written objects, answering exactly as kube-apiserver 1.35 does.

A write goes through the real server's three gates, in its order:
1. decoding into the typed object: JSON type errors and (per `fieldValidation`) unknown
   fields -> 400 BadRequest for POST/PUT, 422 on the `patch` field for PATCH;
2. server-side apply's typed conversion (structured-merge-diff) -> 500, reason-less;
3. API validation (names, labels, selectors, containers, ports, ...) -> 422 with causes.
Walkers are compiled once per schema definition, so a write costs one pass over the object.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any, TypeGuard

from storedesk.sim import cron, customresources, errors, quantity, schema
from storedesk.sim.gofmt import go_v
from storedesk.sim.resources import ResourceType

FIELD_VALIDATIONS = ("Strict", "Warn", "Ignore")
PATCH_TYPES = ("strategic", "merge")
_ANNOTATIONS_LIMIT = 256 * 1024

# --- compiled schema --------------------------------------------------------------------

STRUCT, MAP, LIST, STR, BYTES, INT, NUM, BOOL, INTSTR, QTY, TIME, ANY = range(12)
_SPECIAL = {
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": INTSTR,
    "io.k8s.apimachinery.pkg.api.resource.Quantity": QTY,
    "io.k8s.apimachinery.pkg.apis.meta.v1.Time": TIME,
    "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime": TIME,
}


class _Node:
    """One schema type, compiled for walking: kind, Go type name, fields or element."""

    __slots__ = (
        "elem",
        "fields",
        "go",
        "hi",
        "keys",
        "kind",
        "lo",
        "preserve",
        "required",
        "set_list",
        "struct",
    )

    def __init__(self, kind: int, go: str) -> None:
        self.kind = kind
        self.go = go
        self.fields: dict[str, _Node] = {}
        self.elem: _Node | None = None
        self.required: tuple[str, ...] = ()
        self.struct = ""  # Go struct name, as decode errors name the innermost struct
        self.keys: tuple[str, ...] = ()  # associative list keys (server-side apply paths)
        self.set_list = False
        self.preserve = False
        self.lo, self.hi = -(2**63), 2**63 - 1

    def element(self) -> _Node:
        """The element type of a MAP or LIST node, set when the node is compiled."""
        assert self.elem is not None, self.go
        return self.elem


class _Compiler:
    """Builds `_Node`s from kubernetes-validate's definitions, each definition once."""

    def __init__(self, index: schema.SchemaIndex) -> None:
        self.index = index
        self.defs: dict[str, _Node] = {}

    def definition(self, name: str) -> _Node:
        node = self.defs.get(name)
        if node is None:
            special = _SPECIAL.get(name)
            # io.k8s.api.core.v1.Container -> v1.Container, as Go prints the type
            node = _Node(ANY if special is None else special, ".".join(name.rsplit(".", 2)[-2:]))
            self.defs[name] = node  # before filling: definitions can be recursive
            if special is None:
                self._fill(node, self.index.definitions[name], name.rsplit(".", 1)[-1])
        return node

    def compile(self, sch: dict[str, Any]) -> _Node:
        if "$ref" in sch:
            return self.definition(schema.ref_name(sch["$ref"]))
        node = _Node(ANY, "interface {}")
        self._fill(node, sch, "")
        return node

    def _fill(self, node: _Node, sch: dict[str, Any], struct: str) -> None:
        types = schema.types_of(sch)
        node.preserve = bool(sch.get("x-kubernetes-preserve-unknown-fields"))
        props = sch.get("properties")
        extra = sch.get("additionalProperties")
        if props or extra is False:
            node.kind, node.struct = STRUCT, struct or "struct"
            node.required = tuple(sch.get("required", ()))
            node.fields = {k: self.compile(v) for k, v in (props or {}).items()}
        elif isinstance(extra, dict):
            node.kind, node.elem = MAP, self.compile(extra)
            # core/v1 ResourceList is the one named map type clients hit in errors
            node.go = "v1.ResourceList" if node.elem.kind == QTY else "map[string]" + node.elem.go
        elif "array" in types:
            node.kind, node.elem = LIST, self.compile(sch.get("items", {}))
            node.go = "[]" + node.elem.go
            list_type = sch.get("x-kubernetes-list-type")
            if list_type == "map":
                node.keys = tuple(sorted(sch.get("x-kubernetes-list-map-keys", ())))
            elif list_type == "set":
                node.set_list = True
            elif "merge" in sch.get("x-kubernetes-patch-strategy", "") and (
                key := sch.get("x-kubernetes-patch-merge-key")
            ):
                node.keys = (key,)
        elif "string" in types:
            fmt = sch.get("format")
            node.kind, node.go = (BYTES, "[]uint8") if fmt == "byte" else (STR, "string")
            if fmt == "date-time":
                node.kind = TIME
        elif "integer" in types:
            bits = {"int32": 32}.get(sch.get("format", ""), 64)
            node.kind, node.go = INT, f"int{bits}"
            node.lo, node.hi = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
        elif "number" in types:
            node.kind, node.go = NUM, "float64"
        elif "boolean" in types:
            node.kind, node.go = BOOL, "bool"


@cache
def _compiler() -> _Compiler:
    return _Compiler(schema.load())


@cache
def _root(group: str, version: str, kind: str) -> _Node | None:
    name = schema.load().name_for(group, version, kind)
    return _compiler().definition(name) if name else None


# --- Go-compatible rendering --------------------------------------------------------------

_GO_ESCAPES = {
    "\a": r"\a",
    "\b": r"\b",
    "\f": r"\f",
    "\n": r"\n",
    "\r": r"\r",
    "\t": r"\t",
    "\v": r"\v",
    "\\": r"\\",
    '"': r"\"",
}


def go_quote(text: str) -> str:
    """Go's %q (strconv.Quote) of a string."""
    out = ['"']
    for ch in text:
        if ch in _GO_ESCAPES:
            out.append(_GO_ESCAPES[ch])
        elif ch.isprintable() or ch == " ":
            out.append(ch)
        elif ord(ch) < 0x80:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    out.append('"')
    return "".join(out)


def go_json(value: Any) -> str:
    """Go's json.Marshal of a map/slice value: sorted keys, compact, HTML-safe escapes."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _go_sharp_v(value: Any) -> str:
    """Go's %#v of an unstructured value."""
    if isinstance(value, dict):
        inner = ", ".join(f"{go_quote(k)}:{_go_sharp_v(v)}" for k, v in sorted(value.items()))
        return "map[string]interface {}{" + inner + "}"
    if isinstance(value, list):
        return "[]interface {}{" + ", ".join(_go_sharp_v(v) for v in value) + "}"
    if isinstance(value, str):
        return go_quote(value)
    if value is None:
        return "interface {}(nil)"
    return go_v(value)


def _bad_value(value: Any) -> str:
    """How a field.Error renders its bad value (1.35: JSON for non-scalar values)."""
    if isinstance(value, str):
        return go_quote(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return go_v(value)
    return go_json(value)


def invalid(value: Any, detail: str) -> str:
    """`Invalid value: <v>: <detail>` as field.Invalid renders it."""
    return f"Invalid value: {_bad_value(value)}: {detail}"


def required(detail: str = "") -> str:
    """`Required value[: detail]`."""
    return f"Required value: {detail}" if detail else "Required value"


def not_supported(value: Any, valid: list[str]) -> str:
    """`Unsupported value: <v>: supported values: "a", "b"`."""
    return f"Unsupported value: {_bad_value(value)}: supported values: " + ", ".join(
        go_quote(v) for v in valid
    )


# --- stage 1: decoding (POST/PUT bodies, patched objects) ------------------------------------


class _Abort(Exception):
    """A decode error that stops decoding at once (raised by a type's UnmarshalJSON)."""


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _number_literal(value: int | float) -> str:
    return repr(value) if isinstance(value, float) else str(value)


def base64_error(text: str) -> str | None:
    """Go's base64.StdEncoding error for `text` (`illegal base64 data at input byte N`)."""
    data = text.encode()
    si, n = 0, len(data)
    alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    while si < n:
        j = 0
        while j < 4:
            if si == n:
                if j == 0:
                    return None
                return f"illegal base64 data at input byte {si - j}"
            ch = data[si]
            si += 1
            if ch in alphabet:
                j += 1
                continue
            if ch in b"\r\n":
                continue
            if ch != ord("=") or j < 2:
                return f"illegal base64 data at input byte {si - 1}"
            if j == 2:  # "==" expected
                while si < n and data[si] in b"\r\n":
                    si += 1
                if si == n:
                    return f"illegal base64 data at input byte {n}"
                if data[si] != ord("="):
                    return f"illegal base64 data at input byte {si - 1}"
                si += 1
            while si < n and data[si] in b"\r\n":
                si += 1
            return f"illegal base64 data at input byte {si}" if si < n else None
    return None


def quantity_error(value: Any) -> str | None:
    """resource.Quantity's UnmarshalJSON error for a JSON value, or None when it parses."""
    text = (
        value
        if isinstance(value, str)
        else (repr(value) if isinstance(value, float) else json.dumps(value, separators=(",", ":")))
    )
    try:
        quantity.parse(text.strip())
    except ValueError as exc:
        return str(exc)
    return None


class _Decoder:
    """sigs.k8s.io/json decoding into the typed object: first type error, all unknown fields."""

    def __init__(self, sort_keys: bool = False) -> None:
        self.sort_keys = sort_keys
        self.unknown: list[str] = []
        self.error: str | None = None

    def decode(self, node: _Node, obj: dict[str, Any]) -> Any:
        return self.walk(node, obj, "", "", "")

    def type_error(self, got: str, node: _Node, struct: str, path: str) -> None:
        if self.error is None:
            self.error = _unmarshal_type(got, node.go, struct, path)

    def walk(self, node: _Node, value: Any, struct: str, path: str, ipath: str) -> Any:
        kind = node.kind
        if value is None or kind == ANY:
            return value
        if kind == STRUCT:
            if not isinstance(value, dict):
                self.type_error(_json_kind(value), node, struct, path)
                return value
            out = {}
            items = sorted(value.items()) if self.sort_keys else value.items()
            for key, item in items:
                child = node.fields.get(key)
                sub = f"{ipath}.{key}" if ipath else key
                if child is None:
                    if node.preserve:
                        out[key] = item
                    else:  # dropped from the stored object (an error in Strict mode)
                        self.unknown.append(f'unknown field "{sub}"')
                elif item is not None:
                    out[key] = self.walk(
                        child, item, node.struct, f"{path}.{key}" if path else key, sub
                    )
            return out
        if kind == MAP:
            if not isinstance(value, dict):
                self.type_error(_json_kind(value), node, struct, path)
                return value
            items = sorted(value.items()) if self.sort_keys else value.items()
            elem = node.element()
            return {k: self.walk(elem, v, struct, path, f"{ipath}.{k}") for k, v in items}
        if kind == LIST:
            if not isinstance(value, list):
                self.type_error(_json_kind(value), node, struct, path)
                return value
            elem = node.element()
            return [self.walk(elem, v, struct, path, f"{ipath}[{i}]") for i, v in enumerate(value)]
        self.scalar(node, value, struct, path)
        return value

    def scalar(self, node: _Node, value: Any, struct: str, path: str) -> None:
        kind = node.kind
        got = _json_kind(value)
        if kind in (STR, BOOL, NUM, BYTES):
            wanted = {STR: "string", BOOL: "bool", NUM: "number", BYTES: "string"}[kind]
            if got != wanted:
                self.type_error(got, node, struct, path)
            elif kind == BYTES and self.error is None:
                self.error = base64_error(value)
        elif kind == INT:
            if got != "number":
                self.type_error(got, node, struct, path)
            elif isinstance(value, float) or not node.lo <= value <= node.hi:
                self.type_error(f"number {_number_literal(value)}", node, struct, path)
        elif kind == INTSTR:
            if got == "string":
                return
            if got == "number" and isinstance(value, int) and -(2**31) <= value < 2**31:
                return
            shown = f"number {_number_literal(value)}" if got == "number" else got
            raise _Abort(_unmarshal_type(shown, "int32", struct, path))
        elif kind == TIME:
            if got != "string":
                raise _Abort(_unmarshal_type(got, "string", struct, path))
        elif kind == QTY and (message := quantity_error(value)):
            raise _Abort(message)


def _unmarshal_type(got: str, go_type: str, struct: str, path: str) -> str:
    into = f"Go struct field {struct}.{path}" if struct or path else "Go value"
    return f"json: cannot unmarshal {got} into {into} of type {go_type}"


# --- stage 1 for strategic-merge patches: the unstructured converter -----------------------

_GO_KIND: dict[type, str] = {
    bool: "bool",
    int: "int64",
    float: "float64",
    str: "string",
    list: "slice",
    dict: "map",
}


class _Converter:
    """runtime.DefaultUnstructuredConverter: first conversion error, sorted unknown fields."""

    def __init__(self) -> None:
        self.unknown: list[str] = []
        self.error: str | None = None  # conversion errors abort at once

    def decode(self, node: _Node, obj: dict[str, Any]) -> Any:
        return self.walk(node, obj, "")

    def walk(self, node: _Node, value: Any, ipath: str) -> Any:
        kind, st = node.kind, _GO_KIND.get(type(value), "")
        if value is None or kind == ANY:
            return value
        if kind in (STRUCT, MAP):
            if not isinstance(value, dict):
                what = "struct from:" if kind == STRUCT else "map from"
                raise _Abort(f"cannot restore {what} {st}")
            out = {}
            for key, item in value.items():
                sub = f"{ipath}.{key}" if ipath else key
                child = node.fields.get(key) if kind == STRUCT else node.elem
                if child is None:
                    if node.preserve:
                        out[key] = item
                    else:  # dropped from the stored object (an error in Strict mode)
                        self.unknown.append(f'unknown field "{sub}"')
                elif item is not None:
                    out[key] = self.walk(child, item, sub)
            return out
        if kind == LIST:
            if not isinstance(value, list):
                raise _Abort(f"cannot restore slice from {st}")
            elem = node.element()
            return [self.walk(elem, v, f"{ipath}[{i}]") for i, v in enumerate(value)]
        self.scalar(node, value, st)
        return value

    @staticmethod
    def scalar(node: _Node, value: Any, st: str) -> None:
        kind = node.kind
        if kind == BYTES:
            if not isinstance(value, str):
                raise _Abort(f"cannot restore slice from {st}")
            if message := base64_error(value):
                raise _Abort(message)
        elif kind == INTSTR:
            if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
                return
            got = f"number {_number_literal(value)}" if st == "float64" else _json_kind(value)
            raise _Abort(_unmarshal_type(got, "int32", "", ""))
        elif kind == QTY:
            if message := quantity_error(value):
                raise _Abort(message)
        elif kind == TIME:
            if not isinstance(value, str):
                raise _Abort(_unmarshal_type(_json_kind(value), "string", "", ""))
        else:
            target = {STR: "string", BOOL: "bool", NUM: "float64", INT: node.go}[kind]
            ok = {STR: ("string",), BOOL: ("bool",), NUM: ("int64", "float64"), INT: ("int64",)}[
                kind
            ]
            if st in ok:
                return
            if kind == INT and st == "float64" and value == int(value):
                return
            if (kind == STR and st == "int64") or (kind == INT and st == "float64"):
                raise _Abort(f"cannot convert {st} to {target}")
            raise _Abort(f"unrecognized type: {target}")


# --- stage 2: server-side apply's typed conversion ------------------------------------------


def _smd_value(value: Any) -> str:
    """structured-merge-diff's rendering of a value.Value with %v (`&{x}`)."""
    return "&{" + go_v(value) + "}"


def _smd_key(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


_SMD_CONTAINER: dict[type, str] = {dict: "map[string]interface {}", list: "[]interface {}"}


class _Typed:
    """structured-merge-diff's validation of an applied configuration against the schema."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def walk(self, node: _Node, value: Any, path: str) -> None:
        kind = node.kind
        if value is None or kind in (ANY, INTSTR, QTY, TIME):
            if kind in (INTSTR, QTY, TIME) and isinstance(value, dict | list):
                self.errors.append(f"{path}: expected any scalar, got {_smd_value(value)}")
            return
        if kind in (STRUCT, MAP):
            if not isinstance(value, dict):
                self.errors.append(f"{path}: expected map, got {_smd_value(value)}")
                return
            for key, item in value.items():
                child = node.fields.get(key) if kind == STRUCT else node.elem
                if child is None:
                    if node.preserve:
                        continue
                    self.errors.append(f"{path}.{key}: field not declared in schema")
                    break  # the walker stops at a struct's first undeclared field
                self.walk(child, item, f"{path}.{key}")
            return
        if kind == LIST:
            if not isinstance(value, list):
                self.errors.append(f"{path}: expected list, got {_smd_value(value)}")
                return
            self.list_items(node, value, path)
            return
        self.scalar(kind, value, path)

    def list_items(self, node: _Node, items: list[Any], path: str) -> None:
        elem = node.element()
        seen: set[str] = set()
        for i, item in enumerate(items):
            element = f"[{i}]"
            if node.keys:
                if not isinstance(item, dict):
                    self.errors.append(
                        f"{path}: element {i}: associative list with keys may "
                        "not have non-map elements"
                    )
                    return
                parts = []
                for key in node.keys:
                    if key not in item and key != "protocol":
                        self.errors.append(
                            f"{path}: element {i}: associative list with keys has an element "
                            f'that omits key field "{key}" (and doesn\'t have default value)'
                        )
                        return
                    parts.append(f"{key}={_smd_key(item.get(key, 'TCP'))}")
                element = "[" + ",".join(parts) + "]"
            elif node.set_list:
                element = f"[={_smd_key(item)}]"
            if node.keys or node.set_list:
                if element in seen:
                    self.errors.append(f"{path}: duplicate entries for key {element}")
                seen.add(element)
            self.walk(elem, item, path + element)

    def scalar(self, kind: int, value: Any, path: str) -> None:
        if kind in (INT, NUM):
            if isinstance(value, bool) or not isinstance(value, int | float):
                got = _SMD_CONTAINER.get(type(value), _GO_KIND.get(type(value), "string"))
                self.errors.append(f"{path}: expected numeric (int or float), got {got}")
        elif kind in (STR, BYTES):
            if not isinstance(value, str):
                self.errors.append(
                    f"{path}: expected string, got "
                    f"&value.valueUnstructured{{Value:{_go_sharp_v(value)}}}"
                )
        elif kind == BOOL and not isinstance(value, bool):
            self.errors.append(f"{path}: expected boolean, got {_smd_value(value)}")


def _gvk_nn(obj: dict[str, Any], rt: ResourceType) -> str:
    meta = _as_dict(obj.get("metadata"))
    return (
        f"{meta.get('namespace', '')}/{meta.get('name', '')}; "
        f"{rt.group}/{rt.version}, Kind={rt.kind}"
    )


# --- stage 3: API validation (422) -----------------------------------------------------------

_DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_DNS1035_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
_QUALIFIED_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")
_CONFIG_KEY = re.compile(r"[-._a-zA-Z0-9]+")
_PORT_NAME_CHARS = re.compile(r"[-a-z0-9]+")


def _regex_error(msg: str, fmt: str, *examples: str) -> str:
    if not examples:
        return f"{msg} (regex used for validation is '{fmt}')"
    shown = " or ".join(f"'{e}', " for e in examples)
    return f"{msg} (e.g. {shown}regex used for validation is '{fmt}')"


def _max_len(n: int) -> str:
    return f"must be no more than {n} characters"


def dns1123_label(value: str) -> list[str]:
    """IsDNS1123Label's messages."""
    errs = [_max_len(63)] if len(value) > 63 else []
    if not _DNS1123_LABEL.fullmatch(value):
        if _DNS1123_SUBDOMAIN.fullmatch(value):
            errs.append("must not contain dots")
        else:
            errs.append(
                _regex_error(
                    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters "
                    "or '-', and must start and end with an alphanumeric character",
                    _DNS1123_LABEL.pattern,
                    "my-name",
                    "123-abc",
                )
            )
    return errs


def dns1123_subdomain(value: str) -> list[str]:
    """IsDNS1123Subdomain's messages."""
    errs = [_max_len(253)] if len(value) > 253 else []
    if not _DNS1123_SUBDOMAIN.fullmatch(value):
        errs.append(
            _regex_error(
                "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
                "'-' or '.', and must start and end with an alphanumeric character",
                _DNS1123_SUBDOMAIN.pattern,
                "example.com",
            )
        )
    return errs


def dns1035_label(value: str) -> list[str]:
    """IsDNS1035Label's messages."""
    errs = [_max_len(63)] if len(value) > 63 else []
    if not _DNS1035_LABEL.fullmatch(value):
        errs.append(
            _regex_error(
                "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start "
                "with an alphabetic character, and end with an alphanumeric character",
                _DNS1035_LABEL.pattern,
                "my-name",
                "abc-123",
            )
        )
    return errs


def path_segment(value: str) -> list[str]:
    """IsValidPathSegmentName's messages (RBAC object names)."""
    if value in (".", ".."):
        return [f"may not be '{value}'"]
    return [f"may not contain '{c}'" for c in "/%" if c in value]


def qualified_name(value: str) -> list[str]:
    """IsQualifiedName's messages (label and annotation keys)."""
    errs: list[str] = []
    parts = value.split("/")
    if len(parts) > 2:
        return [
            "a qualified name "
            + _regex_error(_QN_MSG, _QUALIFIED_NAME.pattern, *_QN_EX)
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ]
    name = parts[-1]
    if len(parts) == 2:
        if not parts[0]:
            errs.append("prefix part must be non-empty")
        else:
            errs.extend("prefix part " + m for m in dns1123_subdomain(parts[0]))
    if not name:
        errs.append("name part must be non-empty")
    elif len(name) > 63:
        errs.append("name part " + _max_len(63))
    if not _QUALIFIED_NAME.fullmatch(name):
        errs.append("name part " + _regex_error(_QN_MSG, _QUALIFIED_NAME.pattern, *_QN_EX))
    return errs


_QN_MSG = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
    "with an alphanumeric character"
)
_QN_EX = ("MyName", "my.name", "123-abc")


def label_value(value: str) -> list[str]:
    """IsValidLabelValue's messages."""
    errs = [_max_len(63)] if len(value) > 63 else []
    if not _LABEL_VALUE.fullmatch(value):
        errs.append(
            _regex_error(
                "a valid label must be an empty string or consist of alphanumeric characters, '-', "
                "'_' or '.', and must start and end with an alphanumeric character",
                _LABEL_VALUE.pattern,
                "MyValue",
                "my_value",
                "12345",
            )
        )
    return errs


def port_name(value: str) -> list[str]:
    """IsValidPortName's messages."""
    errs = [_max_len(15)] if len(value) > 15 else []
    if not _PORT_NAME_CHARS.fullmatch(value):
        errs.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if not re.search("[a-z]", value):
        errs.append("must contain at least one letter (a-z)")
    if "--" in value:
        errs.append("must not contain consecutive hyphens")
    if value and (value[0] == "-" or value[-1] == "-"):
        errs.append("must not begin or end with a hyphen")
    return errs


def config_key(value: str) -> list[str]:
    """IsConfigMapKey's messages (ConfigMap and Secret data keys)."""
    errs = [_max_len(253)] if len(value) > 253 else []
    if not _CONFIG_KEY.fullmatch(value):
        errs.append(
            _regex_error(
                "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
                _CONFIG_KEY.pattern,
                "key.name",
                "KEY_NAME",
                "key-name",
            )
        )
    if value in (".", ".."):
        errs.append(f"must not be '{value}'")
    elif value.startswith(".."):
        errs.append("must not start with '..'")
    return errs


_PORT_RANGE = "must be between 1 and 65535, inclusive"
_NONNEGATIVE = "must be greater than or equal to 0"


def _mask_trailing_dash(name: str) -> str:
    return name[:-2] + "a" if len(name) > 1 and name.endswith("-") else name


def apiservice_name(value: str) -> list[str]:
    """An APIService is named <version>.<group> (core: "v1.")."""
    version, dot, group = value.partition(".")
    if not dot:
        return ['must be of the form "version.group"']
    return [*dns1035_label(version), *(dns1123_subdomain(group) if group else [])]


_NAME_RULES: dict[str, Callable[[str], list[str]]] = {
    "APIService": apiservice_name,
    "Namespace": dns1123_label,
    "StatefulSet": dns1123_label,
    "Service": dns1035_label,
    "Role": path_segment,
    "RoleBinding": path_segment,
    "ClusterRole": path_segment,
    "ClusterRoleBinding": path_segment,
}

Causes = list[tuple[str, str]]


def _is_dict(value: Any) -> TypeGuard[dict[str, Any]]:
    return isinstance(value, dict)


def _as_dict(value: Any) -> dict[str, Any]:
    """`value` when it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def _labels(labels: Any, path: str) -> Iterator[tuple[str, str]]:
    if not _is_dict(labels):
        return
    for key, val in labels.items():
        for msg in qualified_name(key):
            yield path, invalid(key, msg)
        for msg in label_value(val if isinstance(val, str) else ""):
            yield path, invalid(val, msg)


def _annotations(annotations: Any, path: str) -> Iterator[tuple[str, str]]:
    if not _is_dict(annotations):
        return
    for key in annotations:
        for msg in qualified_name(key.lower()):
            yield path, invalid(key, msg)
    size = sum(len(k.encode()) + len(str(v or "").encode()) for k, v in annotations.items())
    if size > _ANNOTATIONS_LIMIT:
        yield path, f"Too long: may not be more than {_ANNOTATIONS_LIMIT} bytes"


def _object_meta(meta: dict[str, Any], rt: ResourceType) -> Iterator[tuple[str, str]]:
    rule = _NAME_RULES.get(rt.kind, dns1123_subdomain)
    generate = meta.get("generateName") or ""
    name = meta.get("name") or ""
    if generate:
        prefix = generate if rule is path_segment else _mask_trailing_dash(generate)
        for msg in rule(prefix):
            yield "metadata.generateName", invalid(generate, msg)
    if not name:
        # the server names the object from generateName before validating it
        if not generate:
            yield "metadata.name", required("name or generateName is required")
    else:
        for msg in rule(name):
            yield "metadata.name", invalid(name, msg)
    yield from _labels(meta.get("labels"), "metadata.labels")
    yield from _annotations(meta.get("annotations"), "metadata.annotations")


def _selector(sel: Any, path: str) -> Iterator[tuple[str, str]]:
    yield from _labels(sel.get("matchLabels"), f"{path}.matchLabels")
    for i, expr in enumerate(sel.get("matchExpressions") or ()):
        epath = f"{path}.matchExpressions[{i}]"
        op, values = expr.get("operator"), expr.get("values") or []
        if op in ("In", "NotIn"):
            if not values:
                yield (
                    f"{epath}.values",
                    required("must be specified when `operator` is 'In' or 'NotIn'"),
                )
        elif op in ("Exists", "DoesNotExist"):
            if values:
                yield (
                    f"{epath}.values",
                    (
                        "Forbidden: may not be specified when `operator` is "
                        "'Exists' or 'DoesNotExist'"
                    ),
                )
        else:
            yield f"{epath}.operator", invalid(op or "", "not a valid selector operator")
        for msg in qualified_name(expr.get("key") or ""):
            yield f"{epath}.key", invalid(expr.get("key") or "", msg)


def _selector_matches(sel: dict[str, Any], labels: dict[str, Any]) -> bool:
    if any(labels.get(k) != v for k, v in (sel.get("matchLabels") or {}).items()):
        return False
    for expr in sel.get("matchExpressions") or ():
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        present = key in labels
        if (
            (op == "In" and (not present or labels[key] not in values))
            or (op == "NotIn" and present and labels[key] in values)
            or (op == "Exists" and not present)
            or (op == "DoesNotExist" and present)
        ):
            return False
    return True


def _workload_selector(spec: dict[str, Any], what: str) -> Iterator[tuple[str, str]]:
    """Selector rules of Deployment/ReplicaSet/StatefulSet (and Jobs with manualSelector)."""
    sel = spec.get("selector")
    template = _as_dict(spec.get("template"))
    labels = (template.get("metadata") or {}).get("labels")
    if not _is_dict(sel):
        yield "spec.selector", required()
    else:
        yield from _selector(sel, "spec.selector")
        if not sel.get("matchLabels") and not sel.get("matchExpressions"):
            yield "spec.selector", invalid({}, f"empty selector is invalid for {what}")
            return
    if not _is_dict(sel) or not _selector_matches(sel, labels if _is_dict(labels) else {}):
        yield (
            "spec.template.metadata.labels",
            invalid(labels, "`selector` does not match template `labels`"),
        )


def _nonnegative(spec: dict[str, Any], name: str) -> Iterator[tuple[str, str]]:
    value = spec.get(name)
    if isinstance(value, int) and value < 0:
        yield f"spec.{name}", invalid(value, _NONNEGATIVE)


def _pod_template(template: Any, path: str) -> Iterator[tuple[str, str]]:
    template = template if _is_dict(template) else {}
    meta = _as_dict(template.get("metadata"))
    yield from _labels(meta.get("labels"), f"{path}.labels")
    yield from _annotations(meta.get("annotations"), f"{path}.annotations")
    yield from _pod_spec(_as_dict(template.get("spec")), f"{path}.spec")


def _pod_spec(spec: dict[str, Any], path: str) -> Iterator[tuple[str, str]]:
    volumes: set[str] = set()
    for i, vol in enumerate(spec.get("volumes") or ()):
        vpath, name = f"{path}.volumes[{i}]", vol.get("name") or ""
        if not name:
            yield f"{vpath}.name", required()
        else:
            for msg in dns1123_label(name):
                yield f"{vpath}.name", invalid(name, msg)
            if name in volumes:
                yield f"{vpath}.name", f"Duplicate value: {go_quote(name)}"
        volumes.add(name)
        if not any(k != "name" and v is not None for k, v in vol.items()):
            yield vpath, required("must specify a volume type")
    containers = spec.get("containers") or []
    if not containers:
        yield f"{path}.containers", required()
    names: set[str] = set()
    for i, ctr in enumerate(containers):
        yield from _container(ctr, f"{path}.containers[{i}]", names, volumes)
    # init containers may not reuse any container's name, nor each other's
    for i, ctr in enumerate(spec.get("initContainers") or ()):
        yield from _container(ctr, f"{path}.initContainers[{i}]", names, volumes)


def _container(
    ctr: dict[str, Any], path: str, names: set[str], volumes: set[str]
) -> Iterator[tuple[str, str]]:
    name = ctr.get("name") or ""
    if not name:
        yield f"{path}.name", required()
    else:
        for msg in dns1123_label(name):
            yield f"{path}.name", invalid(name, msg)
        if name in names:
            yield f"{path}.name", f"Duplicate value: {go_quote(name)}"
        names.add(name)
    if not ctr.get("image"):
        yield f"{path}.image", required()
    port_names: set[str] = set()
    for i, port in enumerate(ctr.get("ports") or ()):
        ppath = f"{path}.ports[{i}]"
        pname = port.get("name") or ""
        if pname:
            for msg in port_name(pname):
                yield f"{ppath}.name", invalid(pname, msg)
            if pname in port_names:
                yield f"{ppath}.name", f"Duplicate value: {go_quote(pname)}"
            port_names.add(pname)
        number = port.get("containerPort") or 0
        if number == 0:
            yield f"{ppath}.containerPort", required()
        elif not 1 <= number <= 65535:
            yield f"{ppath}.containerPort", invalid(number, _PORT_RANGE)
    for i, env in enumerate(ctr.get("env") or ()):
        if not env.get("name"):
            yield f"{path}.env[{i}].name", required()
    for i, mount in enumerate(ctr.get("volumeMounts") or ()):
        mname = mount.get("name") or ""
        if not mname:
            yield f"{path}.volumeMounts[{i}].name", required()
        elif mname not in volumes:
            yield f"{path}.volumeMounts[{i}].name", f"Not found: {go_quote(mname)}"
        if not mount.get("mountPath"):
            yield f"{path}.volumeMounts[{i}].mountPath", required()


def _restart_policy(spec: dict[str, Any], allowed: list[str]) -> Iterator[tuple[str, str]]:
    pod = (spec.get("template") or {}).get("spec") or {}
    policy = pod.get("restartPolicy") or "Always"  # defaulted before validation
    if policy not in allowed:
        yield "spec.template.spec.restartPolicy", not_supported(policy, allowed)


def _workload(obj: dict[str, Any], rt: ResourceType) -> Iterator[tuple[str, str]]:
    spec = _as_dict(obj.get("spec"))
    kind = rt.kind
    for name in ("replicas", "minReadySeconds"):
        yield from _nonnegative(spec, name)
    if kind in ("Deployment", "ReplicaSet"):
        yield from _workload_selector(spec, "deployment")
        yield from _pod_template(spec.get("template"), "spec.template")
        yield from _restart_policy(spec, ["Always"])
    elif kind == "StatefulSet":
        # StatefulSet validation checks the template's labels only, not its pod spec
        yield from _workload_selector(spec, "statefulset")
        template = _as_dict(spec.get("template"))
        meta = _as_dict(template.get("metadata"))
        yield from _labels(meta.get("labels"), "spec.template.labels")
        yield from _annotations(meta.get("annotations"), "spec.template.annotations")
        yield from _restart_policy(spec, ["Always"])
    elif kind == "Job":
        for name in ("parallelism", "completions", "activeDeadlineSeconds", "backoffLimit"):
            yield from _nonnegative(spec, name)
        if spec.get("manualSelector") is True:
            yield from _workload_selector(spec, "job")
        yield from _pod_template(spec.get("template"), "spec.template")
        yield from _restart_policy(spec, ["OnFailure", "Never"])
    elif kind == "DaemonSet":
        yield from _workload_selector(spec, "daemonset")
        yield from _pod_template(spec.get("template"), "spec.template")
        yield from _restart_policy(spec, ["Always"])
    elif kind == "ReplicationController":
        yield from _rc_selector(spec)
        yield from _pod_template(spec.get("template"), "spec.template")
        yield from _restart_policy(spec, ["Always"])


_WORKLOADS = (
    "Deployment",
    "ReplicaSet",
    "StatefulSet",
    "Job",
    "DaemonSet",
    "ReplicationController",
)


def _rc_selector(spec: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """ValidateReplicationControllerSpec: a non-empty map selector the template matches."""
    selector = _as_dict(spec.get("selector"))
    if not selector:
        yield "spec.selector", required()
        return
    yield from _labels(selector, "spec.selector")
    template = spec.get("template") if _is_dict(spec.get("template")) else None
    if template is None:
        yield "spec.template", required()
        return
    labels = (template.get("metadata") or {}).get("labels") or {}
    if any(labels.get(k) != v for k, v in selector.items()):
        yield (
            "spec.template.metadata.labels",
            invalid(labels, "`selector` does not match template `labels`"),
        )


def _cron_job(obj: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """ValidateCronJob: the name leaves room for job names, the schedule parses, the job
    template is a valid Job's."""
    name = (obj.get("metadata") or {}).get("name") or ""
    if len(name) > 52:
        yield "metadata.name", invalid(name, "must be no more than 52 characters")
    spec = _as_dict(obj.get("spec"))
    schedule = spec.get("schedule") or ""
    if not schedule:
        yield "spec.schedule", required()
    else:
        problem = cron.schedule_error(schedule, spec.get("timeZone"))
        if problem:
            yield "spec.schedule", invalid(schedule, problem)
    policy = spec.get("concurrencyPolicy") or "Allow"
    if policy not in ("Allow", "Forbid", "Replace"):
        yield "spec.concurrencyPolicy", not_supported(policy, ["Allow", "Forbid", "Replace"])
    for field in (
        "startingDeadlineSeconds",
        "successfulJobsHistoryLimit",
        "failedJobsHistoryLimit",
    ):
        value = spec.get(field)
        if isinstance(value, int) and value < 0:
            yield f"spec.{field}", invalid(value, _NONNEGATIVE)
    job = (spec.get("jobTemplate") or {}).get("spec") or {}
    template = _as_dict(job.get("template"))
    yield from _pod_template(template, "spec.jobTemplate.spec.template")
    pod = _as_dict(template.get("spec"))
    policy = pod.get("restartPolicy") or "Always"
    if policy not in ("OnFailure", "Never"):
        yield (
            "spec.jobTemplate.spec.template.spec.restartPolicy",
            not_supported(policy, ["OnFailure", "Never"]),
        )


def _autoscaler(obj: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """ValidateHorizontalPodAutoscalerSpec's bounds and target."""
    spec = _as_dict(obj.get("spec"))
    low = spec.get("minReplicas")
    if isinstance(low, int) and low < 1:
        yield "spec.minReplicas", invalid(low, "must be greater than or equal to 1")
    high = spec.get("maxReplicas")
    if isinstance(high, int):
        if high < 1:
            yield "spec.maxReplicas", invalid(high, "must be greater than 0")
        elif isinstance(low, int) and high < low:
            yield (
                "spec.maxReplicas",
                invalid(high, "must be greater than or equal to `minReplicas`"),
            )
    target = _as_dict(spec.get("scaleTargetRef"))
    for field in ("kind", "name"):
        if not target.get(field):
            yield f"spec.scaleTargetRef.{field}", required()
    kinds = ["ContainerResource", "External", "Object", "Pods", "Resource"]
    for i, metric in enumerate(spec.get("metrics") or ()):
        kind = metric.get("type") if _is_dict(metric) else None
        if not kind:
            yield f"spec.metrics[{i}].type", required("must specify a metric source type")
        elif kind not in kinds:
            yield f"spec.metrics[{i}].type", not_supported(kind, kinds)


def _service(obj: dict[str, Any]) -> Iterator[tuple[str, str]]:
    spec = _as_dict(obj.get("spec"))
    stype = spec.get("type") or "ClusterIP"
    types = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]
    if stype not in types:
        yield "spec.type", not_supported(stype, types)
    ports = spec.get("ports") or []
    if not ports and spec.get("clusterIP") != "None" and stype != "ExternalName":
        yield "spec.ports", required()
    names: set[str] = set()
    for i, port in enumerate(ports):
        ppath, name = f"spec.ports[{i}]", port.get("name") or ""
        if not name and len(ports) > 1:
            yield f"{ppath}.name", required()
        elif name:
            for msg in dns1123_label(name):
                yield f"{ppath}.name", invalid(name, msg)
            if name in names:
                yield f"{ppath}.name", f"Duplicate value: {go_quote(name)}"
            names.add(name)
        number = port.get("port") or 0
        if not 1 <= number <= 65535:
            yield f"{ppath}.port", invalid(number, _PORT_RANGE)
        protocol = port.get("protocol") or "TCP"
        if protocol not in ("SCTP", "TCP", "UDP"):
            yield f"{ppath}.protocol", not_supported(protocol, ["SCTP", "TCP", "UDP"])
        target = port.get("targetPort")
        if isinstance(target, int) and target != 0 and not 1 <= target <= 65535:
            yield f"{ppath}.targetPort", invalid(target, _PORT_RANGE)
        elif isinstance(target, str) and target:
            for msg in port_name(target):
                yield f"{ppath}.targetPort", invalid(target, msg)
    yield from _labels(spec.get("selector"), "spec.selector")


def _data_keys(obj: dict[str, Any], fields: tuple[str, ...]) -> Iterator[tuple[str, str]]:
    for field in fields:
        data = obj.get(field)
        for key in data if _is_dict(data) else ():
            for msg in config_key(key):
                yield f"data[{key}]", invalid(key, msg)


_SECRET_KEYS: dict[str | None, tuple[str, ...]] = {
    "kubernetes.io/tls": ("tls.crt", "tls.key"),
    "kubernetes.io/dockerconfigjson": (".dockerconfigjson",),
}


def _secret(obj: dict[str, Any]) -> Iterator[tuple[str, str]]:
    yield from _data_keys(obj, ("data", "stringData"))
    keys = set(obj.get("data") or {}) | set(obj.get("stringData") or {})
    needed = _SECRET_KEYS.get(obj.get("type"), ())
    for key in needed:
        if key not in keys:
            yield f"data[{key}]", required()


_ACCESS_MODES = ["ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"]


def _pvc(obj: dict[str, Any]) -> Iterator[tuple[str, str]]:
    spec = _as_dict(obj.get("spec"))
    modes = spec.get("accessModes") or []
    if not modes:
        yield "spec.accessModes", required("at least 1 access mode is required")
    for mode in modes:
        if mode not in _ACCESS_MODES:
            yield "spec.accessModes", not_supported(mode, _ACCESS_MODES)
    requests = (spec.get("resources") or {}).get("requests") or {}
    if "storage" not in requests:
        yield "spec.resources[storage]", required()


_KIND_RULES: dict[str, Callable[[dict[str, Any]], Iterator[tuple[str, str]]]] = {
    "Service": _service,
    "Secret": _secret,
    "ConfigMap": lambda obj: _data_keys(obj, ("data", "binaryData")),
    "PersistentVolumeClaim": _pvc,
    "Pod": lambda obj: _pod_spec(_as_dict(obj.get("spec")), "spec"),
    "CronJob": _cron_job,
    "HorizontalPodAutoscaler": _autoscaler,
}

# Schema-required fields whose absence the kind rules above report their own way, or that the
# real validation does not require (ints whose zero is valid, fields defaulted first).
_NOT_REQUIRED = {
    ("DeploymentSpec", "selector"),
    ("DeploymentSpec", "template"),
    ("ReplicaSetSpec", "selector"),
    ("StatefulSetSpec", "selector"),
    ("StatefulSetSpec", "template"),
    ("JobSpec", "template"),
    ("DaemonSetSpec", "selector"),
    ("DaemonSetSpec", "template"),
    ("CronJobSpec", "schedule"),
    ("CrossVersionObjectReference", "kind"),
    ("CrossVersionObjectReference", "name"),
    ("MetricSpec", "type"),
    ("EndpointSlice", "endpoints"),
    ("PodSpec", "containers"),
    ("Container", "name"),
    ("ContainerPort", "containerPort"),
    ("EnvVar", "name"),
    ("VolumeMount", "name"),
    ("VolumeMount", "mountPath"),
    ("Volume", "name"),
    ("ServicePort", "port"),
    ("ControllerRevision", "revision"),
    ("Event", "metadata"),
    ("Event", "involvedObject"),
    ("LabelSelectorRequirement", "key"),
    ("LabelSelectorRequirement", "operator"),
}
# Required lists that real validation also refuses when empty.
_EMPTY_IS_MISSING = {
    ("PolicyRule", "verbs"),
    ("HTTPIngressRuleValue", "paths"),
    ("NodeSelector", "nodeSelectorTerms"),
}
# Required fields whose real message carries a detail.
_REQUIRED_DETAIL = {
    ("PolicyRule", "verbs"): "verbs must contain at least one value",
    ("HTTPIngressPath", "pathType"): "pathType must be specified",
}


def _schema_required(node: _Node, value: Any, path: str) -> Iterator[tuple[str, str]]:
    """`Required value` for missing fields the schema requires (status is not validated)."""
    if node.kind == STRUCT and _is_dict(value):
        for name in node.required:
            if (node.struct, name) in _NOT_REQUIRED:
                continue
            item = value.get(name)
            if (
                item is None
                or item == ""
                or (item == [] and (node.struct, name) in _EMPTY_IS_MISSING)
            ):
                yield (
                    (f"{path}.{name}" if path else name),
                    required(_REQUIRED_DETAIL.get((node.struct, name), "")),
                )
        for key, item in value.items():
            child = node.fields.get(key)
            if child is not None and not (not path and key == "status"):
                yield from _schema_required(child, item, f"{path}.{key}" if path else key)
    elif node.kind == LIST and isinstance(value, list):
        elem = node.element()
        for i, item in enumerate(value):
            yield from _schema_required(elem, item, f"{path}[{i}]")
    elif node.kind == MAP and _is_dict(value) and node.element().kind in (STRUCT, LIST, MAP):
        elem = node.element()
        for key, item in value.items():
            yield from _schema_required(elem, item, f"{path}[{key}]")


def api_causes(obj: dict[str, Any], rt: ResourceType) -> Causes:
    """The 422 causes real API validation reports for `obj` (empty when valid)."""
    meta = _as_dict(obj.get("metadata"))
    causes = list(_object_meta(meta, rt))
    if rt.custom is not None:
        return [*causes, *customresources.schema_causes(obj, rt)]
    if rt.kind == "CustomResourceDefinition":
        causes.extend(customresources.crd_causes(obj))
    if rt.kind in _WORKLOADS:
        causes.extend(_workload(obj, rt))
    elif rt.kind in _KIND_RULES:
        causes.extend(_KIND_RULES[rt.kind](obj))
    node = _root(rt.group, rt.version, rt.kind)
    if node is not None:
        causes.extend(_schema_required(node, obj, ""))
    unique: Causes = []
    for cause in causes:  # ErrorList.ToAggregate drops repeated messages
        if cause not in unique:
            unique.append(cause)
    return unique


def validate_semantics(obj: dict[str, Any], rt: ResourceType) -> None:
    """Raise the real 422 Invalid error when API validation rejects `obj`."""
    causes = api_causes(obj, rt)
    if causes:
        name = (obj.get("metadata") or {}).get("name") or ""
        raise errors.invalid(rt.kind, rt.group, name, causes)


# --- entry point ----------------------------------------------------------------------------


def validate_object(
    obj: dict[str, Any],
    rt: ResourceType,
    *,
    field_validation: str = "Strict",
    apply: bool = False,
    patch_type: str | None = None,
    patch: Any = None,
    semantics: bool = True,
) -> tuple[dict[str, Any], list[str]]:
    """Validate a written object; return (object to store, warning texts) or raise ApiError.

    POST/PUT: pass the body. Server-side apply: pass the object with apply=True. Other
    PATCHes: pass the patched object with patch_type "strategic" (plus the patch document as
    `patch`: the real error quotes it) or "merge" (JSON merge patch and JSON patch). An empty
    field_validation is the server default, Warn. Each warning goes out as
    `Warning: 299 - "<text>"`. semantics=False stops after decoding: the server defaults
    the object before its 422 validation, so it calls validate_semantics itself.
    """
    field_validation = field_validation or "Warn"
    if field_validation not in FIELD_VALIDATIONS:
        raise ValueError(f"field_validation must be one of {FIELD_VALIDATIONS}")
    if patch_type not in (None, *PATCH_TYPES):
        raise ValueError(f"patch_type must be one of {PATCH_TYPES}")
    if rt.custom is not None:
        return _decode_custom(obj, rt, field_validation, apply, patch_type, semantics)
    node = _root(rt.group, rt.version, rt.kind)
    if node is None:
        return obj, []
    if apply:
        _check_typed(obj, rt, node)
    # a merge patch is decoded from the re-marshalled (key-sorted) patched document
    walker = _Converter() if patch_type == "strategic" else _Decoder(sort_keys=bool(patch_type))
    try:
        stored = walker.decode(node, obj)
        message = walker.error
    except _Abort as abort:
        stored, message = obj, str(abort)
    unknown = sorted(walker.unknown) if patch_type == "strategic" else walker.unknown
    if message is None and unknown and field_validation == "Strict" and not apply:
        message = "strict decoding error: " + ", ".join(unknown)
    if message is not None:
        if patch_type is not None:
            shown = go_v(patch) if patch_type == "strategic" else go_json(obj)
            raise errors.invalid("", "", "", [("patch", invalid(shown, message))])
        if not apply:
            message = (
                f'{rt.kind} in version "{rt.version}" cannot be handled as a {rt.kind}: ' + message
            )
        raise errors.bad_request(message)
    if semantics:
        validate_semantics(stored, rt)
    return stored, unknown if field_validation == "Warn" else []


def _decode_custom(
    obj: dict[str, Any],
    rt: ResourceType,
    field_validation: str,
    apply: bool,
    patch_type: str | None,
    semantics: bool,
) -> tuple[dict[str, Any], list[str]]:
    """A custom resource: pruned and defaulted from its CRD's schema; undeclared fields are
    an error under Strict (not for server-side apply, which prunes them), a warning under
    Warn."""
    stored, unknown = customresources.decode(obj, rt)
    if unknown and field_validation == "Strict" and not apply:
        message = "strict decoding error: " + ", ".join(unknown)
        if patch_type is not None:
            raise errors.invalid("", "", "", [("patch", invalid(go_json(obj), message))])
        raise errors.bad_request(
            f'{rt.kind} in version "{rt.version}" cannot be handled as a {rt.kind}: {message}'
        )
    if semantics:
        validate_semantics(stored, rt)
    return stored, unknown if field_validation == "Warn" else []


def _check_typed(obj: dict[str, Any], rt: ResourceType, node: _Node) -> None:
    """Server-side apply's conversion to a typed value: the real server answers 500."""
    typed = _Typed()
    typed.walk(node, obj, "")
    if typed.errors:
        detail = (
            typed.errors[0]
            if len(typed.errors) == 1
            else "errors:\n" + "\n".join("  " + e for e in typed.errors)
        )
        failure = errors.ApiError(
            500, f"failed to create typed patch object ({_gvk_nn(obj, rt)}): {detail}"
        )
        failure.reason = ""  # a plain Go error: ErrorToAPIStatus gives it no reason
        raise failure
