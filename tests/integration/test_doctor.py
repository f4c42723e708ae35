"""`storedesk doctor` against the simulator: each check's verdict and words, as the cluster
is set up with and without an ingress controller, a default StorageClass, permissions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from storedesk.domain.checks import Check, Verdict
from storedesk.provisioning.app import connect
from storedesk.provisioning.doctor import Report, run_checks
from storedesk.sim import Simulator
from tests.support import helm_binary, run_tool

pytestmark = [pytest.mark.helm]
HELM4 = helm_binary("4")


@pytest.fixture(autouse=True)
def _helm(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("STOREDESK_HELM", str(HELM4.path))
    monkeypatch.setenv("STOREDESK_DATA_DIR", str(tmp_path / "data"))


def check(sim: Simulator, tmp_path: Path) -> Report:
    """The cluster check, as the window runs it."""
    return run_checks(connect(str(sim.kubeconfig), sim.context, data_dir=tmp_path / "data"))


def doctor(
    sim: Simulator, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """`storedesk doctor`, run as a user would."""
    argv = [sys.executable, "-m", "storedesk", "--kubeconfig", str(sim.kubeconfig), "doctor", *args]
    return subprocess.run(
        argv, capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=180
    )


def kubectl(sim: Simulator, *args: str, manifest: str | None = None) -> str:
    """kubectl against the simulator (apply reads `manifest` from stdin)."""
    return run_tool(HELM4.kubectl, sim, *args, input=manifest).stdout


def ingress_class(name: str, controller: str, default: bool = True) -> str:
    """An IngressClass manifest."""
    marked = "true" if default else "false"
    return f"""
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: {name}
  annotations: {{ingressclass.kubernetes.io/is-default-class: "{marked}"}}
spec: {{controller: {controller}}}
"""


def controller_deployment(namespace: str, labels: dict[str, str]) -> str:
    """A one-pod Deployment carrying an ingress controller's labels, in `namespace`."""
    shown = ", ".join(f"{k}: {v}" for k, v in labels.items())
    return f"""
apiVersion: v1
kind: Namespace
metadata: {{name: {namespace}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: controller, namespace: {namespace}}}
spec:
  replicas: 1
  selector: {{matchLabels: {{{shown}}}}}
  template:
    metadata: {{labels: {{{shown}}}}}
    spec:
      containers: [{{name: controller, image: example.org/controller:1}}]
"""


def run_controller(sim: Simulator, namespace: str, labels: dict[str, str]) -> None:
    """Start an ingress controller's pod and wait until it is Ready."""
    kubectl(sim, "apply", "-f", "-", manifest=controller_deployment(namespace, labels))
    selector = ",".join(f"{k}={v}" for k, v in labels.items())
    kubectl(
        sim,
        "wait",
        "-n",
        namespace,
        "--for=condition=ready",
        "pod",
        "-l",
        selector,
        "--timeout=60s",
    )


NGINX = {"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"}
TRAEFIK = {"app.kubernetes.io/name": "traefik", "app.kubernetes.io/instance": "traefik-kube-system"}


def test_a_fresh_demo_cluster_reports_every_check(sim: Simulator, tmp_path: Path) -> None:
    result = doctor(sim, "-o", "json")
    assert result.returncode == 0, result.stderr  # a missing ingress controller is a warning
    report = json.loads(result.stdout)
    assert report["context"] == sim.context and report["engine"] == "woocommerce"
    verdicts = {c["check"]: c["verdict"] for c in report["checks"]}
    assert verdicts == {
        "kubernetes": "ok",
        "helm": "ok",
        "rbac": "ok",
        "storage": "ok",
        "ingress": "warning",
        "network-policy": "info",
        "capacity": "ok",
    }
    said = {c["check"]: c for c in report["checks"]}
    assert "v1.35.0" in said["kubernetes"]["message"]
    assert "1.32 or newer" in said["kubernetes"]["message"]
    assert HELM4.version in said["helm"]["message"]
    assert "standard (rancher.io/local-path) is the default" in said["storage"]["message"]
    assert "Immediate" in said["storage"]["message"]
    assert said["ingress"]["message"].startswith("No ingress controller")
    assert "storedesk open NAME" in said["ingress"]["message"]
    assert "cannot be read" not in said["network-policy"]["message"]  # the demo is known
    assert "8 more stores fit" in said["capacity"]["message"]  # 8 CPUs, 1 CPU per store
    assert report["summary"] == "1 warning"


