"""`storedesk sim`: run the simulator in the foreground."""

from __future__ import annotations

import argparse
import ipaddress
import json
import logging
import os
import re
import signal
import socket
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import yaml

if TYPE_CHECKING:
    from storedesk.sim.simulator import Simulator


def default_kubeconfig() -> Path:
    """Where `storedesk sim` writes its kubeconfig unless told otherwise."""
    from platformdirs import user_state_path

    return user_state_path("storedesk") / "sim" / "kubeconfig"


class _OneLineParser(argparse.ArgumentParser):
    """argparse with a usage error on one line, as `storedesk` has (the simulator imports
    nothing of the product, so this small class is its own)."""

    def error(self, message: str) -> NoReturn:
        """Print `message` on one line and exit 2."""
        line = message.encode("unicode_escape", "backslashreplace").decode("ascii")
        self.exit(2, f"{self.prog}: {line} (see {self.prog} --help)\n")


_DECIMAL = re.compile(r"[0-9]{1,9}(\.[0-9]{0,9})?|\.[0-9]{1,9}")
MAX_READY_DELAY = 3600.0  # an hour: slower than any real image pull
MAX_LATENCY = 60.0  # past a minute every client times out anyway


def _port(text: str) -> int:
    """argparse type of --port: 0 (any free port) to 65535."""
    if re.fullmatch(r"[0-9]{1,5}", text) and int(text) <= 65535:
        return int(text)
    raise argparse.ArgumentTypeError(f"a port is a number from 0 to 65535, not {text!r}")


def _host(text: str) -> str:
    """argparse type of --host: an IPv4 address or localhost (the server speaks IPv4 only,
    and a host name would need a DNS lookup that may hang)."""
    if text == "localhost":
        return text
    try:
        ipaddress.IPv4Address(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"the address to listen on is an IPv4 address such as 127.0.0.1 (0.0.0.0 for "
            f"all of this machine's) or localhost, not {text!r}"
        ) from None
    return text


def _seconds(maximum: float) -> Callable[[str], float]:
    """argparse type: decimal seconds from 0 to `maximum` (no nan, inf or exponents)."""

    def seconds(text: str) -> float:
        if _DECIMAL.fullmatch(text) and float(text) <= maximum:
            return float(text)
        raise argparse.ArgumentTypeError(
            f"a number of seconds from 0 to {maximum:.0f} is needed, not {text!r}"
        )

    return seconds


def _fail_image(spec: str) -> tuple[str, str]:
    """argparse type of --fail-image: PATTERN=REASON, REASON one the simulator plays."""
    from storedesk.sim.faults import IMAGE_FAILURES

    pattern, equals, reason = spec.partition("=")
    if pattern and equals and reason in IMAGE_FAILURES:
        return pattern, reason
    raise argparse.ArgumentTypeError(
        f"PATTERN=REASON is needed, REASON one of {', '.join(IMAGE_FAILURES)}; not {spec!r}"
    )


def _fail_pod(spec: str) -> tuple[str, str]:
    """argparse type of --fail-pod: PATTERN=REASON, matched against pod (or Job) names."""
    from storedesk.sim.faults import IMAGE_FAILURES

    pattern, equals, reason = spec.partition("=")
    if pattern and equals and reason in IMAGE_FAILURES:
        return pattern, reason
    raise argparse.ArgumentTypeError(
        f"PATTERN=REASON is needed, REASON one of {', '.join(IMAGE_FAILURES)}; not {spec!r}"
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The simulator's command-line options (each checked while parsing)."""
    parser.add_argument("--host", type=_host, default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=_port, default=0, help="port (0 picks a free one)")
    parser.add_argument(
        "--kubeconfig",
        type=Path,
        default=None,
        help="kubeconfig to write/merge the storedesk-sim context into "
        f"(default: {default_kubeconfig()})",
    )
    parser.add_argument(
        "--ready-delay",
        type=_seconds(MAX_READY_DELAY),
        default=3.0,
        metavar="SECONDS",
        help="how long containers take to become Ready (default 3)",
    )
    parser.add_argument(
        "--fail-image",
        type=_fail_image,
        action="append",
        default=[],
        metavar="PATTERN=REASON",
        help="make images matching the glob fail (ImagePullBackOff, "
        "ErrImagePull, CrashLoopBackOff, Error); repeatable",
    )
    parser.add_argument(
        "--fail-pod",
        type=_fail_pod,
        action="append",
        default=[],
        metavar="PATTERN=REASON",
        help="make pods whose name (or Job's name) matches the glob fail, e.g. "
        "'*-setup-*=Error' (a hook or Job then fails); repeatable",
    )
    parser.add_argument(
        "--latency",
        type=_seconds(MAX_LATENCY),
        default=0.0,
        metavar="SECONDS",
        help="delay added to every API request",
    )
    parser.add_argument(
        "--ingress-port",
        type=_port,
        default=None,
        metavar="PORT",
        help="also act as the cluster's ingress controller on 127.0.0.1:PORT "
        "(0 picks a free port; IngressClass storedesk-sim, the default class)",
    )
    parser.add_argument(
        "--state",
        type=Path,
        default=None,
        metavar="FILE",
        help="keep the cluster's objects in FILE across restarts",
    )
    # For a parent that starts the simulator as its child (the app's demo cluster): stop
    # when the parent's end of our stdin closes, which happens however the parent ends.
    parser.add_argument("--exit-when-stdin-closes", action="store_true", help=argparse.SUPPRESS)


class SetupRefused(Exception):
    """A file or address the simulator cannot use; one line for the user."""


def _reason(error: OSError) -> str:
    return error.strerror or str(error)


def _check_writable(path: Path, flag: str) -> None:
    """`path` can be written: its nearest existing folder takes a new file (the folders
    in between are made when the simulator first writes; nothing is made here)."""
    if path.exists() and not path.is_file():
        raise SetupRefused(f"{flag} {path} is not a file")
    folder = path.parent
    while not folder.exists():
        folder = folder.parent
    if not folder.is_dir():
        raise SetupRefused(f"{flag} {path}: {folder} is not a folder")
    try:
        # A real write, not os.access: as root access() says yes to /proc and read-only
        # mounts alike. The probe file is gone when the block ends.
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".storedesk-probe-"):
            pass
    except OSError as e:
        raise SetupRefused(f"{flag} {path}: cannot write there: {_reason(e)}") from None


