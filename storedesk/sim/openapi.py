"""The OpenAPI v3 documents the simulator publishes, shaped like a real kube-apiserver's.

Clients read them for more than documentation: helm and kubectl leave field validation to
the server when a kind's `patch` operation carries `x-kubernetes-group-version-kind` and a
`fieldValidation` parameter (cli-runtime's QueryParamVerifierV3), and client-side
`kubectl apply` takes strategic-merge keys from `components.schemas`. Each group/version
document holds the paths of its resources and only the schemas they reach, built on first
request and cached.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from functools import cache
from typing import Any

from storedesk.sim import openapi_pb, resources, schema
from storedesk.sim.resources import ResourceType

_COMPONENT_REF = "#/components/schemas/"
_META = "io.k8s.apimachinery.pkg.apis.meta.v1."
_STATUS, _DELETE_OPTIONS, _PATCH = _META + "Status", _META + "DeleteOptions", _META + "Patch"
_SCALE = "io.k8s.api.autoscaling.v1.Scale"

# The published forms of the two scalar unions (kube-openapi's OpenAPIV3OneOfTypes).
_PUBLISHED = {
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": {
        "description": "IntOrString is a type that can hold an int32 or a string.  When used in "
        "JSON or YAML marshalling and unmarshalling, it produces or consumes the "
        "inner type.  This allows you to have, for example, a JSON field that "
        "can accept a name or number.",
        "format": "int-or-string",
        "oneOf": [{"type": "integer"}, {"type": "string"}],
    },
    "io.k8s.apimachinery.pkg.api.resource.Quantity": {
        "description": "Quantity is a fixed-point representation of a number. It provides "
        "convenient marshaling/unmarshaling in JSON and YAML, in addition to "
        "String() and AsInt64() accessors.",
        "oneOf": [{"type": "string"}, {"type": "number"}],
    },
}


def _query(name: str, kind: str = "string") -> dict[str, Any]:
    return {"in": "query", "name": name, "schema": {"type": kind, "uniqueItems": True}}


def _path_param(name: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "in": "path",
        "name": name,
        "required": True,
        "schema": {"type": "string", "uniqueItems": True},
    }


_PRETTY = _query("pretty")
_NAMESPACE = _path_param("namespace", "object name and auth scope, such as for teams and projects")
_WRITE = [_query("dryRun"), _query("fieldManager"), _query("fieldValidation")]
_PATCH_PARAMS = [*_WRITE, _query("force", "boolean")]
_LIST = [
    _query("allowWatchBookmarks", "boolean"),
    _query("continue"),
    _query("fieldSelector"),
    _query("labelSelector"),
    _query("limit", "integer"),
    _query("resourceVersion"),
    _query("resourceVersionMatch"),
    _query("sendInitialEvents", "boolean"),
    _query("timeoutSeconds", "integer"),
    _query("watch", "boolean"),
]
_DELETE = [
    _query("dryRun"),
    _query("gracePeriodSeconds", "integer"),
    _query("ignoreStoreReadErrorWithClusterBreakingPotential", "boolean"),
    _query("orphanDependents", "boolean"),
    _query("propagationPolicy"),
]
_DELETE_COLLECTION = sorted(
    [*_DELETE, *(p for p in _LIST if p["name"] not in ("allowWatchBookmarks", "watch"))],
    key=lambda p: p["name"],
)
_LOG = [
    _query("container"),
    _query("follow", "boolean"),
    _query("insecureSkipTLSVerifyBackend", "boolean"),
    _query("limitBytes", "integer"),
    _query("previous", "boolean"),
    _query("sinceSeconds", "integer"),
    _query("stream"),
    _query("tailLines", "integer"),
    _query("timestamps", "boolean"),
]
_PATCH_TYPES = (
    "application/apply-patch+cbor",
    "application/apply-patch+yaml",
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
)
_MEDIA = (
    "application/cbor",
    "application/json",
    "application/vnd.kubernetes.protobuf",
    "application/yaml",
)
_STREAMS = (
    "application/cbor-seq",
    "application/json;stream=watch",
    "application/vnd.kubernetes.protobuf;stream=watch",
)


def _ref(name: str) -> dict[str, str]:
    return {"$ref": _COMPONENT_REF + name}


def _responses(
    definition: str, codes: tuple[tuple[str, str], ...], media: tuple[str, ...] = _MEDIA
) -> dict[str, Any]:
    content = {m: {"schema": _ref(definition)} for m in sorted(media)}
    answers: dict[str, Any] = {
        code: {"content": content, "description": text} for code, text in codes
    }
    answers["401"] = {"description": "Unauthorized"}
    return answers


_OK = (("200", "OK"),)
_CREATED = (("200", "OK"), ("201", "Created"), ("202", "Accepted"))
_REPLACED = (("200", "OK"), ("201", "Created"))
_DELETED = (("200", "OK"), ("202", "Accepted"))


def _operation_prefix(rt: ResourceType) -> tuple[str, str]:
    """`AppsV1` / `RbacAuthorizationV1` (operationId infix) and `apps_v1` (tag)."""
    parts = rt.group.removesuffix(".k8s.io").split(".") if rt.group else ["core"]
    camel = "".join(p[:1].upper() + p[1:] for p in parts)
    return camel + rt.version.capitalize(), camel[:1].lower() + camel[1:] + "_" + rt.version


class _Builder:
    """Builds one group/version document from the served types and the schema index (or,
    for custom resources, their CRD's schema)."""

    def __init__(self, group: str, version: str, types: resources.Registry) -> None:
        self.index = schema.load()
        self.group, self.version = group, version
        self.types = types
        self.paths: dict[str, Any] = {}
        self.roots: set[str] = {_STATUS, _DELETE_OPTIONS, _PATCH, _META + "APIResourceList"}
        self.custom: dict[str, Any] = {}  # published definitions of custom resources

    def build(self) -> dict[str, Any]:
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        types = self.types.by_group_version(self.group, self.version)
        if not types:
            raise KeyError(f"no resources in {self.group or 'core'}/{self.version}")
        infix, tag = _operation_prefix(types[0])
        self.paths[base + "/"] = {
            "get": {
                "description": "get available resources",
                "operationId": f"get{infix}APIResources",
                "responses": _responses(_META + "APIResourceList", _OK),
                "tags": [tag],
            }
        }
        for rt in types:
            self._resource(rt, base)
        return {
            "components": {
                "schemas": self._schemas(),
                "securitySchemes": {
                    "BearerToken": {
                        "description": "Bearer Token authentication",
                        "in": "header",
                        "name": "authorization",
                        "type": "apiKey",
                    }
                },
            },
            "info": {"title": "Kubernetes", "version": "unversioned"},
            "openapi": "3.0.0",
            "paths": dict(sorted(self.paths.items())),
        }

    def _definitions(self, rt: ResourceType) -> tuple[str, str]:
        """The names of a type's object and list schemas (a CRD's are published here)."""
        if rt.custom is not None:
            custom_kind, custom_list = custom_definition_names(rt)
            self.custom[custom_kind], self.custom[custom_list] = _custom_definitions(rt)
            return custom_kind, custom_list
        kind_def = self.index.name_for(rt.group, rt.version, rt.kind)
        list_def = self.index.name_for(rt.group, rt.version, rt.list_kind)
        if kind_def is None or list_def is None:
            raise KeyError(f"no schema for {rt.group_version} {rt.kind}")
        return kind_def, list_def

    def _create_only(self, rt: ResourceType, base: str) -> None:
        """A review API: POST only, answered and never stored."""
        kind_def = self.index.name_for(rt.group, rt.version, rt.kind)
        if kind_def is None:
            raise KeyError(f"no schema for {rt.group_version} {rt.kind}")
        self.roots.add(kind_def)
        infix, tag = _operation_prefix(rt)
        whole = {"content": {"*/*": {"schema": _ref(kind_def)}}, "required": True}
        self.paths[f"{base}/{rt.plural}"] = {
            "parameters": [*_WRITE, _PRETTY],
            "post": {
                "description": f"create a {rt.kind}",
                "operationId": f"create{infix}{rt.kind}",
                "requestBody": whole,
                "responses": _responses(kind_def, _CREATED),
                "tags": [tag],
                "x-kubernetes-action": "post",
                "x-kubernetes-group-version-kind": {
                    "group": rt.group,
                    "kind": rt.kind,
                    "version": rt.version,
                },
            },
        }

    def _resource(self, rt: ResourceType, base: str) -> None:
        if rt.verbs == resources.CREATE_ONLY:
            self._create_only(rt, base)
            return
        kind_def, list_def = self._definitions(rt)
        self.roots |= {kind_def, list_def}
        infix, tag = _operation_prefix(rt)
        scope = "Namespaced" if rt.namespaced else ""
        gvk = {"group": rt.group, "kind": rt.kind, "version": rt.version}

        def op(
            op_id: str,
            action: str,
            text: str,
            params: list[dict[str, Any]],
            responses: dict[str, Any],
            body: dict[str, Any] | None = None,
            kind: dict[str, str] = gvk,
        ) -> dict[str, Any]:
            operation: dict[str, Any] = {"description": text, "operationId": op_id}
            if params:
                operation["parameters"] = params
            if body is not None:
                operation["requestBody"] = body
            operation.update(
                {
                    "responses": responses,
                    "tags": [tag],
                    "x-kubernetes-action": action,
                    "x-kubernetes-group-version-kind": kind,
                }
            )
            return operation

        name = f"{infix}{scope}{rt.kind}"  # e.g. AppsV1NamespacedDeployment
        whole = {"content": {"*/*": {"schema": _ref(kind_def)}}, "required": True}
        patch_body = {
            "content": {t: {"schema": _ref(_PATCH)} for t in _PATCH_TYPES},
            "required": True,
        }
        delete_body = {"content": {"*/*": {"schema": _ref(_DELETE_OPTIONS)}}}
        collection = (
            f"{base}/namespaces/{{namespace}}/{rt.plural}"
            if rt.namespaced
            else f"{base}/{rt.plural}"
        )
        scope_params = [_NAMESPACE, _PRETTY] if rt.namespaced else [_PRETTY]
        lists = _responses(list_def, _OK, _MEDIA + _STREAMS)
        item = {
            "delete": op(
                f"delete{name}",
                "delete",
                f"delete a {rt.kind}",
                _DELETE,
                _responses(_STATUS, _DELETED),
                delete_body,
            ),
            "get": op(
                f"read{name}", "get", f"read the specified {rt.kind}", [], _responses(kind_def, _OK)
            ),
            "parameters": [_path_param("name", f"name of the {rt.kind}"), *scope_params],
            "patch": op(
                f"patch{name}",
                "patch",
                f"partially update the specified {rt.kind}",
                _PATCH_PARAMS,
                _responses(kind_def, _REPLACED),
                patch_body,
            ),
            "put": op(
                f"replace{name}",
                "put",
                f"replace the specified {rt.kind}",
                _WRITE,
                _responses(kind_def, _REPLACED),
                whole,
            ),
        }
        self.paths[f"{collection}/{{name}}"] = item
        listing = {
            "get": op(
                f"list{name}", "list", f"list or watch objects of kind {rt.kind}", _LIST, lists
            ),
            "parameters": scope_params,
            "post": op(
                f"create{name}",
                "post",
                f"create a {rt.kind}",
                _WRITE,
                _responses(kind_def, _CREATED),
                whole,
            ),
        }
        if "deletecollection" in rt.verbs:
            listing["delete"] = op(
                f"delete{infix}Collection{scope}{rt.kind}",
                "deletecollection",
                f"delete collection of {rt.kind}",
                _DELETE_COLLECTION,
                _responses(_STATUS, _OK),
                delete_body,
            )
        self.paths[collection] = dict(sorted(listing.items()))
        if rt.namespaced:
            self.paths[f"{base}/{rt.plural}"] = {
                "get": op(
                    f"list{infix}{rt.kind}ForAllNamespaces",
                    "list",
                    f"list or watch objects of kind {rt.kind}",
                    [],
                    lists,
                ),
                "parameters": [*_LIST, _PRETTY],
            }
        for sub in rt.subresources:
            self._subresource(
                rt,
                sub,
                f"{collection}/{{name}}/{sub}",
                op,
                name,
                kind_def,
                patch_body,
                scope_params,
            )

    def _subresource(
        self,
        rt: ResourceType,
        sub: str,
        path: str,
        op: Any,
        name: str,
        kind_def: str,
        patch_body: dict[str, Any],
        scope_params: list[dict[str, Any]],
    ) -> None:
        params = [
            _path_param("name", f"name of the {'Scale' if sub == 'scale' else rt.kind}"),
            *scope_params,
        ]
        title = sub.capitalize()
        if sub in ("status", "scale"):
            definition = kind_def if sub == "status" else _SCALE
            kind = (
                {"group": rt.group, "kind": rt.kind, "version": rt.version}
                if sub == "status"
                else {"group": "autoscaling", "kind": "Scale", "version": "v1"}
            )
            self.roots.add(definition)
            whole = {"content": {"*/*": {"schema": _ref(definition)}}, "required": True}
            self.paths[path] = {
                "get": op(
                    f"read{name}{title}",
                    "get",
                    f"read {sub} of the specified {rt.kind}",
                    [],
                    _responses(definition, _OK),
                    kind=kind,
                ),
                "parameters": params,
                "patch": op(
                    f"patch{name}{title}",
                    "patch",
                    f"partially update {sub} of the specified {rt.kind}",
                    _PATCH_PARAMS,
                    _responses(definition, _REPLACED),
                    patch_body,
                    kind=kind,
                ),
                "put": op(
                    f"replace{name}{title}",
                    "put",
                    f"replace {sub} of the specified {rt.kind}",
                    _WRITE,
                    _responses(definition, _REPLACED),
                    whole,
                    kind=kind,
                ),
            }
        elif sub == "finalize":
            whole = {"content": {"*/*": {"schema": _ref(kind_def)}}, "required": True}
            self.paths[path] = {
                "parameters": params,
                "put": op(
                    f"replace{name}{title}",
                    "put",
                    f"replace finalize of the specified {rt.kind}",
                    _WRITE,
                    _responses(kind_def, _REPLACED),
                    whole,
                ),
            }
        elif sub == "log":
            self.paths[path] = {
                "get": op(
                    f"read{name}{title}",
                    "get",
                    f"read log of the specified {rt.kind}",
                    _LOG,
                    {
                        "200": {
                            "content": {"text/plain": {"schema": {"type": "string"}}},
                            "description": "OK",
                        },
                        "401": {"description": "Unauthorized"},
                    },
                ),
                "parameters": params,
            }

    def _schemas(self) -> dict[str, Any]:
        """Every schema the document's roots reach, converted to the published v3 form."""
        found: dict[str, Any] = dict(self.custom)
        pending = sorted(self.roots | {r for d in self.custom.values() for r in _refs(d)})
        while pending:
            name = pending.pop()
            if name in found:
                continue
            found[name], refs = _published(name)
            pending.extend(refs - found.keys())
        return dict(sorted(found.items()))


_API_VERSION_DOC = (
    "APIVersion defines the versioned schema of this representation of an object. Servers "
    "should convert recognized schemas to the latest internal value, and may reject "
    "unrecognized values. More info: https://git.k8s.io/community/contributors/devel/"
    "sig-architecture/api-conventions.md#resources"
)
_KIND_DOC = (
    "Kind is a string value representing the REST resource this object represents. Servers "
    "may infer this from the endpoint the client submits requests to. Cannot be updated. In "
    "CamelCase. More info: https://git.k8s.io/community/contributors/devel/"
    "sig-architecture/api-conventions.md#types-kinds"
)


def custom_definition_names(rt: ResourceType) -> tuple[str, str]:
    """`com.example.v1.Widget` and `...WidgetList`: a CRD's schemas, reversed-group named."""
    prefix = ".".join(reversed(rt.group.split("."))) + f".{rt.version}."
    return prefix + rt.kind, prefix + rt.list_kind


def _custom_definitions(rt: ResourceType) -> tuple[dict[str, Any], dict[str, Any]]:
    """The object and list schemas of a custom resource, as the CRD OpenAPI builder
    publishes them: the CRD's schema with type meta and a reference to ObjectMeta."""
    assert rt.custom is not None
    kind_def, _ = custom_definition_names(rt)
    body = json.loads(json.dumps(rt.custom.schema or {}))
    properties = body.setdefault("properties", {})
    properties["apiVersion"] = {"description": _API_VERSION_DOC, "type": "string"}
    properties["kind"] = {"description": _KIND_DOC, "type": "string"}
    properties["metadata"] = {
        "allOf": [_ref(_META + "ObjectMeta")],
        "description": "Standard object's metadata. More info: https://git.k8s.io/community/"
        "contributors/devel/sig-architecture/api-conventions.md#metadata",
    }
    body["properties"] = dict(sorted(properties.items()))
    body["type"] = "object"
    body["x-kubernetes-group-version-kind"] = [
        {"group": rt.group, "kind": rt.kind, "version": rt.version}
    ]
    listing = {
        "description": f"{rt.kind}List is a list of {rt.kind}",
        "properties": {
            "apiVersion": properties["apiVersion"],
            "items": {
                "description": f"List of {rt.plural}. More info: https://git.k8s.io/"
                "community/contributors/devel/sig-architecture/api-conventions.md",
                "items": _ref(kind_def),
                "type": "array",
            },
            "kind": properties["kind"],
            "metadata": {
                "allOf": [_ref(_META + "ListMeta")],
                "description": "Standard list metadata. More info: https://git.k8s.io/"
                "community/contributors/devel/sig-architecture/api-conventions.md#types-kinds",
            },
        },
        "required": ["items"],
        "type": "object",
        "x-kubernetes-group-version-kind": [
            {"group": rt.group, "kind": rt.list_kind, "version": rt.version}
        ],
    }
    return body, listing


@cache
def _published(name: str) -> tuple[dict[str, Any], frozenset[str]]:
    """One definition in its published form, and the definitions it references (cached)."""
    converted = _PUBLISHED.get(name) or _convert(schema.load().definitions[name], name)
    return converted, frozenset(_refs(converted))


def _convert(node: Any, owner: str = "") -> Any:
    """kubernetes-validate's strict JSON Schema -> the form kube-apiserver publishes."""
    if isinstance(node, list):
        return [_convert(v) for v in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "$ref":
            out[key] = _COMPONENT_REF + schema.ref_name(value)
        elif key == "type":
            types = schema.types_of(node)
            if types:
                out[key] = next(iter(types)) if len(types) == 1 else sorted(types)
        elif key == "additionalProperties" and value is False:
            continue  # the strict variant's addition; real documents leave objects open
        elif key == "properties":
            out[key] = {name: _property(name, sub, owner) for name, sub in value.items()}
        elif key in ("x-kubernetes-group-version-kind", "enum", "required", "default"):
            out[key] = value
        else:
            out[key] = _convert(value)
    if "$ref" in out and len(out) > 1:
        # a described reference is published as allOf, as kube-openapi does
        out = {"allOf": [{"$ref": out.pop("$ref")}], **out}
    return out


def _property(name: str, sub: dict[str, Any], owner: str) -> Any:
    converted = _convert(sub)
    if owner and name in ("apiVersion", "kind"):
        converted.pop("enum", None)  # kubernetes-validate pins these; servers do not
    return converted


def _refs(node: Any) -> set[str]:
    """Definition names referenced anywhere in a converted schema."""
    text = json.dumps(node)
    return set(re.findall(re.escape(_COMPONENT_REF) + r'([^"]+)"', text))


_BUILT_IN = resources.Registry()  # no CRDs: what callers without a registry see


def v3_document(group: str, version: str, types: resources.Registry | None = None) -> bytes:
    """The JSON document served at /openapi/v3/api/v1 or /openapi/v3/apis/GROUP/VERSION."""
    types = types or _BUILT_IN
    custom = [rt for rt in types.by_group_version(group, version) if rt.custom is not None]
    if not custom:
        return _built_in_document(group, version)
    return _custom_document(group, version, types, _fingerprint(custom))


@cache
def _built_in_document(group: str, version: str) -> bytes:
    return json.dumps(_Builder(group, version, _BUILT_IN).build(), separators=(",", ":")).encode()


_custom_cache: dict[tuple[str, str, str], bytes] = {}
_custom_lock = threading.Lock()


def _custom_document(
    group: str, version: str, types: resources.Registry, fingerprint: str
) -> bytes:
    """A custom group/version's document, rebuilt only when one of its CRDs changed."""
    key = (group, version, fingerprint)
    with _custom_lock:
        cached = _custom_cache.get(key)
    if cached is None:
        cached = json.dumps(_Builder(group, version, types).build(), separators=(",", ":")).encode()
        with _custom_lock:
            if len(_custom_cache) > 256:
                _custom_cache.clear()
            _custom_cache[key] = cached
    return cached


def _fingerprint(types: list[ResourceType]) -> str:
    assert all(rt.custom is not None for rt in types)
    data = [
        (rt.plural, rt.kind, rt.namespaced, rt.subresources, rt.custom.schema)  # type: ignore[union-attr]
        for rt in types
    ]
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def document_hash(group: str, version: str, types: resources.Registry | None = None) -> str:
    """The hash clients see in the index (SHA-512, upper-case hex, as the real server uses)."""
    return hashlib.sha512(v3_document(group, version, types)).hexdigest().upper()


@cache
def _built_in_index() -> str:
    return json.dumps(_index_paths(_BUILT_IN, _BUILT_IN.group_versions()))


def _index_paths(types: resources.Registry, versions: list[tuple[str, str]]) -> dict[str, Any]:
    paths = {}
    for group, version in versions:
        key = f"apis/{group}/{version}" if group else f"api/{version}"
        url = f"/openapi/v3/{key}?hash={document_hash(group, version, types)}"
        paths[key] = {"serverRelativeURL": url}
    return paths


def v3_index(types: resources.Registry | None = None) -> dict[str, Any]:
    """The body of GET /openapi/v3: each group/version's document URL with its hash."""
    paths = json.loads(_built_in_index())
    if types is not None:
        built_in = set(_BUILT_IN.group_versions())
        extra = [gv for gv in types.group_versions() if gv not in built_in]
        paths.update(_index_paths(types, extra))
    return {"paths": paths}


# -- /openapi/v2 ---------------------------------------------------------------------------

_V2_REF = "#/definitions/"
# Swagger 2 has no oneOf: the two scalar unions publish as annotated strings there.
_V2_SCALARS = {
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": {"format": "int-or-string"},
    "io.k8s.apimachinery.pkg.api.resource.Quantity": {},
}


def v2_document(types: resources.Registry | None = None) -> bytes:
    """GET /openapi/v2 as JSON: the same paths and schemas in Swagger 2.0 form."""
    types = types or _BUILT_IN
    custom = [rt for rt in types.all() if rt.custom is not None]
    if not custom:
        return _built_in_v2()
    return _v2(types)


@cache
def _built_in_v2() -> bytes:
    return _v2(_BUILT_IN)


def _v2(types: resources.Registry) -> bytes:
    paths: dict[str, Any] = {}
    definitions: dict[str, Any] = {}
    for group, version in types.group_versions():
        doc = json.loads(v3_document(group, version, types))
        for path, item in doc["paths"].items():
            paths[path] = {
                k: (_v2_operation(v) if isinstance(v, dict) and "responses" in v else v)
                for k, v in item.items()
            }
            if "parameters" in paths[path]:
                paths[path]["parameters"] = [_v2_parameter(x) for x in item["parameters"]]
        for name, definition in doc["components"]["schemas"].items():
            definitions[name] = _v2_schema(name, definition)
    body = {
        "definitions": dict(sorted(definitions.items())),
        "info": {"title": "Kubernetes", "version": "v1.35.0"},
        "paths": dict(sorted(paths.items())),
        "security": [{"BearerToken": []}],
        "securityDefinitions": {
            "BearerToken": {
                "description": "Bearer Token authentication",
                "in": "header",
                "name": "authorization",
                "type": "apiKey",
            }
        },
        "swagger": "2.0",
    }
    return json.dumps(body, separators=(",", ":")).encode()


def _v2_schema(name: str, node: Any) -> Any:
    if name in _V2_SCALARS:
        return {"description": node.get("description", ""), "type": "string", **_V2_SCALARS[name]}
    return _v2_node(node)


def _v2_node(node: Any) -> Any:
    if isinstance(node, list):
        return [_v2_node(v) for v in node]
    if not isinstance(node, dict):
        return node
    if "allOf" in node and len(node["allOf"]) == 1 and "$ref" in node["allOf"][0]:
        node = {**{k: v for k, v in node.items() if k != "allOf"}, **node["allOf"][0]}
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "$ref" and isinstance(value, str):
            out[key] = value.replace(_COMPONENT_REF, _V2_REF)
        elif key == "properties" and isinstance(value, dict):
            out[key] = {k: _v2_node(v) for k, v in value.items()}
        else:
            out[key] = _v2_node(value)
    return out


def _v2_parameter(param: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in param.items() if k != "schema"}
    out.update(param.get("schema", {}))
    return out


def _v2_operation(op: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    body = op.get("requestBody")
    consumes = sorted(body["content"]) if body else ["*/*"]
    responses = {}
    produces: set[str] = set()
    for code, answer in op["responses"].items():
        entry: dict[str, Any] = {"description": answer["description"]}
        content = answer.get("content") or {}
        produces.update(content)
        if content:
            entry["schema"] = _v2_node(next(iter(content.values()))["schema"])
        responses[code] = entry
    params = [_v2_parameter(x) for x in op.get("parameters", [])]
    if body:
        schema_ = _v2_node(next(iter(body["content"].values()))["schema"])
        params.insert(0, {"in": "body", "name": "body", "required": True, "schema": schema_})
    out["consumes"] = consumes
    out["description"] = op["description"]
    out["operationId"] = op["operationId"]
    if params:
        out["parameters"] = params
    out["produces"] = sorted(produces)
    out["responses"] = responses
    out["schemes"] = ["https"]
    for key in ("tags", "x-kubernetes-action", "x-kubernetes-group-version-kind"):
        if key in op:
            out[key] = op[key]
    return out


PROTOBUF_V2 = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
# What kube-openapi's handler offers, in its order: JSON, then the two protobuf spellings.
_V2_OFFERS = (
    ("application", "json", "application/json"),
    ("application", "com.github.proto-openapi.spec.v2@v1.0+protobuf", PROTOBUF_V2),
    ("application", "com.github.proto-openapi.spec.v2.v1.0+protobuf", PROTOBUF_V2),
)


def v2_media(accept: str) -> str | None:
    """The media type to answer GET /openapi/v2 with, negotiated as kube-openapi does:
    the Accept clauses by quality, each against JSON then protobuf (`*/*` gets JSON);
    None means 406 Not Acceptable."""
    clauses = []
    for position, part in enumerate((accept or "*/*").split(",")):
        media, *params = (p.strip() for p in part.split(";"))
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        kind, _, sub = media.partition("/")
        clauses.append((-quality, position, kind, sub))
    for quality, _, kind, sub in sorted(clauses):
        if quality >= 0:
            continue
        for offer_kind, offer_sub, content_type in _V2_OFFERS:
            if kind in (offer_kind, "*") and sub in (offer_sub, "*"):
                return content_type
    return None


def v2_body(types: resources.Registry | None, media: str) -> bytes:
    """The /openapi/v2 document in the negotiated encoding."""
    if media != PROTOBUF_V2:
        return v2_document(types)
    if not any(rt.custom is not None for rt in (types or _BUILT_IN).all()):
        return _built_in_v2_protobuf()
    return openapi_pb.document(json.loads(v2_document(types)))


@cache
def _built_in_v2_protobuf() -> bytes:
    return openapi_pb.document(json.loads(_built_in_v2()))
