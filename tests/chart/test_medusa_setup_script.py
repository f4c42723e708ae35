"""The Medusa setup script's flow against stateful fakes of git, node, Yarn and the medusa
CLI (issue 14): the first run fetches the pinned starter, installs, builds, migrates,
marks the build ready and seeds; a second run only migrates; every failure stops the Job
naming the step; older builds go once a new one is set up.

The fakes record each call in a log. PostgreSQL and Redis are two local sockets that
accept connections (the script only waits for them to answer). The real tools were run
once for real on this machine (chart README, Time and memory); this test keeps the
script's logic honest where no npm registry or database is at hand.
"""

from __future__ import annotations

import os
import socket
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.chart.medusakit import CHART

SCRIPT = CHART / "files" / "setup.sh"
COMMIT = "ca23f6ed4e45c088bf6f923b5b1c2eb6735c8e3c"

# Fake git: `fetch` remembers the commit, `checkout` lays out a starter at it.
GIT = """\
#!/usr/bin/env bash
set -eu
echo "git $*" >>"$FAKE_LOG"
[ "$1" = -C ] && { dir="$2"; shift 2; }
[ "$1" = -c ] && shift 2
case "$1" in
  init) mkdir -p "$dir/.git" ;;
  fetch) [ -z "${FAKE_FAIL_FETCH:-}" ] || { echo "fatal: unable to access" >&2; exit 128; }
         echo "${@: -1}" >"$dir/.git/FETCHED" ;;
  checkout)
    mkdir -p "$dir/.yarn/releases"
    printf '{"dependencies": {"@medusajs/medusa": "%s"}}' "$FAKE_STARTER_VERSION" >"$dir/package.json"
    printf 'nodeLinker: node-modules\\n\\nyarnPath: .yarn/releases/yarn-4.12.0.cjs\\n' >"$dir/.yarnrc.yml"
    echo "yarn" >"$dir/.yarn/releases/yarn-4.12.0.cjs"
    echo "starter" >"$dir/medusa-config.ts" ;;
esac
"""

# Fake node: the version question, Yarn's install (which makes the medusa CLI), and the
# "is it seeded?" query (answered from the fake database's state).
NODE = """\
#!/usr/bin/env bash
set -eu
case "$1" in
  -p) node_json="$(cat package.json)"; v="${node_json#*\\"@medusajs/medusa\\": \\"}"; echo "${v%%\\"*}" ;;
  -) cat >/dev/null; echo "node seeded?" >>"$FAKE_LOG"
     [ -f "$FAKE_DB/seeded" ] && [ "$(cat "$FAKE_DB/seeded")" = "$PUBLISHABLE_KEY $ADMIN_EMAIL" ] ;;
  *.cjs) echo "yarn $2 $3" >>"$FAKE_LOG"
     [ -z "${FAKE_FAIL_INSTALL:-}" ] || { echo "YN0001: fetch failed" >&2; exit 1; }
     mkdir -p node_modules/.bin
     cp "$FAKE_MEDUSA" node_modules/.bin/medusa ;;
  *) echo "unexpected node $*" >&2; exit 99 ;;
esac
"""

# Fake medusa CLI: build makes .medusa/server, db:migrate and exec act on the fake database.
MEDUSA = """\
#!/usr/bin/env bash
set -eu
echo "medusa $* (in ${PWD##*/builds/})" >>"$FAKE_LOG"
case "$1" in
  build) [ -z "${FAKE_FAIL_BUILD:-}" ] || { echo "JavaScript heap out of memory" >&2; exit 134; }
         grep -q storedesk medusa-config.ts
         mkdir -p .medusa/server/public/admin ;;
  db:migrate) [ -z "${FAKE_FAIL_MIGRATE:-}" ] || exit 1
              echo migrated >>"$FAKE_DB/migrations" ;;
  exec) [ "$2" = "$SCRIPTS/seed.js" ]
        [ -z "${FAKE_SEED_FORGETS:-}" ] || exit 0
        echo "$PUBLISHABLE_KEY $ADMIN_EMAIL" >"$FAKE_DB/seeded" ;;
esac
"""


@pytest.fixture
def listeners() -> Iterator[tuple[int, int]]:
    """Two local ports that accept connections: PostgreSQL and Redis."""
    socks = []
    for _ in range(2):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        s.listen(16)
        socks.append(s)
    yield tuple(s.getsockname()[1] for s in socks)
    for s in socks:
        s.close()


@pytest.fixture
def setup(tmp_path: Path, listeners):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, text in (("git", GIT), ("node", NODE), ("medusa", MEDUSA)):
        path = bin_dir / name
        path.write_text(text)
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    (scripts / "medusa-config.ts").write_text("// storedesk config\n")
    (scripts / "seed.js").write_text("// seed\n")
    db = tmp_path / "db"
    db.mkdir()
    log = tmp_path / "calls.log"
    data = tmp_path / "data"
    database_port, redis_port = listeners

    def run(build: str = "b1", **env: str) -> subprocess.CompletedProcess:
        log.write_text("")
        environ = {
            "PATH": f"{bin_dir}:{os.environ['PATH']}",
            "HOME": str(tmp_path),
            "FAKE_LOG": str(log),
            "FAKE_DB": str(db),
            "FAKE_MEDUSA": str(bin_dir / "medusa"),
            "FAKE_STARTER_VERSION": "2.15.3",
            "DATA": str(data),
            "BUILD_ID": build,
            "SCRIPTS": str(scripts),
            "STARTER_REPOSITORY": "https://github.com/medusajs/medusa-starter-default.git",
            "STARTER_COMMIT": COMMIT,
            "MEDUSA_VERSION": "2.15.3",
            "DATABASE_HOST": "127.0.0.1",
            "DATABASE_PORT": str(database_port),
            "REDIS_HOST": "127.0.0.1",
            "REDIS_PORT": str(redis_port),
            "WAIT_SECONDS": "3",
            "PUBLISHABLE_KEY": "Pk5PublishableKeyMn3v",
            "ADMIN_EMAIL": "owner@example.com",
            **env,
        }
        return subprocess.run(
            ["bash", str(SCRIPT)], env=environ, capture_output=True, text=True, timeout=60
        )

    run.log = log  # type: ignore[attr-defined]
    run.data = data  # type: ignore[attr-defined]
    run.db = db  # type: ignore[attr-defined]
    return run


