"""The chart's setup script (files/setup.sh) against a stateful fake `wp` on PATH."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.chart.chartkit import CHART

SCRIPT = CHART / "files" / "setup.sh"
FAKE_WP = Path(__file__).parent / "fakes" / "wp.py"
PASSWORD = "Adm1nPassw0rdQx7"
URL = "http://shop.localhost"


class Site:
    """A WordPress volume and the fake WP-CLI's state (database, plugins, options)."""

    def __init__(self, root: Path) -> None:
        self.html = root / "html"
        (self.html / "wp-includes").mkdir(parents=True)
        self.state_file = root / "wp-state.json"
        # `wp` on PATH runs the fake with this interpreter (no shims, no site: fast starts).
        bin_dir = root / "bin"
        bin_dir.mkdir()
        wp = bin_dir / "wp"
        python = shlex.quote(sys.executable)
        wp.write_text(f'#!/bin/sh\nexec {python} -I -S {shlex.quote(str(FAKE_WP))} "$@"\n')
        wp.chmod(0o755)
        self.env = {
            "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
            "FAKE_WP_STATE": str(self.state_file),
            "WP_PATH": str(self.html),
            "WP_URL": URL,
            "WP_TITLE": "shop",
            "ADMIN_USER": "admin",
            "ADMIN_EMAIL": "owner@example.com",
            "ADMIN_PASSWORD": PASSWORD,
            "WC_VERSION": "11.0.0",
            "SAMPLE_NAME": "Storedesk T-shirt",
            "SAMPLE_PRICE": "19.99",
            "SAMPLE_SKU": "storedesk-sample-tshirt",
            "WAIT_SECONDS": "30",
            "WAIT_INTERVAL": "0",
        }

    def copy_wordpress(self) -> None:
        """What the wordpress container does on its first start."""
        (self.html / "wp-config.php").write_text("<?php // reads WORDPRESS_DB_* at run time\n")
        (self.html / "wp-includes" / "version.php").write_text("<?php $wp_version = '7.1.1';\n")

    def run(self, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", str(SCRIPT)],
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    @property
    def state(self) -> dict:
        return json.loads(self.state_file.read_text()) if self.state_file.exists() else {}

    def set_state(self, **values) -> None:
        self.state_file.write_text(json.dumps({**self.state, **values}))

    def writes(self) -> list[list[str]]:
        return [call["argv"] for call in self.state.get("calls", []) if call["write"]]


@pytest.fixture
def site(tmp_path: Path) -> Site:
    site = Site(tmp_path)
    site.copy_wordpress()
    return site


def _without_calls(state: dict) -> dict:
    return {k: v for k, v in state.items() if k != "calls"}


def test_first_run_opens_a_shop_that_sells(site):
    result = site.run()
    assert result.returncode == 0, result.stderr
    state = site.state
    options = state["options"]
    assert state["installed"] and state["admin_user"] == "admin"
    assert state["admin_password"] == PASSWORD
    assert options["home"] == options["siteurl"] == URL
    assert state["plugins"]["woocommerce"] == {"version": "11.0.0", "active": True}
    for page in ("shop", "cart", "checkout", "myaccount"):
        assert options[f"woocommerce_{page}_page_id"] in state["posts"]
    assert options["woocommerce_coming_soon"] == "no"
    assert options["woocommerce_cod_settings"]["enabled"] == "yes"
    assert [m["method_id"] for m in state["shipping_zone_0"]] == ["free_shipping"]
    assert options["permalink_structure"] == "/%postname%/"
    [product] = state["products"]
    assert product["sku"] == "storedesk-sample-tshirt"
    assert product["regular_price"] == "19.99" and product["status"] == "publish"
    assert options["storedesk_shop_defaults"] == "applied"
    assert f"setup: done; the shop is open at {URL}" in result.stdout


def test_admin_password_never_appears_on_a_command_line(site):
    assert site.run().returncode == 0
    for call in site.state["calls"]:
        assert not any(PASSWORD in arg for arg in call["argv"])


def test_second_run_changes_nothing(site):
    assert site.run().returncode == 0
    before = _without_calls(site.state)
    writes_before = len(site.writes())

    result = site.run()

    assert result.returncode == 0, result.stderr
    assert _without_calls(site.state) == before
    assert site.writes()[writes_before:] == []
    assert "setup: WordPress is installed" in result.stdout
    assert "the shop defaults were applied before" in result.stdout


def test_shop_owner_choices_survive_a_rerun(site):
    assert site.run().returncode == 0
    state = site.state
    state["options"]["woocommerce_coming_soon"] = "yes"
    state["options"]["woocommerce_cod_settings"]["enabled"] = "no"
    site.set_state(options=state["options"])

    assert site.run().returncode == 0

    assert site.state["options"]["woocommerce_coming_soon"] == "yes"
    assert site.state["options"]["woocommerce_cod_settings"]["enabled"] == "no"


def test_a_run_interrupted_before_the_defaults_finishes_them_without_duplicates(site):
    first = site.run(FAKE_WP_FAIL="rewrite structure")
    assert first.returncode != 0
    assert "storedesk_shop_defaults" not in site.state["options"]

    assert site.run().returncode == 0

    state = site.state
    assert len(state["products"]) == 1
    assert [m["method_id"] for m in state["shipping_zone_0"]] == ["free_shipping"]
    assert sum(1 for call in site.writes() if call[:3] == ["wc", "tool", "run"]) == 1
    assert state["options"]["permalink_structure"] == "/%postname%/"


def test_older_woocommerce_is_upgraded_and_its_database_updated(site):
    assert site.run(WC_VERSION="10.7.0").returncode == 0
    assert site.state["plugins"]["woocommerce"]["version"] == "10.7.0"

    result = site.run()

    assert result.returncode == 0, result.stderr
    assert site.state["plugins"]["woocommerce"] == {"version": "11.0.0", "active": True}
    writes = site.writes()
    assert ["plugin", "install", "woocommerce", "--version=11.0.0", "--force"] in writes
    assert writes[-1] == ["wc", "update"]


@pytest.mark.parametrize("installed", ["11.0.0", "11.0.1", "12.0", "11.1.0-beta"])
def test_same_or_newer_woocommerce_is_left_alone(site, installed):
    assert site.run(WC_VERSION=installed).returncode == 0
    writes_before = len(site.writes())

    assert site.run(WC_VERSION="11.0.0").returncode == 0

    assert site.state["plugins"]["woocommerce"]["version"] == installed
    assert site.writes()[writes_before:] == []


def test_versions_compare_as_numbers_not_text(site):
    """9.9.0 is older than 11.0.0 (as text it would sort after it)."""
    assert site.run(WC_VERSION="9.9.0").returncode == 0
    assert site.run().returncode == 0
    assert site.state["plugins"]["woocommerce"]["version"] == "11.0.0"


def test_waits_for_the_database(site):
    site.set_state(db_down_pings=3)
    result = site.run()
    assert result.returncode == 0, result.stderr
    pings = [c for c in site.state["calls"] if c["argv"][:1] == ["eval"]]
    assert len(pings) == 4


def test_gives_up_on_a_database_that_never_answers_and_says_why(site):
    site.set_state(db_down_pings=10**6)
    result = site.run(WAIT_SECONDS="1")
    assert result.returncode == 1
    assert "setup: FAILED while waiting for the database" in result.stderr
    assert "getaddrinfo for db failed" in result.stderr
    assert not site.state.get("installed")


def test_gives_up_when_wordpress_never_copies_its_files(tmp_path):
    site = Site(tmp_path)
    result = site.run(WAIT_SECONDS="1")
    assert result.returncode == 1
    assert "setup: FAILED while waiting for the WordPress files" in result.stderr
    assert site.state == {}


def test_a_failing_step_stops_the_script_naming_the_step(site):
    result = site.run(FAKE_WP_FAIL="plugin install")
    assert result.returncode != 0
    assert "Error: Download failed. Not Found" in result.stderr
    assert "setup: FAILED while installing WooCommerce 11.0.0 (exit code 1)" in result.stderr
    assert result.stderr.count("setup: FAILED") == 1
    # Nothing after the failed step ran.
    assert not any(call[:2] == ["plugin", "activate"] for call in site.writes())
    assert "done" not in result.stdout


def test_a_failure_inside_a_lookup_is_reported_once(site):
    result = site.run(FAKE_WP_FAIL="wc shipping_zone_method list")
    assert result.returncode != 0
    assert result.stderr.count("setup: FAILED") == 1
    assert "setup: FAILED while offering free shipping everywhere" in result.stderr


def test_missing_setting_is_named(site):
    env = dict(site.env)
    del env["WC_VERSION"]
    result = subprocess.run(
        ["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode != 0
    assert "WC_VERSION is required" in result.stderr
    assert site.state == {}


def test_address_follows_a_changed_domain(site):
    assert site.run().returncode == 0
    result = site.run(WP_URL="https://shop.example.org")
    assert result.returncode == 0, result.stderr
    options = site.state["options"]
    assert options["home"] == options["siteurl"] == "https://shop.example.org"
