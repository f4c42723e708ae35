"""A store, release or ingress class named like a YAML boolean renders as that name.

YAML (helm and Kubernetes parse manifests as YAML 1.1) reads a bare yes, no, on, off, y,
n, true, false or null as a boolean or null: an unquoted label value, selector or name
carrying such a word made helm fail every install ("cannot unmarshal bool"). Storedesk
refuses these store names, and the chart quotes every such value anyway.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.chart.chartkit import CHART, PLAIN_VALUES, SECRET_VALUES, run_helm

# Names that appear nowhere else in the chart, so replacing them is exact.
PLAIN = "zqxname"
PLAIN_CLASS = "zqxclass"


class Yaml11Loader(yaml.SafeLoader):
    """PyYAML, reading booleans as helm's YAML 1.1 parser does (PyYAML leaves out y, n)."""

    bool_values = {**yaml.SafeLoader.bool_values, "y": True, "n": False}


Yaml11Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:y|Y|n|N)$"), list("yYnN")
)


def values_file(folder: Path, values: dict) -> Path:
    """`values` as JSON (as Storedesk passes them: JSON is YAML without these surprises),
    readable by its owner only."""
    path = folder / "values.json"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(values, out)
    return path


def rendered(helm, tmp_path: Path, name: str, ingress_class: str) -> list[dict]:
    """The chart's manifests for release and store `name` in namespace store-`name`."""
    folder = tmp_path / name
    folder.mkdir()
    values = {
        **PLAIN_VALUES,
        **SECRET_VALUES,
        "storeName": name,
        "ingress": {"className": ingress_class},
    }
    args = ["template", name, str(CHART), "--namespace", f"store-{name}"]
    args += ["--values", str(values_file(folder, values))]
    result = run_helm(helm, args, folder)
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.load_all(result.stdout, Loader=Yaml11Loader) if doc]


def renamed(value: Any, old: str, new: str) -> Any:
    """`value` with every occurrence of `old` in its strings replaced by `new`."""
    if isinstance(value, dict):
        return {renamed(k, old, new): renamed(v, old, new) for k, v in value.items()}
    if isinstance(value, list):
        return [renamed(v, old, new) for v in value]
    return value.replace(old, new) if isinstance(value, str) else value


def label_values(docs: list[dict]) -> list[Any]:
    """Every value of every labels, matchLabels and Service selector map in `docs`."""
    found: list[Any] = []

    def walk(node: Any, key: str = "") -> None:
        if isinstance(node, dict):
            if key in ("labels", "matchLabels") or (
                key == "selector" and "matchLabels" not in node
            ):
                found.extend(node.values())
            for k, v in node.items():
                walk(v, k)
        elif isinstance(node, list):
            for item in node:
                walk(item, key)

    walk(docs)
    return found


@pytest.mark.helm
@pytest.mark.parametrize("word", ["yes", "no", "on", "off", "y", "n", "true", "false", "null"])
def test_a_yaml_word_renders_exactly_like_any_other_name(helm, tmp_path, word) -> None:
    plain = rendered(helm, tmp_path, PLAIN, PLAIN_CLASS)
    tricky = rendered(helm, tmp_path, word, word)
    expected = renamed(renamed(plain, PLAIN_CLASS, word), PLAIN, word)
    assert tricky == expected
    values = label_values(tricky)
    assert word in values
    assert all(isinstance(v, str) for v in values), [v for v in values if not isinstance(v, str)]
