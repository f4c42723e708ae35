"""The `storedesk` command: no arguments opens the window; subcommands work headless.

Exit codes: 0 success, 1 operation failed, 2 bad usage or invalid input, 3 cluster, helm
or keyring unavailable, 4 store busy. Progress goes to stderr, results to stdout (so
`-o json` output can be piped).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import urlsplit

from storedesk import __version__
from storedesk.errors import InvalidInput, NextStep, StoredeskError

if TYPE_CHECKING:
    from storedesk.provisioning.events import LogEntry
    from storedesk.provisioning.operation import Progress
    from storedesk.provisioning.service import StoreService

EXIT_INTERRUPTED = 130
FORWARD_CHECK_EVERY = 0.5  # seconds between looks at a foreground forward's problems


class OneLineParser(argparse.ArgumentParser):
    """argparse, with a usage error on one line (exit 2) as every refusal is."""

    def error(self, message: str) -> NoReturn:
        """Print `message` on one line and exit 2 (argparse prints the whole usage first)."""
        self.exit(2, f"{self.prog}: {one_line(message)} (see {self.prog} --help)\n")


def one_line(text: str) -> str:
    """`text` with line breaks and other invisible characters escaped, so that a refusal
    stays one line whatever the user typed."""
    return "".join(
        c if c.isprintable() else c.encode("unicode_escape", "backslashreplace").decode("ascii")
        for c in text
    )


def _timeout(text: str) -> float:
    """argparse type of --timeout: refused while parsing, before any command runs."""
    from storedesk.domain.limits import parse_timeout

    try:
        return parse_timeout(text)
    except InvalidInput as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _parser(argv: Sequence[str]) -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="storedesk",
        description="Create, watch and delete shops on a Kubernetes "
        "cluster. Without a command, opens the window.",
    )
    parser.add_argument("--version", action="version", version=f"storedesk {__version__}")
    parser.add_argument(
        "--kubeconfig",
        help="kubeconfig file, as kubectl takes it (default: the files in $KUBECONFIG, "
        "merged, or ~/.kube/config)",
    )
    parser.add_argument("--context", help="kube context (default: the current one)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    sub.add_parser("gui", help="open the window (the default)")
    p = sub.add_parser("contexts", help="list the kubeconfig's contexts")
    _output(p)
    p = sub.add_parser("list", help="list the stores on the cluster")
    _output(p)
    p = sub.add_parser("create", help="create a store, or converge an existing one")
    p.add_argument("name")
    p.add_argument("--engine", help="shop engine (default: the first `storedesk engines` lists)")
    p.add_argument("--domain", help="the store answers at NAME.DOMAIN (default localhost)")
    p.add_argument("--ingress-class", help="IngressClass to use (default: the cluster's)")
    p.add_argument("--tls", action="store_true", help="serve over HTTPS")
    p.add_argument("--wait", action="store_true", help="wait until the store is Ready")
    p.add_argument(
        "--timeout",
        type=_timeout,
        default=None,
        metavar="S",
        help="seconds for helm and for --wait, 10 to 86400 (default 600)",
    )
    p.add_argument(
        "--no-keyring",
        action="store_true",
        help="do not keep the credentials in the OS keyring (they stay only in "
        "the store's Secret on the cluster)",
    )
    p = sub.add_parser("status", help="show one store's status")
    p.add_argument("name")
    _output(p)
    p = sub.add_parser("credentials", help="show a store's admin credentials")
    p.add_argument("name")
    p.add_argument("--reveal", action="store_true", help="show the passwords")
    p.add_argument(
        "--recover",
        action="store_true",
        help="read the passwords back from the store's Secret, else its helm release, and "
        "keep them in the keyring for this cluster",
    )
    _output(p)
    p = sub.add_parser("events", help="show a store's event log")
    p.add_argument("name")
    _output(p)
    p = sub.add_parser("history", help="show a store's helm revisions")
    p.add_argument("name")
    _output(p)
    p = sub.add_parser("rollback", help="return a store to an earlier helm revision")
    p.add_argument("name")
    p.add_argument(
        "revision",
        nargs="?",
        type=int,
        help="the revision to return to (default: the one before the current)",
    )
    p.add_argument("--wait", action="store_true", help="wait until the store is Ready")
    p.add_argument("--timeout", type=_timeout, default=None, metavar="S")
    p = sub.add_parser("open", help="open a store in the browser (its port-forward runs meanwhile)")
    p.add_argument("name")
    p.add_argument("--admin", action="store_true", help="open the shop's admin")
    p = sub.add_parser("forward", help="forward a store to 127.0.0.1 (foreground; Ctrl+C stops)")
    p.add_argument("name")
    p = sub.add_parser("delete", help="delete a store (helm uninstall + its namespace)")
    p.add_argument("name")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.add_argument(
        "--wait",
        action="store_true",
        help="wait until the namespace is gone (then forget the credentials)",
    )
    p.add_argument("--timeout", type=_timeout, default=None, metavar="S")
    p = sub.add_parser(
        "doctor",
        help="check the cluster: version, helm, permissions, storage, ingress, room for stores",
    )
    p.add_argument("--engine", help="the engine whose chart to check against (default: the first)")
    _output(p)
    p = sub.add_parser("sim", help="run the built-in Kubernetes simulator (demo cluster)")
    if "sim" in argv:
        # Its options come from the simulator's own command line, which costs a twentieth
        # of a second to import: not paid by every start of the window or the CLI.
        from storedesk.provisioning.demo import sim_arguments

        sim_arguments(p)
    return parser


def _output(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-o", "--output", choices=("table", "json"), default="table")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `storedesk` command."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = _parser(argv).parse_args(argv)
    refused = _environment_refusal(args.command)
    if refused is not None:
        return refused
    if args.command in (None, "gui"):
        from storedesk.ui.app import main as gui_main

        gui_argv = []
        if args.kubeconfig:
            gui_argv += ["--kubeconfig", args.kubeconfig]
        if args.context:
            gui_argv += ["--context", args.context]
        return gui_main(gui_argv)
    if args.command == "sim":
        from storedesk.provisioning.demo import run_sim

        return run_sim(args)
    previous = _raise_on_signals()
    try:
        return COMMANDS[args.command](args)
    except StoredeskError as e:
        print(f"storedesk: {error_text(e, getattr(args, 'name', None))}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt as e:
        return _interrupted(args, e)
    except BrokenPipeError:
        # The reader went away (`storedesk events x | head -1`): it has what it wanted.
        # Later writes, and Python's flush at exit, must not fail on the closed pipe.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    finally:
        _restore_signals(previous)


class Interrupted(KeyboardInterrupt):
    """SIGINT, SIGTERM or SIGHUP, raised like Ctrl+C's KeyboardInterrupt: what runs unwinds,
    and the helm runner stops helm on its way out."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


