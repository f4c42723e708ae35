"""helm command lines per major: the flags helm 3 and helm 4 each understand, and the selection."""

from __future__ import annotations

from pathlib import Path

import pytest

from storedesk.cluster.helm_argv import HelmArgv, HelmVersion
from storedesk.cluster.kubeconfig import ClusterTarget

ONE_FILE = ClusterTarget((Path("/k/config"),), "kind-shop")
HELM3 = HelmVersion(3, 19, 0)
HELM4 = HelmVersion(4, 1, 4)


def builder(version: HelmVersion, target: ClusterTarget = ONE_FILE) -> HelmArgv:
    return HelmArgv(Path("/bin/helm"), version, target)


def after(argv: tuple[str, ...], flag: str) -> str:
    return argv[argv.index(flag) + 1]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("v3.19.0", HelmVersion(3, 19, 0)),
        ("v4.1.4", HelmVersion(4, 1, 4)),
        ("v4.0.0-rc.1+g1234", HelmVersion(4, 0, 0)),
        ('version.BuildInfo{Version:"v3.14.2", GitCommit:"c309b6f"}', HelmVersion(3, 14, 2)),
        ("<no value>", None),
    ],
)
def test_parse_version(text: str, expected: HelmVersion | None) -> None:
    assert HelmVersion.parse(text) == expected


@pytest.mark.parametrize(
    ("version", "supported"),
    [("v3.13.3", False), ("v3.14.0", True), ("v3.19.0", True), ("v4.1.4", True),
     ("v2.17.0", False), ("v5.0.0", False)],
)  # fmt: skip
def test_supported_versions(version: str, supported: bool) -> None:
    parsed = HelmVersion.parse(version)
    assert parsed is not None and parsed.supported is supported


def test_every_command_names_kubeconfig_context_and_namespace() -> None:
    b = builder(HELM4)
    commands = [
        b.upgrade_install("shop", "/charts/woo", "store-shop"),
        b.uninstall("shop", "store-shop"),
        b.status("shop", "store-shop"),
        b.list_releases("store-shop"),
        b.history("shop", "store-shop"),
        b.rollback("shop", "store-shop", 2),
        b.get_values("shop", "store-shop"),
    ]
    for command in commands:
        assert after(command.argv, "--kubeconfig") == "/k/config"
        assert after(command.argv, "--kube-context") == "kind-shop"
        assert after(command.argv, "--namespace") == "store-shop"
        assert command.env == {}


def test_several_kubeconfig_files_travel_in_env() -> None:
    target = ClusterTarget((Path("/k/a"), Path("/k/b")), "dev")
    command = builder(HELM3, target).status("shop", "store-shop")
    assert "--kubeconfig" not in command.argv
    assert after(command.argv, "--kube-context") == "dev"
    assert command.env == {"KUBECONFIG": "/k/a:/k/b"}


def test_upgrade_install_helm4_flags() -> None:
    command = builder(HELM4).upgrade_install(
        "shop",
        "/charts/woo",
        "store-shop",
        timeout=300,
        atomic=True,
    )
    argv = command.argv
    assert argv[:5] == ("/bin/helm", "upgrade", "--install", "shop", "/charts/woo")
    assert "--wait=watcher" in argv and "--wait" not in argv
    assert "--rollback-on-failure" in argv and "--atomic" not in argv
    # The values (secrets among them) come on stdin, never a file or argv.
    assert [argv[i + 1] for i, a in enumerate(argv) if a == "--values"] == ["-"]
    assert after(argv, "--timeout") == "300s"
    assert after(argv, "--output") == "json"
    assert (command.verb, command.release, command.namespace, command.timeout) == (
        "upgrade",
        "shop",
        "store-shop",
        300,
    )


def test_upgrade_install_helm3_flags() -> None:
    argv = builder(HELM3).upgrade_install("shop", "/c", "store-shop", atomic=True).argv
    assert "--wait" in argv and "--wait=watcher" not in argv
    assert "--atomic" in argv and "--rollback-on-failure" not in argv


@pytest.mark.parametrize("version", [HELM3, HELM4], ids=["helm3", "helm4"])
def test_no_wait_means_no_wait_flag(version: HelmVersion) -> None:
    argv = builder(version).upgrade_install("shop", "/c", "store-shop", wait=False).argv
    assert not [a for a in argv if a.startswith("--wait")]


def test_uninstall_wait_per_major() -> None:
    h3 = builder(HELM3).uninstall("shop", "store-shop", wait=True, timeout=120).argv
    h4 = builder(HELM4).uninstall("shop", "store-shop", wait=True, timeout=120).argv
    assert h3[1:3] == ("uninstall", "shop") and "--wait" in h3
    assert "--wait=watcher" in h4 and after(h4, "--timeout") == "120s"


def test_list_shows_every_state_without_a_cap() -> None:
    # helm 4 dropped --all (it lists every state by default); helm 3 needs it for pending.
    h3 = builder(HELM3).list_releases("store-shop").argv
    h4 = builder(HELM4).list_releases("store-shop").argv
    assert "--all" in h3 and "--all" not in h4
    assert after(h3, "--max") == "0" and after(h4, "--max") == "0"


def test_list_across_namespaces() -> None:
    argv = builder(HELM4).list_releases(None).argv
    assert "--all-namespaces" in argv and "--namespace" not in argv


def test_rollback_and_queries() -> None:
    b = builder(HELM3)
    assert b.rollback("shop", "ns", 3, timeout=60).argv[1:4] == ("rollback", "shop", "3")
    assert b.get_values("shop", "ns").argv[1:4] == ("get", "values", "shop")
    assert b.history("shop", "ns").argv[1:3] == ("history", "shop")
    assert after(b.status("shop", "ns").argv, "--output") == "json"
