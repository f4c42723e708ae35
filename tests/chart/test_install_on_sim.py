"""The chart installed with real helm 3 and 4 on the simulator, the way Storedesk installs it."""

from __future__ import annotations

import json
import stat
import time

import pytest

from tests.chart.chartkit import CHART, NAMESPACE, PLAIN_VALUES, SECRET_VALUES, STORE, values_file
from tests.support import HelmBinary, run_tool

pytestmark = pytest.mark.helm
STORE_SELECTOR = f"storedesk.io/store={STORE}"
KINDS = (
    "deployments,replicasets,pods,jobs,cronjobs,services,ingresses,secrets,configmaps,"
    "persistentvolumeclaims,serviceaccounts,networkpolicies,resourcequotas,limitranges"
)


def wait_flags(helm: HelmBinary) -> list[str]:
    """helm 4's --wait takes a strategy; helm 3's is a plain flag."""
    return ["--wait=watcher"] if helm.major == "4" else ["--wait"]


def get(helm: HelmBinary, sim, *args: str) -> list[dict]:
    return json.loads(run_tool(helm.kubectl, sim, "get", *args, "-o", "json").stdout)["items"]


def left_behind(helm: HelmBinary, sim, within: float) -> str:
    """Names of the store's objects still there after `within` seconds (empty: none)."""
    deadline = time.monotonic() + within
    while True:
        names = run_tool(
            helm.kubectl, sim, "get", KINDS, "--all-namespaces", "-l", STORE_SELECTOR, "-o", "name"
        ).stdout.strip()
        if not names or time.monotonic() >= deadline:
            return names
        time.sleep(0.5)


def test_install_reaches_deployed_with_every_pod_ready_then_uninstall_leaves_nothing(
    helm, sim, tmp_path
):
    # The cron Job is installed, but scheduled on a day that never comes (February 30th):
    # a run starting mid-test would be one more pod and Job in the counts below.
    never = {"cron": {"schedule": "0 0 30 2 *"}}
    values = values_file(tmp_path, {**PLAIN_VALUES, **SECRET_VALUES, **never})
    assert stat.S_IMODE(values.stat().st_mode) == 0o600

    run_tool(
        helm.path, sim, "upgrade", "--install", STORE, str(CHART), "--namespace", NAMESPACE,
        "--create-namespace", *wait_flags(helm), "--timeout", "2m", "--values", str(values),
    )  # fmt: skip

    status = json.loads(
        run_tool(helm.path, sim, "status", STORE, "-n", NAMESPACE, "-o", "json").stdout
    )
    assert status["info"]["status"] == "deployed"
    # The setup Job ran as a post-install hook and completed (helm deletes it on success).
    [setup] = [h for h in status["hooks"] if h["kind"] == "Job"]
    assert setup["name"] == f"{STORE}-setup"
    assert setup["last_run"]["phase"] == "Succeeded"
    assert get(helm, sim, "jobs", "-n", NAMESPACE) == []
    # WP-Cron's CronJob, and the PHP/Apache settings the pods mount.
    [cron] = get(helm, sim, "cronjobs", "-n", NAMESPACE)
    assert cron["metadata"]["name"] == f"{STORE}-cron"
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"
    configmaps = {c["metadata"]["name"] for c in get(helm, sim, "configmaps", "-n", NAMESPACE)}
    assert f"{STORE}-php" in configmaps

    # One selector finds the store's pods across the cluster, and every one is Ready.
    pods = get(helm, sim, "pods", "--all-namespaces", "-l", "storedesk.io/engine=woocommerce")
    running = [p for p in pods if p["status"].get("phase") == "Running"]
    components = sorted(p["metadata"]["labels"]["app.kubernetes.io/component"] for p in running)
    assert components == ["database", "wordpress"]
    for pod in running:
        ready = {c["type"]: c["status"] for c in pod["status"]["conditions"]}
        assert ready["Ready"] == "True", pod["metadata"]["name"]
    [quota] = get(helm, sim, "resourcequotas", "-n", NAMESPACE)
    assert quota["status"]["used"]["pods"] == "2"

    run_tool(helm.path, sim, "uninstall", STORE, "-n", NAMESPACE, "--wait")

    # Pods go after their ReplicaSets, through the garbage collector and their grace period.
    assert left_behind(helm, sim, within=60) == ""
    secrets = run_tool(helm.kubectl, sim, "get", "secrets", "-n", NAMESPACE, "-o", "name")
    assert "sh.helm.release" not in secrets.stdout


def test_install_without_a_password_fails_before_creating_anything(helm, sim, tmp_path):
    auth = {k: v for k, v in SECRET_VALUES["auth"].items() if k != "databasePassword"}
    values = values_file(tmp_path, {**PLAIN_VALUES, "auth": auth})

    result = run_tool(
        helm.path, sim, "upgrade", "--install", STORE, str(CHART), "--namespace", NAMESPACE,
        "--create-namespace", *wait_flags(helm), "--timeout", "2m", "--values", str(values),
        check=False,
    )  # fmt: skip

    assert result.returncode == 1
    assert "auth.databasePassword is required" in result.stderr
    assert left_behind(helm, sim, within=0) == ""
    releases = run_tool(helm.kubectl, sim, "get", "secrets", "--all-namespaces", "-o", "name")
    assert "sh.helm.release" not in releases.stdout
