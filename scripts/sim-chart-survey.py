#!/usr/bin/env python3
"""Measure the simulator against a public chart repository: every chart is installed,
upgraded, rolled back and uninstalled with both helm majors (`--wait`), each on a fresh
simulated cluster, and the results are printed as a table.

    .venv/bin/python scripts/sim-chart-survey.py /path/to/helm-charts-checkout [--only a,b]

The checkout is a local clone of a chart repository (a folder of charts, e.g. the `charts/`
folder of prometheus-community/helm-charts); nothing is downloaded. A chart's dependencies
are taken from its own charts/ folder or from a sibling chart of the same name in the
checkout; a dependency found in neither is reported as not available offline. Charts are
installed with their default values, as a user who runs `helm install` gets them.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from storedesk.sim import Simulator  # noqa: E402

TOOLS = Path(os.environ.get("STOREDESK_TOOLS", ROOT / ".cache" / "tools"))
STEPS = ("install", "upgrade", "rollback", "uninstall")


@dataclass
class Outcome:
    """One chart with one helm major: the first step that failed, and why."""

    passed: list[str] = field(default_factory=list)
    failed_step: str = ""
    reason: str = ""

    def cell(self) -> str:
        if not self.failed_step:
            return "pass"
        return f"fail at {self.failed_step}: {self.reason}"


def charts_in(checkout: Path) -> dict[str, Path]:
    """Chart folders (holding a Chart.yaml) by chart name."""
    base = checkout / "charts" if (checkout / "charts").is_dir() else checkout
    found = {}
    for chart_yaml in sorted(base.glob("*/Chart.yaml")):
        name = yaml.safe_load(chart_yaml.read_text()).get("name") or chart_yaml.parent.name
        found[name] = chart_yaml.parent
    return found


def leave_out_optional(chart: Path, missing: list[str]) -> list[str]:
    """Drop the missing dependencies that have a `condition` from the copy's Chart.yaml;
    returns the conditions to set false (an empty list when a missing one is required)."""
    meta = yaml.safe_load((chart / "Chart.yaml").read_text())
    names = {m.split(" ")[0] for m in missing}
    dropped = [d for d in meta.get("dependencies") or [] if d["name"] in names]
    if any(not d.get("condition") for d in dropped):
        return []
    meta["dependencies"] = [d for d in meta["dependencies"] if d["name"] not in names]
    (chart / "Chart.yaml").write_text(yaml.safe_dump(meta, sort_keys=False))
    return [d["condition"].split(",")[0] for d in dropped]


def vendor(chart: Path, into: Path, siblings: dict[str, Path]) -> list[str]:
    """Copy `chart` to `into` with its dependencies in charts/; the ones missing offline."""
    shutil.copytree(chart, into, symlinks=False)
    meta = yaml.safe_load((into / "Chart.yaml").read_text())
    missing = []
    for dep in meta.get("dependencies") or []:
        name = dep["name"]
        local = into / "charts" / name
        if local.is_dir() or any((into / "charts").glob(f"{name}-*.tgz")):
            continue
        repository = dep.get("repository", "")
        if repository.startswith("file://"):
            source = (chart / repository[len("file://") :]).resolve()
        else:
            source = siblings.get(name)
        if source is None or not source.is_dir():
            missing.append(f"{name} ({repository or 'no repository'})")
            continue
        (into / "charts").mkdir(exist_ok=True)
        missing += vendor(source, local, siblings)
    return missing


def helm(major: str, sim: Simulator, *args: str, timeout: float) -> subprocess.CompletedProcess:
    binary = TOOLS / f"helm{major}" / "helm"
    argv = [str(binary), "--kubeconfig", str(sim.kubeconfig), "--kube-context", sim.context]
    return subprocess.run(
        [*argv, *args], capture_output=True, text=True, timeout=timeout + 30, check=False
    )


def first_error(stderr: str) -> str:
    """The line that says what went wrong (helm prints `Error: ...`)."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in lines:
        if line.startswith("Error:"):
            return line.removeprefix("Error:").strip()
    return lines[-1] if lines else "failed without a message"


def survey_one(chart: Path, major: str, timeout: float, off: list[str]) -> Outcome:
    """install, upgrade, rollback, uninstall on a fresh simulated cluster (with the
    conditions in `off` set false)."""
    outcome = Outcome()
    wait = ["--wait=watcher"] if major == "4" else ["--wait"]
    namespace, release = "survey", chart.name[:40]
    sets = [f"--set={c}=false" for c in off]
    common = ["-n", namespace, "--timeout", f"{int(timeout)}s"]
    steps = {
        "install": ["install", release, str(chart), "--create-namespace", *common, *sets, *wait],
        "upgrade": ["upgrade", release, str(chart), *common, *sets, *wait],
        "rollback": ["rollback", release, "1", *common, *wait],
        "uninstall": ["uninstall", release, *common, "--wait"],
    }
    with Simulator(ready_delay=0.2) as sim:
        for step in STEPS:
            try:
                done = helm(major, sim, *steps[step], timeout=timeout)
            except subprocess.TimeoutExpired:
                outcome.failed_step, outcome.reason = step, "helm did not finish"
                return outcome
            if done.returncode != 0:
                outcome.failed_step, outcome.reason = step, first_error(done.stderr)
                return outcome
            outcome.passed.append(step)
    return outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkout", type=Path, help="a local chart repository checkout")
    parser.add_argument("--only", default="", help="comma-separated chart names")
    parser.add_argument("--majors", default="3,4", help="helm majors to use (default 3,4)")
    parser.add_argument("--timeout", type=float, default=120, help="seconds per helm step")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    charts = charts_in(args.checkout)
    wanted = [n for n in args.only.split(",") if n] or list(charts)
    majors = [m for m in args.majors.split(",") if m]
    results = []
    with tempfile.TemporaryDirectory(prefix="sim-survey-") as scratch:
        for name in wanted:
            source = charts[name]
            version = yaml.safe_load((source / "Chart.yaml").read_text()).get("version", "")
            copy = Path(scratch) / name
            missing = vendor(source, copy, charts)
            off = leave_out_optional(copy, missing) if missing else []
            row = {"chart": name, "version": version}
            for major in majors:
                if missing and not off:
                    row[f"helm{major}"] = "not run"
                    continue
                row[f"helm{major}"] = survey_one(copy, major, args.timeout, off).cell()
            row["notes"] = ""
            if missing:
                row["notes"] = "needs dependencies not available offline: " + ", ".join(missing)
            if off:
                row["notes"] += "; run without them (" + ", ".join(f"{c}=false" for c in off) + ")"
            results.append(row)
            print(
                f"{name}: " + "; ".join(f"{k}={v}" for k, v in row.items() if k != "chart"),
                file=sys.stderr,
                flush=True,
            )
    columns = ["chart", "version", *(f"helm{m}" for m in majors), "notes"]
    print("| " + " | ".join(columns) + " |")
    print("| " + " | ".join("---" for _ in columns) + " |")
    for row in results:
        print("| " + " | ".join(str(row.get(c, "")).replace("|", "\\|") for c in columns) + " |")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
