"""Many stores fast: one real store, then copies of exactly what it left on the cluster.

Installing 200 stores through helm takes minutes; what status reads is what an install
leaves behind. So one store is created for real (StoreService.create, helm), its
namespace, its release's manifest and its helm release record are read back, and each
copy is those objects with the store's name replaced, created in one `kubectl create`.
The simulator's controllers then make the copies' pods and run them to Ready, as for the
original. Only the setup of the measurement is shortcut: what is measured runs the app's
own code.
"""

from __future__ import annotations

import base64
import copy
import gzip
import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from storedesk.cluster.kube import NAMESPACES, SECRETS
from storedesk.domain.models import LEASE_ANNOTATION, Phase, store_namespace
from storedesk.provisioning.service import StoreService

SEED = "benchseedq"  # distinctive: the copies replace every occurrence of it
_SERVER_SET = ("uid", "resourceVersion", "creationTimestamp", "managedFields", "generation")


@dataclass(frozen=True)
class Blueprint:
    """What one installed store left on the cluster, as JSON text keyed by SEED."""

    namespace: str  # the Namespace object
    manifest: str  # the release's manifest (multi-document YAML)
    release_record: dict[str, Any]  # helm's release Secret, payload decoded


def _clean(obj: dict[str, Any]) -> dict[str, Any]:
    obj = copy.deepcopy(obj)
    meta = obj["metadata"]
    for key in _SERVER_SET:
        meta.pop(key, None)
    (meta.get("annotations") or {}).pop(LEASE_ANNOTATION, None)
    obj.pop("status", None)
    return obj


def _decode_release(encoded: str) -> dict[str, Any]:
    # The Secret's data is base64 of helm's own base64 of gzipped JSON.
    return json.loads(gzip.decompress(base64.b64decode(base64.b64decode(encoded))))


def _encode_release(release: dict[str, Any]) -> str:
    packed = base64.b64encode(gzip.compress(json.dumps(release).encode()))
    return base64.b64encode(packed).decode()


def blueprint(service: StoreService, use_keyring: bool) -> Blueprint:
    """Create the seed store for real (helm, wait until Ready) and read back what it left."""
    service.create(SEED, wait=True, use_keyring=use_keyring)
    ns_name = store_namespace(SEED)
    namespace = service.kube.get(NAMESPACES, ns_name)
    records, _ = service.kube.list(
        SECRETS, namespace=ns_name, label_selector=f"owner=helm,name={SEED}"
    )
    if namespace is None or len(records) != 1:
        raise RuntimeError(f"the seed store left {len(records)} release records")
    record = _clean(records[0])
    release = _decode_release(record["data"]["release"])
    record["data"] = {"release": release}
    return Blueprint(json.dumps(_clean(namespace)), release["manifest"], record)


def copies(plan: Blueprint, names: list[str]) -> list[dict[str, Any]]:
    """The objects of stores `names`, as the seed's with its name replaced."""
    objects = []
    for name in names:
        objects.append(json.loads(plan.namespace.replace(SEED, name)))
        for doc in yaml.safe_load_all(plan.manifest.replace(SEED, name)):
            if doc:
                objects.append(doc)
        record = json.loads(json.dumps(plan.release_record).replace(SEED, name))
        record["data"] = {"release": _encode_release(record["data"]["release"])}
        objects.append(record)
    return objects


def add_stores(
    plan: Blueprint, names: list[str], kubectl: Path, kubeconfig: Path, context: str, folder: Path
) -> int:
    """Create the copies with one `kubectl create -f`; returns how many objects."""
    objects = copies(plan, names)
    path = folder / f"stores-{names[0]}-{len(names)}.yaml"
    path.write_text(yaml.safe_dump_all(objects, sort_keys=False))
    done = subprocess.run(
        [
            str(kubectl),
            "--kubeconfig",
            str(kubeconfig),
            "--context",
            context,
            "create",
            "-f",
            str(path),
            "-o",
            "name",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    path.unlink()
    if done.returncode != 0:
        raise RuntimeError(f"kubectl create failed: {done.stderr[-2000:]}")
    return len(objects)


def all_ready(service: StoreService, count: int) -> bool:
    """Whether `count` stores are listed, every one Ready (one list_stores call)."""
    records = service.list_stores()
    return len(records) == count and all(r.status.phase == Phase.READY for r in records)


def store_names(start: int, stop: int) -> list[str]:
    """Names of copies number start..stop-1."""
    return [f"shop{i:04d}" for i in range(start, stop)]
