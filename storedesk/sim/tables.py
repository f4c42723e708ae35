"""Server-side printing: the `Table` objects `kubectl get` asks for, with the real columns.

Columns, their order, types and priorities (priority 1 = only with `-o wide`) and the cell
values follow kubernetes/pkg/printers/internalversion/printers.go; kinds it does not print
get the generic "Name, Created At" table (rest.NewDefaultTableConvertor), APIServices the
aggregator's, and custom resources their CRD's additionalPrinterColumns (default: Age).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from storedesk.sim.resources import ResourceType

Obj = dict[str, Any]
Cell = Callable[[Obj], Any]
Column = tuple[str, str, Cell, int]  # (name, type, cell, priority)
_NONE = "<none>"


# -- time ------------------------------------------------------------------------------------


def _parse_time(stamp: str | None) -> datetime | None:
    if not stamp:
        return None
    try:
        return datetime.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        return None


def since(stamp: str | None) -> str:
    """translateTimestampSince: `5m10s`, or <unknown> without a time."""
    then = _parse_time(stamp)
    if then is None:
        return "<unknown>"
    return short_duration((datetime.now(UTC) - then).total_seconds())


def age(obj: Obj) -> str:
    """`5m10s`-style age of an object, as kubectl shows it."""
    return since(obj.get("metadata", {}).get("creationTimestamp"))


def short_duration(seconds: float) -> str:
    """apimachinery's duration.HumanDuration."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        return f"{minutes}m{s % 60}s" if s % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return f"{hours // 24}d{hours % 24}h" if hours % 24 else f"{hours // 24}d"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = (hours // 24) % 365
        return f"{hours // 24 // 365}y{days}d" if days else f"{hours // 24 // 365}y"
    return f"{hours // 24 // 365}y"


# -- shared formatting -----------------------------------------------------------------------


def _spec(obj: Obj) -> Obj:
    return obj.get("spec") or {}


def _status(obj: Obj) -> Obj:
    return obj.get("status") or {}


def format_labels(labels: dict[str, str] | None) -> str:
    """labels.FormatLabels: sorted k=v joined by commas, <none> when empty."""
    if not labels:
        return _NONE
    return ",".join(f"{k}={labels[k]}" for k in sorted(labels))


def format_selector(selector: Obj | None) -> str:
    """metav1.FormatLabelSelector: matchLabels then expressions, <none> when empty."""
    if selector is None:
        return _NONE
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expr in selector.get("matchExpressions") or ():
        key, op, values = expr.get("key", ""), expr.get("operator", ""), expr.get("values") or []
        if op == "In":
            parts.append(f"{key} in ({','.join(sorted(values))})")
        elif op == "NotIn":
            parts.append(f"{key} notin ({','.join(sorted(values))})")
        elif op == "Exists":
            parts.append(key)
        elif op == "DoesNotExist":
            parts.append(f"!{key}")
    text = ",".join(parts)
    return text or _NONE


def _selector_string(selector: Obj | None) -> str:
    """LabelSelectorAsSelector(...).String(): what `-o wide` shows for Deployments."""
    if not selector:
        return ""
    text = format_selector(selector)
    return "" if text == _NONE else text


def _containers(pod_spec: Obj) -> tuple[str, str]:
    """layoutContainerCells: container names and images, comma-joined."""
    containers = pod_spec.get("containers") or []
    return (
        ",".join(c.get("name", "") for c in containers),
        ",".join(c.get("image", "") for c in containers),
    )


def _template_spec(obj: Obj) -> Obj:
    return (_spec(obj).get("template") or {}).get("spec") or {}


def _access_modes(modes: list[str] | None) -> str:
    """GetAccessModesAsString: RWO,ROX,RWX,RWOP in that order, each once."""
    short = [
        ("ReadWriteOnce", "RWO"),
        ("ReadOnlyMany", "ROX"),
        ("ReadWriteMany", "RWX"),
        ("ReadWriteOncePod", "RWOP"),
    ]
    given = set(modes or ())
    return ",".join(s for mode, s in short if mode in given)


def _more(items: list[str], total: int, maximum: int, empty: str) -> str:
    text = ",".join(items)
    if total > maximum:
        return f"{text} + {total - maximum} more..."
    return text or empty


def _bool(value: Any) -> str:
    """printBoolPtr: True/False, <unset> for nil."""
    if value is None:
        return "<unset>"
    return "True" if value else "False"


# -- per kind ----------------------------------------------------------------------------------


