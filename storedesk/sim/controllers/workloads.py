"""Workload controllers: Deployment -> ReplicaSet -> Pods, StatefulSet -> Pods (+ PVCs),
Job -> Pods -> Complete/Failed, with the status fields helm --wait, kstatus and
`kubectl rollout status` read."""

from __future__ import annotations

import copy
import json
import time
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from storedesk.sim.api import now_iso
from storedesk.sim.controllers.loop import (
    ControllerManager,
    condition,
    controller_ref,
    owned_by,
    rt_of,
)
from storedesk.sim.errors import ApiError
from storedesk.sim.store import Change, Obj

DEPLOYMENT = rt_of("deployments", "apps")
REPLICASET = rt_of("replicasets", "apps")
STATEFULSET = rt_of("statefulsets", "apps")
DAEMONSET = rt_of("daemonsets", "apps")
REVISION = rt_of("controllerrevisions", "apps")
REPLICATION_CONTROLLER = rt_of("replicationcontrollers")
JOB = rt_of("jobs", "batch")
POD = rt_of("pods")
PVC = rt_of("persistentvolumeclaims")
NODE = rt_of("nodes")
_SAFE = "bcdfghjklmnpqrstvwxz2456789"
_OWNER_KINDS = {
    "ReplicaSet",
    "StatefulSet",
    "Job",
    "Deployment",
    "DaemonSet",
    "ReplicationController",
}
# What the DaemonSet controller lets its pods tolerate (AddOrUpdateDaemonPodTolerations).
_DAEMON_TOLERATIONS = (
    ("node.kubernetes.io/not-ready", "NoExecute"),
    ("node.kubernetes.io/unreachable", "NoExecute"),
    ("node.kubernetes.io/disk-pressure", "NoSchedule"),
    ("node.kubernetes.io/memory-pressure", "NoSchedule"),
    ("node.kubernetes.io/pid-pressure", "NoSchedule"),
    ("node.kubernetes.io/unschedulable", "NoSchedule"),
)


def template_hash(template: Obj) -> str:
    """pod-template-hash as the controllers compute it: FNV-32a, safe-encoded."""
    return _fnv_safe(json.dumps(template, sort_keys=True, separators=(",", ":")))


@lru_cache(maxsize=4096)
def _fnv_safe(text: str) -> str:
    # Every reconcile hashes its template; the byte loop is slow in Python, the text repeats.
    h = 0x811C9DC5
    for byte in text.encode():
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return "".join(_SAFE[b % len(_SAFE)] for b in str(h).encode())


def is_ready(pod: Obj) -> bool:
    """Pod condition Ready is True."""
    return any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in pod.get("status", {}).get("conditions", [])
    )


def _active(pods: list[Obj]) -> list[Obj]:
    return [
        p
        for p in pods
        if not p["metadata"].get("deletionTimestamp")
        and p.get("status", {}).get("phase") not in ("Succeeded", "Failed")
    ]


