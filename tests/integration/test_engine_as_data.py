"""An engine is a chart folder plus a manifest: a test-only engine, unknown to the code, goes
through create, list, credentials, rollback and delete with the CLI (issue 13)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.engine_support import unique_store
from tests.integration.test_cli import storedesk

pytestmark = [pytest.mark.helm, pytest.mark.keyring]
ENGINES = Path(__file__).resolve().parents[1] / "engines"


def test_a_test_only_engine_lives_its_whole_life_through_the_cli(sim, tmp_path: Path) -> None:
    env = {"STOREDESK_ENGINES": str(ENGINES)}
    name = unique_store("tiny")

    def run(*args: str):
        return storedesk(sim, *args, env=env, data_dir=tmp_path)

    created = run("create", name, "--engine", "tinyshop", "--wait")
    assert created.returncode == 0, created.stderr
    assert f"store {name}: Ready at http://{name}.localhost/" in created.stdout

    listed = json.loads(run("list", "-o", "json").stdout)["stores"]
    assert [(s["name"], s["engine"], s["status"]) for s in listed] == [(name, "tinyshop", "Ready")]
    assert listed[0]["admin_url"] == f"http://{name}.localhost/admin/"

    shown = json.loads(run("credentials", name, "--reveal", "-o", "json").stdout)
    assert (shown["admin_user"], shown["admin_email"]) == ("owner", f"owner@{name}.localhost")
    assert set(shown) == {
        "store",
        "admin_user",
        "admin_email",
        "admin_password",
        "api_token",
        "revealed",
    }

    again = run("create", name)  # the store's engine comes from its namespace
    assert again.returncode == 0, again.stderr
    after = json.loads(run("credentials", name, "--reveal", "-o", "json").stdout)
    assert after == shown  # no password rotated

    rolled = run("rollback", name, "--wait")
    assert rolled.returncode == 0, rolled.stderr
    history = json.loads(run("history", name, "-o", "json").stdout)
    assert [h["revision"] for h in history] == [1, 2, 3]
    assert history[-1]["chart"] == "tinyshop-0.1.0"

    deleted = run("delete", name, "--yes", "--wait")
    assert deleted.returncode == 0, deleted.stderr
    assert json.loads(run("list", "-o", "json").stdout)["stores"] == []


def test_an_engine_is_refused_as_typed_and_named_among_those_there_are(sim, tmp_path: Path) -> None:
    refused = storedesk(
        sim,
        "create",
        "shop",
        "--engine",
        "TinyShop",
        data_dir=tmp_path,
        env={"STOREDESK_ENGINES": str(ENGINES)},
    )
    assert refused.returncode == 2
    assert "unknown engine 'TinyShop'" in refused.stderr
    assert "engines: woocommerce, " in refused.stderr and "tinyshop" in refused.stderr
    assert sim.request_counts() == {} or "namespaces" not in str(sim.request_counts())


def test_engines_folders_must_exist(sim, tmp_path: Path) -> None:
    refused = storedesk(
        sim, "list", data_dir=tmp_path, env={"STOREDESK_ENGINES": str(tmp_path / "nope")}
    )
    assert refused.returncode == 2
    assert "STOREDESK_ENGINES" in refused.stderr
