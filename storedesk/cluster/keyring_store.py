"""Store credentials in the OS keyring: service "storedesk", username from a KeyringKey
("<context>/<store> (cluster <uid>)").

Every keyring call runs in a daemon thread with a timeout: a locked keyring on a desktop
blocks forever on an unlock prompt nobody may see. Failures become KeyringUnavailable
saying what to do; nothing here ever falls back to a plaintext file.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

import keyring
from keyring.backend import KeyringBackend
from keyring.errors import InitError, KeyringLocked, NoKeyringError, PasswordDeleteError

from storedesk.domain.credentials import KeyringKey
from storedesk.errors import KeyringUnavailable

DEFAULT_TIMEOUT = 10.0  # seconds
_T = TypeVar("_T")
_WITHOUT = "or choose to continue without keeping credentials in the keyring"
_INSTALL_HINT = (
    "install and start a Secret Service keyring (gnome-keyring or KWallet) and log in to "
    f"your desktop session, {_WITHOUT}"
)
_UNLOCK_HINT = (
    f"unlock your keyring (your desktop's keyring or passwords app), then retry, {_WITHOUT}"
)

# A call that never returned (an unanswered unlock prompt) holds the keyring: later
# calls would queue behind it and hang too, so they fail at once while it lasts.
_stuck: threading.Thread | None = None
_stuck_lock = threading.Lock()
# One request at a time: secretstorage over D-Bus answered concurrent requests from many
# threads with spurious "Item does not exist" errors (seen with 20 stores created at once).
_backend_lock = threading.Lock()


def _translate(exc: BaseException, action: str, secret: str | None) -> KeyringUnavailable:
    if isinstance(exc, NoKeyringError):
        return KeyringUnavailable(
            f"no OS keyring is available to {action} store credentials", hint=_INSTALL_HINT
        )
    if isinstance(exc, InitError | KeyringLocked):
        return KeyringUnavailable(
            f"the OS keyring is locked or could not be opened to {action} store credentials",
            hint=_UNLOCK_HINT,
        )
    detail = str(exc).replace(secret, "***") if secret else str(exc)
    return KeyringUnavailable(
        f"the OS keyring failed to {action} store credentials: {type(exc).__name__}: {detail}",
        hint=_UNLOCK_HINT,
    )


class CredentialStore:
    """Per-store secrets (one string each, e.g. JSON) in the OS keyring."""

    def __init__(
        self,
        service: str = "storedesk",
        *,
        timeout: float = DEFAULT_TIMEOUT,
        backend: KeyringBackend | None = None,
    ) -> None:
        self.service = service
        self.timeout = timeout
        self._backend = backend  # None: whatever `keyring` selects (PYTHON_KEYRING_BACKEND, ...)

    def get(self, key: KeyringKey) -> str | None:
        """The stored value, or None when there is none."""
        return self._call("read", lambda ring: ring.get_password(self.service, key.username))

    def set(self, key: KeyringKey, value: str) -> None:
        """Store (or replace) the value."""
        self._call("save", lambda ring: ring.set_password(self.service, key.username, value), value)

    def delete(self, key: KeyringKey) -> None:
        """Remove the entry; a missing entry is fine."""

        def remove(ring: KeyringBackend) -> None:
            try:
                ring.delete_password(self.service, key.username)
            except PasswordDeleteError:
                # Backends raise this for "no such entry" too: only a real failure counts.
                if ring.get_password(self.service, key.username) is not None:
                    raise

        self._call("delete", remove)

    def backend_name(self) -> str:
        """The active keyring backend, e.g. "SecretService Keyring" (for the GUI)."""
        return self._call("open", lambda ring: str(ring.name))

    def _call(
        self, action: str, work: Callable[[KeyringBackend], _T], secret: str | None = None
    ) -> _T:
        global _stuck
        with _stuck_lock:
            if _stuck is not None and _stuck.is_alive():
                raise KeyringUnavailable(
                    f"the OS keyring is still waiting on an earlier request; cannot {action} "
                    "store credentials",
                    hint=_UNLOCK_HINT,
                )
        box: dict[str, Any] = {}

        def run() -> None:
            try:
                with _backend_lock:
                    box["value"] = work(self._backend or keyring.get_keyring())
            except Exception as exc:  # any backend failure: D-Bus, secretstorage, keyring
                box["error"] = exc

        thread = threading.Thread(target=run, name="storedesk-keyring", daemon=True)
        thread.start()
        thread.join(self.timeout)
        if thread.is_alive():
            with _stuck_lock:
                _stuck = thread
            raise KeyringUnavailable(
                f"the OS keyring did not answer within {self.timeout:g}s; it may be locked "
                "and waiting for an unlock prompt",
                hint=_UNLOCK_HINT,
            )
        if "error" in box:
            # No chaining: the original exception stays out of logs and tracebacks.
            raise _translate(box["error"], action, secret) from None
        return box["value"]
