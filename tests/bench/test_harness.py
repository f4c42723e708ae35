"""The benchmark harness itself: discovery, statistics, the README table, store copies.
(No timing here: the benchmarks run with `make bench`.)"""

from __future__ import annotations

import base64
import gzip
import json

import yaml

from benchmarks.harness import Outcome, discover, percentile
from benchmarks.population import SEED, Blueprint, copies
from benchmarks.report import render


def test_every_benchmark_is_found_once_in_the_issues_order() -> None:
    specs = [module.SPEC for module in discover()]
    assert [s.number for s in specs] == [
        "1",
        "2",
        "3a",
        "3b",
        "4",
        "5",
        "6a",
        "6b",
        "7",
        "8a",
        "8b",
    ]
    assert len({s.key for s in specs}) == len(specs)
    assert all(callable(module.run) for module in discover())


def test_nearest_rank_percentile() -> None:
    values = [float(v) for v in range(1, 21)]  # 1..20
    assert percentile(values, 95) == 19.0
    assert percentile(values, 100) == 20.0
    assert percentile([3.0], 50) == 3.0


def test_ratio_is_figure_over_baseline_unless_given() -> None:
    assert Outcome(3.0, "s", "f", 2.0, "b", met=True).ratio == 1.5
    assert Outcome(5.0, "requests", "f", 5.0, "b", met=True, ratio=1.0).ratio == 1.0


def test_report_shows_figures_baselines_missed_goals_and_failures() -> None:
    data = {
        "machine": {
            "date": "2026-01-02T03:04:05+00:00",
            "cpu": "AMD EPYC",
            "cores": 2,
            "ram_gb": 23.5,
            "python": "3.11.7",
            "helm": {"4": "v4.1.4"},
            "commit": "abc1234",
        },
        "results": {
            "overhead": {
                "number": "1",
                "title": "Overhead: x",
                "goal": "ratio <= 1.10",
                **Outcome(3.9, "s", "storedesk", 5.3, "helm", met=True).to_json(),
                "notes": ["a note"],
            },
            "concurrency": {
                "number": "2",
                "title": "Concurrency: y",
                "goal": "<= 3x",
                **Outcome(21.0, "s", "20 stores", 3.1, "one", met=False).to_json(),
            },
            "startup": {
                "number": "6a",
                "title": "Start-up: z",
                "goal": "<= 1.5 s",
                "error": "RuntimeError: no window",
            },
        },
    }
    lines = render(data).splitlines()
    assert lines[0].startswith("Measured 2026-01-02 on AMD EPYC, 2 cores")
    assert (
        "| 1 | Overhead | 3.9 s (storedesk) | 5.3 s (helm) | 0.74 | ratio <= 1.10 | yes |" in lines
    )
    assert any(line.startswith("| 2 | Concurrency |") and "| **no** |" in line for line in lines)
    assert any("failed to run: RuntimeError: no window" in line for line in lines)
    assert "- 1: a note" in lines


def test_store_copies_rename_every_object_and_keep_helm_records_readable() -> None:
    plan = Blueprint(
        namespace=json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": f"store-{SEED}", "labels": {"storedesk.io/store": SEED}},
            }
        ),
        manifest=f"---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: {SEED}-credentials\n"
        f"  namespace: store-{SEED}\n",
        release_record={
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {
                "name": f"sh.helm.release.v1.{SEED}.v1",
                "namespace": f"store-{SEED}",
                "labels": {"name": SEED, "owner": "helm"},
            },
            "data": {"release": {"name": SEED, "namespace": f"store-{SEED}"}},
        },
    )
    objects = copies(plan, ["shop0001", "shop0002"])
    assert [(o["kind"], o["metadata"]["name"]) for o in objects[:3]] == [
        ("Namespace", "store-shop0001"),
        ("Secret", "shop0001-credentials"),
        ("Secret", "sh.helm.release.v1.shop0001.v1"),
    ]
    assert SEED not in yaml.safe_dump_all(objects)
    record = objects[5]["data"]["release"]
    decoded = json.loads(gzip.decompress(base64.b64decode(base64.b64decode(record))))
    assert decoded == {"name": "shop0002", "namespace": "store-shop0002"}