STATE_LOOKUP_TIMEOUT = 15.0  # seconds to ask the cluster, after an interruption, for the store
_STORE_CHANGES = ("create", "delete", "rollback")  # the commands that run helm to change a store
_STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


def _raise_on_signals() -> dict[int, Any]:
    """Turn the first SIGINT/SIGTERM/SIGHUP into Interrupted; later ones are ignored, so the
    cleanup it starts (bounded: stopping helm, the lock, the store's state) runs to its end.
    Returns the handlers it replaced."""
    received: list[int] = []

    def handler(signum: int, _frame: object) -> None:
        if not received:
            received.append(signum)
            raise Interrupted(signum)

    previous: dict[int, Any] = {}
    with contextlib.suppress(ValueError):  # not the main thread: leave signals alone
        for signum in _STOP_SIGNALS:
            previous[signum] = signal.signal(signum, handler)
    return previous


def _restore_signals(previous: dict[int, Any]) -> None:
    for signum, handler in previous.items():
        signal.signal(signum, handler)


def _interrupted(args: argparse.Namespace, error: KeyboardInterrupt) -> int:
    """Say what stopped the command and the state the store is left in; exit 128 + N."""
    signum = getattr(error, "signum", signal.SIGINT)
    helm = " (helm included)" if args.command in _STORE_CHANGES else ""
    print(
        f"storedesk: interrupted by {signal.Signals(signum).name}; stopped{helm}",
        file=sys.stderr,
        flush=True,
    )
    state = _store_state(args)
    if state:
        print(f"storedesk: {state}", file=sys.stderr, flush=True)
    return 128 + signum


