"""Pods made to fail by name: Job and hook pods otherwise always succeed on the simulator,
so a chosen one can be failed (from Python or `storedesk sim --fail-pod`), and real clients
see what they see on a cluster."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.support import HelmBinary, run_tool

CHARTS = Path(__file__).parent / "charts"
JOB = """
apiVersion: batch/v1
kind: Job
metadata: {{name: {name}}}
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers: [{{name: task, image: busybox:1.36}}]
"""


def test_helm_reports_a_hook_whose_pod_fails_by_name(helm: HelmBinary, sim) -> None:
    sim.faults.fail_pod("*-setup-*", "Error")
    wait = ["--wait=watcher"] if helm.major == "4" else ["--wait"]
    failed = run_tool(
        helm.path,
        sim,
        "install",
        "shop",
        str(CHARTS / "failinghook"),
        "-n",
        "default",
        *wait,
        "--timeout",
        "60s",
        check=False,
    )
    assert failed.returncode == 1
    expected = (
        "failed pre-install: 1 error occurred:\n\t* job shop-setup failed: BackoffLimitExceeded"
        if helm.major == "3"
        else "failed pre-install: resource Job/default/shop-setup not ready. status: Failed, "
        "message: Job Failed. failed: 1/1"
    )
    assert f"Error: INSTALLATION FAILED: {expected}" in failed.stderr
    pods = json.loads(
        run_tool(helm.kubectl, sim, "get", "pods", "-l", "job-name=shop-setup", "-o", "json").stdout
    )["items"]
    terminated = pods[0]["status"]["containerStatuses"][0]["state"]["terminated"]
    assert (pods[0]["status"]["phase"], terminated["reason"], terminated["exitCode"]) == (
        "Failed",
        "Error",
        1,
    )
    # Other pods are untouched: without the fault the same hook succeeds.
    sim.faults.clear_pod_failures()
    run_tool(
        helm.path, sim, "install", "shop2", str(CHARTS / "failinghook"), "-n", "default", *wait
    )


def test_storedesk_sim_fail_pod_flag_fails_a_job_by_name(tmp_path: Path, kubectl: Path) -> None:
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
            "--fail-pod",
            "migrate-*=Error",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert "serving http://" in proc.stdout.readline()

        def kubectl_run(*args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [str(kubectl), "--kubeconfig", str(kubeconfig), *args],
                capture_output=True,
                text=True,
                check=True,
                input=input,
            )

        for name in ("migrate", "backup"):
            kubectl_run("apply", "-f", "-", input=JOB.format(name=name))
        kubectl_run("wait", "--for=condition=Failed", "job/migrate", "--timeout=60s")
        kubectl_run("wait", "--for=condition=Complete", "job/backup", "--timeout=60s")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_storedesk_sim_refuses_a_fail_pod_flag_without_a_reason() -> None:
    refused = subprocess.run(
        [sys.executable, "-m", "storedesk.sim", "--fail-pod", "migrate-*"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert refused.returncode == 2
    assert "--fail-pod" in refused.stderr and "PATTERN=REASON is needed" in refused.stderr
