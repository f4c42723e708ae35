"""Engines are data: each chart folder carries an `engine.yaml` manifest, read here.

A manifest says what Storedesk needs to know about a chart and nothing else: its name
and display name, what its first install costs, where its admin lives, how a store's URL
is built, the credentials it takes (which Storedesk generates, which chart value carries
each, which key of the store's Secret holds it), the chart values Storedesk fills from a
store's options, its components for status, and the options a user may set. No code
outside this module knows any engine by name. Reading the files is provisioning's job
(`storedesk.provisioning.engines`); this module only turns their data into an Engine.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from storedesk.domain.credentials import Credentials
from storedesk.domain.names import MAX_LENGTH
from storedesk.errors import InvalidInput

MANIFEST = "engine.yaml"

# A DNS-1123 subdomain: dot-separated labels of a-z, 0-9 and inner hyphens.
_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_MAX_DOMAIN = 253 - MAX_LENGTH - 1  # `<store>.<domain>` must stay a valid hostname
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_ENGINE_NAME = re.compile(r"[a-z][a-z0-9-]{0,30}")


@dataclass(frozen=True)
class EngineOption:
    """An advanced option the window shows (and the CLI accepts) when creating a store."""

    key: str
    label: str
    default: str | bool
    help: str
    kind: str  # "hostname", "name-or-empty", "bool", "port" or "choice": how a value is checked
    choices: tuple[str, ...] = ()  # for "choice"


@dataclass(frozen=True)
class CredentialField:
    """One credential of a store: where the chart takes it and the Secret keeps it."""

    name: str  # e.g. admin_password
    label: str  # e.g. Admin password
    value: str  # the chart value that carries it, e.g. auth.adminPassword
    secret_key: str  # its key in the store's credentials Secret, e.g. admin-password
    generate: bool  # a password Storedesk makes (the login fields are given)
    public: bool = False  # shown as it is (a publishable API key), never masked


@dataclass(frozen=True)
class Component:
    """A part of a store the status names (a Deployment, StatefulSet or the setup Job)."""

    name: str
    kind: str


def _option_problem(option: EngineOption, value: object) -> str | None:
    what = option.label.lower()
    if option.kind == "bool":
        return None if isinstance(value, bool) else f"{what} must be true or false"
    if option.kind == "port":
        ok = isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 65535
        return None if ok else f"{what} must be a port number from 1 to 65535, or 0 for none"
    if option.kind == "choice":
        told = ", ".join(option.choices)
        return None if value in option.choices else f"{what} must be one of: {told}"
    if not isinstance(value, str):
        return f"{what} must be text"
    if option.kind == "hostname":
        if not value:
            return f"a {what} is required, e.g. localhost or shops.example.com"
        if len(value) > _MAX_DOMAIN or not _SUBDOMAIN.fullmatch(value):
            return (
                f"{what} '{value}' is not a valid DNS name: use lowercase letters, digits, "
                f"hyphens and dots, at most {_MAX_DOMAIN} characters"
            )
    if option.kind == "name-or-empty" and value and not _SUBDOMAIN.fullmatch(value):
        return (
            f"{what} '{value}' is not a valid Kubernetes name: use lowercase letters, "
            "digits, hyphens and dots, or leave it empty for the cluster's default"
        )
    return None


@dataclass(frozen=True)
class Engine:
    """A kind of shop Storedesk can install: its chart folder and its manifest's data."""

    name: str
    display_name: str
    chart: str  # the chart folder
    description: str
    first_install: str  # what a first install costs (time, memory, downloads)
    admin_path: str  # where the shop's admin lives on the store's host
    url: str  # e.g. "{scheme}://{store}.{domain}/"
    admin_user: str
    admin_email: str  # e.g. "admin@{store}.{domain}"
    credentials_secret_name: str  # e.g. "{store}-credentials"
    credential_fields: tuple[CredentialField, ...]
    values_from_options: tuple[tuple[str, str], ...]  # (chart value path, template)
    components: tuple[Component, ...]
    options: tuple[EngineOption, ...]
    order: int = 100
    links: tuple[tuple[str, str], ...] = ()  # (label, path) of more addresses to show
    timeout: float | None = None  # seconds helm gets by default (a long first install)
    # The chart takes where the ingress controller runs (storedesk-lib's contract:
    # ingress.controllerNamespaces / ingress.controllerOutsideCluster), so its network
    # policy admits exactly that controller.
    ingress_placement: bool = False
    forward_service: str = ""  # e.g. "{store}-wordpress": the Service a port-forward reaches
    forward_port: int = 0  # its port
    forward_component: str = ""  # the pods behind it (app.kubernetes.io/component)
    forward_container_port: int = 0  # the port those pods serve on
    storefront_marker: str = ""  # text the storefront's page carries when the shop answers

    # -- options ----------------------------------------------------------------------------

    def option(self, key: str) -> EngineOption | None:
        """The option called `key`, if this engine has it."""
        return next((o for o in self.options if o.key == key), None)

    def option_problem(self, key: str, value: object) -> str | None:
        """What is wrong with one option value as typed, or None: for live validation."""
        option = self.option(key)
        if option is None:
            known = ", ".join(o.key for o in self.options)
            return f"unknown option '{key}'; options are: {known}"
        return _option_problem(option, value)

    def resolve_options(self, options: Mapping[str, object] | None = None) -> dict[str, Any]:
        """`options` checked and completed with defaults; InvalidInput on the first problem.
        Values are taken as typed: `Localhost` is refused, never lowered behind the user."""
        resolved: dict[str, Any] = {o.key: o.default for o in self.options}
        for key, value in (options or {}).items():
            problem = self.option_problem(key, value)
            if problem:
                raise InvalidInput(problem)
            resolved[key] = value
        return resolved

    # -- what the chart takes -----------------------------------------------------------------

    def _fill(self, template: str, store: str, options: Mapping[str, Any]) -> Any:
        scheme = "https" if options.get("tls") else "http"
        port = f":{options['url_port']}" if options.get("url_port") else ""
        known = {"store": store, "scheme": scheme, "port": port, **options}
        whole = _PLACEHOLDER.fullmatch(template)
        if whole:  # a value that is one placeholder keeps its type (tls stays a bool)
            return known[whole.group(1)]
        return _PLACEHOLDER.sub(lambda m: str(known[m.group(1)]), template)

    def values(self, store: str, options: Mapping[str, object] | None = None) -> dict[str, Any]:
        """The chart's non-secret values for `store` (safe to log)."""
        resolved = self.resolve_options(options)
        values: dict[str, Any] = {}
        for path, template in self.values_from_options:
            _put(values, path, self._fill(template, store, resolved))
        return values

    def secret_values(self, credentials: Credentials) -> dict[str, Any]:
        """The chart's secret values: pass them through stdin or a private file, never argv."""
        values: dict[str, Any] = {}
        for f in self.credential_fields:
            _put(values, f.value, credentials[f.name])
        return values

    def credentials_from_values(self, values: Mapping[str, Any]) -> Credentials:
        """The credentials a release was installed with, read back from its values (the
        inverse of secret_values); InvalidInput when they are not there."""
        found: dict[str, object] = {}
        for f in self.credential_fields:
            node: Any = values
            for part in f.value.split("."):
                node = node.get(part) if isinstance(node, Mapping) else None
            if node is not None:
                found[f.name] = node
        return Credentials.from_fields(
            found, "the release's values", {f.name: f.name for f in self.credential_fields}
        )

    # -- credentials --------------------------------------------------------------------------

    @property
    def credential_names(self) -> tuple[str, ...]:
        """Every credential field, in the manifest's order."""
        return tuple(f.name for f in self.credential_fields)

    def ordered(self, credentials: Credentials) -> list[tuple[str, str]]:
        """Each credential field and its value, in the manifest's order."""
        return [(f.name, credentials[f.name]) for f in self.credential_fields]

    def generate_credentials(self, store: str, options: Mapping[str, object]) -> Credentials:
        """Fresh credentials for a new store."""
        resolved = self.resolve_options(options)
        return Credentials.generate(
            self._fill(self.admin_user, store, resolved),
            self._fill(self.admin_email, store, resolved),
            tuple(f.name for f in self.credential_fields if f.generate),
        )

    def credentials_secret(self, store: str) -> str:
        """The in-cluster Secret the chart keeps the store's credentials in."""
        return self.credentials_secret_name.replace("{store}", store)

    def credentials_from_secret(self, data: Mapping[str, str]) -> Credentials:
        """Credentials from the `data` of the store's credentials Secret."""
        return Credentials.from_secret_data(
            data, {f.name: f.secret_key for f in self.credential_fields}
        )

    def credentials_from_json(self, text: str, source: str) -> Credentials:
        """Credentials from a keyring value."""
        return Credentials.from_json(text, self.credential_names, source)

    # -- where it answers -----------------------------------------------------------------------

    def forward_target(self, store: str) -> tuple[str, int] | None:
        """(Service, port) a port-forward to the store reaches, or None if it has none."""
        if not self.forward_service:
            return None
        return self.forward_service.replace("{store}", store), self.forward_port

    def store_url(self, store: str, options: Mapping[str, object] | None = None) -> str:
        """Where shoppers open the store."""
        return str(self._fill(self.url, store, self.resolve_options(options)))

    def admin_url(self, store: str, options: Mapping[str, object] | None = None) -> str:
        """Where the shop owner logs in."""
        return self.store_url(store, options) + self.admin_path.lstrip("/")

    def link_urls(
        self, store: str, options: Mapping[str, object] | None = None
    ) -> tuple[tuple[str, str], ...]:
        """More addresses of the store (e.g. Medusa's Store API), by label."""
        root = self.store_url(store, options).split("/", 3)[:3]
        return tuple((label, "/".join(root) + path) for label, path in self.links)

    @property
    def public_fields(self) -> tuple[str, ...]:
        """Credentials shown as they are: not secrets (a publishable API key)."""
        return tuple(f.name for f in self.credential_fields if f.public)


