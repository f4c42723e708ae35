"""The Medusa store's quota admits its worst case, the setup Job building included (issue 14).

The numbers (defaults; requests / limits of memory): server 512Mi / 1Gi, PostgreSQL
256Mi / 768Mi, Redis 64Mi / 256Mi, the setup Job installing and building 2Gi / 3Gi (Medusa's
docs ask for at least 2 GB to build the admin; measured peak 1.65 GB, chart README), the
test pod 64Mi / 128Mi: 2944Mi requested and 5248Mi of limits, under the quota's 3Gi and
6Gi. CPU: 950m requested, 4700m of limits, under 1500m and 5.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from kubernetes.utils import parse_quantity

from tests.chart.chartkit import pod_specs
from tests.chart.medusakit import SHIPPED, SHIPPED_IDS, by_name, render

RESOURCES = ("cpu", "memory")
GI = Decimal(1024**3)


def pod_resources(spec: dict) -> dict[str, Decimal]:
    """What a pod counts against a quota: per resource, the larger of its containers' sum
    and its largest init container (init containers run one at a time, before the rest)."""
    total = {}
    for key in ("requests", "limits"):
        for resource in RESOURCES:
            app = sum(
                (parse_quantity(c["resources"][key][resource]) for c in spec["containers"]),
                Decimal(0),
            )
            init = max(
                (
                    parse_quantity(c["resources"][key][resource])
                    for c in spec.get("initContainers", [])
                ),
                default=Decimal(0),
            )
            total[f"{key}.{resource}"] = max(app, init)
    return total


def worst_case(docs: list[dict]) -> dict[str, Decimal]:
    """Every pod at once: each Deployment's replicas (all use Recreate: no surge), the setup
    Job building, the test pod."""
    total = {f"{k}.{r}": Decimal(0) for k in ("requests", "limits") for r in RESOURCES}
    total["pods"] = Decimal(0)
    for doc, spec in pod_specs(docs):
        count = doc["spec"].get("replicas", 1) if doc["kind"] == "Deployment" else 1
        if doc["kind"] == "Deployment":
            assert doc["spec"]["strategy"]["type"] == "Recreate", doc["metadata"]["name"]
        total["pods"] += count
        for key, value in pod_resources(spec).items():
            total[key] += count * value
    return total


@pytest.mark.helm
@pytest.mark.parametrize("shipped", SHIPPED, ids=SHIPPED_IDS)
def test_every_container_has_requests_and_limits_within_the_limit_range(helm, tmp_path, shipped):
    docs = render(helm, tmp_path, *([shipped] if shipped else []))
    [limit_range] = by_name(docs, "LimitRange").values()
    maximum = limit_range["spec"]["limits"][0]["max"]
    for doc, spec in pod_specs(docs):
        for container in spec.get("initContainers", []) + spec["containers"]:
            for resource in RESOURCES:
                request = parse_quantity(container["resources"]["requests"][resource])
                limit = parse_quantity(container["resources"]["limits"][resource])
                name = f"{doc['metadata']['name']}/{container['name']} {resource}"
                assert 0 < request <= limit, name
                assert limit <= parse_quantity(maximum[resource]), name


@pytest.mark.helm
@pytest.mark.parametrize("shipped", SHIPPED, ids=SHIPPED_IDS)
def test_quota_admits_every_pod_at_once_with_the_setup_job_building(helm, tmp_path, shipped):
    docs = render(helm, tmp_path, *([shipped] if shipped else []))
    [quota] = by_name(docs, "ResourceQuota").values()
    hard = quota["spec"]["hard"]
    need = worst_case(docs)
    # server, PostgreSQL, Redis, the setup Job, the test pod
    assert need["pods"] == 5
    for key, value in need.items():
        assert value <= parse_quantity(hard[key]), f"{key}: need {value}, quota {hard[key]}"
    claims = [d for d in docs if d["kind"] == "PersistentVolumeClaim"]
    storage = sum(parse_quantity(c["spec"]["resources"]["requests"]["storage"]) for c in claims)
    assert storage <= parse_quantity(hard["requests.storage"])
    assert len(claims) <= int(hard["persistentvolumeclaims"])


@pytest.mark.helm
def test_the_setup_job_is_sized_for_installing_and_building(helm, tmp_path):
    """Medusa's docs: at least 2 GB to build the admin. V8's heap fits inside the limit."""
    docs = render(helm, tmp_path)
    [job] = by_name(docs, "Job").values()
    [setup] = job["spec"]["template"]["spec"]["containers"]
    resources = setup["resources"]
    assert parse_quantity(resources["requests"]["memory"]) >= 2 * GI
    assert parse_quantity(resources["limits"]["memory"]) == 3 * GI
    env = {e["name"]: e.get("value") for e in setup["env"]}
    heap = int(env["NODE_OPTIONS"].removeprefix("--max-old-space-size="))  # MiB
    assert heap >= 2048 and heap * 1024**2 < parse_quantity(resources["limits"]["memory"])
    server = by_name(docs, "Deployment")["shop-server"]["spec"]["template"]["spec"]
    [medusa] = server["containers"]
    heap = int({e["name"]: e.get("value") for e in medusa["env"]}["NODE_OPTIONS"].split("=")[1])
    assert heap * 1024**2 < parse_quantity(medusa["resources"]["limits"]["memory"])


@pytest.mark.helm
def test_the_documented_sums(helm, tmp_path):
    """The numbers this module's docstring and the chart README state."""
    need = worst_case(render(helm, tmp_path))
    mi = Decimal(1024**2)
    assert need["requests.memory"] / mi == 2944
    assert need["limits.memory"] / mi == 5248
    assert need["requests.cpu"] == Decimal("0.95")
    assert need["limits.cpu"] == Decimal("4.7")


@pytest.mark.helm
def test_quota_check_notices_a_quota_too_small_for_the_build(helm, tmp_path):
    """The arithmetic is not vacuous: the quota without room for the build does not fit."""
    hard = {"limits.memory": "3Gi", "requests.memory": "1Gi"}
    docs = render(helm, tmp_path, values={"resourceQuota": {"hard": hard}})
    [quota] = by_name(docs, "ResourceQuota").values()
    need = worst_case(docs)
    assert need["limits.memory"] > parse_quantity(quota["spec"]["hard"]["limits.memory"])
