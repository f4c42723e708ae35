"""Real kubectl (1.35) against the simulator: the commands people type every day."""

from __future__ import annotations

import json
import subprocess
import time

import pytest

from tests.support import run_tool

DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: demo
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27.3
          env:
            - {name: A, value: "1"}
            - {name: B, value: "2"}
"""


@pytest.fixture
def demo(sim, kubectl):
    """A namespace `demo` to work in."""
    run_tool(kubectl, sim, "create", "namespace", "demo")
    return sim


def test_apply_rollout_and_wait(demo, kubectl) -> None:
    out = run_tool(kubectl, demo, "apply", "-f", "-", input=DEPLOYMENT).stdout
    assert "deployment.apps/web created" in out
    run_tool(kubectl, demo, "rollout", "status", "deployment/web", "-n", "demo", "--timeout=30s")
    run_tool(
        kubectl,
        demo,
        "wait",
        "--for=condition=Ready",
        "pod",
        "-l",
        "app=web",
        "-n",
        "demo",
        "--timeout=30s",
    )
    table = run_tool(kubectl, demo, "get", "pods", "-n", "demo").stdout
    assert table.splitlines()[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert table.count("Running") == 2

    # A second client-side apply is a three-way strategic merge patch: B goes, C comes.
    changed = DEPLOYMENT.replace('- {name: B, value: "2"}', '- {name: C, value: "3"}')
    assert "configured" in run_tool(kubectl, demo, "apply", "-f", "-", input=changed).stdout
    run_tool(kubectl, demo, "rollout", "status", "deployment/web", "-n", "demo", "--timeout=30s")
    dep = json.loads(
        run_tool(kubectl, demo, "get", "deploy", "web", "-n", "demo", "-o", "json").stdout
    )
    env = dep["spec"]["template"]["spec"]["containers"][0]["env"]
    assert env == [{"name": "A", "value": "1"}, {"name": "C", "value": "3"}]
    assert dep["metadata"]["generation"] == 2
    pods = json.loads(
        run_tool(kubectl, demo, "get", "pods", "-n", "demo", "-l", "app=web", "-o", "json").stdout
    )["items"]
    # As on a real cluster, the old ReplicaSet's pods may still be terminating.
    pods = [p for p in pods if "deletionTimestamp" not in p["metadata"]]
    assert len(pods) == 2
    assert all(p["spec"]["containers"][0]["env"][1]["name"] == "C" for p in pods)


def test_server_side_apply_creates_then_updates(demo, kubectl) -> None:
    out = run_tool(kubectl, demo, "apply", "--server-side", "-f", "-", input=DEPLOYMENT).stdout
    assert "serverside-applied" in out
    smaller = DEPLOYMENT.replace("replicas: 2", "replicas: 1").replace(
        '            - {name: B, value: "2"}\n', ""
    )
    run_tool(kubectl, demo, "apply", "--server-side", "-f", "-", input=smaller)
    dep = json.loads(
        run_tool(kubectl, demo, "get", "deploy", "web", "-n", "demo", "-o", "json").stdout
    )
    assert dep["spec"]["replicas"] == 1
    assert dep["spec"]["template"]["spec"]["containers"][0]["env"] == [{"name": "A", "value": "1"}]


def test_unknown_field_and_wrong_type_are_refused(demo, kubectl) -> None:
    unknown = DEPLOYMENT.replace("  replicas: 2", "  replicas: 2\n  replica: 3")
    result = run_tool(kubectl, demo, "apply", "-f", "-", input=unknown, check=False)
    assert result.returncode == 1
    assert 'strict decoding error: unknown field "spec.replica"' in result.stderr
    wrong = DEPLOYMENT.replace("replicas: 2", "replicas: two")
    result = run_tool(kubectl, demo, "apply", "-f", "-", input=wrong, check=False)
    assert result.returncode == 1
    assert "spec.replicas" in result.stderr and "int32" in result.stderr
    assert run_tool(kubectl, demo, "get", "deploy", "-n", "demo", "-o", "name").stdout == ""


def test_quota_refuses_a_pod_over_it(demo, kubectl) -> None:
    run_tool(kubectl, demo, "create", "quota", "small", "-n", "demo", "--hard=pods=1")
    run_tool(kubectl, demo, "run", "one", "-n", "demo", "--image=nginx:1.27.3")
    result = run_tool(
        kubectl, demo, "run", "two", "-n", "demo", "--image=nginx:1.27.3", check=False
    )
    assert result.returncode == 1
    assert (
        'pods "two" is forbidden: exceeded quota: small, requested: pods=1, used: pods=1, '
        "limited: pods=1"
    ) in result.stderr


def test_failing_image_shows_backoff_and_events(demo, kubectl) -> None:
    demo.faults.fail_image("nginx:broken", "ImagePullBackOff")
    run_tool(kubectl, demo, "run", "bad", "-n", "demo", "--image=nginx:broken")
    deadline = time.monotonic() + 15
    status = ""
    while time.monotonic() < deadline and status != "ImagePullBackOff":
        status = run_tool(
            kubectl,
            demo,
            "get",
            "pod",
            "bad",
            "-n",
            "demo",
            "-o",
            "jsonpath={.status.containerStatuses[0].state.waiting.reason}",
        ).stdout
        time.sleep(0.2)
    assert status == "ImagePullBackOff"
    events = run_tool(
        kubectl, demo, "get", "events", "-n", "demo", "--field-selector", "involvedObject.name=bad"
    ).stdout
    assert 'Failed to pull image "nginx:broken"' in events
    assert "Back-off pulling image" in events


def test_get_watch_streams_changes(demo, kubectl) -> None:
    argv = [
        str(kubectl),
        "--kubeconfig",
        str(demo.kubeconfig),
        "--context",
        demo.context,
        "get",
        "configmaps",
        "-n",
        "demo",
        "-w",
        "--output-watch-events",
        "--request-timeout=10s",
    ]
    watcher = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1.0)
        run_tool(kubectl, demo, "create", "configmap", "hello", "-n", "demo", "--from-literal=a=b")
        run_tool(kubectl, demo, "delete", "configmap", "hello", "-n", "demo")
        time.sleep(1.0)
    finally:
        watcher.terminate()
        out, _ = watcher.communicate(timeout=10)
    lines = [line.split()[:2] for line in out.splitlines()[1:]]
    assert ["ADDED", "hello"] in lines and ["DELETED", "hello"] in lines


def test_delete_namespace_removes_everything(demo, kubectl) -> None:
    run_tool(kubectl, demo, "apply", "-f", "-", input=DEPLOYMENT)
    run_tool(kubectl, demo, "rollout", "status", "deployment/web", "-n", "demo", "--timeout=30s")
    run_tool(kubectl, demo, "delete", "namespace", "demo", "--wait", "--timeout=60s")
    result = run_tool(kubectl, demo, "get", "pods", "-n", "demo", "-o", "name")
    assert result.stdout == ""
    assert "demo" not in run_tool(kubectl, demo, "get", "ns", "-o", "name").stdout


def test_object_in_missing_namespace_is_refused(sim, kubectl) -> None:
    result = run_tool(kubectl, sim, "create", "configmap", "x", "-n", "nowhere", check=False)
    assert result.returncode == 1
    assert 'namespaces "nowhere" not found' in result.stderr