def merged_values(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """Chart values `base` with `extra` merged in, nested mappings key by key (as helm
    merges two values files)."""
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merged_values(out[key], value)
        else:
            out[key] = value
    return out


def _put(values: dict[str, Any], path: str, value: Any) -> None:
    """Set a dotted chart value path (auth.adminPassword) in a nested dict."""
    *parents, leaf = path.split(".")
    node = values
    for part in parents:
        node = node.setdefault(part, {})
    node[leaf] = value


# -- reading manifests -------------------------------------------------------------------------


def parse_manifest(data: object, chart: str) -> Engine:
    """An Engine from the parsed `engine.yaml` of chart folder `chart`; InvalidInput naming
    the folder and the problem otherwise."""
    where = f"{chart}/{MANIFEST}"

    def need(mapping: object, key: str, kind: type = str) -> Any:
        value = mapping.get(key) if isinstance(mapping, Mapping) else None
        if not isinstance(value, kind) or (kind is str and not value):
            raise InvalidInput(f"engine manifest {where}: '{key}' must be a {kind.__name__}")
        return value

    if not isinstance(data, Mapping):
        raise InvalidInput(f"engine manifest {where}: not a mapping of fields")
    manifest: Mapping[str, Any] = data
    name = need(data, "name")
    if not _ENGINE_NAME.fullmatch(name):
        raise InvalidInput(f"engine manifest {where}: name '{name}' is not a lowercase word")
    fields = tuple(
        CredentialField(
            need(f, "name"),
            need(f, "label"),
            need(f, "value"),
            need(f, "secretKey"),
            bool(f.get("generate", False)),
            bool(f.get("public", False)),
        )
        for f in need(data, "credentials", list)
    )
    names = {f.name for f in fields}
    if not {"admin_user", "admin_email", "admin_password"} <= names:
        raise InvalidInput(
            f"engine manifest {where}: credentials must include admin_user, admin_email "
            "and admin_password"
        )
    options = tuple(
        EngineOption(
            need(o, "key"),
            need(o, "label"),
            o.get("default", ""),
            str(o.get("help", "")),
            need(o, "kind"),
            tuple(str(c) for c in o.get("choices", ())),
        )
        for o in need(data, "options", list)
    )
    for option in options:
        if option.kind not in ("hostname", "name-or-empty", "bool", "port", "choice"):
            raise InvalidInput(f"engine manifest {where}: unknown option kind '{option.kind}'")
    values = need(data, "values", dict)
    forward = manifest.get("forward") or {}
    if not isinstance(forward, Mapping):
        raise InvalidInput(f"engine manifest {where}: 'forward' must be a mapping")
    return Engine(
        name=name,
        display_name=need(data, "displayName"),
        chart=chart,
        description=str(manifest.get("description", "")),
        first_install=str(manifest.get("firstInstall", "")),
        admin_path=need(data, "adminPath"),
        url=need(data, "url"),
        admin_user=need(data, "adminUser"),
        admin_email=need(data, "adminEmail"),
        credentials_secret_name=need(data, "credentialsSecret"),
        credential_fields=fields,
        values_from_options=tuple((str(k), str(v)) for k, v in values.items()),
        components=tuple(
            Component(need(c, "name"), need(c, "kind")) for c in need(data, "components", list)
        ),
        options=options,
        order=int(manifest.get("order", 100)),
        forward_service=str(forward.get("service", "")),
        forward_port=int(forward.get("port", 0)),
        forward_component=str(forward.get("component", "")),
        forward_container_port=int(forward.get("containerPort", forward.get("port", 0))),
        storefront_marker=str(manifest.get("storefrontMarker", "")),
        links=tuple(
            (need(link, "label"), need(link, "path")) for link in manifest.get("links") or ()
        ),
        timeout=float(manifest["timeout"]) if manifest.get("timeout") else None,
        ingress_placement=bool(manifest.get("ingressPlacement", False)),
    )


class Registry:
    """The engines this installation has, in the order New store lists them."""

    def __init__(self, engines: Iterable[Engine]) -> None:
        self._engines = {e.name: e for e in sorted(engines, key=lambda e: (e.order, e.name))}

    def all(self) -> tuple[Engine, ...]:
        """Every engine."""
        return tuple(self._engines.values())

    @property
    def default(self) -> Engine:
        """The engine New store offers first."""
        return next(iter(self._engines.values()))

    def get(self, name: str) -> Engine:
        """The engine called `name` as typed; InvalidInput listing the known ones otherwise."""
        engine = self._engines.get(name)
        if engine is None:
            raise InvalidInput(
                f"unknown engine '{name}'", hint="engines: " + ", ".join(self._engines)
            )
        return engine
