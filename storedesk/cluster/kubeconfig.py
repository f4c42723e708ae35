"""Cluster selection: which kubeconfig files and which context, resolved as kubectl resolves them.

`--kubeconfig` names one file; else KUBECONFIG lists files (os.pathsep-separated, missing
ones skipped, merged: the first file to define a named entry wins, and current-context
comes from the first file that sets it); else ~/.kube/config. The result, a
`ClusterTarget`, is handed explicitly to every helm and kubernetes-client call so both
always talk to the same cluster as the same user.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from storedesk.errors import KubeconfigError

_CHECK_HINT = "`kubectl config view` shows what kubectl makes of it"


@dataclass(frozen=True)
class ClusterTarget:
    """The kubeconfig files and the context every cluster call must name."""

    kubeconfig_paths: tuple[Path, ...]
    context: str

    @property
    def kubeconfig(self) -> str:
        """The files joined by os.pathsep, as KUBECONFIG lists them."""
        return os.pathsep.join(str(p) for p in self.kubeconfig_paths)

    def helm_flags(self) -> list[str]:
        """helm's selection flags: `--kubeconfig` for one file (several go in helm_env)."""
        if len(self.kubeconfig_paths) == 1:
            return ["--kubeconfig", str(self.kubeconfig_paths[0]), "--kube-context", self.context]
        return ["--kube-context", self.context]  # helm's --kubeconfig takes a single file

    def helm_env(self) -> dict[str, str]:
        """Env for helm for this selection: KUBECONFIG, only when there are several files."""
        return {"KUBECONFIG": self.kubeconfig} if len(self.kubeconfig_paths) > 1 else {}

    def client_kwargs(self) -> dict[str, str]:
        """Keyword arguments for kubernetes.config.new_client_from_config / load_kube_config."""
        return {"config_file": self.kubeconfig, "context": self.context}


@dataclass(frozen=True)
class ContextInfo:
    """One context as `storedesk contexts` lists it."""

    name: str
    cluster: str
    server: str
    namespace: str
    user: str
    is_current: bool


@dataclass(frozen=True)
class Kubeconfig:
    """A merged kubeconfig: the parts Storedesk reads."""

    paths: tuple[Path, ...]
    contexts: Mapping[str, Mapping[str, Any]]  # name -> {cluster, user, namespace}
    clusters: Mapping[str, Mapping[str, Any]]  # name -> {server, ...}
    current_context: str | None

    def describe(self) -> str:
        """The files, as error messages name them."""
        if len(self.paths) == 1:
            return str(self.paths[0])
        return "the kubeconfig files " + ", ".join(str(p) for p in self.paths)

    def context_infos(self) -> list[ContextInfo]:
        """Every context, sorted by name."""
        infos = []
        for name in sorted(self.contexts):
            ctx = self.contexts[name]
            cluster = str(ctx.get("cluster") or "")
            infos.append(
                ContextInfo(
                    name=name,
                    cluster=cluster,
                    server=str(self.clusters.get(cluster, {}).get("server") or ""),
                    namespace=str(ctx.get("namespace") or "default"),
                    user=str(ctx.get("user") or ""),
                    is_current=name == self.current_context,
                )
            )
        return infos

    def target(self, context: str | None) -> ClusterTarget:
        """The selection for `context` (or the current one), checked to lead to a server."""
        available = ", ".join(sorted(self.contexts))
        if not self.contexts:
            raise KubeconfigError(
                f"{self.describe()} defines no contexts",
                hint="add one (`kubectl config set-context`) or choose another kubeconfig",
            )
        name = context or self.current_context
        if not name:
            raise KubeconfigError(
                f"no context selected and {self.describe()} sets no current-context",
                hint=f"choose one with --context; available: {available}",
            )
        if name not in self.contexts:
            raise KubeconfigError(
                f"context {name!r} not found in {self.describe()}",
                hint=f"available contexts: {available}",
            )
        cluster = str(self.contexts[name].get("cluster") or "")
        if cluster not in self.clusters:
            # kubectl would silently fall back to http://localhost:8080: say so instead.
            raise KubeconfigError(
                f"context {name!r} refers to cluster {cluster!r}, "
                f"which {self.describe()} does not define",
                hint=_CHECK_HINT,
            )
        if not self.clusters[cluster].get("server"):
            raise KubeconfigError(
                f"cluster {cluster!r} in {self.describe()} has no server address",
                hint=_CHECK_HINT,
            )
        return ClusterTarget(self.paths, name)


def _named_entries(doc: Mapping[str, Any], key: str, inner: str, source: str) -> dict[str, Any]:
    entries = doc.get(key) or []
    if not isinstance(entries, list):
        raise KubeconfigError(
            f"{source} is not a valid kubeconfig: {key!r} must be a list", hint=_CHECK_HINT
        )
    named: dict[str, Any] = {}
    for entry in entries:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("name"), str):
            raise KubeconfigError(
                f"{source} is not a valid kubeconfig: every entry of {key!r} needs a name",
                hint=_CHECK_HINT,
            )
        body = entry.get(inner) or {}
        if not isinstance(body, Mapping):
            raise KubeconfigError(
                f"{source} is not a valid kubeconfig: {key} entry {entry['name']!r} "
                f"has no {inner!r} mapping",
                hint=_CHECK_HINT,
            )
        named[entry["name"]] = body  # within one file, as client-go does, the last one wins
    return named


