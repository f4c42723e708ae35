"""The chart's setup script and the kind end-to-end script pass shellcheck."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.chart.chartkit import CHART
from tests.support import ROOT

SCRIPTS = [CHART / "files" / "setup.sh", ROOT / "scripts" / "e2e-kind.sh"]


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
