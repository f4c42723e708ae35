"""A store's credentials across the keyring and the cluster: find, check, save, recover, forget.

The database of a store knows exactly one set of passwords: the one it was first installed
with, which the store's Secret on the cluster carries. So the cluster is the truth. The
keyring is this machine's copy, bound to the cluster by its identity (KeyringKey), and is
only trusted when the Secret confirms it or the Secret is gone. Passwords are never
generated for a store whose database already exists.
"""

from __future__ import annotations

import contextlib
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from storedesk.cluster.kube import NAMESPACES, SECRETS
from storedesk.domain.credentials import Credentials, KeyringKey
from storedesk.domain.engines import Engine
from storedesk.domain.models import store_namespace
from storedesk.errors import (
    Forbidden,
    InvalidInput,
    KeyringUnavailable,
    NextStep,
    OperationFailed,
    StoreNotFound,
)

if TYPE_CHECKING:
    from storedesk.provisioning.service import StoreService

# Namespaces every cluster has, made with the cluster: their uid tells clusters apart.
_IDENTITY_NAMESPACES = ("kube-system", "default")


class Source(enum.StrEnum):
    """Where a create took a store's passwords from."""

    KEYRING = "keyring"  # the keyring's copy, confirmed by the Secret (or the Secret is gone)
    CLUSTER = "cluster"  # the Secret; the keyring had no copy for this cluster
    CLUSTER_OVER_KEYRING = "cluster-over-keyring"  # the keyring's copy differed: cluster won
    GENERATED = "generated"  # a new store: no database yet


MESSAGES = {
    Source.KEYRING: "reused the passwords kept in the keyring",
    Source.CLUSTER: "reused the passwords from the store's Secret in the cluster (the keyring "
    "had none for this cluster)",
    Source.CLUSTER_OVER_KEYRING: "used the passwords from the store's Secret in the cluster: "
    "the keyring's copy for this store differed or was unreadable, and the database knows "
    "the cluster's",
    Source.GENERATED: "generated new passwords",
}


class CredentialsLost(InvalidInput):
    """A store's database exists but neither the keyring nor the cluster has its passwords."""


@dataclass(frozen=True)
class Found:
    """The credentials a create will use, and where they came from."""

    credentials: Credentials
    source: Source
    in_keyring: bool = False  # this cluster's keyring entry already holds exactly these


