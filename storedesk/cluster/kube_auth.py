"""Building the kubernetes client for a ClusterTarget, credential plugins included.

The kubernetes Python client runs a kubeconfig's credential plugin (`users[].user.exec`)
with no timeout, so a plugin that hangs hangs Storedesk; and it logs a failing plugin's
error (`ERROR:root:exec: ...`) and carries on without credentials, so the user reads
"401 Unauthorized" or "connection refused" and the plugin is never named. Here the client
loads the kubeconfig as usual, except that the plugin runs our way: in its own process
group, with a deadline, and every failure names the plugin and its cause.

helm runs the same plugin through client-go, which has no timeout for it: helm 3.19 and
4.1 both wait for a plugin that hangs (seen). Storedesk's commands that change a store
(create, delete, rollback) read the cluster through this client before they start helm,
so a hanging or failing plugin is reported here first; a helm run is in any case killed
at its own deadline (the operation's timeout, or helm.QUERY_TIMEOUT for a query such as
`history`, which asks only helm).

This module imports the kubernetes client (about 0.6 s): import it only where the client
is built.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kubernetes.client import ApiClient, Configuration
from kubernetes.config.config_exception import ConfigException
from kubernetes.config.dateutil import parse_rfc3339
from kubernetes.config.kube_config import FileOrData, KubeConfigLoader, KubeConfigMerger

from storedesk.cluster.kubeconfig import ClusterTarget
from storedesk.cluster.tools import find_executable, tool_path
from storedesk.errors import KubeconfigError

PLUGIN_TIMEOUT = 30.0  # seconds; `aws eks get-token` and friends answer in 1-5 s
_REAP_GRACE = 2.0  # seconds to collect a killed plugin's exit and pipes
_STDERR_CHARS = 300  # of the plugin's last stderr line, in our message


@dataclass(frozen=True)
class Plugin:
    """One credential plugin, as a kubeconfig user's `exec` entry describes it."""

    command: str
    args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)  # the kubeconfig's additions only
    api_version: str = "client.authentication.k8s.io/v1"
    base_dir: str = ""  # the folder of the kubeconfig file that defines the user
    cluster: Mapping[str, Any] | None = None  # spec.cluster, when provideClusterInfo is set


class PluginProblem(KubeconfigError):
    """A credential plugin could not be run, failed, hung, or answered nonsense."""


def _problem(plugin: Plugin, context: str, what: str, hint: str) -> PluginProblem:
    return PluginProblem(
        f"the credential plugin {plugin.command!r} of context {context!r} {what}", hint=hint
    )


def _invalid_entry(context: str, what: str) -> KubeconfigError:
    return KubeconfigError(
        f"the user of context {context!r} has an invalid credential plugin entry: {what}",
        hint="fix users[].user.exec in the kubeconfig; `kubectl config view` shows it",
    )


def plugin_from_config(
    exec_config: Mapping[str, Any],
    *,
    context: str,
    base_dir: str = "",
    cluster: Mapping[str, Any] | None = None,
) -> Plugin:
    """The plugin a user's `exec` mapping describes, checked before anything runs."""
    if not isinstance(exec_config, Mapping):
        raise _invalid_entry(context, "exec is not a mapping")
    command, args = exec_config.get("command"), exec_config.get("args") or []
    if not isinstance(command, str) or not command.strip():
        raise _invalid_entry(context, "exec.command is missing")
    if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
        raise _invalid_entry(context, "exec.args must be a list of strings")
    api_version = exec_config.get("apiVersion")
    if not isinstance(api_version, str) or not api_version:
        raise _invalid_entry(context, "exec.apiVersion is missing")
    env: dict[str, str] = {}
    for item in exec_config.get("env") or []:
        if not (
            isinstance(item, Mapping)
            and isinstance(item.get("name"), str)
            and isinstance(item.get("value"), str)
        ):
            raise _invalid_entry(context, "every exec.env entry needs a name and a value")
        env[item["name"]] = item["value"]
    provide = bool(exec_config.get("provideClusterInfo"))
    return Plugin(command, tuple(args), env, api_version, base_dir, cluster if provide else None)


