"""Create a store, or converge an existing one: one helm upgrade with the same passwords.

Everything is checked before anything changes (name, engine, options, helm, cluster,
ownership, host, locks, credentials); then each step goes to the event log. A release an
interrupted run left pending is repaired first; an outage mid-create is waited out.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from storedesk import __version__
from storedesk.cluster import facts as convert
from storedesk.cluster.helm import ApplyConflict
from storedesk.cluster.kube import EVENTS, INGRESS_CLASSES, INGRESSES, NAMESPACES, Conflict
from storedesk.domain.credentials import KeyringKey
from storedesk.domain.engines import Engine, merged_values
from storedesk.domain.limits import validate_timeout
from storedesk.domain.models import (
    CREATED_ANNOTATION,
    ENGINE_LABEL,
    LEASE_ANNOTATION,
    MANAGED_BY_LABEL,
    MANAGED_BY_VALUE,
    OPTIONS_ANNOTATION,
    STORE_LABEL,
    VERSION_ANNOTATION,
    OperationKind,
    ReleaseInfo,
    StoreRecord,
    store_namespace,
)
from storedesk.domain.names import validate_store_name
from storedesk.errors import (
    ClusterUnreachable,
    Forbidden,
    HelmTimeout,
    NameTaken,
    StoreBusy,
    StoredeskError,
)
from storedesk.provisioning import inventory
from storedesk.provisioning.credentials import MESSAGES, Found
from storedesk.provisioning.engines import chart_path, engines
from storedesk.provisioning.events import Outcome
from storedesk.provisioning.failfast import FailFast
from storedesk.provisioning.locks import Lease, local_lock
from storedesk.provisioning.operation import Operation, Progress

if TYPE_CHECKING:
    from storedesk.provisioning.ingress_detect import ControllerPlacement
    from storedesk.provisioning.service import StoreService

DEFAULT_CLASS_ANNOTATION = "ingressclass.kubernetes.io/is-default-class"
# The port a controller serves on when it is not 80 (the demo cluster publishes it so).
HTTP_PORT_ANNOTATION = "storedesk.io/http-port"


class Create:
    """One create (or converge) of one store."""

    def __init__(self, service: StoreService) -> None:
        self.service = service

    def run(
        self,
        name: str,
        engine: str | None = None,
        options: dict[str, object] | None = None,
        *,
        wait: bool = False,
        timeout: float | None = None,
        use_keyring: bool = True,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
    ) -> StoreRecord:
        """Create a store, or converge an existing one (same passwords, same options unless
        given, one helm upgrade). Setting `cancel` stops it (helm included)."""
        given = None if timeout is None else validate_timeout(timeout)
        name = validate_store_name(name)
        asked = engines().get(engine) if engine is not None else None
        if asked is not None:
            asked.resolve_options(options)  # bad options fail before anything else
        helm = self.service.helm  # HelmUnavailable before anything changes
        ns_name = store_namespace(name)
        with local_lock(
            self.service.settings.data_dir, self.service.target.context, name, OperationKind.CREATE
        ):
            existing = self.service.kube.get(NAMESPACES, ns_name)
            self.service.check_ownership(existing, name, asked.name if asked else None)
            # An existing store keeps its engine, and the options it was made with unless
            # told otherwise.
            chosen = (
                self.service.engine_of_namespace(existing)
                if existing
                else asked or engines().default
            )
            chart = chart_path(chosen)
            timeout = self.service.timeout(chosen, given=given)
            previous = (
                inventory.store_options(existing["metadata"].get("annotations") or {})
                if existing
                else {}
            )
            resolved = self._with_access(
                chosen,
                name,
                chosen.resolve_options({**previous, **(options or {})}),
                chosen_before={**previous, **(options or {})},
            )
            values = chosen.values(name, resolved)
            placement = self._placement(chosen, resolved)
            values = merged_values(values, placement.chart_values() if placement else {})
            self._check_host_free(chosen, name, resolved)
            # Before anything changes: a locked keyring or an unreadable entry stops here.
            found, key = self.service.store_credentials.for_create(
                name, chosen, exists=existing is not None, options=resolved, use_keyring=use_keyring
            )
            credentials = found.credentials
            lease = Lease(self.service.kube, ns_name, OperationKind.CREATE)
            if existing is not None:
                existing = lease.acquire(existing)
                if previous != resolved:
                    self.service.kube.merge_patch(
                        NAMESPACES,
                        ns_name,
                        {
                            "metadata": {
                                "annotations": {
                                    OPTIONS_ANNOTATION: json.dumps(resolved, sort_keys=True)
                                }
                            }
                        },
                    )
            try:
                with Operation(self.service.log, name, OperationKind.CREATE, progress) as op:
                    if placement is not None and placement.reason:
                        op.note("ingress", Outcome.INFO, placement.reason)
                    op.note(
                        "validate",
                        Outcome.OK,
                        f"name '{name}', engine {chosen.name}, domain {resolved['domain']}",
                    )
                    with op.step("namespace", f"adopted namespace {ns_name}") as step:
                        if existing is None:
                            self._create_namespace(ns_name, name, chosen.name, resolved, lease)
                            step.message = f"created namespace {ns_name}"
                    lease.keep_alive()
                    self._save_credentials(op, found, key, chosen)
                    deadline = time.monotonic() + timeout
                    secrets = credentials.secrets()
                    fresh = existing is None  # a namespace made just now holds no release
                    take_back = False  # fields changed by hand, which the chart sets
                    while True:
                        try:
                            deployed = False if fresh else self._recover(op, name, ns_name, timeout)
                            with (
                                op.step("helm", f"helm upgrade --install {name}") as step,
                                FailFast(self.service, name, chosen, cancel) as watch,
                            ):
                                info = helm.upgrade_install(
                                    name,
                                    chart,
                                    ns_name,
                                    values={**values, **chosen.secret_values(credentials)},
                                    wait=False,
                                    timeout=timeout,
                                    atomic=deployed,
                                    force_conflicts=take_back,
                                    secrets=secrets,
                                    cancel=watch.stop,
                                    started=watch.started,
                                )
                                step.message = (
                                    f"release {info.name} revision {info.revision}"
                                    f" {info.status} (helm {helm.tool.version})"
                                )
                            break
                        except ApplyConflict as e:
                            # Someone changed, by hand, fields the chart sets (kubectl scale,
                            # edit, an autoscaler): the store takes the chart's shape back,
                            # and says which fields it took from whom.
                            if take_back:
                                raise
                            take_back, fresh = True, False
                            op.note(
                                "helm",
                                Outcome.INFO,
                                f"changed outside the chart: {e.describe()}; Storedesk sets "
                                "them back to what the chart says",
                            )
                        except ClusterUnreachable:
                            # An outage mid-create: wait for the cluster, then converge
                            # (helm may have left a pending release behind: look first).
                            # Within the create's deadline, however the cluster answers.
                            if time.monotonic() > deadline:
                                raise
                            fresh = False
                            self._wait_for_cluster(op, deadline)
                        except HelmTimeout as e:
                            raise self._with_last_events(e, ns_name) from None
                    if wait:
                        self.service.wait_ready(op, name, timeout)
            finally:
                lease.release()
        return self.service.get_store(name)

    def _with_access(
        self,
        engine: Engine,
        store: str,
        options: dict[str, Any],
        chosen_before: dict[str, object],
    ) -> dict[str, Any]:
        """The options with the store's access settled: the way the user or an earlier run
        chose, else ingress when the cluster has a class for the store, else port-forward;
        a port-forwarded store keeps its local port (its URL, which WordPress keeps)."""
        if engine.option("access") is None:
            return options
        ingress_class = self._ingress_class(options)
        if "access" not in chosen_before:
            options["access"] = "ingress" if ingress_class is not None else "port-forward"
        if options["access"] != "port-forward":
            # A controller published on another port than 80 (the demo cluster's) says so
            # on its class; shoppers' URLs carry that port.
            published = ((ingress_class or {}).get("metadata", {}).get("annotations") or {}).get(
                HTTP_PORT_ANNOTATION, "0"
            )
            options["url_port"] = int(published) if published.isdigit() else 0
        elif not options.get("url_port"):
            options["url_port"] = self.service.forwards.book.port_for(
                self.service.target.context, store
            )
        return options

    def _placement(self, engine: Engine, options: dict[str, Any]) -> ControllerPlacement | None:
        # Imported here: only a store served through an ingress controller needs it.
        from storedesk.provisioning.ingress_detect import detect

        """Where the controller serving the store runs, for a chart that takes it (so its
        network policy admits that controller and nothing else); None when not asked or
        not to be read (the chart then keeps its default)."""
        if not engine.ingress_placement or options.get("access") == "port-forward":
            return None
        try:
            return detect(self.service, str(options.get("ingress_class") or ""))
        except StoredeskError:
            return None

    def _ingress_class(self, options: dict[str, Any]) -> dict[str, Any] | None:
        """The IngressClass the store names, or the cluster's default one, if any."""
        try:
            classes, _ = self.service.kube.list(INGRESS_CLASSES)
        except Forbidden:
            return {}  # not ours to see: assume the class the user set up exists
        wanted = options.get("ingress_class")
        for ingress_class in classes:
            meta = ingress_class["metadata"]
            default = (meta.get("annotations") or {}).get(DEFAULT_CLASS_ANNOTATION) == "true"
            if meta["name"] == wanted or (not wanted and default):
                return dict(ingress_class)
        return None

    def _check_host_free(self, engine: Engine, store: str, options: dict[str, object]) -> None:
        """Refuse a host an Ingress outside the store already serves: the ingress
        controller would send the store's shoppers to whichever it picks."""
        host = urlsplit(engine.store_url(store, options)).hostname
        try:
            ingresses, _ = self.service.kube.list(INGRESSES)
        except Forbidden:
            return  # not ours to see: the controller's own admission may still refuse it
        for ingress in ingresses:
            meta = ingress["metadata"]
            if meta.get("namespace") == store_namespace(store):
                continue
            hosts = {rule.get("host") for rule in ingress.get("spec", {}).get("rules") or ()}
            if host in hosts:
                raise NameTaken(
                    f"host {host} is already served by ingress {meta['name']} in namespace "
                    f"{meta.get('namespace')}",
                    hint="choose another domain or store name",
                )

    def _save_credentials(
        self, op: Operation, found: Found, key: KeyringKey | None, engine: Engine
    ) -> None:
        with op.step("credentials", MESSAGES[found.source]) as step:
            if key is None:
                step.message += (
                    "; not saved in the keyring (as asked): they stay only in the cluster's Secret"
                )
            else:
                self.service.store_credentials.save(key, found, engine)
                if not found.in_keyring:
                    step.message += (
                        f"; saved in the keyring ({self.service.keyring.backend_name()})"
                    )

    def _create_namespace(
        self, ns_name: str, store: str, engine: str, options: dict[str, object], lease: Lease
    ) -> None:
        try:
            self._post_namespace(ns_name, store, engine, options, lease)
        except Conflict:
            # Another machine created the store between our look and now: its namespace
            # is born with its lease, so this is a busy store, not a failure.
            rival = self.service.kube.get(NAMESPACES, ns_name)
            if rival is not None and convert.is_managed(rival):
                lease.acquire(rival)  # raises StoreBusy naming the holder
            raise StoreBusy(
                f"store '{store}' was created elsewhere at the same moment",
                hint="wait for that operation to finish, then retry",
            ) from None

    def _post_namespace(
        self, ns_name: str, store: str, engine: str, options: dict[str, object], lease: Lease
    ) -> None:
        self.service.kube.create(
            NAMESPACES,
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {
                    "name": ns_name,
                    "labels": {
                        MANAGED_BY_LABEL: MANAGED_BY_VALUE,
                        STORE_LABEL: store,
                        ENGINE_LABEL: engine,
                    },
                    "annotations": {
                        VERSION_ANNOTATION: __version__,
                        CREATED_ANNOTATION: datetime.now(UTC).isoformat(timespec="seconds"),
                        OPTIONS_ANNOTATION: json.dumps(options, sort_keys=True),
                        # Born locked: nobody can start on this store until we are done.
                        LEASE_ANNOTATION: lease.annotation(),
                    },
                },
            },
        )

    def _recover(self, op: Operation, name: str, namespace: str, timeout: float) -> bool:
        """Repair a release an interrupted helm left pending; True if one is deployed."""
        current = self.service.helm.status(name, namespace)
        if current is None or current.status in ("deployed", "failed", "superseded"):
            return current is not None and current.status == "deployed"
        with op.step("recover", f"release was {current.status}") as step:
            if current.status == "pending-install":
                self.service.helm.uninstall(name, namespace, wait=True, timeout=timeout)
                step.message = "removed the release helm left pending-install; installing again"
                return False
            if current.status in ("pending-upgrade", "pending-rollback"):
                target = last_deployed(self.service.helm.history(name, namespace), current.revision)
                if target is None:
                    self.service.helm.uninstall(name, namespace, wait=True, timeout=timeout)
                    step.message = (
                        f"no deployed revision to return to; removed the {current.status} release"
                    )
                    return False
                self.service.helm.rollback(name, namespace, target, wait=False, timeout=timeout)
                step.message = f"rolled the {current.status} release back to revision {target}"
                return True
        return False

    def _with_last_events(self, error: HelmTimeout, namespace: str) -> HelmTimeout:
        """A helm timeout says little; the latest pod events usually say why (warnings
        first, else what the pods were last doing)."""
        try:
            events, _ = self.service.kube.list(EVENTS, namespace=namespace)
        except StoredeskError:
            return error
        facts = [convert.event_fact(e) for e in events]
        pods = [e for e in facts if e.involved_kind == "Pod"] or facts
        latest = sorted(
            pods,
            key=lambda e: (e.type == "Warning", e.last_seen or datetime.min.replace(tzinfo=UTC)),
        )[-3:]
        if not latest:
            return error
        told = "; ".join(
            f"{e.involved_kind.lower()}/{e.involved_name}: {e.reason}: {e.message}"
            for e in reversed(latest)
        )
        return HelmTimeout(
            f"{error.message}; latest events: {told}", hint=error.hint, next_steps=error.next_steps
        )

    def _wait_for_cluster(self, op: Operation, deadline: float) -> None:
        op.note("helm", Outcome.INFO, "the cluster stopped answering; waiting for it to come back")
        with op.step("recover", "the cluster answers again") as step:
            while True:
                try:
                    self.service.kube.version()
                    return
                except ClusterUnreachable as e:
                    if time.monotonic() > deadline:
                        step.message = str(e)
                        raise
                time.sleep(1.0)


def last_deployed(history: list[ReleaseInfo], before: int) -> int | None:
    """The newest revision before `before` that was deployed, if any."""
    candidates = [
        r.revision
        for r in history
        if r.revision < before and r.status in ("deployed", "superseded")
    ]
    return max(candidates) if candidates else None
