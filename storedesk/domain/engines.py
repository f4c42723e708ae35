"""The engine registry: which shop software Storedesk can install, and its chart contract.

Every Storedesk chart takes the same values: storeName, domain, ingress.className,
ingress.tls (plain values) and auth.adminUser, auth.adminEmail, auth.adminPassword,
auth.databasePassword, auth.databaseRootPassword (secret values, passed through a private
file). It serves the store at `<store>.<domain>`, labels its setup Job
`storedesk.io/component=setup`, and keeps the credentials in the Secret
`<store>-credentials` (keys: `storedesk.domain.credentials.SECRET_KEYS`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from storedesk.domain.credentials import Credentials
from storedesk.domain.models import NAMESPACE_PREFIX
from storedesk.domain.names import MAX_LENGTH
from storedesk.errors import InvalidInput

# A DNS-1123 subdomain: dot-separated labels of a-z, 0-9 and inner hyphens.
_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_MAX_DOMAIN = 253 - MAX_LENGTH - 1  # `<store>.<domain>` must stay a valid hostname


@dataclass(frozen=True)
class EngineOption:
    """An advanced option the GUI shows (and the CLI accepts) when creating a store."""

    key: str
    label: str
    default: str | bool
    help: str


OPTIONS: tuple[EngineOption, ...] = (
    EngineOption(
        "domain",
        "Domain",
        "localhost",
        "The store answers at <store>.<domain>. Browsers send *.localhost to this machine.",
    ),
    EngineOption(
        "ingress_class",
        "Ingress class",
        "",
        "The cluster's IngressClass to use; empty means the cluster's default class.",
    ),
    EngineOption(
        "tls",
        "HTTPS",
        False,
        "Serve the store over HTTPS with the ingress controller's default certificate.",
    ),
)
_DEFAULTS = {option.key: option.default for option in OPTIONS}
# The chart's `auth.*` values and the Credentials field each carries.
_AUTH_VALUES = {
    "adminUser": "admin_user",
    "adminEmail": "admin_email",
    "adminPassword": "admin_password",
    "databasePassword": "database_password",
    "databaseRootPassword": "database_root_password",
}


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _normalise(value: object) -> object:
    """Text options as Storedesk uses them: trimmed, lowercase, no trailing dot. ASCII
    only: str.lower() would turn a look-alike (the Kelvin sign) into a letter that passes."""
    if not isinstance(value, str):
        return value
    return value.strip(" \t\n\r\v\f").translate(_ASCII_LOWER).rstrip(".")


def option_problem(key: str, value: object) -> str | None:
    """What is wrong with one option value (after normalising), or None: for live validation."""
    value = _normalise(value)
    if key not in _DEFAULTS:
        return f"unknown option '{key}'; options are: {', '.join(_DEFAULTS)}"
    if key == "tls":
        return None if isinstance(value, bool) else "tls must be true or false"
    if not isinstance(value, str):
        return f"{key} must be text"
    if key == "domain":
        if not value:
            return "a domain is required, e.g. localhost or shops.example.com"
        if len(value) > _MAX_DOMAIN or not _SUBDOMAIN.fullmatch(value):
            return (
                f"domain '{value}' is not a valid DNS name: use lowercase letters, digits, "
                f"hyphens and dots, at most {_MAX_DOMAIN} characters"
            )
    if key == "ingress_class" and value and not _SUBDOMAIN.fullmatch(value):
        return (
            f"ingress class '{value}' is not a valid Kubernetes name: use lowercase "
            "letters, digits, hyphens and dots, or leave it empty for the default class"
        )
    return None


def resolve_options(options: Mapping[str, object] | None = None) -> dict[str, str | bool]:
    """`options` checked and completed with defaults; raises InvalidInput on the first problem."""
    resolved: dict[str, str | bool] = dict(_DEFAULTS)
    for key, value in (options or {}).items():
        problem = option_problem(key, value)
        if problem:
            raise InvalidInput(problem)
        resolved[key] = _normalise(value)
    return resolved


@dataclass(frozen=True)
class Engine:
    """A kind of shop Storedesk can install, with its chart and how its stores are reached."""

    name: str
    display_name: str
    chart: str  # relative to the charts folder
    admin_path: str  # where the shop's admin lives on the store's host
    available: bool = True
    unavailable_reason: str | None = None

    def release_name(self, store: str) -> str:
        """The helm release of `store` (its name: at most 20 characters, within helm's 53)."""
        return store

    def namespace(self, store: str) -> str:
        """The namespace that holds everything of `store`."""
        return NAMESPACE_PREFIX + store

    def credentials_secret(self, store: str) -> str:
        """The in-cluster Secret the chart keeps the store's credentials in."""
        return f"{store}-credentials"

    def values(self, store: str, options: Mapping[str, object] | None = None) -> dict[str, object]:
        """The chart's non-secret values for `store` (safe to log and pass on the command line)."""
        resolved = resolve_options(options)
        return {
            "storeName": store,
            "domain": resolved["domain"],
            "ingress": {"className": resolved["ingress_class"], "tls": resolved["tls"]},
        }

    def secret_values(self, credentials: Credentials) -> dict[str, object]:
        """The chart's secret values: pass them through a private file or stdin, never argv."""
        return {"auth": {name: getattr(credentials, field) for name, field in _AUTH_VALUES.items()}}

    def credentials_from_values(self, values: Mapping[str, object]) -> Credentials:
        """The credentials a release was installed with, read back from its values (the
        inverse of secret_values); InvalidInput when they are not there."""
        auth = values.get("auth")
        if not isinstance(auth, Mapping):
            raise InvalidInput("the release's values hold no credentials (no 'auth' section)")
        keys = {field: name for name, field in _AUTH_VALUES.items()}
        return Credentials.from_fields(auth, "the release's values", keys)

    def store_url(self, store: str, domain: str = "localhost", *, tls: bool = False) -> str:
        """Where shoppers open the store."""
        return f"{'https' if tls else 'http'}://{store}.{domain}/"

    def admin_url(self, store: str, domain: str = "localhost", *, tls: bool = False) -> str:
        """Where the shop owner logs in."""
        return self.store_url(store, domain, tls=tls) + self.admin_path.lstrip("/")

    def admin_email(self, store: str, domain: str = "localhost") -> str:
        """The generated admin's email address (WordPress wants one with a dotted domain)."""
        return f"admin@{store}.{domain}"


WOOCOMMERCE = Engine(
    name="woocommerce",
    display_name="WooCommerce",
    chart="woocommerce",
    admin_path="/wp-admin/",
)
MEDUSA = Engine(
    name="medusa",
    display_name="Medusa",
    chart="medusa",
    admin_path="/app/",
    available=False,
    unavailable_reason="not available yet: its Helm chart is not written yet",
)
DEFAULT_ENGINE = WOOCOMMERCE.name

_REGISTRY = {engine.name: engine for engine in (WOOCOMMERCE, MEDUSA)}


def engines() -> tuple[Engine, ...]:
    """Every registered engine, available or not, in the order the GUI lists them."""
    return tuple(_REGISTRY.values())


def available_engines() -> tuple[Engine, ...]:
    """The engines a store can be created with."""
    return tuple(engine for engine in _REGISTRY.values() if engine.available)


def get_engine(name: str, *, require_available: bool = True) -> Engine:
    """The engine called `name`; raises InvalidInput (listing the available ones) otherwise."""
    engine = _REGISTRY.get(name.strip().lower())
    hint = "available engines: " + ", ".join(e.name for e in available_engines())
    if engine is None:
        raise InvalidInput(f"unknown engine '{name}'", hint=hint)
    if require_available and not engine.available:
        raise InvalidInput(f"engine '{engine.name}' is {engine.unavailable_reason}", hint=hint)
    return engine
