"""The Medusa chart installed with real helm 3 and 4 on the simulator (issue 14): every pod
Ready and the setup hook done, `helm test` runs, uninstall leaves nothing; a setup Job
that fails fails the install, naming the Job."""

from __future__ import annotations

import json

import pytest

from tests.chart.chartkit import NAMESPACE, PLAIN_VALUES, STORE, values_file
from tests.chart.medusakit import CHART, SECRET_VALUES
from tests.chart.test_install_on_sim import get, left_behind
from tests.support import HelmBinary, run_tool

pytestmark = pytest.mark.helm
# Only the setup Job runs this image (test_medusa_render checks the tag is unique).
SETUP_IMAGE = "*node:24.19.0-bookworm@*"


def install(helm: HelmBinary, sim, tmp_path, *extra: str, check: bool = True):
    """`helm upgrade --install` as Storedesk runs it: no --wait (helm still waits for the
    setup hook); secret values in a 0600 file."""
    values = values_file(tmp_path, {**PLAIN_VALUES, **SECRET_VALUES})
    return run_tool(
        helm.path, sim, "upgrade", "--install", STORE, str(CHART), "--namespace", NAMESPACE,
        "--create-namespace", "--timeout", "2m", "--values", str(values), *extra,
        check=check,
    )  # fmt: skip


def ready_components(helm: HelmBinary, sim) -> list[str]:
    pods = get(helm, sim, "pods", "--all-namespaces", "-l", "storedesk.io/engine=medusa")
    running = [p for p in pods if p["status"].get("phase") == "Running"]
    for pod in running:
        ready = {c["type"]: c["status"] for c in pod["status"]["conditions"]}
        assert ready["Ready"] == "True", pod["metadata"]["name"]
    return sorted(p["metadata"]["labels"]["app.kubernetes.io/component"] for p in running)


def test_install_upgrade_test_and_uninstall(helm, sim, tmp_path):
    install(helm, sim, tmp_path)

    status = json.loads(
        run_tool(helm.path, sim, "status", STORE, "-n", NAMESPACE, "-o", "json").stdout
    )
    assert status["info"]["status"] == "deployed"
    [setup] = [h for h in status["hooks"] if h["kind"] == "Job"]
    assert setup["name"] == f"{STORE}-setup"
    assert setup["last_run"]["phase"] == "Succeeded"
    assert get(helm, sim, "jobs", "-n", NAMESPACE) == []  # deleted on success

    # The store's pods come up after helm returns (Storedesk follows them itself).
    run_tool(
        helm.kubectl, sim, "wait", "--for=condition=Available", "deployment", "--all",
        "-n", NAMESPACE, "--timeout=60s",
    )  # fmt: skip
    assert ready_components(helm, sim) == ["database", "redis", "server"]
    [quota] = get(helm, sim, "resourcequotas", "-n", NAMESPACE)
    assert quota["status"]["used"]["pods"] == "3"

    # A second run (what `storedesk create` does again) upgrades in place.
    install(helm, sim, tmp_path)
    history = run_tool(helm.path, sim, "history", STORE, "-n", NAMESPACE, "-o", "json")
    assert [r["status"] for r in json.loads(history.stdout)] == ["superseded", "deployed"]

    tested = run_tool(helm.path, sim, "test", STORE, "-n", NAMESPACE, "--timeout", "1m")
    assert f"{STORE}-test-store-api" in tested.stdout

    run_tool(helm.path, sim, "uninstall", STORE, "-n", NAMESPACE, "--wait")
    assert left_behind(helm, sim, within=60) == ""


def test_a_failing_setup_job_fails_the_install_naming_it(helm, sim, tmp_path):
    sim.faults.fail_image(SETUP_IMAGE, "Error")
    result = install(helm, sim, tmp_path, check=False)
    assert result.returncode == 1
    assert f"{STORE}-setup" in result.stderr
    [job] = get(helm, sim, "jobs", "-n", NAMESPACE)  # kept for its logs and the status
    assert any(c["type"] == "Failed" and c["status"] == "True" for c in job["status"]["conditions"])
    status = json.loads(
        run_tool(helm.path, sim, "status", STORE, "-n", NAMESPACE, "-o", "json").stdout
    )
    assert status["info"]["status"] == "failed"

    sim.faults.clear_image_failures()
    install(helm, sim, tmp_path)  # the next run replaces the failed Job and succeeds
    assert get(helm, sim, "jobs", "-n", NAMESPACE) == []
