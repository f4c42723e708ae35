"""Storedesk's own small exception family.

Foreign errors (kubernetes client, helm, keyring, OS) are translated into these once, at
the adapter boundary in `storedesk.cluster`, so the services, CLI and GUI handle one
family. Every message is written for the user, names what to do next where we know it,
and never contains a secret.
"""

from __future__ import annotations

from enum import StrEnum


class NextStep(StrEnum):
    """What the user can do next, which each front offers in its own way: the window as a
    button or menu item, the CLI as the command to run."""

    RETRY_CREATE = "retry-create"  # run create again on the store (it converges)
    RETRY_DELETE = "retry-delete"  # run delete again
    DELETE = "delete"  # delete the store
    RECOVER_CREDENTIALS = "recover-credentials"  # read the passwords back from the release
    WITHOUT_KEYRING = "without-keyring"  # create without keeping passwords in the keyring
    LIST_STORES = "list-stores"  # see which stores there are
    SHOW_STATUS = "show-status"  # look at the store's status and why


class StoredeskError(Exception):
    """Base of every error Storedesk reports to a user."""

    exit_code = 1  # the CLI's exit status for this error

    def __init__(
        self, message: str, *, hint: str | None = None, next_steps: tuple[NextStep, ...] = ()
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint  # what the user can do about it, if we know, in prose
        self.next_steps = next_steps  # the same, as steps a front offers in its own way

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class InvalidInput(StoredeskError):
    """Bad usage or input (a store name, an engine, an option); nothing was changed."""

    exit_code = 2


class NameTaken(InvalidInput):
    """The store's namespace exists but Storedesk does not own it; it is never touched."""


class StoreNotFound(StoredeskError):
    """No store of that name on the selected cluster."""


class Unavailable(StoredeskError):
    """Something Storedesk needs is not there or not answering."""

    exit_code = 3


class DataDirUnavailable(Unavailable):
    """Storedesk's own files on this machine (event logs, locks) cannot be used."""

    @classmethod
    def because(cls, what: str, path: object, error: OSError) -> DataDirUnavailable:
        """The error for `what` at `path` failing with `error`."""
        return cls(
            f"cannot use {what} at {path}: {error.strerror or error}",
            hint="check that the folder is writable and the disk not full "
            "(STOREDESK_DATA_DIR chooses the folder)",
        )


class KubeconfigError(Unavailable):
    """The kubeconfig is missing or invalid, or the context does not exist."""


class ClusterUnreachable(Unavailable):
    """The cluster's API server did not answer."""


class HelmUnavailable(Unavailable):
    """helm is not installed, not runnable, or an unsupported version."""


class KeyringUnavailable(Unavailable):
    """The OS keyring is missing, locked or not answering; we never fall back silently."""


class Forbidden(StoredeskError):
    """The cluster refused an action for lack of permission (RBAC)."""


class OperationFailed(StoredeskError):
    """A cluster or helm operation ran and failed."""


class Cancelled(OperationFailed):
    """The user (or Storedesk, on seeing the store fail) stopped a running operation."""


class HelmFailed(OperationFailed):
    """helm ran and reported an error."""


class HelmTimeout(HelmFailed):
    """helm gave up waiting for the release's resources to become ready."""


class StoreBusy(StoredeskError):
    """Another operation holds the store's lock."""

    exit_code = 4
