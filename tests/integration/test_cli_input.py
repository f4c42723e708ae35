"""Every input is checked before anything changes (issue 16: F9, F11-F15).

A refusal is exit 2 with one line on stderr, and the cluster and the keyring are as they
were: no request reached the simulator, or at least none that writes, and the keyring's
Storedesk entries are the same. Run through the CLI, as a user would.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from storedesk.cli import main
from storedesk.sim import Simulator
from tests.integration.engine_support import unique_store
from tests.support import helm_binary, run_tool

pytestmark = [pytest.mark.helm, pytest.mark.keyring]
HELM4 = helm_binary("4")
WRITES = ("POST ", "PUT ", "PATCH ", "DELETE ")


def storedesk(
    sim: Simulator,
    *args: str,
    data_dir: Path,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """`storedesk --kubeconfig SIM ARGS` in a subprocess."""
    base = {**os.environ, "STOREDESK_HELM": str(HELM4.path), "STOREDESK_DATA_DIR": str(data_dir)}
    argv = [sys.executable, "-m", "storedesk", "--kubeconfig", str(sim.kubeconfig), *args]
    return subprocess.run(
        argv,
        capture_output=True,
        text=True,
        env={**base, **(env or {})},
        cwd=cwd,
        timeout=timeout,
    )


def keyring_state() -> str:
    """A digest of every Storedesk keyring entry (read with secret-tool, another client)."""
    found = subprocess.run(
        ["secret-tool", "search", "--all", "service", "storedesk"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    return hashlib.sha256((found.stdout + found.stderr).encode()).hexdigest()


def writes(sim: Simulator) -> dict[str, int]:
    """The requests that changed something on the simulated cluster."""
    return {k: n for k, n in sim.request_counts().items() if k.startswith(WRITES)}


def assert_refused(result: subprocess.CompletedProcess[str], *said: str) -> None:
    """Exit 2, exactly one line on stderr saying each of `said`, no traceback."""
    lines = result.stderr.splitlines()
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1, result.stderr
    for text in said:
        assert text in lines[0]


@pytest.fixture
def untouched(sim: Simulator) -> Iterator[Simulator]:
    """`sim`, checked afterwards to have received no request and the keyring unchanged."""
    before = keyring_state()
    sim.reset_request_counts()
    yield sim
    assert sim.request_counts() == {}
    assert keyring_state() == before


# -- F9, F13: timeouts ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "timeout"),
    [
        *(("create", value) for value in ("nan", "inf", "1e400", "0", "-5", "0.0001")),
        ("delete", "nan"),
        ("delete", "0"),
        ("rollback", "inf"),
        ("rollback", "-5"),
    ],
)
def test_an_unusable_timeout_is_refused_before_anything_changes(
    untouched: Simulator, tmp_path: Path, command: str, timeout: str
) -> None:
    extra = ["--yes"] if command == "delete" else []
    result = storedesk(
        untouched, command, unique_store(), *extra, "--timeout", timeout, data_dir=tmp_path
    )
    assert_refused(result, "--timeout", "from 10 to 86400", repr(timeout))


# -- F12, F15: names -----------------------------------------------------------------------


@pytest.mark.parametrize("word", ["yes", "on", "null"])
def test_a_yaml_word_is_refused_as_a_store_name(
    untouched: Simulator, tmp_path: Path, word: str
) -> None:
    result = storedesk(untouched, "create", word, data_dir=tmp_path)
    assert_refused(result, f"store name '{word}' is reserved: YAML reads it as")


def test_a_name_is_taken_as_typed_never_normalised_onto_another_store(
    sim: Simulator, tmp_path: Path
) -> None:
    name = unique_store("kshop")
    created = storedesk(sim, "create", name, data_dir=tmp_path)
    assert created.returncode == 0, created.stderr
    before = keyring_state()
    meant = f"did you mean '{name}'?"
    typed_as = {
        name.capitalize(): f"'{name.capitalize()}' has an uppercase letter; {meant}",
        name.upper(): f"'{name.upper()}' has uppercase letters; {meant}",
        f"{name}\n": f"contains '\\n' (U+000A); {meant}",
        f"\t{name}": f"contains '\\t' (U+0009); {meant}",
        f"\u212a{name[1:]}": "contains '\u212a' (U+212A KELVIN SIGN)",
    }
    sim.reset_request_counts()
    for typed, said in typed_as.items():
        for command in (["create", typed], ["delete", typed, "--yes"], ["status", typed]):
            assert_refused(storedesk(sim, *command, data_dir=tmp_path), said)
    assert sim.request_counts() == {}
    assert keyring_state() == before
    history = run_tool(HELM4.path, sim, "history", name, "-n", f"store-{name}", "-o", "json")
    assert history.stdout.count('"revision"') == 1  # never upgraded by `Kshop...`


# -- F14: environment ----------------------------------------------------------------------


@pytest.mark.parametrize("value", ["abc", "0", "-1", "99999999999999999999"])
def test_a_wrong_helm_concurrency_is_refused_before_anything_changes(
    untouched: Simulator, tmp_path: Path, value: str
) -> None:
    result = storedesk(
        untouched,
        "create",
        unique_store(),
        env={"STOREDESK_HELM_CONCURRENCY": value},
        data_dir=tmp_path,
    )
    assert_refused(result, "STOREDESK_HELM_CONCURRENCY must be a whole number from 1 to 32")


def test_a_relative_or_file_data_dir_is_refused(untouched: Simulator, tmp_path: Path) -> None:
    relative = storedesk(
        untouched,
        "create",
        unique_store(),
        env={"STOREDESK_DATA_DIR": "data"},
        data_dir=tmp_path,
        cwd=tmp_path,
    )
    assert_refused(relative, "STOREDESK_DATA_DIR must be an absolute path, not 'data'")
    assert not (tmp_path / "data").exists()
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    not_a_folder = storedesk(untouched, "create", unique_store(), data_dir=a_file)
    assert_refused(not_a_folder, f"STOREDESK_DATA_DIR={a_file} is not a folder")


def test_a_storedesk_helm_that_is_not_a_program_is_unavailable(
    untouched: Simulator, tmp_path: Path
) -> None:
    result = storedesk(
        untouched,
        "create",
        unique_store(),
        env={"STOREDESK_HELM": str(tmp_path / "no-helm")},
        data_dir=tmp_path,
    )
    assert result.returncode == 3, result.stderr
    assert result.stderr.splitlines() == [
        f"storedesk: STOREDESK_HELM={tmp_path / 'no-helm'} is not an executable file "
        "(point it at a helm binary, or unset it to search PATH)"
    ]


# -- F11: storedesk sim --------------------------------------------------------------------


def run_sim(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`storedesk sim` with a kubeconfig under tmp_path; it must end by itself."""
    argv = [sys.executable, "-m", "storedesk", "sim", "--kubeconfig", str(tmp_path / "kc")]
    return subprocess.run(
        [*argv, *args], capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL
    )


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--port", "99999"], "a port is a number from 0 to 65535, not '99999'"),
        (["--host", "256.1.1.1"], "an IPv4 address such as 127.0.0.1"),
        (["--state", "/proc/nope/x"], "--state /proc/nope/x: cannot write there"),
        (["--fail-image", "bad"], "PATTERN=REASON is needed"),
        (["--fail-image", "web*=Nope"], "REASON one of ImagePullBackOff"),
        (["--latency", "nan"], "a number of seconds from 0 to 60"),
        (["--ready-delay", "-1"], "a number of seconds from 0 to 3600"),
    ],
)
def test_sim_refuses_bad_flags_with_one_line(tmp_path: Path, args: list[str], said: str) -> None:
    result = run_sim(tmp_path, *args)
    assert_refused(result, said)
    assert not (tmp_path / "kc").exists()


