"""`storedesk create` interrupted while helm installs: no secret file survives the CLI, a
stop signal stops helm too, and the user is told the state the store is left in
(issue 16: F3, F22)."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

from storedesk.cluster.keyring_store import CredentialStore
from storedesk.provisioning.operation import describe_error, error_kind
from tests.integration.cli_process import (
    alive,
    cli_env,
    run_cli,
    start_cli,
    wait_for,
    wait_for_helm,
)
from tests.integration.engine_support import keyring_key, unique_store

pytestmark = pytest.mark.helm

OLD_VALUES_DIRS = "storedesk-helm-*"  # where Storedesk 0.1 put the secret values file


def private_dirs(tmp_path: Path) -> tuple[Path, Path]:
    """A runtime dir and a temp dir of the test's own, to scan afterwards."""
    runtime, temp = tmp_path / "run", tmp_path / "tmp"
    runtime.mkdir(mode=0o700)
    temp.mkdir()
    return runtime, temp


def leftovers(*folders: Path) -> list[Path]:
    return [path for folder in folders for path in folder.glob(OLD_VALUES_DIRS)]


@pytest.mark.parametrize("signame", ["SIGTERM", "SIGHUP", "SIGINT", "SIGKILL"])
def test_a_create_killed_while_helm_runs_leaves_no_secret_behind(
    sim, tmp_path: Path, signame: str
) -> None:
    name = unique_store()
    runtime, temp = private_dirs(tmp_path)
    env = cli_env(tmp_path / "data", XDG_RUNTIME_DIR=str(runtime), TMPDIR=str(temp))
    sim.faults.latency = 0.1  # helm takes a few seconds: long enough to be interrupted
    cli = start_cli(sim, env, "create", name, "--no-keyring")
    helm = wait_for_helm(cli.pid, "upgrade")
    try:
        time.sleep(1)  # helm is installing now
        os.kill(cli.pid, getattr(signal, signame))
        _, err = cli.communicate(timeout=120)
        assert leftovers(runtime, temp) == []
        if signame == "SIGKILL":  # nothing can run in a killed process: helm goes on alone
            return
        assert cli.returncode == 128 + getattr(signal, signame)
        assert not alive(helm), "helm outlived the CLI"
        assert f"storedesk: interrupted by {signame}; stopped (helm included)" in err
        assert f"storedesk: store '{name}' is now Failed" in err
        assert f"run `storedesk create {name}`" in err
        assert "Traceback" not in err
    finally:
        if alive(helm):
            os.kill(helm, signal.SIGKILL)


@pytest.mark.keyring
def test_an_interrupted_create_is_logged_as_interrupted_and_repairs(sim, tmp_path: Path) -> None:
    name = unique_store()
    env = cli_env(tmp_path / "data")
    sim.faults.latency = 0.1
    try:
        cli = start_cli(sim, env, "create", name)
        wait_for_helm(cli.pid, "upgrade")
        time.sleep(1)
        os.kill(cli.pid, signal.SIGINT)  # what Ctrl+C sends
        cli.communicate(timeout=120)
        assert cli.returncode == 130
        events = json.loads(run_cli(sim, env, "events", name, "-o", "json").stdout)
        ends = [e for e in events if e["step"] == "operation" and e["outcome"] == "failed"]
        assert [(e["message"], e["error_kind"]) for e in ends] == [
            ("interrupted by SIGINT; stopped", "interrupted")
        ]
        assert not [e for e in events if "KeyboardInterrupt" in e["message"]]
        sim.faults.latency = 0
        again = run_cli(sim, env, "create", name, "--wait")
        assert again.returncode == 0, again.stderr
        assert f"store {name}: Ready" in again.stdout
    finally:
        CredentialStore().delete(keyring_key(sim, name))


def test_helm_killed_by_someone_else_says_by_what_and_the_state_left(sim, tmp_path: Path) -> None:
    name = unique_store()
    env = cli_env(tmp_path / "data")
    sim.faults.latency = 0.1
    cli = start_cli(sim, env, "create", name, "--no-keyring")
    helm = wait_for_helm(cli.pid, "upgrade")
    wait_for(lambda: _pending(sim, env, name), what="a pending-install release")
    os.kill(helm, signal.SIGKILL)  # not the CLI: helm alone, as the OOM killer would
    _, err = cli.communicate(timeout=120)
    assert cli.returncode == 1
    assert f"helm upgrade of '{name}' was killed by signal 9 (SIGKILL), not by Storedesk" in err
    assert f"release '{name}' is now pending-install (revision 1)" in err
    assert "run the same Storedesk command again" in err
    assert "helm exited with an error" not in err


def _pending(sim, env: dict[str, str], name: str) -> bool:
    shown = run_cli(sim, env, "history", name, "-o", "json")
    return shown.returncode == 0 and "pending-install" in shown.stdout


def test_a_ctrl_c_outside_the_cli_is_described_as_an_interruption() -> None:
    # The window and library callers get a plain KeyboardInterrupt, with no signal name.
    assert describe_error(KeyboardInterrupt()) == "interrupted (Ctrl+C); stopped"
    assert error_kind(KeyboardInterrupt()) == "interrupted"


def test_values_folders_an_older_version_left_are_removed_at_start(sim, tmp_path: Path) -> None:
    runtime, temp = private_dirs(tmp_path)
    for parent in (runtime, temp):
        old = parent / "storedesk-helm-k2j4x9ab"
        old.mkdir(mode=0o700)
        (old / "values.json").write_text('{"auth": {"adminPassword": "left-behind"}}')
        os.utime(old, (time.time() - 600, time.time() - 600))  # its CLI died long ago
    env = cli_env(tmp_path / "data", XDG_RUNTIME_DIR=str(runtime), TMPDIR=str(temp))
    shown = run_cli(sim, env, "history", unique_store())  # any command that runs helm
    assert shown.returncode == 1, shown.stderr
    assert leftovers(runtime, temp) == []