def test_the_table_names_each_check_and_its_fix(sim: Simulator) -> None:
    sim.faults.deny("create", "namespaces")
    result = doctor(sim)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0] == (
        f"Cluster check of context {sim.context} (engine woocommerce): 1 problem, 1 warning"
    )
    for title in (
        "Kubernetes version",
        "helm",
        "Permissions (RBAC)",
        "Default StorageClass",
        "Ingress controller",
        "NetworkPolicy enforcement",
        "How many stores fit",
    ):
        assert any(title in line for line in lines[1:]), title
    problem = next(i for i, line in enumerate(lines) if line.startswith("problem"))
    assert "This user may not create namespaces." in lines[problem]
    assert "fix: Ask the cluster's admin for these permissions" in lines[problem + 1]
    warning = next(i for i, line in enumerate(lines) if line.startswith("warning"))
    assert "fix: None needed: the demo cluster's stores open through" in lines[warning + 1]


def test_ingress_nginx_in_its_namespace_is_found(sim: Simulator, tmp_path: Path) -> None:
    kubectl(sim, "apply", "-f", "-", manifest=ingress_class("nginx", "k8s.io/ingress-nginx"))
    missing = check(sim, tmp_path).result(Check.INGRESS)
    assert missing.verdict == Verdict.PROBLEM
    assert "served by ingress-nginx, but none of its pods run" in missing.message
    run_controller(sim, "ingress-nginx", NGINX)
    report = check(sim, tmp_path)
    found = report.result(Check.INGRESS)
    assert found.verdict == Verdict.OK
    assert "nginx (default): ingress-nginx (k8s.io/ingress-nginx)" in found.message
    assert "pods in namespace ingress-nginx (1/1 ready)" in found.message
    assert found.details["classes"][0]["namespaces"] == ["ingress-nginx"]
    assert report.verdict == Verdict.OK  # nothing else is wrong with the demo cluster
    assert report.summary == "no problem"


def test_traefik_in_kube_system_and_a_proxy_outside_the_cluster(
    sim: Simulator, tmp_path: Path
) -> None:
    kubectl(
        sim, "apply", "-f", "-", manifest=ingress_class("traefik", "traefik.io/ingress-controller")
    )
    kubectl(
        sim,
        "apply",
        "-f",
        "-",
        manifest=ingress_class("cloud-provider-kind", "kind.sigs.k8s.io/ingress-controller", False),
    )
    run_controller(sim, "kube-system", TRAEFIK)
    found = check(sim, tmp_path).result(Check.INGRESS)
    assert found.verdict == Verdict.OK
    assert "traefik (default): Traefik (traefik.io/ingress-controller)" in found.message
    assert "pods in namespace kube-system (1/1 ready)" in found.message
    assert "cloud-provider-kind: cloud-provider-kind" in found.message
    assert "its proxy runs outside the cluster" in found.message
    outside = next(c for c in found.details["classes"] if c["name"] == "cloud-provider-kind")
    assert outside["in_cluster"] is False


def test_classes_without_a_default_are_a_warning_with_the_command(
    sim: Simulator, tmp_path: Path
) -> None:
    kubectl(sim, "apply", "-f", "-", manifest=ingress_class("nginx", "k8s.io/ingress-nginx", False))
    result = check(sim, tmp_path).result(Check.INGRESS)
    assert result.verdict == Verdict.WARNING
    assert result.message.startswith("No IngressClass is the default")
    assert result.fix is not None
    assert (
        "kubectl annotate ingressclass nginx ingressclass.kubernetes.io/is-default-class=true"
        in result.fix
    )


