"""Helpers for the Kubernetes client's failure tests: the CLI as a user runs it, kubeconfigs
with credential plugins, and plugin scripts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

EXEC_API = "client.authentication.k8s.io/v1beta1"


def run_cli(
    kubeconfig: Path, context: str, *args: str, data_dir: Path, timeout: float
) -> subprocess.CompletedProcess[str]:
    """`python -m storedesk --kubeconfig K --context C ARGS` in a subprocess."""
    argv = [sys.executable, "-m", "storedesk", "--kubeconfig", str(kubeconfig)]
    argv += ["--context", context, *args]
    env = {**os.environ, "STOREDESK_DATA_DIR": str(data_dir)}
    return subprocess.run(
        argv, capture_output=True, text=True, env=env, timeout=timeout, check=False
    )


def write_exec_kubeconfig(
    path: Path, server: str, command: str, *, context: str = "plugged", api: str = EXEC_API
) -> Path:
    """A kubeconfig whose one context's user gets its credentials from `command`."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "c", "cluster": {"server": server}}],
        "users": [{"name": "u", "user": {"exec": {"apiVersion": api, "command": command}}}],
        "contexts": [{"name": context, "context": {"cluster": "c", "user": "u"}}],
        "current-context": context,
    }
    path.write_text(yaml.safe_dump(config))
    return path


def write_script(path: Path, body: str) -> Path:
    """An executable /bin/sh script."""
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return path


def credential(token: str, expires: str | None = None, api: str = EXEC_API) -> str:
    """The JSON ExecCredential a plugin prints."""
    status = f'"token": "{token}"' + (f', "expirationTimestamp": "{expires}"' if expires else "")
    return f'{{"apiVersion": "{api}", "kind": "ExecCredential", "status": {{{status}}}}}'


def alive(pid: int) -> bool:
    """Whether process `pid` still runs (a zombie waiting to be reaped does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"
