"""CustomResourceDefinitions and the custom resources they define.

A CRD (apiextensions.k8s.io/v1) is validated as the apiextensions server validates it (the
rules charts meet: names, scope, versions, structural schemas); each served version becomes
a ResourceType with the CRD's schema. Writes of custom resources go through what
apiextensions-apiserver does to them, in its order: pruning of fields the schema does not
declare (an error under fieldValidation=Strict, a warning under Warn), defaulting from the
schema, then validation against the openAPIV3Schema with kube-openapi's messages.
Not modelled: CEL rules (x-kubernetes-validations), conversion webhooks, and storage shared
between the versions of a multi-version CRD (each version keeps its own objects).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from typing import Any

from storedesk.sim.gofmt import go_float
from storedesk.sim.resources import CustomInfo, ResourceType

Obj = dict[str, Any]
Causes = list[tuple[str, str]]

CLEANUP_FINALIZER = "customresourcecleanup.apiextensions.k8s.io"
_IN = "body"  # kube-openapi names the request body "body" in its messages
_ROOT_FIELDS = ("apiVersion", "kind", "metadata")


# -- the types a CRD serves -----------------------------------------------------------------


def served_types(crd: Obj) -> list[ResourceType]:
    """One ResourceType per served version of `crd` (none when it is unusable)."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    group, plural, kind = spec.get("group"), names.get("plural"), names.get("kind")
    if not (group and plural and kind):
        return []
    types = []
    for version in spec.get("versions") or []:
        if not isinstance(version, dict) or not version.get("served") or not version.get("name"):
            continue
        subresources = version.get("subresources") or {}
        types.append(
            ResourceType(
                group,
                version["name"],
                kind,
                plural,
                namespaced=spec.get("scope", "Namespaced") == "Namespaced",
                short_names=tuple(names.get("shortNames") or ()),
                categories=tuple(names.get("categories") or ()),
                subresources=tuple(s for s in ("status", "scale") if s in subresources),
                singular_name=names.get("singular") or kind.lower(),
                custom=CustomInfo(
                    crd=crd["metadata"]["name"],
                    schema=(version.get("schema") or {}).get("openAPIV3Schema") or {},
                    printer_columns=list(version.get("additionalPrinterColumns") or ()),
                    scale=subresources.get("scale"),
                ),
            )
        )
    return types


def crd_defaults(crd: Obj) -> None:
    """SetDefaults for apiextensions.k8s.io/v1 CustomResourceDefinitions (in place)."""
    spec = crd.get("spec")
    if not isinstance(spec, dict):
        return
    names = spec.get("names")
    if isinstance(names, dict) and names.get("kind"):
        names.setdefault("singular", str(names["kind"]).lower())
        names.setdefault("listKind", f"{names['kind']}List")
    conversion = spec.setdefault("conversion", {"strategy": "None"})
    if isinstance(conversion, dict):
        conversion.setdefault("strategy", "None")
    for version in spec.get("versions") or []:
        if isinstance(version, dict):
            schema = (version.get("schema") or {}).get("openAPIV3Schema")
            if isinstance(schema, dict):
                _default_schema(schema)


def _default_schema(schema: Obj) -> None:
    """Within a schema, listType defaults nothing; only nested schemas are walked."""
    for sub in (schema.get("properties") or {}).values():
        if isinstance(sub, dict):
            _default_schema(sub)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            _default_schema(schema[key])


# -- validating a CRD ----------------------------------------------------------------------


def crd_causes(crd: Obj) -> Causes:
    """422 causes of ValidateCustomResourceDefinition that charts meet (empty when valid)."""
    causes: Causes = []
    spec = got if isinstance(got := crd.get("spec"), dict) else {}
    names = got if isinstance(got := spec.get("names"), dict) else {}
    group, plural = spec.get("group") or "", names.get("plural") or ""
    name = (crd.get("metadata") or {}).get("name") or ""
    if name and name != f"{plural}.{group}":
        causes.append(("metadata.name", _invalid(name, 'must be spec.names.plural+"."+spec.group')))
    if not group:
        causes.append(("spec.group", "Required value"))
    elif "." not in group:
        causes.append(("spec.group", _invalid(group, "should be a domain with at least one dot")))
    scope = spec.get("scope") or ""
    if not scope:
        causes.append(("spec.scope", "Required value"))
    elif scope not in ("Cluster", "Namespaced"):
        causes.append(
            (
                "spec.scope",
                f'Unsupported value: "{scope}": supported values: "Cluster", "Namespaced"',
            )
        )
    for field in ("plural", "singular", "kind", "listKind"):
        if not names.get(field):
            causes.append((f"spec.names.{field}", "Required value"))
    if plural and not re.fullmatch(r"[a-z]([-a-z0-9]*[a-z0-9])?", plural):
        causes.append(
            (
                "spec.names.plural",
                _invalid(
                    plural,
                    "a lowercase RFC 1123 label must consist of lower case alphanumeric "
                    "characters or '-', and must start and end with an alphanumeric character "
                    "(e.g. 'my-name',  or '123-abc', regex used for validation is "
                    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
                ),
            )
        )
    causes.extend(_version_causes(spec.get("versions")))
    return causes


