"""Running helm: finding a supported binary, a clean environment, secret values through
helm's stdin (never a file, argv or the environment), a process-wide cap on concurrent
helm processes, and helm's stderr turned into Storedesk's errors, every secret masked.

helm 4 exits 0 or 1 only, so the cause of a failure is read from its stderr; the patterns
below are helm's and Kubernetes' own messages (helm v3.19 / v4.1 and apiserver sources).
"""

from __future__ import annotations

import base64
import json
import logging
import os
import re
import shutil
import signal
import stat
import subprocess
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterable, Mapping
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
from storedesk.cluster.tools import (
    INSTALL_HINT,
    find_helm,
    in_background,
    run_bounded,
    tool_path,
)
from storedesk.domain.limits import parse_helm_concurrency
from storedesk.domain.models import ReleaseInfo
from storedesk.errors import (
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

DEFAULT_HELM_CONCURRENCY = 4
QUERY_TIMEOUT = 90.0  # seconds for status/list/history/get values/version
_STOP_GRACE = 10.0  # seconds helm gets after SIGTERM to mark the release failed


class ReleaseNotFound(HelmFailed):
    """helm has no release of that name in that namespace."""


class ApplyConflict(HelmFailed):
    """helm 4's server-side apply met fields another manager owns (a hand-made change)."""

    def __init__(self, message: str, *, conflicts: tuple[tuple[str, str, str, str], ...]) -> None:
        super().__init__(message)
        self.conflicts = conflicts  # (namespace/name, kind, manager, field)

    def describe(self) -> str:
        """'.spec.replicas of Deployment store-x/x-wordpress (changed by kubectl)', ..."""
        return "; ".join(
            f"{field} of {kind} {name} (changed by {manager})"
            for name, kind, manager, field in self.conflicts
        )


class ReleasePending(HelmFailed):
    """The release has an install/upgrade/rollback in progress (or one that was interrupted)."""


class _UninstallIncomplete(HelmFailed):
    """helm uninstall could not delete the release's resources and does not say why."""


# --- helm's output --------------------------------------------------------------------


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
    r"connection reset by peer|no route to host|network is unreachable|broken pipe|"
    # Go's net/http when the server closed the connection mid-request (an API server
    # going down): `Patch "https://...": EOF`
    r'"[a-z]+://[^"]*": (?:unexpected )?EOF\b|server sent GOAWAY',
    re.I,
)
# The API server answered 503 (apimachinery NewServiceUnavailable: "the server is currently
# unable to handle the request"): it is starting, restarting or overloaded, which for a
# user is the cluster not answering, and passes like a refused connection does.
_UNAVAILABLE = re.compile(
    r"the server is currently unable to handle the request|Service Unavailable|"
    r"status code 503\b",
    re.I,
)
# One aggregated API (an APIService such as metrics.k8s.io) is down, not the cluster:
# helm's discovery fails on it although the API server answers.
_AGGREGATED_API = "unable to retrieve the complete list of server APIs"
# staging/src/k8s.io/apiserver/pkg/endpoints/handlers/responsewriters/errors.go
_FORBIDDEN = re.compile(
    r'User "(?P<user>[^"]*)" cannot (?P<verb>\S+) resource "(?P<resource>[^"]*)" '
    r'in API group "(?P<group>[^"]*)"(?: in the namespace "(?P<namespace>[^"]*)")?'
)
_FORBIDDEN_PATH = re.compile(r'User "(?P<user>[^"]*)" cannot (?P<verb>\S+) path "(?P<path>[^"]*)"')
_WEBHOOK = "failed calling webhook"  # the cluster answered; one of its webhooks did not
_PENDING = "another operation (install/upgrade/rollback) is in progress"
# Server-side apply (helm 4), after the object it names: `Apply failed with 1 conflict:
# conflict with "kubectl" with subresource "scale" using apps/v1: .spec.replicas`, or with
# several, one manager each: `conflicts with "kubectl-label" using apps/v1:\n- .metadata...`;
# another server-side applier's has no `using`.
_CONFLICT_OBJECT = re.compile(
    r"applying object ([\w.-]+/[\w.-]+) [\w./]+, Kind=(\w+): Apply failed with \d+ "
    r"conflicts?: (.*?)(?=conflict occurred while applying object|$)",
    re.S,
)
_CONFLICT_MANAGER = re.compile(
    r'conflicts? with \\?"([^"\\]+)\\?"(?: with subresource \\?"[\w-]+\\?")?(?: using [\w./]+)?:'
    # Lines joined with "; " (helm's error text) or escaped as \n (helm 4's log line).
    r"((?:(?:\\n|[\s;])*-?\s*\.[^\s:;\\\"]+)+)"
)
_FIELD = re.compile(r"\.[^\s:;\\\"]+")