def _store_state(args: argparse.Namespace) -> str | None:
    """The state of the store a create, delete or rollback was working on, as the cluster
    shows it now (asked within STATE_LOOKUP_TIMEOUT)."""
    name = getattr(args, "name", None)
    if args.command not in _STORE_CHANGES or not name:
        return None
    found: list[str] = []

    def look() -> None:
        from storedesk.errors import StoreNotFound

        try:
            status = _service(args).get_store(name).status
        except StoreNotFound:
            found.append(f"store '{name}' does not exist on the cluster")
            return
        except StoredeskError as e:
            found.append(f"the state of store '{name}' is unknown: {e.message}")
            return
        except Exception as e:  # a report must not end in a traceback
            found.append(f"the state of store '{name}' is unknown: {type(e).__name__}")
            return
        reason = f" ({status.reason})" if status.reason else ""
        told = "; ".join(x for x in (status.fix, next_commands(status.next_steps, name)) if x)
        found.append(
            f"store '{name}' is now {status.phase.value}{reason}" + f"; {told}" * bool(told)
        )

    worker = threading.Thread(target=look, name="store-state", daemon=True)
    worker.start()
    worker.join(STATE_LOOKUP_TIMEOUT)
    return (
        found[0]
        if found
        else f"the state of store '{name}' is unknown: the cluster did not answer within "
        f"{STATE_LOOKUP_TIMEOUT:.0f}s; `storedesk status {name}` shows it"
    )


def error_text(error: StoredeskError, store: str | None = None) -> str:
    """What the CLI prints for `error`, with the commands its next steps are: a refusal
    (exit 2) always on one line."""
    commands = next_commands(error.next_steps, store)
    told = "; ".join(x for x in (error.hint, commands) if x)
    text = f"{error.message} ({told})" if told else error.message
    return one_line(text) if isinstance(error, InvalidInput) else text


# How the CLI offers each next step: the command that takes it.
NEXT_COMMANDS = {
    NextStep.RETRY_CREATE: "storedesk create {store}",
    NextStep.RETRY_DELETE: "storedesk delete {store} --yes",
    NextStep.DELETE: "storedesk delete {store}",
    NextStep.RECOVER_CREDENTIALS: "storedesk credentials {store} --recover",
    NextStep.WITHOUT_KEYRING: "storedesk create {store} --no-keyring",
    NextStep.LIST_STORES: "storedesk list",
    NextStep.SHOW_STATUS: "storedesk status {store}",
}


def next_commands(steps: Sequence[NextStep], store: str | None) -> str:
    """'run `a`, or `b`' for the steps that can be said as commands, else ''."""
    commands = [
        f"`{NEXT_COMMANDS[step].format(store=store)}`"
        for step in steps
        if store is not None or "{store}" not in NEXT_COMMANDS[step]
    ]
    return "run " + ", or ".join(commands) if commands else ""


# -- environment ---------------------------------------------------------------------------


def _environment_refusal(command: str | None) -> int | None:
    """The exit status when a STOREDESK_* setting is wrong, after saying so; None when
    they are fine. Checked before any command runs (`sim` reads none of them)."""
    if command == "sim":
        return None
    try:
        check_environment(os.environ)
    except StoredeskError as e:
        print(f"storedesk: {error_text(e)}", file=sys.stderr)
        return e.exit_code
    return None


def check_environment(env: Mapping[str, str]) -> None:
    """Refuse wrong STOREDESK_* settings: InvalidInput (exit 2), or HelmUnavailable
    (exit 3) for a STOREDESK_HELM that is not a program, as for a missing helm."""
    from storedesk.domain.limits import parse_helm_concurrency

    if env.get("STOREDESK_HELM_CONCURRENCY"):
        parse_helm_concurrency(env["STOREDESK_HELM_CONCURRENCY"])
    if env.get("STOREDESK_DATA_DIR"):
        _check_data_dir(env["STOREDESK_DATA_DIR"])
    if env.get("STOREDESK_HELM"):
        from storedesk.cluster.tools import find_helm

        find_helm(env)
    from storedesk.provisioning.engines import engine_dirs

    engine_dirs(env)


def _check_data_dir(raw: str) -> None:
    hint = "it names the folder for Storedesk's event logs and locks; fix it, or unset it"
    path = Path(raw)
    if not path.is_absolute():
        # Relative to whichever folder the command runs in: locks would not be shared.
        raise InvalidInput(f"STOREDESK_DATA_DIR must be an absolute path, not {raw!r}", hint=hint)
    if path.exists() and not path.is_dir():
        raise InvalidInput(f"STOREDESK_DATA_DIR={raw} is not a folder", hint=hint)