def _pod_row(pod: Obj) -> list[Any]:
    """printPod: READY, STATUS (the kubectl reason), RESTARTS (with how long ago)."""
    status, spec = _status(pod), _spec(pod)
    total = len(spec.get("containers") or [])
    reason = status.get("reason") or status.get("phase", "")
    restartable = {
        c.get("name")
        for c in spec.get("initContainers") or ()
        if c.get("restartPolicy") == "Always"
    }
    total += len(restartable)
    restarts, ready, last_restart = 0, 0, ""
    initializing = False
    inits = status.get("initContainerStatuses") or []
    for i, cs in enumerate(inits):
        restarts += cs.get("restartCount", 0)
        state = cs.get("state") or {}
        terminated, waiting = state.get("terminated"), state.get("waiting")
        if terminated and terminated.get("exitCode") == 0:
            continue
        if cs.get("name") in restartable and cs.get("started"):
            ready += 1 if cs.get("ready") else 0
            continue
        if terminated:
            reason = "Init:" + (
                terminated.get("reason") or f"ExitCode:{terminated.get('exitCode', 0)}"
            )
        elif waiting and waiting.get("reason") and waiting["reason"] != "PodInitializing":
            reason = "Init:" + waiting["reason"]
        else:
            reason = f"Init:{i}/{len(spec.get('initContainers') or [])}"
        initializing = True
        break
    initialized = any(
        c.get("type") == "Initialized" and c.get("status") == "True"
        for c in status.get("conditions") or ()
    )
    if not initializing or initialized:
        restarts = 0
        has_running = False
        for cs in reversed(status.get("containerStatuses") or []):
            restarts += cs.get("restartCount", 0)
            finished = ((cs.get("lastState") or {}).get("terminated") or {}).get("finishedAt")
            if finished and finished > last_restart:
                last_restart = finished
            state = cs.get("state") or {}
            waiting, terminated = state.get("waiting") or {}, state.get("terminated")
            if waiting.get("reason"):
                reason = waiting["reason"]
            elif terminated and terminated.get("reason"):
                reason = terminated["reason"]
            elif terminated:
                reason = f"ExitCode:{terminated.get('exitCode', 0)}"
            elif cs.get("ready") and state.get("running") is not None:
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            pod_ready = any(
                c.get("type") == "Ready" and c.get("status") == "True"
                for c in status.get("conditions") or ()
            )
            reason = "Running" if pod_ready else "NotReady"
    if pod["metadata"].get("deletionTimestamp") and status.get("phase") not in (
        "Succeeded",
        "Failed",
    ):
        reason = "Unknown" if status.get("reason") == "NodeLost" else "Terminating"
    shown = str(restarts)
    if restarts and last_restart:
        shown = f"{restarts} ({since(last_restart)} ago)"
    ips = status.get("podIPs") or []
    gates = spec.get("readinessGates") or []
    gates_text = _NONE
    if gates:
        conditions = {c.get("type"): c.get("status") for c in status.get("conditions") or ()}
        true = sum(1 for g in gates if conditions.get(g.get("conditionType")) == "True")
        gates_text = f"{true}/{len(gates)}"
    return [
        pod["metadata"]["name"],
        f"{ready}/{total}",
        reason,
        shown,
        age(pod),
        (ips[0].get("ip") if ips else "") or _NONE,
        spec.get("nodeName") or _NONE,
        status.get("nominatedNodeName") or _NONE,
        gates_text,
    ]


def _pod_conditions(pod: Obj) -> list[Obj] | None:
    phase = _status(pod).get("phase")
    if phase == "Succeeded":
        return [
            {
                "type": "Completed",
                "status": "True",
                "reason": "Succeeded",
                "message": "The pod has completed successfully.",
            }
        ]
    if phase == "Failed":
        return [
            {
                "type": "Completed",
                "status": "True",
                "reason": "Failed",
                "message": "The pod failed.",
            }
        ]
    return None


def _node_row(node: Obj) -> list[Any]:
    status, info = _status(node), _status(node).get("nodeInfo") or {}
    states = []
    for cond in status.get("conditions") or ():
        if cond.get("type") == "Ready":
            states.append("Ready" if cond.get("status") == "True" else "NotReady")
    if not states:
        states.append("Unknown")
    if _spec(node).get("unschedulable"):
        states.append("SchedulingDisabled")
    roles = set()
    for key, value in (node["metadata"].get("labels") or {}).items():
        if key.startswith("node-role.kubernetes.io/") and key[len("node-role.kubernetes.io/") :]:
            roles.add(key[len("node-role.kubernetes.io/") :])
        elif key == "kubernetes.io/role" and value:
            roles.add(value)
    addresses = status.get("addresses") or []

    def address(kind: str) -> str:
        return next((a["address"] for a in addresses if a.get("type") == kind), _NONE)

    return [
        node["metadata"]["name"],
        ",".join(states),
        ",".join(sorted(roles)) or _NONE,
        age(node),
        info.get("kubeletVersion", ""),
        address("InternalIP"),
        address("ExternalIP"),
        info.get("osImage") or "<unknown>",
        info.get("kernelVersion") or "<unknown>",
        info.get("containerRuntimeVersion") or "<unknown>",
    ]


