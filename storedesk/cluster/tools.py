"""Finding executables (helm, kubeconfig credential plugins) the way a user's shell would.

Apps started from a desktop launcher do not inherit the PATH the user's shell builds, so
`helm`, `aws`, `gcloud` or `kubelogin` look "not installed". We search PATH, then the usual
install folders, then the PATH the login shell reports (asked once per process).
"""

from __future__ import annotations

import functools
import os
import pwd
import shutil
import signal
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

# Where package managers and installers put binaries; "~" is the user's home.
USUAL_DIRS = (
    "/usr/local/bin",
    "/opt/homebrew/bin",
    "/home/linuxbrew/.linuxbrew/bin",
    "~/.linuxbrew/bin",
    "~/.local/bin",
    "~/bin",
    "/snap/bin",
    "~/.asdf/shims",
    "~/.local/share/mise/shims",
    "~/.nix-profile/bin",
    "/nix/var/nix/profiles/default/bin",
    "/run/current-system/sw/bin",
    "~/.krew/bin",
    "~/.rd/bin",
    "~/google-cloud-sdk/bin",
    "/usr/bin",
    "/bin",
)

# Background processes (helm, the demo cluster) run this much "nicer" than the app: when
# several installs render charts at once they would otherwise take the CPU from the
# window's GUI thread (benchmark 5: worst stall ~50 ms with it, 180-420 ms without).
BACKGROUND_NICENESS = 10

LOGIN_SHELL_TIMEOUT = 3.0  # seconds; a slow profile must not stall the app
_MARKER = "__storedesk_path__"


def _home(env: Mapping[str, str]) -> str:
    return env.get("HOME") or str(Path.home())


def usual_dirs(env: Mapping[str, str] = os.environ) -> list[Path]:
    """The usual install folders, with "~" expanded against env's HOME."""
    home = _home(env)
    return [Path(d.replace("~", home, 1)) if d.startswith("~") else Path(d) for d in USUAL_DIRS]


def _split_path(value: str) -> list[Path]:
    return [Path(p) for p in value.split(os.pathsep) if p]


def _user_shell(env: Mapping[str, str]) -> str | None:
    shell = env.get("SHELL")
    if not shell:
        try:
            shell = pwd.getpwuid(os.getuid()).pw_shell
        except KeyError:
            return None
    return shell if shell and os.path.isabs(shell) else None


@functools.cache
def _login_shell_path(shell: str, home: str) -> tuple[str, ...]:
    # Profile scripts may print banners: the marker tells the PATH apart from them.
    script = f"printf '\\n{_MARKER}%s' \"$PATH\""
    try:
        proc = subprocess.Popen(
            [shell, "-l", "-c", script],
            env={**os.environ, "HOME": home},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            start_new_session=True,  # its own process group, to stop all of it on timeout
        )
    except OSError:
        return ()
    try:
        out, _ = proc.communicate(timeout=LOGIN_SHELL_TIMEOUT)
    except subprocess.TimeoutExpired:
        # Children the profile started would keep our pipe open: stop the whole group.
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return ()
    _, found, value = out.rpartition(_MARKER)
    return (
        tuple(str(p) for p in _split_path(value.strip())) if found and proc.returncode == 0 else ()
    )


def login_shell_dirs(env: Mapping[str, str] = os.environ) -> list[Path]:
    """The PATH of the user's login shell (asked once per process, empty if it fails)."""
    shell = _user_shell(env)
    return [Path(p) for p in _login_shell_path(shell, _home(env))] if shell else []


def _unique(dirs: Iterable[Path]) -> list[Path]:
    return list(dict.fromkeys(dirs))


def search_dirs(env: Mapping[str, str] = os.environ) -> list[Path]:
    """PATH, then the usual install folders, then the login shell's PATH, without repeats."""
    return _unique([*_split_path(env.get("PATH", "")), *usual_dirs(env), *login_shell_dirs(env)])


def tool_path(env: Mapping[str, str] = os.environ) -> str:
    """The augmented PATH to give helm, so kubeconfig exec plugins are found as well."""
    return os.pathsep.join(str(d) for d in search_dirs(env))


def _executable_in(name: str, dirs: Iterable[Path]) -> Path | None:
    for d in dirs:
        candidate = d / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def find_executable(
    name: str, dirs: Iterable[Path] | None = None, env: Mapping[str, str] = os.environ
) -> Path | None:
    """Where `name` is: in `dirs` if given, else PATH, usual folders, login shell's PATH."""
    if dirs is not None:
        return _executable_in(name, dirs)
    # The login shell is slow to ask: only when the cheap places have nothing.
    quick = _unique([*_split_path(env.get("PATH", "")), *usual_dirs(env)])
    return _executable_in(name, quick) or _executable_in(name, login_shell_dirs(env))


def in_background(argv: tuple[str, ...]) -> tuple[str, ...]:
    """`argv` run at a lower CPU priority (through `nice`, where the system has it)."""
    nice = _nice()
    return (nice, "-n", str(BACKGROUND_NICENESS), *argv) if nice else argv


@functools.cache
def _nice() -> str | None:
    # nice execs the command in place: same pid, so our signals (SIGTERM to stop helm)
    # still reach it. Not found (Windows): run at normal priority rather than not at all.
    return shutil.which("nice")


def stop_process(proc: subprocess.Popen[Any], grace: float) -> None:
    """SIGTERM `proc`; SIGKILL it if it has not ended within `grace` seconds."""
    proc.terminate()
    try:
        proc.communicate(timeout=grace)  # drains its pipes, so it cannot block writing
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
