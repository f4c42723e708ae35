"""What a real API server fills in on the way in: defaulting, and the mutations clients see.

Ports SetDefaults_* (pkg/apis/*/v1/defaults.go with the generated defaulters, which also
default pod templates and round every ResourceList up to milli units), the v1 conversions
that show (Secret stringData, serviceAccount, StatefulSet claim templates), the create-time
strategy steps (Namespace finalizer, Service cluster IPs and families, Job selector) and the
pod admission plugins that always run (ServiceAccount, Priority, DefaultTolerationSeconds).
"""

from __future__ import annotations

import base64
import copy
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from storedesk.sim import customresources
from storedesk.sim.errors import bad_request, forbidden
from storedesk.sim.quantity import Quantity, parse

Obj = dict[str, Any]

_BUILTIN_PRIORITIES = {"system-cluster-critical": 2000000000, "system-node-critical": 2000001000}
_TOLERATED_TAINTS = ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable")
_RBAC_GROUP = "rbac.authorization.k8s.io"
_TAG = re.compile(r"[\w][\w.-]{0,127}")


class _BadQuantity(ValueError):
    """A quantity the JSON decoder of a real server would already have refused."""


def apply_defaults(
    obj: Obj,
    plural: str,
    *,
    allocate_cluster_ip: Callable[[], str],
    allocate_node_port: Callable[[], int] | None = None,
    creating: bool | None = None,
    priority_classes: list[Obj] | None = None,
) -> Obj:
    """The object as the server stores it: defaulted, canonical quantities (returns a copy).

    `creating` selects the create-only steps (pod admission defaults, Namespace finalizer,
    Service IP allocation, Job selector); None means "create when metadata.uid is unset".
    Job selectors need metadata.uid, so on create assign it before calling this. Node ports
    are allocated only when `allocate_node_port` is given. `priority_classes` are the stored
    PriorityClasses Priority admission resolves pods against (the two system ones are always
    known). Raises ApiError 400 for a quantity that does not parse, 403 for a pod naming an
    unknown PriorityClass.
    """
    obj = copy.deepcopy(obj)
    meta = metadata if isinstance(metadata := obj.get("metadata"), dict) else {}
    if creating is None:
        creating = not meta.get("uid")
    handler = _HANDLERS.get(plural)
    if handler is None:
        return obj
    try:
        handler(
            obj,
            _Context(creating, allocate_cluster_ip, allocate_node_port, priority_classes or []),
        )
    except _BadQuantity as e:
        kind = obj.get("kind", "")
        version = str(obj.get("apiVersion", "")).rpartition("/")[2]
        raise bad_request(
            f'{kind} in version "{version}" cannot be handled as a {kind}: {e}'
        ) from None
    return obj


def limit_range_item(item: Obj) -> Obj:
    """SetDefaults_LimitRangeItem: default from max, defaultRequest from default, then min."""
    item = dict(item)
    if item.get("type") == "Container":
        default = {**_map(item.get("max")), **_map(item.get("default"))}
        request = {**_map(item.get("min")), **default, **_map(item.get("defaultRequest"))}
        for key, value in (("default", default), ("defaultRequest", request)):
            if value:
                item[key] = value
    return item


def canonical_resource_list(raw: Any) -> Any:
    """SetDefaults_ResourceList: each quantity rounded up to milli units, as the API prints it."""
    if not isinstance(raw, dict):
        return raw
    return {name: str(_quantity(value).round_up(-3)) for name, value in raw.items()}


@dataclass(frozen=True)
class _Context:
    creating: bool
    allocate_ip: Callable[[], str]
    allocate_port: Callable[[], int] | None
    priority_classes: list[Obj] = field(default_factory=list)


# -- pods and pod templates ----------------------------------------------------------------


def _pod(obj: Obj, ctx: _Context) -> None:
    spec = _child(obj, "spec")
    for container in _containers(spec):
        _requests_from_limits(container)  # only Pods get this, not templates (SetDefaults_Pod)
    _pod_spec(spec)
    _set(spec, "enableServiceLinks", True)
    if spec.get("hostNetwork"):
        for container in _containers(spec):
            for port in _list(container.get("ports")):
                if not port.get("hostPort"):
                    port["hostPort"] = port.get("containerPort")
    if ctx.creating:
        _pod_admission(obj, spec, ctx.priority_classes)


