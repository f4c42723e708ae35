"""`storedesk` when helm or the cluster misbehave under it: a helm leaving a child behind,
helm printing bytes that are not UTF-8, the API server answering 503 while helm installs,
the cluster going away while helm uninstalls (issue 16: F5, F10, F17, F18)."""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path

import pytest

from storedesk.cluster.keyring_store import CredentialStore
from tests.integration.cli_process import (
    HELM4,
    cli_env,
    helm_child,
    requests_seen,
    run_cli,
    start_cli,
    wait_for,
    wait_for_helm,
)
from tests.integration.engine_support import keyring_key, unique_store

pytestmark = [pytest.mark.helm, pytest.mark.keyring]


def script(path: Path, body: str) -> Path:
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return path


def test_a_helm_leaving_a_child_behind_does_not_hang_the_cli(sim, tmp_path: Path) -> None:
    pids = tmp_path / "children"
    wrapper = script(
        tmp_path / "helm", f'sleep 300 &\necho $! >> "{pids}"\nexec "{HELM4.path}" "$@"\n'
    )
    try:
        # Before: `helm version` alone waited for the child (300 s); a hang fails at 60 s.
        env = cli_env(tmp_path / "data", STOREDESK_HELM=str(wrapper))
        shown = run_cli(sim, env, "history", "nope", timeout=60)
    finally:
        for pid in pids.read_text().split() if pids.exists() else ():
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), signal.SIGKILL)
    assert shown.returncode == 1
    assert "store 'nope' has no helm release" in shown.stderr


def test_helm_output_that_is_not_utf8_is_no_traceback(sim, tmp_path: Path) -> None:
    garbled = script(
        tmp_path / "helm",
        "if [ \"$1\" = version ]; then printf 'v4.1.4\\377\\n'; exit 0; fi\n"
        "printf 'Error: garbled \\377\\376 output\\n' >&2\nexit 1\n",
    )
    shown = run_cli(sim, cli_env(tmp_path / "data", STOREDESK_HELM=str(garbled)), "history", "x")
    assert shown.returncode == 1
    assert shown.stderr == "storedesk: helm history of 'x' failed: garbled \ufffd\ufffd output\n"


def test_a_503_while_helm_installs_is_waited_out_like_a_refused_connection(
    sim, tmp_path: Path
) -> None:
    name = unique_store()
    env = cli_env(tmp_path / "data")
    sim.faults.latency = 0.05
    sim.reset_request_counts()
    try:
        cli = start_cli(sim, env, "create", name, "--wait")
        wait_for_helm(cli.pid, "upgrade")
        # helm has begun writing the store's objects: the API server now answers 503.
        wait_for(lambda: writes_to(sim, name), what="helm writing to the store's namespace")
        sim.set_outage("503")
        wait_for(lambda: helm_child(cli.pid, "upgrade") is None, what="helm failing on the 503")
        sim.set_outage(None)
        sim.faults.latency = 0
        out, err = cli.communicate(timeout=180)
        assert cli.returncode == 0, err
        assert "the cluster stopped answering; waiting for it to come back" in err
        assert f"store {name}: Ready" in out
    finally:
        CredentialStore().delete(keyring_key(sim, name))


def writes_to(sim, store: str) -> bool:
    """Something was created, changed or deleted in the store's namespace."""
    return requests_seen(
        sim, lambda r: f"/namespaces/store-{store}/" in r and not r.startswith("GET ")
    )


def deletes_in(sim, store: str) -> bool:
    """Something in the store's namespace was deleted."""
    return requests_seen(
        sim, lambda r: r.startswith("DELETE ") and f"/namespaces/store-{store}/" in r
    )


@pytest.mark.parametrize("outage", ["refuse", "503"])
def test_an_outage_while_helm_uninstalls_names_the_cluster_and_the_next_step(
    sim, tmp_path: Path, outage: str
) -> None:
    name = unique_store()
    env = cli_env(tmp_path / "data")
    try:
        created = run_cli(sim, env, "create", name)
        assert created.returncode == 0, created.stderr
        sim.faults.latency = 0.1  # helm deletes one object every 0.1 s
        sim.reset_request_counts()
        cli = start_cli(sim, env, "delete", name, "--yes", "--wait")
        wait_for_helm(cli.pid, "uninstall")
        wait_for(lambda: deletes_in(sim, name), what="helm deleting the store's objects")
        sim.set_outage(outage)
        _, err = cli.communicate(timeout=120)
        assert cli.returncode == 3, err
        assert f"storedesk: helm uninstall of '{name}' stopped: " in err
        assert (
            "cannot reach the cluster of context 'storedesk-sim'" in err
            if outage == "refuse"
            else "the cluster of context 'storedesk-sim' is not answering" in err
        )
        assert "once it answers, run the same Storedesk command again" in err
        sim.set_outage(None)
        sim.faults.latency = 0
        again = run_cli(sim, env, "delete", name, "--yes", "--wait")
        assert again.returncode == 0, again.stderr  # and the delete then finishes
    finally:
        sim.set_outage(None)
        CredentialStore().delete(keyring_key(sim, name))
