"""Label and field selectors, parsed as the API server parses them."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from storedesk.sim.errors import bad_request

Obj = dict[str, Any]
Matcher = Callable[[Obj], bool]

_SET_RE = re.compile(r"^\s*(!?)\s*([A-Za-z0-9_./-]+)\s*(?:(notin|in)\s*\(([^)]*)\))?\s*$")
_EQ_RE = re.compile(r"^\s*([A-Za-z0-9_./-]+)\s*(==|=|!=)\s*([A-Za-z0-9_.-]*)\s*$")


def _split_requirements(selector: str) -> list[str]:
    """Split on commas that are not inside `in (...)` value lists."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for ch in selector:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return [p for p in parts if p.strip()]


def label_matcher(selector: str | None) -> Matcher:
    """A predicate over objects for a label selector such as `a=b,c in (x,y),!d`."""
    if not selector or not selector.strip():
        return lambda obj: True
    tests: list[Callable[[dict[str, str]], bool]] = []
    for req in _split_requirements(selector):
        if m := _EQ_RE.match(req):
            key, op, value = m.groups()
            tests.append(_equals(key, value, op != "!="))
        elif m := _SET_RE.match(req):
            negate, key, op, values = m.groups()
            if op:
                allowed = {v.strip() for v in values.split(",")}
                tests.append(_in(key, allowed, op == "in"))
            else:
                tests.append(_exists(key, not negate))
        else:
            raise bad_request(f"unable to parse requirement: {req.strip()!r}")

    def match(obj: Obj) -> bool:
        labels = obj.get("metadata", {}).get("labels") or {}
        return all(test(labels) for test in tests)

    return match


def _equals(key: str, value: str, want: bool) -> Callable[[dict[str, str]], bool]:
    if want:
        return lambda labels: labels.get(key) == value
    return lambda labels: labels.get(key) != value


def _in(key: str, values: set[str], want: bool) -> Callable[[dict[str, str]], bool]:
    if want:
        return lambda labels: labels.get(key) in values
    return lambda labels: labels.get(key) not in values


def _exists(key: str, want: bool) -> Callable[[dict[str, str]], bool]:
    return lambda labels: (key in labels) == want


# Field selectors each kind supports beyond metadata.name / metadata.namespace.
_FIELDS: dict[str, tuple[str, ...]] = {
    "Pod": (
        "spec.nodeName",
        "spec.restartPolicy",
        "spec.schedulerName",
        "spec.serviceAccountName",
        "status.phase",
        "status.podIP",
        "status.nominatedNodeName",
    ),
    "Event": (
        "involvedObject.kind",
        "involvedObject.namespace",
        "involvedObject.name",
        "involvedObject.uid",
        "involvedObject.apiVersion",
        "involvedObject.resourceVersion",
        "involvedObject.fieldPath",
        "reason",
        "reportingComponent",
        "source",
        "type",
    ),
    "Secret": ("type",),
    "Namespace": ("status.phase",),
    "Job": ("status.successful",),
    "ReplicaSet": ("status.replicas",),
    "Node": ("spec.unschedulable",),
}


def field_value(obj: Obj, path: str) -> str:
    """The string value of a dotted field path ('' when absent), as field selectors compare."""
    if path == "source":
        return str(obj.get("source", {}).get("component", ""))
    value: Any = obj
    for part in path.split("."):
        if not isinstance(value, dict):
            return ""
        value = value.get(part)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def field_matcher(selector: str | None, kind: str) -> Matcher:
    """A predicate for a field selector such as `metadata.name=x,status.phase!=Running`."""
    if not selector or not selector.strip():
        return lambda obj: True
    allowed = {"metadata.name", "metadata.namespace", *_FIELDS.get(kind, ())}
    tests: list[Matcher] = []
    for req in _split_requirements(selector):
        m = re.match(r"^\s*([A-Za-z0-9_.]+)\s*(==|=|!=)\s*(.*?)\s*$", req)
        if not m:
            raise bad_request(f"invalid selector: '{selector}'; can't understand '{req.strip()}'")
        path, op, value = m.groups()
        if path not in allowed:
            raise bad_request(f"field label not supported: {path}")
        tests.append(_field_test(path, value, op != "!="))
    return lambda obj: all(test(obj) for test in tests)


def _field_test(path: str, value: str, want: bool) -> Matcher:
    return lambda obj: (field_value(obj, path) == value) == want
