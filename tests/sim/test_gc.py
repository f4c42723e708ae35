"""Garbage collection as real clients meet it: foreground, background and orphan deletion."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support import HelmBinary, run_tool

CHART = Path(__file__).parent / "charts" / "allkinds"
DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: gc}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx:1.27.3}]
"""


def _names(kubectl: Path, sim, kind: str, ns: str) -> list[str]:
    listed = json.loads(run_tool(kubectl, sim, "get", kind, "-n", ns, "-o", "json").stdout)
    return [o["metadata"]["name"] for o in listed["items"]]


@pytest.fixture
def rolled_out(sim, kubectl):
    """A namespace `gc` with a Deployment whose two pods are ready."""
    run_tool(kubectl, sim, "create", "namespace", "gc")
    run_tool(kubectl, sim, "apply", "-f", "-", input=DEPLOYMENT)
    run_tool(kubectl, sim, "rollout", "status", "deploy/web", "-n", "gc", "--timeout=60s")
    assert len(_names(kubectl, sim, "pods", "gc")) == 2
    return sim


def test_kubectl_delete_cascade_foreground_completes(rolled_out, kubectl) -> None:
    # kubectl waits until the Deployment is gone; in foreground that is after its
    # ReplicaSet, which itself waits for its pods.
    run_tool(
        kubectl,
        rolled_out,
        "delete",
        "deployment",
        "web",
        "-n",
        "gc",
        "--cascade=foreground",
        "--timeout=60s",
        timeout=90,
    )
    assert _names(kubectl, rolled_out, "deployments", "gc") == []
    assert _names(kubectl, rolled_out, "replicasets", "gc") == []
    assert _names(kubectl, rolled_out, "pods", "gc") == []


def test_kubectl_delete_cascade_orphan_keeps_dependents(rolled_out, kubectl) -> None:
    run_tool(kubectl, rolled_out, "delete", "deployment", "web", "-n", "gc", "--cascade=orphan")
    replica_sets = json.loads(
        run_tool(kubectl, rolled_out, "get", "rs", "-n", "gc", "-o", "json").stdout
    )["items"]
    assert len(replica_sets) == 1
    assert "ownerReferences" not in replica_sets[0]["metadata"]
    assert len(_names(kubectl, rolled_out, "pods", "gc")) == 2


def test_helm_uninstall_cascade_foreground_completes(helm: HelmBinary, sim) -> None:
    wait = ["--wait=watcher"] if helm.major == "4" else ["--wait"]
    run_tool(
        helm.path,
        sim,
        "install",
        "shop",
        str(CHART),
        "-n",
        "fg",
        "--create-namespace",
        *wait,
        "--timeout",
        "2m",
    )
    run_tool(
        helm.path,
        sim,
        "uninstall",
        "shop",
        "-n",
        "fg",
        "--cascade",
        "foreground",
        "--wait",
        "--timeout",
        "60s",
        timeout=120,
    )
    for kind in ("deployments", "statefulsets", "replicasets", "pods", "services"):
        assert _names(helm.kubectl, sim, kind, "fg") == [], kind
    # With its content gone, the namespace itself can now be deleted to the end.
    run_tool(helm.kubectl, sim, "delete", "namespace", "fg", "--timeout=60s", timeout=90)
