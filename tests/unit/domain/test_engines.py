"""Engines are data: the manifest each chart carries, and what Storedesk derives from it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from storedesk.domain.engines import Registry, merged_values, parse_manifest
from storedesk.errors import InvalidInput

CHARTS = Path(__file__).resolve().parents[3] / "charts"


def manifest(name: str = "woocommerce") -> dict:
    return yaml.safe_load((CHARTS / name / "engine.yaml").read_text())


WOOCOMMERCE = parse_manifest(manifest(), str(CHARTS / "woocommerce"))
CREDENTIALS = WOOCOMMERCE.credentials_from_json(
    json.dumps(
        {
            "admin_user": "admin",
            "admin_email": "admin@shop.localhost",
            "admin_password": "Adminpass1",
            "database_password": "Dbpass2",
            "database_root_password": "Rootpass3",
        }
    ),
    "test",
)


def test_the_woocommerce_manifest() -> None:
    assert (WOOCOMMERCE.name, WOOCOMMERCE.display_name) == ("woocommerce", "WooCommerce")
    assert WOOCOMMERCE.credentials_secret("shop") == "shop-credentials"
    assert [c.name for c in WOOCOMMERCE.components] == ["wordpress", "database", "setup"]
    assert WOOCOMMERCE.first_install and WOOCOMMERCE.description


def test_registry_lists_by_order_and_refuses_unknown_engines_naming_the_known() -> None:
    other = parse_manifest(manifest() | {"name": "aardvark", "order": 5}, "x")
    registry = Registry([other, WOOCOMMERCE])
    assert [e.name for e in registry.all()] == ["woocommerce", "aardvark"]
    assert registry.default is WOOCOMMERCE
    with pytest.raises(InvalidInput) as caught:
        registry.get("WooCommerce")  # taken as typed
    assert caught.value.message == "unknown engine 'WooCommerce'"
    assert caught.value.hint == "engines: woocommerce, aardvark"


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"name": "Woo Commerce"}, "name 'Woo Commerce' is not a lowercase word"),
        ({"displayName": ""}, "'displayName' must be a str"),
        ({"credentials": "x"}, "'credentials' must be a list"),
        ({"options": [{"key": "a", "label": "A", "kind": "colour"}]}, "unknown option kind"),
    ],
)
def test_a_broken_manifest_is_refused_naming_its_folder(change: dict, problem: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_manifest(manifest() | change, "charts/broken")
    assert caught.value.message.startswith("engine manifest charts/broken/engine.yaml:")
    assert problem in caught.value.message


def test_a_manifest_without_the_admin_login_is_refused() -> None:
    creds = [c for c in manifest()["credentials"] if c["name"] != "admin_password"]
    with pytest.raises(InvalidInput, match="must include admin_user, admin_email"):
        parse_manifest(manifest() | {"credentials": creds}, "x")


@pytest.mark.parametrize(
    ("options", "store_url", "admin_url"),
    [
        ({}, "http://shop.localhost/", "http://shop.localhost/wp-admin/"),
        (
            {"domain": "shops.example.com", "tls": True},
            "https://shop.shops.example.com/",
            "https://shop.shops.example.com/wp-admin/",
        ),
    ],
)
def test_urls(options: dict, store_url: str, admin_url: str) -> None:
    assert WOOCOMMERCE.store_url("shop", options) == store_url
    assert WOOCOMMERCE.admin_url("shop", options) == admin_url


def test_a_port_forwarded_store_carries_its_port_in_its_urls_and_values() -> None:
    options = {"access": "port-forward", "url_port": 8781}
    assert WOOCOMMERCE.store_url("shop", options) == "http://shop.localhost:8781/"
    assert WOOCOMMERCE.admin_url("shop", options) == "http://shop.localhost:8781/wp-admin/"
    assert WOOCOMMERCE.values("shop", options)["urlPort"] == 8781
    assert WOOCOMMERCE.forward_target("shop") == ("shop-wordpress", 80)


def test_values_from_options_keep_their_types() -> None:
    assert WOOCOMMERCE.values("shop") == {
        "storeName": "shop",
        "domain": "localhost",
        "ingress": {"className": "", "tls": False},
        "urlPort": 0,
    }
    options = {"domain": "shops.example.com", "ingress_class": "nginx", "tls": True}
    assert WOOCOMMERCE.values("shop", options) == {
        "storeName": "shop",
        "domain": "shops.example.com",
        "ingress": {"className": "nginx", "tls": True},
        "urlPort": 0,
    }


def test_values_never_carry_a_secret_and_secret_values_round_trip() -> None:
    plain = WOOCOMMERCE.values("shop", {"domain": "example.com", "tls": True})
    secret = WOOCOMMERCE.secret_values(CREDENTIALS)
    assert not plain.keys() & secret.keys()
    assert not [p for p in CREDENTIALS.secrets() if p in json.dumps(plain)]
    assert secret == {
        "auth": {
            "adminUser": "admin",
            "adminEmail": "admin@shop.localhost",
            "adminPassword": "Adminpass1",
            "databasePassword": "Dbpass2",
            "databaseRootPassword": "Rootpass3",
        }
    }
    assert WOOCOMMERCE.credentials_from_values({"storeName": "shop", **secret}) == CREDENTIALS
    with pytest.raises(
        InvalidInput, match=r"the release.s values lacks admin_email, admin_password"
    ):
        WOOCOMMERCE.credentials_from_values({"auth": {"adminUser": "admin"}})


def test_generated_credentials_follow_the_manifest() -> None:
    made = WOOCOMMERCE.generate_credentials("shop", {"domain": "example.com"})
    assert (made.admin_user, made.admin_email) == ("admin", "admin@shop.example.com")
    assert len(set(made.secrets())) == 3
    assert [name for name, _ in WOOCOMMERCE.ordered(made)] == list(WOOCOMMERCE.credential_names)


def test_options_the_window_shows() -> None:
    assert [(o.key, o.label, o.default) for o in WOOCOMMERCE.options] == [
        ("domain", "Domain", "localhost"),
        ("ingress_class", "Ingress class", ""),
        ("tls", "HTTPS", False),
        ("access", "Open through", "ingress"),
        ("url_port", "Local port", 0),
    ]
    assert all(o.help for o in WOOCOMMERCE.options)


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        (
            "port",
            "80",
            "unknown option 'port'; options are: domain, ingress_class, tls, access, url_port",
        ),
        ("access", "vpn", "open through must be one of: ingress, port-forward"),
        ("url_port", 70000, "local port must be a port number from 1 to 65535, or 0 for none"),
        ("url_port", True, "local port must be a port number from 1 to 65535, or 0 for none"),
        ("tls", "yes", "https must be true or false"),
        ("domain", 42, "domain must be text"),
        ("domain", "", "a domain is required, e.g. localhost or shops.example.com"),
        (
            "domain",
            "Shops.Example.com",  # taken as typed: refused, never lowered
            "domain 'Shops.Example.com' is not a valid DNS name: use lowercase letters, "
            "digits, hyphens and dots, at most 232 characters",
        ),
        (
            "domain",
            "a" * 233,
            f"domain '{'a' * 233}' is not a valid DNS name: use lowercase letters, digits, "
            "hyphens and dots, at most 232 characters",
        ),
        (
            "ingress_class",
            "my class",
            "ingress class 'my class' is not a valid Kubernetes name: use lowercase letters, "
            "digits, hyphens and dots, or leave it empty for the cluster's default",
        ),
    ],
)
def test_option_problems(key: str, value: object, problem: str) -> None:
    assert WOOCOMMERCE.option_problem(key, value) == problem
    with pytest.raises(InvalidInput) as caught:
        WOOCOMMERCE.values("shop", {key: value})
    assert caught.value.message == problem


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("domain", "localhost"),
        ("domain", "127.0.0.1.nip.io"),
        ("ingress_class", ""),
        ("ingress_class", "traefik"),
        ("tls", True),
    ],
)
def test_valid_options_are_used_as_typed(key: str, value: object) -> None:
    assert WOOCOMMERCE.option_problem(key, value) is None
    assert WOOCOMMERCE.resolve_options({key: value})[key] == value


def test_merged_values_merge_nested_mappings_as_helm_merges_values_files() -> None:
    base = {"wordpress": {"image": "a", "env": {"X": "1"}}, "replicas": 1}
    extra = {"wordpress": {"env": {"Y": "2"}}, "replicas": 2, "ingress": {"class": "nginx"}}
    assert merged_values(base, extra) == {
        "wordpress": {"image": "a", "env": {"X": "1", "Y": "2"}},
        "replicas": 2,
        "ingress": {"class": "nginx"},
    }
    assert base == {"wordpress": {"image": "a", "env": {"X": "1"}}, "replicas": 1}  # unchanged
