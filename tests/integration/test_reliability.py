"""Issue 16's service-level cases through the CLI: a retry fails as fast as the first try
(F7), a refused delete leaves the store as it was (F16), a lost race is busy (F21), and
messages that name the cause (F23)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from storedesk.cluster.kube import NAMESPACES, KubeClient
from storedesk.errors import StoreBusy
from storedesk.provisioning.locks import Lease
from tests.integration.engine_support import service_for, unique_store
from tests.integration.test_cli import HELM4, storedesk
from tests.support import run_tool

pytestmark = [pytest.mark.helm, pytest.mark.keyring]


def hold(sim, ns: str) -> None:
    """Keep namespace `ns` terminating: an object in it carries a finalizer nobody removes."""
    held = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "held", "namespace": ns, "finalizers": ["example.com/hold"]},
    }
    run_tool(HELM4.kubectl, sim, "apply", "-f", "-", input=json.dumps(held))


def release(sim, ns: str) -> None:
    """Let namespace `ns` go: the finalizer is removed."""
    patch = '{"metadata":{"finalizers":null}}'
    run_tool(
        HELM4.kubectl, sim, "patch", "configmap", "held", "-n", ns, "--type=merge", "-p", patch
    )


def status_of(sim, name: str, data_dir: Path) -> dict:
    shown = storedesk(sim, "status", name, "-o", "json", data_dir=data_dir)
    assert shown.returncode == 0, shown.stderr
    return json.loads(shown.stdout)


def test_a_retry_of_a_crash_looping_store_fails_as_fast_as_the_first_try(
    sim, tmp_path: Path
) -> None:
    # The first create's pods crash; the retry changes nothing, so helm's upgrade would
    # wait on the very same pods until its timeout (twice: it rolls back atomically).
    sim.faults.fail_image("*wordpress:7*", "CrashLoopBackOff")
    name = unique_store()
    storedesk(sim, "create", name, "--wait", "--timeout", "60", data_dir=tmp_path)
    retry = storedesk(sim, "create", name, "--timeout", "60", data_dir=tmp_path)
    assert retry.returncode == 1
    assert "CrashLoopBackOff" in retry.stderr
    assert "timed out" not in retry.stderr
    sim.faults.clear_image_failures()
    storedesk(sim, "delete", name, "--yes", "--wait", data_dir=tmp_path)


def test_a_delete_refused_for_a_local_reason_leaves_a_ready_store_ready(
    sim, tmp_path: Path
) -> None:
    name = unique_store()
    assert storedesk(sim, "create", name, "--wait", data_dir=tmp_path).returncode == 0
    refused = storedesk(
        sim,
        "delete",
        name,
        "--yes",
        env={"STOREDESK_HELM": str(tmp_path / "no-helm")},
        data_dir=tmp_path,
    )
    assert refused.returncode == 3, refused.stderr
    assert status_of(sim, name, tmp_path)["status"] == "Ready"
    storedesk(sim, "delete", name, "--yes", "--wait", data_dir=tmp_path)


def test_losing_a_create_race_to_another_machine_is_busy(sim, tmp_path: Path) -> None:
    name = unique_store()
    rival = service_for(sim, HELM4, tmp_path / "rival")
    mine = service_for(sim, HELM4, tmp_path / "mine")

    class RaceLost(KubeClient):
        """Sees no namespace at first, as if the rival created it just after we looked."""

        looked = False

        def get(self, resource, name_, namespace=None):
            if resource.plural == "namespaces" and name_ == f"store-{name}" and not self.looked:
                self.looked = True
                return None
            return super().get(resource, name_, namespace)

    mine._kube = RaceLost(mine.target)
    # The rival's create holds its lease on the namespace while it runs.
    rival.create(name)
    lease = Lease(rival.kube, f"store-{name}", "create")
    lease.acquire(rival.kube.get(NAMESPACES, f"store-{name}"))
    # (Both services share this process, hence one lease holder: the message is the
    # generic one rather than "busy: create by <holder>".)
    with pytest.raises(StoreBusy, match=f"store '{name}' was created elsewhere"):
        mine.create(name)
    lease.release()
    rival.delete(name)


def test_rollback_to_revision_0_names_the_revisions_there_are(sim, tmp_path: Path) -> None:
    name = unique_store()
    assert storedesk(sim, "create", name, data_dir=tmp_path).returncode == 0
    assert storedesk(sim, "create", name, data_dir=tmp_path).returncode == 0
    zero = storedesk(sim, "rollback", name, "0", data_dir=tmp_path)
    assert zero.returncode == 2
    assert f"store '{name}' has no revision 0 to roll back to" in zero.stderr
    assert "revisions: 1, 2" in zero.stderr
    current = storedesk(sim, "rollback", name, "2", data_dir=tmp_path)
    assert current.returncode == 2 and "at revision 2 already" in current.stderr
    storedesk(sim, "delete", name, "--yes", "--wait", data_dir=tmp_path)


def test_a_namespace_held_by_a_finalizer_is_named_with_the_way_out(sim, tmp_path: Path) -> None:
    name = unique_store()
    ns = f"store-{name}"
    assert storedesk(sim, "create", name, data_dir=tmp_path).returncode == 0
    hold(sim, ns)
    stuck = storedesk(sim, "delete", name, "--yes", "--wait", "--timeout", "10", data_dir=tmp_path)
    assert stuck.returncode == 1
    assert (
        "Some content in the namespace has finalizers remaining: example.com/hold in 1 "
        "resource instances" in stuck.stderr
    )
    assert "remove the finalizer" in stuck.stderr
    release(sim, ns)
    gone = storedesk(sim, "delete", name, "--yes", "--wait", data_dir=tmp_path)
    assert gone.returncode == 0, gone.stderr


def test_a_host_another_ingress_serves_is_refused_before_anything_changes(
    sim, tmp_path: Path
) -> None:
    name = unique_store()
    run_tool(HELM4.kubectl, sim, "create", "namespace", "blog")
    run_tool(
        HELM4.kubectl,
        sim,
        "create",
        "ingress",
        "blog",
        "-n",
        "blog",
        f"--rule={name}.example.com/*=blog:80",
    )
    refused = storedesk(sim, "create", name, "--domain", "example.com", data_dir=tmp_path)
    assert refused.returncode == 2
    assert (
        f"host {name}.example.com is already served by ingress blog in namespace blog"
        in refused.stderr
    )
    assert (
        "NotFound"
        in run_tool(HELM4.kubectl, sim, "get", "namespace", f"store-{name}", check=False).stderr
    )


def test_output_cut_short_by_the_reader_is_no_error(sim, tmp_path: Path) -> None:
    # `storedesk contexts -o json | head -1`: the reader is gone before all is written.
    import os
    import subprocess
    import sys

    env = {**os.environ, "STOREDESK_DATA_DIR": str(tmp_path)}
    argv = [sys.executable, "-m", "storedesk", "--kubeconfig", str(sim.kubeconfig)]
    for args in (["contexts", "-o", "json"], ["events", "nobody", "-o", "json"]):
        read_end, write_end = os.pipe()
        os.close(read_end)  # the reader has gone
        try:
            writer = subprocess.run(
                [*argv, *args],
                stdout=write_end,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
                timeout=60,
            )
        finally:
            os.close(write_end)
        assert writer.returncode == 0, writer.stderr
        assert "Traceback" not in writer.stderr and "BrokenPipe" not in writer.stderr


def test_a_second_delete_says_the_store_is_already_being_deleted(sim, tmp_path: Path) -> None:
    name = unique_store()
    ns = f"store-{name}"
    assert storedesk(sim, "create", name, data_dir=tmp_path).returncode == 0
    hold(sim, ns)
    first = storedesk(sim, "delete", name, "--yes", data_dir=tmp_path)
    assert "deletion started" in first.stdout
    second = storedesk(sim, "delete", name, "--yes", data_dir=tmp_path)
    assert second.returncode == 0, second.stderr
    assert f"store {name}: already being deleted" in second.stdout
    release(sim, ns)


def test_a_deployment_scaled_by_hand_is_set_back_and_the_user_is_told(sim, tmp_path: Path) -> None:
    # helm 4 applies server-side: a field kubectl changed is a conflict on a real cluster
    # (and now on the simulator). Storedesk sets the chart's shape back, and says so.
    name = unique_store()
    assert storedesk(sim, "create", name, "--wait", data_dir=tmp_path).returncode == 0
    run_tool(
        HELM4.kubectl,
        sim,
        "scale",
        "deployment",
        f"{name}-wordpress",
        "-n",
        f"store-{name}",
        "--replicas=2",
    )
    again = storedesk(sim, "create", name, "--wait", data_dir=tmp_path)
    assert again.returncode == 0, again.stderr
    assert (
        f"changed outside the chart: .spec.replicas of Deployment store-{name}/{name}-wordpress "
        "(changed by kubectl); Storedesk sets them back to what the chart says"
    ) in again.stderr
    replicas = run_tool(
        HELM4.kubectl,
        sim,
        "get",
        "deployment",
        f"{name}-wordpress",
        "-n",
        f"store-{name}",
        "-o",
        "jsonpath={.spec.replicas}",
    ).stdout
    assert replicas == "1"
    events = json.loads(storedesk(sim, "events", name, "-o", "json", data_dir=tmp_path).stdout)
    assert any("changed outside the chart" in e["message"] for e in events)


def test_several_fields_changed_by_hand_are_all_named_and_set_back(sim, tmp_path: Path) -> None:
    name = unique_store()
    deployment, ns = f"{name}-wordpress", f"store-{name}"
    assert storedesk(sim, "create", name, "--wait", data_dir=tmp_path).returncode == 0
    run_tool(HELM4.kubectl, sim, "scale", "deployment", deployment, "-n", ns, "--replicas=2")
    run_tool(
        HELM4.kubectl,
        sim,
        "label",
        "deployment",
        deployment,
        "-n",
        ns,
        "--overwrite",
        "app.kubernetes.io/component=renamed",
    )
    again = storedesk(sim, "create", name, "--wait", data_dir=tmp_path)
    assert again.returncode == 0, again.stderr
    assert ".spec.replicas of Deployment" in again.stderr and "(changed by kubectl)" in again.stderr
    assert "(changed by kubectl-label)" in again.stderr
    label = run_tool(
        HELM4.kubectl,
        sim,
        "get",
        "deployment",
        deployment,
        "-n",
        ns,
        "-o",
        "jsonpath={.metadata.labels.app\\.kubernetes\\.io/component}",
    ).stdout
    assert label == "wordpress"
