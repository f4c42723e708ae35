"""The Medusa setup script and the e2e's Medusa checkout pass shellcheck; the seed and the
config are the files the setup Job mounts (issue 14)."""

from __future__ import annotations

import shutil
import subprocess

import pytest
import yaml

from tests.chart.medusakit import CHART
from tests.support import ROOT

SCRIPTS = [CHART / "files" / "setup.sh", ROOT / "scripts" / "lib" / "medusa.sh"]


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.name for s in SCRIPTS])
def test_script_passes_shellcheck(script):
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        pytest.fail("shellcheck is not installed: scripts/install-system-deps.sh test adds it")
    result = subprocess.run(
        [shellcheck, "--shell=bash", "--severity=info", str(script)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout


def test_node_parses_the_seed_script():
    node = shutil.which("node")
    if node is None:
        pytest.skip("no node on this machine")  # the chart's images have it; CI may not
    result = subprocess.run(
        [node, "--check", str(CHART / "files" / "seed.js")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_the_seed_takes_every_setting_from_the_environment_the_job_gives():
    """Every variable seed.js needs is set on the setup Job (by name)."""
    import re

    seed = (CHART / "files" / "seed.js").read_text()
    needed = set(re.findall(r'need\("([A-Z_]+)"\)', seed))
    template = (CHART / "templates" / "setup-job.yaml").read_text()
    given = set(re.findall(r"- name: ([A-Z_]+)", template))
    helpers = (CHART / "templates" / "_helpers.tpl").read_text()
    given |= set(re.findall(r"- name: ([A-Z_]+)", helpers))
    assert needed and needed <= given, sorted(needed - given)
    assert "ADMIN_PASSWORD" in needed and "PUBLISHABLE_KEY" in needed


def test_the_config_takes_every_secret_from_the_environment():
    import re

    config = (CHART / "files" / "medusa-config.ts").read_text()
    for name in ("DATABASE_URL", "REDIS_URL", "JWT_SECRET", "COOKIE_SECRET"):
        assert f"process.env.{name}" in config
    # No fallback: a missing secret must not become the starter's shared "supersecret".
    assert not re.search(r"(JWT|COOKIE)_SECRET\s*\|\|", config)
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    assert values["auth"]["jwtSecret"] == "" and values["auth"]["cookieSecret"] == ""
