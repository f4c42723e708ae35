"""The CronJob controller (cronjob_controllerv2): Jobs named <cronjob>-<minutes since the
epoch> at each scheduled time, concurrency policies, history limits, and the status
(active, lastScheduleTime, lastSuccessfulTime) `kubectl get cronjobs` shows.

Its clock can run ahead of the wall clock (`advance`): tests and demos need not wait for
a schedule to come round; every other controller keeps real time.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from storedesk.sim import cron
from storedesk.sim.controllers.loop import ControllerManager, controller_ref, owned_by, rt_of
from storedesk.sim.errors import ApiError
from storedesk.sim.store import Change, Obj

CRONJOB = rt_of("cronjobs", "batch")
JOB = rt_of("jobs", "batch")
_TOO_MANY_MISSED = 100
_SCHEDULED = "batch.kubernetes.io/cronjob-scheduled-timestamp"
_COMPONENT = "cronjob-controller"


class CronJobs:
    """Runs CronJobs on a clock that `advance` can move forward."""

    def __init__(self, manager: ControllerManager) -> None:
        self.m = manager
        self._offset = 0.0
        self._forced: dict[tuple[str, str], datetime] = {}  # trigger(): run at this minute
        self._lock = threading.Lock()
        manager.register("CronJob", self.reconcile)
        manager.watch(self._keys)

    def now(self) -> datetime:
        """The controller's time: the wall clock plus whatever `advance` added."""
        with self._lock:
            offset = self._offset
        return datetime.fromtimestamp(time.time() + offset, UTC)

    def advance(self, seconds: float | None = None) -> datetime:
        """Move the clock on by `seconds`, or (None) to the next time any CronJob fires;
        every CronJob then looks at the new time. Returns the new time."""
        if seconds is None:
            upcoming = [t for t in self._next_times() if t is not None]
            seconds = (
                max(0.0, (min(upcoming) - self.now()).total_seconds() + 0.5) if upcoming else 0.0
            )
        with self._lock:
            self._offset += seconds
        for cj in list(self.m.api.store.items(CRONJOB)):
            self.m.enqueue(("CronJob", cj["metadata"]["namespace"], cj["metadata"]["name"]))
        return self.now()

    def trigger(self, namespace: str | None = None, name: str | None = None) -> None:
        """Run CronJobs (all, one namespace's, or one) as if their schedule matched the
        current minute: a Job <name>-<minute> each, unless this minute ran already."""
        minute = self.now().replace(second=0, microsecond=0)
        for cj in list(self.m.api.store.items(CRONJOB, namespace)):
            meta = cj["metadata"]
            if name is None or meta["name"] == name:
                with self._lock:
                    self._forced[(meta["namespace"], meta["name"])] = minute
                self.m.enqueue(("CronJob", meta["namespace"], meta["name"]))

    def _next_times(self) -> list[datetime | None]:
        times = []
        with self.m.api.store.lock:
            cronjobs = list(self.m.api.store.items(CRONJOB))
        for cj in cronjobs:
            spec = cj.get("spec") or {}
            if spec.get("suspend"):
                continue
            try:
                schedule = cron.parse(spec.get("schedule", ""), spec.get("timeZone"))
            except cron.CronError:
                continue
            times.append(schedule.next_after(self.now()))
        return times

    def _keys(self, change: Change) -> list[tuple[str, str, str]]:
        meta = change.obj["metadata"]
        if change.rt is CRONJOB and change.type != "DELETED":
            return [("CronJob", meta["namespace"], meta["name"])]
        if change.rt is JOB:
            return [
                ("CronJob", meta["namespace"], ref["name"])
                for ref in meta.get("ownerReferences") or ()
                if ref.get("kind") == "CronJob" and ref.get("controller")
            ]
        return []

    # -- reconcile ---------------------------------------------------------------------------

    def reconcile(self, namespace: str, name: str) -> None:
        """Account for finished Jobs, start the Job now due, keep the history limits."""
        cj = self.m.api.store.get(CRONJOB, namespace, name)
        if cj is None or cj["metadata"].get("deletionTimestamp"):
            return
        jobs = [
            j for j in self.m.api.store.items(JOB, namespace) if owned_by(j, cj["metadata"]["uid"])
        ]
        status = dict(cj.get("status") or {})
        active = self._account(cj, jobs, status)
        spec = cj["spec"]
        try:
            schedule = cron.parse(spec.get("schedule", ""), spec.get("timeZone"))
        except cron.CronError as e:
            self.m.record_event(
                cj,
                "UnparseableSchedule",
                f"unparseable schedule: {e}",
                type_="Warning",
                component=_COMPONENT,
            )
            return
        now = self.now()
        with self._lock:
            forced = self._forced.pop((namespace, name), None)
        if not spec.get("suspend"):
            due = self._due(cj, schedule, now)
            last = status.get("lastScheduleTime") or ""
            if forced is not None and _stamp(forced) > last and (due is None or forced > due):
                due = forced
            if due is not None:
                active = self._run(cj, due, active, status)
        if active:
            status["active"] = [_reference(j) for j in active]
        else:
            status.pop("active", None)
        self._cleanup(cj, jobs)
        self.m.write_status(CRONJOB, cj, status)
        upcoming = schedule.next_after(now)
        if upcoming is not None and not spec.get("suspend"):
            self.m.after(max(0.05, (upcoming - now).total_seconds()), ("CronJob", namespace, name))

    def _account(self, cj: Obj, jobs: list[Obj], status: dict[str, Any]) -> list[Obj]:
        """The Jobs still running; finished ones leave `active` with an event."""
        listed = {ref.get("uid") for ref in status.get("active") or ()}
        running = []
        for job in jobs:
            finished = _finished(job)
            if finished is None:
                running.append(job)
                continue
            if job["metadata"]["uid"] in listed:
                self.m.record_event(
                    cj,
                    "SawCompletedJob",
                    f"Saw completed job: {job['metadata']['name']}, condition: {finished}",
                    component=_COMPONENT,
                )
            if finished == "Complete":
                done = (job.get("status") or {}).get("completionTime")
                if done and done > (status.get("lastSuccessfulTime") or ""):
                    status["lastSuccessfulTime"] = done
        return running

    def _due(self, cj: Obj, schedule: cron.Schedule, now: datetime) -> datetime | None:
        """The most recent scheduled time not yet run (mostRecentScheduleTime), if any."""
        spec, status = cj["spec"], cj.get("status") or {}
        earliest = _parse(status.get("lastScheduleTime") or cj["metadata"]["creationTimestamp"])
        deadline = spec.get("startingDeadlineSeconds")
        if deadline is not None:
            earliest = max(earliest, now - timedelta(seconds=int(deadline)))
        latest, missed = None, 0
        moment = schedule.next_after(earliest)
        while moment is not None and moment <= now:
            latest, missed = moment, missed + 1
            if missed > _TOO_MANY_MISSED and deadline is None:
                break
            moment = schedule.next_after(moment)
        if missed > _TOO_MANY_MISSED:
            self.m.record_event(
                cj,
                "TooManyMissedTimes",
                "too many missed start times. Set or decrease .spec.startingDeadlineSeconds or "
                "check clock skew",
                type_="Warning",
                component=_COMPONENT,
            )
        return latest

    def _run(self, cj: Obj, due: datetime, active: list[Obj], status: dict[str, Any]) -> list[Obj]:
        policy = cj["spec"].get("concurrencyPolicy", "Allow")
        if active and policy == "Forbid":
            return active  # the job waits for its turn; lastScheduleTime stays
        if active and policy == "Replace":
            for job in active:
                self._delete_job(cj, job)
            active = []
        created = self._create_job(cj, due)
        status["lastScheduleTime"] = _stamp(due)
        return [*active, created] if created is not None else active

    def _create_job(self, cj: Obj, due: datetime) -> Obj | None:
        template = cj["spec"].get("jobTemplate") or {}
        meta = template.get("metadata") or {}
        name = f"{cj['metadata']['name']}-{int(due.timestamp() // 60)}"
        annotations = {**(meta.get("annotations") or {}), _SCHEDULED: _stamp(due)}
        body = {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {
                "name": name,
                "labels": dict(meta.get("labels") or {}),
                "annotations": annotations,
                "ownerReferences": [controller_ref(cj)],
            },
            "spec": template.get("spec") or {},
        }
        namespace = cj["metadata"]["namespace"]
        try:
            job = self.m.api.create(JOB, namespace, body).obj
        except ApiError as e:
            if e.code == 409:  # made already (a restart mid-run): adopt it
                return self.m.api.store.get(JOB, namespace, name)
            self.m.record_event(
                cj,
                "FailedCreate",
                f"Error creating job: {e.message}",
                type_="Warning",
                component=_COMPONENT,
            )
            return None
        self.m.record_event(cj, "SuccessfulCreate", f"Created job {name}", component=_COMPONENT)
        return job

    def _cleanup(self, cj: Obj, jobs: list[Obj]) -> None:
        """Keep the newest successfulJobsHistoryLimit/failedJobsHistoryLimit finished Jobs."""
        spec = cj["spec"]
        for outcome, field, default in (
            ("Complete", "successfulJobsHistoryLimit", 3),
            ("Failed", "failedJobsHistoryLimit", 1),
        ):
            limit = spec.get(field, default)
            finished = sorted(
                (j for j in jobs if _finished(j) == outcome),
                key=lambda j: (
                    (j.get("status") or {}).get("startTime") or "",
                    j["metadata"]["name"],
                ),
            )
            for job in finished[: max(0, len(finished) - int(limit))]:
                self._delete_job(cj, job)

    def _delete_job(self, cj: Obj, job: Obj) -> None:
        if job["metadata"].get("deletionTimestamp"):
            return
        try:
            self.m.api.delete(
                JOB,
                job["metadata"]["namespace"],
                job["metadata"]["name"],
                {"propagationPolicy": "Background"},
            )
        except ApiError as e:
            if e.code != 404:
                raise
            return
        self.m.record_event(
            cj, "SuccessfulDelete", f"Deleted job {job['metadata']['name']}", component=_COMPONENT
        )


def _finished(job: Obj) -> str | None:
    for cond in (job.get("status") or {}).get("conditions") or ():
        if cond.get("type") in ("Complete", "Failed") and cond.get("status") == "True":
            return str(cond["type"])
    return None


def _reference(job: Obj) -> dict[str, str]:
    meta = job["metadata"]
    return {
        "kind": "Job",
        "namespace": meta["namespace"],
        "name": meta["name"],
        "uid": meta["uid"],
        "apiVersion": "batch/v1",
        "resourceVersion": meta.get("resourceVersion", ""),
    }


def _parse(stamp: str) -> datetime:
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
