"""Generated credentials: strong, safe everywhere they go, never shown by accident."""

from __future__ import annotations

import base64
import json
import string

import pytest

from storedesk.domain.credentials import Credentials, KeyringKey, new_password
from storedesk.errors import InvalidInput

NAMES = ("admin_user", "admin_email", "admin_password", "database_password")
KNOWN = Credentials(
    (
        ("admin_user", "admin"),
        ("admin_email", "admin@shop.localhost"),
        ("admin_password", "Adminpass1xyz"),
        ("database_password", "Dbpass2xyz"),
    )
)
PASSWORDS = ("Adminpass1xyz", "Dbpass2xyz")
SECRET_KEYS = {
    "admin_user": "admin-user",
    "admin_email": "admin-email",
    "admin_password": "admin-password",
    "database_password": "database-password",
}
ALPHANUMERIC = set(string.ascii_letters + string.digits)


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_generate_makes_a_distinct_strong_password_for_each_name() -> None:
    creds = Credentials.generate("owner", "o@shop.localhost", ("admin_password", "db", "jwt"))
    assert (creds.admin_user, creds.admin_email) == ("owner", "o@shop.localhost")
    passwords = [creds["admin_password"], creds["db"], creds["jwt"]]
    assert len(set(passwords)) == 3
    assert all(len(p) == 24 for p in passwords)
    assert sorted(creds.secrets()) == sorted(passwords)  # the login is not a secret


def test_passwords_are_safe_for_wordpress_mysql_yaml_and_shells() -> None:
    samples = [new_password() for _ in range(300)]
    assert len(set(samples)) == 300
    for password in samples:
        assert set(password) <= ALPHANUMERIC
        assert password[0].isalpha()  # YAML never reads it as a number
        assert any(c.islower() for c in password)
        assert any(c.isupper() for c in password)
        assert any(c.isdigit() for c in password)


def test_repr_and_str_never_show_a_password() -> None:
    for text in (repr(KNOWN), str(KNOWN), f"{KNOWN}", repr([KNOWN])):
        assert "admin" in text
        for password in PASSWORDS:
            assert password not in text


def test_equal_whatever_the_order_of_fields() -> None:
    assert Credentials(tuple(reversed(KNOWN.fields))) == KNOWN


def test_json_round_trip_for_the_keyring() -> None:
    text = KNOWN.to_json()
    assert json.loads(text) == {
        "admin_user": "admin",
        "admin_email": "admin@shop.localhost",
        "admin_password": "Adminpass1xyz",
        "database_password": "Dbpass2xyz",
    }
    assert Credentials.from_json(text, NAMES) == KNOWN


def test_from_json_ignores_keys_it_does_not_know() -> None:
    data = json.loads(KNOWN.to_json()) | {"note": "written by a newer Storedesk"}
    assert Credentials.from_json(json.dumps(data), NAMES) == KNOWN


def _json_without(*keys: str, **changes: object) -> str:
    data = json.loads(KNOWN.to_json()) | changes
    return json.dumps({k: v for k, v in data.items() if k not in keys})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "the keyring entry is not a JSON object"),
        ('["admin"]', "the keyring entry is not a JSON object"),
        (
            _json_without("admin_password", "database_password"),
            "the keyring entry lacks admin_password, database_password",
        ),
        (_json_without(database_password=""), "the keyring entry has no text in database_password"),
        (_json_without(admin_user=7), "the keyring entry has no text in admin_user"),
    ],
)
def test_from_json_refuses_damaged_entries_without_showing_them(text: str, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        Credentials.from_json(text, NAMES)
    assert caught.value.message == message
    assert not any(p in str(caught.value) for p in PASSWORDS)


def test_from_secret_data_rebuilds_the_credentials() -> None:
    data = {key: b64(KNOWN[name]) for name, key in SECRET_KEYS.items()} | {"x": b64("ignored")}
    assert Credentials.from_secret_data(data, SECRET_KEYS) == KNOWN


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"admin-user": b64("admin"), "admin-email": b64("a@b.c")},
            "the credentials Secret lacks admin-password, database-password",
        ),
        (
            {key: b64("x") for key in SECRET_KEYS.values()} | {"admin-password": "not base64!"},
            "the credentials Secret's key 'admin-password' is not base64-encoded UTF-8 text",
        ),
        (
            {key: b64("x") for key in SECRET_KEYS.values()}
            | {"database-password": base64.b64encode(b"\xff\xfe").decode()},
            "the credentials Secret's key 'database-password' is not base64-encoded UTF-8 text",
        ),
        (
            {key: b64("x") for key in SECRET_KEYS.values()} | {"admin-email": ""},
            "the credentials Secret has no text in admin-email",
        ),
    ],
)
def test_from_secret_data_refuses_damaged_secrets(data: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        Credentials.from_secret_data(data, SECRET_KEYS)
    assert caught.value.message == message


def test_keyring_entries_are_bound_to_the_cluster_and_stay_readable() -> None:
    key = KeyringKey("kind-kind", "shop", "5b1f0c2e-uid")
    assert key.username == "kind-kind/shop (cluster 5b1f0c2e-uid)"
    assert key.legacy().username == "kind-kind/shop"  # as Storedesk 0.1 named it
    assert KeyringKey("kind-kind", "shop", "other-uid").username != key.username
