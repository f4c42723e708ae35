"""The HorizontalPodAutoscaler controller, on a cluster without a metrics server.

It does what the real controller does there: reads the target's scale, holds it within
minReplicas..maxReplicas (that needs no metrics), and otherwise reports that it cannot
compute a replica count because no metrics API answers, with the real reasons, messages
and events. The simulator runs no processes, so there is no usage to scale on.
"""

from __future__ import annotations

import time
from typing import Any

from storedesk.sim.api import now_iso
from storedesk.sim.controllers.loop import ControllerManager, condition, rt_of
from storedesk.sim.errors import ApiError
from storedesk.sim.resources import ResourceType
from storedesk.sim.store import Change, Obj

HPA = rt_of("horizontalpodautoscalers", "autoscaling")
_COMPONENT = "horizontal-pod-autoscaler"
_RESYNC = 15.0  # --horizontal-pod-autoscaler-sync-period
_NO_RESOURCE_METRICS = (
    "unable to fetch metrics from resource metrics API: the server could not find the "
    "requested resource (get pods.metrics.k8s.io)"
)
_NO_CUSTOM_METRICS = "no custom metrics API (custom.metrics.k8s.io) registered"


class Autoscalers:
    """Keeps each HPA's status, and its target within the replica bounds."""

    def __init__(self, manager: ControllerManager) -> None:
        self.m = manager
        self._due: dict[tuple[str, str], float] = {}
        manager.register("HorizontalPodAutoscaler", self.reconcile)
        manager.watch(self._keys)

    def _keys(self, change: Change) -> list[tuple[str, str, str]]:
        # Like the real controller: on its own changes, then every resync period (it does
        # not watch targets).
        if change.rt is not HPA or change.type == "DELETED":
            return []
        if change.old is not None and change.old.get("spec") == change.obj.get("spec"):
            return []  # its own status writes
        meta = change.obj["metadata"]
        return [(HPA.kind, meta["namespace"], meta["name"])]

    def _resync(self, namespace: str, name: str) -> None:
        """The next periodic pass (one pending per HPA, however often it ran meanwhile)."""
        now = time.monotonic()
        if self._due.get((namespace, name), 0.0) > now:
            return
        self._due[(namespace, name)] = now + _RESYNC
        self.m.after(_RESYNC, (HPA.kind, namespace, name))

    def reconcile(self, namespace: str, name: str) -> None:
        """One pass of reconcileAutoscaler."""
        hpa = self.m.api.store.get(HPA, namespace, name)
        if hpa is None or hpa["metadata"].get("deletionTimestamp"):
            self._due.pop((namespace, name), None)
            return
        self._resync(namespace, name)
        spec, status = hpa["spec"], dict(hpa.get("status") or {})
        previous = status.get("conditions") or []
        ref = spec.get("scaleTargetRef") or {}
        rt = self.m.api.types.by_kind(ref.get("apiVersion", ""), ref.get("kind", ""))
        target = None
        if rt is not None and "scale" in rt.subresources:
            target = self.m.api.store.get(rt, namespace, ref.get("name", ""))
        if rt is None or target is None:
            self._failed_scale(hpa, status, previous, rt, ref)
            return
        current = int((target.get("spec") or {}).get("replicas", 1))
        conditions = [
            condition(
                "AbleToScale",
                True,
                "SucceededGetScale",
                "the HPA controller was able to get the target's current scale",
                previous,
            )
        ]
        low, high = int(spec.get("minReplicas", 1)), int(spec["maxReplicas"])
        desired, reason = _bounded(current, low, high)
        if current == 0 and low != 0:
            conditions.append(
                condition(
                    "ScalingActive",
                    False,
                    "ScalingDisabled",
                    "scaling is disabled since the replica count of the target is zero",
                    previous,
                )
            )
            status.update(currentReplicas=current, desiredReplicas=0)
        elif reason:
            self._rescale(hpa, rt, target, desired, reason)
            conditions[0] = condition(
                "AbleToScale",
                True,
                "SucceededRescale",
                f"the HPA controller was able to update the target scale to {desired}",
                previous,
            )
            status.update(currentReplicas=current, desiredReplicas=desired, lastScaleTime=now_iso())
        else:
            problem = _metrics_problem(spec.get("metrics") or [])
            conditions.append(
                condition(
                    "ScalingActive",
                    False,
                    problem[0],
                    f"the HPA was unable to compute the replica count: {problem[1]}",
                    previous,
                )
            )
            status["currentReplicas"] = current
            status.setdefault("desiredReplicas", 0)
            self.m.record_event(hpa, problem[0], problem[1], type_="Warning", component=_COMPONENT)
            self.m.record_event(
                hpa,
                "FailedComputeMetricsReplicas",
                f"invalid metrics ({len(spec.get('metrics') or [])} invalid out of "
                f"{len(spec.get('metrics') or [])}), first error is: {problem[2]}",
                type_="Warning",
                component=_COMPONENT,
            )
        status["conditions"] = _merge(previous, conditions)
        self.m.write_status(HPA, hpa, status)

    def _failed_scale(
        self,
        hpa: Obj,
        status: dict[str, Any],
        previous: list[Obj],
        rt: ResourceType | None,
        ref: Obj,
    ) -> None:
        what = (
            f"{rt.plural}.{rt.group}"
            if rt is not None and rt.group
            else (rt.plural if rt is not None else f"{str(ref.get('kind', '')).lower()}s")
        )
        error = f'{what} "{ref.get("name", "")}" not found'
        message = f"the HPA controller was unable to get the target's current scale: {error}"
        self.m.record_event(hpa, "FailedGetScale", error, type_="Warning", component=_COMPONENT)
        status["conditions"] = _merge(
            previous, [condition("AbleToScale", False, "FailedGetScale", message, previous)]
        )
        status.setdefault("currentReplicas", 0)
        status.setdefault("desiredReplicas", 0)
        self.m.write_status(HPA, hpa, status)

    def _rescale(self, hpa: Obj, rt: ResourceType, target: Obj, desired: int, reason: str) -> None:
        meta = target["metadata"]
        try:
            self.m.api.patch(
                rt,
                meta["namespace"],
                meta["name"],
                "application/merge-patch+json",
                {"spec": {"replicas": desired}},
            )
        except ApiError as e:
            self.m.record_event(
                hpa,
                "FailedRescale",
                f"New size: {desired}; reason: {reason}; error: {e.message}",
                type_="Warning",
                component=_COMPONENT,
            )
            return
        self.m.record_event(
            hpa, "SuccessfulRescale", f"New size: {desired}; reason: {reason}", component=_COMPONENT
        )