class Workloads:
    """Deployment, ReplicaSet, StatefulSet and Job controllers."""

    def __init__(self, manager: ControllerManager) -> None:
        self.m = manager
        self._create_failures: dict[str, int] = {}
        manager.register("Deployment", self.deployment)
        manager.register("ReplicaSet", self.replicaset)
        manager.register("StatefulSet", self.statefulset)
        manager.register("Job", self.job)
        manager.register("DaemonSet", self.daemonset)
        manager.register("ReplicationController", self.replication_controller)
        manager.watch(self._keys)

    def _keys(self, change: Change) -> list[tuple[str, str, str]]:
        meta = change.obj["metadata"]
        ns = meta.get("namespace", "")
        keys = []
        if change.rt.kind in _OWNER_KINDS and change.type != "DELETED":
            keys.append((change.rt.kind, ns, meta["name"]))
        for ref in meta.get("ownerReferences") or ():
            if ref.get("controller") and ref.get("kind") in _OWNER_KINDS:
                keys.append((ref["kind"], ns, ref["name"]))
        if change.rt is NODE:  # every DaemonSet looks again when nodes come, go or change
            keys.extend(
                ("DaemonSet", ds["metadata"]["namespace"], ds["metadata"]["name"])
                for ds in self.m.api.store.items(DAEMONSET)
            )
        return keys

    # -- shared ----------------------------------------------------------------------------

    def _owned(self, owner: Obj, rt: Any = POD) -> list[Obj]:
        ns = owner["metadata"]["namespace"]
        uid = owner["metadata"]["uid"]
        return [o for o in self.m.api.store.items(rt, ns) if owned_by(o, uid)]

    def _create_pod(self, owner: Obj, pod: Obj) -> tuple[Obj | None, str | None]:
        """Create a pod for `owner`; a refusal (quota, limits) becomes a FailedCreate event
        and is returned as the error message."""
        ns = owner["metadata"]["namespace"]
        uid = owner["metadata"]["uid"]
        try:
            created = self.m.api.create(POD, ns, pod).obj
        except ApiError as e:
            failures = self._create_failures.get(uid, 0) + 1
            self._create_failures[uid] = failures
            self.m.record_event(
                owner,
                "FailedCreate",
                f"Error creating: {e.message}",
                type_="Warning",
                component=_component(owner),
            )
            key = (owner["kind"], ns, owner["metadata"]["name"])
            self.m.after(min(10.0, 0.5 * 2 ** min(failures, 5)), key)
            return None, e.message
        self._create_failures.pop(uid, None)
        self.m.record_event(
            owner,
            "SuccessfulCreate",
            f"Created pod: {created['metadata']['name']}",
            component=_component(owner),
        )
        return created, None

    def _pod_from_template(
        self,
        owner: Obj,
        name: str | None,
        extra_labels: dict[str, str],
        template: Obj | None = None,
    ) -> Obj:
        template = copy.deepcopy(template or owner["spec"]["template"])
        meta = template.get("metadata") or {}
        pod_meta: dict[str, Any] = {
            "labels": {**(meta.get("labels") or {}), **extra_labels},
            "ownerReferences": [controller_ref(owner)],
        }
        if meta.get("annotations"):
            pod_meta["annotations"] = meta["annotations"]
        if name:
            pod_meta["name"] = name
        else:
            pod_meta["generateName"] = owner["metadata"]["name"] + "-"
        return {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": pod_meta,
            "spec": template.get("spec", {}),
        }

    # -- Deployment ------------------------------------------------------------------------

    def deployment(self, ns: str, name: str) -> None:
        """Keep one ReplicaSet per template; scale the old ones down once the new one is
        available; report status like the deployment controller."""
        dep = self.m.api.store.get(DEPLOYMENT, ns, name)
        if dep is None or dep["metadata"].get("deletionTimestamp"):
            return
        spec = dep["spec"]
        desired = spec.get("replicas", 1)
        template = spec["template"]
        pth = template_hash(template)
        owned = self._owned(dep, REPLICASET)
        new_rs = next(
            (
                rs
                for rs in owned
                if rs["metadata"].get("labels", {}).get("pod-template-hash") == pth
            ),
            None,
        )
        revision = 1 + max(
            (
                int(
                    rs["metadata"]
                    .get("annotations", {})
                    .get("deployment.kubernetes.io/revision", "0")
                )
                for rs in owned
            ),
            default=0,
        )
        if new_rs is None:
            new_rs = self._new_replicaset(dep, pth, desired, revision)
            if new_rs is None:
                return
        elif new_rs["spec"].get("replicas") != desired:
            self._scale(dep, new_rs, desired)
            new_rs = self.m.api.store.get(REPLICASET, ns, new_rs["metadata"]["name"]) or new_rs
        old = [rs for rs in owned if rs["metadata"]["uid"] != new_rs["metadata"]["uid"]]
        new_available = new_rs.get("status", {}).get("availableReplicas", 0)
        recreate = spec.get("strategy", {}).get("type") == "Recreate"
        if recreate or new_available >= desired:
            for rs in old:
                if rs["spec"].get("replicas", 0) != 0:
                    self._scale(dep, rs, 0)
        self._deployment_status(dep, new_rs, owned)

    def _new_replicaset(self, dep: Obj, pth: str, replicas: int, revision: int) -> Obj | None:
        meta = dep["metadata"]
        template = copy.deepcopy(dep["spec"]["template"])
        template.setdefault("metadata", {}).setdefault("labels", {})["pod-template-hash"] = pth
        selector = copy.deepcopy(dep["spec"]["selector"])
        selector.setdefault("matchLabels", {})["pod-template-hash"] = pth
        max_surge = 1
        rs = {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": f"{meta['name']}-{pth}",
                "labels": dict(template["metadata"]["labels"]),
                "annotations": {
                    "deployment.kubernetes.io/desired-replicas": str(replicas),
                    "deployment.kubernetes.io/max-replicas": str(replicas + max_surge),
                    "deployment.kubernetes.io/revision": str(revision),
                },
                "ownerReferences": [controller_ref(dep)],
            },
            "spec": {
                "replicas": replicas,
                "minReadySeconds": dep["spec"].get("minReadySeconds", 0),
                "selector": selector,
                "template": template,
            },
        }
        try:
            created = self.m.api.create(REPLICASET, meta["namespace"], rs).obj
        except ApiError as e:
            self.m.record_event(
                dep,
                "FailedCreate",
                f"Error creating: {e.message}",
                type_="Warning",
                component="deployment-controller",
            )
            return None
        self.m.record_event(
            dep,
            "ScalingReplicaSet",
            f"Scaled up replica set {created['metadata']['name']} from 0 to {replicas}",
            component="deployment-controller",
        )
        return created

    def _scale(self, dep: Obj, rs: Obj, replicas: int) -> None:
        before = rs["spec"].get("replicas", 0)
        meta = rs["metadata"]
        annotations = {
            **meta.get("annotations", {}),
            "deployment.kubernetes.io/desired-replicas": str(dep["spec"].get("replicas", 1)),
        }
        self.m.api.update(
            REPLICASET,
            meta["namespace"],
            meta["name"],
            {
                **rs,
                "metadata": {**meta, "annotations": annotations},
                "spec": {**rs["spec"], "replicas": replicas},
            },
        )
        direction = "up" if replicas > before else "down"
        self.m.record_event(
            dep,
            "ScalingReplicaSet",
            f"Scaled {direction} replica set {meta['name']} from {before} to {replicas}",
            component="deployment-controller",
        )

    def _deployment_status(self, dep: Obj, new_rs: Obj, owned: list[Obj]) -> None:
        ns = dep["metadata"]["namespace"]
        current = [
            self.m.api.store.get(REPLICASET, ns, rs["metadata"]["name"]) or rs for rs in owned
        ]
        if not any(rs["metadata"]["uid"] == new_rs["metadata"]["uid"] for rs in current):
            current.append(new_rs)
        new_rs = next(rs for rs in current if rs["metadata"]["uid"] == new_rs["metadata"]["uid"])

        def total(field: str) -> int:
            return sum(rs.get("status", {}).get(field, 0) for rs in current)

        spec = dep["spec"]
        desired = spec.get("replicas", 1)
        available, replicas = total("availableReplicas"), total("replicas")
        updated = new_rs.get("status", {}).get("replicas", 0)
        previous = dep.get("status", {}).get("conditions", [])
        max_unavailable = _max_unavailable(spec, desired)
        rs_name = new_rs["metadata"]["name"]
        complete = (
            updated == desired
            and replicas == desired
            and available >= desired
            and new_rs.get("status", {}).get("observedGeneration")
            == new_rs["metadata"].get("generation")
        )
        progressing = self._progressing(dep, rs_name, complete, previous)
        conditions = [
            condition(
                "Available",
                available >= desired - max_unavailable,
                "MinimumReplicasAvailable"
                if available >= desired - max_unavailable
                else "MinimumReplicasUnavailable",
                "Deployment has minimum availability."
                if available >= desired - max_unavailable
                else "Deployment does not have minimum availability.",
                previous,
                lastUpdateTime=now_iso(),
            ),
            progressing,
        ]
        failure = next(
            (
                c
                for c in new_rs.get("status", {}).get("conditions", [])
                if c["type"] == "ReplicaFailure" and c["status"] == "True"
            ),
            None,
        )
        if failure:
            conditions.append(
                condition(
                    "ReplicaFailure",
                    True,
                    failure.get("reason", ""),
                    failure.get("message", ""),
                    previous,
                    lastUpdateTime=now_iso(),
                )
            )
        for cond in conditions:  # keep lastUpdateTime stable when nothing changed
            old = next((c for c in previous if c["type"] == cond["type"]), None)
            if old and {k: v for k, v in old.items() if k != "lastUpdateTime"} == {
                k: v for k, v in cond.items() if k != "lastUpdateTime"
            }:
                cond["lastUpdateTime"] = old.get("lastUpdateTime", cond.get("lastUpdateTime"))
        status: dict[str, Any] = {
            "observedGeneration": dep["metadata"].get("generation", 1),
            "replicas": replicas,
            "updatedReplicas": updated,
            "readyReplicas": total("readyReplicas"),
            "availableReplicas": available,
            "conditions": conditions,
        }
        if replicas - available > 0:
            status["unavailableReplicas"] = replicas - available
        status = {k: v for k, v in status.items() if v != 0 or k == "observedGeneration"}
        self.m.write_status(DEPLOYMENT, dep, status)

    def _progressing(
        self, dep: Obj, rs_name: str, complete: bool, previous: list[Obj]
    ) -> dict[str, Any]:
        if complete:
            return condition(
                "Progressing",
                True,
                "NewReplicaSetAvailable",
                f'ReplicaSet "{rs_name}" has successfully progressed.',
                previous,
                lastUpdateTime=now_iso(),
            )
        old = next((c for c in previous if c["type"] == "Progressing"), None)
        deadline = dep["spec"].get("progressDeadlineSeconds", 600)
        started = _parse_time(old["lastTransitionTime"]) if old else time.time()
        if (old and old.get("reason") == "ProgressDeadlineExceeded") or (
            old
            and time.time() - started > deadline
            and old.get("status") == "True"
            and old.get("reason") != "NewReplicaSetAvailable"
        ):
            return condition(
                "Progressing",
                False,
                "ProgressDeadlineExceeded",
                f'ReplicaSet "{rs_name}" has timed out progressing.',
                previous,
                lastUpdateTime=now_iso(),
            )
        ns, name = dep["metadata"]["namespace"], dep["metadata"]["name"]
        self.m.after(min(deadline, 5.0), ("Deployment", ns, name))
        reason = "ReplicaSetUpdated" if old else "NewReplicaSetCreated"
        message = (
            f'ReplicaSet "{rs_name}" is progressing.'
            if old
            else f'Created new replica set "{rs_name}"'
        )
        if (
            old
            and old.get("status") == "True"
            and old.get("reason") in ("ReplicaSetUpdated", "NewReplicaSetCreated")
        ):
            return old
        return condition("Progressing", True, reason, message, previous, lastUpdateTime=now_iso())

    # -- ReplicaSet ------------------------------------------------------------------------

    def replicaset(self, ns: str, name: str) -> None:
        """Create or delete pods to match spec.replicas; count ready/available ones."""
        self._replicate(REPLICASET, ns, name)

    def replication_controller(self, ns: str, name: str) -> None:
        """A ReplicationController: a ReplicaSet with an equality-based selector."""
        self._replicate(REPLICATION_CONTROLLER, ns, name)

    def _replicate(self, rt: Any, ns: str, name: str) -> None:
        rs = self.m.api.store.get(rt, ns, name)
        if rs is None or rs["metadata"].get("deletionTimestamp"):
            return
        pods = _active(self._owned(rs))
        desired = rs["spec"].get("replicas", 1)
        failure = None
        for _ in range(desired - len(pods)):
            created, failure = self._create_pod(rs, self._pod_from_template(rs, None, {}))
            if created is None:
                break
        if len(pods) > desired:
            for pod in sorted(
                pods, key=lambda p: (is_ready(p), p["metadata"]["creationTimestamp"])
            )[: len(pods) - desired]:
                self.m.api.delete(POD, ns, pod["metadata"]["name"])
                self.m.record_event(
                    rs,
                    "SuccessfulDelete",
                    f"Deleted pod: {pod['metadata']['name']}",
                    component=_component(rs),
                )
        pods = _active(self._owned(rs))
        ready = sum(1 for p in pods if is_ready(p))
        previous = rs.get("status", {}).get("conditions", [])
        status: dict[str, Any] = {
            "replicas": len(pods),
            "fullyLabeledReplicas": len(pods),
            "readyReplicas": ready,
            "availableReplicas": ready,
            "observedGeneration": rs["metadata"].get("generation", 1),
        }
        if failure:
            status["conditions"] = [
                condition("ReplicaFailure", True, "FailedCreate", failure, previous)
            ]
        elif previous and len(pods) >= desired:
            status.pop("conditions", None)
        elif previous:
            status["conditions"] = previous
        status = {
            k: v for k, v in status.items() if v != 0 or k in ("replicas", "observedGeneration")
        }
        self.m.write_status(rt, rs, status)

    # -- DaemonSet -------------------------------------------------------------------------

    def daemonset(self, ns: str, name: str) -> None:
        """One pod per node the DaemonSet should run on (selector, affinity, taints);
        rolling updates replace at most maxUnavailable pods at a time."""
        ds = self.m.api.store.get(DAEMONSET, ns, name)
        if ds is None or ds["metadata"].get("deletionTimestamp"):
            return
        spec = ds["spec"]
        revision = self._controller_revision(ds)
        nodes = [n for n in self.m.api.store.items(NODE) if _should_run(spec["template"], n)]
        wanted = {n["metadata"]["name"] for n in nodes}
        pods = _active(self._owned(ds))
        on_node: dict[str, list[Obj]] = {}
        for pod in pods:
            on_node.setdefault(_daemon_node(pod), []).append(pod)
        for node in sorted(wanted - on_node.keys()):
            self._create_pod(ds, self._daemon_pod(ds, node, revision))
        for node, placed in on_node.items():
            extra = placed if node not in wanted else placed[1:]
            for pod in extra:
                self.m.api.delete(POD, ns, pod["metadata"]["name"])
        self._roll_daemons(ds, revision, [p for n in wanted for p in on_node.get(n, [])[:1]])
        self._daemonset_status(ds, wanted, revision)

    def _daemon_pod(self, ds: Obj, node: str, revision: str) -> Obj:
        labels = {
            "controller-revision-hash": revision,
            "pod-template-generation": str(ds["metadata"].get("generation", 1)),
        }
        pod = self._pod_from_template(ds, None, labels)
        spec = pod["spec"]
        affinity = spec.setdefault("affinity", {}).setdefault("nodeAffinity", {})
        required = affinity.setdefault(
            "requiredDuringSchedulingIgnoredDuringExecution", {"nodeSelectorTerms": []}
        )
        by_name = {"key": "metadata.name", "operator": "In", "values": [node]}
        terms = required.get("nodeSelectorTerms") or [{}]
        for term in terms:  # the controller pins every term to the node, by field
            fields = [f for f in term.get("matchFields") or () if f.get("key") != "metadata.name"]
            term["matchFields"] = [*fields, by_name]
        required["nodeSelectorTerms"] = terms
        tolerations = list(spec.get("tolerations") or ())
        for key, effect in _DAEMON_TOLERATIONS:
            if not any(t.get("key") == key and t.get("effect") == effect for t in tolerations):
                tolerations.append({"key": key, "operator": "Exists", "effect": effect})
        spec["tolerations"] = tolerations
        return pod

    def _roll_daemons(self, ds: Obj, revision: str, pods: list[Obj]) -> None:
        strategy = ds["spec"].get("updateStrategy") or {}
        if strategy.get("type", "RollingUpdate") != "RollingUpdate":
            return  # OnDelete: old pods stay until someone deletes them
        old = [
            p for p in pods if p["metadata"]["labels"].get("controller-revision-hash") != revision
        ]
        unavailable = sum(1 for p in pods if not is_ready(p))
        budget = _scaled(
            (strategy.get("rollingUpdate") or {}).get("maxUnavailable", 1), len(pods), up=True
        )
        budget = max(budget, 1) - unavailable
        for pod in sorted(old, key=lambda p: (is_ready(p), p["metadata"]["name"]))[
            : max(0, budget)
        ]:
            self.m.api.delete(POD, pod["metadata"]["namespace"], pod["metadata"]["name"])

    def _controller_revision(self, ds: Obj) -> str:
        """The ControllerRevision of the current template (created when new); its hash."""
        template = ds["spec"]["template"]
        digest = template_hash(template)
        meta = ds["metadata"]
        name = f"{meta['name']}-{digest}"
        if self.m.api.store.get(REVISION, meta["namespace"], name) is None:
            owned = self._owned(ds, REVISION)
            number = 1 + max((int(r.get("revision", 0)) for r in owned), default=0)
            labels = {**(template.get("metadata", {}).get("labels") or {})}
            labels["controller-revision-hash"] = digest
            try:
                self.m.api.create(
                    REVISION,
                    meta["namespace"],
                    {
                        "apiVersion": "apps/v1",
                        "kind": "ControllerRevision",
                        "metadata": {
                            "name": name,
                            "labels": labels,
                            "ownerReferences": [controller_ref(ds)],
                        },
                        "data": {"spec": {"template": {**template, "$patch": "replace"}}},
                        "revision": number,
                    },
                )
            except ApiError as e:
                if e.code != 409:
                    raise
        return digest

    def _daemonset_status(self, ds: Obj, wanted: set[str], revision: str) -> None:
        pods = _active(self._owned(ds))
        scheduled = [p for p in pods if _daemon_node(p) in wanted]
        ready = [p for p in scheduled if is_ready(p)]
        status = {
            "currentNumberScheduled": len({_daemon_node(p) for p in scheduled}),
            "numberMisscheduled": sum(1 for p in pods if _daemon_node(p) not in wanted),
            "desiredNumberScheduled": len(wanted),
            "numberReady": len(ready),
            "observedGeneration": ds["metadata"].get("generation", 1),
            "updatedNumberScheduled": sum(
                1
                for p in scheduled
                if p["metadata"]["labels"].get("controller-revision-hash") == revision
            ),
            "numberAvailable": len(ready),
            "numberUnavailable": len(wanted) - len(ready),
        }
        optional = ("updatedNumberScheduled", "numberAvailable", "numberUnavailable")
        status = {k: v for k, v in status.items() if v != 0 or k not in optional}
        self.m.write_status(DAEMONSET, ds, status)

    # -- StatefulSet -----------------------------------------------------------------------

    def statefulset(self, ns: str, name: str) -> None:
        """Ordered pods name-0..n-1 with their claims; rolling updates from the top."""
        sts = self.m.api.store.get(STATEFULSET, ns, name)
        if sts is None or sts["metadata"].get("deletionTimestamp"):
            return
        spec = sts["spec"]
        desired = spec.get("replicas", 1)
        revision = f"{name}-{template_hash(spec['template'])}"
        pods = {p["metadata"]["name"]: p for p in _active(self._owned(sts))}
        ordered = spec.get("podManagementPolicy", "OrderedReady") == "OrderedReady"
        for i in range(desired):
            pod_name = f"{name}-{i}"
            pod = pods.get(pod_name)
            if pod is None:
                if self.m.api.store.get(POD, ns, pod_name) is not None:
                    break  # the old pod of this ordinal is still terminating
                self._ensure_claims(sts, i)
                labels = {
                    "controller-revision-hash": revision,
                    "statefulset.kubernetes.io/pod-name": pod_name,
                    "apps.kubernetes.io/pod-index": str(i),
                }
                pod_obj = self._pod_from_template(sts, pod_name, labels)
                pod_obj["spec"]["hostname"] = pod_name
                if spec.get("serviceName"):
                    pod_obj["spec"]["subdomain"] = spec["serviceName"]
                pod_obj["spec"]["volumes"] = [
                    *pod_obj["spec"].get("volumes", []),
                    *[
                        {
                            "name": t["metadata"]["name"],
                            "persistentVolumeClaim": {
                                "claimName": f"{t['metadata']['name']}-{name}-{i}"
                            },
                        }
                        for t in spec.get("volumeClaimTemplates", [])
                    ],
                ]
                created, _ = self._create_pod(sts, pod_obj)
                if created is None or ordered:
                    break
            elif ordered and not is_ready(pod):
                break
        for pod_name in pods:
            if int(pod_name.rsplit("-", 1)[-1]) >= desired:
                self.m.api.delete(POD, ns, pod_name)
        if all(is_ready(p) for p in pods.values()) and len(pods) == desired:
            stale = sorted(
                (
                    p
                    for p in pods.values()
                    if p["metadata"]["labels"].get("controller-revision-hash") != revision
                ),
                key=lambda p: p["metadata"]["name"],
            )
            if stale:
                self.m.api.delete(POD, ns, stale[-1]["metadata"]["name"])
        pods = {p["metadata"]["name"]: p for p in _active(self._owned(sts))}
        updated = sum(
            1
            for p in pods.values()
            if p["metadata"]["labels"].get("controller-revision-hash") == revision
        )
        ready = sum(1 for p in pods.values() if is_ready(p))
        old_status = sts.get("status", {})
        current_revision = old_status.get("currentRevision", revision)
        if updated == desired == len(pods):
            current_revision = revision
        current = sum(
            1
            for p in pods.values()
            if p["metadata"]["labels"].get("controller-revision-hash") == current_revision
        )
        status = {
            "observedGeneration": sts["metadata"].get("generation", 1),
            "replicas": len(pods),
            "readyReplicas": ready,
            "currentReplicas": current,
            "updatedReplicas": updated,
            "availableReplicas": ready,
            "currentRevision": current_revision,
            "updateRevision": revision,
            "collisionCount": 0,
        }
        status = {
            k: v
            for k, v in status.items()
            if v != 0
            or k in ("replicas", "observedGeneration", "availableReplicas", "collisionCount")
        }
        self.m.write_status(STATEFULSET, sts, status)

    def _ensure_claims(self, sts: Obj, ordinal: int) -> None:
        ns, name = sts["metadata"]["namespace"], sts["metadata"]["name"]
        selector_labels = sts["spec"].get("selector", {}).get("matchLabels", {})
        for tpl in sts["spec"].get("volumeClaimTemplates", []):
            claim_name = f"{tpl['metadata']['name']}-{name}-{ordinal}"
            if self.m.api.store.get(PVC, ns, claim_name) is not None:
                continue
            meta = {
                "name": claim_name,
                "labels": {**(tpl["metadata"].get("labels") or {}), **selector_labels},
            }
            if tpl["metadata"].get("annotations"):
                meta["annotations"] = tpl["metadata"]["annotations"]
            try:
                self.m.api.create(
                    PVC,
                    ns,
                    {
                        "apiVersion": "v1",
                        "kind": "PersistentVolumeClaim",
                        "metadata": meta,
                        "spec": tpl.get("spec", {}),
                    },
                )
            except ApiError as e:
                self.m.record_event(
                    sts,
                    "FailedCreate",
                    f"create Claim {claim_name} for Pod {name}-{ordinal} in "
                    f"StatefulSet {name} failed error: {e.message}",
                    type_="Warning",
                    component="statefulset-controller",
                )
                raise
            self.m.record_event(
                sts,
                "SuccessfulCreate",
                f"create Claim {claim_name} Pod {name}-{ordinal} in StatefulSet {name} success",
                component="statefulset-controller",
            )

    # -- Job -------------------------------------------------------------------------------

    def job(self, ns: str, name: str) -> None:
        """Run pods to completion; Complete or Failed (backoff limit, deadline)."""
        job = self.m.api.store.get(JOB, ns, name)
        if job is None or job["metadata"].get("deletionTimestamp"):
            return
        status = dict(job.get("status") or {})
        previous = status.get("conditions", [])
        if any(c["type"] in ("Complete", "Failed") and c["status"] == "True" for c in previous):
            return
        spec = job["spec"]
        pods = self._owned(job)
        succeeded = sum(1 for p in pods if p.get("status", {}).get("phase") == "Succeeded")
        failed = sum(1 for p in pods if p.get("status", {}).get("phase") == "Failed")
        active = _active(pods)
        completions = spec.get("completions", 1)
        status.setdefault("startTime", now_iso())
        conditions = list(previous)
        deadline = spec.get("activeDeadlineSeconds")
        elapsed = time.time() - _parse_time(status["startTime"])
        if succeeded >= completions:
            conditions = [
                condition(
                    "SuccessCriteriaMet",
                    True,
                    "CompletionsReached",
                    "Reached expected number of succeeded pods",
                    previous,
                    lastProbeTime=now_iso(),
                ),
                condition(
                    "Complete",
                    True,
                    "CompletionsReached",
                    "Reached expected number of succeeded pods",
                    previous,
                    lastProbeTime=now_iso(),
                ),
            ]
            status["completionTime"] = now_iso()
            self.m.record_event(job, "Completed", "Job completed", component="job-controller")
            active = []
        elif failed > spec.get("backoffLimit", 6) or (deadline and elapsed > deadline):
            reason, message = (
                ("BackoffLimitExceeded", "Job has reached the specified backoff limit")
                if failed > spec.get("backoffLimit", 6)
                else ("DeadlineExceeded", "Job was active longer than specified deadline")
            )
            conditions = [
                condition(
                    "FailureTarget", True, reason, message, previous, lastProbeTime=now_iso()
                ),
                condition("Failed", True, reason, message, previous, lastProbeTime=now_iso()),
            ]
            self.m.record_event(job, reason, message, type_="Warning", component="job-controller")
            for pod in active:
                self.m.api.delete(POD, ns, pod["metadata"]["name"])
            active = []
        else:
            parallelism = spec.get("parallelism", 1)
            missing = min(parallelism, completions - succeeded) - len(active)
            if missing > 0 and self._job_backoff_over(job, failed):
                uid = job["metadata"]["uid"]
                labels = {
                    "batch.kubernetes.io/controller-uid": uid,
                    "batch.kubernetes.io/job-name": name,
                    "controller-uid": uid,
                    "job-name": name,
                }
                for _ in range(missing):
                    created, _ = self._create_pod(job, self._pod_from_template(job, None, labels))
                    if created is None:
                        break
                    active.append(created)
            if deadline:
                self.m.after(max(0.1, deadline - elapsed), ("Job", ns, name))
        status.update(
            conditions=conditions,
            active=len(active),
            succeeded=succeeded,
            failed=failed,
            ready=sum(1 for p in active if is_ready(p)),
            terminating=0,
            uncountedTerminatedPods={},
        )
        status = {
            k: v for k, v in status.items() if v not in (0, []) or k in ("ready", "terminating")
        }
        self.m.write_status(JOB, job, status)

    def _job_backoff_over(self, job: Obj, failed: int) -> bool:
        """After a failed pod, the next one starts after a (compressed) back-off."""
        if failed == 0:
            return True
        pods = [p for p in self._owned(job) if p.get("status", {}).get("phase") == "Failed"]
        last = max((_parse_time(p["metadata"]["creationTimestamp"]) for p in pods), default=0)
        wait = self.m.timing.backoff * min(8, 2 ** (failed - 1))
        remaining = last + wait - time.time()
        if remaining > 0:
            self.m.after(remaining, ("Job", job["metadata"]["namespace"], job["metadata"]["name"]))
            return False
        return True


