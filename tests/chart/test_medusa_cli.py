"""A Medusa store's whole life through Storedesk's CLI on the simulator, with helm 3 and 4
(issue 14): create --wait is Ready, a second create rotates nothing, rollback, delete leaves
nothing; a failing image and a failing setup Job each show Failed with the reason."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from storedesk.cluster.keyring_store import CredentialStore
from tests.integration.engine_support import keyring_key, unique_store
from tests.integration.test_cli import storedesk
from tests.support import HelmBinary, run_tool

pytestmark = [pytest.mark.helm, pytest.mark.keyring]
SECRET_FIELDS = {
    "admin_password",
    "publishable_key",
    "database_password",
    "redis_password",
    "jwt_secret",
    "cookie_secret",
}


def cli(sim, helm: HelmBinary, tmp_path: Path):
    def run(*args: str, timeout: float = 180):
        return storedesk(
            sim, *args, data_dir=tmp_path, env={"STOREDESK_HELM": str(helm.path)}, timeout=timeout
        )

    return run


def test_a_medusa_store_lives_its_whole_life_through_the_cli(sim, helm, tmp_path: Path) -> None:
    run = cli(sim, helm, tmp_path)
    name = unique_store("med")

    created = run("create", name, "--engine", "medusa", "--wait")
    assert created.returncode == 0, created.stderr
    # The port, if any, is the simulator's ingress (or a port-forward's): the path is the Admin.
    assert re.search(
        rf"store {name}: Ready at http://{name}\.localhost(:\d+)?/app/$", created.stdout, re.M
    )
    [store] = json.loads(run("list", "-o", "json").stdout)["stores"]
    assert (store["name"], store["engine"], store["status"]) == (name, "medusa", "Ready")
    assert re.fullmatch(rf"http://{name}\.localhost(:\d+)?/app/", store["admin_url"])
    assert (store["pods_ready"], store["pods_total"]) == (3, 3)  # server, database, redis

    shown = json.loads(run("credentials", name, "--reveal", "-o", "json").stdout)
    email = f"admin@{name}.localhost"
    assert (shown["admin_user"], shown["admin_email"]) == (email, email)  # login by email
    assert shown.keys() >= SECRET_FIELDS
    assert all(len(shown[field]) >= 16 for field in SECRET_FIELDS)
    masked = json.loads(run("credentials", name, "-o", "json").stdout)
    assert all(masked[f] == "********" for f in SECRET_FIELDS - {"publishable_key"})
    # The publishable key is public by design (a storefront sends it): shown as it is.
    assert masked["publishable_key"] == shown["publishable_key"]

    again = run("create", name)  # converges: one upgrade, nothing rotated
    assert again.returncode == 0, again.stderr
    assert json.loads(run("credentials", name, "--reveal", "-o", "json").stdout) == shown

    rolled = run("rollback", name, "--wait")
    assert rolled.returncode == 0, rolled.stderr
    history = json.loads(run("history", name, "-o", "json").stdout)
    assert [h["revision"] for h in history] == [1, 2, 3]
    assert history[-1]["chart"] == "medusa-0.1.0"
    assert history[-1]["app_version"] == "2.15.3"
    assert json.loads(run("status", name, "-o", "json").stdout)["status"] == "Ready"
    assert json.loads(run("credentials", name, "--reveal", "-o", "json").stdout) == shown

    deleted = run("delete", name, "--yes", "--wait")
    assert deleted.returncode == 0, deleted.stderr
    assert json.loads(run("list", "-o", "json").stdout)["stores"] == []
    namespaces = run_tool(helm.kubectl, sim, "get", "namespaces", "-o", "name").stdout
    assert f"namespace/store-{name}" not in namespaces
    leftovers = run_tool(
        helm.kubectl, sim, "get", "all,secrets,configmaps,pvc,networkpolicies",
        "--all-namespaces", "-l", f"storedesk.io/store={name}", "-o", "name",
    ).stdout  # fmt: skip
    assert leftovers.strip() == ""
    assert CredentialStore().get(keyring_key(sim, name)) is None


@pytest.mark.parametrize(
    ("pattern", "fault", "reason", "names"),
    [
        # The server's image never arrives.
        (
            "*node:24.19.0-bookworm-slim@*",
            "ImagePullBackOff",
            ("ImagePullBackOff", "ErrImagePull"),
            "server",
        ),
        # The setup Job's container fails (a build that breaks): only its image is this one.
        ("*node:24.19.0-bookworm@*", "Error", ("setup job failed",), "setup"),
    ],
    ids=["server-image", "setup-job"],
)
def test_a_failure_shows_failed_with_the_reason(
    sim, helm, tmp_path: Path, pattern, fault, reason, names
) -> None:
    run = cli(sim, helm, tmp_path)
    name = unique_store("medf")
    sim.faults.fail_image(pattern, fault)

    created = run("create", name, "--engine", "medusa", "--wait", "--timeout", "90")
    assert created.returncode == 1, created.stdout + created.stderr

    status = json.loads(run("status", name, "-o", "json").stdout)
    assert status["status"] == "Failed"
    assert status["reason"] in reason, status
    assert names in status["detail"], status
    assert status["fix"]
    sim.faults.clear_image_failures()
