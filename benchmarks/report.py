"""`python -m benchmarks.report`: the README's benchmark summary (Markdown) from
benchmarks/results.json."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from benchmarks.run import RESULTS, load


def _number(value: float) -> str:
    return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"


def machine_line(machine: dict[str, Any]) -> str:
    """Where and when: one sentence."""
    helm = " and ".join(machine.get("helm", {}).values()) or "no helm"
    return (
        f"Measured {machine.get('date', '?')[:10]} on {machine.get('cpu', '?')}, "
        f"{machine.get('cores', '?')} cores, {machine.get('ram_gb', '?')} GB RAM, "
        f"Python {machine.get('python', '?')}, helm {helm}, commit "
        f"{machine.get('commit', '?')}; simulator on the same machine."
    )


def row(entry: dict[str, Any]) -> str:
    """One benchmark's table row."""
    title = entry["title"].split(":")[0]
    goal = entry.get("goal") or "-"
    if "error" in entry:
        return f"| {entry['number']} | {title} | failed to run: {entry['error']} | | | {goal} | |"
    unit = entry["unit"]
    result = f"{_number(entry['figure'])} {unit} ({entry['figure_label']})"
    baseline = f"{_number(entry['baseline'])} {unit} ({entry['baseline_label']})"
    ratio = f"{entry['ratio']:.2f}" if entry.get("ratio") is not None else "-"
    met = {True: "yes", False: "**no**", None: "-"}[entry["met"]]
    if entry.get("quick"):
        met += " (quick run)"
    return f"| {entry['number']} | {title} | {result} | {baseline} | {ratio} | {goal} | {met} |"


def render(data: dict[str, Any]) -> str:
    """The summary: machine line, table, then each benchmark's notes."""
    lines = [
        machine_line(data.get("machine", {})),
        "",
        "| # | Benchmark | Result | Baseline (same run) | Ratio | Goal | Met |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    entries = list(data.get("results", {}).values())
    lines += [row(e) for e in entries]
    notes = [(e["number"], n) for e in entries for n in e.get("notes", [])]
    if notes:
        lines.append("")
        lines += [f"- {number}: {note}" for number, note in notes]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print the summary of results.json (or of the file given)."""
    args = argv if argv is not None else sys.argv[1:]
    path = Path(args[0]) if args else RESULTS
    if not path.exists():
        print(f"no results at {path}: run `make bench` first", file=sys.stderr)
        return 1
    print(render(load(path)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
