"""helm command lines as data: the flags each helm major wants, and the cluster selection.

Nothing here runs anything. Every command names the kubeconfig and context explicitly
(`ClusterTarget.helm_flags` / `helm_env`) and a namespace, so helm never falls back to
whatever the user's shell happens to select.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from storedesk.cluster.kubeconfig import ClusterTarget

SUPPORTED_HELM = "helm 3.14 or newer, or helm 4"
_VERSION = re.compile(r"v?(\d+)\.(\d+)\.(\d+)")


@dataclass(frozen=True, order=True)
class HelmVersion:
    """A helm release version."""

    major: int
    minor: int
    patch: int

    @classmethod
    def parse(cls, text: str) -> HelmVersion | None:
        """The first `vX.Y.Z` in helm's output, or None."""
        match = _VERSION.search(text)
        return cls(*(int(g) for g in match.groups())) if match else None

    @property
    def supported(self) -> bool:
        """helm 3.14+ (for --reset-then-reuse-values) and helm 4."""
        return (self.major == 3 and self.minor >= 14) or self.major == 4

    def __str__(self) -> str:
        return f"v{self.major}.{self.minor}.{self.patch}"


@dataclass(frozen=True)
class HelmCommand:
    """One helm invocation: its argv, the env it needs, and what it is about (for errors)."""

    argv: tuple[str, ...]
    verb: str
    release: str | None = None
    namespace: str | None = None
    timeout: float | None = None  # helm's own --timeout, in seconds
    env: Mapping[str, str] = field(default_factory=dict)


def version_argv(helm: Path) -> tuple[str, ...]:
    """`helm version` printing only the version (no cluster involved)."""
    return (str(helm), "version", "--template", "{{.Version}}")


def _duration(seconds: float) -> str:
    return f"{max(1, round(seconds))}s"


@dataclass(frozen=True)
class HelmArgv:
    """Builds helm commands for one helm binary and one cluster selection."""

    helm: Path
    version: HelmVersion
    target: ClusterTarget

    def _command(
        self,
        verb: str,
        args: Sequence[str],
        namespace: str | None,
        release: str | None = None,
        timeout: float | None = None,
    ) -> HelmCommand:
        scope = ["--namespace", namespace] if namespace else ["--all-namespaces"]
        argv = (str(self.helm), *verb.split(), *args, *self.target.helm_flags(), *scope)
        return HelmCommand(argv, verb, release, namespace, timeout, self.target.helm_env())

    def _wait(self, wait: bool) -> list[str]:
        if not wait:
            return []
        # helm 4's bare --wait means "hookOnly"; watcher is its kstatus-based real wait.
        return ["--wait=watcher"] if self.version.major >= 4 else ["--wait"]

    def upgrade_install(
        self,
        release: str,
        chart: str | Path,
        namespace: str,
        *,
        wait: bool = True,
        timeout: float = 600,
        atomic: bool = False,
        force_conflicts: bool = False,
    ) -> HelmCommand:
        """`helm upgrade --install`, printing the release as JSON, its values read from
        stdin; `force_conflicts` (helm 4's server-side apply) takes back fields others
        changed."""
        # helm 3 and 4 read `-` from stdin: secrets then never touch a file or argv.
        args = ["--install", release, str(chart), "--values", "-"]
        args += self._wait(wait)
        if atomic:
            args.append("--rollback-on-failure" if self.version.major >= 4 else "--atomic")
        if force_conflicts and self.version.major >= 4:
            args.append("--force-conflicts")
        args += ["--timeout", _duration(timeout), "--output", "json"]
        return self._command("upgrade", args, namespace, release, timeout)

    def uninstall(
        self, release: str, namespace: str, *, wait: bool = False, timeout: float = 300
    ) -> HelmCommand:
        """`helm uninstall` (a missing release fails; the runner reads that as nothing to do)."""
        args = [release, *self._wait(wait), "--timeout", _duration(timeout)]
        return self._command("uninstall", args, namespace, release, timeout)

    def status(self, release: str, namespace: str) -> HelmCommand:
        """`helm status -o json`."""
        return self._command("status", [release, "--output", "json"], namespace, release)

    def list_releases(self, namespace: str | None) -> HelmCommand:
        """`helm list -o json` of every release in any state; namespace None means all."""
        # helm 3 hides pending/uninstalling releases unless --all; helm 4 lists all and
        # has no --all. --max 0 lifts the default cap of 256 releases.
        every = ["--all"] if self.version.major == 3 else []
        return self._command("list", [*every, "--max", "0", "--output", "json"], namespace)

    def history(self, release: str, namespace: str) -> HelmCommand:
        """`helm history -o json`."""
        return self._command("history", [release, "--output", "json"], namespace, release)

    def rollback(
        self,
        release: str,
        namespace: str,
        revision: int,
        *,
        wait: bool = True,
        timeout: float = 600,
    ) -> HelmCommand:
        """`helm rollback RELEASE REVISION`."""
        args = [release, str(revision), *self._wait(wait), "--timeout", _duration(timeout)]
        return self._command("rollback", args, namespace, release, timeout)

    def template(self, release: str, chart: str | Path, namespace: str) -> HelmCommand:
        """`helm template` of the chart's install (tests left out), values read from stdin."""
        args = [release, str(chart), "--values", "-", "--skip-tests"]
        return self._command("template", args, namespace, release)

    def get_values(self, release: str, namespace: str) -> HelmCommand:
        """`helm get values -o json`: the values the release was installed with."""
        return self._command("get values", [release, "--output", "json"], namespace, release)
