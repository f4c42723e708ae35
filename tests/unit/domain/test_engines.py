"""The engine registry and the values contract with the charts."""

from __future__ import annotations

import json

import pytest

from storedesk.domain.credentials import Credentials
from storedesk.domain.engines import (
    DEFAULT_ENGINE,
    MEDUSA,
    OPTIONS,
    WOOCOMMERCE,
    available_engines,
    engines,
    get_engine,
    option_problem,
    resolve_options,
)
from storedesk.errors import InvalidInput

CREDENTIALS = Credentials(
    admin_user="admin",
    admin_email="admin@shop.localhost",
    admin_password="Adminpass1",
    database_password="Dbpass2",
    database_root_password="Rootpass3",
)


def test_registry_lists_woocommerce_available_and_medusa_not_yet() -> None:
    assert [e.name for e in engines()] == ["woocommerce", "medusa"]
    assert available_engines() == (WOOCOMMERCE,)
    assert DEFAULT_ENGINE == "woocommerce"
    assert (WOOCOMMERCE.display_name, WOOCOMMERCE.chart, WOOCOMMERCE.available) == (
        "WooCommerce",
        "woocommerce",
        True,
    )
    assert WOOCOMMERCE.unavailable_reason is None
    assert (MEDUSA.display_name, MEDUSA.available) == ("Medusa", False)
    assert MEDUSA.unavailable_reason == "not available yet: its Helm chart is not written yet"


@pytest.mark.parametrize("typed", ["woocommerce", " WooCommerce "])
def test_get_engine_finds_available_engines(typed: str) -> None:
    assert get_engine(typed) is WOOCOMMERCE


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("medusa", "engine 'medusa' is not available yet: its Helm chart is not written yet"),
        ("shopify", "unknown engine 'shopify'"),
        ("", "unknown engine ''"),
    ],
)
def test_get_engine_refuses_with_the_available_ones(typed: str, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        get_engine(typed)
    assert caught.value.message == message
    assert caught.value.hint == "available engines: woocommerce"


def test_unavailable_engine_is_still_found_for_stores_that_name_it() -> None:
    assert get_engine("medusa", require_available=False) is MEDUSA


def test_names_derived_from_the_store() -> None:
    assert WOOCOMMERCE.release_name("shop") == "shop"
    assert WOOCOMMERCE.namespace("shop") == "store-shop"
    assert WOOCOMMERCE.credentials_secret("shop") == "shop-credentials"
    assert WOOCOMMERCE.admin_email("shop") == "admin@shop.localhost"
    assert WOOCOMMERCE.admin_email("shop", "example.com") == "admin@shop.example.com"


@pytest.mark.parametrize(
    ("engine", "domain", "tls", "store_url", "admin_url"),
    [
        (
            WOOCOMMERCE,
            "localhost",
            False,
            "http://shop.localhost/",
            "http://shop.localhost/wp-admin/",
        ),
        (
            WOOCOMMERCE,
            "shops.example.com",
            True,
            "https://shop.shops.example.com/",
            "https://shop.shops.example.com/wp-admin/",
        ),
        (MEDUSA, "localhost", False, "http://shop.localhost/", "http://shop.localhost/app/"),
    ],
)
def test_urls(engine, domain: str, tls: bool, store_url: str, admin_url: str) -> None:
    assert engine.store_url("shop", domain, tls=tls) == store_url
    assert engine.admin_url("shop", domain, tls=tls) == admin_url


def test_values_default_to_localhost_and_the_default_ingress_class() -> None:
    assert WOOCOMMERCE.values("shop") == {
        "storeName": "shop",
        "domain": "localhost",
        "ingress": {"className": "", "tls": False},
    }


def test_values_take_normalised_options() -> None:
    options = {"domain": " Shops.Example.com. ", "ingress_class": "nginx", "tls": True}
    assert WOOCOMMERCE.values("shop", options) == {
        "storeName": "shop",
        "domain": "shops.example.com",
        "ingress": {"className": "nginx", "tls": True},
    }


def test_values_never_carry_a_secret() -> None:
    # The two are merged into helm's values: neither may override the other, and the
    # plain ones, built without credentials, must hold no password.
    plain = WOOCOMMERCE.values("shop", {"domain": "example.com", "tls": True})
    secret = WOOCOMMERCE.secret_values(CREDENTIALS)
    assert "auth" not in plain
    assert not plain.keys() & secret.keys()
    passwords = (
        CREDENTIALS.admin_password,
        CREDENTIALS.database_password,
        CREDENTIALS.database_root_password,
    )
    assert not [p for p in passwords if p in json.dumps(plain)]


def test_secret_values_follow_the_chart_contract() -> None:
    assert WOOCOMMERCE.secret_values(CREDENTIALS) == {
        "auth": {
            "adminUser": "admin",
            "adminEmail": "admin@shop.localhost",
            "adminPassword": "Adminpass1",
            "databasePassword": "Dbpass2",
            "databaseRootPassword": "Rootpass3",
        }
    }


def test_options_the_gui_shows() -> None:
    assert [(o.key, o.label, o.default) for o in OPTIONS] == [
        ("domain", "Domain", "localhost"),
        ("ingress_class", "Ingress class", ""),
        ("tls", "HTTPS", False),
    ]
    assert all(o.help for o in OPTIONS)


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        ("port", "80", "unknown option 'port'; options are: domain, ingress_class, tls"),
        ("tls", "yes", "tls must be true or false"),
        ("domain", 42, "domain must be text"),
        ("domain", "", "a domain is required, e.g. localhost or shops.example.com"),
        (
            "domain",
            "my_domain.com",
            "domain 'my_domain.com' is not a valid DNS name: use lowercase letters, digits, "
            "hyphens and dots, at most 232 characters",
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
            "digits, hyphens and dots, or leave it empty for the default class",
        ),
    ],
)
def test_option_problems(key: str, value: object, problem: str) -> None:
    assert option_problem(key, value) == problem
    with pytest.raises(InvalidInput) as caught:
        WOOCOMMERCE.values("shop", {key: value})
    assert caught.value.message == problem


@pytest.mark.parametrize(
    ("key", "value", "used"),
    [
        ("domain", "localhost", "localhost"),
        ("domain", "127.0.0.1.nip.io", "127.0.0.1.nip.io"),
        ("domain", " Shops.Example.COM. ", "shops.example.com"),
        ("ingress_class", "", ""),
        ("ingress_class", "Traefik", "traefik"),
        ("tls", True, True),
    ],
)
def test_valid_options_are_normalised(key: str, value: object, used: object) -> None:
    assert option_problem(key, value) is None
    assert resolve_options({key: value})[key] == used
