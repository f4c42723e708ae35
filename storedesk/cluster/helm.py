"""Running helm: finding a supported binary, a clean environment, secret values through a
private file, a process-wide cap on concurrent helm processes, and helm's stderr turned
into Storedesk's errors.

helm 4 exits 0 or 1 only, so the cause of a failure is read from its stderr; the patterns
below are helm's and Kubernetes' own messages (helm v3.19 / v4.1 and apiserver sources).
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from storedesk.cluster.helm_argv import (
    SUPPORTED_HELM,
    HelmArgv,
    HelmCommand,
    HelmVersion,
    version_argv,
)
from storedesk.cluster.kubeconfig import ClusterTarget
from storedesk.cluster.tools import find_executable, in_background, stop_process, tool_path
from storedesk.domain.limits import parse_helm_concurrency
from storedesk.errors import (
    Cancelled,
    ClusterUnreachable,
    Forbidden,
    HelmFailed,
    HelmTimeout,
    HelmUnavailable,
    InvalidInput,
    KubeconfigError,
    StoredeskError,
)

log = logging.getLogger(__name__)

INSTALL_HINT = (
    "install helm 3.14+ or helm 4 (https://helm.sh/docs/intro/install/; `make run` provides "
    "one), or set STOREDESK_HELM to the helm binary"
)
DEFAULT_HELM_CONCURRENCY = 4
QUERY_TIMEOUT = 90.0  # seconds for status/list/history/get values/version
_STOP_GRACE = 10.0  # seconds helm gets after SIGTERM to mark the release failed


class ReleaseNotFound(HelmFailed):
    """helm has no release of that name in that namespace."""


class ReleasePending(HelmFailed):
    """The release has an install/upgrade/rollback in progress (or one that was interrupted)."""


# --- helm's output --------------------------------------------------------------------


@dataclass(frozen=True)
class ReleaseInfo:
    """One release revision as helm reports it (never its values or manifest)."""

    name: str
    namespace: str
    revision: int
    status: str  # deployed, failed, pending-install, pending-upgrade, superseded, ...
    chart: str = ""  # name-version
    app_version: str = ""
    description: str = ""  # e.g. "Install complete" or why it failed
    updated: datetime | None = None


def _parse_time(text: Any) -> datetime | None:
    # RFC 3339 (status, history) or Go's time.String, "2025-01-02 10:00:00.1 +0000 UTC" (list).
    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.fromisoformat(" ".join(text.split()[:3]))
    except ValueError:
        return None


def parse_release(data: Mapping[str, Any]) -> ReleaseInfo:
    """A release object (`helm status -o json`, `helm upgrade -o json`)."""
    info = data.get("info") or {}
    meta = (data.get("chart") or {}).get("metadata") or {}
    return ReleaseInfo(
        name=data["name"],
        namespace=data.get("namespace", ""),
        revision=int(data.get("version", 0)),
        status=info.get("status", ""),
        chart=f"{meta['name']}-{meta.get('version', '')}" if meta.get("name") else "",
        app_version=meta.get("appVersion", ""),
        description=info.get("description", ""),
        updated=_parse_time(info.get("last_deployed")),
    )


def parse_list(data: list[Mapping[str, Any]]) -> list[ReleaseInfo]:
    """`helm list -o json` rows (their revision is a string there)."""
    return [
        ReleaseInfo(
            name=row["name"],
            namespace=row.get("namespace", ""),
            revision=int(row.get("revision", 0)),
            status=row.get("status", ""),
            chart=row.get("chart", ""),
            app_version=row.get("app_version", ""),
            updated=_parse_time(row.get("updated")),
        )
        for row in data
    ]


def parse_history(data: list[Mapping[str, Any]], release: str, namespace: str) -> list[ReleaseInfo]:
    """`helm history -o json` rows, oldest first."""
    return [
        ReleaseInfo(
            name=release,
            namespace=namespace,
            revision=int(row.get("revision", 0)),
            status=row.get("status", ""),
            chart=row.get("chart", ""),
            app_version=row.get("app_version", ""),
            description=row.get("description", ""),
            updated=_parse_time(row.get("updated")),
        )
        for row in data
    ]


def _decode_json(text: str, command: HelmCommand) -> Any:
    if text.strip() == "null":
        return None
    starts = [i for i in (text.find("{"), text.find("[")) if i >= 0]
    try:
        return json.JSONDecoder().raw_decode(text, min(starts))[0]
    except ValueError:  # no JSON at all, or broken JSON; never quote it: it may hold values
        raise HelmFailed(f"helm {command.verb} printed no readable JSON") from None


# --- helm's errors --------------------------------------------------------------------

_CONTEXT_MISSING = re.compile(r'context "([^"]*)" does not exist')
_FILE_MISSING = re.compile(r"cluster unreachable: stat (.+?): no such file or directory", re.I)
_PLUGIN_MISSING = re.compile(r"exec: executable (\S+) not found")
_KUBECONFIG_BROKEN = ("error loading config file", "invalid configuration:")
_UNAUTHORIZED = re.compile(r"\bUnauthorized\b|asked for the client to provide credentials")
_NETWORK = re.compile(
    r"cluster unreachable|could not get server version|dial tcp|connection refused|"
    r"no such host|i/o timeout|TLS handshake timeout|Client\.Timeout exceeded|"
    r"connection reset by peer|no route to host|network is unreachable",
    re.I,
)
# staging/src/k8s.io/apiserver/pkg/endpoints/handlers/responsewriters/errors.go
_FORBIDDEN = re.compile(
    r'User "(?P<user>[^"]*)" cannot (?P<verb>\S+) resource "(?P<resource>[^"]*)" '
    r'in API group "(?P<group>[^"]*)"(?: in the namespace "(?P<namespace>[^"]*)")?'
)
_FORBIDDEN_PATH = re.compile(r'User "(?P<user>[^"]*)" cannot (?P<verb>\S+) path "(?P<path>[^"]*)"')
_WEBHOOK = "failed calling webhook"  # the cluster answered; one of its webhooks did not
_PENDING = "another operation (install/upgrade/rollback) is in progress"
_NOT_FOUND = "release: not found"
_TIMEOUT = ("context deadline exceeded", "timed out waiting for the condition")
_QUOTA = "exceeded quota"
_MULTIERROR = re.compile(r"\d+ errors? occurred:; ")  # helm 3's multierror header
_DETAIL_LIMIT = 1500
_CHECK_KUBECONFIG = "`kubectl config view` shows what kubectl makes of the kubeconfig"


def helm_error_text(stderr: str) -> str:
    """helm's own error: from its last `Error: ` line on, one line, without warnings before it."""
    lines = [line.strip() for line in stderr.splitlines()]
    starts = [i for i, line in enumerate(lines) if line.startswith("Error: ")]
    block = lines[starts[-1] :] if starts else [line for line in lines if line][-1:]
    if starts:
        block[0] = block[0].removeprefix("Error: ")
    text = "; ".join(line.removeprefix("* ") for line in block if line)
    return _MULTIERROR.sub("", text)[:_DETAIL_LIMIT]


