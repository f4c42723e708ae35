"""Claims and volumes as a cluster handles them, seen through a real kubectl: the default
StorageClass stamped in at admission, provisioned PersistentVolumes, claims that cannot
bind, and the protection that keeps a claim while a pod uses it."""

from __future__ import annotations

import json
import time
from pathlib import Path

from tests.support import run_tool


def claim(name: str, storage_class: str | None = None) -> str:
    line = "" if storage_class is None else f"  storageClassName: {storage_class!r}\n"
    return (
        "apiVersion: v1\nkind: PersistentVolumeClaim\n"
        f"metadata: {{name: {name}}}\n"
        "spec:\n"
        f"{line}"
        "  accessModes: [ReadWriteOnce]\n"
        "  resources: {requests: {storage: 1Gi}}\n"
    )


def get(kubectl: Path, sim, *args: str) -> dict:
    return json.loads(run_tool(kubectl, sim, "get", *args, "-o", "json").stdout)


def events_of(kubectl: Path, sim, name: str) -> list[tuple[str, str, str]]:
    listed = get(kubectl, sim, "events", "--field-selector", f"involvedObject.name={name}")
    return [(e["type"], e["reason"], e["message"]) for e in listed["items"]]


def wait_for_event(kubectl: Path, sim, name: str, reason: str) -> None:
    """Until `name` has an event with `reason` (a controller reports it shortly)."""
    deadline = time.monotonic() + 30
    while not any(r == reason for _, r, _ in events_of(kubectl, sim, name)):
        assert time.monotonic() < deadline, f"no {reason} event for {name}"
        time.sleep(0.1)


def test_a_claim_without_a_class_gets_the_default_one_and_a_volume(sim, kubectl) -> None:
    created = run_tool(kubectl, sim, "create", "-f", "-", "-o", "json", input=claim("data"))
    # Admission stamps the class in: the created object already carries it.
    assert json.loads(created.stdout)["spec"]["storageClassName"] == "standard"
    run_tool(kubectl, sim, "wait", "--for=jsonpath={.status.phase}=Bound", "pvc/data")
    bound = get(kubectl, sim, "pvc", "data")
    volume = get(kubectl, sim, "pv", bound["spec"]["volumeName"])
    assert volume["spec"]["claimRef"]["name"] == "data"
    assert volume["spec"]["storageClassName"] == "standard"
    assert volume["spec"]["persistentVolumeReclaimPolicy"] == "Delete"
    assert volume["status"]["phase"] == "Bound"
    assert bound["metadata"]["finalizers"] == ["kubernetes.io/pvc-protection"]
    assert (
        "Normal",
        "ProvisioningSucceeded",
        f"Successfully provisioned volume {volume['metadata']['name']}",
    ) in events_of(kubectl, sim, "data")

    run_tool(kubectl, sim, "delete", "pvc", "data")
    run_tool(kubectl, sim, "wait", "--for=delete", f"pv/{volume['metadata']['name']}")


def test_an_empty_class_means_no_class_and_waits_for_a_volume(sim, kubectl) -> None:
    created = run_tool(kubectl, sim, "create", "-f", "-", "-o", "json", input=claim("raw", ""))
    assert json.loads(created.stdout)["spec"]["storageClassName"] == ""
    wait_for_event(kubectl, sim, "raw", "FailedBinding")
    assert get(kubectl, sim, "pvc", "raw")["status"]["phase"] == "Pending"
    assert (
        "Normal",
        "FailedBinding",
        "no persistent volumes available for this claim and no storage class is set",
    ) in events_of(kubectl, sim, "raw")


def test_a_missing_class_never_provisions(sim, kubectl) -> None:
    run_tool(kubectl, sim, "create", "-f", "-", input=claim("fast", "fast-ssd"))
    wait_for_event(kubectl, sim, "fast", "ProvisioningFailed")
    assert get(kubectl, sim, "pvc", "fast")["status"]["phase"] == "Pending"
    assert (
        "Warning",
        "ProvisioningFailed",
        'storageclass.storage.k8s.io "fast-ssd" not found',
    ) in events_of(kubectl, sim, "fast")


POD = """
apiVersion: v1
kind: Pod
metadata: {name: user}
spec:
  terminationGracePeriodSeconds: 1
  containers: [{name: c, image: busybox:1.36}]
  volumes: [{name: d, persistentVolumeClaim: {claimName: data}}]
"""


def test_a_claim_in_use_stays_until_its_pod_is_gone(sim, kubectl) -> None:
    run_tool(kubectl, sim, "create", "-f", "-", input=claim("data"))
    run_tool(kubectl, sim, "create", "-f", "-", input=POD)
    run_tool(kubectl, sim, "wait", "--for=condition=Ready", "pod/user")
    run_tool(kubectl, sim, "delete", "pvc", "data", "--wait=false")
    held = get(kubectl, sim, "pvc", "data")
    assert held["metadata"]["deletionTimestamp"]
    assert held["metadata"]["finalizers"] == ["kubernetes.io/pvc-protection"]
    run_tool(kubectl, sim, "delete", "pod", "user")
    run_tool(kubectl, sim, "wait", "--for=delete", "pvc/data")


def test_a_pod_whose_claim_is_missing_is_unschedulable(sim, kubectl) -> None:
    run_tool(kubectl, sim, "create", "-f", "-", input=POD)
    run_tool(
        kubectl,
        sim,
        "wait",
        "--for=jsonpath={.status.conditions[0].reason}=Unschedulable",
        "pod/user",
    )
    pod = get(kubectl, sim, "pod", "user")
    assert pod["status"]["conditions"][0]["message"] == (
        '0/1 nodes are available: persistentvolumeclaim "data" not found. preemption: 0/1 '
        "nodes are available: 1 Preemption is not helpful for scheduling."
    )
    # Once the claim exists (and binds), the pod is scheduled and starts.
    run_tool(kubectl, sim, "create", "-f", "-", input=claim("data"))
    run_tool(kubectl, sim, "wait", "--for=condition=Ready", "pod/user")