def _bounded(current: int, low: int, high: int) -> tuple[int, str]:
    """The replica count the bounds alone demand, and why (no reason: within bounds)."""
    if current > high:
        return high, "Current number of replicas above Spec.MaxReplicas"
    if 0 < current < low:
        return low, "Current number of replicas below Spec.MinReplicas"
    return current, ""


def _metrics_problem(metrics: list[Obj]) -> tuple[str, str, str]:
    """(condition reason, its error, the first-error text) for the first metric: none can
    be read, since no metrics API is registered."""
    metric: Obj = metrics[0] if metrics else {"type": "Resource", "resource": {"name": "cpu"}}
    kind = metric.get("type", "")
    if kind in ("Resource", "ContainerResource"):
        source = metric.get("resource") or metric.get("containerResource") or {}
        name = source.get("name", "cpu")
        error = (
            f"failed to get {name} utilization: unable to get metrics for resource {name}: "
            f"{_NO_RESOURCE_METRICS}"
        )
        return (
            f"FailedGet{kind}Metric",
            error,
            f"failed to get {name} resource metric value: {error}",
        )
    source = (metric.get(kind[:1].lower() + kind[1:]) or {}).get("metric") or {}
    name = source.get("name", "")
    if kind == "External":
        error = (
            f"unable to get external metric {name}: unable to fetch metrics from external "
            f"metrics API: the server could not find the requested resource "
            f"(get {name}.external.metrics.k8s.io)"
        )
    else:
        error = f"unable to get metric {name}: {_NO_CUSTOM_METRICS}"
    return f"FailedGet{kind}Metric", error, f"failed to get {kind.lower()} metric value: {error}"


def _merge(previous: list[Obj], updates: list[Obj]) -> list[Obj]:
    """Conditions in the controller's order, each kept or replaced."""
    by_type = {c["type"]: c for c in previous}
    by_type.update({c["type"]: c for c in updates})
    order = ["AbleToScale", "ScalingActive", "ScalingLimited"]
    return [by_type[t] for t in order if t in by_type]