def redact(text: str, secrets: tuple[str, ...]) -> str:
    """`text` with every secret replaced by ***."""
    for secret in secrets:
        text = text.replace(secret, "***")
    return text


def _forbidden(match: re.Match[str]) -> Forbidden:
    found = match.groupdict()
    if "path" in found:
        what, scope = f"path {found['path']}", "on the API server"
    else:
        what = f"{found['resource']}.{found['group']}" if found["group"] else found["resource"]
        scope = f"in namespace {found['namespace']!r}" if found["namespace"] else "cluster-wide"
    return Forbidden(
        f"{found['user'] or 'your user'} is not allowed to {found['verb']} {what} {scope}",
        hint=f"ask a cluster admin to grant {found['verb']!r} on {what!r} {scope} "
        "(a Role and RoleBinding, or a ClusterRole)",
    )


def _kubeconfig_problem(text: str) -> KubeconfigError | None:
    if match := _CONTEXT_MISSING.search(text):
        return KubeconfigError(
            f"context {match[1]!r} does not exist in the kubeconfig",
            hint="choose one that `storedesk contexts` lists",
        )
    if match := _FILE_MISSING.search(text):
        return KubeconfigError(
            f"kubeconfig file {match[1]} does not exist",
            hint="check --kubeconfig or KUBECONFIG",
        )
    if match := _PLUGIN_MISSING.search(text):
        return KubeconfigError(
            f"the kubeconfig's credential plugin {match[1]!r} is not installed",
            hint="install it, or put it on your login shell's PATH (Storedesk searches there, "
            "in PATH and in the usual install folders)",
        )
    if "getting credentials:" in text:
        return KubeconfigError(
            f"the kubeconfig's credential plugin failed: {text}",
            hint="log in again with your cloud's CLI (e.g. `aws sso login`, `gcloud auth login`)",
        )
    if any(marker in text for marker in _KUBECONFIG_BROKEN):
        return KubeconfigError(f"helm cannot use the kubeconfig: {text}", hint=_CHECK_KUBECONFIG)
    if _UNAUTHORIZED.search(text):
        return KubeconfigError(
            "the cluster rejected the kubeconfig's credentials",
            hint="they may have expired: log in again or refresh the kubeconfig",
        )
    return None


