"""LimitRanger and ResourceQuota admission, as the real API server runs them on create.

Pure functions over plain dicts: the server passes in the namespace's LimitRanges,
ResourceQuotas and objects. Behaviour and messages follow
kubernetes/plugin/pkg/admission/limitranger, staging/.../admission/plugin/resourcequota
and pkg/quota/v1/evaluator/core. Where Go iterates a map (so its order varies from run to
run), we iterate in sorted order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from storedesk.sim import resources
from storedesk.sim.defaults import limit_range_item
from storedesk.sim.errors import forbidden
from storedesk.sim.managed import copy_object
from storedesk.sim.quantity import Quantity, parse, parse_or_none

Obj = dict[str, Any]
ResourceList = dict[str, Quantity]
Used = Mapping[str, str]

_ANNOTATION = "kubernetes.io/limit-ranger"
_MAX_MILLI = (2**63 - 1) // 1000
_ONE = parse("1")
# Requiring explicit requests/limits for these is the legacy rule quota keeps (pods.go).
_VALIDATION_SET = {
    "cpu",
    "memory",
    "requests.cpu",
    "requests.memory",
    "limits.cpu",
    "limits.memory",
}
_POD_RESOURCES = {
    "count/pods",
    "pods",
    "cpu",
    "memory",
    "ephemeral-storage",
    "requests.cpu",
    "requests.memory",
    "requests.ephemeral-storage",
    "limits.cpu",
    "limits.memory",
    "limits.ephemeral-storage",
}
_SERVICE_RESOURCES = {"count/services", "services", "services.nodeports", "services.loadbalancers"}
_PVC_RESOURCES = ("persistentvolumeclaims", "requests.storage")
_STORAGE_CLASS_SUFFIX = ".storageclass.storage.k8s.io/"
# Object-count names older than count/<resource> (evaluator/core/registry.go).
_LEGACY_ALIASES = {
    "configmaps": "configmaps",
    "secrets": "secrets",
    "resourcequotas": "resourcequotas",
    "replicationcontrollers": "replicationcontrollers",
}


# -- admission webhooks ----------------------------------------------------------------------


def webhook_warnings(rt: Any, obj: Obj, creating: bool, configurations: Sequence[Obj]) -> list[str]:
    """A warning per webhook whose rules match this write: the simulator stores webhook
    configurations but runs no webhook servers, so it lets the request through and says so
    (a real server would call them, and refuse the request if one failing-closed did not
    answer)."""
    operation = "CREATE" if creating else "UPDATE"
    labels = (obj.get("metadata") or {}).get("labels") or {}
    warnings = []
    for config in configurations:
        for hook in config.get("webhooks") or ():
            if _hook_matches(hook, rt, operation, labels):
                warnings.append(
                    f'admission webhook "{hook.get("name", "")}" was not called: the Storedesk '
                    "simulator runs no webhook servers, so the request went on as if it had "
                    "been allowed"
                )
    return warnings


def _hook_matches(hook: Obj, rt: Any, operation: str, labels: dict[str, str]) -> bool:
    selector = (hook.get("objectSelector") or {}).get("matchLabels") or {}
    if any(labels.get(k) != v for k, v in selector.items()):
        return False
    scope = "Namespaced" if rt.namespaced else "Cluster"
    for rule in hook.get("rules") or ():
        if (
            {operation, "*"} & set(rule.get("operations") or ())
            and {rt.group, "*"} & set(rule.get("apiGroups") or ())
            and {rt.version, "*"} & set(rule.get("apiVersions") or ())
            and {rt.plural, "*"} & set(rule.get("resources") or ())
            and rule.get("scope", "*") in ("*", scope)
        ):
            return True
    return False


# -- DefaultStorageClass ---------------------------------------------------------------------

_DEFAULT_CLASS = "storageclass.kubernetes.io/is-default-class"
_BETA_DEFAULT_CLASS = "storageclass.beta.kubernetes.io/is-default-class"
_BETA_CLAIM_CLASS = "volume.beta.kubernetes.io/storage-class"


def storage_admission(obj: Obj, plural: str, storage_classes: Sequence[Obj]) -> Obj:
    """DefaultStorageClass, then StorageObjectInUseProtection (the pvc-/pv-protection
    finalizer that keeps a claim while a pod uses it, and a volume while it is bound)."""
    if plural == "persistentvolumeclaims":
        obj = default_storage_class(obj, storage_classes)
    finalizer = {
        "persistentvolumeclaims": "kubernetes.io/pvc-protection",
        "persistentvolumes": "kubernetes.io/pv-protection",
    }[plural]
    meta = metadata if isinstance(metadata := obj.get("metadata"), dict) else {}
    finalizers = list(meta.get("finalizers") or ())
    if finalizer not in finalizers:
        obj = {**obj, "metadata": {**meta, "finalizers": [*finalizers, finalizer]}}
    return obj


def default_storage_class(claim: Obj, storage_classes: Sequence[Obj]) -> Obj:
    """The DefaultStorageClass plugin on create: a claim that names no class (not even "")
    gets the default one; with several defaults, the newest (then the first by name)."""
    spec = claim.get("spec") if isinstance(claim.get("spec"), dict) else None
    annotations = (claim.get("metadata") or {}).get("annotations") or {}
    if spec is None or spec.get("storageClassName") is not None or _BETA_CLAIM_CLASS in annotations:
        return claim
    defaults = [sc for sc in storage_classes if _is_default_class(sc)]
    if not defaults:
        return claim
    # Newest first; ties (same second) by name, as storage/util.GetDefaultClass sorts them.
    defaults.sort(key=lambda sc: sc["metadata"]["name"])
    defaults.sort(key=lambda sc: sc["metadata"].get("creationTimestamp", ""), reverse=True)
    claim = copy_object(claim)
    claim["spec"]["storageClassName"] = defaults[0]["metadata"]["name"]
    return claim


def _is_default_class(storage_class: Obj) -> bool:
    annotations = storage_class.get("metadata", {}).get("annotations") or {}
    return "true" in (annotations.get(_DEFAULT_CLASS), annotations.get(_BETA_DEFAULT_CLASS))


# -- LimitRanger ---------------------------------------------------------------------------


def apply_limit_ranges(obj: Obj, plural: str, limit_ranges: Sequence[Obj]) -> Obj:
    """LimitRanger on create: fill pod defaults, then enforce min/max/ratio (403 on breach).

    Pods get default limits/requests from Container items (and the kubernetes.io/limit-ranger
    annotation); pods and PVCs are checked against every LimitRange, the first one breached
    rejects the object. Returns the admitted object (a copy when defaults were filled in).
    """
    if plural not in ("pods", "persistentvolumeclaims") or not limit_ranges:
        return obj
    items_per_range = [
        [limit_range_item(i) for i in _spec(lr).get("limits") or []] for lr in limit_ranges
    ]
    if plural == "pods":
        obj = copy_object(obj)  # its managedFields, already set, stay shared
        for items in items_per_range:
            _merge_pod_defaults(obj, items)
    check = _validate_pod if plural == "pods" else _validate_pvc
    for items in items_per_range:
        errors = check(obj, items)
        if errors:
            raise forbidden(plural, "", _admission_name(obj), _aggregate(errors))
    return obj


def _merge_pod_defaults(pod: Obj, items: list[Obj]) -> None:
    limits: dict[str, str] = {}
    requests: dict[str, str] = {}
    for item in items:
        if item.get("type") == "Container":
            requests.update(_canonical_list(item.get("defaultRequest")))
            limits.update(_canonical_list(item.get("default")))
    notes: list[str] = []
    spec = pod.get("spec") or {}
    for key, prefix in (("containers", "container"), ("initContainers", "init container")):
        for container in spec.get(key) or []:
            notes += _merge_container(container, requests, limits, prefix)
    if notes:
        meta = pod.setdefault("metadata", {})
        meta["annotations"] = {
            **(meta.get("annotations") or {}),
            _ANNOTATION: "LimitRanger plugin set: " + "; ".join(notes),
        }


def _merge_container(
    container: Obj, requests: Mapping[str, str], limits: Mapping[str, str], prefix: str
) -> list[str]:
    resources_ = container.get("resources") or {}
    have_limits = dict(resources_.get("limits") or {})
    have_requests = dict(resources_.get("requests") or {})
    set_limits = sorted(k for k in limits if k not in have_limits)
    set_requests = sorted(k for k in requests if k not in have_requests)
    if not set_limits and not set_requests:
        return []
    have_limits.update({k: limits[k] for k in set_limits})
    have_requests.update({k: requests[k] for k in set_requests})
    container["resources"] = {
        **resources_,
        **({"limits": have_limits} if have_limits else {}),
        **({"requests": have_requests} if have_requests else {}),
    }
    name = container.get("name", "")
    notes = []
    if set_requests:
        notes.append(f"{', '.join(set_requests)} request for {prefix} {name}")
    if set_limits:
        notes.append(f"{', '.join(set_limits)} limit for {prefix} {name}")
    return notes


def _validate_pod(pod: Obj, items: list[Obj]) -> list[str]:
    spec = pod.get("spec") or {}
    errors: list[str] = []
    for item in items:
        kind = item.get("type")
        if kind == "Container":
            for container in [*(spec.get("containers") or []), *(spec.get("initContainers") or [])]:
                res = container.get("resources") or {}
                errors += _check_item(
                    item, kind, _rlist(res.get("requests")), _rlist(res.get("limits"))
                )
        elif kind == "Pod":
            errors += _check_item(
                item,
                kind,
                _aggregate_containers(spec, "requests"),
                _aggregate_containers(spec, "limits"),
            )
    return errors


def _validate_pvc(pvc: Obj, items: list[Obj]) -> list[str]:
    requests = _rlist((_spec(pvc).get("resources") or {}).get("requests"))
    errors: list[str] = []
    for item in items:
        if item.get("type") != "PersistentVolumeClaim":
            continue
        for name, enforced in sorted(_rlist(item.get("min")).items()):
            errors += _min_error(item["type"], name, enforced, requests, {})
        for name, enforced in sorted(_rlist(item.get("max")).items()):
            req = requests.get(name)
            if req is None:
                errors.append(
                    f"maximum {name} usage per {item['type']} is {enforced}.  "
                    "No request is specified"
                )
            elif _compare(req, enforced) > 0:
                errors.append(
                    f"maximum {name} usage per {item['type']} is {enforced}, but request is {req}"
                )
    return errors


def _check_item(item: Obj, kind: str, requests: ResourceList, limits: ResourceList) -> list[str]:
    errors: list[str] = []
    for name, enforced in sorted(_rlist(item.get("min")).items()):
        errors += _min_error(kind, name, enforced, requests, limits)
    for name, enforced in sorted(_rlist(item.get("max")).items()):
        errors += _max_error(kind, name, enforced, requests, limits)
    for name, enforced in sorted(_rlist(item.get("maxLimitRequestRatio")).items()):
        errors += _ratio_error(kind, name, enforced, requests, limits)
    return errors


def _min_error(
    kind: str, name: str, enforced: Quantity, requests: ResourceList, limits: ResourceList
) -> list[str]:
    req, lim = requests.get(name), limits.get(name)
    if req is None:
        return [f"minimum {name} usage per {kind} is {enforced}.  No request is specified"]
    if _compare(req, enforced) < 0:
        return [f"minimum {name} usage per {kind} is {enforced}, but request is {req}"]
    if lim is not None and _compare(lim, enforced) < 0:
        return [f"minimum {name} usage per {kind} is {enforced}, but limit is {lim}"]
    return []


def _max_error(
    kind: str, name: str, enforced: Quantity, requests: ResourceList, limits: ResourceList
) -> list[str]:
    req, lim = requests.get(name), limits.get(name)
    if lim is None:
        return [f"maximum {name} usage per {kind} is {enforced}.  No limit is specified"]
    if _compare(lim, enforced) > 0:
        return [f"maximum {name} usage per {kind} is {enforced}, but limit is {lim}"]
    if req is not None and _compare(req, enforced) > 0:
        return [f"maximum {name} usage per {kind} is {enforced}, but request is {req}"]
    return []


def _ratio_error(
    kind: str, name: str, enforced: Quantity, requests: ResourceList, limits: ResourceList
) -> list[str]:
    req, lim = requests.get(name), limits.get(name)
    req_value, lim_value, _ = _comparable(req, lim, enforced)
    if req is None or req_value == 0:
        return [
            f"{name} max limit to request ratio per {kind} is {enforced}, "
            "but no request is specified or request is 0"
        ]
    if lim is None or lim_value == 0:
        return [
            f"{name} max limit to request ratio per {kind} is {enforced}, "
            "but no limit is specified or limit is 0"
        ]
    ratio = lim_value / req_value
    observed, allowed = ratio, float(enforced.value_int())
    if enforced.value_int() <= _MAX_MILLI:
        observed, allowed = ratio * 1000, float(enforced.milli_value())
    if observed > allowed:
        return [
            f"{name} max limit to request ratio per {kind} is {enforced}, "
            f"but provided ratio is {ratio:f}"
        ]
    return []


def _comparable(*quantities: Quantity | None) -> list[int]:
    """requestLimitEnforcedValues: compare in milli units unless that would overflow int64."""
    values = [q.value_int() if q else 0 for q in quantities]
    if all(v <= _MAX_MILLI for v in values):
        return [q.milli_value() if q else 0 for q in quantities]
    return values


def _compare(observed: Quantity, enforced: Quantity) -> int:
    a, b = _comparable(observed, enforced)
    return (a > b) - (a < b)


def _aggregate(errors: list[str]) -> str:
    """utilerrors.NewAggregate(...).Error(): duplicates dropped, brackets when several."""
    unique = list(dict.fromkeys(errors))
    return unique[0] if len(unique) == 1 else "[" + ", ".join(unique) + "]"


# -- ResourceQuota -------------------------------------------------------------------------


UsageSource = Mapping[str, Sequence[Obj]] | Callable[[Obj], Used]


def check_quota(obj: Obj, plural: str, quotas: Sequence[Obj], usage: UsageSource) -> None:
    """ResourceQuota admission for creating `obj`: raises ApiError 403 as the real plugin does.

    `usage` says what each quota has used so far, without `obj`: either the namespace's
    objects by plural (the same mapping `compute_used` takes; used is then computed only for
    quotas that match `obj`), or a callable returning one quota's used (e.g. its stored
    status.used). Quotas are enforced against `spec.hard`, i.e. as if the quota controller
    had already synced status.hard. Call it after `apply_limit_ranges`, on create only (for
    updates the real evaluators charge only services and PVCs, by the delta).
    """
    group = _group(plural)
    name = _admission_name(obj)
    interesting: list[tuple[Obj, ResourceList, ResourceList]] = []
    for quota in quotas:
        hard = _rlist(_spec(quota).get("hard"))
        if not _quota_matches(quota, hard, plural, group, obj):
            continue
        restricted = _matching_resources(plural, group, hard)
        quota_name = quota.get("metadata", {}).get("name", "")
        if plural == "pods":
            missing = _missing_requests(obj, set(restricted) & _VALIDATION_SET)
            if missing:
                raise forbidden(plural, group, name, f"failed quota: {quota_name}: {missing}")
        used = _rlist(usage(quota) if callable(usage) else compute_used(quota, usage))
        unknown = [r for r in restricted if r not in used]
        if unknown:
            raise forbidden(
                plural,
                group,
                name,
                f"status unknown for quota: {quota_name}, "
                f"resources: {','.join(sorted(restricted))}",
            )
        interesting.append((quota, hard, used))
    if not interesting:
        return
    delta = _usage(plural, group, obj, datetime.now(UTC))
    negative = sorted(k for k, v in delta.items() if v.sign() < 0)
    if negative:
        raise forbidden(
            plural, group, name, f"quota usage is negative for resource(s): {','.join(negative)}"
        )
    delta = {k: v for k, v in delta.items() if v.sign() != 0}
    for quota, hard, used in interesting:
        requested = {k: v for k, v in delta.items() if k in hard}
        if not requested:
            continue
        exceeded = sorted(k for k, v in requested.items() if used.get(k, Quantity(0)) + v > hard[k])
        if exceeded:
            quota_name = quota.get("metadata", {}).get("name", "")
            raise forbidden(
                plural,
                group,
                name,
                (
                    f"exceeded quota: {quota_name}, requested: {_pretty(requested, exceeded)}, "
                    f"used: {_pretty(used, exceeded)}, limited: {_pretty(hard, exceeded)}"
                ),
            )


def compute_used(
    quota: Obj, objects_by_plural: Mapping[str, Sequence[Obj]], *, now: datetime | None = None
) -> dict[str, str]:
    """What the quota controller writes to status.used: every tracked hard resource, summed.

    `pods`, cpu, memory and the like count only non-terminal pods (and not pods whose
    deletion grace period has passed at `now`); count/pods counts every pod.
    """
    now = now or datetime.now(UTC)
    hard = _rlist(_spec(quota).get("hard"))
    used: ResourceList = {}
    known = {rt.plural for rt in resources.RESOURCE_TYPES if rt.namespaced}
    for plural in sorted(set(objects_by_plural) | known):
        group = _group(plural)
        names = _matching_resources(plural, group, hard)
        if not names:
            continue
        stats: ResourceList = dict.fromkeys(names, Quantity(0))
        for obj in objects_by_plural.get(plural, ()):
            if _scopes_match(quota, plural, obj):
                stats = _add(stats, _usage(plural, group, obj, now))
        used = _add(used, {k: v for k, v in stats.items() if k in names})
    return {k: str(v) for k, v in sorted(used.items())}


def _quota_matches(quota: Obj, hard: ResourceList, plural: str, group: str, obj: Obj) -> bool:
    return bool(_matching_resources(plural, group, hard)) and _scopes_match(quota, plural, obj)


def _matching_resources(plural: str, group: str, names: Iterable[str]) -> list[str]:
    """Which quota resource names the evaluator for `plural` tracks."""
    if plural == "pods":
        return [
            n
            for n in names
            if n in _POD_RESOURCES
            or n.startswith("hugepages-")
            or n.startswith("requests.hugepages-")
            or _is_extended_quota_name(n)
        ]
    if plural == "services":
        return [n for n in names if n in _SERVICE_RESOURCES]
    if plural == "persistentvolumeclaims":
        return [
            n
            for n in names
            if n in (*_PVC_RESOURCES, "count/persistentvolumeclaims")
            or any(n.endswith(_STORAGE_CLASS_SUFFIX + r) for r in _PVC_RESOURCES)
        ]
    counted = {_count_name(plural, group), _LEGACY_ALIASES.get(plural, "")} - {""}
    return [n for n in names if n in counted]


def _usage(plural: str, group: str, obj: Obj, now: datetime) -> ResourceList:
    """What one object charges (the evaluators' Usage)."""
    if plural == "pods":
        return _pod_usage(obj, now)
    if plural == "services":
        return _service_usage(obj)
    if plural == "persistentvolumeclaims":
        return _pvc_usage(obj)
    one = Quantity(1)
    return {name: one for name in (_count_name(plural, group), _LEGACY_ALIASES.get(plural)) if name}


def _pod_usage(pod: Obj, now: datetime) -> ResourceList:
    usage: ResourceList = {"count/pods": Quantity(1)}
    if not _charged(pod, now):
        return usage
    spec = _spec(pod)
    return _add(usage, _compute_usage(_pod_requests(spec), _pod_limits(spec)))


def _charged(pod: Obj, now: datetime) -> bool:
    """QuotaV1Pod: terminal pods, and pods past their deletion grace, use no compute quota."""
    if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
        return False
    meta = pod.get("metadata") or {}
    deleted, grace = meta.get("deletionTimestamp"), meta.get("deletionGracePeriodSeconds")
    if deleted and grace is not None:
        at = datetime.fromisoformat(str(deleted).replace("Z", "+00:00"))
        return now <= at + timedelta(seconds=int(grace))
    return True


def _compute_usage(requests: ResourceList, limits: ResourceList) -> ResourceList:
    """podComputeUsageHelper."""
    usage: ResourceList = {"pods": _ONE}
    for name in ("cpu", "memory", "ephemeral-storage"):
        if name in requests:
            usage[name] = usage[f"requests.{name}"] = requests[name]
        if name in limits:
            usage[f"limits.{name}"] = limits[name]
    for name, value in requests.items():
        if name.startswith("hugepages-"):
            usage[name] = usage[f"requests.{name}"] = value
        elif _is_extended_resource(name):
            usage[f"requests.{name}"] = value
    return usage


def _service_usage(service: Obj) -> ResourceList:
    spec = _spec(service)
    ports = spec.get("ports") or []
    usage = {
        "count/services": Quantity(1),
        "services": Quantity(1),
        "services.loadbalancers": Quantity(0),
        "services.nodeports": Quantity(0),
    }
    if spec.get("type") == "NodePort":
        usage["services.nodeports"] = Quantity(len(ports))
    elif spec.get("type") == "LoadBalancer":
        if spec.get("allocateLoadBalancerNodePorts") is False:
            usage["services.nodeports"] = Quantity(sum(1 for p in ports if p.get("nodePort")))
        else:
            usage["services.nodeports"] = Quantity(len(ports))
        usage["services.loadbalancers"] = Quantity(1)
    return usage


def _pvc_usage(pvc: Obj) -> ResourceList:
    spec = _spec(pvc)
    usage = {"persistentvolumeclaims": Quantity(1), "count/persistentvolumeclaims": Quantity(1)}
    annotations = (pvc.get("metadata") or {}).get("annotations") or {}
    storage_class = (
        annotations.get("volume.beta.kubernetes.io/storage-class")
        or spec.get("storageClassName")
        or ""
    )
    if storage_class:
        usage[f"{storage_class}{_STORAGE_CLASS_SUFFIX}persistentvolumeclaims"] = Quantity(1)
    requested = _rlist((spec.get("resources") or {}).get("requests")).get("storage")
    allocated = _rlist((pvc.get("status") or {}).get("allocatedResources")).get("storage")
    if requested is not None and allocated is not None and allocated > requested:
        requested = allocated
    if requested is not None:
        requested = requested.round_up(0)  # whole bytes, as the quota validation wants
        usage["requests.storage"] = requested
        if storage_class:
            usage[f"{storage_class}{_STORAGE_CLASS_SUFFIX}requests.storage"] = requested
    return usage


def _scopes_match(quota: Obj, plural: str, obj: Obj) -> bool:
    """All of the quota's scopes (and scopeSelector expressions) select the object."""
    spec = _spec(quota)
    selectors = [{"scopeName": s, "operator": "Exists"} for s in spec.get("scopes") or []]
    selectors += (spec.get("scopeSelector") or {}).get("matchExpressions") or []
    if not selectors:
        return True
    return plural == "pods" and all(_pod_in_scope(obj, s) for s in selectors)


def _pod_in_scope(pod: Obj, selector: Obj) -> bool:
    spec = _spec(pod)
    scope, operator = selector.get("scopeName"), selector.get("operator")
    deadline = spec.get("activeDeadlineSeconds")
    terminating = deadline is not None and int(deadline) >= 0
    if scope in ("Terminating", "NotTerminating"):
        return terminating == (scope == "Terminating")
    if scope in ("BestEffort", "NotBestEffort"):
        return _best_effort(spec) == (scope == "BestEffort")
    if scope == "PriorityClass":
        value = spec.get("priorityClassName") or ""
        values = selector.get("values") or []
        return {
            "Exists": bool(value),
            "DoesNotExist": not value,
            "In": bool(value) and value in values,
            "NotIn": not value or value not in values,
        }.get(str(operator), False)
    if scope == "CrossNamespacePodAffinity":
        return _cross_namespace_affinity(spec)
    return False


def _best_effort(spec: Obj) -> bool:
    """QoS BestEffort: no positive cpu/memory request or limit anywhere in the pod."""
    pod_level = spec.get("resources") or {}
    holders = (
        [pod_level]
        if pod_level.get("requests") or pod_level.get("limits")
        else [
            c.get("resources") or {}
            for c in [*(spec.get("containers") or []), *(spec.get("initContainers") or [])]
        ]
    )
    return not any(
        q.sign() > 0
        for r in holders
        for key in ("requests", "limits")
        for name, q in _rlist(r.get(key)).items()
        if name in ("cpu", "memory")
    )


def _cross_namespace_affinity(spec: Obj) -> bool:
    affinity = spec.get("affinity") or {}
    for kind in ("podAffinity", "podAntiAffinity"):
        rules = affinity.get(kind) or {}
        terms = list(rules.get("requiredDuringSchedulingIgnoredDuringExecution") or [])
        terms += [
            w.get("podAffinityTerm") or {}
            for w in rules.get("preferredDuringSchedulingIgnoredDuringExecution") or []
        ]
        if any(t.get("namespaces") or t.get("namespaceSelector") is not None for t in terms):
            return True
    return False


def _missing_requests(pod: Obj, required: set[str]) -> str:
    """The pods evaluator's Constraints: each container must set what cpu/memory quota needs."""
    missing: dict[str, set[str]] = {}
    spec = _spec(pod)
    for container in [*(spec.get("containers") or []), *(spec.get("initContainers") or [])]:
        res = container.get("resources") or {}
        have = set(_compute_usage(_rlist(res.get("requests")), _rlist(res.get("limits"))))
        for name in required - have:
            missing.setdefault(name, set()).add(container.get("name", ""))
    if not missing:
        return ""
    return "must specify " + "; ".join(
        f"{name} for: {','.join(sorted(containers))}"
        for name, containers in sorted(missing.items())
    )


# -- pod resource arithmetic (k8s.io/component-helpers/resource) ----------------------------


def _pod_requests(spec: Obj) -> ResourceList:
    """PodRequests: containers, init containers (and sidecars), pod-level values, overhead."""
    requests = _with_pod_level(_aggregate_containers(spec, "requests"), spec, "requests")
    return _add(requests, _rlist(spec.get("overhead")))


def _pod_limits(spec: Obj) -> ResourceList:
    """PodLimits: like requests, but overhead only adds to resources that have a limit."""
    limits = _with_pod_level(_aggregate_containers(spec, "limits"), spec, "limits")
    overhead = _rlist(spec.get("overhead"))
    return {k: v + overhead[k] if k in overhead else v for k, v in limits.items()}


def _with_pod_level(totals: ResourceList, spec: Obj, key: str) -> ResourceList:
    pod_level = _rlist((spec.get("resources") or {}).get(key))
    return {**totals, **{k: v for k, v in pod_level.items() if k in ("cpu", "memory")}}


def _aggregate_containers(spec: Obj, key: str) -> ResourceList:
    """Sum of the containers; init containers run first, so the pod needs at least their max.

    Restartable (sidecar) init containers keep running, so they add to both."""
    totals: ResourceList = {}
    for container in spec.get("containers") or []:
        totals = _add(totals, _rlist((container.get("resources") or {}).get(key)))
    sidecars: ResourceList = {}
    init_peak: ResourceList = {}
    for container in spec.get("initContainers") or []:
        own = _rlist((container.get("resources") or {}).get(key))
        if container.get("restartPolicy") == "Always":
            totals = _add(totals, own)
            sidecars = _add(sidecars, own)
            effective = sidecars
        else:
            effective = _add(own, sidecars)
        init_peak = _max(init_peak, effective)
    return _max(totals, init_peak)


def _add(a: ResourceList, b: ResourceList) -> ResourceList:
    """quota.Add: keys of both; a value only in one side is kept as it is (string and all)."""
    return {**b, **{k: v + b[k] if k in b else v for k, v in a.items()}}


def _max(a: ResourceList, b: ResourceList) -> ResourceList:
    return {**a, **{k: v for k, v in b.items() if k not in a or v > a[k]}}


# -- small helpers -------------------------------------------------------------------------


def _rlist(raw: Any) -> ResourceList:
    """A ResourceList from its JSON form; values that do not parse are left out."""
    if not isinstance(raw, Mapping):
        return {}
    parsed = {str(k): parse_or_none(v) for k, v in raw.items()}
    return {k: q for k, q in parsed.items() if q is not None}


def _canonical_list(raw: Any) -> dict[str, str]:
    return {k: str(q) for k, q in _rlist(raw).items()}


def _pretty(values: ResourceList, names: list[str]) -> str:
    """prettyPrint: name=value pairs sorted by name, comma separated."""
    return ",".join(f"{n}={values[n]}" for n in sorted(names) if n in values)


def _spec(obj: Obj) -> Obj:
    spec = obj.get("spec")
    return spec if isinstance(spec, dict) else {}


def _admission_name(obj: Obj) -> str:
    """The name admission errors use: the name, else generateName, else "Unknown"."""
    meta = obj.get("metadata") or {}
    return meta.get("name") or meta.get("generateName") or "Unknown"


def _group(plural: str) -> str:
    for rt in resources.RESOURCE_TYPES:
        if rt.plural == plural:
            return rt.group
    return ""


def _count_name(plural: str, group: str) -> str:
    return f"count/{plural}.{group}" if group else f"count/{plural}"


def _is_native(name: str) -> bool:
    return "/" not in name or "kubernetes.io/" in name


def _is_extended_resource(name: str) -> bool:
    return not _is_native(name) and not name.startswith("requests.")


def _is_extended_quota_name(name: str) -> bool:
    return not _is_native(name) and name.startswith("requests.")