def _endpoints(ep: Obj) -> str:
    """formatEndpoints: up to three host:port pairs, then "+ N more..."."""
    listed: list[str] = []
    count = 0
    for subset in ep.get("subsets") or ():
        addresses = [a.get("ip", "") for a in subset.get("addresses") or ()]
        ports = subset.get("ports") or []
        if not ports:
            count += len(addresses)
            listed.extend(addresses[: max(0, 3 - len(listed))])
            continue
        for port in ports:
            count += len(addresses)
            for ip in addresses:
                if len(listed) < 3:
                    host = f"[{ip}]" if ":" in ip else ip
                    listed.append(f"{host}:{port.get('port')}")
    if not ep.get("subsets"):
        return _NONE
    return _more(listed, count, 3, "")


def _slice_ports(eps: Obj) -> str:
    ports = eps.get("ports") or []
    shown = [
        str(p["port"]) if p.get("port") is not None else (p.get("name") or "*") for p in ports[:3]
    ]
    return _more(shown, len(ports), 3, "<unset>")


def _slice_endpoints(eps: Obj) -> str:
    addresses = [a for e in eps.get("endpoints") or () for a in e.get("addresses") or ()]
    return _more(addresses[:3], len(addresses), 3, "<unset>")


def _service_external_ip(svc: Obj) -> str:
    spec = _spec(svc)
    kind = spec.get("type", "ClusterIP")
    external = spec.get("externalIPs") or []
    if kind in ("ClusterIP", "NodePort"):
        return ",".join(external) or _NONE
    if kind == "LoadBalancer":
        ingress = (_status(svc).get("loadBalancer") or {}).get("ingress") or []
        balancers = [i.get("ip") or i.get("hostname", "") for i in ingress]
        joined = [b for b in balancers if b] + external
        return ",".join(joined) or "<pending>"
    if kind == "ExternalName":
        return spec.get("externalName", "")
    return "<unknown>"


def _service_ports(svc: Obj) -> str:
    pieces = []
    for port in _spec(svc).get("ports") or ():
        protocol = port.get("protocol", "TCP")
        if port.get("nodePort"):
            pieces.append(f"{port['port']}:{port['nodePort']}/{protocol}")
        else:
            pieces.append(f"{port.get('port')}/{protocol}")
    return ",".join(pieces) or _NONE


def _job_completions(job: Obj) -> str:
    spec, succeeded = _spec(job), _status(job).get("succeeded", 0)
    if spec.get("completions") is not None:
        return f"{succeeded}/{spec['completions']}"
    parallelism = spec.get("parallelism") or 0
    return f"{succeeded}/1 of {parallelism}" if parallelism > 1 else f"{succeeded}/1"


def _job_duration(job: Obj) -> str:
    status = _status(job)
    start, end = _parse_time(status.get("startTime")), _parse_time(status.get("completionTime"))
    if start is None:
        return ""
    finish = end or datetime.now(UTC)
    return short_duration((finish - start).total_seconds())


def _job_status(job: Obj) -> str:
    conditions = {c.get("type"): c.get("status") for c in _status(job).get("conditions") or ()}
    if conditions.get("Complete") == "True":
        return "Complete"
    if conditions.get("Failed") == "True":
        return "Failed"
    if job["metadata"].get("deletionTimestamp"):
        return "Terminating"
    if conditions.get("Suspended") == "True":
        return "Suspended"
    if conditions.get("FailureTarget") == "True":
        return "FailureTarget"
    return "Running"


def _hpa_targets(hpa: Obj) -> str:
    """formatHPAMetrics: at most two metrics, current/target, <unknown> without metrics."""
    specs = _spec(hpa).get("metrics") or []
    statuses = _status(hpa).get("currentMetrics") or []
    if not specs:
        return _NONE
    shown = []
    for i, metric in enumerate(specs):
        current = statuses[i] if i < len(statuses) else {}
        shown.append(_hpa_metric(metric, current))
    text = ", ".join(shown[:2])
    return f"{text} + {len(shown) - 2} more..." if len(shown) > 2 else text


def _hpa_metric(metric: Obj, current: Obj) -> str:
    kind = metric.get("type")
    if kind in ("Resource", "ContainerResource"):
        key = "resource" if kind == "Resource" else "containerResource"
        source, now = metric.get(key) or {}, (current.get(key) or {}).get("current") or {}
        target = source.get("target") or {}
        if target.get("averageValue") is not None:
            value = now.get("averageValue") or "<unknown>"
            return f"{source.get('name', '')}: {value}/{target['averageValue']}"
        value = (
            f"{now['averageUtilization']}%"
            if now.get("averageUtilization") is not None
            else "<unknown>"
        )
        wanted = (
            f"{target['averageUtilization']}%"
            if target.get("averageUtilization") is not None
            else "<auto>"
        )
        return f"{source.get('name', '')}: {value}/{wanted}"
    if kind in ("Pods", "Object", "External"):
        key = kind[:1].lower() + kind[1:]
        target = (metric.get(key) or {}).get("target") or {}
        now = ((current.get(key) or {}).get("current")) or {}
        if kind == "Pods" or target.get("averageValue") is not None:
            value = now.get("averageValue") or "<unknown>"
            suffix = " (avg)" if kind != "Pods" else ""
            return f"{value}/{target.get('averageValue', '')}{suffix}"
        return f"{now.get('value') or '<unknown>'}/{target.get('value', '')}"
    return "<unknown type>"


