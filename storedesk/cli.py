"""The `storedesk` command: no arguments opens the window; subcommands work headless.

Exit codes: 0 success, 1 operation failed, 2 bad usage or invalid input, 3 cluster, helm
or keyring unavailable, 4 store busy. Progress goes to stderr, results to stdout (so
`-o json` output can be piped).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from storedesk import __version__
from storedesk.errors import InvalidInput, StoredeskError

if TYPE_CHECKING:
    from storedesk.provisioning.service import StoreService

EXIT_INTERRUPTED = 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
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
    p.add_argument("--engine", default="woocommerce", help="shop engine (default woocommerce)")
    p.add_argument("--domain", help="the store answers at NAME.DOMAIN (default localhost)")
    p.add_argument("--ingress-class", help="IngressClass to use (default: the cluster's)")
    p.add_argument("--tls", action="store_true", help="serve over HTTPS")
    p.add_argument("--wait", action="store_true", help="wait until the store is Ready")
    p.add_argument(
        "--timeout",
        type=float,
        default=None,
        metavar="S",
        help="seconds for helm and for --wait (default 600)",
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
    p.add_argument("--timeout", type=float, default=None, metavar="S")
    p = sub.add_parser("delete", help="delete a store (helm uninstall + its namespace)")
    p.add_argument("name")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.add_argument(
        "--wait",
        action="store_true",
        help="wait until the namespace is gone (then forget the credentials)",
    )
    p.add_argument("--timeout", type=float, default=None, metavar="S")
    p = sub.add_parser("sim", help="run the built-in Kubernetes simulator (demo cluster)")
    from storedesk.sim.cli import add_arguments

    add_arguments(p)
    return parser


def _output(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-o", "--output", choices=("table", "json"), default="table")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `storedesk` command."""
    args = _parser().parse_args(argv)
    if args.command in (None, "gui"):
        from storedesk.ui.app import main as gui_main

        gui_argv = []
        if args.kubeconfig:
            gui_argv += ["--kubeconfig", args.kubeconfig]
        if args.context:
            gui_argv += ["--context", args.context]
        return gui_main(gui_argv)
    if args.command == "sim":
        from storedesk.sim.cli import run

        return run(args)
    try:
        return COMMANDS[args.command](args)
    except StoredeskError as e:
        print(f"storedesk: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("storedesk: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


# -- commands ------------------------------------------------------------------------------


def _service(args: argparse.Namespace) -> StoreService:
    from storedesk.cluster.kubeconfig import resolve_target
    from storedesk.provisioning.service import StoreService

    return StoreService(resolve_target(args.kubeconfig, args.context, os.environ))


def cmd_contexts(args: argparse.Namespace) -> int:
    """storedesk contexts"""
    from storedesk.cluster.kubeconfig import list_contexts

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
    from storedesk.provisioning.service import progress_printer

    options: dict[str, object] = {}
    if args.domain is not None:
        options["domain"] = args.domain
    if args.ingress_class is not None:
        options["ingress_class"] = args.ingress_class
    if args.tls:
        options["tls"] = True
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
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key + ':':<{width + 1}} {value}")
    return 0


def cmd_credentials(args: argparse.Namespace) -> int:
    """storedesk credentials NAME"""
    creds = _service(args).credentials(args.name)
    hidden = "********"

    def shown(secret: str) -> str:
        return secret if args.reveal else hidden

    data = {
        "store": args.name,
        "admin_user": creds.admin_user,
        "admin_email": creds.admin_email,
        "admin_password": shown(creds.admin_password),
        "database_password": shown(creds.database_password),
        "database_root_password": shown(creds.database_root_password),
        "revealed": bool(args.reveal),
    }
    if args.output == "json":
        _print_json(data)
    else:
        for key in (
            "admin_user",
            "admin_email",
            "admin_password",
            "database_password",
            "database_root_password",
        ):
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
                [str(r["revision"]), r["status"], r["chart"], r["updated"] or "", r["description"]]
                for r in rows
            ],
        )
    return 0


def cmd_rollback(args: argparse.Namespace) -> int:
    """storedesk rollback NAME [REVISION]"""
    from storedesk.provisioning.service import progress_printer

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
    from storedesk.provisioning.service import progress_printer

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
    _service(args).delete(
        name, wait=args.wait, timeout=args.timeout, progress=progress_printer(_err)
    )
    print(
        f"store {name}: deleted"
        if args.wait
        else f"store {name}: deletion started (namespace terminating)"
    )
    return 0


COMMANDS = {
    "contexts": cmd_contexts,
    "list": cmd_list,
    "create": cmd_create,
    "status": cmd_status,
    "credentials": cmd_credentials,
    "events": cmd_events,
    "delete": cmd_delete,
    "history": cmd_history,
    "rollback": cmd_rollback,
}


# -- output --------------------------------------------------------------------------------


def record_json(record: Any) -> dict[str, Any]:
    """The stable JSON form of a store (documented in the README)."""
    status = record.status
    return {
        "name": record.name,
        "engine": record.engine,
        "namespace": record.namespace,
        "status": status.phase.value,
        "reason": status.reason,
        "detail": status.detail,
        "fix": status.fix,
        "pods_ready": status.pods_ready,
        "pods_total": status.pods_total,
        "url": record.url,
        "admin_url": record.admin_url,
        "created": record.created.isoformat() if record.created else None,
        "release_revision": record.release_revision,
        "release_status": record.release_status,
    }


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2))


def _print_table(header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows, strict=True)]
    for row in (header, *rows):
        print("   ".join(str(cell).ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


def _err(text: str) -> None:
    print(text, file=sys.stderr, flush=True)
