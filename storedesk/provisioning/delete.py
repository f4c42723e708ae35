"""Delete a store: helm uninstall, the namespace, and once it is gone its saved passwords.

The cluster side always goes first. A delete without waiting leaves the keyring entry for
later: `finish` removes it once the namespace is gone (the reconcile step, never a query).
"""

from __future__ import annotations

import contextlib
import threading
import time
from typing import TYPE_CHECKING

from storedesk.cluster import facts as convert
from storedesk.cluster.kube import NAMESPACES
from storedesk.domain.credentials import KeyringKey
from storedesk.domain.models import OperationKind, store_namespace
from storedesk.domain.names import validate_store_name
from storedesk.errors import (
    Cancelled,
    KeyringUnavailable,
    NameTaken,
    NextStep,
    OperationFailed,
    StoredeskError,
    StoreNotFound,
)
from storedesk.provisioning.events import LogEntry, Outcome
from storedesk.provisioning.locks import Lease, local_lock
from storedesk.provisioning.operation import Operation, Progress

if TYPE_CHECKING:
    from storedesk.provisioning.service import StoreService

POLL_EVERY = 0.25  # seconds between looks at a terminating namespace


class Delete:
    """Deletes of the stores on one cluster."""

    def __init__(self, service: StoreService) -> None:
        self.service = service

    def run(
        self,
        name: str,
        *,
        wait: bool = True,
        timeout: float | None = None,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
    ) -> bool:
        """Uninstall, delete the namespace, and (once it is gone) the keyring entry; False
        when the store was being deleted already (without wait there is nothing to start).
        Setting `cancel` stops helm; a namespace already being deleted stays so."""
        timeout = self.service.timeout(given=timeout)
        name = validate_store_name(name)
        ns_name = store_namespace(name)
        # HelmUnavailable before anything changes (the store stays as it is).
        helm = self.service.helm
        with local_lock(
            self.service.settings.data_dir, self.service.target.context, name, OperationKind.DELETE
        ):
            namespace = self.service.kube.get(NAMESPACES, ns_name)
            key = self.service.store_credentials.key(name)
            if namespace is None:
                if self.service.keyring.get(key) is None:
                    raise StoreNotFound(
                        f"no store '{name}' on context '{self.service.target.context}'",
                        hint="see which stores there are",
                        next_steps=(NextStep.LIST_STORES,),
                    )
                with Operation(self.service.log, name, OperationKind.DELETE, progress) as op:
                    self._forget_credentials(op, name, key, "the namespace was already gone")
                return True
            if not convert.is_managed(namespace):
                raise NameTaken(
                    f"namespace {ns_name} is not managed by Storedesk; Storedesk never touches it"
                )
            # An entry of Storedesk 0.1 that this cluster confirms moves to this cluster's
            # name now, so that forgetting the store later removes it too.
            with contextlib.suppress(StoredeskError):
                engine = self.service.engine_of_namespace(namespace)
                truth = self.service.store_credentials.in_cluster(name, engine)
                if truth is not None:
                    self.service.store_credentials.adopt_legacy(key, truth, engine)
            terminating = bool(namespace["metadata"].get("deletionTimestamp"))
            if terminating and not wait:
                return False  # a delete already runs its course: a second one adds nothing
            lease = Lease(self.service.kube, ns_name, OperationKind.DELETE)
            if not terminating:
                lease.acquire(namespace)
            with Operation(self.service.log, name, OperationKind.DELETE, progress) as op:
                try:
                    lease.keep_alive()
                    with op.step("helm", f"helm uninstall {name}") as step:
                        if not helm.uninstall(
                            name, ns_name, wait=True, timeout=timeout, cancel=cancel
                        ):
                            step.message = "no helm release (already uninstalled)"
                    with op.step("namespace", f"deleting namespace {ns_name}"):
                        self.service.kube.delete(NAMESPACES, ns_name)
                finally:
                    lease.release()
                if not wait:
                    op.note(
                        "keyring",
                        Outcome.INFO,
                        "the keyring entry goes once the namespace is "
                        "gone (checked on the next look)",
                    )
                    return True
                self._wait_gone(op, ns_name, timeout, cancel)
                self._forget_credentials(op, name, key, f"namespace {ns_name} is gone")
        return True

    def _wait_gone(
        self, op: Operation, ns_name: str, timeout: float, cancel: threading.Event | None = None
    ) -> None:
        with op.step("wait", f"namespace {ns_name} is gone"):
            deadline = time.monotonic() + timeout
            while (namespace := self.service.kube.get(NAMESPACES, ns_name)) is not None:
                if cancel is not None and cancel.is_set():
                    raise Cancelled(
                        f"stopped waiting; namespace {ns_name} is still "
                        f"terminating and its saved credentials are kept"
                    )
                if time.monotonic() > deadline:
                    fact = convert.namespace_fact(namespace)
                    held = f": {fact.held_by}" if fact and fact.held_by else ""
                    raise OperationFailed(
                        f"namespace {ns_name} is still terminating after {timeout:.0f}s{held}",
                        hint="a finalizer waits for a controller: start it again or remove "
                        "the finalizer, then run the delete again; the saved credentials are "
                        "kept until the namespace is gone"
                        if held
                        else "run the delete again later; the saved credentials are kept "
                        "until the namespace is gone",
                    )
                time.sleep(POLL_EVERY)

    def _forget_credentials(self, op: Operation, name: str, key: KeyringKey, why: str) -> None:
        """Remove this cluster's keyring entry; the store is gone either way, so a keyring
        that does not answer is reported (with how to finish later), not raised. Its
        port-forward stops, and its local port is free for another store."""
        forwards = self.service.forwards
        forwards.stop(name)
        forwards.book.forget(self.service.target.context, name)
        try:
            self.service.store_credentials.forget(key)
        except KeyringUnavailable as e:
            op.note(
                "keyring",
                Outcome.FAILED,
                f"the store is gone, but its saved credentials could "
                f"not be removed: {e}; delete the store again once the keyring answers",
                kind="keyring",
            )
            return
        op.note("keyring", Outcome.OK, f"removed the saved credentials ({why})")

    def finish(self, present: set[str]) -> None:
        """Remove the keyring entries of stores deleted without --wait, now that they are
        gone (the cluster side goes first, always)."""
        for path in (
            self.service.log.folder.glob("*.jsonl") if self.service.log.folder.exists() else ()
        ):
            store = path.stem
            if store in present:
                continue
            if not _keyring_cleanup_pending(self.service.log.read(store, limit=20)):
                continue
            # Under the store's lock (a busy store waits for the next look): a create of
            # the same name may be reusing these very passwords. Best effort: a failure is
            # logged by the operation, not raised here.
            with (
                contextlib.suppress(StoredeskError),
                local_lock(
                    self.service.settings.data_dir,
                    self.service.target.context,
                    store,
                    OperationKind.DELETE,
                ),
            ):
                if _keyring_cleanup_pending(self.service.log.read(store, limit=20)):
                    key = self.service.store_credentials.key(store)
                    with Operation(self.service.log, store, OperationKind.DELETE) as op:
                        self._forget_credentials(op, store, key, "its namespace is gone")


def _keyring_cleanup_pending(entries: list[LogEntry]) -> bool:
    """The last operation on the store was a delete that left its keyring entry for
    later (the namespace was still terminating) and nothing removed it since."""
    steps = [e for e in entries if e.operation != OperationKind.STATUS]  # the monitor's notes aside
    keyring = [e for e in steps if e.step == "keyring"]
    return (
        bool(keyring)
        and keyring[-1].outcome == Outcome.INFO
        and steps[-1].operation == OperationKind.DELETE
    )