def _exec_info(plugin: Plugin) -> str:
    # Never interactive: the window has no terminal, and a prompt would only run into the
    # timeout. A plugin that needs a login says so, and the hint sends the user to kubectl.
    spec: dict[str, Any] = {"interactive": False}
    if plugin.cluster is not None:
        cluster = dict(plugin.cluster)
        for extension in cluster.get("extensions") or []:
            if isinstance(extension, Mapping) and (
                extension.get("name") == "client.authentication.k8s.io/exec"
            ):
                cluster["config"] = extension.get("extension")
                break
        spec["cluster"] = cluster
    return json.dumps({"apiVersion": plugin.api_version, "kind": "ExecCredential", "spec": spec})


def _executable(plugin: Plugin, context: str) -> str:
    """The plugin's path: as client-go finds it, plus the folders a desktop launcher's
    PATH lacks (where aws, gcloud or kubelogin usually live)."""
    command = os.path.expanduser(plugin.command)
    if os.sep in command:
        # client-go: a relative path with a separator is relative to the kubeconfig's folder
        return os.path.join(plugin.base_dir, command) if plugin.base_dir else command
    found = find_executable(command)
    if found is None:
        raise _problem(
            plugin,
            context,
            "was not found (not on PATH, nor in the usual install folders)",
            hint="install it, or fix users[].user.exec.command in the kubeconfig",
        )
    return str(found)


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    """Kill the plugin and everything it started, then reap it without waiting long."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    try:
        proc.communicate(timeout=_REAP_GRACE)
    except subprocess.TimeoutExpired:
        # A descendant that left the group still holds our pipes: stop reading them.
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()
        proc.kill()
        proc.wait()


def _execute(plugin: Plugin, context: str, timeout: float) -> tuple[int, bytes, bytes]:
    """Run the plugin with a deadline: (exit status, stdout, stderr)."""
    argv = [_executable(plugin, context), *plugin.args]
    env = {
        **os.environ,
        "PATH": tool_path(os.environ),
        **plugin.env,
        "KUBERNETES_EXEC_INFO": _exec_info(plugin),
    }
    try:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            start_new_session=True,  # its own process group, to stop all of it on timeout
        )
    except FileNotFoundError:
        raise _problem(
            plugin, context, "was not found", hint="install it, or fix the kubeconfig's path"
        ) from None
    except OSError as e:
        raise _problem(
            plugin,
            context,
            f"cannot be run: {e.strerror or e}",
            hint="check that the file is an executable program",
        ) from None
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _stop_group(proc)
        raise _problem(
            plugin,
            context,
            f"did not answer within {timeout:g}s and was stopped",
            hint=f"run `kubectl --context {context} version` in a terminal: the plugin "
            "may be waiting for a login; once it has a token, retry",
        ) from None
    except BaseException:  # Ctrl+C, or a stop from the window: leave no plugin behind
        _stop_group(proc)
        raise
    return proc.returncode, out, err


def _last_line(data: bytes) -> str:
    lines = [line.strip() for line in data.decode(errors="replace").splitlines()]
    last = next((line for line in reversed(lines) if line), "")
    return last if len(last) <= _STDERR_CHARS else last[: _STDERR_CHARS - 3] + "..."


def _failed(plugin: Plugin, context: str, status: int, stderr: bytes) -> PluginProblem:
    what = f"was killed by signal {-status}" if status < 0 else f"failed (exit status {status})"
    said = _last_line(stderr)
    return _problem(
        plugin,
        context,
        f"{what}: {said}" if said else what,
        hint="run it in a terminal to see why, and log in again if it asks you to",
    )


def credential_status(stdout: bytes, plugin: Plugin, context: str) -> dict[str, Any]:
    """The `status` of the ExecCredential a plugin printed, checked as client-go does."""

    def garbage(what: str) -> PluginProblem:
        # Never quote the output: it may hold a token.
        return _problem(
            plugin,
            context,
            f"printed no valid ExecCredential: {what}",
            hint="check the plugin's version against exec.apiVersion in the kubeconfig",
        )

    if not stdout.strip():
        raise garbage("its output is empty")
    try:
        data = json.loads(stdout)
    except ValueError:
        raise garbage("its output is not JSON") from None
    if not isinstance(data, dict) or data.get("kind") != "ExecCredential":
        raise garbage("its output is not an ExecCredential object")
    if data.get("apiVersion") != plugin.api_version:
        raise garbage(
            f"its apiVersion is {data.get('apiVersion')!r}, "
            f"the kubeconfig asks for {plugin.api_version!r}"
        )
    status = data.get("status")
    if not isinstance(status, dict):
        raise garbage("it has no status")
    has_token = isinstance(status.get("token"), str) and bool(status["token"])
    has_cert = all(
        isinstance(status.get(k), str) and status[k]
        for k in ("clientCertificateData", "clientKeyData")
    )
    if not (has_token or has_cert):
        raise garbage("its status has neither a token nor a client certificate and key")
    expiry = status.get("expirationTimestamp")
    if expiry is not None:
        try:
            parse_rfc3339(expiry)
        except (ValueError, TypeError, AttributeError):
            raise garbage("its expirationTimestamp is not an RFC 3339 time") from None
    return status


def run_plugin(plugin: Plugin, context: str, timeout: float = PLUGIN_TIMEOUT) -> dict[str, Any]:
    """Run a credential plugin with a deadline; its ExecCredential status (PluginProblem
    naming the plugin and the cause otherwise)."""
    status, out, err = _execute(plugin, context, timeout)
    if status != 0:
        raise _failed(plugin, context, status, err)
    return credential_status(out, plugin, context)


class _Loader(KubeConfigLoader):
    """The client's kubeconfig loader, with credential plugins run by `run_plugin`.

    The client calls `_load_from_exec_plugin` when it builds the configuration and again
    when the plugin's credential expires (its refresh hook, before a request); ours raises
    instead of logging, so either way the caller gets a PluginProblem."""

    def __init__(self, *args: Any, context: str, plugin_timeout: float, **kwargs: Any) -> None:
        self._context_name = context
        self._plugin_timeout = plugin_timeout
        super().__init__(*args, **kwargs)

    def _load_from_exec_plugin(self) -> bool | None:
        user = self._user
        if user is None or "exec" not in user:
            return None
        base_dir = self._get_base_path(user.path)
        plugin = plugin_from_config(
            user.value["exec"],
            context=self._context_name,
            base_dir=base_dir,
            cluster=self._cluster.value if self._cluster is not None else None,
        )
        status = run_plugin(plugin, self._context_name, self._plugin_timeout)
        if status.get("token"):
            self.token = f"Bearer {status['token']}"
        else:
            self.cert_file = self._as_file(status, "clientCertificateData", base_dir)
            self.key_file = self._as_file(status, "clientKeyData", base_dir)
        if status.get("expirationTimestamp"):
            self.expiry = parse_rfc3339(status["expirationTimestamp"])
        else:
            self.__dict__.pop("expiry", None)  # a stale one would rerun the plugin every request
        return True

    def _as_file(self, status: Mapping[str, Any], key: str, base_dir: str) -> str:
        # As the client does it: PEM data from the plugin goes to a private temp file.
        source = FileOrData(
            status,
            None,
            data_key_name=key,
            file_base_path=base_dir,
            base64_file_content=False,
            temp_file_path=self._temp_file_path,
        )
        return str(source.as_file())


def new_api_client(target: ClusterTarget, *, plugin_timeout: float = PLUGIN_TIMEOUT) -> ApiClient:
    """A client for `target`, requests never retried, credential plugins bounded."""
    configuration = Configuration()
    # Before the ApiClient exists: it builds its urllib3 pool from this value once, so
    # setting it afterwards (as we did) left urllib3's default of 3 retries in force and
    # turned a 10 s timeout into 40 s of silence, with "Retrying" warnings on stderr.
    configuration.retries = False
    try:
        merged = KubeConfigMerger(target.kubeconfig)
        if merged.config is None:
            raise ConfigException("no configuration found")
        loader = _Loader(
            config_dict=merged.config,
            active_context=target.context,
            config_base_path=None,
            context=target.context,
            plugin_timeout=plugin_timeout,
        )
        loader.load_and_set(configuration)
    except (ConfigException, OSError, ValueError, TypeError) as e:
        raise KubeconfigError(
            f"cannot use context {target.context!r} from {target.kubeconfig}: {e}",
            hint="`kubectl config view` shows what kubectl makes of the kubeconfig",
        ) from None
    return ApiClient(configuration=configuration)