def test_no_default_storage_class(sim: Simulator, tmp_path: Path) -> None:
    kubectl(
        sim,
        "annotate",
        "storageclass",
        "standard",
        "storageclass.kubernetes.io/is-default-class=false",
        "--overwrite",
    )
    result = check(sim, tmp_path).result(Check.STORAGE)
    assert result.verdict == Verdict.PROBLEM
    assert result.message.startswith("No StorageClass is the default (standard exist)")
    assert result.fix is not None and "kubectl patch storageclass standard" in result.fix
    kubectl(sim, "delete", "storageclass", "standard")
    none = check(sim, tmp_path).result(Check.STORAGE)
    assert none.verdict == Verdict.PROBLEM
    assert none.message.startswith("The cluster has no StorageClass")
    assert none.fix is not None and "local-path-provisioner" in none.fix


def test_rbac_denials_name_the_verb_and_the_resource(sim: Simulator, tmp_path: Path) -> None:
    sim.faults.deny("create", "namespaces")
    sim.faults.deny("patch", "networkpolicies")
    result = doctor(sim, "-o", "json")
    assert result.returncode == 1
    rbac = next(c for c in json.loads(result.stdout)["checks"] if c["check"] == "rbac")
    assert rbac["verdict"] == "problem"
    assert rbac["message"] == (
        "This user may not create namespaces; "
        "patch networkpolicies.networking.k8s.io in a store's namespace."
    )
    assert "kubectl auth can-i --list" in rbac["fix"]


def test_a_user_who_may_not_ask_is_told_so(sim: Simulator, tmp_path: Path) -> None:
    sim.faults.deny("create", "selfsubjectaccessreviews")
    result = check(sim, tmp_path).result(Check.RBAC)
    assert result.verdict == Verdict.WARNING
    assert result.message.startswith("Not checked: this user may not ask what it may do")


def test_helm_missing(sim: Simulator, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    env = {"STOREDESK_HELM": "", "PATH": str(empty), "SHELL": "/bin/false", "HOME": str(empty)}
    result = doctor(sim, "-o", "json", env=env)
    assert result.returncode == 1
    said = {c["check"]: c for c in json.loads(result.stdout)["checks"]}
    assert said["helm"]["verdict"] == "problem"
    assert said["helm"]["message"].startswith("helm is not installed")
    assert "https://helm.sh/docs/intro/install/" in said["helm"]["fix"]
    # Without helm the chart cannot be read: namespaces are still checked, not its kinds.
    assert said["rbac"]["verdict"] == "warning"
    assert "the chart's kinds were not checked" in said["rbac"]["message"]
    assert said["capacity"]["message"].startswith("Not checked: one store's quota is unknown")


def test_an_unreachable_cluster_exits_3(sim: Simulator) -> None:
    sim.set_outage("refuse")
    result = doctor(sim, "-o", "json")
    assert result.returncode == 3, result.stderr
    report = json.loads(result.stdout)
    said = {c["check"]: c for c in report["checks"]}
    assert report["cluster_answered"] is False
    assert said["kubernetes"]["verdict"] == "problem"
    assert "connection refused" in said["kubernetes"]["message"]
    assert said["helm"]["verdict"] == "ok"  # helm needs no cluster
    for key in ("rbac", "storage", "ingress", "capacity"):
        assert said[key]["message"].startswith("Not checked: the cluster did not answer"), key


def test_a_full_cluster_fits_no_more_stores(sim: Simulator, tmp_path: Path) -> None:
    hog = """
apiVersion: v1
kind: Pod
metadata: {name: hog, namespace: default}
spec:
  containers:
    - name: hog
      image: example.org/hog:1
      resources: {requests: {cpu: "7500m", memory: 1Gi}, limits: {cpu: "8", memory: 1Gi}}
"""
    kubectl(sim, "apply", "-f", "-", manifest=hog)
    kubectl(sim, "wait", "-n", "default", "--for=condition=ready", "pod/hog", "--timeout=60s")
    result = check(sim, tmp_path).result(Check.CAPACITY)
    assert result.verdict == Verdict.WARNING
    assert result.message.startswith("0 more stores fit beside what runs now (8 on empty nodes)")


def test_an_unknown_engine_is_refused_before_the_cluster_is_asked(sim: Simulator) -> None:
    sim.set_outage("refuse")
    result = doctor(sim, "--engine", "nosuch")
    assert result.returncode == 2
    assert "unknown engine 'nosuch'" in result.stderr