def parse_kubeconfig(text: str, source: str) -> dict[str, Any]:
    """One kubeconfig file's text -> {contexts, clusters, current_context}; `source` names it."""
    import yaml  # here: the window imports this module before it shows, reads files after

    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        # Only the problem and position: the YAML snippet could show a token or key.
        problem = getattr(exc, "problem", None) or "unreadable YAML"
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise KubeconfigError(
            f"{source} is not valid YAML: {problem}{where}", hint=_CHECK_HINT
        ) from None
    if doc is None:
        doc = {}  # client-go reads an empty file as an empty config
    if not isinstance(doc, Mapping):
        raise KubeconfigError(
            f"{source} is not a valid kubeconfig: not a YAML mapping", hint=_CHECK_HINT
        )
    current = doc.get("current-context")
    if current is not None and not isinstance(current, str):
        raise KubeconfigError(
            f"{source} is not a valid kubeconfig: current-context is not text", hint=_CHECK_HINT
        )
    return {
        "contexts": _named_entries(doc, "contexts", "context", source),
        "clusters": _named_entries(doc, "clusters", "cluster", source),
        "current_context": current or None,
    }


def merge_kubeconfigs(docs: Sequence[tuple[Path, Mapping[str, Any]]]) -> Kubeconfig:
    """Merge parsed files in order: first definition of a name wins, first current-context wins."""
    contexts: dict[str, Mapping[str, Any]] = {}
    clusters: dict[str, Mapping[str, Any]] = {}
    current: str | None = None
    for _, doc in docs:
        for name, body in doc["contexts"].items():
            contexts.setdefault(name, body)
        for name, body in doc["clusters"].items():
            clusters.setdefault(name, body)
        current = current or doc["current_context"]
    return Kubeconfig(tuple(p for p, _ in docs), contexts, clusters, current)


def _absolute(raw: str) -> Path:
    return Path(os.path.expanduser(raw)).absolute()


def kubeconfig_paths(kubeconfig: str | None, env: Mapping[str, str]) -> tuple[list[Path], str]:
    """The candidate files and where they came from: "flag", "KUBECONFIG" or "default"."""
    if kubeconfig:
        return [_absolute(kubeconfig)], "flag"
    listed = env.get("KUBECONFIG", "")
    if listed:
        paths = dict.fromkeys(_absolute(p) for p in listed.split(os.pathsep) if p)
        return list(paths), "KUBECONFIG"
    home = env.get("HOME") or str(Path.home())
    return [Path(home) / ".kube" / "config"], "default"


def _missing_error(paths: list[Path], origin: str) -> KubeconfigError:
    if origin == "flag":
        return KubeconfigError(
            f"kubeconfig file {paths[0]} does not exist", hint="check the --kubeconfig path"
        )
    if origin == "KUBECONFIG":
        listed = ", ".join(str(p) for p in paths)
        return KubeconfigError(
            f"none of the files KUBECONFIG lists exist: {listed}",
            hint="fix KUBECONFIG or pass --kubeconfig PATH",
        )
    return KubeconfigError(
        f"no kubeconfig found: {paths[0]} does not exist",
        hint="pass --kubeconfig PATH or set KUBECONFIG, or create one with your cluster's "
        "tools (e.g. `kind create cluster`, `k3d cluster create`, `aws eks update-kubeconfig`)",
    )


def load_kubeconfig(kubeconfig: str | None, env: Mapping[str, str] = os.environ) -> Kubeconfig:
    """Read and merge the kubeconfig files that `--kubeconfig` / KUBECONFIG / HOME select."""
    paths, origin = kubeconfig_paths(kubeconfig, env)
    docs = []
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            if origin == "flag":
                raise _missing_error(paths, origin) from None
            continue  # kubectl skips missing files in KUBECONFIG
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or "not UTF-8 text"
            raise KubeconfigError(
                f"cannot read kubeconfig {path}: {reason}",
                hint="check that it is a readable file, or choose another kubeconfig",
            ) from None
        docs.append((path, parse_kubeconfig(text, str(path))))
    if not docs:
        raise _missing_error(paths, origin)
    return merge_kubeconfigs(docs)


def resolve_target(
    kubeconfig: str | None, context: str | None, env: Mapping[str, str] = os.environ
) -> ClusterTarget:
    """The cluster selection for `--kubeconfig`/`--context` (either may be None)."""
    return load_kubeconfig(kubeconfig, env).target(context)


def list_contexts(kubeconfig: str | None, env: Mapping[str, str] = os.environ) -> list[ContextInfo]:
    """Every context of the selected kubeconfig, sorted by name."""
    return load_kubeconfig(kubeconfig, env).context_infos()