def _requests_from_limits(container: Obj) -> None:
    resources = container.get("resources")
    if isinstance(resources, dict) and isinstance(resources.get("limits"), dict):
        requests = {**resources["limits"], **_map(resources.get("requests"))}
        if requests:
            resources["requests"] = requests


def _pod_admission(pod: Obj, spec: Obj, stored: list[Obj] | None = None) -> None:
    """ServiceAccount, Priority and DefaultTolerationSeconds admission, as on a create."""
    if not spec.get("serviceAccountName"):
        spec["serviceAccountName"] = spec["serviceAccount"] = "default"
    meta = pod.get("metadata") or {}
    name = meta.get("name") or meta.get("generateName") or "Unknown"
    classes = {
        **{n: (v, "PreemptLowerPriority") for n, v in _BUILTIN_PRIORITIES.items()},
        **{
            c["metadata"]["name"]: (
                int(c.get("value", 0)),
                c.get("preemptionPolicy") or "PreemptLowerPriority",
            )
            for c in stored or ()
        },
    }
    class_name = spec.get("priorityClassName")
    if not class_name:
        default = next((c for c in stored or () if c.get("globalDefault")), None)
        if default is not None:  # the cluster's globalDefault class names the pod's priority
            class_name = spec["priorityClassName"] = default["metadata"]["name"]
    if class_name and class_name not in classes:
        raise forbidden("pods", "", name, f"no PriorityClass with name {class_name} was found")
    priority, policy = classes.get(class_name or "", (0, "PreemptLowerPriority"))
    if spec.get("priority") is not None and spec["priority"] != priority:
        raise forbidden(
            "pods",
            "",
            name,
            (
                f"the integer value of priority ({spec['priority']}) must not be provided in pod "
                f"spec; priority admission controller computed {priority} from the given "
                "PriorityClass name"
            ),
        )
    spec["priority"] = priority
    if spec.get("preemptionPolicy") not in (None, policy):
        raise forbidden(
            "pods",
            "",
            name,
            (
                f"the string value of PreemptionPolicy ({spec['preemptionPolicy']}) must not be "
                f"provided in pod spec; priority admission controller computed {policy} from "
                "the given PriorityClass name"
            ),
        )
    spec["preemptionPolicy"] = policy
    tolerations = _list(spec.get("tolerations"))
    for key in _TOLERATED_TAINTS:
        if not any(
            t.get("key") in (key, None, "") and t.get("effect") in ("NoExecute", None, "")
            for t in tolerations
        ):
            tolerations.append(
                {"key": key, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}
            )
    spec["tolerations"] = tolerations


def _template(holder: Obj) -> None:
    template = holder.get("template")
    if isinstance(template, dict):
        _pod_spec(_child(template, "spec"))


def _pod_spec(spec: Obj) -> None:
    """SetDefaults_PodSpec and everything the generated defaulter reaches inside it."""
    _set(spec, "dnsPolicy", "ClusterFirst")
    _set(spec, "restartPolicy", "Always")
    _set(spec, "schedulerName", "default-scheduler")
    _set(spec, "terminationGracePeriodSeconds", 30)
    if spec.get("securityContext") is None:
        spec["securityContext"] = {}
    # v1 keeps the deprecated serviceAccount field mirroring serviceAccountName.
    account = spec.get("serviceAccountName") or spec.get("serviceAccount")
    if account:
        spec["serviceAccountName"] = spec["serviceAccount"] = account
    for volume in _list(spec.get("volumes")):
        _volume(volume)
    for container in [*_containers(spec), *_list(spec.get("ephemeralContainers"))]:
        _container(container)
    if "overhead" in spec:
        spec["overhead"] = canonical_resource_list(spec["overhead"])
    if isinstance(spec.get("resources"), dict):
        _resource_requirements(spec["resources"])


def _containers(spec: Obj) -> list[Obj]:
    return [*_list(spec.get("initContainers")), *_list(spec.get("containers"))]