def _conflicts(text: str) -> tuple[tuple[str, str, str, str], ...]:
    """(namespace/name, kind, manager, field) of each server-side apply conflict in `text`."""
    found: dict[tuple[str, str, str, str], None] = {}
    for obj, kind, said in _CONFLICT_OBJECT.findall(text):
        for manager, fields in _CONFLICT_MANAGER.findall(said):
            for field in _FIELD.findall(fields):
                found[(obj, kind, manager, field)] = None
    return tuple(found)


_NOT_FOUND = "release: not found"
_TIMEOUT = ("context deadline exceeded", "timed out waiting for the condition")
_CANCELED = "context canceled"  # helm's answer to SIGTERM/SIGINT: it stops and says this
_QUOTA = "exceeded quota"
# helm's uninstall hides why it could not delete the resources (only --debug logs it).
_DELETE_FAILED = re.compile(r"^failed to delete release: \S+$")
_MULTIERROR = re.compile(r"^\d+ errors? occurred:$")  # helm 3's multierror header
_DETAIL_LIMIT = 600  # characters of helm's error a message quotes
_CHECK_KUBECONFIG = "`kubectl config view` shows what kubectl makes of the kubeconfig"
_CHANGES = frozenset({"upgrade", "uninstall", "rollback"})  # verbs that change a release
_RERUN = (
    "run the same Storedesk command again: it finds the release as helm left it and "
    "finishes the job"
)
_AGAIN = f"once it answers, {_RERUN}"


def _pieces(lines: list[str]) -> list[str]:
    """helm's error lines cut into its sentences ("; " joins wrapped errors), headers out."""
    found = []
    for line in lines:
        for piece in line.removeprefix("* ").split("; "):
            piece = piece.strip()
            if piece and not _MULTIERROR.match(piece):
                found.append(piece)
    return found


def _without_repeats(pieces: list[str]) -> str:
    """The pieces once each, in order; a repeated one says how often (helm lists the same
    failure once per resource: "the server is currently unable ..." 11 times)."""
    counts: dict[str, int] = {}
    for piece in pieces:
        counts[piece] = counts.get(piece, 0) + 1
    return "; ".join(p if n == 1 else f"{p} ({n} times)" for p, n in counts.items())


def _shortened(text: str) -> str:
    if len(text) <= _DETAIL_LIMIT:
        return text
    return text[: _DETAIL_LIMIT - 1].rstrip() + "\u2026"


def helm_error_text(stderr: str, secrets: tuple[str, ...] = ()) -> str:
    """helm's own error: from its last `Error: ` line on, one short line without warnings
    before it or repeats, every form of every secret masked."""
    # Masked before anything is cut or joined: a cut could leave part of a secret.
    lines = [line.strip() for line in redact(stderr, secrets).splitlines()]
    starts = [i for i, line in enumerate(lines) if line.startswith("Error: ")]
    block = lines[starts[-1] :] if starts else [line for line in lines if line][-1:]
    if starts:
        block[0] = block[0].removeprefix("Error: ")
    return _shortened(redact(_without_repeats(_pieces(block)), secrets))


# --- masking secrets -----------------------------------------------------------------

_SHORT_ESCAPES = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
}
_GO_JSON_HTML = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def _go_quoted(text: str, ascii_only: bool = False) -> str:
    """The inside of Go's strconv.Quote (`%q`; QuoteToASCII with `ascii_only`)."""
    out = []
    for char in text:
        code = ord(char)
        if char in '"\\':
            out.append("\\" + char)
        elif char in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[char])
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\x{code:02x}")
        elif char.isprintable() and (code < 0x80 or not ascii_only):
            out.append(char)
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    return "".join(out)