def _component(owner: Obj) -> str:
    return {
        "ReplicaSet": "replicaset-controller",
        "StatefulSet": "statefulset-controller",
        "Job": "job-controller",
        "DaemonSet": "daemonset-controller",
        "ReplicationController": "replication-controller",
    }.get(owner["kind"], "controller-manager")


def _daemon_node(pod: Obj) -> str:
    """The node a DaemonSet pod is for: where it is bound, else the node it is pinned to."""
    if pod["spec"].get("nodeName"):
        return str(pod["spec"]["nodeName"])
    affinity = (pod["spec"].get("affinity") or {}).get("nodeAffinity") or {}
    required = affinity.get("requiredDuringSchedulingIgnoredDuringExecution") or {}
    for term in required.get("nodeSelectorTerms") or ():
        for field in term.get("matchFields") or ():
            if field.get("key") == "metadata.name" and field.get("values"):
                return str(field["values"][0])
    return ""


def _should_run(template: Obj, node: Obj) -> bool:
    """nodeShouldRunDaemonPod: the node matches the template's node selector and required
    node affinity, and the template tolerates the node's NoSchedule/NoExecute taints."""
    spec = template.get("spec") or {}
    if not node_matches(spec, node):
        return False
    tolerations = [
        *(spec.get("tolerations") or ()),
        *({"key": k, "operator": "Exists", "effect": e} for k, e in _DAEMON_TOLERATIONS),
    ]
    return all(
        tolerates(tolerations, taint)
        for taint in effective_taints(node)
        if taint.get("effect") in ("NoSchedule", "NoExecute")
    )