def classify_failure(
    stderr: str, command: HelmCommand, context: str, secrets: tuple[str, ...] = ()
) -> StoredeskError:
    """The Storedesk error for a failed helm command, from helm's stderr."""
    text = redact(helm_error_text(stderr), secrets) or "helm exited with an error"
    subject = f"helm {command.verb}"
    if command.release:
        subject += f" of {command.release!r}"
    if problem := _kubeconfig_problem(text):
        return problem
    if _WEBHOOK in text:
        return HelmFailed(
            f"{subject} failed: {text}",
            hint="an admission webhook in the cluster did not answer; check that its service "
            "and pods are running",
        )
    if match := _FORBIDDEN.search(text) or _FORBIDDEN_PATH.search(text):
        return _forbidden(match)
    if _NETWORK.search(text):
        return ClusterUnreachable(
            f"cannot reach the cluster of context {context!r}: {text}",
            hint="check that the cluster is running and reachable from here (VPN, network); "
            f"`kubectl --context {context} get --raw /version` tests the same connection",
        )
    if _PENDING in text:
        return ReleasePending(
            f"release {command.release!r} in namespace {command.namespace!r} has another "
            "helm operation in progress",
            hint="if nothing else is working on it, an earlier run was interrupted and left "
            "it pending: roll it back, or uninstall it if it was never installed, then retry",
        )
    if _NOT_FOUND in text:
        return ReleaseNotFound(
            f"release {command.release!r} not found in namespace {command.namespace!r}"
        )
    if any(marker in text for marker in _TIMEOUT):
        after = f" after {command.timeout:.0f}s" if command.timeout else ""
        return HelmTimeout(
            f"{subject} timed out{after}: {text}",
            hint="the store's resources did not become ready in time; its pod events say why",
        )
    if _QUOTA in text:
        return HelmFailed(
            f"{subject} failed: {text}",
            hint="the namespace's ResourceQuota leaves no room for this; raise the quota",
        )
    return HelmFailed(f"{subject} failed: {text}")


# --- secret values --------------------------------------------------------------------


def _leaf_strings(values: Any) -> tuple[str, ...]:
    if isinstance(values, Mapping):
        return tuple(s for v in values.values() for s in _leaf_strings(v))
    if isinstance(values, list | tuple):
        return tuple(s for v in values for s in _leaf_strings(v))
    # Very short strings would blank out ordinary words of helm's messages.
    return (values,) if isinstance(values, str) and len(values) >= 4 else ()


