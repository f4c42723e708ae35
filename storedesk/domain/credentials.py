"""A store's generated credentials: made with `secrets`, kept as JSON, never printed."""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import string
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields

from storedesk.errors import InvalidInput

# Letters and digits only: nothing WordPress, MySQL, YAML or a shell would interpret.
# 24 of 62 symbols is about 143 bits. A leading letter keeps YAML from reading a value as
# a number; one of each class satisfies common password policies.
PASSWORD_LENGTH = 24
_ALPHABET = string.ascii_letters + string.digits

DEFAULT_ADMIN_USER = "admin"

# Field name -> key in the chart's in-cluster Secret `<store>-credentials`.
SECRET_KEYS = {
    "admin_user": "admin-user",
    "admin_email": "admin-email",
    "admin_password": "admin-password",
    "database_password": "database-password",
    "database_root_password": "database-root-password",
}


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
    """The admin login and database passwords of one store; repr never shows a password."""

    admin_user: str
    admin_email: str
    admin_password: str = field(repr=False)
    database_password: str = field(repr=False)
    database_root_password: str = field(repr=False)

    @classmethod
    def generate(cls, admin_email: str, admin_user: str = DEFAULT_ADMIN_USER) -> Credentials:
        """Fresh credentials with three new passwords."""
        return cls(admin_user, admin_email, new_password(), new_password(), new_password())

    def to_json(self) -> str:
        """The keyring value: a JSON object of every field."""
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str, source: str = "the keyring entry") -> Credentials:
        """Credentials from a keyring value written by to_json (extra keys are ignored)."""
        try:
            data = json.loads(text)
        except (TypeError, ValueError):
            raise InvalidInput(f"{source} is not a JSON object") from None
        if not isinstance(data, dict):
            raise InvalidInput(f"{source} is not a JSON object")
        return cls.from_fields(data, source, {f.name: f.name for f in fields(cls)})

    @classmethod
    def from_secret_data(cls, data: Mapping[str, str]) -> Credentials:
        """Credentials from the `data` of the store's credentials Secret (base64 values)."""
        decoded: dict[str, object] = {}
        for key, value in data.items():
            try:
                decoded[key] = base64.b64decode(value, validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError, TypeError, ValueError):
                raise InvalidInput(
                    f"the credentials Secret's key '{key}' is not base64-encoded UTF-8 text"
                ) from None
        return cls.from_fields(decoded, "the credentials Secret", SECRET_KEYS)

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
        return cls(**{name: data[key] for name, key in keys.items()})