def effective_taints(node: Obj) -> list[Obj]:
    """A node's taints, with those the node lifecycle controller adds for its conditions."""
    taints = list((node.get("spec") or {}).get("taints") or ())
    ready = any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in (node.get("status") or {}).get("conditions") or ()
    )
    keys = {t.get("key") for t in taints}
    if not ready and "node.kubernetes.io/not-ready" not in keys:
        taints.append({"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"})
    if (node.get("spec") or {}).get(
        "unschedulable"
    ) and "node.kubernetes.io/unschedulable" not in keys:
        taints.append({"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"})
    return taints


def node_matches(pod_spec: Obj, node: Obj) -> bool:
    """A pod's nodeSelector and required node affinity against a node (labels, name)."""
    labels = node["metadata"].get("labels") or {}
    selector = pod_spec.get("nodeSelector") or {}
    if any(labels.get(k) != v for k, v in selector.items()):
        return False
    affinity = (pod_spec.get("affinity") or {}).get("nodeAffinity") or {}
    required = affinity.get("requiredDuringSchedulingIgnoredDuringExecution") or {}
    terms = required.get("nodeSelectorTerms") or []
    if not terms:
        return True
    fields = {"metadata.name": node["metadata"]["name"]}
    return any(_term_matches(term, labels, fields) for term in terms)