def _container(container: Obj) -> None:
    if not container.get("imagePullPolicy"):
        container["imagePullPolicy"] = _pull_policy(str(container.get("image") or ""))
    _set(container, "terminationMessagePath", "/dev/termination-log")
    _set(container, "terminationMessagePolicy", "File")
    for port in _list(container.get("ports")):
        _set(port, "protocol", "TCP")
    for env in _list(container.get("env")):
        field_ref = (env.get("valueFrom") or {}).get("fieldRef")
        if isinstance(field_ref, dict):
            _set(field_ref, "apiVersion", "v1")
    resources = container.get("resources")
    container["resources"] = resources if isinstance(resources, dict) else {}
    _resource_requirements(container["resources"])
    for probe_key in ("livenessProbe", "readinessProbe", "startupProbe"):
        probe = container.get(probe_key)
        if isinstance(probe, dict):
            _probe(probe)
    lifecycle = container.get("lifecycle")
    if isinstance(lifecycle, dict):
        for hook in (lifecycle.get("postStart"), lifecycle.get("preStop")):
            if isinstance(hook, dict) and isinstance(hook.get("httpGet"), dict):
                _http_get(hook["httpGet"])


def _pull_policy(image: str) -> str:
    """Always for :latest or an untagged, undigested image; IfNotPresent otherwise.

    A reference that does not parse (empty, upper-case repository, bad tag) has no tag:
    the real defaulter then picks IfNotPresent too."""
    name, at, digest = image.partition("@")
    head, slash, last = name.rpartition("/")
    repository, colon, tag = last.partition(":")
    repository = head + slash + repository
    if (
        not last
        or repository != repository.lower()
        or (colon and not _TAG.fullmatch(tag))
        or (at and ":" not in digest)
    ):
        return "IfNotPresent"
    return "Always" if tag == "latest" or not (tag or digest) else "IfNotPresent"


def _resource_requirements(resources: Obj) -> None:
    for key in ("limits", "requests"):
        if key in resources:
            resources[key] = canonical_resource_list(resources[key])


def _probe(probe: Obj) -> None:
    for key, value in (
        ("timeoutSeconds", 1),
        ("periodSeconds", 10),
        ("successThreshold", 1),
        ("failureThreshold", 3),
    ):
        if not probe.get(key):
            probe[key] = value
    if isinstance(probe.get("httpGet"), dict):
        _http_get(probe["httpGet"])
    if isinstance(probe.get("grpc"), dict) and probe["grpc"].get("service") is None:
        probe["grpc"]["service"] = ""


def _http_get(action: Obj) -> None:
    if not action.get("path"):
        action["path"] = "/"
    if not action.get("scheme"):
        action["scheme"] = "HTTP"


def _volume(volume: Obj) -> None:
    sources = [k for k in volume if k != "name"]
    if not sources:
        volume["emptyDir"] = {}
    for key in ("secret", "configMap", "downwardAPI", "projected"):
        if isinstance(volume.get(key), dict) and volume[key].get("defaultMode") is None:
            volume[key]["defaultMode"] = 420
    if isinstance(volume.get("hostPath"), dict) and volume["hostPath"].get("type") is None:
        volume["hostPath"]["type"] = ""
    if isinstance(volume.get("emptyDir"), dict) and volume["emptyDir"].get("sizeLimit") is not None:
        volume["emptyDir"]["sizeLimit"] = str(_quantity(volume["emptyDir"]["sizeLimit"]))
    items = _list((volume.get("downwardAPI") or {}).get("items"))
    for source in _list((volume.get("projected") or {}).get("sources")):
        items += _list((source.get("downwardAPI") or {}).get("items"))
        token = source.get("serviceAccountToken")
        if isinstance(token, dict):
            _set(token, "expirationSeconds", 3600)
    for item in items:
        if isinstance(item.get("fieldRef"), dict):
            _set(item["fieldRef"], "apiVersion", "v1")
    claim = (volume.get("ephemeral") or {}).get("volumeClaimTemplate")
    if isinstance(claim, dict):
        _claim_spec(_child(claim, "spec"))


# -- workloads -----------------------------------------------------------------------------