def _escaped_forms(text: str) -> set[str]:
    """`text` inside the string literals of Go (%q, JSON), Python (repr, JSON) and YAML."""
    python_json = {json.dumps(text)[1:-1], json.dumps(text, ensure_ascii=False)[1:-1]}
    # Go's encoding/json escapes <, > and & for HTML, and \b, \f as \u0008, \u000c (<1.22).
    go_json = {
        "".join(_GO_JSON_HTML.get(c, c) for c in form)
        .replace("\\b", "\\u0008")
        .replace("\\f", "\\u000c")
        for form in python_json
    }
    return {
        *python_json,
        *go_json,
        _go_quoted(text),
        _go_quoted(text, ascii_only=True),
        repr(text)[1:-1],
        repr(text)[1:-1].replace("'", "\\'"),  # repr's body in '...' as in "..."
        text.replace("'", "''"),  # YAML single-quoted
        # Encoders that spell every unprintable character by its code (\x09, \u0009).
        "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text),
        "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in text),
    }


def _encoded_forms(text: str) -> set[str]:
    """`text` as base64 (a Secret's data), standard or URL-safe, and percent-encoded."""
    raw = text.encode("utf-8", errors="surrogatepass")
    b64 = {base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode()}
    return {
        *b64,
        *(form.rstrip("=") for form in b64),
        urllib.parse.quote(text, safe=""),
        urllib.parse.quote_plus(text, safe=""),
    }


def secret_forms(secret: str) -> set[str]:
    """Every way helm, Kubernetes or Python may print `secret`: as is; escaped by Go, JSON,
    Python or YAML, once or twice (an error quoting an error); base64; percent-encoded."""
    once = _escaped_forms(secret)
    twice = {form for escaped in once for form in _escaped_forms(escaped)}
    return {form for form in {secret, *once, *twice, *_encoded_forms(secret)} if form}


def _secrets_pattern(secrets: tuple[str, ...]) -> re.Pattern[str] | None:
    forms = {form for secret in secrets if secret for form in secret_forms(secret)}
    if not forms:
        return None
    # Longest first, so no longer form is left half-masked by a shorter one inside it;
    # escapes' hex digits and percent-encoding come in either case.
    ordered = sorted(forms, key=len, reverse=True)
    return re.compile("|".join(f"(?i:{re.escape(form)})" for form in ordered))


def redact(text: str, secrets: tuple[str, ...]) -> str:
    """`text` with every form of every secret (see `secret_forms`) replaced by ***."""
    pattern = _secrets_pattern(tuple(secrets))
    return pattern.sub("***", text) if pattern else text


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


def _subject(command: HelmCommand) -> str:
    subject = f"helm {command.verb}"
    return f"{subject} of {command.release!r}" if command.release else subject


def _unreachable(text: str, command: HelmCommand, context: str) -> ClusterUnreachable:
    """A refused connection and a 503 alike: the cluster is not answering (for now)."""
    if _UNAVAILABLE.search(text):
        what = (
            f"the cluster of context {context!r} is not answering: its API server replied "
            "503 Service Unavailable (starting, restarting or overloaded)"
        )
    else:
        what = f"cannot reach the cluster of context {context!r}"
    hint = (
        "check that the cluster is running and reachable from here (VPN, network); "
        f"`kubectl --context {context} get --raw /version` tests the same connection"
    )
    if command.verb in _CHANGES:  # it stopped halfway: say so, and how to finish
        return ClusterUnreachable(
            f"{_subject(command)} stopped: {what}: {text}", hint=f"{hint}; {_AGAIN}"
        )
    return ClusterUnreachable(f"{what}: {text}", hint=hint)


