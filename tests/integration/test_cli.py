"""`storedesk` as users run it: messages and exit codes for every error the issue lists."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml

from storedesk.cluster.keyring_store import CredentialStore
from storedesk.cluster.tools import BACKGROUND_NICENESS
from tests.integration.engine_support import WOOCOMMERCE, keyring_key, unique_store
from tests.support import helm_binary, run_tool

pytestmark = [pytest.mark.helm, pytest.mark.keyring]
HELM4 = helm_binary("4")


def storedesk(
    sim,
    *args: str,
    env: dict[str, str] | None = None,
    data_dir: Path,
    kubeconfig: str | None = None,
    timeout: float = 180,
) -> subprocess.CompletedProcess:
    """Run the CLI in a subprocess, as a user would."""
    base = {**os.environ, "STOREDESK_HELM": str(HELM4.path), "STOREDESK_DATA_DIR": str(data_dir)}
    argv = [
        sys.executable,
        "-m",
        "storedesk",
        "--kubeconfig",
        kubeconfig or str(sim.kubeconfig),
        *args,
    ]
    return subprocess.run(
        argv, capture_output=True, text=True, env={**base, **(env or {})}, timeout=timeout
    )


def test_happy_path_json_outputs(sim, tmp_path: Path) -> None:
    name = unique_store()
    created = storedesk(sim, "create", name, "--wait", data_dir=tmp_path)
    assert created.returncode == 0, created.stderr
    # No IngressClass on the simulator: the store opens through Storedesk's port-forward,
    # and is Ready once its storefront answered through it.
    assert f"store {name}: Ready at http://{name}.localhost:" in created.stdout
    listed = json.loads(storedesk(sim, "list", "-o", "json", data_dir=tmp_path).stdout)
    assert listed["context"] == "storedesk-sim"
    assert [(s["name"], s["status"], s["pods_ready"]) for s in listed["stores"]] == [
        (name, "Ready", 2)
    ]
    status = json.loads(storedesk(sim, "status", name, "-o", "json", data_dir=tmp_path).stdout)
    assert set(status) == {
        "name",
        "engine",
        "namespace",
        "status",
        "reason",
        "detail",
        "fix",
        "next_steps",
        "pods_ready",
        "pods_total",
        "url",
        "admin_url",
        "created",
        "release_revision",
        "release_status",
        "access",
        "reachable",
        "links",
    }
    hidden = json.loads(storedesk(sim, "credentials", name, "-o", "json", data_dir=tmp_path).stdout)
    assert hidden["admin_password"] == "********"
    shown = json.loads(
        storedesk(sim, "credentials", name, "--reveal", "-o", "json", data_dir=tmp_path).stdout
    )
    assert (
        shown["admin_password"]
        == WOOCOMMERCE.credentials_from_json(
            CredentialStore().get(keyring_key(sim, name)), "k"
        ).admin_password
    )
    events = json.loads(storedesk(sim, "events", name, "-o", "json", data_dir=tmp_path).stdout)
    assert [e["step"] for e in events][-3:] == ["helm", "wait", "operation"]
    deleted = storedesk(sim, "delete", name, "--yes", "--wait", data_dir=tmp_path)
    assert deleted.returncode == 0, deleted.stderr
    assert CredentialStore().get(keyring_key(sim, name)) is None


def test_invalid_input_changes_nothing(sim, tmp_path: Path) -> None:
    sim.reset_request_counts()
    bad = storedesk(sim, "create", "Shop_1", data_dir=tmp_path)
    assert bad.returncode == 2
    assert "store name 'Shop_1'" in bad.stderr and "lowercase letters" in bad.stderr
    engine = storedesk(sim, "create", "shop", "--engine", "shopify", data_dir=tmp_path)
    assert engine.returncode == 2 and "unknown engine 'shopify'" in engine.stderr
    domain = storedesk(sim, "create", "shop", "--domain", "not a domain", data_dir=tmp_path)
    assert domain.returncode == 2 and "domain" in domain.stderr
    unconfirmed = storedesk(sim, "delete", "shop", data_dir=tmp_path)
    assert unconfirmed.returncode == 2 and "--yes" in unconfirmed.stderr
    assert sim.request_counts() == {}  # nothing reached the cluster


def test_name_taken_by_a_foreign_namespace(sim, tmp_path: Path) -> None:
    run_tool(HELM4.kubectl, sim, "create", "namespace", "store-taken")
    result = storedesk(sim, "create", "taken", data_dir=tmp_path)
    assert result.returncode == 2
    assert "namespace store-taken exists and is not managed by Storedesk" in result.stderr


def test_kubeconfig_and_context_errors(sim, tmp_path: Path) -> None:
    missing = storedesk(sim, "list", data_dir=tmp_path, kubeconfig=str(tmp_path / "nope"))
    assert missing.returncode == 3 and "nope" in missing.stderr
    broken = tmp_path / "broken"
    broken.write_text("clusters: [\n")
    invalid = storedesk(sim, "list", data_dir=tmp_path, kubeconfig=str(broken))
    assert invalid.returncode == 3 and "YAML" in invalid.stderr
    context = storedesk(sim, "--context", "prod", "list", data_dir=tmp_path)
    assert context.returncode == 3
    assert "prod" in context.stderr and "storedesk-sim" in context.stderr


def test_cluster_unreachable(sim, tmp_path: Path) -> None:
    sim.set_outage("refuse")
    result = storedesk(sim, "list", data_dir=tmp_path)
    assert result.returncode == 3
    assert "cannot reach the cluster" in result.stderr and "connection refused" in result.stderr


def test_helm_missing_or_unsupported(sim, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    missing = storedesk(
        sim,
        "create",
        "shop",
        data_dir=tmp_path,
        env={"STOREDESK_HELM": "", "PATH": str(empty), "SHELL": "/bin/false", "HOME": str(empty)},
    )
    assert missing.returncode == 3
    assert "helm" in missing.stderr and "https://helm.sh/docs/intro/install/" in missing.stderr
    old = tmp_path / "helm"
    old.write_text("#!/bin/sh\necho v3.10.0\n")
    old.chmod(0o755)
    unsupported = storedesk(
        sim, "create", "shop", data_dir=tmp_path, env={"STOREDESK_HELM": str(old)}
    )
    assert unsupported.returncode == 3 and "3.10.0" in unsupported.stderr


def test_rbac_forbidden_names_verb_and_resource(sim, tmp_path: Path) -> None:
    sim.faults.deny("create", "namespaces")
    result = storedesk(sim, "create", unique_store(), data_dir=tmp_path)
    assert result.returncode == 1
    assert 'cannot create resource "namespaces"' in result.stderr


def test_keyring_unavailable_is_a_choice_not_a_fallback(sim, tmp_path: Path) -> None:
    name = unique_store()
    result = storedesk(
        sim,
        "create",
        name,
        data_dir=tmp_path,
        env={"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"},
    )
    assert result.returncode == 3
    assert "keyring" in result.stderr and "--no-keyring" in result.stderr
    assert (
        run_tool(HELM4.kubectl, sim, "get", "ns", f"store-{name}", check=False).returncode == 1
    )  # nothing was created
    chosen = storedesk(
        sim,
        "create",
        name,
        "--no-keyring",
        data_dir=tmp_path,
        env={"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"},
    )
    assert chosen.returncode == 0, chosen.stderr
    assert "not saved in the keyring (as asked)" in chosen.stderr


def test_an_unusable_data_dir_exits_3_and_changes_nothing(sim, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    name = unique_store()
    created = storedesk(sim, "create", name, data_dir=blocker / "data")
    assert created.returncode == 3
    assert "cannot use the lock file at" in created.stderr and "Traceback" not in created.stderr
    assert run_tool(HELM4.kubectl, sim, "get", "ns", f"store-{name}", check=False).returncode
    shown = storedesk(sim, "events", name, data_dir=blocker / "data")
    assert shown.returncode == 3
    assert "cannot use the event log at" in shown.stderr


def test_busy_store_exits_4(sim, tmp_path: Path) -> None:
    from storedesk.provisioning.locks import local_lock

    with local_lock(tmp_path, "storedesk-sim", "held", "create"):
        result = storedesk(sim, "create", "held", data_dir=tmp_path)
    assert result.returncode == 4
    assert "store 'held' is busy: create by" in result.stderr


def test_helm_runs_niced_and_no_password_reaches_argv_logs_or_events(sim, tmp_path: Path) -> None:
    name = unique_store()
    known = WOOCOMMERCE.generate_credentials(name, {})
    CredentialStore().set(keyring_key(sim, name), known.to_json())
    secrets = list(known.secrets())
    seen: set[str] = set()  # every process's argv, as often as it can be read
    niceness: set[int] = set()  # of the helm upgrade processes
    done = threading.Event()

    def scan() -> None:
        while not done.is_set():
            for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
                try:
                    text = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
                    stat = (cmdline.parent / "stat").read_text()
                except OSError:
                    continue
                seen.add(text)
                # Only this store's helm: other tests may run helm at the same time.
                if text.split(" ")[0].endswith("/helm") and " upgrade " in text and name in text:
                    niceness.add(int(stat.rsplit(")", 1)[1].split()[16]))
            time.sleep(0.01)

    scanner = threading.Thread(target=scan)
    scanner.start()
    sim.faults.latency = 0.02  # keep helm alive long enough to be seen many times
    result = storedesk(sim, "create", name, "--wait", data_dir=tmp_path)
    done.set()
    scanner.join()
    assert result.returncode == 0, result.stderr
    assert any("upgrade" in s and name in s for s in seen)  # the scan did see helm's argv
    assert not [s for s in seen if any(p in s for p in secrets)]
    # helm works in the background: it yields the CPU to the user's programs.
    assert niceness == {min(19, os.nice(0) + BACKGROUND_NICENESS)}
    logged = (
        result.stdout
        + result.stderr
        + "".join(p.read_text() for p in tmp_path.rglob("*") if p.is_file())
    )
    assert not [p for p in secrets if p in logged]
    CredentialStore().delete(keyring_key(sim, name))


def test_interrupted_create_is_reported_and_repaired(sim, tmp_path: Path) -> None:
    name = unique_store()
    sim.faults.latency = 0.2  # slow enough to kill helm mid-install
    env = {**os.environ, "STOREDESK_HELM": str(HELM4.path), "STOREDESK_DATA_DIR": str(tmp_path)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "storedesk", "--kubeconfig", str(sim.kubeconfig), "create", name],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        labels = run_tool(
            HELM4.kubectl,
            sim,
            "get",
            "secrets",
            "-n",
            f"store-{name}",
            "-l",
            "owner=helm",
            "-o",
            "jsonpath={.items[*].metadata.labels.status}",
            check=False,
        ).stdout
        if "pending-install" in labels:
            break
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGKILL)  # storedesk and its helm die mid-install
    proc.wait()
    sim.faults.latency = 0
    status = json.loads(storedesk(sim, "status", name, "-o", "json", data_dir=tmp_path).stdout)
    assert (status["status"], status["reason"]) == ("Failed", "stuck in pending-install")
    assert status["next_steps"] == ["retry-create", "delete"]
    shown = storedesk(sim, "events", name, "-o", "json", data_dir=tmp_path)
    assert shown.returncode == 0, shown.stderr
    steps = [(e["operation"], e["step"], e["outcome"]) for e in json.loads(shown.stdout)]
    assert ("create", "credentials", "ok") in steps  # the log shows how far it got
    ends = [s for s in steps if s[1] == "operation" and s[2] != "started"]
    assert ends == []  # and that it never finished
    repaired = storedesk(sim, "create", name, "--wait", data_dir=tmp_path)
    assert repaired.returncode == 0, repaired.stderr
    assert "removed the release helm left pending-install" in repaired.stderr
    CredentialStore().delete(keyring_key(sim, name))


def test_list_costs_the_same_api_calls_for_one_or_three_stores(sim, tmp_path: Path) -> None:
    from tests.integration.engine_support import service_for

    service = service_for(sim, HELM4, tmp_path)
    names = [unique_store() for _ in range(3)]

    def listing_and_probes() -> tuple[int, int]:
        """(requests that list, port-forwards that probe a storefront), as a new
        `storedesk list` sees them (nothing probed yet in its process)."""
        sim.reset_request_counts()
        service_for(sim, HELM4, tmp_path).list_stores()
        counts = sim.request_counts()
        probes = sum(n for key, n in counts.items() if key.endswith("/portforward"))
        return sum(counts.values()) - probes, probes

    service.create(names[0], use_keyring=False)
    one = listing_and_probes()
    for name in names[1:]:
        service.create(name, use_keyring=False)
    # Listing costs the same for one store or three; each Ready store's storefront is
    # asked once, through its port-forward (the path a shopper takes), and nothing else.
    assert one == (5, 1)
    assert listing_and_probes() == (5, 3)


def test_contexts_lists_the_kubeconfig(sim, tmp_path: Path) -> None:
    config = yaml.safe_load(Path(sim.kubeconfig).read_text())
    config["contexts"].append(
        {"name": "other", "context": {"cluster": "storedesk-sim", "user": "storedesk-sim"}}
    )
    path = tmp_path / "kc"
    path.write_text(yaml.safe_dump(config))
    out = json.loads(
        storedesk(sim, "contexts", "-o", "json", data_dir=tmp_path, kubeconfig=str(path)).stdout
    )
    assert sorted((c["name"], c["current"]) for c in out) == [
        ("other", False),
        ("storedesk-sim", True),
    ]


def test_history_and_rollback(sim, tmp_path: Path) -> None:
    name = unique_store()
    assert storedesk(sim, "create", name, "--no-keyring", data_dir=tmp_path).returncode == 0
    assert storedesk(sim, "create", name, "--no-keyring", data_dir=tmp_path).returncode == 0
    history = json.loads(storedesk(sim, "history", name, "-o", "json", data_dir=tmp_path).stdout)
    assert [(h["revision"], h["status"]) for h in history] == [(1, "superseded"), (2, "deployed")]
    rolled = storedesk(sim, "rollback", name, "--wait", data_dir=tmp_path)
    assert rolled.returncode == 0, rolled.stderr
    assert f"store {name}: revision 3, Ready" in rolled.stdout
    assert "rolled back from revision 2 to 1" in rolled.stderr
    nowhere = storedesk(sim, "rollback", name, "9", data_dir=tmp_path)
    assert nowhere.returncode == 2 and "no revision 9" in nowhere.stderr
