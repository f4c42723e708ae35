"""/openapi/v2 in protobuf: the gnostic openapi_v2.Document a real server sends.

client-go's OpenAPISchema() asks only for `application/com.github.proto-openapi.spec.v2@v1.0
+protobuf`; kubectl and helm use it for client-side validation when server-side field
validation is unsupported for a kind (e.g. one no CRD defines yet), then look the kind up
and skip validating it when absent. kube-openapi makes these bytes with
openapi_v2.ParseDocument(json) + proto.Marshal; this module does the same for the JSON the
simulator serves, following gnostic's OpenAPIv2.proto field numbers. Values gnostic keeps as
`Any` (defaults, enums, x- extensions) carry their YAML text, as gnostic stores them.
"""

from __future__ import annotations

import struct
from typing import Any

import yaml

Obj = dict[str, Any]


# -- wire format -------------------------------------------------------------------------------


def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1  # negative int64s are ten-byte varints
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _key(number: int, wire: int) -> bytes:
    return _varint(number << 3 | wire)


def _bytes(number: int, data: bytes) -> bytes:
    return _key(number, 2) + _varint(len(data)) + data


def _string(number: int, text: str) -> bytes:
    return _bytes(number, text.encode()) if text else b""


def _strings(number: int, texts: list[str]) -> bytes:
    return b"".join(_bytes(number, t.encode()) for t in texts)


def _bool(number: int, value: Any) -> bytes:
    return _key(number, 0) + b"\x01" if value is True else b""


def _int(number: int, value: Any) -> bytes:
    return _key(number, 0) + _varint(int(value)) if isinstance(value, int) and value else b""


def _double(number: int, value: Any) -> bytes:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value:
        return b""
    return _key(number, 1) + struct.pack("<d", float(value))


def _message(number: int, data: bytes) -> bytes:
    return _bytes(number, data)


# -- gnostic messages ------------------------------------------------------------------------


def _any(value: Any) -> bytes:
    """openapi_v2.Any: the value as YAML (field 2)."""
    text = yaml.safe_dump(value, default_flow_style=False, sort_keys=False, allow_unicode=True)
    return _string(2, text)


def _named_any(number: int, name: str, value: Any) -> bytes:
    return _message(number, _string(1, name) + _message(2, _any(value)))


def _extensions(number: int, node: Obj) -> bytes:
    return b"".join(_named_any(number, k, v) for k, v in node.items() if k.startswith("x-"))


def schema(node: Obj) -> bytes:
    """openapi_v2.Schema."""
    out = [
        _string(1, node.get("$ref", "")),
        _string(2, node.get("format", "")),
        _string(3, node.get("title", "")),
        _string(4, node.get("description", "")),
    ]
    if "default" in node:
        out.append(_message(5, _any(node["default"])))
    out += [
        _double(6, node.get("multipleOf")),
        _double(7, node.get("maximum")),
        _bool(8, node.get("exclusiveMaximum")),
        _double(9, node.get("minimum")),
        _bool(10, node.get("exclusiveMinimum")),
        _int(11, node.get("maxLength")),
        _int(12, node.get("minLength")),
        _string(13, node.get("pattern", "")),
        _int(14, node.get("maxItems")),
        _int(15, node.get("minItems")),
        _bool(16, node.get("uniqueItems")),
        _int(17, node.get("maxProperties")),
        _int(18, node.get("minProperties")),
        _strings(19, list(node.get("required") or ())),
    ]
    out += [_message(20, _any(v)) for v in node.get("enum") or ()]
    extra = node.get("additionalProperties")
    if isinstance(extra, dict):
        out.append(_message(21, _message(1, schema(extra))))
    elif isinstance(extra, bool):
        out.append(_message(21, _key(2, 0) + (b"\x01" if extra else b"\x00")))
    kinds = node.get("type")
    if kinds:
        out.append(_message(22, _strings(1, [kinds] if isinstance(kinds, str) else list(kinds))))
    items = node.get("items")
    if isinstance(items, dict):
        out.append(_message(23, _message(1, schema(items))))
    out += [_message(24, schema(s)) for s in node.get("allOf") or () if isinstance(s, dict)]
    properties = node.get("properties")
    if isinstance(properties, dict) and properties:
        named = b"".join(
            _message(1, _string(1, k) + _message(2, schema(v)))
            for k, v in properties.items()
            if isinstance(v, dict)
        )
        out.append(_message(25, named))
    out.append(_bool(27, node.get("readOnly")))
    if "example" in node:
        out.append(_message(30, _any(node["example"])))
    out.append(_extensions(31, node))
    return b"".join(out)