def _quota_columns(quota: Obj) -> tuple[str, str]:
    hard, used = _status(quota).get("hard") or {}, _status(quota).get("used") or {}
    requests: list[str] = []
    limits: list[str] = []
    for name in sorted(hard):
        target = limits if name.split(".")[0] == "limits" and "." in name else requests
        target.append(f"{name}: {used.get(name, '0')}/{hard[name]}")
    return ", ".join(requests), ", ".join(limits)


def _role_ref(binding: Obj) -> str:
    ref = binding.get("roleRef") or {}
    return f"{ref.get('kind', '')}/{ref.get('name', '')}"


def _subjects(binding: Obj, kind: str) -> str:
    names = []
    for subject in binding.get("subjects") or ():
        if subject.get("kind") != kind:
            continue
        if kind == "ServiceAccount":
            names.append(f"{subject.get('namespace', '')}/{subject.get('name', '')}")
        else:
            names.append(subject.get("name", ""))
    return ", ".join(names)


def _is_default_class(sc: Obj) -> bool:
    annotations = sc["metadata"].get("annotations") or {}
    return "true" in (
        annotations.get("storageclass.kubernetes.io/is-default-class"),
        annotations.get("storageclass.beta.kubernetes.io/is-default-class"),
    )


def _controller_of(obj: Obj) -> str:
    for ref in obj["metadata"].get("ownerReferences") or ():
        if ref.get("controller"):
            group = ref.get("apiVersion", "").rpartition("/")[0]
            kind = f"{ref.get('kind', '')}.{group}" if group else ref.get("kind", "")
            return f"{kind.lower()}/{ref.get('name', '')}"
    return _NONE


def _apiservice_available(apiservice: Obj) -> str:
    for cond in _status(apiservice).get("conditions") or ():
        if cond.get("type") == "Available":
            if cond.get("status") == "True":
                return "True"
            return f"{cond.get('status')} ({cond.get('reason', '')})"
    return "Unknown"


def _event_source(event: Obj) -> str:
    source = event.get("source") or {}
    component = source.get("component") or event.get("reportingComponent", "")
    host = source.get("host") or event.get("reportingInstance", "")
    return f"{component}, {host}" if host else component


def _event_object(event: Obj) -> str:
    involved = event.get("involvedObject") or {}
    kind = involved.get("kind", "").lower()
    return f"{kind}/{involved['name']}" if involved.get("name") else kind


def _claim_of(pv: Obj) -> str:
    ref = _spec(pv).get("claimRef")
    return f"{ref.get('namespace', '')}/{ref.get('name', '')}" if ref else ""


def _claim_class(claim: Obj) -> str:
    annotation = (claim["metadata"].get("annotations") or {}).get(
        "volume.beta.kubernetes.io/storage-class"
    )
    return annotation if annotation is not None else (_spec(claim).get("storageClassName") or "")


def _template_spec_of(template: Obj) -> Obj:
    return (template.get("template") or {}).get("spec") or {}


def _param_kind(kind: Obj | None) -> str:
    if not kind:
        return _NONE
    return f"{kind.get('apiVersion', '')}/{kind.get('kind', '')}"


def _param_ref(ref: Obj | None) -> str:
    if not ref:
        return _NONE
    if ref.get("namespace"):
        return f"{ref['namespace']}/{ref.get('name', '*')}"
    return ref.get("name") or "*"


def _token_requests(driver: Obj) -> str:
    requests = _spec(driver).get("tokenRequests")
    if requests is None:
        return "<unset>"
    return ",".join(r.get("audience", "") for r in requests)


def _int_or_string(value: Any) -> str:
    return "N/A" if value is None else str(value)


def _name(obj: Obj) -> str:
    return str(obj["metadata"]["name"])


def _col(name: str, cell: Cell, kind: str = "string", priority: int = 0) -> Column:
    return (name, kind, cell, priority)


def _wide_template(selector: Cell | None = None) -> list[Column]:
    columns = [
        _col("Containers", lambda o: _containers(_template_spec(o))[0], priority=1),
        _col("Images", lambda o: _containers(_template_spec(o))[1], priority=1),
    ]
    if selector is not None:
        columns.append(_col("Selector", selector, priority=1))
    return columns


_AGE = _col("Age", age)
_NAME = ("Name", "string", _name, 0)

