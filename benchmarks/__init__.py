"""Storedesk's benchmarks: `python -m benchmarks.run` (or `make bench`).

Every `benchmarks/bench_*.py` module is one benchmark: a `SPEC` and a `run(ctx)` that
measures a figure and, in the same run, its baseline. benchmarks/results.json keeps the
latest outcome of each; `python -m benchmarks.report` prints the README's summary table.
"""
