"""One selection, one cluster: kubectl, helm (3 and 4) and the kubernetes Python client all
resolve a ClusterTarget over several merged kubeconfig files to the same server."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import kubernetes
import pytest

from storedesk.cluster.helm import HelmRunner
from storedesk.cluster.kubeconfig import list_contexts, resolve_target
from storedesk.errors import ClusterUnreachable


@pytest.fixture
def merged(write_kubeconfig, closed_server) -> tuple[dict[str, str], str, str]:
    """Two files defining cluster "shared" differently; KUBECONFIG lists both."""
    first_server, second_server = closed_server(), closed_server()
    first = write_kubeconfig("a.yaml", {"dev": "shared"}, {"shared": first_server}, current="dev")
    second = write_kubeconfig(
        "b.yaml",
        {"prod": "shared", "dev": "shared"},
        {"shared": second_server},
        current="prod",
    )
    env = {"KUBECONFIG": os.pathsep.join([str(first), str(second)]), "HOME": "/nonexistent"}
    return env, first_server, second_server


def kubectl_out(kubectl: Path, env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(kubectl), "config", *args], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_merge_agrees_with_kubectl(kubectl: Path, merged) -> None:
    env, first_server, _ = merged
    assert resolve_target(None, None, env).context == kubectl_out(kubectl, env, "current-context")
    names = kubectl_out(kubectl, env, "get-contexts", "-o", "name").split()
    assert sorted(names) == [c.name for c in list_contexts(None, env)]
    server = kubectl_out(
        kubectl, env, "view", "--minify", "--context", "prod",
        "-o", "jsonpath={.clusters[0].cluster.server}",
    )  # fmt: skip
    assert server == first_server
    assert {c.name: c.server for c in list_contexts(None, env)}["prod"] == first_server


def test_python_client_gets_the_same_cluster(merged) -> None:
    env, first_server, _ = merged
    target = resolve_target(None, "prod", env)
    configuration = kubernetes.client.Configuration()
    kubernetes.config.load_kube_config(**target.client_kwargs(), client_configuration=configuration)
    assert configuration.host == first_server


@pytest.mark.helm
def test_helm_gets_the_same_cluster(helm, merged, tmp_path: Path) -> None:
    env, first_server, second_server = merged
    target = resolve_target(None, "prod", env)
    helm_env = {"STOREDESK_HELM": str(helm.path), "HOME": str(tmp_path)}
    runner = HelmRunner(target, env={**helm_env, "SHELL": "/nonexistent/shell"})
    with pytest.raises(ClusterUnreachable) as caught:
        runner.status("shop", "store-shop")
    assert first_server.removeprefix("https://") in caught.value.message
    assert second_server.removeprefix("https://") not in caught.value.message