def _version_causes(versions: Any) -> Iterator[tuple[str, str]]:
    if not isinstance(versions, list) or not versions:
        yield (
            "spec.versions",
            "Invalid value: null: must have exactly one version marked as storage version",
        )
        return
    storage = [v for v in versions if isinstance(v, dict) and v.get("storage")]
    if len(storage) != 1:
        yield (
            "spec.versions",
            "Invalid value: "
            + json.dumps([v.get("name") for v in versions if isinstance(v, dict)])
            + ": must have exactly one version marked as storage version",
        )
    seen: set[str] = set()
    for i, version in enumerate(versions):
        path = f"spec.versions[{i}]"
        if not isinstance(version, dict):
            continue
        name = version.get("name") or ""
        if not name:
            yield f"{path}.name", "Required value"
        elif name in seen:
            yield f"{path}.name", f'Duplicate value: "{name}"'
        seen.add(name)
        schema = (version.get("schema") or {}).get("openAPIV3Schema")
        if not isinstance(schema, dict):
            yield f"{path}.schema.openAPIV3Schema", "Required value: schemas are required"
            continue
        yield from _structural_causes(schema, f"{path}.schema.openAPIV3Schema", root=True)


def _structural_causes(schema: Obj, path: str, root: bool = False) -> Iterator[tuple[str, str]]:
    """The structural schema rules: every node states its type (unless it opts out)."""
    kind = schema.get("type")
    if root:
        if not kind:
            yield f"{path}.type", "Required value: must not be empty at the root"
        elif kind != "object":
            yield f"{path}.type", _invalid(kind, "must be object at the root")
    for name, sub in sorted((schema.get("properties") or {}).items()):
        if not isinstance(sub, dict):
            continue
        sub_path = f"{path}.properties[{name}]"
        if not sub.get("type") and not _opts_out(sub):
            yield (
                f"{sub_path}.type",
                "Required value: must not be empty for specified object fields",
            )
        yield from _structural_causes(sub, sub_path)
    items = schema.get("items")
    if isinstance(items, dict):
        if not items.get("type") and not _opts_out(items):
            yield (
                f"{path}.items.type",
                "Required value: must not be empty for specified array items",
            )
        yield from _structural_causes(items, f"{path}.items")
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        if not extra.get("type") and not _opts_out(extra):
            yield (
                f"{path}.additionalProperties.type",
                "Required value: must not be empty for specified object fields",
            )
        yield from _structural_causes(extra, f"{path}.additionalProperties")


def _opts_out(schema: Obj) -> bool:
    return bool(
        schema.get("x-kubernetes-int-or-string")
        or schema.get("x-kubernetes-preserve-unknown-fields")
    )


# -- writing a custom resource: pruning and defaulting (decode) ------------------------------


def decode(obj: Obj, rt: ResourceType) -> tuple[Obj, list[str]]:
    """The object as apiextensions stores it: undeclared fields pruned, schema defaults
    applied, nulls of non-nullable fields dropped; also the pruned paths (for Strict/Warn)."""
    assert rt.custom is not None
    schema = rt.custom.schema or {}
    obj = copy.deepcopy(obj)
    unknown: list[str] = []
    kept = {k: obj[k] for k in _ROOT_FIELDS if k in obj}
    body = {k: v for k, v in obj.items() if k not in _ROOT_FIELDS}
    if schema.get("x-kubernetes-preserve-unknown-fields"):
        props = schema.get("properties") or {}
        pruned = {
            k: (_prune(v, props[k], k, unknown) if k in props else v) for k, v in body.items()
        }
    else:
        pruned = _prune_object(body, schema, "", unknown)
    result = {**kept, **pruned}
    _apply_defaults(result, schema, root=True)
    return result, unknown


