"""`python -m benchmarks.run [--only KEY ...] [--quick]`: run the benchmarks, print each
figure beside its baseline, and keep the outcomes in benchmarks/results.json."""

from __future__ import annotations

import argparse
import compileall
import json
import os
import shutil
import sys
import tempfile
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from benchmarks.harness import Context, Outcome, discover
from benchmarks.machine import machine_info

RESULTS = Path(__file__).resolve().parent / "results.json"


def load(path: Path = RESULTS) -> dict[str, Any]:
    """results.json as it stands (empty when missing)."""
    if path.exists():
        return json.loads(path.read_text())
    return {"machine": {}, "results": {}}


def save(data: dict[str, Any], path: Path = RESULTS) -> None:
    """Write results.json (results in the issue's order)."""
    path.write_text(json.dumps(data, indent=2) + "\n")


def describe(outcome: Outcome) -> str:
    """One line: figure, baseline, ratio, goal."""
    verdict = {True: "goal met", False: "GOAL MISSED", None: "no goal"}[outcome.met]
    ratio = f"ratio {outcome.ratio:.2f}" if outcome.ratio is not None else "no ratio"
    return (
        f"{outcome.figure:g} {outcome.unit} ({outcome.figure_label}) vs "
        f"{outcome.baseline:g} {outcome.unit} ({outcome.baseline_label}): {ratio}, "
        f"{verdict}"
    )


def run_one(module: ModuleType, quick: bool) -> dict[str, Any]:
    """Run one benchmark in a fresh work folder; its entry for results.json."""
    spec = module.SPEC
    work = Path(tempfile.mkdtemp(prefix=f"storedesk-bench-{spec.key}-"))
    started = time.monotonic()
    entry: dict[str, Any] = {
        "number": spec.number,
        "title": spec.title,
        "goal": spec.goal,
        "quick": quick,
    }
    try:
        outcome = module.run(Context(work=work, quick=quick))
    except Exception as e:  # one broken benchmark must not lose the others' figures
        traceback.print_exc()
        entry["error"] = f"{type(e).__name__}: {e}"
        print(f"[{spec.number}] {spec.key}: FAILED: {entry['error']}", flush=True)
    else:
        entry.update(outcome.to_json())
        print(f"[{spec.number}] {spec.key}: {describe(outcome)}", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    entry["took_s"] = round(time.monotonic() - started, 1)
    entry["measured"] = datetime.now(UTC).isoformat(timespec="seconds")
    return entry


def installed_bytecode() -> None:
    """Measure the app as installed: its bytecode compiled (pip compiles a package when it
    installs it; an editable install writes it at the first start), whatever this shell's
    PYTHONDONTWRITEBYTECODE says. Otherwise every start would compile all of storedesk."""
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    compileall.compile_dir(Path(__file__).resolve().parent.parent / "storedesk", quiet=1)


def main(argv: list[str] | None = None) -> int:
    """Run the chosen benchmarks; 1 if any failed to run (a missed goal is a result)."""
    modules = discover()
    keys = [m.SPEC.key for m in modules]
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    parser.add_argument(
        "--only", nargs="+", choices=keys, metavar="KEY", help=f"run only these ({', '.join(keys)})"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="fewer repetitions and sizes (a smoke run, not for the README)",
    )
    args = parser.parse_args(argv)
    chosen = [m for m in modules if not args.only or m.SPEC.key in args.only]
    installed_bytecode()
    data = load()
    data["machine"] = machine_info(Context(work=Path("."), quick=args.quick).tools)
    started = time.monotonic()
    failed = False
    for module in chosen:
        print(
            f"[{module.SPEC.number}] {module.SPEC.key}: {module.SPEC.title}",
            file=sys.stderr,
            flush=True,
        )
        entry = run_one(module, args.quick)
        failed |= "error" in entry
        data["results"][module.SPEC.key] = entry
        data["results"] = dict(
            sorted(data["results"].items(), key=lambda kv: _position(keys, kv[0]))
        )
        save(data)  # after each one: a later failure keeps the figures so far
    print(
        f"{len(chosen)} benchmark(s) in {time.monotonic() - started:.0f}s; results in {RESULTS}",
        flush=True,
    )
    return 1 if failed else 0


def _position(keys: list[str], key: str) -> int:
    return keys.index(key) if key in keys else len(keys)


if __name__ == "__main__":
    sys.exit(main())