_COLUMNS: dict[str, list[Column]] = {
    "Deployment": [
        _NAME,
        _col(
            "Ready",
            lambda d: f"{_status(d).get('readyReplicas', 0)}/{_spec(d).get('replicas', 0)}",
        ),
        _col("Up-to-date", lambda d: _status(d).get("updatedReplicas", 0)),
        _col("Available", lambda d: _status(d).get("availableReplicas", 0)),
        _AGE,
        *_wide_template(lambda d: _selector_string(_spec(d).get("selector"))),
    ],
    "ReplicaSet": [
        _NAME,
        _col("Desired", lambda r: _spec(r).get("replicas", 0), "integer"),
        _col("Current", lambda r: _status(r).get("replicas", 0), "integer"),
        _col("Ready", lambda r: _status(r).get("readyReplicas", 0), "integer"),
        _AGE,
        *_wide_template(lambda r: format_selector(_spec(r).get("selector"))),
    ],
    "ReplicationController": [
        _NAME,
        _col("Desired", lambda r: _spec(r).get("replicas", 0), "integer"),
        _col("Current", lambda r: _status(r).get("replicas", 0), "integer"),
        _col("Ready", lambda r: _status(r).get("readyReplicas", 0), "integer"),
        _AGE,
        *_wide_template(lambda r: format_labels(_spec(r).get("selector"))),
    ],
    "DaemonSet": [
        _NAME,
        _col("Desired", lambda d: _status(d).get("desiredNumberScheduled", 0), "integer"),
        _col("Current", lambda d: _status(d).get("currentNumberScheduled", 0), "integer"),
        _col("Ready", lambda d: _status(d).get("numberReady", 0), "integer"),
        _col("Up-to-date", lambda d: _status(d).get("updatedNumberScheduled", 0), "integer"),
        _col("Available", lambda d: _status(d).get("numberAvailable", 0), "integer"),
        _col("Node Selector", lambda d: format_labels(_template_spec(d).get("nodeSelector"))),
        _AGE,
        *_wide_template(lambda d: format_selector(_spec(d).get("selector"))),
    ],
    "StatefulSet": [
        _NAME,
        _col(
            "Ready",
            lambda s: f"{_status(s).get('readyReplicas', 0)}/{_spec(s).get('replicas', 0)}",
        ),
        _AGE,
        *_wide_template(),
    ],
    "Job": [
        _NAME,
        _col("Status", _job_status),
        _col("Completions", _job_completions),
        _col("Duration", _job_duration),
        _AGE,
        *_wide_template(lambda j: format_selector(_spec(j).get("selector"))),
    ],
    "CronJob": [
        _NAME,
        _col("Schedule", lambda c: _spec(c).get("schedule", "")),
        _col("Timezone", lambda c: _spec(c).get("timeZone") or _NONE),
        _col("Suspend", lambda c: _bool(_spec(c).get("suspend")), "boolean"),
        _col("Active", lambda c: len(_status(c).get("active") or []), "integer"),
        _col(
            "Last Schedule",
            lambda c: (
                since(_status(c)["lastScheduleTime"])
                if _status(c).get("lastScheduleTime")
                else _NONE
            ),
        ),
        _AGE,
        _col(
            "Containers",
            lambda c: _containers(_cron_pod_spec(c))[0],
            priority=1,
        ),
        _col("Images", lambda c: _containers(_cron_pod_spec(c))[1], priority=1),
        _col(
            "Selector",
            lambda c: format_selector(
                ((_spec(c).get("jobTemplate") or {}).get("spec") or {}).get("selector")
            ),
            priority=1,
        ),
    ],
    "Service": [
        _NAME,
        _col("Type", lambda s: _spec(s).get("type", "ClusterIP")),
        _col("Cluster-IP", lambda s: (_spec(s).get("clusterIPs") or [_NONE])[0]),
        _col("External-IP", _service_external_ip),
        _col("Port(s)", _service_ports),
        _AGE,
        _col("Selector", lambda s: format_labels(_spec(s).get("selector")), priority=1),
    ],
    "Ingress": [
        _NAME,
        _col("Class", lambda i: _spec(i).get("ingressClassName") or _NONE),
        _col(
            "Hosts",
            lambda i: _more(
                [r["host"] for r in (_spec(i).get("rules") or [])[:3] if r.get("host")],
                len(_spec(i).get("rules") or []),
                3,
                "*",
            ),
        ),
        _col(
            "Address",
            lambda i: ",".join(
                x.get("ip") or x.get("hostname", "")
                for x in (_status(i).get("loadBalancer") or {}).get("ingress") or []
            ),
        ),
        _col("Ports", lambda i: "80, 443" if _spec(i).get("tls") else "80"),
        _AGE,
    ],
    "IngressClass": [
        _NAME,
        _col("Controller", lambda c: _spec(c).get("controller", "")),
        _col("Parameters", lambda c: _ingress_class_parameters(c)),
        _AGE,
    ],
    "Endpoints": [_NAME, _col("Endpoints", _endpoints), _AGE],
    "EndpointSlice": [
        _NAME,
        _col("AddressType", lambda e: e.get("addressType", "")),
        _col("Ports", _slice_ports),
        _col("Endpoints", _slice_endpoints),
        _AGE,
    ],
    "Namespace": [_NAME, _col("Status", lambda n: _status(n).get("phase", "")), _AGE],
    "Secret": [
        _NAME,
        _col("Type", lambda s: s.get("type", "")),
        _col("Data", lambda s: len(s.get("data") or {})),
        _AGE,
    ],
    "ServiceAccount": [_NAME, _col("Secrets", lambda s: len(s.get("secrets") or [])), _AGE],
    "ConfigMap": [
        _NAME,
        _col("Data", lambda c: len(c.get("data") or {}) + len(c.get("binaryData") or {})),
        _AGE,
    ],
    "PersistentVolume": [
        _NAME,
        _col("Capacity", lambda v: (_spec(v).get("capacity") or {}).get("storage", "0")),
        _col("Access Modes", lambda v: _access_modes(_spec(v).get("accessModes"))),
        _col("Reclaim Policy", lambda v: _spec(v).get("persistentVolumeReclaimPolicy", "")),
        _col(
            "Status",
            lambda v: (
                "Terminating"
                if v["metadata"].get("deletionTimestamp")
                else _status(v).get("phase", "")
            ),
        ),
        _col("Claim", _claim_of),
        _col("StorageClass", lambda v: _spec(v).get("storageClassName", "")),
        _col(
            "VolumeAttributesClass",
            lambda v: _spec(v).get("volumeAttributesClassName") or "<unset>",
        ),
        _col("Reason", lambda v: _status(v).get("reason", "")),
        _AGE,
        _col("VolumeMode", lambda v: _spec(v).get("volumeMode") or "<unset>", priority=1),
    ],
    "PersistentVolumeClaim": [
        _NAME,
        _col(
            "Status",
            lambda c: (
                "Terminating"
                if c["metadata"].get("deletionTimestamp")
                else _status(c).get("phase", "")
            ),
        ),
        _col("Volume", lambda c: _spec(c).get("volumeName", "")),
        _col(
            "Capacity",
            lambda c: (
                (_status(c).get("capacity") or {}).get("storage", "")
                if _spec(c).get("volumeName")
                else ""
            ),
        ),
        _col(
            "Access Modes",
            lambda c: (
                _access_modes(_status(c).get("accessModes")) if _spec(c).get("volumeName") else ""
            ),
        ),
        _col("StorageClass", _claim_class),
        _col(
            "VolumeAttributesClass",
            lambda c: _spec(c).get("volumeAttributesClassName") or "<unset>",
        ),
        _AGE,
        _col("VolumeMode", lambda c: _spec(c).get("volumeMode") or "<unset>", priority=1),
    ],
    "HorizontalPodAutoscaler": [
        _NAME,
        _col(
            "Reference",
            lambda h: (
                f"{(_spec(h).get('scaleTargetRef') or {}).get('kind', '')}/"
                f"{(_spec(h).get('scaleTargetRef') or {}).get('name', '')}"
            ),
        ),
        _col("Targets", _hpa_targets),
        _col(
            "MinPods",
            lambda h: (
                str(_spec(h)["minReplicas"])
                if _spec(h).get("minReplicas") is not None
                else "<unset>"
            ),
        ),
        _col("MaxPods", lambda h: _spec(h).get("maxReplicas", 0)),
        _col("Replicas", lambda h: _status(h).get("currentReplicas", 0)),
        _AGE,
    ],
    "NetworkPolicy": [
        _NAME,
        _col("Pod-Selector", lambda n: format_selector(_spec(n).get("podSelector") or {})),
        _AGE,
    ],
    "RoleBinding": [
        _NAME,
        _col("Role", _role_ref),
        _AGE,
        _col("Users", lambda b: _subjects(b, "User"), priority=1),
        _col("Groups", lambda b: _subjects(b, "Group"), priority=1),
        _col("ServiceAccounts", lambda b: _subjects(b, "ServiceAccount"), priority=1),
    ],
    "StorageClass": [
        _col(
            "Name",
            lambda s: f"{_name(s)} (default)" if _is_default_class(s) else _name(s),
        ),
        _col("Provisioner", lambda s: s.get("provisioner", "")),
        _col("ReclaimPolicy", lambda s: s.get("reclaimPolicy") or "Delete"),
        _col("VolumeBindingMode", lambda s: s.get("volumeBindingMode") or "Immediate"),
        _col("AllowVolumeExpansion", lambda s: bool(s.get("allowVolumeExpansion"))),
        _AGE,
    ],
    "ControllerRevision": [
        _NAME,
        _col("Controller", _controller_of),
        _col("Revision", lambda r: r.get("revision", 0)),
        _AGE,
    ],
    "ResourceQuota": [
        _NAME,
        _AGE,
        _col("Request", lambda q: _quota_columns(q)[0]),
        _col("Limit", lambda q: _quota_columns(q)[1]),
    ],
    "PodDisruptionBudget": [
        _NAME,
        _col("Min Available", lambda p: _int_or_string(_spec(p).get("minAvailable"))),
        _col("Max Unavailable", lambda p: _int_or_string(_spec(p).get("maxUnavailable"))),
        _col("Allowed Disruptions", lambda p: _status(p).get("disruptionsAllowed", 0), "integer"),
        _AGE,
    ],
    "APIService": [
        _NAME,
        _col(
            "Service",
            lambda a: (
                f"{_spec(a)['service'].get('namespace', '')}/{_spec(a)['service'].get('name', '')}"
                if _spec(a).get("service")
                else "Local"
            ),
        ),
        _col("Available", _apiservice_available),
        _AGE,
    ],
    "Event": [
        _col("Last Seen", lambda e: since(e.get("lastTimestamp") or e.get("firstTimestamp"))),
        _col("Type", lambda e: e.get("type", "")),
        _col("Reason", lambda e: e.get("reason", "")),
        _col("Object", _event_object),
        _col(
            "Subobject", lambda e: (e.get("involvedObject") or {}).get("fieldPath", ""), priority=1
        ),
        _col("Source", _event_source, priority=1),
        _col("Message", lambda e: (e.get("message") or "").strip()),
        _col("First Seen", lambda e: since(e.get("firstTimestamp")), priority=1),
        _col("Count", lambda e: e.get("count") or 1, priority=1),
        _col("Name", _name, priority=1),
    ],
}
_COLUMNS["ClusterRoleBinding"] = _COLUMNS["RoleBinding"]
_WEBHOOKS = [_NAME, _col("Webhooks", lambda w: len(w.get("webhooks") or []), "integer"), _AGE]
_COLUMNS.update(
    {
        "MutatingWebhookConfiguration": _WEBHOOKS,
        "ValidatingWebhookConfiguration": _WEBHOOKS,
        "ValidatingAdmissionPolicy": [
            _NAME,
            _col("Validations", lambda p: len(_spec(p).get("validations") or []), "integer"),
            _col("ParamKind", lambda p: _param_kind(_spec(p).get("paramKind"))),
            _AGE,
        ],
        "ValidatingAdmissionPolicyBinding": [
            _NAME,
            _col("PolicyName", lambda b: _spec(b).get("policyName", "")),
            _col("ParamRef", lambda b: _param_ref(_spec(b).get("paramRef"))),
            _AGE,
        ],
        "PriorityClass": [
            _NAME,
            _col("Value", lambda p: p.get("value", 0), "integer"),
            _col("Global-Default", lambda p: bool(p.get("globalDefault")), "boolean"),
            _AGE,
            _col("PreemptionPolicy", lambda p: p.get("preemptionPolicy") or ""),
        ],
        "Lease": [
            _NAME,
            _col("Holder", lambda lease: _spec(lease).get("holderIdentity") or ""),
            _AGE,
        ],
        "RuntimeClass": [_NAME, _col("Handler", lambda r: r.get("handler", "")), _AGE],
        "CSINode": [
            _NAME,
            _col("Drivers", lambda n: len(_spec(n).get("drivers") or []), "integer"),
            _AGE,
        ],
        "CSIDriver": [
            _NAME,
            _col("AttachRequired", lambda d: _spec(d).get("attachRequired", True), "boolean"),
            _col("PodInfoOnMount", lambda d: bool(_spec(d).get("podInfoOnMount")), "boolean"),
            _col("StorageCapacity", lambda d: bool(_spec(d).get("storageCapacity")), "boolean"),
            _col("TokenRequests", _token_requests),
            _col("RequiresRepublish", lambda d: bool(_spec(d).get("requiresRepublish")), "boolean"),
            _col("Modes", lambda d: ",".join(_spec(d).get("volumeLifecycleModes") or []) or _NONE),
            _AGE,
        ],
        "VolumeAttachment": [
            _NAME,
            _col("Attacher", lambda v: _spec(v).get("attacher", "")),
            _col("PV", lambda v: (_spec(v).get("source") or {}).get("persistentVolumeName") or ""),
            _col("Node", lambda v: _spec(v).get("nodeName", "")),
            _col("Attached", lambda v: bool(_status(v).get("attached")), "boolean"),
            _AGE,
        ],
        "PodTemplate": [
            _NAME,
            _col("Containers", lambda t: _containers(_template_spec_of(t))[0]),
            _col("Images", lambda t: _containers(_template_spec_of(t))[1]),
            _col(
                "Pod Labels",
                lambda t: format_labels(
                    ((t.get("template") or {}).get("metadata") or {}).get("labels")
                ),
            ),
        ],
    }
)
_POD_COLUMNS: list[tuple[str, str, int]] = [
    ("Name", "string", 0),
    ("Ready", "string", 0),
    ("Status", "string", 0),
    ("Restarts", "string", 0),
    ("Age", "string", 0),
    ("IP", "string", 1),
    ("Node", "string", 1),
    ("Nominated Node", "string", 1),
    ("Readiness Gates", "string", 1),
]


