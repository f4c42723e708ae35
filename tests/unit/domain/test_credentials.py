"""Generated credentials: strong, safe everywhere they go, never shown by accident."""

from __future__ import annotations

import base64
import json
import string

import pytest

from storedesk.domain.credentials import SECRET_KEYS, Credentials, new_password
from storedesk.errors import InvalidInput

KNOWN = Credentials(
    admin_user="admin",
    admin_email="admin@shop.localhost",
    admin_password="Adminpass1xyz",
    database_password="Dbpass2xyz",
    database_root_password="Rootpass3xyz",
)
PASSWORDS = ("Adminpass1xyz", "Dbpass2xyz", "Rootpass3xyz")
ALPHANUMERIC = set(string.ascii_letters + string.digits)


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_generate_makes_three_distinct_strong_passwords() -> None:
    creds = Credentials.generate("admin@shop.localhost")
    assert (creds.admin_user, creds.admin_email) == ("admin", "admin@shop.localhost")
    passwords = [creds.admin_password, creds.database_password, creds.database_root_password]
    assert len(set(passwords)) == 3
    assert all(len(p) == 24 for p in passwords)


def test_generate_takes_another_admin_user() -> None:
    assert Credentials.generate("o@shop.localhost", admin_user="owner").admin_user == "owner"


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
        assert "admin@shop.localhost" in text
        for password in PASSWORDS:
            assert password not in text


def test_json_round_trip_for_the_keyring() -> None:
    text = KNOWN.to_json()
    assert json.loads(text) == {
        "admin_user": "admin",
        "admin_email": "admin@shop.localhost",
        "admin_password": "Adminpass1xyz",
        "database_password": "Dbpass2xyz",
        "database_root_password": "Rootpass3xyz",
    }
    assert Credentials.from_json(text) == KNOWN


def test_from_json_ignores_keys_it_does_not_know() -> None:
    data = json.loads(KNOWN.to_json()) | {"note": "written by a newer Storedesk"}
    assert Credentials.from_json(json.dumps(data)) == KNOWN


def _json_without(*keys: str, **changes: object) -> str:
    data = json.loads(KNOWN.to_json()) | changes
    return json.dumps({k: v for k, v in data.items() if k not in keys})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "the keyring entry is not a JSON object"),
        ('["admin"]', "the keyring entry is not a JSON object"),
        (
            _json_without("admin_password", "database_root_password"),
            "the keyring entry lacks admin_password, database_root_password",
        ),
        (_json_without(database_password=""), "the keyring entry has no text in database_password"),
        (_json_without(admin_user=7), "the keyring entry has no text in admin_user"),
    ],
)
def test_from_json_refuses_damaged_entries_without_showing_them(text: str, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        Credentials.from_json(text)
    assert caught.value.message == message
    assert not any(p in str(caught.value) for p in PASSWORDS)


def test_secret_keys_follow_the_chart_contract() -> None:
    assert SECRET_KEYS == {
        "admin_user": "admin-user",
        "admin_email": "admin-email",
        "admin_password": "admin-password",
        "database_password": "database-password",
        "database_root_password": "database-root-password",
    }


def test_from_secret_data_rebuilds_the_credentials() -> None:
    data = {
        "admin-user": b64("admin"),
        "admin-email": b64("admin@shop.localhost"),
        "admin-password": b64("Adminpass1xyz"),
        "database-password": b64("Dbpass2xyz"),
        "database-root-password": b64("Rootpass3xyz"),
        "unrelated": b64("ignored"),
    }
    assert Credentials.from_secret_data(data) == KNOWN


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"admin-user": b64("admin"), "admin-email": b64("a@b.c")},
            "the credentials Secret lacks admin-password, database-password, "
            "database-root-password",
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
        Credentials.from_secret_data(data)
    assert caught.value.message == message