@contextmanager
def private_values_file(
    values: Mapping[str, Any], env: Mapping[str, str] = os.environ
) -> Iterator[Path]:
    """A values file (mode 0600) in a fresh private directory (0700), deleted on exit."""
    runtime = env.get("XDG_RUNTIME_DIR")
    # The user's runtime dir is RAM-backed and private: the secrets never reach a disk.
    parent = runtime if runtime and os.path.isdir(runtime) and os.access(runtime, os.W_OK) else None
    folder = tempfile.mkdtemp(prefix="storedesk-helm-", dir=parent)
    try:
        path = Path(folder) / "values.json"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(values, handle)  # JSON is YAML, with no YAML surprises ("no" -> false)
        yield path
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# --- concurrency cap ------------------------------------------------------------------


class ProcessSlots:
    """A cap on how many helm processes run at once in this process."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise InvalidInput(f"the helm concurrency must be at least 1, not {size}")
        self.size = size
        self._semaphore = threading.BoundedSemaphore(size)

    def __enter__(self) -> ProcessSlots:
        self._semaphore.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self._semaphore.release()


_shared_slots: ProcessSlots | None = None
_slots_lock = threading.Lock()


def configured_concurrency(env: Mapping[str, str]) -> int:
    """STOREDESK_HELM_CONCURRENCY, else the default; InvalidInput when it is set wrong
    (the CLI checks this at start, before any command changes anything)."""
    raw = env.get("STOREDESK_HELM_CONCURRENCY", "")
    return parse_helm_concurrency(raw) if raw else DEFAULT_HELM_CONCURRENCY


def helm_slots() -> ProcessSlots:
    """The process-wide cap: STOREDESK_HELM_CONCURRENCY, else 4."""
    global _shared_slots
    with _slots_lock:
        if _shared_slots is None:
            _shared_slots = ProcessSlots(configured_concurrency(os.environ))
        return _shared_slots


def set_helm_concurrency(size: int) -> None:
    """Change the process-wide cap (runs already waiting keep the old one)."""
    global _shared_slots
    size = parse_helm_concurrency(str(size))  # the bounds STOREDESK_HELM_CONCURRENCY has
    with _slots_lock:
        _shared_slots = ProcessSlots(size)


# --- finding helm ---------------------------------------------------------------------


@dataclass(frozen=True)
class HelmTool:
    """A helm binary of a supported version."""

    path: Path
    version: HelmVersion


# What helm and its kubeconfig credential plugins may need from our environment; the
# rest (HELM_DRIVER, HELM_KUBECONTEXT, HELM_NAMESPACE, KUBECONFIG, ...) could change
# which cluster or storage helm uses, so it stays out.
_PASS_ENV = frozenset(
    {
        *("HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "TZ", "TMPDIR"),
        *("SSL_CERT_FILE", "SSL_CERT_DIR", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY"),
        *("http_proxy", "https_proxy", "no_proxy"),
        *("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_RUNTIME_DIR"),
        *("DBUS_SESSION_BUS_ADDRESS", "DISPLAY", "WAYLAND_DISPLAY", "BROWSER"),
    }
)
_PASS_PREFIXES = ("AWS_", "AZURE_", "CLOUDSDK_", "GOOGLE_")  # exec plugins' profiles


def helm_env(base: Mapping[str, str], extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """A clean environment for helm: the passed-through keys, the augmented PATH, `extra`."""
    env = {k: v for k, v in base.items() if k in _PASS_ENV or k.startswith(_PASS_PREFIXES)}
    env.setdefault("HOME", str(Path.home()))
    env["PATH"] = tool_path(base)
    return {**env, **(extra or {})}


def find_helm(env: Mapping[str, str] = os.environ, dirs: list[Path] | None = None) -> Path:
    """The helm binary: STOREDESK_HELM, else the executable search (in `dirs` if given)."""
    override = env.get("STOREDESK_HELM")
    if override:
        path = Path(override).expanduser()
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise HelmUnavailable(
                f"STOREDESK_HELM={override} is not an executable file",
                hint="point it at a helm binary, or unset it to search PATH",
            )
        return path
    found = find_executable("helm", dirs, env)
    if found is None:
        raise HelmUnavailable(
            "helm is not installed: it is not on PATH, in the usual install folders, "
            "or on your login shell's PATH",
            hint=INSTALL_HINT,
        )
    return found


def helm_version(path: Path, env: Mapping[str, str] = os.environ) -> HelmVersion:
    """The version `path` reports; HelmUnavailable if it cannot tell or is not supported."""
    try:
        done = subprocess.run(
            version_argv(path),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=QUERY_TIMEOUT,
            env=helm_env(env),
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        reason = getattr(exc, "strerror", None) or "it did not answer"
        raise HelmUnavailable(f"cannot run helm at {path}: {reason}", hint=INSTALL_HINT) from None
    version = HelmVersion.parse(done.stdout) if done.returncode == 0 else None
    if version is None:
        said = helm_error_text(done.stderr or done.stdout) or f"exit status {done.returncode}"
        raise HelmUnavailable(f"{path} did not report a helm version: {said}", hint=INSTALL_HINT)
    if not version.supported:
        raise HelmUnavailable(
            f"helm {version} ({path}) is not supported: Storedesk needs {SUPPORTED_HELM}",
            hint=INSTALL_HINT,
        )
    return version


def detect_helm(env: Mapping[str, str] = os.environ, dirs: list[Path] | None = None) -> HelmTool:
    """Find helm and check its version."""
    path = find_helm(env, dirs)
    return HelmTool(path, helm_version(path, env))


# --- running --------------------------------------------------------------------------


def _run_process(
    argv: tuple[str, ...],
    env: Mapping[str, str],
    limit: float,
    cancel: threading.Event | None = None,
    started: threading.Event | None = None,
) -> tuple[int, str, str]:
    """Run helm; stop it when `limit` passes (TimeoutExpired) or `cancel` is set (Cancelled).
    `started` is set once helm runs (after waiting for a slot)."""
    proc = subprocess.Popen(
        in_background(argv),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(env),
    )
    if started is not None:
        started.set()
    deadline = time.monotonic() + limit
    while True:
        left = deadline - time.monotonic()
        try:
            out, err = proc.communicate(timeout=min(0.2, left) if cancel else max(0.0, left))
            return proc.returncode, out, err
        except subprocess.TimeoutExpired:
            cancelled = cancel is not None and cancel.is_set()
            if not cancelled and time.monotonic() < deadline:
                continue
            # SIGTERM first: helm then cancels and records the release as failed instead
            # of leaving it pending-install/pending-upgrade.
            stop_process(proc, _STOP_GRACE)
            if cancelled:
                raise Cancelled("the operation was cancelled; helm was stopped") from None
            raise


class HelmRunner:
    """Runs helm commands against one cluster selection."""

    def __init__(
        self,
        target: ClusterTarget,
        tool: HelmTool | None = None,
        *,
        env: Mapping[str, str] | None = None,
        slots: ProcessSlots | None = None,
    ) -> None:
        self.target = target
        self._env = dict(os.environ if env is None else env)
        self.tool = tool or detect_helm(self._env)
        self.argv = HelmArgv(self.tool.path, self.tool.version, target)
        self._slots = slots

    def run(
        self,
        command: HelmCommand,
        secrets: tuple[str, ...] = (),
        cancel: threading.Event | None = None,
        started: threading.Event | None = None,
    ) -> str:
        """Run `command` and return its stdout; raise the classified error if it fails.

        `secrets` are blanked out of any error text; setting `cancel` stops helm; `started`
        is set when helm has a slot and runs."""
        # helm's --timeout is per operation (each hook, then the wait): leave it room.
        limit = command.timeout * 2 + 60 if command.timeout else QUERY_TIMEOUT
        began = time.monotonic()
        try:
            with self._slots or helm_slots():
                code, out, err = _run_process(
                    command.argv, helm_env(self._env, command.env), limit, cancel, started
                )
        except subprocess.TimeoutExpired:
            raise HelmTimeout(
                f"helm {command.verb} did not finish within {limit:.0f}s; Storedesk stopped it",
                hint="check the cluster's health, then retry",
            ) from None
        except OSError as exc:
            raise HelmUnavailable(
                f"cannot run helm at {self.tool.path}: {exc.strerror}", hint=INSTALL_HINT
            ) from None
        log.debug("helm %s exited %s in %.1fs", command.verb, code, time.monotonic() - began)
        if code != 0:
            raise classify_failure(err, command, self.target.context, secrets)
        return out

    def upgrade_install(
        self,
        release: str,
        chart: str | Path,
        namespace: str,
        *,
        values: Mapping[str, Any] | None = None,
        values_files: tuple[Path, ...] = (),
        wait: bool = True,
        wait_for_jobs: bool = False,
        timeout: float = 600,
        atomic: bool = False,
        create_namespace: bool = False,
        reuse_values: bool = False,
        secrets: tuple[str, ...] | None = None,
        cancel: threading.Event | None = None,
        started: threading.Event | None = None,
    ) -> ReleaseInfo:
        """`helm upgrade --install`; `values` (secrets welcome) go through a private file.

        `secrets` names the values to blank out of error text (default: every value that
        is text, when the caller does not say which are secret)."""
        with private_values_file(values or {}, self._env) as private:
            command = self.argv.upgrade_install(
                release,
                chart,
                namespace,
                values_files=(*values_files, private),
                wait=wait,
                wait_for_jobs=wait_for_jobs,
                timeout=timeout,
                atomic=atomic,
                create_namespace=create_namespace,
                reuse_values=reuse_values,
            )
            blank = _leaf_strings(values or {}) if secrets is None else secrets
            out = self.run(command, blank, cancel, started)
        return parse_release(_decode_json(out, command))

    def uninstall(
        self,
        release: str,
        namespace: str,
        *,
        wait: bool = False,
        timeout: float = 300,
        cancel: threading.Event | None = None,
    ) -> bool:
        """`helm uninstall`; False when there was no such release (nothing to do)."""
        try:
            self.run(
                self.argv.uninstall(release, namespace, wait=wait, timeout=timeout), cancel=cancel
            )
        except ReleaseNotFound:
            return False
        return True

    def status(self, release: str, namespace: str) -> ReleaseInfo | None:
        """The release's current revision, or None if there is no such release."""
        command = self.argv.status(release, namespace)
        try:
            return parse_release(_decode_json(self.run(command), command))
        except ReleaseNotFound:
            return None

    def list_releases(self, namespace: str | None = None) -> list[ReleaseInfo]:
        """Every release in `namespace` (None: all namespaces), in any state."""
        command = self.argv.list_releases(namespace)
        return parse_list(_decode_json(self.run(command), command))

    def history(self, release: str, namespace: str) -> list[ReleaseInfo]:
        """The release's revisions, oldest first; empty if there is no such release."""
        command = self.argv.history(release, namespace)
        try:
            return parse_history(_decode_json(self.run(command), command), release, namespace)
        except ReleaseNotFound:
            return []

    def rollback(
        self,
        release: str,
        namespace: str,
        revision: int,
        *,
        wait: bool = True,
        timeout: float = 600,
    ) -> None:
        """`helm rollback` to `revision`."""
        self.run(self.argv.rollback(release, namespace, revision, wait=wait, timeout=timeout))

    def get_values(self, release: str, namespace: str) -> dict[str, Any] | None:
        """The values the release was installed with (they may hold secrets), or None."""
        command = self.argv.get_values(release, namespace)
        try:
            return _decode_json(self.run(command), command) or {}
        except ReleaseNotFound:
            return None
