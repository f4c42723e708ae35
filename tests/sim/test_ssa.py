"""Field ownership (managedFields) as real clients meet it: conflicts, force, shared fields."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

from kubernetes import client, config

from tests.support import helm_binary, run_tool

CHART = Path(__file__).parent / "charts" / "allkinds"
CONFIGMAP = """
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: default
  labels: {team: shop%s}
data:
  color: %s
"""
DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx:1.27.3}]
"""


def managers(kubectl: Path, sim, *target: str) -> dict[str, dict]:
    """Each managedFields entry of an object, keyed "manager/Operation[/subresource]"."""
    shown = run_tool(kubectl, sim, "get", *target, "-o", "json", "--show-managed-fields")
    out = {}
    for entry in json.loads(shown.stdout)["metadata"].get("managedFields", []):
        key = f"{entry['manager']}/{entry['operation']}"
        if entry.get("subresource"):
            key += "/" + entry["subresource"]
        out[key] = entry
    return out


def apply(kubectl: Path, sim, manager: str, manifest: str, *flags: str, check: bool = True):
    """kubectl apply --server-side as `manager`."""
    return run_tool(
        kubectl,
        sim,
        "apply",
        "--server-side",
        f"--field-manager={manager}",
        *flags,
        "-f",
        "-",
        input=manifest,
        check=check,
    )


def test_two_appliers_conflict_and_force_moves_the_field(sim, kubectl) -> None:
    apply(kubectl, sim, "alice", CONFIGMAP % ("", "red"))
    refused = apply(kubectl, sim, "bob", CONFIGMAP % ("", "blue"), check=False)
    assert refused.returncode == 1
    assert 'Apply failed with 1 conflict: conflict with "alice": .data.color' in refused.stderr
    data = json.loads(run_tool(kubectl, sim, "get", "cm", "settings", "-o", "json").stdout)
    assert data["data"] == {"color": "red"}

    apply(kubectl, sim, "bob", CONFIGMAP % ("", "blue"), "--force-conflicts")
    owners = managers(kubectl, sim, "cm", "settings")
    assert set(owners) == {"alice/Apply", "bob/Apply"}
    assert owners["bob/Apply"]["fieldsV1"] == {
        "f:data": {"f:color": {}},
        "f:metadata": {"f:labels": {"f:team": {}}},
    }
    # alice keeps the label she shares with bob, and loses the color.
    assert owners["alice/Apply"]["fieldsV1"] == {"f:metadata": {"f:labels": {"f:team": {}}}}
    assert owners["bob/Apply"]["apiVersion"] == "v1"


def test_several_conflicts_are_listed_by_manager(sim, kubectl) -> None:
    apply(kubectl, sim, "alice", CONFIGMAP % ("", "red"))
    refused = apply(kubectl, sim, "bob", CONFIGMAP % ("-2", "blue"), check=False)
    assert (
        'Apply failed with 2 conflicts: conflicts with "alice":\n- .data.color\n'
        "- .metadata.labels.team"
    ) in refused.stderr


def test_omitting_a_shared_field_keeps_it_an_owned_one_goes(sim, kubectl) -> None:
    both = CONFIGMAP % ("", "red")
    apply(kubectl, sim, "alice", both)
    apply(kubectl, sim, "bob", "\n".join(line for line in both.splitlines() if "color" not in line))
    # alice stops applying the label (bob applies it too) and the color (hers alone).
    only_name = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: default}\n"
    apply(kubectl, sim, "alice", only_name)
    data = json.loads(run_tool(kubectl, sim, "get", "cm", "settings", "-o", "json").stdout)
    assert data["metadata"]["labels"] == {"team": "shop"}
    assert "data" not in data


def test_updates_record_their_manager(sim, kubectl) -> None:
    run_tool(kubectl, sim, "create", "-f", "-", input=DEPLOYMENT)
    run_tool(kubectl, sim, "label", "deployment", "web", "tier=front")
    # kubectl edit, with a non-interactive editor that changes the image.
    target = ["--kubeconfig", str(sim.kubeconfig), "--context", sim.context]
    subprocess.run(
        [str(kubectl), *target, "edit", "deployment", "web"],
        env={**os.environ, "KUBE_EDITOR": "sed -i s/nginx:1.27.3/nginx:1.28.0/"},
        check=True,
        capture_output=True,
        timeout=60,
    )
    owners = managers(kubectl, sim, "deployment", "web")
    assert {"kubectl-create/Update", "kubectl-label/Update", "kubectl-edit/Update"} <= set(owners)
    assert owners["kubectl-label/Update"]["fieldsV1"] == {
        "f:metadata": {"f:labels": {".": {}, "f:tier": {}}}
    }
    edit = owners["kubectl-edit/Update"]["fieldsV1"]
    assert edit == {
        "f:spec": {
            "f:template": {"f:spec": {"f:containers": {'k:{"name":"web"}': {"f:image": {}}}}}
        }
    }
    create = owners["kubectl-create/Update"]
    assert create["apiVersion"] == "apps/v1"
    assert create["time"].endswith("Z")
    # The image moved to kubectl-edit; kubectl-create keeps the rest of the container.
    container = create["fieldsV1"]["f:spec"]["f:template"]["f:spec"]["f:containers"]
    assert "f:image" not in container['k:{"name":"web"}']
    assert "f:name" in container['k:{"name":"web"}']


