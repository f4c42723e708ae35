"""Real helm 3 and helm 4 drive the simulator like a cluster (validation left on)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support import HelmBinary, run_tool

pytestmark = pytest.mark.helm
CHART = Path(__file__).parent / "charts" / "allkinds"


def wait_flags(helm: HelmBinary) -> list[str]:
    """helm 4's --wait takes a strategy; helm 3's is a plain flag."""
    return ["--wait=watcher"] if helm.major == "4" else ["--wait"]


def install(
    helm: HelmBinary, sim, release: str = "shop", ns: str = "store-shop", *extra: str
) -> None:
    run_tool(
        helm.path,
        sim,
        "upgrade",
        "--install",
        release,
        str(CHART),
        "--namespace",
        ns,
        "--create-namespace",
        *wait_flags(helm),
        "--timeout",
        "2m",
        *extra,
    )


def test_install_upgrade_rollback_uninstall(helm: HelmBinary, sim) -> None:
    install(helm, sim)
    status = json.loads(
        run_tool(helm.path, sim, "status", "shop", "-n", "store-shop", "-o", "json").stdout
    )
    assert status["info"]["status"] == "deployed"
    assert status["version"] == 1

    pods = json.loads(
        run_tool(helm.kubectl, sim, "get", "pods", "-n", "store-shop", "-o", "json").stdout
    )["items"]
    serving = [
        p
        for p in pods
        if p["metadata"]["labels"].get("app.kubernetes.io/component") in ("web", "db")
    ]
    assert len(serving) == 3  # two web replicas, one database
    ready = [
        c["status"] for p in serving for c in p["status"]["conditions"] if c["type"] == "Ready"
    ]
    assert ready == ["True"] * 3
    # The LimitRange and the quota were in force when the pods were admitted.
    quota = json.loads(
        run_tool(
            helm.kubectl,
            sim,
            "get",
            "resourcequota",
            "shop-quota",
            "-n",
            "store-shop",
            "-o",
            "json",
        ).stdout
    )
    assert quota["status"]["used"]["pods"] == "3"

    install(helm, sim, "shop", "store-shop", "--set", "replicas=3")
    deployment = json.loads(
        run_tool(
            helm.kubectl, sim, "get", "deployment", "shop-web", "-n", "store-shop", "-o", "json"
        ).stdout
    )
    assert deployment["status"]["readyReplicas"] == 3

    run_tool(helm.path, sim, "rollback", "shop", "1", "-n", "store-shop", *wait_flags(helm))
    history = json.loads(
        run_tool(helm.path, sim, "history", "shop", "-n", "store-shop", "-o", "json").stdout
    )
    assert [h["revision"] for h in history] == [1, 2, 3]
    assert history[-1]["status"] == "deployed"
    releases = json.loads(run_tool(helm.path, sim, "list", "-A", "-o", "json").stdout)
    assert [(r["name"], r["namespace"]) for r in releases] == [("shop", "store-shop")]

    run_tool(helm.path, sim, "uninstall", "shop", "-n", "store-shop", "--wait")
    # The garbage collector removes the pods shortly after their owners, as on a cluster.
    run_tool(
        helm.kubectl,
        sim,
        "wait",
        "--for=delete",
        "pod",
        "-l",
        "app.kubernetes.io/instance=shop",
        "-n",
        "store-shop",
        "--timeout=30s",
    )
    left = run_tool(
        helm.kubectl,
        sim,
        "get",
        "all,secrets,configmaps,pvc,ingress,netpol,quota,limitrange,pdb,roles,rolebindings",
        "-n",
        "store-shop",
        "-l",
        "app.kubernetes.io/instance=shop",
        "-o",
        "name",
    ).stdout
    # A StatefulSet's claims outlive it (persistentVolumeClaimRetentionPolicy: Retain).
    assert left.split() == ["persistentvolumeclaim/data-shop-db-0"]
    assert (
        "sh.helm.release"
        not in run_tool(
            helm.kubectl, sim, "get", "secrets", "-n", "store-shop", "-o", "name"
        ).stdout
    )
    run_tool(helm.kubectl, sim, "delete", "namespace", "store-shop", "--wait", "--timeout=60s")
    gone = run_tool(helm.kubectl, sim, "get", "namespace", "store-shop", check=False)
    assert gone.returncode == 1 and 'namespaces "store-shop" not found' in gone.stderr
    assert run_tool(helm.kubectl, sim, "get", "pvc,pods", "-A", "-o", "name").stdout == ""


def chart_with(tmp_path: Path, manifest: str) -> Path:
    """A one-template chart."""
    chart = tmp_path / "bad"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: bad\nversion: 0.1.0\n")
    (chart / "templates" / "object.yaml").write_text(manifest)
    return chart


def test_unknown_field_meets_the_servers_field_validation(
    helm: HelmBinary, sim, tmp_path: Path
) -> None:
    chart = chart_with(
        tmp_path, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bad\nspec:\n  color: blue\n"
    )
    result = run_tool(helm.path, sim, "install", "bad", str(chart), "-n", "default", check=False)
    if helm.major == "4":  # server-side apply with fieldValidation=Strict: refused
        assert result.returncode == 1
        assert ".spec: field not declared in schema" in result.stderr
    else:  # helm 3 names no fieldValidation: the server's default (Warn) keeps and warns
        assert result.returncode == 0
        assert 'Warning: unknown field \\"spec\\"' in result.stderr


def test_wrong_type_is_refused(helm: HelmBinary, sim, tmp_path: Path) -> None:
    chart = chart_with(
        tmp_path,
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: bad\n"
        "spec:\n  ports:\n    - port: eighty\n",
    )
    result = run_tool(helm.path, sim, "install", "bad", str(chart), "-n", "default", check=False)
    assert result.returncode == 1
    assert "spec.ports" in result.stderr and "port" in result.stderr
    assert run_tool(helm.kubectl, sim, "get", "svc", "bad", check=False).returncode == 1


def test_quota_exceeded_fails_the_install(helm: HelmBinary, sim, tmp_path: Path) -> None:
    run_tool(helm.kubectl, sim, "create", "namespace", "tight")
    run_tool(helm.kubectl, sim, "create", "quota", "tight", "-n", "tight", "--hard=pods=2")
    result = run_tool(
        helm.path,
        sim,
        "upgrade",
        "--install",
        "shop",
        str(CHART),
        "-n",
        "tight",
        *wait_flags(helm),
        "--timeout",
        "5s",
        "--set",
        "replicas=3",
        check=False,
    )
    assert result.returncode == 1
    events = run_tool(
        helm.kubectl,
        sim,
        "get",
        "events",
        "-n",
        "tight",
        "--field-selector",
        "reason=FailedCreate",
        "-o",
        "json",
    ).stdout
    messages = [e["message"] for e in json.loads(events)["items"]]
    assert any(
        "exceeded quota: tight, requested: pods=1, used: pods=2, limited: pods=2" in m
        for m in messages
    )
