"""The simulator as a child process, as the app's demo cluster runs it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from kubernetes import client, config

from storedesk.errors import ClusterUnreachable
from storedesk.provisioning.demo import SimulatorProcess

# A parent that starts the demo cluster, says the child's pid, then waits to be killed.
PARENT = """
import sys, time
from pathlib import Path
from storedesk.provisioning.demo import SimulatorProcess
folder = Path(sys.argv[1])
child = SimulatorProcess(folder / "kubeconfig", folder / "sim.log", state_file=folder / "s.json")
print(child.start().pid, flush=True)
time.sleep(600)
"""


def core_api(child: SimulatorProcess) -> client.CoreV1Api:
    """A client bound to the child's kubeconfig and context."""
    api_client = config.new_client_from_config(str(child.kubeconfig), context=child.context)
    return client.CoreV1Api(api_client)


def alive(pid: int) -> bool:
    """Whether `pid` still runs (a zombie counts as gone)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_the_child_serves_and_keeps_its_state_across_restarts(tmp_path: Path) -> None:
    def start() -> SimulatorProcess:
        return SimulatorProcess(
            tmp_path / "kubeconfig", tmp_path / "sim.log", state_file=tmp_path / "state.json"
        ).start()

    first = start()
    try:
        assert first.pid != os.getpid()
        body = client.V1Namespace(metadata=client.V1ObjectMeta(name="kept"))
        core_api(first).create_namespace(body)
    finally:
        first.stop()
    assert not first.running
    second = start()
    try:
        names = [n.metadata.name for n in core_api(second).list_namespace().items]
        assert "kept" in names
    finally:
        second.stop()


def test_the_child_stops_when_its_parent_dies_however_it_dies(tmp_path: Path) -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    assert parent.stdout is not None
    child_pid = int(parent.stdout.readline())
    assert alive(child_pid)
    parent.send_signal(signal.SIGKILL)  # no chance to clean up
    parent.wait()
    deadline = time.monotonic() + 20
    while alive(child_pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(child_pid), "the demo cluster outlived the app that started it"
    assert (tmp_path / "s.json").exists()  # it saved its state on the way out


def test_a_child_that_cannot_start_says_so_and_where_its_log_is(tmp_path: Path) -> None:
    unreadable_state = tmp_path / "state.json"
    unreadable_state.write_text("{not json")
    child = SimulatorProcess(
        tmp_path / "kubeconfig", tmp_path / "sim.log", state_file=unreadable_state
    )
    with pytest.raises(ClusterUnreachable) as e:
        child.start()
    assert "the built-in simulator did not start" in str(e.value)
    assert str(tmp_path / "sim.log") in str(e.value)
    assert not child.running
