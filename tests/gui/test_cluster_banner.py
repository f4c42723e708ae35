"""What the banner says for each cluster state."""

from __future__ import annotations

import pytest

from storedesk.provisioning.service import ClusterInfo
from storedesk.ui.banner import Level
from storedesk.ui.cluster_banner import CHOOSE_KUBECONFIG, RETRY, START_DEMO, cluster_message
from storedesk.ui.session import ClusterState, Connection, ContextChoice

pytestmark = pytest.mark.gui

WORK = ContextChoice("work", "/home/me/.kube/config", server="https://k8s.example.com")
DEMO = ContextChoice("storedesk-sim", "/data/demo/kubeconfig", demo=True)
REAL = ClusterInfo("work", "https://k8s.example.com", "v1.31.2", demo=False)


def test_a_reachable_real_cluster_needs_no_banner() -> None:
    assert cluster_message(ClusterState(Connection.REACHABLE, WORK, info=REAL)) is None
    assert cluster_message(ClusterState(Connection.CONNECTING, WORK)) is None


def test_no_kubeconfig_says_why_and_offers_the_demo() -> None:
    message = cluster_message(
        ClusterState(
            Connection.NO_CLUSTER, None, "no kubeconfig found: /home/me/.kube/config does not exist"
        )
    )
    assert message.level == Level.ERROR
    assert "No cluster" in message.text and "does not exist" in message.text
    assert message.buttons == (START_DEMO, CHOOSE_KUBECONFIG, RETRY)


def test_the_no_cluster_banner_says_each_thing_once_in_the_windows_words() -> None:
    # Issue 15 #9: nested parentheses, Markdown backticks, a repeated line, CLI flags.
    message = cluster_message(
        ClusterState(
            Connection.NO_CLUSTER,
            None,
            "no kubeconfig found: /home/me/.kube/config does not exist",
            hint="pass --kubeconfig PATH or set KUBECONFIG, or create one with your "
            "cluster's tools (e.g. `kind create cluster`, `k3d cluster create`)",
        )
    )
    text = message.text
    assert "`" not in text and "--kubeconfig" not in text
    assert "((" not in text and text.count("(") <= 1
    assert text.lower().count("kubeconfig") == 2  # the error's file, and the button's word
    assert "does not exist." in text


def test_an_unreachable_cluster_names_the_context_and_the_error() -> None:
    message = cluster_message(
        ClusterState(
            Connection.UNREACHABLE, WORK, "cannot reach https://k8s.example.com: <refused>"
        )
    )
    assert "context work" in message.text
    assert "&lt;refused&gt;" in message.text  # shown as text, never as markup
    assert "last known state" in message.text


def test_an_unreachable_cluster_leaves_out_the_hint_in_parentheses() -> None:
    error = (
        "cannot reach the cluster of context 'work' at https://k8s.example.com: connection "
        "refused (check that the cluster is running and reachable (VPN, network), or pick "
        "another context)"
    )
    message = cluster_message(ClusterState(Connection.UNREACHABLE, WORK, error))
    assert "connection refused." in message.text
    assert "(" not in message.text
    assert message.buttons == (RETRY, START_DEMO)


def test_the_demo_cluster_is_marked_plainly() -> None:
    sim = ClusterInfo("storedesk-sim", "http://127.0.0.1:1", "v1.35.0+storedesk-sim", True)
    for state in (
        ClusterState(Connection.REACHABLE, DEMO, info=sim),
        ClusterState(Connection.REACHABLE, WORK, info=sim),
    ):
        message = cluster_message(state)
        assert message.level == Level.INFO and "Demo mode" in message.text
    down = cluster_message(ClusterState(Connection.UNREACHABLE, DEMO, "refused"))
    assert down.buttons == (RETRY,)
