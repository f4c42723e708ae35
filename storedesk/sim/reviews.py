"""The review APIs (`kubectl auth can-i`, `kubectl auth whoami`): answered from the request
and the simulated authorizer, never stored.

The simulated user is a kubeadm cluster admin (what kind gives `kubernetes-admin`); the
authorizer is RBAC with the injected denials taken away, so a review answers exactly what
the same request would meet: allowed with RBAC's reason, or not allowed with no reason
(RBAC has no opinion on what no rule grants; it never denies outright).
"""

from __future__ import annotations

import copy
from typing import Any

from storedesk.sim import resources as res
from storedesk.sim.errors import bad_request, invalid
from storedesk.sim.faults import Faults
from storedesk.sim.gofmt import go_v
from storedesk.sim.resources import ResourceType

Obj = dict[str, Any]

GROUPS = ["kubeadm:cluster-admins", "system:authenticated"]
_ALLOWED_BY = (
    'RBAC: allowed by ClusterRoleBinding "kubeadm:cluster-admins" of ClusterRole '
    '"cluster-admin" to Group "kubeadm:cluster-admins"'
)
# What every authenticated user may do (system:basic-user, system:discovery and
# system:public-info-viewer), listed by a rules review after the user's own rules.
_BASIC_RULES = [
    {
        "verbs": ["create"],
        "apiGroups": ["authorization.k8s.io"],
        "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
    },
    {
        "verbs": ["create"],
        "apiGroups": ["authentication.k8s.io"],
        "resources": ["selfsubjectreviews"],
    },
]
_DISCOVERY_URLS = [
    "/api",
    "/api/*",
    "/apis",
    "/apis/*",
    "/healthz",
    "/livez",
    "/openapi",
    "/openapi/*",
    "/readyz",
    "/version",
    "/version/",
]
_VERBS = ("get", "list", "watch", "create", "update", "patch", "delete", "deletecollection")


def answer(rt: ResourceType, body: Any, faults: Faults, user: str, types: res.Registry) -> Obj:
    """The review object the server returns for a POST of `body`."""
    if not isinstance(body, dict):
        raise bad_request("the body of the request must be an object")
    review: Obj = {
        "kind": rt.kind,
        "apiVersion": rt.group_version,
        "metadata": {},
    }
    spec = got if isinstance(got := body.get("spec"), dict) else {}
    if rt.kind == "SelfSubjectReview":
        review["status"] = {"userInfo": {"username": user, "groups": list(GROUPS)}}
    elif rt.kind == "SelfSubjectAccessReview":
        review["spec"] = copy.deepcopy(spec)
        review["status"] = _access(spec, faults)
    elif rt.kind == "SelfSubjectRulesReview":
        review["spec"] = copy.deepcopy(spec)
        review["status"] = _rules(str(spec.get("namespace") or ""), faults, types)
    return review


def _access(spec: Obj, faults: Faults) -> Obj:
    """SelfSubjectAccessReview: RBAC's decision on one request."""
    attributes = spec.get("resourceAttributes")
    non_resource = spec.get("nonResourceAttributes")
    if isinstance(attributes, dict) == isinstance(non_resource, dict):
        raise invalid(
            "SelfSubjectAccessReview",
            "authorization.k8s.io",
            "",
            [
                (
                    "spec.nonResourceAttributes",
                    f"Invalid value: {go_v(non_resource)}: cannot be specified in combination "
                    "with resourceAttributes",
                )
                if isinstance(attributes, dict)
                else (
                    "spec.resourceAttributes",
                    'Invalid value: "null": exactly one of nonResourceAttributes or '
                    "resourceAttributes must be specified",
                )
            ],
        )
    if not isinstance(attributes, dict):
        return {"allowed": True, "reason": _ALLOWED_BY}
    verb = str(attributes.get("verb") or "")
    resource = str(attributes.get("resource") or "")
    if attributes.get("subresource"):  # RBAC names a subresource as "pods/portforward"
        resource += f"/{attributes['subresource']}"
    namespace = str(attributes.get("namespace") or "") or None
    if faults.denied(verb, resource, namespace):
        return {"allowed": False}
    return {"allowed": True, "reason": _ALLOWED_BY}


def _rules(namespace: str, faults: Faults, types: res.Registry) -> Obj:
    """SelfSubjectRulesReview: what the user may do in `namespace`, as RBAC lists it."""
    denied_any = any(
        faults.denied(verb, rt.plural, namespace or None) for rt in types.all() for verb in _VERBS
    )
    if not denied_any:
        resource_rules = [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}]
    else:
        resource_rules = _granted_rules(namespace, faults, types)
    return {
        "resourceRules": [*resource_rules, *copy.deepcopy(_BASIC_RULES)],
        "nonResourceRules": [
            {"verbs": ["*"], "nonResourceURLs": ["*"]},
            {"verbs": ["get"], "nonResourceURLs": list(_DISCOVERY_URLS)},
        ],
        "incomplete": False,
    }


def _granted_rules(namespace: str, faults: Faults, types: res.Registry) -> list[Obj]:
    """With denials in force, the rules RBAC would hold: per resource, the verbs left."""
    grouped: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for rt in types.all():
        if rt.verbs == res.CREATE_ONLY:
            continue
        verbs = tuple(v for v in rt.verbs if not faults.denied(v, rt.plural, namespace or None))
        if verbs:
            grouped.setdefault((rt.group, verbs), []).append(rt.plural)
    return [
        {"verbs": list(verbs), "apiGroups": [group], "resources": sorted(plurals)}
        for (group, verbs), plurals in grouped.items()
    ]
