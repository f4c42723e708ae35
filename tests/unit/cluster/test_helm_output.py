"""Reading helm's JSON, the values document helm reads from stdin, removing the values
folders older versions left behind, helm's clean environment, the process cap.

The JSON texts were printed by helm v3.19.0 and v4.1.4 (identical for both) from releases
loaded into helm's memory storage driver."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from storedesk.cluster.helm import (
    ProcessSlots,
    ReleaseInfo,
    _values_document,
    helm_env,
    parse_history,
    parse_list,
    parse_release,
    remove_stale_values_dirs,
)
from storedesk.errors import InvalidInput

STATUS = (
    '{"name":"shop","info":{"first_deployed":"2025-01-01T10:00:00Z","last_deployed":'
    '"2025-01-02T10:00:00.123456Z","deleted":"","description":"Upgrade complete","status":'
    '"deployed"},"config":{"db":{"password":"s3cret"}},"version":2,"namespace":"store-a"}'
)
LIST = (
    '[{"name":"bad","namespace":"store-a","revision":"1","updated":"2025-01-03 10:00:00 +0000 '
    'UTC","status":"failed","chart":"woocommerce-0.1.0","app_version":""},{"name":"shop",'
    '"namespace":"store-a","revision":"2","updated":"2025-01-02 10:00:00.123456 +0000 UTC",'
    '"status":"deployed","chart":"woocommerce-0.1.0","app_version":"9.0"}]'
)
HISTORY = (
    '[{"revision":1,"updated":"2025-01-01T10:00:00Z","status":"superseded","chart":'
    '"woocommerce-0.1.0","app_version":"9.0","description":"Install complete"},{"revision":2,'
    '"updated":"2025-01-02T10:00:00.123456Z","status":"deployed","chart":"woocommerce-0.1.0",'
    '"app_version":"9.0","description":"Upgrade complete"}]'
)
UPDATED = datetime(2025, 1, 2, 10, 0, 0, 123456, tzinfo=UTC)


def test_status_json_without_values() -> None:
    info = parse_release(json.loads(STATUS))
    assert info == ReleaseInfo(
        name="shop",
        namespace="store-a",
        revision=2,
        status="deployed",
        description="Upgrade complete",
        updated=UPDATED,
    )
    assert "s3cret" not in repr(info)


def test_upgrade_json_carries_chart() -> None:
    data = json.loads(STATUS)
    data["chart"] = {"metadata": {"name": "woocommerce", "version": "0.1.0", "appVersion": "9.0"}}
    info = parse_release(data)
    assert (info.chart, info.app_version) == ("woocommerce-0.1.0", "9.0")


def test_list_json() -> None:
    bad, shop = parse_list(json.loads(LIST))
    assert (bad.name, bad.revision, bad.status) == ("bad", 1, "failed")
    assert bad.updated == datetime(2025, 1, 3, 10, 0, tzinfo=UTC)
    assert (shop.revision, shop.chart, shop.app_version, shop.updated) == (
        2,
        "woocommerce-0.1.0",
        "9.0",
        UPDATED,
    )


def test_history_json() -> None:
    first, second = parse_history(json.loads(HISTORY), "shop", "store-a")
    assert (first.revision, first.status, first.description) == (
        1,
        "superseded",
        "Install complete",
    )
    assert (second.name, second.namespace, second.revision, second.updated) == (
        "shop",
        "store-a",
        2,
        UPDATED,
    )


def test_values_document_keeps_yaml_words_as_strings() -> None:
    values = {"db": {"password": "no"}, "admin": {"user": "yes"}}
    # JSON keeps "no"/"yes" strings (plain YAML would turn them into booleans).
    assert json.loads(_values_document(values)) == values


def _old_values_dir(parent: Path, name: str, age: float = 120.0) -> Path:
    """A folder as Storedesk 0.1 left it: storedesk-helm-*/values.json, `age` seconds old."""
    folder = parent / f"storedesk-helm-{name}"
    folder.mkdir(mode=0o700)
    (folder / "values.json").write_text('{"auth": {"adminPassword": "old-secret"}}')
    then = time.time() - age
    os.utime(folder, (then, then))
    return folder


def test_values_folders_of_dead_runs_are_removed(tmp_path: Path) -> None:
    abandoned = _old_values_dir(tmp_path, "abandoned")
    assert remove_stale_values_dirs({}, [tmp_path]) == [abandoned]
    assert list(tmp_path.iterdir()) == []


def test_values_folders_that_may_be_in_use_or_not_ours_stay(tmp_path: Path) -> None:
    fresh = _old_values_dir(tmp_path, "fresh", age=0)  # an old version may be starting helm
    in_use = _old_values_dir(tmp_path, "inuse")
    other = _old_values_dir(tmp_path, "other")
    (other / "notes.txt").write_text("not what Storedesk writes")
    plain_file = tmp_path / "storedesk-helm-file"
    plain_file.write_text("a file, not a folder")
    unrelated = tmp_path / "helm-abc"
    unrelated.mkdir()
    # A running process naming the folder in its argv, as helm names its values file.
    holder = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)", str(in_use / "values.json")]
    )
    try:
        deadline = time.monotonic() + 10
        while str(in_use).encode() not in Path(f"/proc/{holder.pid}/cmdline").read_bytes():
            assert time.monotonic() < deadline, "the holder never started"
            time.sleep(0.01)
        assert remove_stale_values_dirs({}, [tmp_path]) == []
    finally:
        holder.kill()
        holder.wait()
    assert {p.name for p in tmp_path.iterdir()} == {
        fresh.name,
        in_use.name,
        other.name,
        plain_file.name,
        unrelated.name,
    }


def test_helm_env_is_clean() -> None:
    base = {
        "HOME": "/home/u",
        "PATH": "/usr/bin",
        "KUBECONFIG": "/other/config",
        "HELM_DRIVER": "configmap",
        "HELM_KUBECONTEXT": "prod",
        "AWS_PROFILE": "shop",
        "HTTPS_PROXY": "http://proxy:3128",
        "STOREDESK_SECRET": "x",
        "SHELL": "/nonexistent/shell",  # no login shell to ask in a unit test
    }
    env = helm_env(base, {"KUBECONFIG": "/k/a:/k/b"})
    assert env["KUBECONFIG"] == "/k/a:/k/b"
    assert env["AWS_PROFILE"] == "shop" and env["HTTPS_PROXY"] == "http://proxy:3128"
    assert not {"HELM_DRIVER", "HELM_KUBECONTEXT", "STOREDESK_SECRET"} & set(env)
    dirs = env["PATH"].split(":")
    assert dirs[0] == "/usr/bin" and "/home/u/.local/bin" in dirs and "/usr/local/bin" in dirs


def test_process_slots_cap_concurrency() -> None:
    slots = ProcessSlots(2)
    running, peak, lock = 0, 0, threading.Lock()

    def work() -> None:
        nonlocal running, peak
        with slots:
            with lock:
                running += 1
                peak = max(peak, running)
            time.sleep(0.05)
            with lock:
                running -= 1

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak == 2


def test_process_slots_need_at_least_one() -> None:
    with pytest.raises(InvalidInput, match="at least 1"):
        ProcessSlots(0)
