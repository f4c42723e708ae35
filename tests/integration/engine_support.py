"""Helpers for engine tests: a StoreService on the simulator with a chosen helm."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
from pathlib import Path

from storedesk.cluster.helm import HelmRunner
from storedesk.cluster.kubeconfig import ClusterTarget
from storedesk.domain.credentials import KeyringKey
from storedesk.provisioning.engines import engines
from storedesk.provisioning.service import Settings, StoreService
from storedesk.sim import Simulator
from tests.support import HelmBinary, run_tool

_names = itertools.count()
WOOCOMMERCE = engines().get("woocommerce")


def unique_store(prefix: str = "shop") -> str:
    """A store name no other test uses (keyring entries outlive a simulator)."""
    return f"{prefix}{os.getpid() % 1000}x{next(_names)}"


def service_for(
    sim: Simulator, helm: HelmBinary, data_dir: Path, timeout: float = 120
) -> StoreService:
    """A StoreService on `sim` running `helm`."""
    target = ClusterTarget((sim.kubeconfig,), sim.context)
    runner = HelmRunner(target, env={**os.environ, "STOREDESK_HELM": str(helm.path)})
    return StoreService(target, settings=Settings(data_dir=data_dir, timeout=timeout), helm=runner)


def keyring_key(sim: Simulator, store: str) -> KeyringKey:
    """The keyring entry of `store` on `sim`: bound to this simulator's own identity."""
    return StoreService(ClusterTarget((sim.kubeconfig,), sim.context)).store_credentials.key(store)


def keyring_lookup(key: KeyringKey) -> dict | None:
    """Read the keyring entry with an independent client (secret-tool)."""
    result = subprocess.run(
        ["secret-tool", "lookup", "service", "storedesk", "username", key.username],
        capture_output=True,
        text=True,
    )
    return json.loads(result.stdout) if result.returncode == 0 and result.stdout else None


def cluster_secret(sim: Simulator, helm: HelmBinary, store: str) -> dict[str, str]:
    """The store's credentials Secret, decoded."""
    import base64

    out = run_tool(
        helm.kubectl,
        sim,
        "get",
        "secret",
        f"{store}-credentials",
        "-n",
        f"store-{store}",
        "-o",
        "json",
    ).stdout
    return {k: base64.b64decode(v).decode() for k, v in json.loads(out)["data"].items()}


def helm_secrets(sim: Simulator, helm: HelmBinary, store: str) -> list[str]:
    """helm's release records of a store, in any namespace."""
    out = run_tool(
        helm.kubectl, sim, "get", "secrets", "-A", "-l", f"owner=helm,name={store}", "-o", "name"
    ).stdout
    return out.split()