class StoreCredentials:
    """The credentials of the stores on one cluster."""

    def __init__(self, service: StoreService) -> None:
        self.service = service

    # -- where they live ------------------------------------------------------------------

    def key(self, store: str) -> KeyringKey:
        """The keyring entry of `store` on this cluster (one GET: the cluster's identity)."""
        return KeyringKey(self.service.target.context, store, self.cluster_id())

    def cluster_id(self) -> str:
        """The uid of a namespace every cluster makes at birth: a recreated cluster, or
        another cluster with the same context name, has another."""
        for name in _IDENTITY_NAMESPACES:
            try:
                namespace = self.service.kube.get(NAMESPACES, name)
            except Forbidden:
                continue
            uid = (namespace or {}).get("metadata", {}).get("uid")
            if uid:
                return str(uid)
        raise OperationFailed(
            "cannot tell which cluster this is: Storedesk reads the uid of the kube-system "
            "(or default) namespace to keep each cluster's passwords apart",
            hint="allow this user to get the kube-system namespace",
        )

    def in_cluster(self, store: str, engine: Engine) -> Credentials | None:
        """The store's Secret on the cluster, or None when it is gone."""
        secret = self.service.kube.get(
            SECRETS, engine.credentials_secret(store), store_namespace(store)
        )
        if secret is None or not secret.get("data"):
            return None
        return engine.credentials_from_secret(secret["data"])

    def in_keyring(self, key: KeyringKey, engine: Engine) -> Credentials | None:
        """This machine's copy, or None; a damaged entry is named, with the way out."""
        stored = self.service.keyring.get(key)
        if not stored:
            return None
        source = f"the keyring entry 'storedesk / {key.username}'"
        try:
            return engine.credentials_from_json(stored, source)
        except InvalidInput as e:
            raise InvalidInput(
                e.message,
                hint="recover the passwords from the cluster, which rewrites it, or delete "
                "the entry in your passwords app",
                next_steps=(NextStep.RECOVER_CREDENTIALS,),
            ) from None

    # -- create -----------------------------------------------------------------------------

    def for_create(
        self,
        store: str,
        engine: Engine,
        *,
        exists: bool,
        options: Mapping[str, object],
        use_keyring: bool,
    ) -> tuple[Found, KeyringKey | None]:
        """The passwords a create uses, decided before anything changes; the keyring key is
        None with use_keyring=False."""
        truth = self.in_cluster(store, engine) if exists else None
        key = self.key(store) if use_keyring else None
        kept: Credentials | None = None
        legacy: Credentials | None = None
        damaged: InvalidInput | None = None
        if key is not None:
            try:
                kept = self._read_for_create(key, engine)
            except InvalidInput as e:
                damaged = e
            if kept is None and truth is not None:
                legacy = self._legacy(key, engine)
        if truth is not None:
            if kept == truth:
                return Found(truth, Source.KEYRING, in_keyring=True), key
            if legacy == truth:
                return Found(truth, Source.KEYRING), key
            if kept is None and legacy is None and damaged is None:
                return Found(truth, Source.CLUSTER), key
            return Found(truth, Source.CLUSTER_OVER_KEYRING), key
        if damaged is not None:
            raise damaged
        if kept is not None:
            # The Secret is gone, and this cluster's own entry is all that is left. (An
            # entry of Storedesk 0.1 may be another cluster's: it is never used unconfirmed.)
            return Found(kept, Source.KEYRING, in_keyring=True), key
        if exists and self.service.helm.status(store, store_namespace(store)):
            raise CredentialsLost(
                f"store '{store}' has a database, but its passwords are in neither the keyring "
                "nor its Secret on the cluster; Storedesk never gives an existing database "
                "new passwords",
                hint="recover them from the store's helm release, or delete the store",
                next_steps=(NextStep.RECOVER_CREDENTIALS, NextStep.DELETE),
            )
        return Found(engine.generate_credentials(store, options), Source.GENERATED), key

    def _read_for_create(self, key: KeyringKey, engine: Engine) -> Credentials | None:
        try:
            return self.in_keyring(key, engine)
        except KeyringUnavailable as e:  # before anything changes: the user chooses
            raise KeyringUnavailable(
                e.message,
                hint="unlock or start your keyring and retry, or go on without it (the "
                "passwords then stay only in the store's Secret on the cluster)",
                next_steps=(NextStep.RETRY_CREATE, NextStep.WITHOUT_KEYRING),
            ) from None

    def save(self, key: KeyringKey, found: Found, engine: Engine) -> None:
        """Keep what a create used, for this cluster; a confirmed entry of Storedesk 0.1
        moves to the cluster-bound name."""
        if not found.in_keyring:
            self.service.keyring.set(key, found.credentials.to_json())
        self.adopt_legacy(key, found.credentials, engine)

    # -- queries ----------------------------------------------------------------------------

    def current(self, store: str, engine: Engine) -> Credentials:
        """What the store's database knows: the Secret; else this machine's copy."""
        truth = self.in_cluster(store, engine)
        try:
            key = self.key(store)
            kept = self.in_keyring(key, engine)
        except (KeyringUnavailable, InvalidInput):
            if truth is None:
                raise
            return truth  # the cluster's own copy answers; the keyring is not needed
        if truth is not None:
            self.adopt_legacy(key, truth, engine)
            return truth
        if kept is None:
            raise StoreNotFound(
                f"no credentials for store '{store}' on context '{self.service.target.context}'",
                hint="see which stores there are, or recover a store's passwords from its release",
                next_steps=(NextStep.LIST_STORES, NextStep.RECOVER_CREDENTIALS),
            )
        return kept

    def recover(self, store: str, engine: Engine) -> tuple[Credentials, str]:
        """Read the passwords back from the Secret or the helm release and save them in the
        keyring for this cluster; returns them and where they were found."""
        credentials, where = self.in_cluster(store, engine), "the store's Secret"
        if credentials is None:
            values = self.service.helm.get_values(store, store_namespace(store))
            if values is None:
                raise OperationFailed(
                    f"store '{store}' has no helm release to recover its passwords from",
                    hint="delete the store and create it again",
                )
            credentials, where = engine.credentials_from_values(values), "the helm release"
        key = self.key(store)
        self.service.keyring.set(key, credentials.to_json())
        self.adopt_legacy(key, credentials, engine)
        return credentials, where

    # -- clean-up ---------------------------------------------------------------------------

    def _legacy(self, key: KeyringKey, engine: Engine) -> Credentials | None:
        """The store's entry as Storedesk 0.1 named it (any cluster's), if readable."""
        try:
            stored = self.service.keyring.get(key.legacy())
            return engine.credentials_from_json(stored, "the keyring entry") if stored else None
        except (KeyringUnavailable, InvalidInput):
            return None  # it only ever confirms; the cluster-bound entry is what counts

    def adopt_legacy(self, key: KeyringKey, truth: Credentials, engine: Engine) -> None:
        """Migrate an entry of Storedesk 0.1 (no cluster in its name) that this cluster
        confirms is this store's to `key`. One that differs may be another cluster's and is
        left alone."""
        if self._legacy(key, engine) != truth:
            return
        with contextlib.suppress(KeyringUnavailable):
            if self.service.keyring.get(key) is None:
                self.service.keyring.set(key, truth.to_json())
            self.service.keyring.delete(key.legacy())

    def forget(self, key: KeyringKey) -> None:
        """Remove this cluster's entry of the store (another cluster's is never touched)."""
        self.service.keyring.delete(key)
