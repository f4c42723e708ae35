"""Storedesk knows Medusa as data (issue 14): its manifest parses, and what Storedesk passes
for a new store (the option values and freshly generated credentials) renders the chart,
each credential landing in the Secret under the key the manifest names."""

from __future__ import annotations

import base64

import pytest
import yaml

from storedesk.domain.engines import parse_manifest
from storedesk.provisioning.engines import engines
from tests.chart.chartkit import run_helm, values_file
from tests.chart.medusakit import CHART

MANIFEST = parse_manifest(yaml.safe_load((CHART / "engine.yaml").read_text()), str(CHART))


def test_medusa_is_an_engine_of_this_installation():
    medusa = engines({}).get("medusa")
    assert medusa.display_name == "Medusa"
    assert medusa.admin_url("shop") == "http://shop.localhost/app/"
    assert [c.name for c in medusa.components] == ["server", "database", "redis", "setup"]
    # New store lists WooCommerce first, then Medusa.
    assert [e.name for e in engines({}).all()][:2] == ["woocommerce", "medusa"]


def test_the_store_page_is_the_admin_and_a_port_forward_reaches_the_server():
    """Medusa serves nothing at "/" (and its router cannot): the store's page is the Admin,
    whose page carries the element the Admin mounts on, what the reachability check seeks."""
    assert MANIFEST.store_url("shop") == MANIFEST.admin_url("shop") == "http://shop.localhost/app/"
    assert MANIFEST.store_url("shop", {"url_port": 8123}) == "http://shop.localhost:8123/app/"
    assert MANIFEST.forward_service == "{store}-server"
    assert (MANIFEST.forward_port, MANIFEST.forward_container_port) == (9000, 9000)
    assert MANIFEST.forward_component == "server"
    # The real Admin page carries <div id="medusa"> (checked against Medusa 2.15.3's build).
    assert MANIFEST.storefront_marker in '<div id="medusa"></div>'


def test_the_first_install_line_says_time_memory_and_internet():
    text = MANIFEST.first_install
    assert "minutes" in text and "2 GB" in text and "internet" in text


def test_the_admin_logs_in_by_email():
    credentials = MANIFEST.generate_credentials("shop", {"domain": "shops.test"})
    assert credentials.admin_user == credentials.admin_email == "admin@shop.shops.test"
    generated = {f.name for f in MANIFEST.credential_fields if f.generate}
    assert generated == {
        "admin_password",
        "publishable_key",
        "database_password",
        "redis_password",
        "jwt_secret",
        "cookie_secret",
    }


@pytest.mark.helm
@pytest.mark.parametrize("options", [{}, {"tls": True, "ingress_class": "nginx"}])
def test_what_storedesk_passes_renders_the_chart(helm, tmp_path, options):
    credentials = MANIFEST.generate_credentials("shop", options)
    values = {**MANIFEST.values("shop", options), **MANIFEST.secret_values(credentials)}
    args = ["template", "shop", str(CHART), "--namespace", "store-shop"]
    args += ["--values", str(values_file(tmp_path, values))]
    result = run_helm(helm, args, tmp_path)
    assert result.returncode == 0, result.stderr
    [secret] = [d for d in yaml.safe_load_all(result.stdout) if d and d["kind"] == "Secret"]
    data = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
    assert MANIFEST.credentials_from_secret(secret["data"]) == credentials
    for field in MANIFEST.credential_fields:
        assert data[field.secret_key] == credentials[field.name]


def test_the_store_api_the_publishable_key_and_a_longer_first_install_are_data() -> None:
    assert MANIFEST.link_urls("shop", {"url_port": 8123}) == (
        ("Store API", "http://shop.localhost:8123/store/"),
    )
    assert MANIFEST.public_fields == ("publishable_key",)  # shown as it is, never masked
    assert MANIFEST.timeout == 900