# -- commands ------------------------------------------------------------------------------


def _service(args: argparse.Namespace) -> StoreService:
    from storedesk.domain.names import validate_store_name
    from storedesk.provisioning.app import connect

    if getattr(args, "name", None) is not None:
        # The user's own mistake first, before a kubeconfig or cluster problem hides it.
        validate_store_name(args.name)
    return connect(args.kubeconfig, args.context, os.environ)


def cmd_contexts(args: argparse.Namespace) -> int:
    """storedesk contexts"""
    from storedesk.provisioning.app import contexts as list_contexts

    contexts = list_contexts(args.kubeconfig, os.environ)
    if args.output == "json":
        _print_json(
            [
                {
                    "name": c.name,
                    "cluster": c.cluster,
                    "server": c.server,
                    "namespace": c.namespace,
                    "user": c.user,
                    "current": c.is_current,
                }
                for c in contexts
            ]
        )
    else:
        _print_table(
            ["CURRENT", "NAME", "CLUSTER", "SERVER"],
            [["*" if c.is_current else "", c.name, c.cluster, c.server] for c in contexts],
        )
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    """storedesk list"""
    service = _service(args)
    records = service.list_stores()
    service.reconcile(records)  # finish what earlier deletes left for once stores are gone
    if args.output == "json":
        _print_json(
            {"context": service.target.context, "stores": [record_json(r) for r in records]}
        )
        return 0
    from storedesk.domain.status import TABLE_HEADER, table_row

    now = datetime.now(UTC)
    _print_table(list(TABLE_HEADER), [list(table_row(r, now)) for r in records])
    return 0


def cmd_create(args: argparse.Namespace) -> int:
    """storedesk create NAME"""
    from storedesk.provisioning.engines import engines

    options: dict[str, object] = {}
    if args.domain is not None:
        options["domain"] = args.domain
    if args.ingress_class is not None:
        options["ingress_class"] = args.ingress_class
    if args.tls:
        options["tls"] = True
    # Checked again by the service; here before the cluster is even read.
    engine = engines().get(args.engine) if args.engine is not None else engines().default
    engine.resolve_options(options)
    service = _service(args)
    record = service.create(
        args.name,
        args.engine,
        options,
        wait=args.wait,
        timeout=args.timeout,
        use_keyring=not args.no_keyring,
        progress=progress_printer(_err),
    )
    print(
        f"store {record.name}: {record.status.phase}" + (f" at {record.url}" if record.url else "")
    )
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    """storedesk status NAME"""
    record = _service(args).get_store(args.name)
    if args.output == "json":
        _print_json(record_json(record))
        return 0
    status = record.status
    rows = [
        ("Store", record.name),
        ("Engine", record.engine),
        ("Namespace", record.namespace),
        ("Status", status.phase.value + (f" ({status.reason})" if status.reason else "")),
        ("Pods ready", f"{status.pods_ready}/{status.pods_total}"),
        ("URL", record.url or "-"),
        ("Admin", record.admin_url or "-"),
        *record.links,
        (
            "Release",
            f"revision {record.release_revision} {record.release_status}"
            if record.release_revision
            else "-",
        ),
    ]
    if status.detail:
        rows.append(("Detail", status.detail))
    if status.fix:
        rows.append(("Fix", status.fix))
    if status.next_steps:
        rows.append(("Next", next_commands(status.next_steps, record.name)))
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key + ':':<{width + 1}} {value}")
    return 0


def cmd_credentials(args: argparse.Namespace) -> int:
    """storedesk credentials NAME"""
    service = _service(args)
    if args.recover:
        creds, where = service.recover_credentials(args.name)
        _err(f"recovered the passwords of '{args.name}' from {where}; kept in the keyring")
    else:
        creds = service.credentials(args.name)
    engine = service.engine_of(args.name)
    shown = set(engine.public_fields) | {"admin_user", "admin_email"}
    fields = {
        field: value if args.reveal or field in shown else "********"
        for field, value in engine.ordered(creds)
    }
    data = {"store": args.name, **fields, "revealed": bool(args.reveal)}
    if args.output == "json":
        _print_json(data)
    else:
        for key in fields:
            print(f"{key.replace('_', ' ')}: {data[key]}")
        if not args.reveal:
            print("(passwords hidden; add --reveal to show them)")
    return 0


