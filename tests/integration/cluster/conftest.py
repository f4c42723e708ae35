"""Kubeconfig files pointing at local ports nothing (or something silent) listens on."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

import pytest


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def closed_server() -> Callable[[], str]:
    """closed_server() -> an https URL on a localhost port nothing listens on."""
    return lambda: f"https://127.0.0.1:{_closed_port()}"


def kubeconfig_text(
    contexts: dict[str, str],
    servers: dict[str, str],
    current: str | None = None,
    user: str = "user: {token: not-a-real-token}",
) -> str:
    """contexts: name -> cluster; servers: cluster -> URL."""
    lines = ["apiVersion: v1", "kind: Config", "clusters:"]
    for name, server in servers.items():
        lines += [f"- name: {name}", "  cluster:", f"    server: {server}"]
        lines.append("    insecure-skip-tls-verify: true")
    lines.append("contexts:")
    for name, cluster in contexts.items():
        lines += [f"- name: {name}", f"  context: {{cluster: {cluster}, user: u}}"]
    lines += ["users:", "- name: u", f"  {user}"]
    if current:
        lines.append(f"current-context: {current}")
    return "\n".join(lines) + "\n"


@pytest.fixture
def write_kubeconfig(tmp_path: Path) -> Callable[..., Path]:
    """Write a kubeconfig file into tmp_path: write_kubeconfig(name, contexts, servers, ...)."""

    def write(name: str, contexts: dict[str, str], servers: dict[str, str], **kw: str) -> Path:
        path = tmp_path / name
        path.write_text(kubeconfig_text(contexts, servers, **kw))
        return path

    return write
