"""An app started from a desktop launcher has a bare PATH: tools the user's login shell puts
on PATH (here through ~/.bash_profile) are still found, and handed on to helm."""

from __future__ import annotations

import os
import time
from pathlib import Path

from storedesk.cluster.helm import helm_env
from storedesk.cluster.tools import LOGIN_SHELL_TIMEOUT, find_executable, login_shell_dirs


def test_tool_only_on_the_login_shells_path_is_found(tmp_path: Path) -> None:
    home = tmp_path / "home"
    tools = home / "cloud-sdk" / "bin"
    tools.mkdir(parents=True)
    plugin = tools / "storedesk-test-auth-plugin"
    plugin.write_text("#!/bin/sh\n")
    plugin.chmod(0o755)
    # A banner printed by the profile must not end up in PATH.
    (home / ".bash_profile").write_text(
        'echo "Welcome back"\nexport PATH="$HOME/cloud-sdk/bin:$PATH"\n'
    )
    shell = tmp_path / "bash"  # its own path: login-shell answers are cached per shell
    shell.symlink_to("/bin/bash")
    env = {"HOME": str(home), "SHELL": str(shell), "PATH": "/usr/bin:/bin"}

    assert tools in login_shell_dirs(env)
    assert find_executable("storedesk-test-auth-plugin", env=env) == plugin
    assert str(tools) in helm_env(env)["PATH"].split(os.pathsep)


def test_a_broken_login_shell_is_survived(tmp_path: Path) -> None:
    shell = tmp_path / "broken-shell"
    shell.write_text("#!/bin/sh\nexit 7\n")
    shell.chmod(0o755)
    env = {"HOME": str(tmp_path), "SHELL": str(shell), "PATH": "/usr/bin:/bin"}
    assert login_shell_dirs(env) == []
    assert find_executable("storedesk-no-such-tool", env=env) is None


def test_a_hanging_login_shell_costs_only_the_timeout(tmp_path: Path) -> None:
    shell = tmp_path / "slow-shell"
    shell.write_text("#!/bin/sh\nsleep 60\n")  # its child holds the output pipe too
    shell.chmod(0o755)
    env = {"HOME": str(tmp_path), "SHELL": str(shell), "PATH": "/usr/bin:/bin"}
    started = time.monotonic()
    assert login_shell_dirs(env) == []
    assert time.monotonic() - started < LOGIN_SHELL_TIMEOUT + 2
