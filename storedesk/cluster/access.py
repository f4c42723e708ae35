"""What the cluster check reads: permissions (SelfSubjectAccessReview, batched), the API's
kinds (discovery), nodes and what their pods request, StorageClasses, IngressClasses and
the pods of ingress controllers. Each read goes through KubeClient, so every failure
arrives as a `storedesk.errors` error; the verdicts are `storedesk.domain.checks`'.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from storedesk.cluster.kube import (
    INGRESS_CLASSES,
    NODES,
    PODS,
    STORAGE_CLASSES,
    KubeClient,
    NotFound,
)
from storedesk.domain.checks import (
    Access,
    ChartResource,
    ControllerPods,
    IngressClassFact,
    NodeFact,
    Resources,
    StorageClassFact,
)

Obj = dict[str, Any]

ACCESS_REVIEWS = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"
# Reviews asked at once: ~60 questions in 15 round trips, while the client's connection
# pool (10 on 2 cores) keeps room for the window's five watches and the other reads.
REVIEWS_AT_ONCE = 4
_DEFAULT_STORAGE = (
    "storageclass.kubernetes.io/is-default-class",
    "storageclass.beta.kubernetes.io/is-default-class",
)
_DEFAULT_INGRESS = "ingressclass.kubernetes.io/is-default-class"
_FINISHED = ("Succeeded", "Failed")  # pods in these phases hold no resources


# -- permissions ---------------------------------------------------------------------------


def _review_body(access: Access) -> Obj:
    attributes = {"verb": access.verb, "group": access.group, "resource": access.resource}
    if access.namespace:
        attributes["namespace"] = access.namespace
    return {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SelfSubjectAccessReview",
        "spec": {"resourceAttributes": attributes},
    }


def allowed(kube: KubeClient, access: Access) -> bool:
    """Whether this user may do `access` (one SelfSubjectAccessReview)."""
    answer = kube.request("POST", ACCESS_REVIEWS, body=_review_body(access))
    return bool((answer or {}).get("status", {}).get("allowed"))


def denied(
    kube: KubeClient, wanted: Sequence[Access], at_once: int = REVIEWS_AT_ONCE
) -> list[Access]:
    """Those of `wanted` this user may not do, asked REVIEWS_AT_ONCE at a time. Each
    request is bounded by the client's timeout; the first failure is raised."""
    if not wanted:
        return []
    with ThreadPoolExecutor(
        max_workers=min(at_once, len(wanted)), thread_name_prefix="ssar"
    ) as pool:
        answers = list(pool.map(lambda a: allowed(kube, a), wanted))
    return [access for access, ok in zip(wanted, answers, strict=True) if not ok]


# -- the kinds a chart creates -----------------------------------------------------------------


def _discovery_path(api_version: str) -> str:
    return "/api/v1" if api_version == "v1" else f"/apis/{api_version}"


def _served(kube: KubeClient, api_version: str) -> Mapping[str, Obj]:
    """The resources of one group-version by kind (empty when the cluster has none)."""
    try:
        listing = kube.request("GET", _discovery_path(api_version))
    except NotFound:
        return {}
    return {
        r["kind"]: r
        for r in (listing or {}).get("resources") or []
        if "/" not in r.get("name", "")  # subresources (pods/log) are not kinds
    }


def chart_resources(
    kube: KubeClient, kinds: Iterable[tuple[str, str]]
) -> tuple[list[ChartResource], list[str]]:
    """The API resource of each (apiVersion, kind), and the kinds the cluster does not serve."""
    by_version: dict[str, set[str]] = {}
    for api_version, kind in kinds:
        by_version.setdefault(api_version, set()).add(kind)
    found: list[ChartResource] = []
    missing: list[str] = []
    for api_version, names in sorted(by_version.items()):
        served = _served(kube, api_version)
        group = api_version.rpartition("/")[0]
        for kind in sorted(names):
            entry = served.get(kind)
            if entry is None:
                missing.append(f"{kind} ({api_version})")
            else:
                found.append(
                    ChartResource(kind, group, entry["name"], bool(entry.get("namespaced")))
                )
    return found, missing


# -- nodes and what runs on them -------------------------------------------------------------


def _schedulable(node: Obj) -> bool:
    """Ready, not cordoned, and without a taint that keeps ordinary pods off."""
    conditions = node.get("status", {}).get("conditions") or []
    ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)
    taints = node.get("spec", {}).get("taints") or []
    tainted = any(t.get("effect") in ("NoSchedule", "NoExecute") for t in taints)
    return ready and not node.get("spec", {}).get("unschedulable") and not tainted


