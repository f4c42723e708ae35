"""Kubernetes protobuf request bodies (application/vnd.kubernetes.protobuf) as JSON-form dicts.

Helm's storage driver POSTs and PUTs its release Secrets this way, and client-go sends
DeleteOptions on DELETE the same way. A body is `k8s\\0` and a runtime.Unknown
{1 typeMeta{1 apiVersion, 2 kind}, 2 raw, 3 contentEncoding, 4 contentType}; raw is the typed
object. Field numbers follow k8s.io/api/core/v1 and apimachinery meta/v1 generated.proto.
The result is the dict the JSON form of the same object gives: empty omitempty fields are
left out, pointers kept when present, timestamps in RFC 3339, bytes in base64.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from storedesk.sim.errors import ApiError, bad_request

MAGIC = b"k8s\x00"
_MAGIC_TEXT = "[107 56 115 0]"
_UNSUPPORTED = (
    "the body of the request was in an unknown format - accepted media types "
    "include: application/json, application/yaml"
)
_GO_NAMES = {"uid": "UID", "apiVersion": "APIVersion"}


class ProtoError(Exception):
    """A body the generated Go unmarshalers would reject; the text is theirs."""


class _Unmodelled(Exception):
    """A field this decoder does not model: refusing beats silently dropping it."""


@dataclass(frozen=True)
class _Field:
    name: str
    kind: str  # string, bytes (base64), raw, int, bool, time, quantity, intstr, message, map
    message: _Message | None = None
    repeated: bool = False
    values: str = "string"  # map value kind
    presence: str = "omitempty"  # omitempty: zero left out; pointer: kept if sent; always
    inline: bool = False  # an embedded struct: its fields sit in the parent's JSON object


@dataclass(frozen=True)
class _Message:
    go_name: str
    fields: dict[int, _Field] = field(default_factory=dict)
    skip: frozenset[int] = frozenset()  # known fields the JSON form does not need


def _s(name: str, presence: str = "omitempty") -> _Field:
    return _Field(name, "string", presence=presence)


def _i(name: str, presence: str = "omitempty") -> _Field:
    return _Field(name, "int", presence=presence)


def _b(name: str, presence: str = "omitempty") -> _Field:
    return _Field(name, "bool", presence=presence)


def _m(name: str, message: _Message, presence: str = "always") -> _Field:
    """A struct field (JSON always shows a struct) or, with presence="pointer", a pointer."""
    return _Field(name, "message", message, presence=presence)


def _list(name: str, message: _Message | None = None) -> _Field:
    return _Field(name, "message" if message else "string", message, repeated=True)


def _map(name: str, values: str = "string") -> _Field:
    return _Field(name, "map", values=values)


def _msg(go_name: str, fields: dict[int, _Field], skip: tuple[int, ...] = ()) -> _Message:
    return _Message(go_name, fields, frozenset(skip))


# k8s.io/apimachinery runtime and meta/v1 --------------------------------------------------------
_TYPE_META = _msg("TypeMeta", {1: _s("apiVersion"), 2: _s("kind")})
_UNKNOWN = _msg(
    "Unknown",
    {
        1: _m("typeMeta", _TYPE_META),
        2: _Field("raw", "raw"),
        3: _s("contentEncoding"),
        4: _s("contentType"),
    },
)
_TIMESTAMP = _msg("Timestamp", {1: _i("seconds"), 2: _i("nanos")})
_QUANTITY = _msg("Quantity", {1: _s("string", "always")})
_INT_OR_STRING = _msg(
    "IntOrString", {1: _i("type", "always"), 2: _i("intVal", "always"), 3: _s("strVal", "always")}
)
_OWNER_REFERENCE = _msg(
    "OwnerReference",
    {
        5: _s("apiVersion", "always"),
        1: _s("kind", "always"),
        3: _s("name", "always"),
        4: _s("uid", "always"),
        6: _b("controller", "pointer"),
        7: _b("blockOwnerDeletion", "pointer"),
    },
)
_OBJECT_META = _msg(
    "ObjectMeta",
    {
        1: _s("name"),
        2: _s("generateName"),
        3: _s("namespace"),
        4: _s("selfLink"),
        5: _s("uid"),
        6: _s("resourceVersion"),
        7: _i("generation"),
        # Since 1.34 metav1.Time is omitzero: a zero creationTimestamp is left out, not null.
        8: _Field("creationTimestamp", "time"),
        9: _Field("deletionTimestamp", "time", presence="pointer"),
        10: _i("deletionGracePeriodSeconds", "pointer"),
        11: _map("labels"),
        12: _map("annotations"),
        13: _list("ownerReferences", _OWNER_REFERENCE),
        14: _list("finalizers"),
    },
    skip=(15, 16, 17),
)  # clusterName and initializers (removed), managedFields (server-set)
_METADATA = _m("metadata", _OBJECT_META)
_LABEL_SELECTOR = _msg(
    "LabelSelector",
    {
        1: _map("matchLabels"),
        2: _list(
            "matchExpressions",
            _msg(
                "LabelSelectorRequirement",
                {1: _s("key", "always"), 2: _s("operator", "always"), 3: _list("values")},
            ),
        ),
    },
)
_DELETE_OPTIONS = _msg(
    "DeleteOptions",
    {
        1: _i("gracePeriodSeconds", "pointer"),
        2: _m(
            "preconditions",
            _msg("Preconditions", {1: _s("uid", "pointer"), 2: _s("resourceVersion", "pointer")}),
            "pointer",
        ),
        3: _b("orphanDependents", "pointer"),
        4: _s("propagationPolicy", "pointer"),
        5: _list("dryRun"),
        6: _b("ignoreStoreReadErrorWithClusterBreakingPotential", "pointer"),
    },
)

# core/v1: what `kubectl create` and `kubectl run` send ---------------------------------------
_LOCAL_REF = _msg("LocalObjectReference", {1: _s("name")})
_INLINE_REF = _Field("localObjectReference", "message", _LOCAL_REF, presence="always", inline=True)
_KEY_SELECTOR = _msg(
    "KeySelector", {1: _INLINE_REF, 2: _s("key", "always"), 3: _b("optional", "pointer")}
)
_ENV_VAR = _msg(
    "EnvVar",
    {
        1: _s("name", "always"),
        2: _s("value"),
        3: _m(
            "valueFrom",
            _msg(
                "EnvVarSource",
                {
                    1: _m(
                        "fieldRef",
                        _msg(
                            "ObjectFieldSelector",
                            {1: _s("apiVersion"), 2: _s("fieldPath", "always")},
                        ),
                        "pointer",
                    ),
                    3: _m("configMapKeyRef", _KEY_SELECTOR, "pointer"),
                    4: _m("secretKeyRef", _KEY_SELECTOR, "pointer"),
                },
            ),
            "pointer",
        ),
    },
)
_ENV_SOURCE = _msg("EnvSource", {1: _INLINE_REF, 2: _b("optional", "pointer")})
_CONTAINER = _msg(
    "Container",
    {
        1: _s("name", "always"),
        2: _s("image"),
        3: _list("command"),
        4: _list("args"),
        5: _s("workingDir"),
        6: _list(
            "ports",
            _msg(
                "ContainerPort",
                {
                    1: _s("name"),
                    2: _i("hostPort"),
                    3: _i("containerPort", "always"),
                    4: _s("protocol"),
                    5: _s("hostIP"),
                },
            ),
        ),
        7: _list("env", _ENV_VAR),
        19: _list(
            "envFrom",
            _msg(
                "EnvFromSource",
                {
                    1: _s("prefix"),
                    2: _m("configMapRef", _ENV_SOURCE, "pointer"),
                    3: _m("secretRef", _ENV_SOURCE, "pointer"),
                },
            ),
        ),
        8: _m(
            "resources",
            _msg(
                "ResourceRequirements",
                {1: _map("limits", "quantity"), 2: _map("requests", "quantity")},
            ),
        ),
        9: _list(
            "volumeMounts",
            _msg(
                "VolumeMount",
                {
                    1: _s("name", "always"),
                    2: _b("readOnly"),
                    3: _s("mountPath", "always"),
                    4: _s("subPath"),
                    5: _s("mountPropagation", "pointer"),
                    6: _s("subPathExpr"),
                },
            ),
        ),
        13: _s("terminationMessagePath"),
        20: _s("terminationMessagePolicy"),
        14: _s("imagePullPolicy"),
        16: _b("stdin"),
        17: _b("stdinOnce"),
        18: _b("tty"),
    },
)
_POD_SPEC = _msg(
    "PodSpec",
    {
        20: _list("initContainers", _CONTAINER),
        2: _list("containers", _CONTAINER),
        3: _s("restartPolicy"),
        4: _i("terminationGracePeriodSeconds", "pointer"),
        5: _i("activeDeadlineSeconds", "pointer"),
        6: _s("dnsPolicy"),
        7: _map("nodeSelector"),
        8: _s("serviceAccountName"),
        9: _s("serviceAccount"),
        21: _b("automountServiceAccountToken", "pointer"),
        10: _s("nodeName"),
        11: _b("hostNetwork"),
        12: _b("hostPID"),
        13: _b("hostIPC"),
        15: _list("imagePullSecrets", _LOCAL_REF),
        16: _s("hostname"),
        17: _s("subdomain"),
        19: _s("schedulerName"),
        22: _list(
            "tolerations",
            _msg(
                "Toleration",
                {
                    1: _s("key"),
                    2: _s("operator"),
                    3: _s("value"),
                    4: _s("effect"),
                    5: _i("tolerationSeconds", "pointer"),
                },
            ),
        ),
        24: _s("priorityClassName"),
        25: _i("priority", "pointer"),
        30: _b("enableServiceLinks", "pointer"),
        31: _s("preemptionPolicy", "pointer"),
    },
)
_POD_TEMPLATE = _msg("PodTemplateSpec", {1: _METADATA, 2: _m("spec", _POD_SPEC)})
_SERVICE_SPEC = _msg(
    "ServiceSpec",
    {
        1: _list(
            "ports",
            _msg(
                "ServicePort",
                {
                    1: _s("name"),
                    2: _s("protocol"),
                    6: _s("appProtocol", "pointer"),
                    3: _i("port", "always"),
                    4: _Field("targetPort", "intstr", presence="always"),
                    5: _i("nodePort"),
                },
            ),
        ),
        2: _map("selector"),
        3: _s("clusterIP"),
        18: _list("clusterIPs"),
        4: _s("type"),
        5: _list("externalIPs"),
        7: _s("sessionAffinity"),
        8: _s("loadBalancerIP"),
        9: _list("loadBalancerSourceRanges"),
        10: _s("externalName"),
        11: _s("externalTrafficPolicy"),
        12: _i("healthCheckNodePort"),
        13: _b("publishNotReadyAddresses"),
        14: _m(
            "sessionAffinityConfig",
            _msg(
                "SessionAffinityConfig",
                {
                    1: _m(
                        "clientIP",
                        _msg("ClientIPConfig", {1: _i("timeoutSeconds", "pointer")}),
                        "pointer",
                    )
                },
            ),
            "pointer",
        ),
        19: _list("ipFamilies"),
        17: _s("ipFamilyPolicy", "pointer"),
        20: _b("allocateLoadBalancerNodePorts", "pointer"),
        21: _s("loadBalancerClass", "pointer"),
        22: _s("internalTrafficPolicy", "pointer"),
        23: _s("trafficDistribution", "pointer"),
    },
)

# apps, batch, networking, policy, rbac ---------------------------------------------------------


def _intstr_pointer(name: str) -> _Field:
    """A *intstr.IntOrString field."""
    return _Field(name, "intstr", presence="pointer")


_DEPLOYMENT_SPEC = _msg(
    "DeploymentSpec",
    {
        1: _i("replicas", "pointer"),
        2: _m("selector", _LABEL_SELECTOR, "pointer"),
        3: _m("template", _POD_TEMPLATE),
        4: _m(
            "strategy",
            _msg(
                "DeploymentStrategy",
                {
                    1: _s("type"),
                    2: _m(
                        "rollingUpdate",
                        _msg(
                            "RollingUpdateDeployment",
                            {
                                1: _intstr_pointer("maxUnavailable"),
                                2: _intstr_pointer("maxSurge"),
                            },
                        ),
                        "pointer",
                    ),
                },
            ),
        ),
        5: _i("minReadySeconds"),
        6: _i("revisionHistoryLimit", "pointer"),
        7: _b("paused"),
        9: _i("progressDeadlineSeconds", "pointer"),
    },
)
_JOB_SPEC = _msg(
    "JobSpec",
    {
        1: _i("parallelism", "pointer"),
        2: _i("completions", "pointer"),
        3: _i("activeDeadlineSeconds", "pointer"),
        7: _i("backoffLimit", "pointer"),
        12: _i("backoffLimitPerIndex", "pointer"),
        13: _i("maxFailedIndexes", "pointer"),
        4: _m("selector", _LABEL_SELECTOR, "pointer"),
        5: _b("manualSelector", "pointer"),
        6: _m("template", _POD_TEMPLATE),
        8: _i("ttlSecondsAfterFinished", "pointer"),
        9: _s("completionMode", "pointer"),
        10: _b("suspend", "pointer"),
        14: _s("podReplacementPolicy", "pointer"),
        15: _s("managedBy", "pointer"),
    },
)
_INGRESS_BACKEND = _msg(
    "IngressBackend",
    {
        4: _m(
            "service",
            _msg(
                "IngressServiceBackend",
                {
                    1: _s("name", "always"),
                    2: _m("port", _msg("ServiceBackendPort", {1: _s("name"), 2: _i("number")})),
                },
            ),
            "pointer",
        ),
        3: _m(
            "resource",
            _msg(
                "TypedLocalObjectReference",
                {1: _s("apiGroup", "pointer"), 2: _s("kind", "always"), 3: _s("name", "always")},
            ),
            "pointer",
        ),
    },
)
_INGRESS_SPEC = _msg(
    "IngressSpec",
    {
        4: _s("ingressClassName", "pointer"),
        1: _m("defaultBackend", _INGRESS_BACKEND, "pointer"),
        2: _list("tls", _msg("IngressTLS", {1: _list("hosts"), 2: _s("secretName")})),
        3: _list(
            "rules",
            _msg(
                "IngressRule",
                {
                    1: _s("host"),
                    2: _Field(
                        "ingressRuleValue",
                        "message",
                        _msg(
                            "IngressRuleValue",
                            {
                                1: _m(
                                    "http",
                                    _msg(
                                        "HTTPIngressRuleValue",
                                        {
                                            1: _list(
                                                "paths",
                                                _msg(
                                                    "HTTPIngressPath",
                                                    {
                                                        1: _s("path"),
                                                        3: _s("pathType", "pointer"),
                                                        2: _m("backend", _INGRESS_BACKEND),
                                                    },
                                                ),
                                            )
                                        },
                                    ),
                                    "pointer",
                                )
                            },
                        ),
                        presence="always",
                        inline=True,
                    ),
                },
            ),
        ),
    },
)
_POLICY_RULE = _msg(
    "PolicyRule",
    {
        1: _list("verbs"),
        2: _list("apiGroups"),
        3: _list("resources"),
        4: _list("resourceNames"),
        5: _list("nonResourceURLs"),
    },
)
_BINDING = {
    1: _METADATA,
    2: _list(
        "subjects",
        _msg(
            "Subject",
            {
                1: _s("kind", "always"),
                2: _s("apiGroup"),
                3: _s("name", "always"),
                4: _s("namespace"),
            },
        ),
    ),
    3: _m(
        "roleRef",
        _msg(
            "RoleRef",
            {1: _s("apiGroup", "always"), 2: _s("kind", "always"), 3: _s("name", "always")},
        ),
    ),
}
_STATUS = (3,)  # clients' status is ignored on create: the server sets its own

_KINDS = {
    "Secret": _msg(
        "Secret",
        {
            1: _METADATA,
            2: _map("data", "bytes"),
            3: _s("type"),
            4: _map("stringData"),
            5: _b("immutable", "pointer"),
        },
    ),
    "ConfigMap": _msg(
        "ConfigMap",
        {
            1: _METADATA,
            2: _map("data"),
            3: _map("binaryData", "bytes"),
            4: _b("immutable", "pointer"),
        },
    ),
    "DeleteOptions": _DELETE_OPTIONS,
    "Namespace": _msg(
        "Namespace",
        {1: _METADATA, 2: _m("spec", _msg("NamespaceSpec", {1: _list("finalizers")}))},
        skip=_STATUS,
    ),
    "ResourceQuota": _msg(
        "ResourceQuota",
        {
            1: _METADATA,
            2: _m(
                "spec",
                _msg(
                    "ResourceQuotaSpec",
                    {
                        1: _map("hard", "quantity"),
                        2: _list("scopes"),
                        3: _m(
                            "scopeSelector",
                            _msg(
                                "ScopeSelector",
                                {
                                    1: _list(
                                        "matchExpressions",
                                        _msg(
                                            "ScopedResourceSelectorRequirement",
                                            {
                                                1: _s("scopeName", "always"),
                                                2: _s("operator", "always"),
                                                3: _list("values"),
                                            },
                                        ),
                                    )
                                },
                            ),
                            "pointer",
                        ),
                    },
                ),
            ),
        },
        skip=_STATUS,
    ),
    "ServiceAccount": _msg(
        "ServiceAccount",
        {
            1: _METADATA,
            2: _list(
                "secrets",
                _msg(
                    "ObjectReference",
                    {
                        1: _s("kind"),
                        2: _s("namespace"),
                        3: _s("name"),
                        4: _s("uid"),
                        5: _s("apiVersion"),
                        6: _s("resourceVersion"),
                        7: _s("fieldPath"),
                    },
                ),
            ),
            3: _list("imagePullSecrets", _LOCAL_REF),
            4: _b("automountServiceAccountToken", "pointer"),
        },
    ),
    "Pod": _msg("Pod", {1: _METADATA, 2: _m("spec", _POD_SPEC)}, skip=_STATUS),
    "Service": _msg("Service", {1: _METADATA, 2: _m("spec", _SERVICE_SPEC)}, skip=_STATUS),
    "Deployment": _msg("Deployment", {1: _METADATA, 2: _m("spec", _DEPLOYMENT_SPEC)}, skip=_STATUS),
    "Job": _msg("Job", {1: _METADATA, 2: _m("spec", _JOB_SPEC)}, skip=_STATUS),
    # kubectl create cronjob posts one (k8s.io/api/batch/v1 CronJobSpec, JobTemplateSpec).
    "CronJob": _msg(
        "CronJob",
        {
            1: _METADATA,
            2: _m(
                "spec",
                _msg(
                    "CronJobSpec",
                    {
                        1: _s("schedule", "always"),
                        8: _s("timeZone", "pointer"),
                        2: _i("startingDeadlineSeconds", "pointer"),
                        3: _s("concurrencyPolicy"),
                        4: _b("suspend", "pointer"),
                        5: _m(
                            "jobTemplate",
                            _msg("JobTemplateSpec", {1: _METADATA, 2: _m("spec", _JOB_SPEC)}),
                        ),
                        6: _i("successfulJobsHistoryLimit", "pointer"),
                        7: _i("failedJobsHistoryLimit", "pointer"),
                    },
                ),
            ),
        },
        skip=_STATUS,
    ),
    "Ingress": _msg("Ingress", {1: _METADATA, 2: _m("spec", _INGRESS_SPEC)}, skip=_STATUS),
    "PodDisruptionBudget": _msg(
        "PodDisruptionBudget",
        {
            1: _METADATA,
            2: _m(
                "spec",
                _msg(
                    "PodDisruptionBudgetSpec",
                    {
                        1: _intstr_pointer("minAvailable"),
                        2: _m("selector", _LABEL_SELECTOR, "pointer"),
                        3: _intstr_pointer("maxUnavailable"),
                        4: _s("unhealthyPodEvictionPolicy", "pointer"),
                    },
                ),
            ),
        },
        skip=_STATUS,
    ),
    "Role": _msg("Role", {1: _METADATA, 2: _list("rules", _POLICY_RULE)}),
    "ClusterRole": _msg(
        "ClusterRole",
        {
            1: _METADATA,
            2: _list("rules", _POLICY_RULE),
            3: _m(
                "aggregationRule",
                _msg("AggregationRule", {1: _list("clusterRoleSelectors", _LABEL_SELECTOR)}),
                "pointer",
            ),
        },
    ),
    "RoleBinding": _msg("RoleBinding", _BINDING),
    "ClusterRoleBinding": _msg("ClusterRoleBinding", _BINDING),
    # The review APIs kubectl auth can-i / whoami post (k8s.io/api/authorization/v1 and
    # authentication/v1); selectors on the attributes are alpha and not modelled.
    "SelfSubjectAccessReview": _msg(
        "SelfSubjectAccessReview",
        {
            1: _METADATA,
            2: _m(
                "spec",
                _msg(
                    "SelfSubjectAccessReviewSpec",
                    {
                        1: _m(
                            "resourceAttributes",
                            _msg(
                                "ResourceAttributes",
                                {
                                    1: _s("namespace"),
                                    2: _s("verb"),
                                    3: _s("group"),
                                    4: _s("version"),
                                    5: _s("resource"),
                                    6: _s("subresource"),
                                    7: _s("name"),
                                },
                            ),
                            "pointer",
                        ),
                        2: _m(
                            "nonResourceAttributes",
                            _msg("NonResourceAttributes", {1: _s("path"), 2: _s("verb")}),
                            "pointer",
                        ),
                    },
                ),
            ),
        },
        skip=_STATUS,
    ),
    "SelfSubjectRulesReview": _msg(
        "SelfSubjectRulesReview",
        {1: _METADATA, 2: _m("spec", _msg("SelfSubjectRulesReviewSpec", {1: _s("namespace")}))},
        skip=_STATUS,
    ),
    "SelfSubjectReview": _msg("SelfSubjectReview", {1: _METADATA}, skip=(2,)),
}


def decode(body: bytes, *, kind: str = "", api_version: str = "") -> dict[str, Any]:
    """Decode a protobuf request body into the dict its JSON form would give.

    `kind`/`api_version` are what the endpoint expects (e.g. "Secret", "v1"): they fill in a
    missing typeMeta, as the server's defaults do, and name the type in errors. Raises
    ApiError 400 with the server's decode-error wording for a malformed body (500 for a
    malformed DeleteOptions, which the DELETE handler reports unwrapped), and 415 for a kind
    this simulator cannot read from protobuf.
    """
    try:
        envelope = _unknown(body)
    except ProtoError as e:
        raise _decode_error(kind, None, str(e), body) from None
    type_meta = envelope["typeMeta"]
    actual_kind = type_meta.get("kind") or kind
    actual_version = type_meta.get("apiVersion") or api_version
    message = _KINDS.get(actual_kind)
    if message is None:
        raise ApiError(415, _UNSUPPORTED, "UnsupportedMediaType")
    try:
        fields = _message(message, envelope.get("raw", b""))
    except ProtoError as e:
        raise _decode_error(
            kind or actual_kind, (actual_kind, actual_version), str(e), body
        ) from None
    except _Unmodelled:
        raise ApiError(415, _UNSUPPORTED, "UnsupportedMediaType") from None
    return {"kind": actual_kind, "apiVersion": actual_version, **fields}


def _unknown(body: bytes) -> dict[str, Any]:
    """The runtime.Unknown envelope (raw stays bytes)."""
    if not body:
        raise ProtoError("empty data")
    if not body.startswith(MAGIC):
        raise ProtoError(
            f"provided data does not appear to be a protobuf message, expected prefix {_MAGIC_TEXT}"
        )
    if len(body) == len(MAGIC):
        raise ProtoError("empty body")
    return _message(_UNKNOWN, body[len(MAGIC) :])


def _decode_error(into: str, gvk: tuple[str, str] | None, error: str, body: bytes) -> ApiError:
    """transformDecodeError (create/update handlers); DeleteOptions errors pass through."""
    if into == "DeleteOptions":
        return ApiError(500, error)
    if not into:
        return bad_request(error)
    if gvk is not None and gvk[0]:
        version = gvk[1].rpartition("/")[2]
        return bad_request(
            f'{gvk[0]} in version "{version}" cannot be handled as a {into}: {error}'
        )
    return bad_request(
        f"the object provided is unrecognized (must be of type {into}): {error} ({_summary(body)})"
    )


def _summary(body: bytes, limit: int = 30) -> str:
    """summarizeData: the start of a body, hex unless it looks like JSON."""
    if not body:
        return "<empty>"
    head = body[:limit]
    text = head.decode("utf-8", "replace") if body[:1] == b"{" else head.hex()
    return text + (" ..." if len(body) > limit else "")


# -- wire format ---------------------------------------------------------------------------


def _message(message: _Message, data: bytes) -> dict[str, Any]:
    """Decode one message into its JSON-form dict."""
    collected: dict[int, Any] = {}
    for number, wire, value in _fields(data, message):
        spec = message.fields.get(number)
        if spec is None:
            if number in message.skip:
                continue
            raise _Unmodelled(f"{message.go_name} field {number}")
        decoded = _value(spec, wire, value, message, number)
        if spec.kind == "map":
            collected.setdefault(number, {}).update([decoded])
        elif spec.repeated:
            collected.setdefault(number, []).append(decoded)
        else:
            collected[number] = decoded
    out: dict[str, Any] = {}
    for number, spec in message.fields.items():
        if number in collected:
            value = collected[number]
        elif spec.presence == "always":
            value = _zero(spec)
        else:
            continue
        if spec.presence == "omitempty" and value in ("", 0, False, {}, [], None):
            continue
        if spec.inline:
            out.update(value)
        else:
            out[spec.name] = value
    return out


def _value(spec: _Field, wire: int, value: Any, message: _Message, number: int) -> Any:
    if spec.kind in ("int", "bool"):
        _expect(wire, 0, message, number, spec)
        return bool(value) if spec.kind == "bool" else _signed(value)
    _expect(wire, 2, message, number, spec)
    if spec.kind == "string":
        return bytes(value).decode("utf-8", "replace")
    if spec.kind == "bytes":
        return base64.b64encode(value).decode()
    if spec.kind == "raw":
        return bytes(value)
    if spec.kind == "time":
        return _time(bytes(value))
    if spec.kind == "quantity":
        return _message(_QUANTITY, bytes(value))["string"]
    if spec.kind == "intstr":
        decoded = _message(_INT_OR_STRING, bytes(value))
        return decoded["strVal"] if decoded["type"] == 1 else decoded["intVal"]
    if spec.kind == "map":
        entry = _msg(
            f"{spec.name}Entry",
            {1: _s("key", "always"), 2: _Field("value", spec.values, presence="always")},
        )
        decoded = _message(entry, bytes(value))
        return decoded["key"], decoded["value"]
    assert spec.message is not None
    return _message(spec.message, bytes(value))


def _zero(spec: _Field) -> Any:
    if spec.kind == "message":
        assert spec.message is not None
        return _message(spec.message, b"")
    return {
        "string": "",
        "bytes": "",
        "raw": b"",
        "int": 0,
        "bool": False,
        "time": None,
        "quantity": "0",
        "intstr": 0,
    }[spec.kind]


def _time(data: bytes) -> str | None:
    """metav1.Time: an empty message is the zero time (JSON null); nanos are dropped."""
    if not data:
        return None
    seconds = _message(_TIMESTAMP, data).get("seconds", 0)
    try:
        return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, OSError, ValueError):
        raise ProtoError(f"proto: Time: seconds out of range: {seconds}") from None


def _fields(data: bytes, message: _Message) -> Iterator[tuple[int, int, Any]]:
    """(field number, wire type, value) for each field: varints as int, the rest as bytes."""
    view, pos, end = memoryview(data), 0, len(data)
    value: int | memoryview
    while pos < end:
        tag, pos = _varint(view, pos)
        number, wire = tag >> 3, tag & 7
        if wire == 4:
            raise ProtoError(f"proto: {message.go_name}: wiretype end group for non-group")
        if number <= 0:
            raise ProtoError(f"proto: {message.go_name}: illegal tag {number} (wire type {wire})")
        if wire == 0:
            value, pos = _varint(view, pos)
        elif wire == 2:
            length, pos = _varint(view, pos)
            if length > 2**63 - 1:  # Go reads the length as a signed int
                raise ProtoError("proto: negative length found during unmarshaling")
            if pos + length > end:
                raise ProtoError("unexpected EOF")
            value, pos = view[pos : pos + length], pos + length
        elif wire in (1, 5):
            size = 8 if wire == 1 else 4
            if pos + size > end:
                raise ProtoError("unexpected EOF")
            value, pos = view[pos : pos + size], pos + size
        else:
            raise ProtoError(f"proto: illegal wireType {wire}")
        yield number, wire, value


def _varint(view: memoryview, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if shift >= 64:
            raise ProtoError("proto: integer overflow")
        if pos >= len(view):
            raise ProtoError("unexpected EOF")
        byte = view[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result & (2**64 - 1), pos
        shift += 7


def _signed(value: int) -> int:
    """int64/int32 fields carry negatives as 64-bit two's complement."""
    return value - 2**64 if value >= 2**63 else value


def _expect(
    wire: int, wanted: int, message: _Message, number: int, spec: _Field | None = None
) -> None:
    if wire != wanted:
        name = spec.name if spec else message.fields[number].name
        go_name = _GO_NAMES.get(name, name[:1].upper() + name[1:])
        raise ProtoError(f"proto: wrong wireType = {wire} for field {go_name}")