def cmd_events(args: argparse.Namespace) -> int:
    """storedesk events NAME"""
    entries = _service(args).events(args.name)
    if args.output == "json":
        _print_json(
            [
                {
                    "time": e.time.isoformat(),
                    "operation": e.operation,
                    "step": e.step,
                    "outcome": e.outcome,
                    "message": e.message,
                    "duration": e.duration,
                    "error_kind": e.error_kind,
                }
                for e in entries
            ]
        )
    elif not entries:
        print(f"no events recorded for '{args.name}' on this machine")
    else:
        for entry in entries:
            print(entry.describe())
    return 0


def _when(moment: datetime | None) -> str:
    """A time as people read it in a table: local, to the minute, and how long ago."""
    if moment is None:
        return "-"
    from storedesk.domain.status import describe_age

    local = moment.astimezone().strftime("%Y-%m-%d %H:%M")
    return f"{local} ({describe_age(moment, datetime.now(UTC))} ago)"


def cmd_history(args: argparse.Namespace) -> int:
    """storedesk history NAME"""
    revisions = _service(args).history(args.name)
    rows = [
        {
            "revision": r.revision,
            "status": r.status,
            "chart": r.chart,
            "app_version": r.app_version,
            "description": r.description,
            "updated": r.updated.isoformat() if r.updated else None,
        }
        for r in revisions
    ]
    if args.output == "json":
        _print_json(rows)
    else:
        _print_table(
            ["REVISION", "STATUS", "CHART", "UPDATED", "DESCRIPTION"],
            [
                [str(r.revision), r.status, r.chart, _when(r.updated), r.description]
                for r in revisions
            ],
        )
    return 0


def cmd_rollback(args: argparse.Namespace) -> int:
    """storedesk rollback NAME [REVISION]"""
    record = _service(args).rollback(
        args.name,
        args.revision,
        wait=args.wait,
        timeout=args.timeout,
        progress=progress_printer(_err),
    )
    print(f"store {record.name}: revision {record.release_revision}, {record.status.phase}")
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    """storedesk delete NAME"""
    from storedesk.domain.names import validate_store_name

    name = validate_store_name(args.name)
    if not args.yes:
        if not sys.stdin.isatty():
            raise InvalidInput(
                "refusing to delete without confirmation", hint="pass --yes when not at a terminal"
            )
        _err(
            f"This removes store '{name}': its helm release, namespace store-{name} with "
            f"everything in it (database included), and its saved credentials."
        )
        if input(f"Type the store name ({name}) to confirm: ").strip() != name:
            raise InvalidInput("not confirmed; nothing was deleted")
    started = _service(args).delete(
        name, wait=args.wait, timeout=args.timeout, progress=progress_printer(_err)
    )
    if args.wait:
        print(f"store {name}: deleted")
    elif started:
        print(f"store {name}: deletion started (namespace terminating)")
    else:
        print(f"store {name}: already being deleted (namespace terminating)")
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    """storedesk doctor: exit 0 with no problem (warnings allowed), 1 when a check finds a
    problem, 3 when the cluster did not answer at all."""
    from storedesk.provisioning.doctor import run_checks
    from storedesk.provisioning.engines import engines

    if args.engine is not None:
        engines().get(args.engine)  # a mistyped engine is refused before the cluster is asked
    report = run_checks(_service(args), args.engine)
    if args.output == "json":
        _print_json(report_json(report))
    else:
        _print_report(report)
    if not report.cluster_answered:
        return 3
    return 1 if report.verdict.value == "problem" else 0


def report_json(report: Any) -> dict[str, Any]:
    """The stable JSON form of a cluster check (documented in the README)."""
    return {
        "context": report.context,
        "engine": report.engine,
        "verdict": report.verdict.value,
        "summary": report.summary,
        "cluster_answered": report.cluster_answered,
        "checked_at": report.checked_at.isoformat(),
        "checks": [
            {
                "check": r.check.value,
                "title": r.title,
                "verdict": r.verdict.value,
                "message": r.message,
                "fix": r.fix,
                "details": dict(r.details),
            }
            for r in report.results
        ],
    }


