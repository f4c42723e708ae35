"""What `kubectl get` prints: the server's Table columns (and `-o wide` ones), read by a
real kubectl 1.35 the way a user reads them."""

from __future__ import annotations

from pathlib import Path

from tests.support import run_tool

APP = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - {name: web, image: nginx:1.27.3, ports: [{containerPort: 8080}]}
        - {name: sidecar, image: busybox:1.36}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080}]
"""


DAEMONSET = """
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      nodeSelector: {kubernetes.io/os: linux}
      containers: [{name: agent, image: busybox:1.36}]
"""


def rows(kubectl: Path, sim, *args: str) -> list[list[str]]:
    """The printed table, split on runs of spaces (cells here hold no double spaces)."""
    out = run_tool(kubectl, sim, "get", *args).stdout
    return [[c for c in line.split("  ") if c.strip()] for line in out.strip().split("\n")]


def cells(row: list[str]) -> list[str]:
    return [c.strip() for c in row]


def started(sim, kubectl: Path) -> None:
    run_tool(kubectl, sim, "apply", "-f", "-", input=APP)
    run_tool(kubectl, sim, "rollout", "status", "deployment/web", "--timeout=30s")
    run_tool(
        kubectl,
        sim,
        "wait",
        "--for=jsonpath={.subsets[0].addresses[0].ip}",
        "endpoints/web",
        "--timeout=30s",
    )


def test_nodes_show_status_roles_and_version(sim, kubectl) -> None:
    table = rows(kubectl, sim, "nodes")
    assert cells(table[0]) == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
    name, status, roles, _, version = cells(table[1])
    assert (name, status, roles, version) == ("storedesk-sim", "Ready", "control-plane", "v1.35.0")


def test_nodes_wide_show_addresses_and_the_runtime(sim, kubectl) -> None:
    table = rows(kubectl, sim, "nodes", "-o", "wide")
    assert cells(table[0]) == [
        "NAME",
        "STATUS",
        "ROLES",
        "AGE",
        "VERSION",
        "INTERNAL-IP",
        "EXTERNAL-IP",
        "OS-IMAGE",
        "KERNEL-VERSION",
        "CONTAINER-RUNTIME",
    ]
    assert cells(table[1])[5:] == [
        "172.18.0.2",
        "<none>",
        "storedesk simulator",
        "<unknown>",
        "simulated://1.0",
    ]


def test_pods_deployments_and_services_wide(sim, kubectl) -> None:
    started(sim, kubectl)
    pods = rows(kubectl, sim, "pods", "-o", "wide")
    assert cells(pods[0]) == [
        "NAME",
        "READY",
        "STATUS",
        "RESTARTS",
        "AGE",
        "IP",
        "NODE",
        "NOMINATED NODE",
        "READINESS GATES",
    ]
    pod = cells(pods[1])
    assert pod[1:4] == ["2/2", "Running", "0"]
    assert pod[5].startswith("10.244.") and pod[6:] == ["storedesk-sim", "<none>", "<none>"]

    deployments = rows(kubectl, sim, "deployments", "-o", "wide")
    assert cells(deployments[0]) == [
        "NAME",
        "READY",
        "UP-TO-DATE",
        "AVAILABLE",
        "AGE",
        "CONTAINERS",
        "IMAGES",
        "SELECTOR",
    ]
    web = cells(deployments[1])
    assert web[:4] == ["web", "1/1", "1", "1"]
    assert web[5:] == ["web,sidecar", "nginx:1.27.3,busybox:1.36", "app=web"]

    services = rows(kubectl, sim, "services", "-o", "wide")
    assert cells(services[0]) == [
        "NAME",
        "TYPE",
        "CLUSTER-IP",
        "EXTERNAL-IP",
        "PORT(S)",
        "AGE",
        "SELECTOR",
    ]
    by_name = {cells(r)[0]: cells(r) for r in services[1:]}
    assert by_name["web"][-1] == "app=web"
    assert by_name["kubernetes"][-1] == "<none>"


def test_endpoints_show_their_addresses(sim, kubectl) -> None:
    started(sim, kubectl)
    table = rows(kubectl, sim, "endpoints", "web")
    assert cells(table[0]) == ["NAME", "ENDPOINTS", "AGE"]
    pod_ip = run_tool(
        kubectl, sim, "get", "pods", "-l", "app=web", "-o", "jsonpath={.items[0].status.podIP}"
    ).stdout
    assert cells(table[1])[1] == f"{pod_ip}:8080"


def test_storage_classes_show_provisioner_and_policies(sim, kubectl) -> None:
    table = rows(kubectl, sim, "storageclasses")
    assert cells(table[0]) == [
        "NAME",
        "PROVISIONER",
        "RECLAIMPOLICY",
        "VOLUMEBINDINGMODE",
        "ALLOWVOLUMEEXPANSION",
        "AGE",
    ]
    assert cells(table[1])[:5] == [
        "standard (default)",
        "rancher.io/local-path",
        "Delete",
        "Immediate",
        "false",
    ]


def test_kinds_without_a_printer_show_when_they_were_created(sim, kubectl) -> None:
    run_tool(kubectl, sim, "create", "role", "reader", "--verb=get", "--resource=pods")
    table = rows(kubectl, sim, "roles")
    assert cells(table[0]) == ["NAME", "CREATED AT"]
    name, created = cells(table[1])
    assert name == "reader" and created.endswith("Z") and "T" in created


def test_daemonsets_and_cronjobs_have_their_columns(sim, kubectl) -> None:
    run_tool(
        kubectl,
        sim,
        "create",
        "cronjob",
        "nightly",
        "--image=busybox:1.36",
        "--schedule=0 3 * * *",
    )
    table = rows(kubectl, sim, "cronjobs", "-o", "wide")
    assert cells(table[0]) == [
        "NAME",
        "SCHEDULE",
        "TIMEZONE",
        "SUSPEND",
        "ACTIVE",
        "LAST SCHEDULE",
        "AGE",
        "CONTAINERS",
        "IMAGES",
        "SELECTOR",
    ]
    assert cells(table[1])[:6] == ["nightly", "0 3 * * *", "<none>", "False", "0", "<none>"]
    run_tool(kubectl, sim, "apply", "-f", "-", input=DAEMONSET)
    run_tool(kubectl, sim, "rollout", "status", "ds/agent", "--timeout=30s")
    table = rows(kubectl, sim, "daemonsets")
    assert cells(table[1])[:7] == ["agent", "1", "1", "1", "1", "1", "kubernetes.io/os=linux"]
    assert cells(table[0]) == [
        "NAME",
        "DESIRED",
        "CURRENT",
        "READY",
        "UP-TO-DATE",
        "AVAILABLE",
        "NODE SELECTOR",
        "AGE",
    ]
