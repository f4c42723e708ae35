"""A store's generated credentials: made with `secrets`, kept as JSON, never printed."""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import string
from collections.abc import Mapping
from dataclasses import dataclass, field

from storedesk.errors import InvalidInput

# Letters and digits only: nothing WordPress, MySQL, YAML or a shell would interpret.
# 24 of 62 symbols is about 143 bits. A leading letter keeps YAML from reading a value as
# a number; one of each class satisfies common password policies.
PASSWORD_LENGTH = 24
_ALPHABET = string.ascii_letters + string.digits

# The admin's login: given, not generated, and not secret.
LOGIN_FIELDS = ("admin_user", "admin_email")


@dataclass(frozen=True)
class KeyringKey:
    """Which keyring entry holds a store's credentials.

    Context names repeat across clusters (every kind cluster is `kind-kind`), so the entry
    is bound to something the cluster itself proves: the uid of its `kube-system`
    namespace, made anew with every cluster. Entries of Storedesk 0.1 had no cluster
    (`cluster=None`); they are only trusted once the store's Secret confirms them.
    """

    context: str
    store: str
    cluster: str | None

    @property
    def username(self) -> str:
        """The entry's keyring username, readable in a passwords app."""
        base = f"{self.context}/{self.store}"
        return base if self.cluster is None else f"{base} (cluster {self.cluster})"

    def legacy(self) -> KeyringKey:
        """The same store's entry as Storedesk 0.1 named it (no cluster)."""
        return KeyringKey(self.context, self.store, None)


def new_password(length: int = PASSWORD_LENGTH) -> str:
    """A random password of letters and digits, starting with a letter, with every class."""
    while True:
        password = "".join(secrets.choice(_ALPHABET) for _ in range(length))
        if (
            password[0].isalpha()
            and any(c.islower() for c in password)
            and any(c.isupper() for c in password)
            and any(c.isdigit() for c in password)
        ):
            return password


@dataclass(frozen=True)
class Credentials:
    """A store's admin login and every password its engine generates, by field name (e.g.
    admin_user, admin_email, admin_password, database_password); repr shows no value."""

    # (field, value) sorted by field: two copies of the same credentials compare equal.
    fields: tuple[tuple[str, str], ...] = field(repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "fields", tuple(sorted(self.fields)))

    def __repr__(self) -> str:
        return f"Credentials(admin_user={self.admin_user!r}, fields={list(self.as_dict())})"

    def __getitem__(self, name: str) -> str:
        return self.as_dict()[name]

    def as_dict(self) -> dict[str, str]:
        """Every field and its value."""
        return dict(self.fields)

    @property
    def admin_user(self) -> str:
        """The shop's admin login name."""
        return self["admin_user"]

    @property
    def admin_email(self) -> str:
        """The shop admin's email address."""
        return self["admin_email"]

    @property
    def admin_password(self) -> str:
        """The shop admin's password."""
        return self["admin_password"]

    def secrets(self) -> tuple[str, ...]:
        """Every password (what must never reach argv, logs or messages)."""
        return tuple(v for k, v in self.fields if k not in LOGIN_FIELDS)

    @classmethod
    def generate(cls, admin_user: str, admin_email: str, passwords: tuple[str, ...]) -> Credentials:
        """Fresh credentials: the given login and a new password for each name in `passwords`."""
        made = {name: new_password() for name in passwords}
        return cls(tuple({"admin_user": admin_user, "admin_email": admin_email, **made}.items()))

    def to_json(self) -> str:
        """The keyring value: a JSON object of every field."""
        return json.dumps(self.as_dict(), sort_keys=True)

    @classmethod
    def from_json(
        cls, text: str, names: tuple[str, ...], source: str = "the keyring entry"
    ) -> Credentials:
        """Credentials from a keyring value written by to_json: the fields in `names`."""
        try:
            data = json.loads(text)
        except (TypeError, ValueError):
            raise InvalidInput(f"{source} is not a JSON object") from None
        if not isinstance(data, dict):
            raise InvalidInput(f"{source} is not a JSON object")
        return cls.from_fields(data, source, {name: name for name in names})

    @classmethod
    def from_secret_data(cls, data: Mapping[str, str], keys: Mapping[str, str]) -> Credentials:
        """Credentials from the `data` of the store's credentials Secret (base64 values);
        keys maps each field to its key in the Secret."""
        decoded: dict[str, object] = {}
        for key, value in data.items():
            try:
                decoded[key] = base64.b64decode(value, validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError, TypeError, ValueError):
                raise InvalidInput(
                    f"the credentials Secret's key '{key}' is not base64-encoded UTF-8 text"
                ) from None
        return cls.from_fields(decoded, "the credentials Secret", keys)

    @classmethod
    def from_fields(
        cls, data: Mapping[str, object], source: str, keys: Mapping[str, str]
    ) -> Credentials:
        """Build from `data` whose key for each field is keys[field]; messages name keys only."""
        missing = [key for key in keys.values() if key not in data]
        if missing:
            raise InvalidInput(f"{source} lacks {', '.join(missing)}")
        empty = [key for key in keys.values() if not isinstance(data[key], str) or not data[key]]
        if empty:
            raise InvalidInput(f"{source} has no text in {', '.join(empty)}")
        return cls(tuple((name, str(data[key])) for name, key in keys.items()))