def _prune(value: Any, schema: Obj | None, path: str, unknown: list[str]) -> Any:
    if not isinstance(schema, dict) or value is None:
        return value
    if isinstance(value, dict):
        if schema.get("x-kubernetes-embedded-resource") or schema.get(
            "x-kubernetes-preserve-unknown-fields"
        ):
            props = schema.get("properties") or {}
            if not props and not isinstance(schema.get("additionalProperties"), dict):
                return value
        return _prune_object(value, schema, path, unknown)
    if isinstance(value, list):
        items = schema.get("items") if isinstance(schema.get("items"), dict) else None
        return [_prune(v, items, f"{path}[{i}]", unknown) for i, v in enumerate(value)]
    return value


def _prune_object(value: Obj, schema: Obj, path: str, unknown: list[str]) -> Obj:
    props = schema.get("properties") or {}
    extra = schema.get("additionalProperties")
    preserve = bool(schema.get("x-kubernetes-preserve-unknown-fields"))
    embedded = bool(schema.get("x-kubernetes-embedded-resource"))
    out: Obj = {}
    for key, item in value.items():
        child = f"{path}.{key}" if path else key
        if key in props:
            out[key] = _prune(item, props[key], child, unknown)
        elif isinstance(extra, dict):
            out[key] = _prune(item, extra, child, unknown)
        elif extra is True or preserve or (embedded and key in _ROOT_FIELDS):
            out[key] = item
        else:
            unknown.append(f'unknown field "{child}"')
    return out


def _apply_defaults(value: Any, schema: Obj | None, root: bool = False) -> None:
    """Structural defaulting: missing properties get their `default`; nulls without one go."""
    if not isinstance(schema, dict):
        return
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        for key, sub in props.items():
            if not isinstance(sub, dict) or (root and key in _ROOT_FIELDS):
                continue
            if key not in value or (value[key] is None and "default" in sub):
                if "default" in sub:
                    value[key] = copy.deepcopy(sub["default"])
            elif value[key] is None and not sub.get("nullable"):
                del value[key]
            if key in value:
                _apply_defaults(value[key], sub)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            for key in [k for k in value if k not in props]:
                _apply_defaults(value[key], extra)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for item in value:
            _apply_defaults(item, schema["items"])


# -- validating a custom resource (422) -------------------------------------------------------


def schema_causes(obj: Obj, rt: ResourceType) -> Causes:
    """Validation against the CRD's openAPIV3Schema, worded as kube-openapi and
    apiextensions word it (status is validated only through /status)."""
    assert rt.custom is not None
    schema = rt.custom.schema or {}
    body = {k: v for k, v in obj.items() if k != "metadata"}
    causes: Causes = []
    _validate(body, _without_meta(schema), "", causes)
    return sorted(causes, key=lambda c: c[0])


def _without_meta(schema: Obj) -> Obj:
    props = {k: v for k, v in (schema.get("properties") or {}).items() if k != "metadata"}
    return {**schema, "properties": props} if "properties" in schema else schema


def _validate(value: Any, schema: Obj, path: str, causes: Causes) -> None:
    if not isinstance(schema, dict) or not schema:
        return
    if value is None:
        if schema.get("nullable") or not schema.get("type"):
            return
        causes.append(_type_error(path, schema["type"], "null"))
        return
    if not _type_ok(value, schema, path, causes):
        return
    for sub in schema.get("allOf") or ():
        _validate(value, sub, path, causes)
    if "enum" in schema and value not in schema["enum"]:
        values = [v if isinstance(v, str) else json.dumps(v) for v in schema["enum"]]
        shown = ", ".join(f'"{v}"' for v in values)
        causes.append(
            (_field(path), f"Unsupported value: {_show(value)}: supported values: {shown}")
        )
    if isinstance(value, str):
        _string(value, schema, path, causes)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        _number(value, schema, path, causes)
    elif isinstance(value, list):
        _array(value, schema, path, causes)
    elif isinstance(value, dict):
        _object(value, schema, path, causes)


def _type_ok(value: Any, schema: Obj, path: str, causes: Causes) -> bool:
    if schema.get("x-kubernetes-int-or-string"):
        if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
            return True
        causes.append(_type_error(path, "integer,string", _json_type(value)))
        return False
    wanted = schema.get("type")
    if not wanted:
        return True
    actual = _json_type(value)
    if actual == wanted or (wanted == "number" and actual == "integer"):
        return True
    if wanted == "integer" and isinstance(value, float) and value.is_integer():
        return True
    causes.append(_type_error(path, wanted, actual))
    return False


