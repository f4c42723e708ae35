"""The simulated scheduler and kubelet: pods move Pending -> Running -> Ready (or, for
Job pods, Succeeded) on a timer; injected image faults give ErrImagePull/ImagePullBackOff
or CrashLoopBackOff with a growing restartCount, and the events a real kubelet records."""

from __future__ import annotations

import hashlib
import itertools
import time
from dataclasses import dataclass, field
from typing import Any

from storedesk.sim.api import now_iso
from storedesk.sim.controllers.loop import ControllerManager, condition, rt_of
from storedesk.sim.controllers.workloads import effective_taints, node_matches, tolerates
from storedesk.sim.store import Change, Obj

POD = rt_of("pods")
NODE = rt_of("nodes")
PVC = rt_of("persistentvolumeclaims")
STORAGE_CLASS = rt_of("storageclasses", "storage.k8s.io")
NODE_NAME = "storedesk-sim"
HOST_IP = "172.18.0.2"
_PULL_FAILURES = ("ImagePullBackOff", "ErrImagePull")
_NOT_HELPFUL = "Preemption is not helpful for scheduling."


@dataclass
class PodRun:
    """What the kubelet remembers about one pod it runs."""

    state: str = "scheduled"  # scheduled, pull-failed, running, crashed, done
    since: float = field(default_factory=time.monotonic)
    started: float | None = None
    restarts: int = 0
    backoffs: int = 0
    last_crash: str | None = None
    pod_ip: str = ""