def node_fact(node: Obj) -> NodeFact:
    """A node as the checks see it."""
    status = node.get("status", {})
    allocatable = status.get("allocatable") or {}
    return NodeFact(
        name=node["metadata"]["name"],
        labels=dict(node["metadata"].get("labels") or {}),
        provider_id=str(node.get("spec", {}).get("providerID") or ""),
        kubelet_version=str(status.get("nodeInfo", {}).get("kubeletVersion") or ""),
        schedulable=_schedulable(node),
        allocatable=Resources.of(
            allocatable.get("cpu", 0), allocatable.get("memory", 0), allocatable.get("pods", 0)
        ),
    )


def nodes(kube: KubeClient) -> list[NodeFact]:
    """Every node."""
    items, _ = kube.list(NODES)
    return [node_fact(n) for n in items]


def _container_requests(containers: Iterable[Obj]) -> list[Resources]:
    return [
        Resources.of(
            (c.get("resources") or {}).get("requests", {}).get("cpu", 0),
            (c.get("resources") or {}).get("requests", {}).get("memory", 0),
        )
        for c in containers
    ]


def pod_requests(pod: Obj) -> Resources:
    """What the scheduler reserves for a pod: its containers' requests, or its largest init
    container's when that is more, plus the pod's overhead, and the pod itself."""
    spec = pod.get("spec", {})
    running = sum(_container_requests(spec.get("containers") or []), Resources())
    init = _container_requests(spec.get("initContainers") or [])
    overhead = Resources.of(
        (spec.get("overhead") or {}).get("cpu", 0), (spec.get("overhead") or {}).get("memory", 0)
    )
    cpu = max([running.cpu_milli, *(i.cpu_milli for i in init)])
    memory = max([running.memory, *(i.memory for i in init)])
    return Resources(cpu, memory, 1) + overhead


def requested_on(kube: KubeClient, node_names: Iterable[str]) -> Resources:
    """What the unfinished pods bound to `node_names` request, summed."""
    names = set(node_names)

    def counted(pod: Obj) -> Resources:
        bound = pod.get("spec", {}).get("nodeName") in names
        running = pod.get("status", {}).get("phase") not in _FINISHED
        return pod_requests(pod) if bound and running else Resources()

    # Every pod of the cluster: each is summed as it is read, not kept.
    requests, _ = kube.list(PODS, each=counted)
    return sum(requests, Resources())


# -- storage and ingress -------------------------------------------------------------------------


def _annotated_true(obj: Obj, keys: Iterable[str]) -> bool:
    annotations = obj.get("metadata", {}).get("annotations") or {}
    return any(str(annotations.get(k, "")).lower() == "true" for k in keys)


def storage_classes(kube: KubeClient) -> list[StorageClassFact]:
    """Every StorageClass, oldest first (so the newest default is last)."""
    items, _ = kube.list(STORAGE_CLASSES)
    return [
        StorageClassFact(
            c["metadata"]["name"],
            str(c.get("provisioner", "")),
            str(c.get("volumeBindingMode") or "Immediate"),
            _annotated_true(c, _DEFAULT_STORAGE),
        )
        for c in sorted(items, key=_created)
    ]


def ingress_classes(kube: KubeClient) -> list[IngressClassFact]:
    """Every IngressClass, oldest first."""
    items, _ = kube.list(INGRESS_CLASSES)
    return [
        IngressClassFact(
            c["metadata"]["name"],
            str(c.get("spec", {}).get("controller", "")),
            _annotated_true(c, (_DEFAULT_INGRESS,)),
        )
        for c in sorted(items, key=_created)
    ]


def _created(obj: Obj) -> tuple[str, str]:
    meta = obj.get("metadata", {})
    return str(meta.get("creationTimestamp", "")), str(meta.get("name", ""))


def _ready(pod: Obj) -> bool:
    conditions = pod.get("status", {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def controller_pods(kube: KubeClient, selector: str) -> ControllerPods:
    """The pods matching an ingress controller's labels, in any namespace."""
    items, _ = kube.list(PODS, label_selector=selector)
    live = [p for p in items if p.get("status", {}).get("phase") not in _FINISHED]
    return ControllerPods(
        tuple(sorted({p["metadata"]["namespace"] for p in live})),
        sum(1 for p in live if _ready(p)),
        len(live),
    )
