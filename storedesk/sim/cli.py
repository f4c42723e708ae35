"""`storedesk sim`: run the simulator in the foreground."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storedesk.sim.simulator import Simulator


def default_kubeconfig() -> Path:
    """Where `storedesk sim` writes its kubeconfig unless told otherwise."""
    from platformdirs import user_state_path

    return user_state_path("storedesk") / "sim" / "kubeconfig"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The simulator's command-line options."""
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=0, help="port (0 picks a free one)")
    parser.add_argument(
        "--kubeconfig",
        type=Path,
        default=None,
        help="kubeconfig to write/merge the storedesk-sim context into "
        f"(default: {default_kubeconfig()})",
    )
    parser.add_argument(
        "--ready-delay",
        type=float,
        default=3.0,
        metavar="SECONDS",
        help="how long containers take to become Ready (default 3)",
    )
    parser.add_argument(
        "--fail-image",
        action="append",
        default=[],
        metavar="PATTERN=REASON",
        help="make images matching the glob fail (ImagePullBackOff, "
        "ErrImagePull, CrashLoopBackOff, Error); repeatable",
    )
    parser.add_argument(
        "--latency",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="delay added to every API request",
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


def run(args: argparse.Namespace) -> int:
    """Start the simulator, print how to use it, serve until interrupted."""
    from storedesk.sim.controllers.loop import Timing
    from storedesk.sim.faults import parse_fail_image
    from storedesk.sim.simulator import Simulator

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        failures = [parse_fail_image(spec) for spec in args.fail_image]
        sim = Simulator(
            host=args.host,
            port=args.port,
            kubeconfig=args.kubeconfig or default_kubeconfig(),
            state_file=args.state,
            timing=Timing(ready_delay=args.ready_delay),
        )
        for pattern, reason in failures:
            sim.faults.fail_image(pattern, reason)
    except ValueError as e:
        print(f"storedesk sim: {e}")
        return 2
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
    parser = argparse.ArgumentParser(
        prog="storedesk sim", description="Run the local Kubernetes API simulator."
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))