def _string(value: str, schema: Obj, path: str, causes: Causes) -> None:
    name = _name(path)
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        causes.append((_field(path), f"Too long: may not be more than {schema['maxLength']} bytes"))
    if "minLength" in schema and len(value) < schema["minLength"]:
        causes.append(
            _invalid_cause(
                path, value, f"{name} in {_IN} should be at least {schema['minLength']} chars long"
            )
        )
    pattern = schema.get("pattern")
    if pattern and not _matches(pattern, value):
        causes.append(_invalid_cause(path, value, f"{name} in {_IN} should match '{pattern}'"))


def _number(value: float, schema: Obj, path: str, causes: Causes) -> None:
    name = _name(path)
    if "maximum" in schema:
        limit, exclusive = schema["maximum"], bool(schema.get("exclusiveMaximum"))
        if value > limit or (exclusive and value == limit):
            rule = "less than" if exclusive else "less than or equal to"
            causes.append(
                _invalid_cause(path, value, f"{name} in {_IN} should be {rule} {_num(limit)}")
            )
    if "minimum" in schema:
        limit, exclusive = schema["minimum"], bool(schema.get("exclusiveMinimum"))
        if value < limit or (exclusive and value == limit):
            rule = "greater than" if exclusive else "greater than or equal to"
            causes.append(
                _invalid_cause(path, value, f"{name} in {_IN} should be {rule} {_num(limit)}")
            )
    factor = schema.get("multipleOf")
    if factor and (value / factor) != int(value / factor):
        causes.append(
            _invalid_cause(path, value, f"{name} in {_IN} should be a multiple of {_num(factor)}")
        )


def _array(value: list[Any], schema: Obj, path: str, causes: Causes) -> None:
    name = _name(path)
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        causes.append(
            (_field(path), f"Too many: {len(value)}: must have at most {schema['maxItems']} items")
        )
    if "minItems" in schema and len(value) < schema["minItems"]:
        causes.append(
            _invalid_cause(
                path, len(value), f"{name} in {_IN} should have at least {schema['minItems']} items"
            )
        )
    if schema.get("uniqueItems") or schema.get("x-kubernetes-list-type") == "set":
        seen = [json.dumps(v, sort_keys=True) for v in value]
        if len(set(seen)) != len(seen):
            duplicate = next(v for i, v in enumerate(value) if seen.index(seen[i]) != i)
            causes.append((_field(path), f"Duplicate value: {_show(duplicate)}"))
    items = schema.get("items")
    if isinstance(items, dict):
        for i, item in enumerate(value):
            _validate(item, items, f"{path}[{i}]", causes)


def _object(value: Obj, schema: Obj, path: str, causes: Causes) -> None:
    name = _name(path)
    for key in schema.get("required") or ():
        if key not in value:
            causes.append((_field(f"{path}.{key}" if path else key), "Required value"))
    if "maxProperties" in schema and len(value) > schema["maxProperties"]:
        causes.append(
            (
                _field(path),
                f"Too many: {len(value)}: must have at most {schema['maxProperties']} items",
            )
        )
    if "minProperties" in schema and len(value) < schema["minProperties"]:
        causes.append(
            _invalid_cause(
                path,
                len(value),
                f"{name} in {_IN} should have at least {schema['minProperties']} properties",
            )
        )
    props = schema.get("properties") or {}
    extra = schema.get("additionalProperties")
    for key, item in value.items():
        child = f"{path}.{key}" if path else key
        if key in props:
            _validate(item, props[key], child, causes)
        elif isinstance(extra, dict):
            _validate(item, extra, child, causes)


# -- message helpers -------------------------------------------------------------------------


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _name(path: str) -> str:
    """kube-openapi's name of a value: its dotted path ("." for the root)."""
    return path or "."


def _field(path: str) -> str:
    return path or "<nil>"


def _type_error(path: str, wanted: str, actual: str) -> tuple[str, str]:
    message = f'{_name(path)} in {_IN} must be of type {wanted}: "{actual}"'
    return _field(path), f'Invalid value: "{actual}": {message}'


def _invalid_cause(path: str, value: Any, message: str) -> tuple[str, str]:
    return _field(path), f"Invalid value: {_show(value)}: {message}"


def _invalid(value: str, detail: str) -> str:
    return f'Invalid value: "{value}": {detail}'


def _show(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return go_float(value)
    if isinstance(value, int):
        return str(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _num(value: float) -> str:
    return go_float(float(value)) if isinstance(value, float) else str(value)


def _matches(pattern: str, value: str) -> bool:
    """ECMA-262 patterns as Go's regexp reads them; unanchored, like JSON Schema."""
    try:
        return re.search(pattern, value) is not None
    except re.error:
        return True
