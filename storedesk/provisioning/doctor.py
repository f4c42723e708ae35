"""The cluster check: every check of `storedesk.domain.checks`, run against one
StoreService's cluster, concurrently, within one time limit.

The reads run on daemon threads and the whole run is bounded by `time_limit`: a check
still waiting then says so, and its requests end on their own timeouts (the Kubernetes
client's 10 s, helm's query limit). Nothing here changes the cluster: permissions are
asked with SelfSubjectAccessReview and the chart is rendered locally by `helm template`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

import yaml

from storedesk.cluster import access
from storedesk.cluster.helm_argv import SUPPORTED_HELM
from storedesk.domain import checks
from storedesk.domain.checks import Check, CheckResult, ClusterKind, Verdict
from storedesk.domain.engines import Engine, merged_values
from storedesk.domain.models import store_namespace
from storedesk.errors import (
    ClusterUnreachable,
    Forbidden,
    InvalidInput,
    KubeconfigError,
    StoredeskError,
)
from storedesk.provisioning.engines import chart_path, engines

if TYPE_CHECKING:
    from storedesk.provisioning.service import StoreService

_T = TypeVar("_T")

TIME_LIMIT = 60.0  # seconds for the whole check; a check still running then says so
# The store the chart is rendered for: a name no check ever creates anything under.
PLACEHOLDER_STORE = "check"


@dataclass(frozen=True)
class Report:
    """Every check's result for one cluster and engine."""

    context: str
    engine: str
    results: tuple[CheckResult, ...]
    cluster_answered: bool  # whether the API server answered at all
    checked_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def verdict(self) -> Verdict:
        """The most serious verdict of the report."""
        return checks.worst(self.results)

    @property
    def summary(self) -> str:
        """'1 problem, 2 warnings' or 'no problem'."""
        return checks.tally(self.results)

    def result(self, check: Check) -> CheckResult:
        """The result of one check."""
        return next(r for r in self.results if r.check == check)


@dataclass(frozen=True)
class _Chart:
    """What the rendered chart says: the kinds it creates and one store's quota."""

    kinds: frozenset[tuple[str, str]]  # (apiVersion, kind)
    quota: dict[str, Any] | None


def _in_background(name: str, work: Callable[[], _T]) -> Future[_T]:
    """Run `work` on a daemon thread: a read that outlives the time limit never holds
    the process (the CLI exits, the window closes) while it waits for its own timeout."""
    future: Future[_T] = Future()

    def run() -> None:
        if future.set_running_or_notify_cancel():
            try:
                future.set_result(work())
            except BaseException as error:  # handed to whoever reads the result
                future.set_exception(error)

    threading.Thread(target=run, name=f"doctor-{name}", daemon=True).start()
    return future


def run_checks(
    service: StoreService, engine: str | None = None, *, time_limit: float = TIME_LIMIT
) -> Report:
    """Run every check against the service's cluster for `engine` (default: the first)."""
    chosen = engines().get(engine) if engine else engines().default
    return _Run(service, chosen, time.monotonic() + time_limit, time_limit).report()