def _deployment(obj: Obj, ctx: _Context) -> None:
    spec = _child(obj, "spec")
    _set(spec, "replicas", 1)
    strategy = _child(spec, "strategy")
    _set(strategy, "type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        rolling = _child(strategy, "rollingUpdate")
        _set(rolling, "maxUnavailable", "25%")
        _set(rolling, "maxSurge", "25%")
    _set(spec, "revisionHistoryLimit", 10)
    _set(spec, "progressDeadlineSeconds", 600)
    _template(spec)


def _replica_set(obj: Obj, ctx: _Context) -> None:
    spec = _child(obj, "spec")
    _set(spec, "replicas", 1)
    _template(spec)


def _stateful_set(obj: Obj, ctx: _Context) -> None:
    spec = _child(obj, "spec")
    _set(spec, "podManagementPolicy", "OrderedReady")
    strategy = _child(spec, "updateStrategy")
    if not strategy.get("type"):
        strategy["type"] = "RollingUpdate"
        if strategy.get("rollingUpdate") is None:
            strategy["rollingUpdate"] = {}
    rolling = strategy.get("rollingUpdate")
    if strategy["type"] == "RollingUpdate" and isinstance(rolling, dict):
        _set(rolling, "partition", 0)
    retention = _child(spec, "persistentVolumeClaimRetentionPolicy")
    _set(retention, "whenDeleted", "Retain")
    _set(retention, "whenScaled", "Retain")
    _set(spec, "replicas", 1)
    _set(spec, "revisionHistoryLimit", 10)
    _template(spec)
    for claim in _list(spec.get("volumeClaimTemplates")):
        # apps/v1 conversion names the kind of each claim template (issue 87583).
        claim["apiVersion"], claim["kind"] = "v1", "PersistentVolumeClaim"
        _claim_spec(_child(claim, "spec"))
        _set(_child(claim, "status"), "phase", "Pending")


def _daemon_set(obj: Obj, ctx: _Context) -> None:
    spec = _child(obj, "spec")
    strategy = _child(spec, "updateStrategy")
    _set(strategy, "type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        rolling = _child(strategy, "rollingUpdate")
        _set(rolling, "maxUnavailable", 1)
        _set(rolling, "maxSurge", 0)
    _set(spec, "revisionHistoryLimit", 10)
    _template(spec)


def _replication_controller(obj: Obj, ctx: _Context) -> None:
    """SetDefaults_ReplicationController: selector and labels from the template's labels."""
    spec = _child(obj, "spec")
    template = spec.get("template") if isinstance(spec.get("template"), dict) else None
    labels = dict(((template or {}).get("metadata") or {}).get("labels") or {})
    if labels:
        if not spec.get("selector"):
            spec["selector"] = dict(labels)
        meta = _child(obj, "metadata")
        if not meta.get("labels"):
            meta["labels"] = dict(labels)
    _set(spec, "replicas", 1)
    _template(spec)


def _cron_job(obj: Obj, ctx: _Context) -> None:
    spec = _child(obj, "spec")
    _set(spec, "concurrencyPolicy", "Allow")
    _set(spec, "suspend", False)
    _set(spec, "successfulJobsHistoryLimit", 3)
    _set(spec, "failedJobsHistoryLimit", 1)
    job = _child(_child(spec, "jobTemplate"), "spec")
    _template(job)


def _autoscaler(obj: Obj, ctx: _Context) -> None:
    """autoscaling/v2 SetDefaults_HorizontalPodAutoscaler (and its behavior rules)."""
    spec = _child(obj, "spec")
    _set(spec, "minReplicas", 1)
    if not spec.get("metrics"):
        spec["metrics"] = [
            {
                "type": "Resource",
                "resource": {
                    "name": "cpu",
                    "target": {"type": "Utilization", "averageUtilization": 80},
                },
            }
        ]
    behavior = spec.get("behavior")
    if isinstance(behavior, dict):
        behavior["scaleUp"] = _scaling_rules(
            behavior.get("scaleUp"),
            0,
            [{"type": "Pods", "value": 4, "periodSeconds": 15}, _percent_policy()],
        )
        behavior["scaleDown"] = _scaling_rules(behavior.get("scaleDown"), 300, [_percent_policy()])


def _percent_policy() -> Obj:
    return {"type": "Percent", "value": 100, "periodSeconds": 15}


def _scaling_rules(rules: Any, window: int, policies: list[Obj]) -> Obj:
    rules = dict(rules) if isinstance(rules, dict) else {}
    _set(rules, "stabilizationWindowSeconds", window)
    _set(rules, "selectPolicy", "Max")
    if not rules.get("policies"):
        rules["policies"] = policies
    return rules


def _persistent_volume(obj: Obj, ctx: _Context) -> None:
    spec = _child(obj, "spec")
    _set(spec, "persistentVolumeReclaimPolicy", "Retain")
    _set(spec, "volumeMode", "Filesystem")
    if "capacity" in spec:
        spec["capacity"] = canonical_resource_list(spec["capacity"])
    status = _child(obj, "status")
    _set(status, "phase", "Pending")


def _endpoint_slice(obj: Obj, ctx: _Context) -> None:
    for port in _list(obj.get("ports")):
        _set(port, "protocol", "TCP")
        if port.get("name") is None:
            port["name"] = ""


def _job(obj: Obj, ctx: _Context) -> None:
    spec = _child(obj, "spec")
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1
    _set(spec, "parallelism", 1)
    if spec.get("backoffLimit") is None:
        spec["backoffLimit"] = 2**31 - 1 if spec.get("backoffLimitPerIndex") is not None else 6
    _set(spec, "completionMode", "NonIndexed")
    _set(spec, "suspend", False)
    _set(
        spec,
        "podReplacementPolicy",
        "Failed" if spec.get("podFailurePolicy") is not None else "TerminatingOrFailed",
    )
    _set(spec, "manualSelector", False)
    for rule in _list((spec.get("podFailurePolicy") or {}).get("rules")):
        for pattern in _list(rule.get("onPodConditions")):
            _set(pattern, "status", "True")
    _template(spec)
    meta = _child(obj, "metadata")
    if ctx.creating and meta.get("uid") and not spec["manualSelector"]:
        _job_selector(spec, meta)
    template_labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels")
    if template_labels and not meta.get("labels"):
        meta["labels"] = dict(template_labels)


def _job_selector(spec: Obj, meta: Obj) -> None:
    """The Job strategy's generateSelector: pods carry the job's name and uid."""
    labels = _child(_child(_child(spec, "template"), "metadata"), "labels")
    for key in ("job-name", "batch.kubernetes.io/job-name"):
        labels.setdefault(key, meta.get("name", ""))
    for key in ("controller-uid", "batch.kubernetes.io/controller-uid"):
        labels.setdefault(key, meta["uid"])
    match = _child(_child(spec, "selector"), "matchLabels")
    _set(match, "batch.kubernetes.io/controller-uid", meta["uid"])


# -- other kinds ---------------------------------------------------------------------------


def _service(obj: Obj, ctx: _Context) -> None:
    spec = _child(obj, "spec")
    _set(spec, "sessionAffinity", "None")
    if spec["sessionAffinity"] == "None":
        spec.pop("sessionAffinityConfig", None)
    elif spec["sessionAffinity"] == "ClientIP":
        client_ip = _child(_child(spec, "sessionAffinityConfig"), "clientIP")
        _set(client_ip, "timeoutSeconds", 10800)
    _set(spec, "type", "ClusterIP")
    kind = spec["type"]
    for port in _list(spec.get("ports")):
        _set(port, "protocol", "TCP")
        if port.get("targetPort") in (None, 0, ""):
            port["targetPort"] = port.get("port")
    if kind in ("NodePort", "LoadBalancer") or (kind == "ClusterIP" and spec.get("externalIPs")):
        _set(spec, "externalTrafficPolicy", "Cluster")
    if kind in ("NodePort", "LoadBalancer", "ClusterIP"):
        _set(spec, "internalTrafficPolicy", "Cluster")
    if kind == "LoadBalancer":
        _set(spec, "allocateLoadBalancerNodePorts", True)
    if ctx.creating and kind != "ExternalName":
        _allocate_service(spec, ctx)


def _allocate_service(spec: Obj, ctx: _Context) -> None:
    """The service REST storage on create: cluster IPs, IP families, node ports."""
    if not spec.get("clusterIP") and spec.get("clusterIPs"):
        spec["clusterIP"] = spec["clusterIPs"][0]
    headless = spec.get("clusterIP") == "None"
    _set(
        spec,
        "ipFamilyPolicy",
        "RequireDualStack" if headless and not spec.get("selector") else "SingleStack",
    )
    if not spec.get("clusterIP"):
        spec["clusterIP"] = ctx.allocate_ip()
    if not spec.get("clusterIPs"):
        spec["clusterIPs"] = [spec["clusterIP"]]
    families = spec.get("ipFamilies") or ["IPv6" if ":" in spec["clusterIP"] else "IPv4"]
    if (
        headless
        and not spec.get("selector")
        and len(families) < 2
        and spec["ipFamilyPolicy"] != "SingleStack"
    ):
        # Selectorless headless services take both families, even on a single-stack cluster.
        families = [*families, "IPv6" if families[0] == "IPv4" else "IPv4"]
    spec["ipFamilies"] = families
    wants_ports = spec["type"] == "NodePort" or (
        spec["type"] == "LoadBalancer" and spec.get("allocateLoadBalancerNodePorts", True)
    )
    if wants_ports and ctx.allocate_port is not None:
        by_port: dict[Any, Any] = {}
        for port in _list(spec.get("ports")):
            if not port.get("nodePort"):
                port["nodePort"] = by_port.get(port.get("port")) or ctx.allocate_port()
            by_port.setdefault(port.get("port"), port["nodePort"])


def _pvc(obj: Obj, ctx: _Context) -> None:
    _claim_spec(_child(obj, "spec"))
    status = _child(obj, "status")
    _set(status, "phase", "Pending")
    for key in ("capacity", "allocatedResources"):
        if key in status:
            status[key] = canonical_resource_list(status[key])


def _claim_spec(spec: Obj) -> None:
    _set(spec, "volumeMode", "Filesystem")
    if isinstance(spec.get("resources"), dict):
        _resource_requirements(spec["resources"])


def _secret(obj: Obj, ctx: _Context) -> None:
    # v1 -> internal conversion folds stringData into data; stringData is never stored.
    string_data = obj.pop("stringData", None)
    if isinstance(string_data, dict) and string_data:
        obj["data"] = {
            **_map(obj.get("data")),
            **{k: base64.b64encode(str(v).encode()).decode() for k, v in string_data.items()},
        }
    if not obj.get("type"):
        obj["type"] = "Opaque"


def _namespace(obj: Obj, ctx: _Context) -> None:
    meta = _child(obj, "metadata")
    if meta.get("name"):
        meta["labels"] = {**_map(meta.get("labels")), "kubernetes.io/metadata.name": meta["name"]}
    if ctx.creating:
        spec = _child(obj, "spec")
        # As before: _list keeps only object entries, so names sent are dropped and
        # "kubernetes" is always added (real PrepareForCreate keeps the names sent).
        spec["finalizers"] = [*_list(spec.get("finalizers")), "kubernetes"]
        obj["status"] = {"phase": "Active"}
    else:
        _set(_child(obj, "status"), "phase", "Active")


def _network_policy(obj: Obj, ctx: _Context) -> None:
    spec = _child(obj, "spec")
    if not spec.get("policyTypes"):
        spec["policyTypes"] = ["Ingress", *(["Egress"] if spec.get("egress") else [])]
    for rule in [*_list(spec.get("ingress")), *_list(spec.get("egress"))]:
        for port in _list(rule.get("ports")):
            _set(port, "protocol", "TCP")


def _ingress_class(obj: Obj, ctx: _Context) -> None:
    parameters = _child(obj, "spec").get("parameters")
    if isinstance(parameters, dict):
        _set(parameters, "scope", "Cluster")


def _limit_range(obj: Obj, ctx: _Context) -> None:
    spec = _child(obj, "spec")
    limits = [limit_range_item(item) for item in _list(spec.get("limits"))]
    for item in limits:
        for key in ("max", "min", "default", "defaultRequest", "maxLimitRequestRatio"):
            if key in item:
                item[key] = canonical_resource_list(item[key])
    if "limits" in spec:
        spec["limits"] = limits


def _resource_quota(obj: Obj, ctx: _Context) -> None:
    spec = _child(obj, "spec")
    if "hard" in spec:
        spec["hard"] = canonical_resource_list(spec["hard"])
    status = obj.get("status")
    if isinstance(status, dict):
        for key in ("hard", "used"):
            if key in status:
                status[key] = canonical_resource_list(status[key])


def _role_binding(obj: Obj, ctx: _Context) -> None:
    role_ref = obj.get("roleRef")
    if isinstance(role_ref, dict) and not role_ref.get("apiGroup"):
        role_ref["apiGroup"] = _RBAC_GROUP
    for subject in _list(obj.get("subjects")):
        if not subject.get("apiGroup") and subject.get("kind") in ("User", "Group"):
            subject["apiGroup"] = _RBAC_GROUP


def _storage_class(obj: Obj, ctx: _Context) -> None:
    _set(obj, "reclaimPolicy", "Delete")
    _set(obj, "volumeBindingMode", "Immediate")


def _crd(obj: Obj, ctx: _Context) -> None:
    customresources.crd_defaults(obj)


def _priority_class(obj: Obj, ctx: _Context) -> None:
    _set(obj, "preemptionPolicy", "PreemptLowerPriority")


def _webhooks(obj: Obj, ctx: _Context) -> None:
    """SetDefaults for admissionregistration/v1 webhook configurations."""
    mutating = obj.get("kind") == "MutatingWebhookConfiguration"
    for hook in _list(obj.get("webhooks")):
        _set(hook, "failurePolicy", "Fail")
        _set(hook, "matchPolicy", "Equivalent")
        _child(hook, "namespaceSelector")
        _child(hook, "objectSelector")
        _set(hook, "timeoutSeconds", 10)
        if mutating:
            _set(hook, "reinvocationPolicy", "Never")
        for rule in _list(hook.get("rules")):
            _set(rule, "scope", "*")
        service = _child(hook, "clientConfig").get("service")
        if isinstance(service, dict):
            _set(service, "port", 443)


def _admission_policy(obj: Obj, ctx: _Context) -> None:
    spec = _child(obj, "spec")
    _set(spec, "failurePolicy", "Fail")
    constraints = _child(spec, "matchConstraints")
    _set(constraints, "matchPolicy", "Equivalent")
    _child(constraints, "namespaceSelector")
    _child(constraints, "objectSelector")
    for rule in _list(constraints.get("resourceRules")):
        _set(rule, "scope", "*")


def _csi_driver(obj: Obj, ctx: _Context) -> None:
    spec = _child(obj, "spec")
    _set(spec, "attachRequired", True)
    _set(spec, "podInfoOnMount", False)
    _set(spec, "storageCapacity", False)
    _set(spec, "fsGroupPolicy", "ReadWriteOnceWithFSType")
    _set(spec, "requiresRepublish", False)
    _set(spec, "seLinuxMount", False)
    if not spec.get("volumeLifecycleModes"):
        spec["volumeLifecycleModes"] = ["Persistent"]


def _endpoints(obj: Obj, ctx: _Context) -> None:
    for subset in _list(obj.get("subsets")):
        for port in _list(subset.get("ports")):
            _set(port, "protocol", "TCP")


_HANDLERS: dict[str, Callable[[Obj, _Context], None]] = {
    "pods": _pod,
    "deployments": _deployment,
    "replicasets": _replica_set,
    "statefulsets": _stateful_set,
    "jobs": _job,
    "services": _service,
    "persistentvolumeclaims": _pvc,
    "secrets": _secret,
    "namespaces": _namespace,
    "networkpolicies": _network_policy,
    "ingressclasses": _ingress_class,
    "limitranges": _limit_range,
    "resourcequotas": _resource_quota,
    "rolebindings": _role_binding,
    "clusterrolebindings": _role_binding,
    "storageclasses": _storage_class,
    "endpoints": _endpoints,
    "customresourcedefinitions": _crd,
    "daemonsets": _daemon_set,
    "replicationcontrollers": _replication_controller,
    "cronjobs": _cron_job,
    "horizontalpodautoscalers": _autoscaler,
    "persistentvolumes": _persistent_volume,
    "endpointslices": _endpoint_slice,
    "priorityclasses": _priority_class,
    "mutatingwebhookconfigurations": _webhooks,
    "validatingwebhookconfigurations": _webhooks,
    "validatingadmissionpolicies": _admission_policy,
    "csidrivers": _csi_driver,
    "podtemplates": lambda obj, ctx: _template(obj),
}


# -- helpers -------------------------------------------------------------------------------


def _quantity(value: Any) -> Quantity:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _BadQuantity("quantities must be strings or numbers")
    try:
        return parse(str(value).strip())
    except ValueError as e:
        raise _BadQuantity(str(e)) from None


def _set(obj: Obj, key: str, value: Any) -> None:
    """Default obj[key]: Go's unset is a nil pointer (JSON null or absent) or an empty string."""
    if obj.get(key) is None or obj.get(key) == "":
        obj[key] = value


def _child(obj: Obj, key: str) -> Obj:
    """obj[key] as a dict, created when absent or null."""
    value = obj.get(key)
    if not isinstance(value, dict):
        value = obj[key] = {}
    return value


def _list(value: Any) -> list[Obj]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _map(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, dict) else {}
