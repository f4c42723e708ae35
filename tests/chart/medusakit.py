"""The Medusa chart for the chart tests: its folder, a store's secret values (as Storedesk
passes them), its shipped values files, and rendering it."""

from __future__ import annotations

from pathlib import Path

from tests.chart import chartkit
from tests.support import ROOT

CHART = ROOT / "charts" / "medusa"
LIB = ROOT / "charts" / "storedesk-lib"

SECRET_VALUES = {
    "auth": {
        "adminUser": "owner@example.com",
        "adminEmail": "owner@example.com",
        "adminPassword": "Adm1nPassw0rdQx7",
        "databasePassword": "Db2PasswordKw9z",
        "redisPassword": "Rd3PasswordQq8x",
        "jwtSecret": "Jw7SecretValueAbcd1234",
        "cookieSecret": "Ck8SecretValueEfgh5678",
        "publishableKey": "Pk5PublishableKeyMn3v",
    }
}
SECRETS = [v for k, v in SECRET_VALUES["auth"].items() if not k.startswith("admin")] + [
    SECRET_VALUES["auth"]["adminPassword"]
]

SHIPPED = [None, CHART / "values-local.yaml", CHART / "values-prod.yaml"]
SHIPPED_IDS = ["defaults", "local", "prod"]


def render(helm, tmp_path: Path, *extra_files: Path, values: dict | None = None) -> list[dict]:
    """The Medusa chart's manifests for the test store (fails the test when helm fails)."""
    return chartkit.render(
        helm, tmp_path, *extra_files, values=values, chart=CHART, secrets=SECRET_VALUES
    )


def template_args(tmp_path: Path, *extra_files: Path, values: dict | None = None) -> list[str]:
    """`helm template` arguments for the Medusa test store."""
    return chartkit.template_args(
        tmp_path, *extra_files, values=values, chart=CHART, secrets=SECRET_VALUES
    )


def containers(doc: dict) -> list[dict]:
    """The containers (init containers included) of an object that makes pods."""
    if doc["kind"] == "Pod":
        spec = doc["spec"]
    elif doc["kind"] in ("Deployment", "Job", "StatefulSet"):
        spec = doc["spec"]["template"]["spec"]
    else:
        return []
    return [*spec.get("initContainers", []), *spec["containers"]]


def env_of(container: dict) -> dict[str, dict]:
    """A container's environment: name -> its entry."""
    return {e["name"]: e for e in container.get("env", [])}


def by_name(docs: list[dict], kind: str) -> dict[str, dict]:
    """The objects of `kind`, by name."""
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}