_NODE_COLUMNS: list[tuple[str, str, int]] = [
    ("Name", "string", 0),
    ("Status", "string", 0),
    ("Roles", "string", 0),
    ("Age", "string", 0),
    ("Version", "string", 0),
    ("Internal-IP", "string", 1),
    ("External-IP", "string", 1),
    ("OS-Image", "string", 1),
    ("Kernel-Version", "string", 1),
    ("Container-Runtime", "string", 1),
]


def _cron_pod_spec(cj: Obj) -> Obj:
    job = (_spec(cj).get("jobTemplate") or {}).get("spec") or {}
    return (job.get("template") or {}).get("spec") or {}


def _ingress_class_parameters(ic: Obj) -> str:
    params = _spec(ic).get("parameters")
    if not params:
        return _NONE
    kind = params.get("kind", "")
    if params.get("apiGroup"):
        kind = f"{kind}.{params['apiGroup']}"
    return f"{kind}/{params.get('name', '')}"


# -- custom resources: additionalPrinterColumns (a JSONPath subset) ----------------------------

_STEP = re.compile(
    r"\.([A-Za-z0-9_\-]+)|\[(\d+|\*)\]|\[\?\(@\.([\w.\-]+)\s*==\s*['\"](.*?)['\"]\)\]"
)


