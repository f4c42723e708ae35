"""Helpers for the chart tests: the chart, a store's values, and helm run as Storedesk runs it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.support import ROOT

CHART = ROOT / "charts" / "woocommerce"
STORE = "shop"
NAMESPACE = f"store-{STORE}"

# What Storedesk passes: plain values, and the secret ones through a private file.
PLAIN_VALUES = {"storeName": STORE, "domain": "localhost"}
SECRET_VALUES = {
    "auth": {
        "adminUser": "admin",
        "adminEmail": "owner@example.com",
        "adminPassword": "Adm1nPassw0rdQx7",
        "databasePassword": "Db2PasswordKw9z",
        "databaseRootPassword": "R00tPasswordMv4c",
    }
}
PASSWORDS = [v for k, v in SECRET_VALUES["auth"].items() if k.endswith("Password")]


def values_file(folder: Path, values: dict, name: str = "values.yaml") -> Path:
    """Write `values` to a file only its owner can read (how secret values reach helm)."""
    path = folder / name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        yaml.safe_dump(values, out)
    return path


def helm_env(kubeconfig: Path | None, home: Path) -> dict[str, str]:
    """An environment whose only cluster is `kubeconfig` (none: a file that does not exist)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HELM_", "KUBE"))}
    env["KUBECONFIG"] = str(kubeconfig or home / "no-cluster-here")
    for kind in ("CACHE", "CONFIG", "DATA"):
        env[f"HELM_{kind}_HOME"] = str(home / f"helm-{kind.lower()}")
    return env


def run_helm(
    helm, args: list[str], home: Path, kubeconfig: Path | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run the pinned helm binary; never raises on a non-zero exit."""
    return subprocess.run(
        [str(helm.path), *args],
        env=helm_env(kubeconfig, home),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def template_args(
    tmp_path: Path,
    *extra_files: Path,
    values: dict | None = None,
    chart: Path = CHART,
    secrets: dict | None = None,
) -> list[str]:
    """`helm template` arguments for the test store, secret values in a 0600 file."""
    secret_values = SECRET_VALUES if secrets is None else secrets
    files = [*extra_files, values_file(tmp_path, {**PLAIN_VALUES, **secret_values})]
    if values:
        files.append(values_file(tmp_path, values, "overrides.yaml"))
    args = ["template", STORE, str(chart), "--namespace", NAMESPACE]
    for path in files:
        args += ["--values", str(path)]
    return args


def render(
    helm,
    tmp_path: Path,
    *extra_files: Path,
    values: dict | None = None,
    chart: Path = CHART,
    secrets: dict | None = None,
) -> list[dict]:
    """The chart's manifests for the test store (fails the test when helm fails)."""
    args = template_args(tmp_path, *extra_files, values=values, chart=chart, secrets=secrets)
    result = run_helm(helm, args, tmp_path)
    if result.returncode != 0:
        pytest.fail(f"helm template failed:\n{result.stderr}")
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def pod_specs(docs: list[dict]) -> list[tuple[dict, dict]]:
    """(object, pod spec) for every object that makes pods."""
    specs = []
    for doc in docs:
        if doc["kind"] == "Pod":
            specs.append((doc, doc["spec"]))
        elif doc["kind"] in ("Deployment", "StatefulSet", "Job", "DaemonSet"):
            specs.append((doc, doc["spec"]["template"]["spec"]))
        elif doc["kind"] == "CronJob":
            specs.append((doc, doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]))
    return specs


def pod_template(doc: dict) -> dict:
    """The pod template of an object that makes pods (the object itself for a Pod)."""
    if doc["kind"] == "Pod":
        return doc
    if doc["kind"] == "CronJob":
        return doc["spec"]["jobTemplate"]["spec"]["template"]
    return doc["spec"]["template"]


# The values files the chart ships, each tested like the defaults.
SHIPPED = [None, CHART / "values-local.yaml", CHART / "values-prod.yaml"]
SHIPPED_IDS = ["defaults", "local", "prod"]
