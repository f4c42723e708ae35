"""Cluster selection: kubectl's merge rules, the errors users see, what helm and the client get."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from storedesk.cluster.kubeconfig import (
    ClusterTarget,
    list_contexts,
    merge_kubeconfigs,
    parse_kubeconfig,
    resolve_target,
)
from storedesk.errors import KubeconfigError


def kubeconfig(*contexts: tuple[str, str], clusters: dict[str, str], current: str = "") -> str:
    """A kubeconfig text: contexts as (name, cluster), clusters as name -> server."""
    lines = ["apiVersion: v1", "kind: Config", "clusters:"]
    for name, server in clusters.items():
        lines += [f"- name: {name}", f"  cluster: {{server: '{server}'}}"]
    lines.append("contexts:")
    for name, cluster in contexts:
        lines += [f"- name: {name}", f"  context: {{cluster: {cluster}, user: u}}"]
    lines += ["users:", "- name: u", "  user: {token: t0ken-value}"]
    if current:
        lines.append(f"current-context: {current}")
    return "\n".join(lines) + "\n"


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


@pytest.fixture
def two_files(tmp_path: Path) -> tuple[Path, Path]:
    first = write(
        tmp_path / "a.yaml",
        kubeconfig(("dev", "shared"), clusters={"shared": "https://first:6443"}, current="dev"),
    )
    second = write(
        tmp_path / "b.yaml",
        kubeconfig(
            ("prod", "shared"),
            ("dev", "other"),
            clusters={"shared": "https://second:6443", "other": "https://other:6443"},
            current="prod",
        ),
    )
    return first, second


def env_with(*paths: Path, home: Path | None = None) -> dict[str, str]:
    env = {"HOME": str(home or "/nonexistent-home")}
    if paths:
        env["KUBECONFIG"] = os.pathsep.join(str(p) for p in paths)
    return env


def test_kubeconfig_list_merges_first_file_wins(two_files: tuple[Path, Path]) -> None:
    infos = {c.name: c for c in list_contexts(None, env_with(*two_files))}
    assert sorted(infos) == ["dev", "prod"]
    # "dev" and cluster "shared" are defined in both files: the first file's win.
    assert infos["dev"].server == "https://first:6443"
    assert infos["prod"].server == "https://first:6443"
    # current-context comes from the first file that sets one.
    assert [c.name for c in infos.values() if c.is_current] == ["dev"]


def test_target_uses_current_context_and_every_file(two_files: tuple[Path, Path]) -> None:
    target = resolve_target(None, None, env_with(*two_files))
    assert target == ClusterTarget(two_files, "dev")


def test_context_flag_overrides_current(two_files: tuple[Path, Path]) -> None:
    assert resolve_target(None, "prod", env_with(*two_files)).context == "prod"


def test_missing_files_in_kubeconfig_list_are_skipped(
    tmp_path: Path, two_files: tuple[Path, Path]
) -> None:
    target = resolve_target(None, None, env_with(tmp_path / "gone.yaml", two_files[1]))
    assert target == ClusterTarget((two_files[1],), "prod")


def test_flag_names_one_file_and_ignores_kubeconfig_env(two_files: tuple[Path, Path]) -> None:
    target = resolve_target(str(two_files[1]), None, env_with(two_files[0]))
    assert target == ClusterTarget((two_files[1],), "prod")


def test_default_is_home_kube_config(tmp_path: Path) -> None:
    (tmp_path / ".kube").mkdir()
    config = write(
        tmp_path / ".kube" / "config",
        kubeconfig(("kind-x", "k"), clusters={"k": "https://127.0.0.1:1"}, current="kind-x"),
    )
    assert resolve_target(None, None, env_with(home=tmp_path)) == ClusterTarget((config,), "kind-x")


def test_missing_explicit_file(tmp_path: Path) -> None:
    with pytest.raises(KubeconfigError, match="does not exist") as caught:
        resolve_target(str(tmp_path / "nope.yaml"), None, env_with())
    assert "--kubeconfig" in str(caught.value)


def test_missing_default_file_says_how_to_get_one(tmp_path: Path) -> None:
    with pytest.raises(KubeconfigError, match="no kubeconfig found") as caught:
        resolve_target(None, None, env_with(home=tmp_path))
    assert "KUBECONFIG" in caught.value.hint


def test_all_listed_files_missing(tmp_path: Path) -> None:
    with pytest.raises(KubeconfigError, match="none of the files KUBECONFIG lists exist"):
        resolve_target(None, None, env_with(tmp_path / "x", tmp_path / "y"))


def test_not_yaml_reports_position_without_file_content(tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.yaml", "users:\n- name: u\n  token: [s3cr3t-token\n")
    with pytest.raises(KubeconfigError, match=r"not valid YAML: .* at line \d+") as caught:
        resolve_target(str(bad), None, env_with())
    assert "s3cr3t-token" not in str(caught.value)


@pytest.mark.parametrize(
    "text",
    ["- just\n- a list\n", "contexts: {dev: x}\n", "contexts:\n- context: {cluster: c}\n"],
    ids=["not-a-mapping", "contexts-not-a-list", "context-without-name"],
)
def test_invalid_structure(text: str) -> None:
    with pytest.raises(KubeconfigError, match="not a valid kubeconfig"):
        parse_kubeconfig(text, "k.yaml")


def test_directory_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(KubeconfigError, match="cannot read kubeconfig"):
        resolve_target(str(tmp_path), None, env_with())


def test_no_contexts(tmp_path: Path) -> None:
    empty = write(tmp_path / "empty.yaml", "")
    with pytest.raises(KubeconfigError, match="defines no contexts"):
        resolve_target(str(empty), None, env_with())


def test_unknown_context_lists_the_available_ones(two_files: tuple[Path, Path]) -> None:
    with pytest.raises(KubeconfigError, match="context 'staging' not found") as caught:
        resolve_target(None, "staging", env_with(*two_files))
    assert caught.value.hint == "available contexts: dev, prod"


def test_no_current_context_asks_for_one(tmp_path: Path) -> None:
    path = write(tmp_path / "k.yaml", kubeconfig(("a", "c"), clusters={"c": "https://c"}))
    with pytest.raises(KubeconfigError, match="sets no current-context") as caught:
        resolve_target(str(path), None, env_with())
    assert "--context" in caught.value.hint


def test_context_with_undefined_cluster_is_refused(tmp_path: Path) -> None:
    # kubectl would quietly talk to http://localhost:8080 instead.
    path = write(tmp_path / "k.yaml", kubeconfig(("a", "ghost"), clusters={"c": "https://c"}))
    with pytest.raises(KubeconfigError, match="refers to cluster 'ghost'"):
        resolve_target(str(path), "a", env_with())


def test_cluster_without_server_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "k.yaml", kubeconfig(("a", "c"), clusters={"c": ""}))
    with pytest.raises(KubeconfigError, match="has no server address"):
        resolve_target(str(path), "a", env_with())


def test_last_duplicate_within_one_file_wins() -> None:
    # client-go turns each file's lists into maps, so a later duplicate replaces an earlier.
    text = kubeconfig(("a", "one"), ("a", "two"), clusters={"one": "https://1", "two": "https://2"})
    merged = merge_kubeconfigs([(Path("k"), parse_kubeconfig(text, "k"))])
    assert merged.contexts["a"]["cluster"] == "two"


def test_context_list_defaults_namespace() -> None:
    text = kubeconfig(("a", "c"), clusters={"c": "https://c"}, current="a")
    [info] = merge_kubeconfigs([(Path("k"), parse_kubeconfig(text, "k"))]).context_infos()
    assert (info.name, info.cluster, info.server, info.namespace, info.user, info.is_current) == (
        "a",
        "c",
        "https://c",
        "default",
        "u",
        True,
    )


def test_one_file_goes_to_helm_as_flag() -> None:
    target = ClusterTarget((Path("/k/a.yaml"),), "dev")
    assert target.helm_flags() == ["--kubeconfig", "/k/a.yaml", "--kube-context", "dev"]
    assert target.helm_env() == {}


def test_several_files_go_to_helm_through_kubeconfig_env() -> None:
    target = ClusterTarget((Path("/k/a.yaml"), Path("/k/b.yaml")), "dev")
    assert target.helm_flags() == ["--kube-context", "dev"]
    assert target.helm_env() == {"KUBECONFIG": f"/k/a.yaml{os.pathsep}/k/b.yaml"}
    assert target.client_kwargs() == {
        "config_file": f"/k/a.yaml{os.pathsep}/k/b.yaml",
        "context": "dev",
    }