def _jsonpath(obj: Any, path: str) -> list[Any]:
    """The values a printer column's JSONPath (dotted fields, [n], [*], [?(@.a=="b")])
    selects."""
    path = path.strip()
    if path.startswith("{") and path.endswith("}"):
        path = path[1:-1]
    path = path.removeprefix("$")
    current = [obj]
    position = 0
    while position < len(path):
        match = _STEP.match(path, position)
        if match is None:
            return []
        position = match.end()
        field, index, filter_key, filter_value = match.groups()
        found: list[Any] = []
        for value in current:
            if field is not None and isinstance(value, dict) and field in value:
                found.append(value[field])
            elif index == "*" and isinstance(value, list):
                found.extend(value)
            elif index is not None and index != "*" and isinstance(value, list):
                if int(index) < len(value):
                    found.append(value[int(index)])
            elif filter_key is not None and isinstance(value, list):
                for item in value:
                    got = _jsonpath(item, "." + filter_key)
                    if got and str(got[0]) == filter_value:
                        found.append(item)
        current = found
    return current


def _custom_cell(column: Obj) -> Cell:
    kind, path = column.get("type", "string"), column.get("jsonPath", "")

    def cell(obj: Obj) -> Any:
        values = _jsonpath(obj, path)
        if not values or values[0] is None:
            return None
        value = values[0]
        if kind == "date":
            return since(value) if isinstance(value, str) else None
        if kind == "integer":
            return (
                int(value)
                if isinstance(value, int | float) and not isinstance(value, bool)
                else None
            )
        if kind == "number":
            return value if isinstance(value, int | float) and not isinstance(value, bool) else None
        if kind == "boolean":
            return value if isinstance(value, bool) else None
        if isinstance(value, str):
            return value
        return (
            json.dumps(value, separators=(",", ":"))
            if isinstance(value, dict | list)
            else str(value)
        )

    return cell


