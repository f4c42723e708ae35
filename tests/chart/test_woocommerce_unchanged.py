"""The WooCommerce chart renders exactly what it rendered before it used the shared library
chart (issue 14): for each value set below, the manifests helm renders now equal, object
for object and in the same order, the fixtures rendered from the chart before the
refactor (tests/chart/fixtures/woocommerce, helm 4.1.4, commit 3382d5f).

A deliberate change of the WooCommerce chart changes these fixtures too: regenerate them
with STOREDESK_REGEN_FIXTURES=1 and review the diff (git diff tests/chart/fixtures).
"""

from __future__ import annotations

import os
import re

import pytest
import yaml

from tests.chart.chartkit import CHART, run_helm, template_args
from tests.support import ROOT, helm_binary

FIXTURES = ROOT / "tests" / "chart" / "fixtures" / "woocommerce"
SOURCE = re.compile(r"^# Source: (.+)$", re.MULTILINE)

# name -> (shipped values file or None, overrides)
CASES: dict[str, tuple[str | None, dict]] = {
    "defaults": (None, {}),
    "local": ("values-local.yaml", {}),
    "prod": ("values-prod.yaml", {}),
    "tls-class-domain": (
        None,
        {"domain": "shops.test", "ingress": {"tls": True, "className": "nginx"}},
    ),
    "cert-manager": (
        None,
        {"ingress": {"tls": {"clusterIssuer": "letsencrypt"}, "annotations": {"a/b": "c"}}},
    ),
    "secret-name-issuer": (
        None,
        {"ingress": {"tls": {"secretName": "shop-cert", "issuer": "local-ca"}}},
    ),
    "url-port": (None, {"urlPort": 8080}),
    "no-internet": (None, {"networkPolicy": {"internetEgress": False}}),
    "private-egress-dns": (
        None,
        {
            "networkPolicy": {
                "privateEgress": True,
                "dns": {
                    "namespace": "dns-system",
                    "podLabels": {"k8s-app": None, "app": "unbound"},
                    "cidrs": ["169.254.20.10/32"],
                },
            }
        },
    ),
    "no-dns-labels": (None, {"networkPolicy": {"dns": {"podLabels": {"k8s-app": None}}}}),
    "policies-quota-limits-off": (
        None,
        {
            "networkPolicy": {"enabled": False},
            "resourceQuota": {"enabled": False},
            "limitRange": {"enabled": False},
        },
    ),
    "yaml-word-store": (None, {"storeName": "yes"}),
    "admin-email-replicas": (
        None,
        {"auth": {"adminEmail": ""}, "wordpress": {"replicas": 2}, "storeTitle": "My Shop"},
    ),
}


def rendered(tmp_path, name: str) -> str:
    shipped, overrides = CASES[name]
    extra = [CHART / shipped] if shipped else []
    args = template_args(tmp_path, *extra, values=overrides or None)
    result = run_helm(helm_binary("4"), args, tmp_path)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.helm
@pytest.mark.parametrize("name", sorted(CASES))
def test_woocommerce_renders_what_it_rendered_before_the_library(tmp_path, name):
    now = rendered(tmp_path, name)
    fixture = FIXTURES / f"{name}.yaml"
    if os.environ.get("STOREDESK_REGEN_FIXTURES") == "1":
        FIXTURES.mkdir(parents=True, exist_ok=True)
        fixture.write_text(now)
    before = fixture.read_text()
    # The same templates emit the same objects in the same order...
    assert SOURCE.findall(now) == SOURCE.findall(before)
    # ...and every object is exactly what it was (comments aside: YAML's, not Kubernetes').
    assert list(yaml.safe_load_all(now)) == list(yaml.safe_load_all(before))
