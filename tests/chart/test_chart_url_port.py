"""A store reached on another port than 80/443 (Storedesk's port-forward): WordPress's home
and siteurl carry the port, so WordPress never redirects shoppers off it (issues 10, 11)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.chart.chartkit import PLAIN_VALUES, render, run_helm, template_args

pytestmark = pytest.mark.helm


def site_url(docs: list[dict]) -> str:
    job = next(d for d in docs if d["kind"] == "Job" and d["metadata"]["name"].endswith("-setup"))
    env = job["spec"]["template"]["spec"]["containers"][0]["env"]
    return next(e["value"] for e in env if e["name"] == "WP_URL")


@pytest.mark.parametrize(
    ("extra", "url"),
    [
        ({}, "http://shop.localhost"),
        ({"urlPort": 0}, "http://shop.localhost"),
        ({"urlPort": 8781}, "http://shop.localhost:8781"),
        ({"urlPort": 8443, "ingress": {"tls": True}}, "https://shop.localhost:8443"),
    ],
)
def test_the_site_url_is_the_url_the_browser_uses(helm, tmp_path: Path, extra, url) -> None:
    assert site_url(render(helm, tmp_path, values={**PLAIN_VALUES, **extra})) == url


def test_a_port_out_of_range_is_refused(helm, tmp_path: Path) -> None:
    result = run_helm(
        helm, template_args(tmp_path, values={**PLAIN_VALUES, "urlPort": 70000}), tmp_path
    )
    assert result.returncode != 0 and "urlPort" in result.stderr