def _print_report(report: Any) -> None:
    width = max(len(r.title) for r in report.results)
    print(f"Cluster check of context {report.context} (engine {report.engine}): {report.summary}")
    for r in report.results:
        print(f"{r.verdict.value:<8} {r.title:<{width}}  {r.message}")
        if r.fix:
            print(f"{'':<8} {'':<{width}}  fix: {r.fix}")


def cmd_forward(args: argparse.Namespace) -> int:
    """storedesk forward NAME"""
    service = _service(args)
    state = service.forwards.start(args.name)
    print(f"forwarding {state.url} (127.0.0.1:{state.port}); Ctrl+C stops", flush=True)
    _wait_until_interrupted(service)
    return 0


def cmd_open(args: argparse.Namespace) -> int:
    """storedesk open NAME [--admin]"""
    import webbrowser

    service = _service(args)
    record = service.get_store(args.name, probe_now=False)
    url = record.admin_url if args.admin else record.url
    if not url:
        raise InvalidInput(f"store '{args.name}' has no address this Storedesk knows")
    if record.forwarded:
        service.forwards.start(args.name)
    if not webbrowser.open(url):
        print(f"storedesk: no browser found; open {url}", file=sys.stderr)
    print(url, flush=True)
    if record.forwarded:
        print(f"forwarding to 127.0.0.1:{urlsplit(url).port}; Ctrl+C stops", flush=True)
        _wait_until_interrupted(service)
    return 0


def _wait_until_interrupted(service: StoreService) -> None:
    """Keep the forwards running until Ctrl+C (or SIGTERM/SIGHUP), saying on stderr when
    one runs into a problem and when it forwards again; then stop them. Ctrl+C is how a
    foreground forward ends, as `kubectl port-forward`'s does: not a failure."""
    said: dict[str, str | None] = {}
    try:
        while True:
            time.sleep(FORWARD_CHECK_EVERY)
            for state in service.forwards.states():
                if state.problem == said.get(state.store):
                    continue
                now = state.problem or "forwarding again"
                print(f"storedesk: forward {state.store}: {now}", file=sys.stderr, flush=True)
                said[state.store] = state.problem
    except KeyboardInterrupt:
        print("storedesk: forwarding stopped", file=sys.stderr, flush=True)
    finally:
        service.forwards.stop_all()


COMMANDS = {
    "open": cmd_open,
    "forward": cmd_forward,
    "contexts": cmd_contexts,
    "list": cmd_list,
    "create": cmd_create,
    "status": cmd_status,
    "credentials": cmd_credentials,
    "events": cmd_events,
    "delete": cmd_delete,
    "history": cmd_history,
    "rollback": cmd_rollback,
    "doctor": cmd_doctor,
}


# -- output --------------------------------------------------------------------------------


def record_json(record: Any) -> dict[str, Any]:
    """The stable JSON form of a store (documented in the README)."""
    from storedesk.domain.models import Phase

    status = record.status
    return {
        "name": record.name,
        "engine": record.engine,
        "namespace": record.namespace,
        "status": status.phase.value,
        "reason": status.reason,
        "detail": status.detail,
        "fix": status.fix,
        "next_steps": [str(step) for step in status.next_steps],
        "pods_ready": status.pods_ready,
        "pods_total": status.pods_total,
        "url": record.url,
        "admin_url": record.admin_url,
        "created": record.created.isoformat() if record.created else None,
        "release_revision": record.release_revision,
        "release_status": record.release_status,
        "access": "port-forward" if record.forwarded else "ingress",
        "reachable": {Phase.READY: True, Phase.RUNNING: False}.get(status.phase),
        "links": dict(record.links),
    }


def progress_printer(write: Callable[[str], None]) -> Progress:
    """Progress callback printing one line per step."""
    from storedesk.provisioning.events import Outcome

    def show(entry: LogEntry) -> None:
        if entry.step == "operation" and entry.outcome == Outcome.STARTED:
            return
        took = f" ({entry.duration:.1f}s)" if entry.duration is not None else ""
        write(f"{entry.step:<11} {entry.outcome:<6} {entry.message}{took}")

    return show


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2))


def _print_table(header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows, strict=True)]
    for row in (header, *rows):
        print("   ".join(str(cell).ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


def _err(text: str) -> None:
    print(text, file=sys.stderr, flush=True)
