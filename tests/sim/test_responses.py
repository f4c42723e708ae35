"""Answers real clients parse: response bodies byte for byte, decode errors, exec, watches."""

from __future__ import annotations

import http.client
import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

from tests.support import run_tool


@pytest.fixture
def core(sim) -> client.CoreV1Api:
    """The kubernetes Python client's CoreV1Api on the simulator."""
    return client.CoreV1Api(
        config.new_client_from_config(config_file=str(sim.kubeconfig), context=sim.context)
    )


def raw(sim, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
    """One plain HTTP request: the status code and the body's exact bytes."""
    response, data = exchange(sim, method, path, body)
    return response.status, data


def exchange(
    sim, method: str, path: str, body: bytes | None = None
) -> tuple[http.client.HTTPResponse, bytes]:
    """One plain HTTP request: the response (status, headers) and the body's bytes."""
    url = urlsplit(sim.url)
    conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=30)
    headers = {"Accept": "application/json", "Content-Type": "application/json"}
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response, data


# -- Status bodies, byte for byte -----------------------------------------------------------


def test_not_found_status_bytes_match_the_real_server(sim) -> None:
    code, body = raw(sim, "GET", "/api/v1/namespaces/default/configmaps/nope")
    assert code == 404
    assert body == (
        b'{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",'
        b'"message":"configmaps \\"nope\\" not found","reason":"NotFound",'
        b'"details":{"name":"nope","kind":"configmaps"},"code":404}\n'
    )


def test_delete_success_status_lists_details_in_go_order(sim) -> None:
    manifest = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "nginx"}]},
            },
        },
    }
    code, created = raw(
        sim, "POST", "/apis/apps/v1/namespaces/default/deployments", json.dumps(manifest).encode()
    )
    assert code == 201
    assert created.endswith(b"}\n")
    uid = json.loads(created)["metadata"]["uid"]
    code, body = raw(sim, "DELETE", "/apis/apps/v1/namespaces/default/deployments/web")
    assert code == 200
    assert body == (
        b'{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success",'
        b'"details":{"name":"web","group":"apps","kind":"deployments","uid":"'
        + uid.encode()
        + b'"}}\n'
    )


def test_delete_service_returns_the_service(core: client.CoreV1Api) -> None:
    core.create_namespaced_service(
        "default",
        {"metadata": {"name": "web"}, "spec": {"ports": [{"port": 80}], "selector": {"a": "b"}}},
    )
    deleted = core.delete_namespaced_service("web", "default")
    # The typed client reads a V1Service, as from a real server (ReturnDeletedObject).
    assert isinstance(deleted, client.V1Service)
    assert deleted.metadata.name == "web"
    assert deleted.spec.cluster_ip.startswith("10.96.")
    with pytest.raises(ApiException) as gone:
        core.read_namespaced_service("web", "default")
    assert gone.value.status == 404


def test_service_cluster_ip_change_renders_the_list_as_json(sim, kubectl) -> None:
    run_tool(kubectl, sim, "create", "service", "clusterip", "web", "--tcp=80:80")
    result = run_tool(
        kubectl,
        sim,
        "patch",
        "service",
        "web",
        "-p",
        '{"spec":{"clusterIP":"10.96.0.99","clusterIPs":["10.96.0.99"]}}',
        check=False,
    )
    assert result.returncode == 1
    assert (
        'The Service "web" is invalid: spec.clusterIPs[0]: Invalid value: ["10.96.0.99"]: '
        "may not change once set" in result.stderr
    )


# -- request bodies as the server's decoder reads them ----------------------------------------

DUPLICATED = (
    b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","name":"b"},'
    b'"data":{"k":"1","k":"2"}}'
)


def test_strict_create_with_duplicate_fields_is_refused(sim, kubectl, tmp_path: Path) -> None:
    # kubectl create -f would decode the file itself; --raw sends its bytes as they are.
    body = tmp_path / "dup.json"
    body.write_bytes(DUPLICATED)
    path = "/api/v1/namespaces/default/configmaps?fieldValidation=Strict"
    result = run_tool(kubectl, sim, "create", "--raw", path, "-f", str(body), check=False)
    assert result.returncode == 1
    assert result.stderr == (
        'Error from server (BadRequest): ConfigMap in version "v1" cannot be handled as a '
        'ConfigMap: strict decoding error: duplicate field "metadata.name", '
        'duplicate field "data.k"\n'
    )