class _Run:
    """One run of the checks: the reads started at once, then judged in order."""

    def __init__(
        self, service: StoreService, engine: Engine, deadline: float, limit: float
    ) -> None:
        self.service = service
        self.engine = engine
        self.deadline = deadline
        self.limit = limit
        self.namespace = store_namespace(PLACEHOLDER_STORE)
        self.version = _in_background("version", lambda: service.kube.version())
        self.helm = _in_background("helm", lambda: service.helm.tool)
        self.chart = _in_background("chart", self._render)
        self.nodes = _in_background("nodes", lambda: access.nodes(service.kube))
        self.requested = _in_background("requested", self._requested)
        self.storage = _in_background("storage", lambda: access.storage_classes(service.kube))
        self.ingress = _in_background("ingress", self._ingress)
        self.rbac = _in_background("rbac", self._rbac)

    # -- reads, on their own threads --------------------------------------------------------

    def _wait(self, future: Future[_T]) -> _T:
        """The result of `future`, waited for until the deadline (FutureTimeout after)."""
        return future.result(timeout=max(0.0, self.deadline - time.monotonic()))

    def _render(self) -> _Chart:
        values = merged_values(
            self.engine.values(PLACEHOLDER_STORE, {}),
            self.engine.secret_values(self.engine.generate_credentials(PLACEHOLDER_STORE, {})),
        )
        text = self.service.helm.template(
            PLACEHOLDER_STORE, chart_path(self.engine), self.namespace, values
        )
        return _read_manifests(text)

    def _requested(self) -> checks.Resources:
        usable = [n.name for n in self._wait(self.nodes) if n.schedulable]
        return access.requested_on(self.service.kube, usable)

    def _ingress(
        self,
    ) -> tuple[list[checks.IngressClassFact], dict[str, checks.ControllerPods]]:
        classes = access.ingress_classes(self.service.kube)
        found: dict[str, checks.ControllerPods] = {}
        by_selector: dict[str, checks.ControllerPods] = {}
        for cls in classes:
            known = checks.known_controller(cls.controller)
            if known is None or known.pod_selector is None:
                continue
            if known.pod_selector not in by_selector:
                by_selector[known.pod_selector] = access.controller_pods(
                    self.service.kube, known.pod_selector
                )
            found[cls.name] = by_selector[known.pod_selector]
        return classes, found

    def _rbac(self) -> CheckResult:
        chart_unknown = None
        kinds: frozenset[tuple[str, str]] = frozenset()
        try:
            kinds = self._wait(self.chart).kinds
        except StoredeskError as e:
            chart_unknown = _first_sentence(e.message)
        resources, unserved = access.chart_resources(self.service.kube, kinds)
        wanted = checks.required_access(resources, self.namespace)
        missing = access.denied(self.service.kube, wanted)
        return checks.rbac_check(missing, len(wanted), self.namespace, unserved, chart_unknown)

    # -- judging, in the order the checks are shown -------------------------------------------

    def report(self) -> Report:
        """Every check's result (waits at most until the deadline)."""
        answered, version = self._version()
        kind = self._cluster_kind(version)
        results = (
            self._kubernetes(answered, version),
            self._helm(),
            self._judged(Check.RBAC, lambda: self._wait(self.rbac), "ask what it may do"),
            self._judged(Check.STORAGE, lambda: self._storage(kind), "list StorageClasses"),
            self._judged(
                Check.INGRESS, lambda: self._ingresses(kind), "list IngressClasses or pods"
            ),
            checks.network_policy_check(kind),
            self._capacity(),
        )
        return Report(self.service.target.context, self.engine.name, results, answered)

    def _version(self) -> tuple[bool, StoredeskError | str]:
        try:
            found = self._wait(self.version)
        except StoredeskError as e:
            return False, e
        except FutureTimeout:
            return False, ClusterUnreachable(f"the cluster did not answer within {self.limit:g}s")
        return True, str(found.get("gitVersion", ""))

    def _cluster_kind(self, version: StoredeskError | str) -> ClusterKind:
        try:
            nodes = self._wait(self.nodes)
        except (StoredeskError, FutureTimeout):
            nodes = []
        git = version if isinstance(version, str) else ""
        return checks.cluster_kind(self.service.target.context, git, nodes)

    def _kubernetes(self, answered: bool, version: StoredeskError | str) -> CheckResult:
        if isinstance(version, StoredeskError):
            return CheckResult(
                Check.KUBERNETES,
                Verdict.PROBLEM,
                _first_sentence(version.message),
                version.hint,
                {"version": None},
            )
        return checks.kubernetes_check(
            version, _kube_version(self.engine), self.engine.display_name
        )

    def _helm(self) -> CheckResult:
        try:
            tool = self._wait(self.helm)
        except StoredeskError as e:
            return checks.helm_check(None, None, e.message, e.hint, SUPPORTED_HELM)
        except FutureTimeout:
            return checks.not_checked(Check.HELM, self._late())
        return checks.helm_check(str(tool.version), str(tool.path), None, None, SUPPORTED_HELM)

    def _storage(self, kind: ClusterKind) -> CheckResult:
        classes = self._wait(self.storage)
        return checks.storage_check(classes, kind)

    def _ingresses(self, kind: ClusterKind) -> CheckResult:
        classes, pods = self._wait(self.ingress)
        return checks.ingress_check(classes, pods, kind)

    def _capacity(self) -> CheckResult:
        def judge() -> CheckResult:
            nodes, requested = self._wait(self.nodes), self._wait(self.requested)
            try:
                quota = self._wait(self.chart).quota
            except StoredeskError as e:
                return checks.not_checked(
                    Check.CAPACITY, f"one store's quota is unknown: {_first_sentence(e.message)}"
                )
            return checks.capacity_check(nodes, requested, quota)

        return self._judged(Check.CAPACITY, judge, "list nodes or pods")

    def _judged(self, check: Check, judge: Callable[[], CheckResult], reading: str) -> CheckResult:
        """`judge()`, or why it could not judge: the cluster, a refusal, the time limit."""
        try:
            return judge()
        except FutureTimeout:
            return checks.not_checked(check, self._late())
        except (ClusterUnreachable, KubeconfigError) as e:
            return checks.not_checked(check, f"the cluster did not answer ({e.message})")
        except Forbidden as e:
            return checks.not_checked(
                check, f"this user may not {reading}: {_first_sentence(e.message)}", e.hint
            )
        except StoredeskError as e:
            return checks.not_checked(check, e.message, e.hint)

    def _late(self) -> str:
        return f"it did not finish within {self.limit:g}s"


def _kube_version(engine: Engine) -> str:
    """The kubeVersion constraint in the engine chart's Chart.yaml ('' for none)."""
    path = chart_path(engine) / "Chart.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        raise InvalidInput(f"cannot read {path}: {e}", hint="reinstall Storedesk") from None
    return str(data.get("kubeVersion") or "")


def _read_manifests(text: str) -> _Chart:
    """The kinds and the first ResourceQuota of `helm template`'s output."""
    kinds: set[tuple[str, str]] = set()
    quota: dict[str, Any] | None = None
    for doc in yaml.safe_load_all(text):
        if not isinstance(doc, dict) or not doc.get("kind"):
            continue
        kinds.add((str(doc.get("apiVersion", "")), str(doc["kind"])))
        if doc["kind"] == "ResourceQuota" and quota is None:
            quota = dict((doc.get("spec") or {}).get("hard") or {})
    return _Chart(frozenset(kinds), quota)


def _first_sentence(text: str) -> str:
    """The start of an error text, up to its first line break."""
    return text.strip().splitlines()[0] if text.strip() else text
