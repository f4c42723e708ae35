"""What the simulator itself offers: faults, outages, persistence, scale, its command."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from kubernetes import client, config
from kubernetes.client.rest import ApiException
from urllib3.exceptions import MaxRetryError

from storedesk.sim import Simulator
from tests.support import run_tool


def core_api(sim: Simulator) -> client.CoreV1Api:
    """A client bound to this simulator, failing fast when it does not answer."""
    api_client = config.new_client_from_config(config_file=str(sim.kubeconfig), context=sim.context)
    api_client.configuration.retries = 0
    return client.CoreV1Api(api_client)


def test_outage_refuses_then_recovers(sim: Simulator) -> None:
    core = core_api(sim)
    core.list_namespace()
    sim.set_outage("refuse")
    with pytest.raises(MaxRetryError):
        core.list_namespace(_request_timeout=2)
    sim.set_outage("503")
    with pytest.raises(ApiException) as e:
        core.list_namespace(_request_timeout=2)
    assert e.value.status == 503
    sim.set_outage(None)
    assert "default" in [n.metadata.name for n in core.list_namespace().items]


def test_denied_verb_answers_forbidden_like_rbac(sim: Simulator, kubectl: Path) -> None:
    sim.faults.deny("create", "namespaces")
    result = run_tool(kubectl, sim, "create", "namespace", "x", check=False)
    assert result.returncode == 1
    assert (
        'namespaces is forbidden: User "kubernetes-admin" cannot create resource '
        '"namespaces" in API group "" at the cluster scope'
    ) in result.stderr


def test_state_survives_a_restart(tmp_path: Path, kubectl: Path) -> None:
    state = tmp_path / "state.json"
    with Simulator(ready_delay=0.1, state_file=state, kubeconfig=tmp_path / "kc") as first:
        run_tool(kubectl, first, "create", "namespace", "kept")
        run_tool(kubectl, first, "create", "configmap", "c", "-n", "kept", "--from-literal=a=b")
    with Simulator(ready_delay=0.1, state_file=state, kubeconfig=tmp_path / "kc") as second:
        data = run_tool(
            kubectl, second, "get", "configmap", "c", "-n", "kept", "-o", "jsonpath={.data.a}"
        ).stdout
        assert data == "b"


def test_two_hundred_namespaces_list_and_watch_by_label(sim: Simulator) -> None:
    core = core_api(sim)
    for i in range(200):
        core.create_namespace(
            {
                "metadata": {
                    "name": f"store-s{i}",
                    "labels": {"app.kubernetes.io/managed-by": "storedesk"},
                }
            }
        )
        for j in range(3):
            core.create_namespaced_config_map(
                f"store-s{i}",
                {"metadata": {"name": f"c{j}", "labels": {"storedesk.io/store": f"s{i}"}}},
            )
    listed = core.list_config_map_for_all_namespaces(label_selector="storedesk.io/store")
    assert len(listed.items) == 600
    stores = core.list_namespace(label_selector="app.kubernetes.io/managed-by=storedesk")
    assert len(stores.items) == 200


def test_sim_command_writes_a_kubeconfig_and_serves(tmp_path: Path, kubectl: Path) -> None:
    kubeconfig = tmp_path / "config"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "storedesk.sim",
            "--kubeconfig",
            str(kubeconfig),
            "--ready-delay",
            "0.1",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        banner = [proc.stdout.readline() for _ in range(2)]
        assert "serving http://127.0.0.1:" in banner[0]
        server = yaml.safe_load(kubeconfig.read_text())["clusters"][0]["cluster"]["server"]
        assert server in banner[0]
        out = subprocess.run(
            [str(kubectl), "--kubeconfig", str(kubeconfig), "version", "-o", "json"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert json.loads(out)["serverVersion"]["gitVersion"].startswith("v1.35.")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_crash_loop_grows_restart_count(sim: Simulator, kubectl: Path) -> None:
    sim.faults.fail_image("busybox:crash", "CrashLoopBackOff")
    run_tool(kubectl, sim, "run", "crasher", "--image=busybox:crash")
    deadline = time.monotonic() + 30
    restarts, reason = 0, None
    while time.monotonic() < deadline and (restarts < 2 or reason != "CrashLoopBackOff"):
        pod = json.loads(run_tool(kubectl, sim, "get", "pod", "crasher", "-o", "json").stdout)
        statuses = pod["status"].get("containerStatuses") or [{}]
        restarts = statuses[0].get("restartCount", 0)
        reason = statuses[0].get("state", {}).get("waiting", {}).get("reason")
        time.sleep(0.2)
    assert restarts >= 2
    assert reason == "CrashLoopBackOff"