def test_duplicate_fields_warn_by_default_and_the_last_wins(sim, core) -> None:
    response, _ = exchange(sim, "POST", "/api/v1/namespaces/default/configmaps", DUPLICATED)
    assert response.status == 201
    assert response.headers.get_all("Warning") == [
        '299 - "duplicate field \\"metadata.name\\""',
        '299 - "duplicate field \\"data.k\\""',
    ]
    stored = core.read_namespaced_config_map("b", "default")
    assert stored.data == {"k": "2"}


def test_a_body_cut_short_gets_go_s_message(sim, kubectl, tmp_path: Path) -> None:
    body = tmp_path / "cut.json"
    body.write_bytes(b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"')
    path = "/api/v1/namespaces/default/configmaps"
    code, answer = raw(sim, "POST", path, body.read_bytes())
    assert code == 400
    assert json.loads(answer)["message"] == (
        "the object provided is unrecognized (must be of type ConfigMap): couldn't get "
        "version/kind; json parse error: unexpected end of JSON input "
        '({"apiVersion":"v1","kind":"Con ...)'
    )
    code, answer = raw(sim, "POST", path, b'{"kind" "ConfigMap"}')
    assert json.loads(answer)["message"].endswith(
        'json parse error: invalid character \'"\' after object key ({"kind" "ConfigMap"})'
    )


# -- the cluster's own Service, and what a simulator without containers cannot do ------------


def test_kubernetes_service_is_the_first_address(sim, kubectl) -> None:
    run_tool(kubectl, sim, "create", "service", "clusterip", "web", "--tcp=80:80")
    ips = json.loads(
        run_tool(kubectl, sim, "get", "services", "-n", "default", "-o", "json").stdout
    )
    by_name = {s["metadata"]["name"]: s["spec"]["clusterIP"] for s in ips["items"]}
    assert by_name == {"kubernetes": "10.96.0.1", "web": "10.96.0.2"}


@pytest.fixture
def running_pod(sim, kubectl):
    """A pod `p` in default, Ready."""
    run_tool(kubectl, sim, "run", "p", "--image=nginx")
    run_tool(kubectl, sim, "wait", "--for=condition=Ready", "pod/p", "--timeout=60s")
    return sim


@pytest.mark.parametrize(
    ("args", "what"),
    [
        (["exec", "p", "--", "ls"], "exec"),
        (["attach", "p"], "attach"),
    ],
)
def test_streaming_to_a_container_says_the_simulator_runs_none(
    running_pod, kubectl, args: list[str], what: str
) -> None:
    result = run_tool(kubectl, running_pod, *args, check=False, timeout=60)
    assert result.returncode == 1
    assert (
        f"the Storedesk simulator runs no containers: {what} is not available (pod default/p)"
        in result.stderr
    )
    assert "could not find the requested resource" not in result.stderr


def test_exec_into_an_unknown_container_is_refused_as_the_registry_does(
    running_pod, kubectl
) -> None:
    result = run_tool(kubectl, running_pod, "exec", "p", "-c", "nope", "--", "ls", check=False)
    assert (
        result.stderr == "Error from server (BadRequest): container nope is not valid for pod p\n"
    )


# -- watches from a resourceVersion the watch cache no longer holds --------------------------


def test_watch_from_a_version_out_of_the_window_gets_410(sim, core) -> None:
    sim.store.event_fresh = 0  # events age at once: the window is its floor, 100 events
    first = core.list_namespaced_config_map("default").metadata.resource_version
    for i in range(120):
        core.create_namespaced_config_map("default", {"metadata": {"name": f"c{i}"}})
    with pytest.raises(ApiException) as expired:
        for _ in watch.Watch().stream(
            core.list_namespaced_config_map, "default", resource_version=first, timeout_seconds=5
        ):
            pass
    assert expired.value.status == 410
    # On the wire: a 200 stream whose one event is an ERROR carrying the 410 Status.
    code, body = raw(sim, "GET", f"/api/v1/configmaps?watch=1&resourceVersion={first}")
    assert code == 200
    event = json.loads(body)
    assert event["type"] == "ERROR"
    assert event["object"]["code"] == 410
    assert event["object"]["reason"] == "Expired"
    assert event["object"]["message"].startswith(f"too old resource version: {first} (")
    assert body.count(b"\n") == 1


def test_watch_within_the_window_resumes(sim, core) -> None:
    first = core.list_namespaced_config_map("default").metadata.resource_version
    for i in range(120):
        core.create_namespaced_config_map("default", {"metadata": {"name": f"c{i}"}})
    seen = []
    stream = watch.Watch()
    for event in stream.stream(
        core.list_namespaced_config_map, "default", resource_version=first, timeout_seconds=5
    ):
        seen.append(event["object"].metadata.name)
        if len(seen) == 120:
            stream.stop()
    assert seen == [f"c{i}" for i in range(120)]
