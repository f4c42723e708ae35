"""The event log: bounded per store, read from its end, whole lines under concurrent writers."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from storedesk.provisioning.events import EventLog, LogEntry

START = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
CAP = 2048  # bytes per generation in these tests: a few dozen entries


def note(i: int, store: str = "shop") -> LogEntry:
    """Entry number `i` (its message is the number)."""
    return LogEntry(START + timedelta(seconds=i), store, "status", "status", "info", str(i))


def op(i: int, outcome: str, operation: str = "create", message: str = "") -> LogEntry:
    """The start or end of an operation."""
    return LogEntry(START + timedelta(seconds=i), "shop", operation, "operation", outcome, message)


def numbers(entries: list[LogEntry]) -> list[int]:
    return [int(e.message) for e in entries]


def fill_until_rotated(log: EventLog) -> int:
    """Append notes until the first file has become the old generation; returns the count."""
    n = 0
    while not log.old_path("shop").exists():
        log.append(note(n))
        n += 1
    return n


def test_a_full_file_becomes_the_old_generation_and_the_newest_entries_stay(
    tmp_path: Path,
) -> None:
    log = EventLog(tmp_path, "kind-kind", max_bytes=CAP)
    line = len(note(100).to_json()) + 1
    for i in range(500):
        log.append(note(i))
    assert sorted(p.name for p in log.folder.iterdir()) == ["shop.jsonl", "shop.jsonl.1"]
    for path in (log.path("shop"), log.old_path("shop")):
        assert path.stat().st_size <= CAP + line
    kept = numbers(log.read("shop"))
    assert kept == list(range(kept[0], 500))  # no gap, up to the newest
    assert len(kept) > CAP // line  # at least a whole generation


def test_read_with_a_limit_returns_the_newest_entries_across_both_generations(
    tmp_path: Path,
) -> None:
    log = EventLog(tmp_path, "kind-kind", max_bytes=CAP)
    n = fill_until_rotated(log)
    for i in range(n, n + 3):
        log.append(note(i))
    assert numbers(log.read("shop", limit=10)) == list(range(n - 7, n + 3))
    assert numbers(log.read("shop", limit=2)) == [n + 1, n + 2]


def test_read_reads_a_log_larger_than_a_block_from_its_end(tmp_path: Path) -> None:
    log = EventLog(tmp_path, "kind-kind")
    for i in range(1000):  # about 120 KiB: many blocks
        log.append(note(i))
    assert numbers(log.read("shop", limit=3)) == [997, 998, 999]
    assert numbers(log.read("shop")) == list(range(1000))


def test_a_last_line_cut_short_is_skipped(tmp_path: Path) -> None:
    log = EventLog(tmp_path, "kind-kind")
    for i in range(3):
        log.append(note(i))
    with log.path("shop").open("ab") as f:
        f.write(note(3).to_json().encode()[:30])  # a crash in the middle of a write
    assert numbers(log.read("shop")) == [0, 1, 2]
    assert numbers(log.read("shop", limit=2)) == [1, 2]


def test_a_line_cut_short_by_a_crash_costs_only_itself(tmp_path: Path) -> None:
    log = EventLog(tmp_path, "kind-kind")
    log.append(note(0))
    with log.path("shop").open("ab") as f:
        f.write(note(1).to_json().encode()[:30])
    log.append(note(2))  # lands on the same line as the fragment
    log.append(note(3))
    assert numbers(log.read("shop")) == [0, 2, 3]


def test_the_last_operation_is_found_however_many_entries_follow_its_start(
    tmp_path: Path,
) -> None:
    log = EventLog(tmp_path, "kind-kind")
    log.append(op(0, "started"))
    for i in range(1, 400):  # a long create: the monitor notes many status changes
        log.append(note(i))
    fact = log.last_operation("shop", running=True)
    assert fact is not None
    assert (fact.kind, fact.running) == ("create", True)


def test_the_last_operation_follows_entries_appended_after_a_read(tmp_path: Path) -> None:
    log = EventLog(tmp_path, "kind-kind")
    assert log.last_operation("shop", running=False) is None
    log.append(op(0, "started"))
    fact = log.last_operation("shop", running=False)
    assert fact is not None
    assert (fact.failed, fact.error_kind) == (True, "interrupted")
    log.append(op(1, "failed", message="helm failed"))
    fact = log.last_operation("shop", running=False)
    assert fact is not None
    assert (fact.kind, fact.failed, fact.error) == ("create", True, "helm failed")
    log.append(op(2, "started", "delete"))
    log.append(op(3, "ok", "delete"))
    fact = log.last_operation("shop", running=False)
    assert fact is not None
    assert (fact.kind, fact.failed, fact.finished) == (
        "delete",
        False,
        START + timedelta(seconds=3),
    )


def test_the_last_operation_ignores_a_line_still_being_written(tmp_path: Path) -> None:
    log = EventLog(tmp_path, "kind-kind")
    log.append(op(0, "started"))
    assert log.last_operation("shop", running=True) is not None
    end = op(1, "ok").to_json().encode() + b"\n"
    with log.path("shop").open("ab") as f:
        f.write(end[:20])
        f.flush()
        fact = log.last_operation("shop", running=True)
        assert fact is not None
        assert fact.running
        f.write(end[20:])
    fact = log.last_operation("shop", running=True)
    assert fact is not None
    assert (fact.running, fact.failed) == (False, False)


def test_the_last_operation_survives_rotation(tmp_path: Path) -> None:
    log = EventLog(tmp_path, "kind-kind", max_bytes=CAP)
    log.append(op(0, "started"))
    assert log.last_operation("shop", running=True) is not None  # cached before rotation
    fill_until_rotated(log)
    fact = log.last_operation("shop", running=True)
    assert fact is not None
    assert fact.running
    log.append(op(1000, "ok"))
    fact = log.last_operation("shop", running=True)
    assert fact is not None
    assert (fact.running, fact.finished) == (False, START + timedelta(seconds=1000))


WRITER = """
import sys
from datetime import UTC, datetime
from pathlib import Path
from storedesk.provisioning.events import EventLog, LogEntry