def calls(run) -> list[str]:
    return run.log.read_text().splitlines()


def test_first_run_builds_migrates_marks_ready_and_seeds(setup):
    result = setup()
    assert result.returncode == 0, result.stderr
    assert calls(setup) == [
        f"git -C {setup.data}/builds/b1 init -q",
        f"git -C {setup.data}/builds/b1 fetch -q --depth 1 "
        f"https://github.com/medusajs/medusa-starter-default.git {COMMIT}",
        f"git -C {setup.data}/builds/b1 -c advice.detachedHead=false checkout -q FETCH_HEAD",
        "yarn install --immutable",
        "medusa build (in b1)",
        "medusa db:migrate (in b1/.medusa/server)",
        "node seeded?",
        f"medusa exec {setup.data.parent}/scripts/seed.js (in b1/.medusa/server)",
        "node seeded?",
    ]
    app = setup.data / "builds" / "b1"
    assert (app / ".storedesk-ready").is_file()
    assert not (app / ".git").exists()
    # Storedesk's config replaced the starter's before the build.
    assert (app / "medusa-config.ts").read_text() == "// storedesk config\n"
    assert (app / ".medusa" / "server" / "static").is_dir()
    assert (setup.data / "uploads").is_dir()
    assert "setup: done: Medusa 2.15.3 is set up (build b1)" in result.stdout


def test_a_second_run_only_migrates(setup):
    assert setup().returncode == 0
    again = setup()
    assert again.returncode == 0, again.stderr
    assert calls(setup) == ["medusa db:migrate (in b1/.medusa/server)", "node seeded?"]
    assert "the store already has its publishable key and admin" in again.stdout
    assert (setup.db / "migrations").read_text().splitlines() == ["migrated", "migrated"]


def test_a_store_that_lost_its_seed_is_seeded_again(setup):
    """A database that lost the key or the admin (e.g. a new volume) gets them back."""
    assert setup().returncode == 0
    (setup.db / "seeded").unlink()
    again = setup()
    assert again.returncode == 0, again.stderr
    assert any(c.startswith("medusa exec") for c in calls(setup))
    assert not any(c.startswith(("git", "yarn", "medusa build")) for c in calls(setup))


def test_a_new_build_is_made_beside_and_the_old_one_removed(setup):
    assert setup("b1").returncode == 0
    result = setup("b2")
    assert result.returncode == 0, result.stderr
    assert "medusa build (in b2)" in calls(setup)
    assert [p.name for p in (setup.data / "builds").iterdir()] == ["b2"]


@pytest.mark.parametrize(
    ("env", "step", "code"),
    [
        ({"FAKE_FAIL_FETCH": "1"}, "fetching the starter", 128),
        ({"FAKE_STARTER_VERSION": "2.16.0"}, "checking the starter's Medusa version", 1),
        ({"FAKE_FAIL_INSTALL": "1"}, "installing dependencies", 1),
        ({"FAKE_FAIL_BUILD": "1"}, "building the server and the admin (medusa build)", 134),
        ({"FAKE_FAIL_MIGRATE": "1"}, "migrating the database (medusa db:migrate)", 1),
        ({"FAKE_SEED_FORGETS": "1"}, "checking the seed", 1),
    ],
)
def test_a_failing_step_stops_the_job_naming_it(setup, env, step, code):
    result = setup(**env)
    assert result.returncode == code
    assert result.stderr.strip().endswith(f"setup: FAILED while {step} (exit code {code})")
    # The server never starts on a build whose database was not migrated.
    migrated = (setup.db / "migrations").exists()
    ready = (setup.data / "builds" / "b1" / ".storedesk-ready").exists()
    assert ready == migrated


def test_a_database_that_never_answers_fails_after_the_wait(setup, tmp_path):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there now
    result = setup(DATABASE_PORT=str(port), WAIT_SECONDS="2")
    assert result.returncode == 1
    assert f"PostgreSQL did not answer at 127.0.0.1:{port} within 2s" in result.stdout
    assert f"FAILED while waiting for PostgreSQL at 127.0.0.1:{port}" in result.stderr
    assert not (setup.data / "builds" / "b1" / ".storedesk-ready").exists()


def test_no_secret_reaches_a_command_line(setup):
    """The fakes log every argv: the publishable key (a secret to Storedesk) is not there."""
    assert setup().returncode == 0
    assert "Pk5PublishableKeyMn3v" not in "\n".join(
        line for line in calls(setup) if not line.startswith("node seeded")
    )
    # The admin password is only read by the seed (from its environment), never the script.
    assert "ADMIN_PASSWORD" not in SCRIPT.read_text()