def _custom_columns(rt: ResourceType) -> list[Column]:
    assert rt.custom is not None
    printer = rt.custom.printer_columns or [
        {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}
    ]
    return [
        _NAME,
        *(
            (c.get("name", ""), c.get("type", "string"), _custom_cell(c), int(c.get("priority", 0)))
            for c in printer
        ),
    ]


# -- the Table -------------------------------------------------------------------------------


def _default_columns() -> list[Column]:
    """rest.NewDefaultTableConvertor: Name and the creation time as RFC 3339."""
    return [
        _NAME,
        _col(
            "Created At",
            lambda o: o["metadata"].get("creationTimestamp", ""),
            "date",
        ),
    ]


def columns_for(rt: ResourceType) -> list[Column]:
    """The columns the server prints for a type."""
    if rt.custom is not None:
        return _custom_columns(rt)
    if rt.kind in _COLUMNS:
        return _COLUMNS[rt.kind]
    return _default_columns()


def to_table(rt: ResourceType, items: list[Obj]) -> Obj:
    """A meta.k8s.io/v1 Table for these objects (rows carry PartialObjectMetadata)."""
    if rt.kind == "Pod" and rt.custom is None:
        definitions = [_definition(n, t, p) for n, t, p in _POD_COLUMNS]
        rows = [_row(obj, _pod_row(obj), _pod_conditions(obj)) for obj in items]
    elif rt.kind == "Node" and rt.custom is None:
        definitions = [_definition(n, t, p) for n, t, p in _NODE_COLUMNS]
        rows = [_row(obj, _node_row(obj), None) for obj in items]
    else:
        columns = columns_for(rt)
        definitions = [_definition(name, kind, priority) for name, kind, _, priority in columns]
        rows = [_row(obj, [cell(obj) for _, _, cell, _ in columns], None) for obj in items]
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {},
        "columnDefinitions": definitions,
        "rows": rows,
    }


def _definition(name: str, kind: str, priority: int) -> Obj:
    return {
        "name": name,
        "type": kind,
        "format": "name" if name == "Name" else "",
        "description": name,
        "priority": priority,
    }


def _row(obj: Obj, cells: list[Any], conditions: list[Obj] | None) -> Obj:
    row: Obj = {
        "cells": cells,
        "object": {
            "kind": "PartialObjectMetadata",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": obj["metadata"],
        },
    }
    if conditions:
        row["conditions"] = conditions
    return row
