"""Requests and limits everywhere, and a quota that fits the worst case it must admit."""

from __future__ import annotations

from decimal import Decimal

import pytest
from kubernetes.utils import parse_quantity

from tests.chart.chartkit import SHIPPED, SHIPPED_IDS, pod_specs, render

RESOURCES = ("cpu", "memory")


def _pods_at_once(doc: dict) -> int:
    """How many pods of this object can exist at the same moment."""
    if doc["kind"] == "Deployment":
        replicas = doc["spec"]["replicas"]
        strategy = doc["spec"]["strategy"]
        if strategy["type"] == "Recreate":
            return replicas
        return replicas + int(strategy["rollingUpdate"]["maxSurge"])
    if doc["kind"] == "Job":
        return doc["spec"].get("parallelism", 1)
    if doc["kind"] == "CronJob":
        # Forbid: one run at a time, beside everything else.
        assert doc["spec"]["concurrencyPolicy"] == "Forbid"
        return doc["spec"]["jobTemplate"]["spec"].get("parallelism", 1)
    return 1


def _worst_case(docs: list[dict]) -> dict[str, Decimal]:
    """Pods and summed requests/limits with a rolling update, the setup Job, a cron run and
    the test pod all running together."""
    total = {"pods": Decimal(0)}
    for key in ("requests", "limits"):
        for resource in RESOURCES:
            total[f"{key}.{resource}"] = Decimal(0)
    for doc, spec in pod_specs(docs):
        count = _pods_at_once(doc)
        total["pods"] += count
        for container in spec["containers"]:
            for key in ("requests", "limits"):
                for resource in RESOURCES:
                    value = parse_quantity(container["resources"][key][resource])
                    total[f"{key}.{resource}"] += count * value
    return total


@pytest.mark.helm
@pytest.mark.parametrize("shipped", SHIPPED, ids=SHIPPED_IDS)
def test_every_container_has_requests_and_limits_within_the_limit_range(helm, tmp_path, shipped):
    docs = render(helm, tmp_path, *([shipped] if shipped else []))
    limit_range = next(d for d in docs if d["kind"] == "LimitRange")["spec"]["limits"][0]
    for doc, spec in pod_specs(docs):
        for container in spec["containers"]:
            resources = container["resources"]
            for resource in RESOURCES:
                request = parse_quantity(resources["requests"][resource])
                limit = parse_quantity(resources["limits"][resource])
                name = f"{doc['metadata']['name']}/{container['name']} {resource}"
                assert 0 < request <= limit, name
                assert limit <= parse_quantity(limit_range["max"][resource]), name


@pytest.mark.helm
@pytest.mark.parametrize("shipped", SHIPPED, ids=SHIPPED_IDS)
def test_quota_admits_a_rolling_update_with_the_setup_job_a_cron_run_and_the_test_pod(
    helm, tmp_path, shipped
):
    docs = render(helm, tmp_path, *([shipped] if shipped else []))
    hard = next(d for d in docs if d["kind"] == "ResourceQuota")["spec"]["hard"]
    need = _worst_case(docs)
    # WordPress pods +1 for the surge, the database once (Recreate), the setup Job, one cron
    # run, the test pod.
    assert [d["metadata"]["name"] for d in docs if d["kind"] == "CronJob"] == ["shop-cron"]
    wordpress = next(
        d
        for d in docs
        if d["kind"] == "Deployment" and d["metadata"]["name"].endswith("-wordpress")
    )
    assert need["pods"] == wordpress["spec"]["replicas"] + 1 + 1 + 1 + 1 + 1
    for key, value in need.items():
        assert value <= parse_quantity(hard[key]), f"{key}: need {value}, quota {hard[key]}"
    claims = [d for d in docs if d["kind"] == "PersistentVolumeClaim"]
    storage = sum(parse_quantity(c["spec"]["resources"]["requests"]["storage"]) for c in claims)
    assert storage <= parse_quantity(hard["requests.storage"])
    assert len(claims) <= int(hard["persistentvolumeclaims"])


@pytest.mark.helm
def test_quota_check_notices_a_quota_too_small_for_the_surge(helm, tmp_path):
    """The arithmetic above is not vacuous: one WordPress replica more than the quota
    was sized for does not fit."""
    docs = render(helm, tmp_path, values={"wordpress": {"replicas": 2}})
    hard = next(d for d in docs if d["kind"] == "ResourceQuota")["spec"]["hard"]
    need = _worst_case(docs)
    assert any(need[key] > parse_quantity(hard[key]) for key in need)