root, name, cap, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
log = EventLog(root, "kind-kind", max_bytes=cap)
for i in range(count):
    log.append(LogEntry(datetime.now(UTC), "shop", "create", "helm", "info", f"{name} {i} " + "x" * 300))
"""


def write_concurrently(root: Path, cap: int, count: int) -> None:
    """Two processes append to one store's log at once."""
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(root), name, str(cap), str(count)])
        for name in ("a", "b")
    ]
    for writer in writers:
        assert writer.wait(timeout=120) == 0


def raw_lines(log: EventLog) -> list[bytes]:
    """Every line of both generations, each checked to end with its newline."""
    lines = []
    for path in (log.old_path("shop"), log.path("shop")):
        if path.exists():
            data = path.read_bytes()
            assert data == b"" or data.endswith(b"\n")
            lines += data.splitlines()
    return lines


def in_order_per_writer(entries: list[LogEntry]) -> dict[str, list[int]]:
    seen: dict[str, list[int]] = {"a": [], "b": []}
    for entry in entries:
        name, i, _ = entry.message.split()
        seen[name].append(int(i))
    return seen


def test_two_writers_keep_every_line_whole(tmp_path: Path) -> None:
    log = EventLog(tmp_path, "kind-kind", max_bytes=10**9)
    write_concurrently(tmp_path, cap=10**9, count=400)
    lines = raw_lines(log)
    assert len(lines) == 800
    for line in lines:
        LogEntry.from_json(line.decode())
    assert in_order_per_writer(log.read("shop")) == {"a": list(range(400)), "b": list(range(400))}


def test_two_writers_rotating_keep_every_line_whole_and_the_log_bounded(tmp_path: Path) -> None:
    cap = 16 * 1024
    log = EventLog(tmp_path, "kind-kind", max_bytes=cap)
    write_concurrently(tmp_path, cap=cap, count=400)
    assert sorted(p.name for p in log.folder.iterdir()) == ["shop.jsonl", "shop.jsonl.1"]
    for line in raw_lines(log):
        LogEntry.from_json(line.decode())
    for numbers_kept in in_order_per_writer(log.read("shop")).values():
        assert numbers_kept == sorted(numbers_kept)
    newest = log.read("shop", limit=1)[0].message.split()[1]
    assert newest == "399"