def _parameter(param: Obj) -> bytes:
    """openapi_v2.ParametersItem (a body parameter, or a query/path one)."""
    where = param.get("in", "")
    if where == "body":
        body = (
            _string(1, param.get("description", ""))
            + _string(2, param.get("name", ""))
            + _string(3, where)
            + _bool(4, param.get("required"))
            + _message(5, schema(param.get("schema") or {}))
            + _extensions(6, param)
        )
        return _message(1, _message(1, body))
    if where == "path":
        sub = (
            _bool(1, param.get("required"))
            + _string(2, where)
            + _string(3, param.get("description", ""))
            + _string(4, param.get("name", ""))
            + _string(5, param.get("type", ""))
            + _string(6, param.get("format", ""))
            + _bool(19, param.get("uniqueItems"))
            + _extensions(22, param)
        )
        return _message(1, _message(2, _message(4, sub)))
    sub = (
        _bool(1, param.get("required"))
        + _string(2, where)
        + _string(3, param.get("description", ""))
        + _string(4, param.get("name", ""))
        + _string(6, param.get("type", ""))
        + _string(7, param.get("format", ""))
        + _bool(20, param.get("uniqueItems"))
        + _extensions(23, param)
    )
    field = {"header": 1, "formData": 2, "query": 3}.get(where, 3)
    return _message(1, _message(2, _message(field, sub)))


def _operation(op: Obj) -> bytes:
    responses = b"".join(
        _message(
            1,
            _string(1, code)
            + _message(
                2,
                _message(
                    1,
                    _string(1, answer.get("description", ""))
                    + (
                        _message(2, _message(1, schema(answer["schema"])))
                        if isinstance(answer.get("schema"), dict)
                        else b""
                    ),
                ),
            ),
        )
        for code, answer in (op.get("responses") or {}).items()
    )
    return b"".join(
        [
            _strings(1, list(op.get("tags") or ())),
            _string(2, op.get("summary", "")),
            _string(3, op.get("description", "")),
            _string(5, op.get("operationId", "")),
            _strings(6, list(op.get("produces") or ())),
            _strings(7, list(op.get("consumes") or ())),
            *(_message(8, _parameter(p)) for p in op.get("parameters") or ()),
            _message(9, responses),
            _strings(10, list(op.get("schemes") or ())),
            _bool(11, op.get("deprecated")),
            _extensions(13, op),
        ]
    )


_METHODS = {"get": 2, "put": 3, "post": 4, "delete": 5, "options": 6, "head": 7, "patch": 8}


def _path_item(item: Obj) -> bytes:
    out = [
        _message(number, _operation(item[method]))
        for method, number in _METHODS.items()
        if isinstance(item.get(method), dict)
    ]
    out += [_message(9, _parameter(p)) for p in item.get("parameters") or ()]
    out.append(_extensions(10, item))
    return b"".join(out)


def document(doc: Obj) -> bytes:
    """proto.Marshal(openapi_v2.ParseDocument(json)) for the simulator's Swagger document."""
    info = doc.get("info") or {}
    paths = b"".join(
        _message(2, _string(1, path) + _message(2, _path_item(item)))
        for path, item in (doc.get("paths") or {}).items()
    )
    definitions = b"".join(
        _message(1, _string(1, name) + _message(2, schema(node)))
        for name, node in (doc.get("definitions") or {}).items()
    )
    security = b"".join(
        _message(
            12,
            b"".join(
                _message(1, _string(1, name) + _message(2, _strings(1, list(scopes))))
                for name, scopes in requirement.items()
            ),
        )
        for requirement in doc.get("security") or ()
    )
    definitions_of_security = b"".join(
        _message(
            1,
            _string(1, name)
            + _message(
                2,
                _message(
                    2,
                    _string(1, item.get("type", ""))
                    + _string(2, item.get("name", ""))
                    + _string(3, item.get("in", ""))
                    + _string(4, item.get("description", "")),
                ),
            ),
        )
        for name, item in (doc.get("securityDefinitions") or {}).items()
    )
    return b"".join(
        [
            _string(1, doc.get("swagger", "2.0")),
            _message(2, _string(1, info.get("title", "")) + _string(2, info.get("version", ""))),
            _message(8, paths),
            _message(9, definitions),
            security,
            _message(13, definitions_of_security) if definitions_of_security else b"",
        ]
    )
