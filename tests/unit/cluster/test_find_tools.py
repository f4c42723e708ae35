"""Finding executables where a desktop-launched app would otherwise miss them."""

from __future__ import annotations

from pathlib import Path

from storedesk.cluster.tools import find_executable, usual_dirs

NO_SHELL = "/nonexistent/shell"  # unit tests never ask a login shell


def executable(folder: Path, name: str, mode: int = 0o755) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("#!/bin/sh\n")
    path.chmod(mode)
    return path


def test_given_dirs_are_searched_in_order(tmp_path: Path) -> None:
    executable(tmp_path / "b", "helm")
    first = executable(tmp_path / "a", "helm")
    assert find_executable("helm", [tmp_path / "a", tmp_path / "b"]) == first


def test_non_executable_files_and_folders_are_skipped(tmp_path: Path) -> None:
    executable(tmp_path / "a", "helm", mode=0o644)
    (tmp_path / "b" / "helm").mkdir(parents=True)
    real = executable(tmp_path / "c", "helm")
    assert find_executable("helm", [tmp_path / d for d in "abc"]) == real


def test_nothing_to_search_finds_nothing() -> None:
    assert find_executable("helm", []) is None


def test_path_first_then_usual_install_folders(tmp_path: Path) -> None:
    home = tmp_path / "home"
    in_local_bin = executable(home / ".local" / "bin", "storedesk-test-plugin")
    on_path = executable(tmp_path / "path", "storedesk-test-plugin")
    env = {"HOME": str(home), "SHELL": NO_SHELL, "PATH": str(tmp_path / "empty")}
    assert find_executable("storedesk-test-plugin", env=env) == in_local_bin
    env["PATH"] = str(tmp_path / "path")
    assert find_executable("storedesk-test-plugin", env=env) == on_path


def test_usual_dirs_live_under_the_users_home() -> None:
    dirs = usual_dirs({"HOME": "/home/u"})
    for expected in ("/usr/local/bin", "/opt/homebrew/bin", "/home/u/.local/bin", "/snap/bin",
                     "/home/u/.asdf/shims", "/home/u/.nix-profile/bin", "/home/u/bin"):  # fmt: skip
        assert Path(expected) in dirs
