"""Finding executables (helm, kubeconfig credential plugins) the way a user's shell would,
and running them with bounds that hold.

Apps started from a desktop launcher do not inherit the PATH the user's shell builds, so
`helm`, `aws`, `gcloud` or `kubelogin` look "not installed". We search PATH, then the usual
install folders, then the PATH the login shell reports (asked once per process).
"""

from __future__ import annotations

import functools
import os
import pwd
import selectors
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from storedesk.errors import Cancelled, HelmUnavailable

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


# --- running with bounds that hold ----------------------------------------------------

# After the process exits, how long to keep collecting what it wrote. Its output is in the
# pipes by then; a child it left running may hold them open for as long as it likes.
DRAIN_GRACE = 2.0
_POLL = 0.2  # seconds between looks at the process, its deadline and `cancel`
_CHUNK = 65536


@dataclass(frozen=True)
class Finished:
    """How a process ended: its exit status (negative: killed by that signal) and output."""

    code: int
    stdout: str
    stderr: str


class _Pipes:
    """A process's stdin, stdout and stderr served through one selector: no threads, and
    no read that waits on anyone but the caller's clock."""

    def __init__(self, proc: subprocess.Popen[bytes], data: bytes | None) -> None:
        self._selector = selectors.DefaultSelector()
        self._data = memoryview(data or b"")
        self.stdout = bytearray()
        self.stderr = bytearray()
        for stream, buffer in ((proc.stdout, self.stdout), (proc.stderr, self.stderr)):
            if stream is not None:
                os.set_blocking(stream.fileno(), False)
                self._selector.register(stream, selectors.EVENT_READ, buffer)
        if proc.stdin is not None:
            os.set_blocking(proc.stdin.fileno(), False)
            self._selector.register(proc.stdin, selectors.EVENT_WRITE, None)

    @property
    def reading(self) -> bool:
        """Some output stream has not reached its end yet."""
        return any(key.data is not None for key in self._selector.get_map().values())

    def pump(self, timeout: float) -> None:
        """Move whatever is ready within `timeout` seconds (at most)."""
        if not self._selector.get_map():
            time.sleep(max(0.0, timeout))
            return
        for key, _ in self._selector.select(max(0.0, timeout)):
            if key.data is None:
                self._write(key.fileobj)  # type: ignore[arg-type]
            else:
                self._read(key.fileobj, key.data)  # type: ignore[arg-type]

    def drain(self, grace: float) -> None:
        """Read to the end of the output, or until `grace` seconds have passed."""
        end = time.monotonic() + grace
        while self.reading and (left := end - time.monotonic()) > 0:
            self.pump(min(_POLL, left))

    def close(self) -> None:
        """Close every pipe still open (what a lingering child writes next is lost)."""
        for key in list(self._selector.get_map().values()):
            self._drop(key.fileobj)  # type: ignore[arg-type]
        self._selector.close()

    def _write(self, stream: IO[bytes]) -> None:
        try:
            sent = os.write(stream.fileno(), self._data[:_CHUNK])
        except BlockingIOError:
            return
        except BrokenPipeError:  # it exited, or closed stdin, without reading it all
            sent = len(self._data)
        self._data = self._data[sent:]
        if not self._data:
            self._drop(stream)  # end of input: the reader sees EOF

    def _read(self, stream: IO[bytes], buffer: bytearray) -> None:
        try:
            chunk = os.read(stream.fileno(), _CHUNK)
        except BlockingIOError:
            return
        if chunk:
            buffer.extend(chunk)
        else:
            self._drop(stream)

    def _drop(self, stream: IO[bytes]) -> None:
        self._selector.unregister(stream)
        stream.close()


def _decoded(data: bytearray) -> str:
    # Tools print what they are given, in any encoding: never fail on their bytes.
    return data.decode("utf-8", errors="replace")


def _stop(proc: subprocess.Popen[bytes], pipes: _Pipes, grace: float) -> None:
    """SIGTERM, then SIGKILL if it has not ended within `grace` seconds."""
    if proc.poll() is not None:
        return
    proc.terminate()
    end = time.monotonic() + grace
    while proc.poll() is None and (left := end - time.monotonic()) > 0:
        pipes.pump(min(_POLL, left))  # keep reading: it must not block writing its goodbye
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def run_bounded(
    argv: tuple[str, ...],
    env: Mapping[str, str],
    limit: float,
    *,
    stdin: bytes | None = None,
    cancel: threading.Event | None = None,
    started: threading.Event | None = None,
    stop_grace: float = 10.0,
    name: str = "the process",
) -> Finished:
    """Run `argv`, feeding it `stdin`, until it exits; `limit` seconds passing raises
    TimeoutExpired, `cancel` being set raises Cancelled. Whatever ends the call (those, or
    an exception such as KeyboardInterrupt reaching it), the process is stopped first:
    SIGTERM, then SIGKILL after `stop_grace` seconds (`name` says what in messages). A
    child the process leaves behind
    holding its output can delay the return by DRAIN_GRACE seconds, no more."""
    proc = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL if stdin is None else subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(env),
    )
    pipes = _Pipes(proc, stdin)
    try:
        if started is not None:
            started.set()
        deadline = time.monotonic() + limit
        while proc.poll() is None:
            if cancel is not None and cancel.is_set():
                raise Cancelled(f"the operation was cancelled; {name} was stopped")
            left = deadline - time.monotonic()
            if left <= 0:
                raise subprocess.TimeoutExpired(argv, limit)
            pipes.pump(min(_POLL, left))
        pipes.drain(DRAIN_GRACE)
    except BaseException:
        # A timeout, a cancel, Ctrl+C, or a signal the CLI turned into an exception: the
        # process must not outlive the call (SIGTERM first: helm then records its release
        # as failed rather than leaving it pending).
        _stop(proc, pipes, stop_grace)
        raise
    finally:
        pipes.close()
    return Finished(proc.returncode, _decoded(pipes.stdout), _decoded(pipes.stderr))


INSTALL_HINT = (
    "install helm 3.14+ or helm 4 (https://helm.sh/docs/intro/install/; `make run` provides "
    "one), or set STOREDESK_HELM to the helm binary"
)


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