def _check_state(path: Path) -> None:
    """A state file that exists must be one the simulator wrote; its folder writable."""
    from storedesk.sim import resources as res
    from storedesk.sim.store import Store

    if path.is_file():
        try:
            data = json.loads(path.read_bytes())
            Store().restore(data, lambda group, plural: _resource_type(res, group, plural))
        except OSError as e:
            raise SetupRefused(f"--state {path}: cannot read it: {_reason(e)}") from None
        except (ValueError, TypeError, KeyError, AttributeError, IndexError):
            raise SetupRefused(
                f"--state {path} is not a simulator state file (move it away, or name another file)"
            ) from None
    _check_writable(path, "--state")


def _resource_type(res: Any, group: str, plural: str) -> Any:
    return next((rt for rt in res.RESOURCE_TYPES if (rt.group, rt.plural) == (group, plural)), None)


def _check_kubeconfig(path: Path) -> None:
    """A kubeconfig that exists must be YAML the simulator can merge its context into."""
    if path.is_file():
        try:
            loaded = yaml.safe_load(path.read_bytes())
        except OSError as e:
            raise SetupRefused(f"--kubeconfig {path}: cannot read it: {_reason(e)}") from None
        except yaml.YAMLError:
            loaded = ()
        if loaded is not None and not isinstance(loaded, dict):
            raise SetupRefused(f"--kubeconfig {path} is not a kubeconfig (YAML) file")
    _check_writable(path, "--kubeconfig")


def _check_listen(host: str, port: int) -> None:
    """The address can be listened on (this machine's, and the port free)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server does
            probe.bind((host, port))
    except OSError as e:
        raise SetupRefused(f"cannot listen on {host}:{port}: {_reason(e)}") from None


def check_setup(args: argparse.Namespace, kubeconfig: Path) -> None:
    """Refuse, before anything starts, files and an address the simulator cannot use."""
    _check_listen(args.host, args.port)
    if args.ingress_port:
        _check_listen("127.0.0.1", args.ingress_port)
    if args.state is not None:
        _check_state(args.state)
    _check_kubeconfig(kubeconfig)


def run(args: argparse.Namespace) -> int:
    """Start the simulator, print how to use it, serve until interrupted."""
    from storedesk.sim.controllers.loop import Timing
    from storedesk.sim.simulator import Simulator

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    kubeconfig = args.kubeconfig or default_kubeconfig()
    try:
        check_setup(args, kubeconfig)
    except SetupRefused as e:
        print(f"storedesk sim: {e}", file=sys.stderr)
        return 2
    sim = Simulator(
        host=args.host,
        port=args.port,
        kubeconfig=kubeconfig,
        state_file=args.state,
        timing=Timing(ready_delay=args.ready_delay),
        ingress_port=args.ingress_port,
    )
    for pattern, reason in args.fail_image:
        sim.faults.fail_image(pattern, reason)
    for pattern, reason in args.fail_pod:
        sim.faults.fail_pod(pattern, reason)
    sim.faults.latency = args.latency
    sim.start()
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    if args.exit_when_stdin_closes:
        threading.Thread(target=_wait_for_eof, args=(done,), name="stdin", daemon=True).start()
    # The outage switch, for clients running against this process: kill -USR1 / -USR2.
    signal.signal(signal.SIGUSR1, lambda *_: _toggle(sim, "refuse"))
    signal.signal(signal.SIGUSR2, lambda *_: _toggle(sim, "503"))
    print(f"Storedesk simulator (demo cluster) serving {sim.url}")
    print(f"  kubeconfig: {sim.kubeconfig} (context {sim.context})")
    print(f"  try:  kubectl --kubeconfig {sim.kubeconfig} --context {sim.context} get nodes")
    print(f"        export KUBECONFIG={sim.kubeconfig}; helm list -A")
    if sim.ingress is not None:
        print(
            f"  ingress: {sim.ingress.url} (IngressClass storedesk-sim); a store host "
            f"answers at http://HOST:{sim.ingress.port}/"
        )
    if args.state:
        print(f"  state: {args.state}")
    print(
        f"  outage switch: kill -USR1 {os.getpid()} (connections refused), "
        f"kill -USR2 {os.getpid()} (503); the same again ends it"
    )
    print("Press Ctrl+C to stop.", flush=True)
    try:
        done.wait()
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()
    return 0


def _wait_for_eof(done: threading.Event) -> None:
    """Set `done` once stdin reaches its end."""
    while sys.stdin.buffer.read(4096):
        pass
    done.set()


def _toggle(sim: Simulator, mode: str) -> None:
    """Switch an outage of this kind on, or off if it is on."""
    new = None if sim.outage == mode else mode
    sim.set_outage(new)
    print(f"outage: {new or 'off'}", flush=True)


def main(argv: list[str] | None = None) -> int:
    """`python -m storedesk.sim`."""
    parser = _OneLineParser(
        prog="storedesk sim", description="Run the local Kubernetes API simulator."
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))