def _term_matches(term: Obj, labels: dict[str, str], fields: dict[str, str]) -> bool:
    expressions = term.get("matchExpressions") or []
    by_field = term.get("matchFields") or []
    if not expressions and not by_field:
        return False  # an empty term matches nothing
    return all(_requirement(r, labels) for r in expressions) and all(
        _requirement(r, fields) for r in by_field
    )


def _requirement(req: Obj, values: dict[str, str]) -> bool:
    key, op, wanted = req.get("key", ""), req.get("operator"), req.get("values") or []
    present = key in values
    value = values.get(key, "")
    if op == "In":
        return present and value in wanted
    if op == "NotIn":
        return not present or value not in wanted
    if op == "Exists":
        return present
    if op == "DoesNotExist":
        return not present
    if op in ("Gt", "Lt") and present and wanted:
        try:
            number, limit = int(value), int(wanted[0])
        except ValueError:
            return False
        return number > limit if op == "Gt" else number < limit
    return False


def tolerates(tolerations: list[Obj], taint: Obj) -> bool:
    """Whether any toleration tolerates the taint (v1 helper ToleratesTaint)."""
    for t in tolerations:
        if t.get("effect") and t.get("effect") != taint.get("effect"):
            continue
        if t.get("key") and t.get("key") != taint.get("key"):
            continue
        operator = t.get("operator") or "Equal"
        if operator == "Exists" or (t.get("value") or "") == (taint.get("value") or ""):
            return True
    return False


def _scaled(value: Any, total: int, up: bool) -> int:
    """intstr.GetScaledValueFromIntOrPercent."""
    if isinstance(value, str) and value.endswith("%"):
        exact = total * int(value[:-1]) / 100
        return int(-(-exact // 1)) if up else int(exact)
    return int(value)


def _parse_time(stamp: str) -> float:
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()


def _max_unavailable(spec: Obj, desired: int) -> int:
    strategy = spec.get("strategy", {})
    if strategy.get("type") == "Recreate":
        return 0
    value = strategy.get("rollingUpdate", {}).get("maxUnavailable", "25%")
    if isinstance(value, str) and value.endswith("%"):
        return int(desired * int(value[:-1]) / 100)  # rounded down, like intstr
    return int(value)
