"""CredentialStore against a real Secret Service (run under scripts/with-keyring.sh), read back
with secret-tool as an independent client, and the ways a keyring can be unavailable."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest
from keyring.backends import fail

from storedesk.cluster.keyring_store import CredentialStore
from storedesk.domain.credentials import KeyringKey
from storedesk.errors import KeyringUnavailable

pytestmark = pytest.mark.keyring

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def context() -> str:
    """A context name no other test uses, shaped like a real (EKS) one."""
    return f"arn:aws:eks:eu-west-1:1:cluster/test-{uuid.uuid4().hex[:8]}"


def key(context: str, store: str, cluster: str | None = "uid-1") -> KeyringKey:
    return KeyringKey(context, store, cluster)


def secret_tool(context: str, store: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["secret-tool", "lookup", "service", "storedesk", "username", key(context, store).username],
        capture_output=True,
        text=True,
        check=False,
    )


def test_stored_value_is_in_the_os_keyring(context: str) -> None:
    store = CredentialStore()
    value = '{"admin_user": "admin", "admin_password": "x7!long-generated"}'
    store.set(key(context, "shop"), value)
    found = secret_tool(context, "shop")
    assert (found.returncode, found.stdout) == (0, value)
    assert store.get(key(context, "shop")) == value


def test_set_replaces(context: str) -> None:
    store = CredentialStore()
    store.set(key(context, "shop"), "first")
    store.set(key(context, "shop"), "second")
    assert store.get(key(context, "shop")) == "second"
    assert secret_tool(context, "shop").stdout == "second"


def test_entries_are_per_context_store_and_cluster(context: str) -> None:
    store = CredentialStore()
    store.set(key(context, "shop"), "a")
    assert store.get(key(context, "other")) is None
    assert store.get(key(context + "-2", "shop")) is None
    # Two clusters both called `kind-kind` never share an entry.
    assert store.get(key(context, "shop", cluster="uid-2")) is None
    assert store.get(key(context, "shop", cluster=None)) is None


def test_delete_removes_and_missing_is_fine(context: str) -> None:
    store = CredentialStore()
    store.set(key(context, "shop"), "value")
    store.delete(key(context, "shop"))
    assert secret_tool(context, "shop").returncode != 0
    assert store.get(key(context, "shop")) is None
    store.delete(key(context, "shop"))  # nothing there: no error


def test_reports_the_backend() -> None:
    assert CredentialStore().backend_name() == "SecretService Keyring"


def test_no_keyring_backend_is_reported_not_bypassed(context: str) -> None:
    store = CredentialStore(backend=fail.Keyring())
    with pytest.raises(KeyringUnavailable) as caught:
        store.set(key(context, "shop"), "top-secret-value")
    message = str(caught.value)
    assert "no OS keyring is available" in message
    assert "gnome-keyring or KWallet" in message and "continue without" in message
    assert "top-secret-value" not in message
    assert caught.value.exit_code == 3


def run_python(code: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess:
    script = textwrap.dedent(code)
    return subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def results(done: subprocess.CompletedProcess) -> list[str]:
    """The script's own lines (daemons started in its session may print too)."""
    return [line[7:] for line in done.stdout.splitlines() if line.startswith("RESULT ")]


# Two attempts: the second shows whether a failed or stuck first call poisons the next.
TRY_SET = """
    import time
    from storedesk.cluster.keyring_store import CredentialStore
    from storedesk.domain.credentials import KeyringKey
    from storedesk.errors import KeyringUnavailable
    store = CredentialStore(timeout={timeout})
    for attempt in (1, 2):
        started = time.monotonic()
        try:
            store.set(KeyringKey("ctx", "shop", "uid"), "top-secret-value")
            print("RESULT stored")
        except KeyringUnavailable as exc:
            print(f"RESULT KeyringUnavailable {{time.monotonic() - started:.1f}}s: {{exc}}")
"""


def test_backend_chosen_by_environment_fails_loudly() -> None:
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    done = run_python(TRY_SET.format(timeout=10), env)
    assert done.returncode == 0, done.stderr
    assert [line.split()[0] for line in results(done)] == ["KeyringUnavailable"] * 2
    assert "top-secret-value" not in done.stdout + done.stderr


def test_no_session_bus_fails_loudly(tmp_path: Path) -> None:
    env = {**os.environ, "DBUS_SESSION_BUS_ADDRESS": f"unix:path={tmp_path}/no-bus"}
    done = run_python(TRY_SET.format(timeout=10), env)
    assert done.returncode == 0, done.stderr
    assert [line.split()[0] for line in results(done)] == ["KeyringUnavailable"] * 2


def start_xvfb() -> tuple[subprocess.Popen, str]:
    read, write = os.pipe()
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-nolisten", "tcp"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as pipe:
        display = pipe.readline().strip()
    assert display, "Xvfb did not start"
    return xvfb, f":{display}"


def test_locked_keyring_with_a_display_times_out(tmp_path: Path) -> None:
    # A fresh session with a display and no unlocked keyring: gnome-keyring asks, through a
    # prompt window nobody answers, to create/unlock one, and keyring's call blocks forever.
    assert shutil.which("Xvfb") and shutil.which("gnome-keyring-daemon"), "make test installs them"
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    xvfb, display = start_xvfb()
    try:
        env = {
            **os.environ,
            "HOME": str(tmp_path),
            "XDG_RUNTIME_DIR": str(runtime),
            "DISPLAY": display,
        }
        env.pop("DBUS_SESSION_BUS_ADDRESS", None)
        script = textwrap.dedent(TRY_SET.format(timeout=3))
        done = subprocess.run(
            ["dbus-run-session", "--", "sh", "-c",
             'gnome-keyring-daemon --start --components=secrets >/dev/null 2>&1; exec "$@"',
             "session", sys.executable, "-c", script],
            env=env, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
    finally:
        xvfb.terminate()
        xvfb.wait(10)
    first, second = results(done)
    assert first.startswith("KeyringUnavailable"), done.stdout + done.stderr
    assert "did not answer within 3s" in first and "unlock" in first
    # The stuck call still holds the keyring: the next one fails without waiting out another
    # timeout (or hanging).
    assert second.startswith("KeyringUnavailable") and "still waiting" in second
    assert float(second.split()[1].rstrip("s:")) < 3