class Kubelet:
    """Schedules every pod onto a simulated node that fits it, and 'runs' it there."""

    def __init__(self, manager: ControllerManager) -> None:
        self.m = manager
        self.runs: dict[str, PodRun] = {}
        self.terminating: dict[str, float] = {}
        self._unschedulable: dict[str, str] = {}  # pod uid -> the last FailedScheduling message
        self._ips = itertools.count(2)
        manager.register("Pod", self.reconcile)
        manager.watch(self._keys)

    def _keys(self, change: Change) -> list[tuple[str, str, str]]:
        if change.rt is NODE:  # a node came, went or changed: pending pods try again
            return self._pending_pods(None, None)
        if change.rt is PVC:  # a claim bound: the pods waiting for it
            meta = change.obj["metadata"]
            return self._pending_pods(meta["namespace"], meta["name"])
        if change.rt is not POD:
            return []
        meta = change.obj["metadata"]
        if change.type == "DELETED":
            self.runs.pop(meta["uid"], None)
            self.terminating.pop(meta["uid"], None)
            self._unschedulable.pop(meta["uid"], None)
            return []
        return [("Pod", meta["namespace"], meta["name"])]

    def _pending_pods(self, namespace: str | None, claim: str | None) -> list[tuple[str, str, str]]:
        return [
            ("Pod", p["metadata"]["namespace"], p["metadata"]["name"])
            for p in self.m.api.store.items(POD, namespace)
            if not p["spec"].get("nodeName") and (claim is None or claim in _claims(p))
        ]

    def reconcile(self, namespace: str, name: str) -> None:
        """Move one pod along its lifecycle."""
        pod = self.m.api.store.get(POD, namespace, name)
        if pod is None:
            return
        uid = pod["metadata"]["uid"]
        if pod["metadata"].get("deletionTimestamp"):
            self._terminate(pod, uid)
            return
        if not pod["spec"].get("nodeName"):
            self._bind(pod)
            return
        run = self.runs.get(uid)
        if run is None:
            run = self.runs[uid] = self._adopt(pod)
        now = time.monotonic()
        self._advance(pod, run, now)

    # -- scheduling and termination ------------------------------------------------------

    def _bind(self, pod: Obj) -> None:
        node, problem = self._schedule(pod)
        if node is None:
            if problem:
                self._unschedulable_pod(pod, problem)
            return  # waits for its claims or a node; their changes bring it back
        bound = {**pod, "spec": {**pod["spec"], "nodeName": node}}
        status = dict(pod.get("status") or {})
        status["conditions"] = [
            condition("PodScheduled", True, previous=status.get("conditions"), lastProbeTime=None)
        ]
        bound["status"] = status
        stored = self.m.system_write(POD, bound, pod)
        meta = stored["metadata"]
        self._unschedulable.pop(meta["uid"], None)
        self.runs[meta["uid"]] = PodRun(pod_ip=f"10.244.0.{next(self._ips) % 250 + 2}")
        self.m.record_event(
            stored,
            "Scheduled",
            f"Successfully assigned {meta['namespace']}/{meta['name']} to {node}",
            component="default-scheduler",
        )
        self.m.after(self.m.timing.start_delay, ("Pod", meta["namespace"], meta["name"]))

    def _schedule(self, pod: Obj) -> tuple[str | None, str]:
        """The node the scheduler would pick, or None with why (empty: wait quietly)."""
        nodes = list(self.m.api.store.items(NODE))
        claims_problem, waiting = self._claims_problem(pod)
        if claims_problem:
            return None, _unschedulable_message(len(nodes), [], prefilter=claims_problem)
        if waiting:
            return None, ""  # a claim is being bound or provisioned right now
        reasons = []
        fits = []
        for node in nodes:
            reason = _node_misfit(pod["spec"], node)
            if reason:
                reasons.append(reason)
            else:
                fits.append(node["metadata"]["name"])
        if not fits:
            return None, _unschedulable_message(len(nodes), reasons)
        return (NODE_NAME if NODE_NAME in fits else sorted(fits)[0]), ""

    def _claims_problem(self, pod: Obj) -> tuple[str, bool]:
        """(a reason no node fits because of the pod's claims, whether a claim is still
        being bound); the VolumeBinding plugin's view."""
        namespace = pod["metadata"]["namespace"]
        waiting = False
        for name in _claims(pod):
            claim = self.m.api.store.get(PVC, namespace, name)
            if claim is None:
                return f'persistentvolumeclaim "{name}" not found', False
            if claim["metadata"].get("deletionTimestamp"):
                return f'persistentvolumeclaim "{name}" is being deleted', False
            if (claim.get("status") or {}).get("phase") == "Bound":
                continue
            class_name = (claim.get("spec") or {}).get("storageClassName")
            storage_class = self.m.api.store.get(STORAGE_CLASS, "", class_name or "")
            if storage_class is None and not (claim.get("spec") or {}).get("volumeName"):
                return "pod has unbound immediate PersistentVolumeClaims", False
            waiting = True
        return "", waiting

    def _unschedulable_pod(self, pod: Obj, message: str) -> None:
        uid = pod["metadata"]["uid"]
        if self._unschedulable.get(uid) == message:
            return
        self._unschedulable[uid] = message
        status = dict(pod.get("status") or {})
        status["conditions"] = [
            condition(
                "PodScheduled",
                False,
                "Unschedulable",
                message,
                previous=status.get("conditions"),
                lastProbeTime=None,
            )
        ]
        self.m.write_status(POD, pod, status)
        self.m.record_event(
            pod, "FailedScheduling", message, type_="Warning", component="default-scheduler"
        )

    def _terminate(self, pod: Obj, uid: str) -> None:
        meta = pod["metadata"]
        due = self.terminating.get(uid)
        if due is None:
            grace = int(meta.get("deletionGracePeriodSeconds") or 0)
            delay = min(grace, self.m.timing.termination) if pod["spec"].get("nodeName") else 0
            due = self.terminating[uid] = time.monotonic() + delay
            if delay and self._running(pod):
                for c in pod["spec"].get("containers", []):
                    self.m.record_event(pod, "Killing", f"Stopping container {c['name']}")
        if time.monotonic() >= due:
            self.m.api.finish_deletion(POD, pod)
        else:
            self.m.after(due - time.monotonic(), ("Pod", meta["namespace"], meta["name"]))

    @staticmethod
    def _running(pod: Obj) -> bool:
        return pod.get("status", {}).get("phase") == "Running"

    def _adopt(self, pod: Obj) -> PodRun:
        """A pod bound before this kubelet started (restored state): resume where it was."""
        phase = pod.get("status", {}).get("phase")
        run = PodRun(
            pod_ip=pod.get("status", {}).get("podIP") or f"10.244.0.{next(self._ips) % 250 + 2}"
        )
        if phase in ("Running", "Succeeded", "Failed"):
            run.state = "done" if phase != "Running" else "running"
            run.started = time.monotonic() - self.m.timing.ready_delay
        return run

    # -- lifecycle -------------------------------------------------------------------------

    def _advance(self, pod: Obj, run: PodRun, now: float) -> None:
        timing = self.m.timing
        key = ("Pod", pod["metadata"]["namespace"], pod["metadata"]["name"])
        if run.state == "done":
            return
        if run.state == "scheduled":
            if now < run.since + timing.start_delay:
                self.m.after(run.since + timing.start_delay - now, key)
                return
            self._start(pod, run, now)
        elif run.state == "pull-failed":
            if now < run.since + self._backoff(run):
                self.m.after(run.since + self._backoff(run) - now, key)
                return
            self._start(pod, run, now)  # the kubelet retries the pull
        elif run.state == "crashed":
            if now < run.since + self._backoff(run):
                self.m.after(run.since + self._backoff(run) - now, key)
                return
            run.restarts += 1
            self._start(pod, run, now, restart=True)
        elif run.state == "running":
            self._tick_running(pod, run, now)
        self._write(pod, run, now)

    def _backoff(self, run: PodRun) -> float:
        return self.m.timing.backoff * min(8, 2 ** max(0, run.backoffs - 1))

    def _failure(self, pod: Obj) -> tuple[str, str] | None:
        """(container image, reason) of the first container whose image is set to fail, or
        of the first container of a pod whose name (or owner's name) is set to fail."""
        for c in _all_containers(pod):
            reason = self.m.faults.image_failure(c.get("image", ""))
            if reason:
                return c.get("image", ""), reason
        meta = pod["metadata"]
        owners = [
            r.get("name", "") for r in meta.get("ownerReferences") or () if r.get("controller")
        ]
        reason = self.m.faults.pod_failure(meta["name"], owners)
        containers = pod["spec"].get("containers") or []
        if reason and containers:
            return containers[0].get("image", ""), reason
        return None

    def _start(self, pod: Obj, run: PodRun, now: float, restart: bool = False) -> None:
        failure = self._failure(pod)
        run.since = now
        if failure and failure[1] in _PULL_FAILURES:
            image = failure[0]
            run.state, run.backoffs = "pull-failed", run.backoffs + 1
            if run.backoffs == 1:
                self.m.record_event(pod, "Pulling", f'Pulling image "{image}"')
            self.m.record_event(
                pod,
                "Failed",
                f'Failed to pull image "{image}": {_pull_error(image)}',
                type_="Warning",
            )
            self.m.record_event(
                pod,
                "Failed",
                "Error: ErrImagePull" if run.backoffs == 1 else "Error: ImagePullBackOff",
                type_="Warning",
            )
            if run.backoffs > 1:
                self.m.record_event(pod, "BackOff", f'Back-off pulling image "{image}"')
            return
        if not restart:
            for c in _all_containers(pod):
                image = c.get("image", "")
                self.m.record_event(pod, "Pulling", f'Pulling image "{image}"')
                self.m.record_event(
                    pod,
                    "Pulled",
                    f'Successfully pulled image "{image}" in '
                    f"812ms (812ms including waiting). Image size: "
                    f"104857600 bytes.",
                )
        for c in pod["spec"].get("containers", []):
            self.m.record_event(pod, "Created", f"Created container: {c['name']}")
            self.m.record_event(pod, "Started", f"Started container {c['name']}")
        run.state, run.started = "running", now
        if failure is None:
            run.backoffs = 0

    def _tick_running(self, pod: Obj, run: PodRun, now: float) -> None:
        timing = self.m.timing
        key = ("Pod", pod["metadata"]["namespace"], pod["metadata"]["name"])
        failure = self._failure(pod)
        started = run.started or now
        if failure:  # CrashLoopBackOff / Error: the process exits soon after starting
            crash_at = started + min(timing.ready_delay, 0.5)
            if now < crash_at:
                self.m.after(crash_at - now, key)
                return
            run.last_crash = now_iso()
            run.since, run.backoffs = now, run.backoffs + 1
            name = pod["spec"]["containers"][0]["name"]
            if _restart_policy(pod) == "Never":
                run.state = "done"
                return
            run.state = "crashed"
            self.m.record_event(
                pod,
                "BackOff",
                f"Back-off restarting failed container {name} in "
                f"pod {pod['metadata']['name']}_"
                f"{pod['metadata']['namespace']}"
                f"({pod['metadata']['uid']})",
                type_="Warning",
            )
            self.m.after(self._backoff(run), key)
            return
        ready_at = started + timing.ready_delay
        if now < ready_at:
            self.m.after(ready_at - now, key)
        elif _restart_policy(pod) != "Always":
            run.state = "done"  # a Job's pod ran to completion

    # -- status ----------------------------------------------------------------------------

    def _write(self, pod: Obj, run: PodRun, now: float) -> None:
        status = self._status(pod, run, now)
        self.m.write_status(POD, pod, status)

    def _status(self, pod: Obj, run: PodRun, now: float) -> dict[str, Any]:
        previous = pod.get("status") or {}
        prev_conditions = previous.get("conditions")
        failure = self._failure(pod)
        containers = pod["spec"].get("containers", [])
        completed = run.state == "done"
        failed_run = completed and failure is not None
        statuses = [
            self._container_status(c, pod, run, now, failure, completed) for c in containers
        ]
        init_statuses = [self._init_status(c, run) for c in pod["spec"].get("initContainers", [])]
        all_ready = bool(statuses) and all(s["ready"] for s in statuses)
        if completed:
            phase = "Failed" if failed_run else "Succeeded"
        elif run.state in ("running", "crashed") and run.started is not None:
            phase = "Running"
        else:
            phase = "Pending"
        started = run.state != "scheduled" and run.state != "pull-failed"
        reason = "PodCompleted" if completed else ("" if all_ready else "ContainersNotReady")
        not_ready = (
            ""
            if all_ready or completed
            else "containers with unready status: ["
            + " ".join(s["name"] for s in statuses if not s["ready"])
            + "]"
        )
        status: dict[str, Any] = {
            "phase": phase,
            "conditions": [
                condition(
                    "PodReadyToStartContainers",
                    run.state != "scheduled",
                    previous=prev_conditions,
                    lastProbeTime=None,
                ),
                condition(
                    "Initialized",
                    started or not init_statuses,
                    "PodCompleted" if completed and init_statuses else "",
                    previous=prev_conditions,
                    lastProbeTime=None,
                ),
                condition(
                    "Ready",
                    all_ready,
                    reason,
                    not_ready,
                    previous=prev_conditions,
                    lastProbeTime=None,
                ),
                condition(
                    "ContainersReady",
                    all_ready,
                    reason,
                    not_ready,
                    previous=prev_conditions,
                    lastProbeTime=None,
                ),
                condition("PodScheduled", True, previous=prev_conditions, lastProbeTime=None),
            ],
            "hostIP": HOST_IP,
            "hostIPs": [{"ip": HOST_IP}],
            "qosClass": previous.get("qosClass", "BestEffort"),
            "startTime": previous.get("startTime") or now_iso(),
            "containerStatuses": statuses,
        }
        if run.state != "scheduled":
            status["podIP"] = run.pod_ip
            status["podIPs"] = [{"ip": run.pod_ip}]
        if init_statuses:
            status["initContainerStatuses"] = init_statuses
        return status

    def _container_status(
        self,
        c: Obj,
        pod: Obj,
        run: PodRun,
        now: float,
        failure: tuple[str, str] | None,
        completed: bool,
    ) -> dict[str, Any]:
        image = c.get("image", "")
        previous = pod.get("status") or {}
        meta = pod["metadata"]
        old: Obj = next(
            (s for s in previous.get("containerStatuses", []) if s["name"] == c["name"]), {}
        )
        status: dict[str, Any] = {
            "name": c["name"],
            "image": image,
            "imageID": "",
            "restartCount": run.restarts,
            "started": False,
            "ready": False,
        }
        started_at = old.get("state", {}).get("running", {}).get("startedAt") or now_iso()
        if run.state == "scheduled":
            status["state"] = {"waiting": {"reason": "ContainerCreating"}}
        elif run.state == "pull-failed":
            reason = "ErrImagePull" if run.backoffs <= 1 else "ImagePullBackOff"
            message = (
                _pull_error(image)
                if reason == "ErrImagePull"
                else f'Back-off pulling image "{image}": ErrImagePull: {_pull_error(image)}'
            )
            status["state"] = {"waiting": {"reason": reason, "message": message}}
        else:
            status["imageID"] = _image_id(image)
            status["containerID"] = (
                "containerd://"
                + hashlib.sha256(f"{c['name']}{run.restarts}{run.pod_ip}".encode()).hexdigest()
            )
            if completed:
                code = 1 if failure else 0
                status["state"] = {
                    "terminated": {
                        "exitCode": code,
                        "reason": "Error" if code else "Completed",
                        "startedAt": started_at,
                        "finishedAt": now_iso(),
                        "containerID": status["containerID"],
                    }
                }
            elif run.state == "crashed":
                status["state"] = {
                    "waiting": {
                        "reason": "CrashLoopBackOff",
                        "message": f"back-off {int(self._backoff(run) * 10)}s restarting failed "
                        f"container={c['name']} pod={meta['name']}_{meta['namespace']}"
                        f"({meta['uid']})",
                    }
                }
                status["lastState"] = _last_crash(run, started_at)
            else:
                ready = (
                    failure is None
                    and run.started is not None
                    and now >= run.started + self.m.timing.ready_delay
                )
                status.update(
                    started=True, ready=ready, state={"running": {"startedAt": started_at}}
                )
                if run.restarts:
                    status["lastState"] = _last_crash(run, started_at)
        return status

    @staticmethod
    def _init_status(c: Obj, run: PodRun) -> dict[str, Any]:
        done = run.state not in ("scheduled", "pull-failed")
        state = (
            {"terminated": {"exitCode": 0, "reason": "Completed"}}
            if done
            else {"waiting": {"reason": "PodInitializing"}}
        )
        return {
            "name": c["name"],
            "image": c.get("image", ""),
            "imageID": "",
            "restartCount": 0,
            "ready": done,
            "started": False,
            "state": state,
        }