def classify_failure(
    stderr: str, command: HelmCommand, context: str, secrets: tuple[str, ...] = ()
) -> StoredeskError:
    """The Storedesk error for a failed helm command, from helm's stderr."""
    text = helm_error_text(stderr, secrets) or "helm exited with an error"
    subject = _subject(command)
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
    if _AGGREGATED_API in text:
        return HelmFailed(
            f"{subject} failed: {text}",
            hint="the cluster answers, but one of its extension APIs does not; "
            "`kubectl get apiservices` shows which is not Available: repair or remove it",
        )
    if _NETWORK.search(text) or _UNAVAILABLE.search(text):
        return _unreachable(text, command, context)
    # Read from helm's own output: the error text may be cut short; what is read is
    # object names, managers and field paths, never a value.
    if conflicts := _conflicts(stderr):
        return ApplyConflict(
            f"{subject} failed: fields of the store were changed outside its chart",
            conflicts=conflicts,
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
    if _CANCELED in text:
        return HelmFailed(
            f"{subject} was cancelled: helm was sent SIGTERM or SIGINT, not by Storedesk "
            f"(who sent it is unknown): {text}",
            hint=_RERUN,
        )
    if _DELETE_FAILED.match(text):
        return _UninstallIncomplete(
            f"{subject} failed: {text}",
            hint="helm does not say why it could not delete the release's resources: run the "
            f"delete again; if it keeps failing, `helm uninstall {command.release} --namespace "
            f"{command.namespace} --debug` shows the cause",
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


def _values_document(values: Mapping[str, Any]) -> bytes:
    """The values as helm reads them from stdin: JSON is YAML, without YAML's surprises
    ("no" stays a string)."""
    return json.dumps(values).encode("utf-8")


# Storedesk up to 0.1 wrote the secret values to <runtime or temp dir>/storedesk-helm-*/
# values.json, which a killed CLI left behind. They now travel through helm's stdin.
_OLD_VALUES_DIRS = "storedesk-helm-*"
_OLD_VALUES_FILE = "values.json"
_STALE_AFTER = 60.0  # seconds: younger folders may belong to an old Storedesk starting helm
_cleaned = False
_cleaning = threading.Lock()


def _old_values_parents(env: Mapping[str, str]) -> set[Path]:
    parents = {Path(tempfile.gettempdir()), Path("/tmp")}  # noqa: S108 (mkdtemp's fallback)
    parents |= {Path(env[key]) for key in ("XDG_RUNTIME_DIR", "TMPDIR") if env.get(key)}
    return parents


def _every_argv() -> list[str] | None:
    """Every running process's command line (None where /proc cannot tell)."""
    if not Path("/proc/self/cmdline").exists():
        return None
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            found.append(cmdline.read_bytes().decode("utf-8", errors="replace"))
        except OSError:
            continue  # it ended meanwhile, or is not ours to read
    return found


def _abandoned(folder: Path, argvs: Iterable[str]) -> bool:
    """Ours, holding nothing but a values file, old enough, and no process (helm had it
    in its argv) uses it: its owner is gone."""
    try:
        info = folder.lstat()
        names = set(os.listdir(folder))
    except OSError:
        return False
    return (
        stat.S_ISDIR(info.st_mode)
        and info.st_uid == os.getuid()
        and names <= {_OLD_VALUES_FILE}
        and time.time() - info.st_mtime > _STALE_AFTER
        and not any(str(folder) in argv for argv in argvs)
    )


def remove_stale_values_dirs(
    env: Mapping[str, str] = os.environ, parents: Iterable[Path] | None = None
) -> list[Path]:
    """Remove the secret values folders an older Storedesk left behind in `parents`
    (default: the runtime and temp dirs) when it was killed mid-helm; best effort, and
    only our own (see `_abandoned`). Returns those removed."""
    where = _old_values_parents(env) if parents is None else parents
    candidates = [folder for parent in where for folder in parent.glob(_OLD_VALUES_DIRS)]
    argvs = _every_argv() if candidates else None
    if argvs is None:  # nothing there, or no way to tell whether a helm still uses it
        return []
    removed = [folder for folder in candidates if _abandoned(folder, argvs)]
    for folder in removed:
        shutil.rmtree(folder, ignore_errors=True)
    return removed


def _remove_stale_values_dirs_once(env: Mapping[str, str]) -> None:
    global _cleaned
    with _cleaning:
        if _cleaned:
            return
        _cleaned = True
    for folder in remove_stale_values_dirs(env):
        log.info("removed %s, left behind by an interrupted older Storedesk", folder)


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


def helm_version(path: Path, env: Mapping[str, str] = os.environ) -> HelmVersion:
    """The version `path` reports; HelmUnavailable if it cannot tell or is not supported."""
    try:
        done = run_bounded(version_argv(path), helm_env(env), QUERY_TIMEOUT, stop_grace=2.0)
    except (OSError, subprocess.TimeoutExpired) as exc:
        reason = getattr(exc, "strerror", None) or "it did not answer"
        raise HelmUnavailable(f"cannot run helm at {path}: {reason}", hint=INSTALL_HINT) from None
    version = HelmVersion.parse(done.stdout) if done.code == 0 else None
    if version is None:
        said = helm_error_text(done.stderr or done.stdout) or f"exit status {done.code}"
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
        _remove_stale_values_dirs_once(self._env)

    def run(
        self,
        command: HelmCommand,
        secrets: tuple[str, ...] = (),
        cancel: threading.Event | None = None,
        started: threading.Event | None = None,
        stdin: bytes | None = None,
    ) -> str:
        """Run `command` and return its stdout; raise the classified error if it fails.

        `secrets` are masked in any error text; setting `cancel` stops helm; `started` is
        set when helm has a slot and runs; `stdin` is what helm reads there."""
        # helm's --timeout is per operation (each hook, then the wait): leave it room.
        limit = command.timeout * 2 + 60 if command.timeout else QUERY_TIMEOUT
        began = time.monotonic()
        try:
            with self._slots or helm_slots():
                done = run_bounded(
                    in_background(command.argv),
                    helm_env(self._env, command.env),
                    limit,
                    stdin=stdin,
                    cancel=cancel,
                    started=started,
                    stop_grace=_STOP_GRACE,
                    name="helm",
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
        log.debug("helm %s exited %s in %.1fs", command.verb, done.code, time.monotonic() - began)
        if done.code < 0:
            raise self._killed(command, -done.code)
        if done.code != 0:
            raise classify_failure(done.stderr, command, self.target.context, secrets)
        return done.stdout

    def _killed(self, command: HelmCommand, signum: int) -> HelmFailed:
        """helm died of a signal Storedesk did not send (it raises before getting here when
        it stops helm itself): say which, and what helm left behind."""
        try:
            name = f"signal {signum} ({signal.Signals(signum).name})"
        except ValueError:
            name = f"signal {signum}"
        return HelmFailed(
            f"{_subject(command)} was killed by {name}, not by Storedesk (who sent it is "
            f"unknown: a user, another program, or the system running out of memory)"
            f"{self._left_behind(command)}",
            hint=_RERUN if command.verb in _CHANGES else "run the command again",
        )

    def _left_behind(self, command: HelmCommand) -> str:
        """'; release x is now <status>' for a command that changes a release."""
        if command.verb not in _CHANGES or not command.release or not command.namespace:
            return ""
        try:
            info = self.status(command.release, command.namespace)
        except StoredeskError as e:
            return f"; the state of release {command.release!r} is unknown: {e.message}"
        if info is None:
            return f"; release {command.release!r} does not exist"
        return f"; release {command.release!r} is now {info.status} (revision {info.revision})"

    def upgrade_install(
        self,
        release: str,
        chart: str | Path,
        namespace: str,
        *,
        values: Mapping[str, Any] | None = None,
        wait: bool = True,
        timeout: float = 600,
        atomic: bool = False,
        force_conflicts: bool = False,
        secrets: tuple[str, ...] | None = None,
        cancel: threading.Event | None = None,
        started: threading.Event | None = None,
    ) -> ReleaseInfo:
        """`helm upgrade --install`; `values` (secrets welcome) go through helm's stdin,
        never a file, argv or the environment.

        `secrets` names the values to mask in error text (default: every value that is
        text, when the caller does not say which are secret)."""
        command = self.argv.upgrade_install(
            release,
            chart,
            namespace,
            wait=wait,
            timeout=timeout,
            atomic=atomic,
            force_conflicts=force_conflicts,
        )
        blank = _leaf_strings(values or {}) if secrets is None else secrets
        out = self.run(command, blank, cancel, started, stdin=_values_document(values or {}))
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
        command = self.argv.uninstall(release, namespace, wait=wait, timeout=timeout)
        try:
            self.run(command, cancel=cancel)
        except ReleaseNotFound:
            return False
        except _UninstallIncomplete as failed:
            raise self._why_incomplete(failed, release, namespace) from None
        return True

    def _why_incomplete(
        self, failed: _UninstallIncomplete, release: str, namespace: str
    ) -> StoredeskError:
        """helm's uninstall keeps to itself why it could not delete the resources; the
        usual reason is the cluster going away meanwhile: ask it."""
        try:
            self.status(release, namespace)
        except ClusterUnreachable as down:
            return ClusterUnreachable(
                f"helm uninstall of {release!r} stopped: {down.message}",
                hint=f"{down.hint}; {_AGAIN}",
            )
        except StoredeskError:
            pass
        return HelmFailed(failed.message, hint=failed.hint)

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

    def template(
        self, release: str, chart: str | Path, namespace: str, values: Mapping[str, Any]
    ) -> str:
        """The manifests an install would create, rendered locally (`values` through stdin)."""
        command = self.argv.template(release, chart, namespace)
        return self.run(command, _leaf_strings(values), stdin=_values_document(values))

    def get_values(self, release: str, namespace: str) -> dict[str, Any] | None:
        """The values the release was installed with (they may hold secrets), or None."""
        command = self.argv.get_values(release, namespace)
        try:
            return _decode_json(self.run(command), command) or {}
        except ReleaseNotFound:
            return None