def test_helm4_upgrade_after_kubectl_scale_conflicts_as_on_a_cluster(sim) -> None:
    helm = helm_binary("4")
    install = [
        "upgrade",
        "--install",
        "shop",
        str(CHART),
        "-n",
        "store-shop",
        "--create-namespace",
    ]
    run_tool(helm.path, sim, *install)
    deploy = json.loads(
        run_tool(helm.kubectl, sim, "get", "deploy", "-n", "store-shop", "-o", "json").stdout
    )["items"][0]["metadata"]["name"]
    run_tool(helm.kubectl, sim, "scale", "deployment", deploy, "-n", "store-shop", "--replicas=5")

    refused = run_tool(helm.path, sim, *install, "--set", "image=nginx:1.28.0", check=False)
    assert refused.returncode == 1
    assert (
        'Apply failed with 1 conflict: conflict with "kubectl" with subresource "scale" '
        "using apps/v1: .spec.replicas"
    ) in refused.stderr
    live = json.loads(
        run_tool(
            helm.kubectl, sim, "get", "deploy", deploy, "-n", "store-shop", "-o", "json"
        ).stdout
    )
    assert live["spec"]["replicas"] == 5  # the user's change stands

    # --force-conflicts takes the field back, as it does on a real cluster.
    run_tool(helm.path, sim, *install, "--set", "image=nginx:1.28.0", "--force-conflicts")
    owners = managers(helm.kubectl, sim, "deploy", deploy, "-n", "store-shop")
    assert "kubectl/Update/scale" not in owners
    assert "f:replicas" in owners["helm/Apply"]["fieldsV1"]["f:spec"]


def test_helm4_upgrade_keeps_replicas_it_does_not_set(sim) -> None:
    """A chart that leaves replicas alone never conflicts with kubectl scale."""
    helm = helm_binary("4")
    run_tool(helm.kubectl, sim, "create", "namespace", "solo")
    chart = {"apiVersion": "v2", "name": "solo", "version": "0.1.0"}
    folder = Path(sim.kubeconfig).parent / "solo"
    (folder / "templates").mkdir(parents=True)
    (folder / "Chart.yaml").write_text(json.dumps(chart))
    (folder / "templates" / "web.yaml").write_text(
        DEPLOYMENT.replace("  replicas: 2\n", "").replace("namespace: default", "namespace: solo")
        + "      # {{ .Values.note }}\n"
    )
    run_tool(helm.path, sim, "install", "solo", str(folder), "-n", "solo", "--set", "note=a")
    run_tool(helm.kubectl, sim, "scale", "deployment", "web", "-n", "solo", "--replicas=3")
    run_tool(helm.path, sim, "upgrade", "solo", str(folder), "-n", "solo", "--set", "note=b")
    live = json.loads(
        run_tool(helm.kubectl, sim, "get", "deploy", "web", "-n", "solo", "-o", "json").stdout
    )
    assert live["spec"]["replicas"] == 3


def test_python_client_reads_managed_fields(sim, kubectl) -> None:
    api = client.CoreV1Api(
        config.new_client_from_config(config_file=str(sim.kubeconfig), context=sim.context)
    )
    api.create_namespaced_config_map("default", {"metadata": {"name": "py"}, "data": {"a": "1"}})
    read = api.read_namespaced_config_map("py", "default")
    (entry,) = read.metadata.managed_fields
    assert entry.manager == "OpenAPI-Generator"  # the first word of its User-Agent
    assert entry.operation == "Update"
    assert entry.fields_type == "FieldsV1"
    assert entry.fields_v1 == {"f:data": {".": {}, "f:a": {}}}
    # A PUT that sends managedFields back unchanged keeps them; the changed field moves.
    read.data["a"] = "2"
    api.replace_namespaced_config_map("py", "default", read)
    again = api.read_namespaced_config_map("py", "default").metadata.managed_fields
    assert [(e.manager, e.fields_v1) for e in again] == [
        ("OpenAPI-Generator", {"f:data": {".": {}, "f:a": {}}})
    ]


def test_a_field_manager_over_128_bytes_is_invalid(sim, kubectl) -> None:
    result = apply(kubectl, sim, "x" * 129, CONFIGMAP % ("", "red"), check=False)
    assert result.returncode == 1
    assert (
        'The PatchOptions "" is invalid: fieldManager: Too long: may not be more than 128 bytes'
        in result.stderr
    )


def test_conflict_status_bytes_match_the_real_server(sim, kubectl) -> None:
    apply(kubectl, sim, "alice", CONFIGMAP % ("", "red"))
    url = urlsplit(sim.url)
    conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=30)
    conn.request(
        "PATCH",
        "/api/v1/namespaces/default/configmaps/settings?fieldManager=bob",
        body=b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {color: blue}\n",
        headers={"Content-Type": "application/apply-patch+yaml", "Accept": "application/json"},
    )
    response = conn.getresponse()
    assert response.status == 409
    assert response.read() == (
        b'{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",'
        b'"message":"Apply failed with 1 conflict: conflict with \\"alice\\": .data.color",'
        b'"reason":"Conflict","details":{"causes":[{"reason":"FieldManagerConflict",'
        b'"message":"conflict with \\"alice\\"","field":".data.color"}]},"code":409}\n'
    )
    conn.close()