def _last_crash(run: PodRun, started_at: str) -> dict[str, Any]:
    """lastState of a container that crashed before its current start."""
    return {
        "terminated": {
            "exitCode": 1,
            "reason": "Error",
            "startedAt": started_at,
            "finishedAt": run.last_crash or now_iso(),
        }
    }


def _claims(pod: Obj) -> list[str]:
    return [
        v["persistentVolumeClaim"]["claimName"]
        for v in pod["spec"].get("volumes") or ()
        if isinstance(v.get("persistentVolumeClaim"), dict)
        and v["persistentVolumeClaim"].get("claimName")
    ]


def _node_misfit(spec: Obj, node: Obj) -> str:
    """Why a node does not fit a pod (the scheduler's per-node reason), or ""."""
    untolerated = [
        t
        for t in effective_taints(node)
        if t.get("effect") in ("NoSchedule", "NoExecute")
        and not tolerates(list(spec.get("tolerations") or ()), t)
    ]
    if untolerated:
        taint = untolerated[0]
        value = f": {taint['value']}" if taint.get("value") else ""
        return f"node(s) had untolerated taint {{{taint.get('key', '')}{value}}}"
    if not node_matches(spec, node):
        return "node(s) didn't match Pod's node affinity/selector"
    return ""


def _unschedulable_message(total: int, reasons: list[str], prefilter: str = "") -> str:
    """`0/N nodes are available: ...` as the scheduler's FitError words it: a PreFilter
    rejection as is, per-node filter reasons counted and sorted."""
    if total == 0:
        return "no nodes available to schedule pods"
    counts: dict[str, int] = {}
    for reason in reasons:
        counts[reason] = counts.get(reason, 0) + 1
    parts = [prefilter] if prefilter else sorted(f"{n} {r}" for r, n in counts.items())
    return (
        f"0/{total} nodes are available: {', '.join(parts)}. preemption: 0/{total} nodes are "
        f"available: {total} {_NOT_HELPFUL}"
    )


def _all_containers(pod: Obj) -> list[Obj]:
    spec = pod["spec"]
    return [*spec.get("initContainers", []), *spec.get("containers", [])]


def _restart_policy(pod: Obj) -> str:
    return pod["spec"].get("restartPolicy", "Always")


def _qualified_image(image: str) -> str:
    name = image.split("@")[0]
    if "/" not in name.split(":")[0] or "." not in name.split("/")[0]:
        name = ("docker.io/library/" if "/" not in name else "docker.io/") + name
    return name if ":" in name.rsplit("/", 1)[-1] else name + ":latest"


def _pull_error(image: str) -> str:
    ref = _qualified_image(image)
    return (
        f'rpc error: code = NotFound desc = failed to pull and unpack image "{ref}": '
        f'failed to resolve reference "{ref}": {ref}: not found'
    )


def _image_id(image: str) -> str:
    digest = hashlib.sha256(image.encode()).hexdigest()
    return f"{_qualified_image(image).rsplit(':', 1)[0]}@sha256:{digest}"