def test_sim_refuses_a_state_file_it_did_not_write_and_leaves_it(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    state.write_text("{not json")
    assert_refused(run_sim(tmp_path, "--state", str(state)), "is not a simulator state file")
    assert state.read_text() == "{not json"


def test_sim_refuses_a_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_sim(tmp_path, "--port", str(port))
    assert_refused(result, f"cannot listen on 127.0.0.1:{port}")


# -- property: whatever is typed, a refusal changes nothing --------------------------------

VALID_NAME = "prop-ok"
NAMES = st.one_of(
    st.text(max_size=25),
    st.sampled_from(
        [
            *("yes", "Shop", "SHOPX", "shop\n", "\tshop", "\u212ashop", "www", "a--b", "-x"),
            *("9a", "a" * 21, "", " ", "café", "prop-ok\n"),
        ]
    ),
    st.just(VALID_NAME),  # so that some examples are valid, and really create a store
)
TIMEOUTS = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["nan", "inf", "-inf", "1e400", "0", "-5", "0.0001", "600", "86401", "9"]),
    st.floats().map(repr),
)
DOMAINS = st.one_of(
    st.text(max_size=30), st.sampled_from(["localhost", "Shops.Example.COM.", "\u212aa.com"])
)
CLASSES = st.one_of(st.text(max_size=20), st.sampled_from(["", "nginx", "on", "Traefik"]))
ENGINES = st.one_of(st.text(max_size=15), st.sampled_from(["woocommerce", "medusa", "WOO"]))


@st.composite
def create_argv(draw: st.DrawFn) -> list[str]:
    """`create NAME` with any mix of options, each maybe absent."""
    argv = ["create", draw(NAMES)]
    for flag, values in (
        ("--timeout", TIMEOUTS),
        ("--domain", DOMAINS),
        ("--ingress-class", CLASSES),
        ("--engine", ENGINES),
    ):
        value = draw(st.none() | values)
        if value is not None:
            argv.append(f"{flag}={value}")  # `=`: a value may start with "-"
    if draw(st.booleans()):
        argv.append("--tls")
    return argv


def run_main(argv: list[str]) -> tuple[int, str, str]:
    """The CLI's main() in this process: exit status, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as e:  # argparse's usage errors
            code = e.code if isinstance(e.code, int) else 2
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def shared_sim() -> Iterator[Simulator]:
    """One simulator for every example (a fixture per example would be rebuilt each time)."""
    with Simulator(ready_delay=0.3) as running:
        yield running


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(argv=create_argv())
def test_create_with_any_input_is_refused_cleanly_or_succeeds(
    shared_sim: Simulator, tmp_path: Path, argv: list[str]
) -> None:
    env = {"STOREDESK_HELM": str(HELM4.path), "STOREDESK_DATA_DIR": str(tmp_path / "data")}
    before = keyring_state()
    shared_sim.reset_request_counts()
    with mock.patch.dict(os.environ, env):
        code, out, err = run_main(["--kubeconfig", str(shared_sim.kubeconfig), *argv])
    event(f"exit {code}")  # --hypothesis-show-statistics: how many were refused, created
    if code == 0:
        assert out.startswith(f"store {argv[1]}: "), (argv, out, err)
        return
    assert code == 2, (argv, code, err)
    assert len(err.splitlines()) == 1, (argv, err)
    assert writes(shared_sim) == {}, argv
    assert keyring_state() == before, argv
