"""7. The simulator itself, at 200 store namespaces (2 pods each, and the rest of a store).

The simulator runs in its own process; psutil reads its CPU and memory. The client is
plain HTTP on one keep-alive connection (reading bodies, not decoding them), so the
figures are the server's. The baseline is GET /version, the cheapest request it serves.
- list: requests per second for the pods of all stores (the app's pods feed) and for
  one namespace's pods, with the simulator's CPU per request;
- watch: events per second a watch from resourceVersion 0 delivers (every pod, ADDED),
  and live fan-out: WATCHERS watches on pods while pods are patched one by one;
- memory: the simulator's RSS growth over the objects the 200 stores added;
- server-side apply: requests per second of applies (helm 4's PATCH) of a Deployment,
  each changing a field, with the field ownership (managedFields) they record.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from typing import Any
from urllib.parse import urlsplit

import yaml

from benchmarks.harness import Context, Outcome, Spec, keyring_usable, median, wait_until
from benchmarks.population import add_stores, all_ready, blueprint, store_names
from benchmarks.simproc import SimProcess
from benchmarks.stores import service_for
from storedesk.domain.models import STORE_LABEL
from storedesk.sim import resources
from storedesk.sim.resources import RESOURCE_TYPES
from storedesk.sim.validation import validate_object

SPEC = Spec("7", "simulator", "The simulator: list and watch throughput, memory per object", "")
READY_DELAY = 0.3
WATCHERS = 5
IDLE = 3.0  # seconds the simulator is left alone, to see what it does unasked
ALL_PODS = f"/api/v1/pods?labelSelector={STORE_LABEL}"


class Client:
    """One keep-alive HTTP connection to the simulator."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)

    def call(
        self, method: str, path: str, body: Any = None, content_type: str = "application/json"
    ) -> bytes:
        """One request; the raw body (error on a non-2xx answer)."""
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = content_type
        self.conn.request(method, path, body=data, headers=headers)
        response = self.conn.getresponse()
        raw = response.read()
        if response.status >= 300:
            raise RuntimeError(f"{method} {path}: {response.status} {raw[:300]!r}")
        return raw

    def count(self, path: str) -> int:
        """How many items a list returns."""
        return len(json.loads(self.call("GET", path))["items"])


def object_count(client: Client) -> int:
    """Every object the simulator holds, over every resource type it serves."""
    total = 0
    for rt in RESOURCE_TYPES:
        if "list" not in rt.verbs:
            continue
        prefix = f"/apis/{rt.group}/{rt.version}" if rt.group else f"/api/{rt.version}"
        total += client.count(f"{prefix}/{rt.plural}")
    return total


def throughput(client: Client, sim: SimProcess, path: str, seconds: float) -> dict[str, float]:
    """Sequential GETs of `path` for `seconds`: requests/s and simulator CPU per request."""
    cpu = sim.cpu_seconds()
    started = time.perf_counter()
    done = 0
    size = 0
    while time.perf_counter() - started < seconds:
        size = len(client.call("GET", path))
        done += 1
    elapsed = time.perf_counter() - started
    return {
        "requests_per_s": round(done / elapsed, 1),
        "sim_cpu_ms_per_request": round((sim.cpu_seconds() - cpu) / done * 1000, 3),
        "response_bytes": size,
    }


def _open_watch(client: Client, path: str) -> http.client.HTTPResponse:
    client.conn.request("GET", path, headers={"Accept": "application/json"})
    return client.conn.getresponse()


def initial_events(url: str, expected: int, repeats: int) -> dict[str, float]:
    """Events/s of a watch from resourceVersion 0: every pod, sent as ADDED."""
    rates = []
    for _ in range(repeats):
        client = Client(url)
        started = time.perf_counter()
        stream = _open_watch(client, f"{ALL_PODS}&watch=true&resourceVersion=0&timeoutSeconds=60")
        for _ in range(expected):
            stream.readline()
        rates.append(expected / (time.perf_counter() - started))
        client.conn.close()
    return {"events": expected, "events_per_s": round(median(rates), 1)}


def fan_out(url: str, sim: SimProcess, pods: list[tuple[str, str]]) -> dict[str, float]:
    """WATCHERS watches on pods; each pod patched once; events delivered per second."""
    writer = Client(url)
    version = json.loads(writer.call("GET", ALL_PODS))["metadata"]["resourceVersion"]
    finished: list[float] = []
    ready = threading.Barrier(WATCHERS + 1)

    def watch() -> None:
        client = Client(url)
        stream = _open_watch(
            client, f"{ALL_PODS}&watch=true&resourceVersion={version}&timeoutSeconds=120"
        )
        ready.wait()
        seen = 0
        while seen < len(pods):
            if json.loads(stream.readline()).get("type") == "MODIFIED":
                seen += 1
        finished.append(time.perf_counter())
        client.conn.close()

    threads = [threading.Thread(target=watch, daemon=True) for _ in range(WATCHERS)]
    for thread in threads:
        thread.start()
    ready.wait()
    cpu = sim.cpu_seconds()
    started = time.perf_counter()
    for namespace, name in pods:
        writer.call(
            "PATCH",
            f"/api/v1/namespaces/{namespace}/pods/{name}",
            {"metadata": {"annotations": {"bench/touched": str(started)}}},
            "application/merge-patch+json",
        )
    written = time.perf_counter() - started
    for thread in threads:
        thread.join(60)
    if len(finished) != WATCHERS:
        raise RuntimeError("a watcher did not receive every event")
    elapsed = max(finished) - started
    return {
        "watchers": WATCHERS,
        "patches": len(pods),
        "patches_per_s": round(len(pods) / written, 1),
        "events_delivered": WATCHERS * len(pods),
        "events_per_s": round(WATCHERS * len(pods) / elapsed, 1),
        "sim_cpu_ms_per_patch": round((sim.cpu_seconds() - cpu) / len(pods) * 1000, 3),
    }


SSA_DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: ssa-web
  namespace: default
  labels: {app.kubernetes.io/managed-by: Helm}
  annotations: {bench/round: "%d"}
spec:
  replicas: 1
  selector: {matchLabels: {app: ssa-web}}
  template:
    metadata: {labels: {app: ssa-web}}
    spec:
      containers:
        - name: web
          image: nginx:1.27.3
          ports: [{name: http, containerPort: 80}]
          env: [{name: A, value: "1"}, {name: B, value: "2"}]
          readinessProbe: {httpGet: {path: /, port: http}}
          resources: {requests: {cpu: 10m, memory: 32Mi}}
"""


def ssa_throughput(client: Client, sim: SimProcess, seconds: float) -> dict[str, float]:
    """Sequential server-side applies (as helm 4 sends them) of one Deployment, each with
    a new annotation: merge, prune by ownership, conflicts checked, managedFields written."""
    path = (
        "/apis/apps/v1/namespaces/default/deployments/ssa-web"
        "?fieldManager=helm&fieldValidation=Strict&force=false"
    )
    client.call("PATCH", path, yaml.safe_load(SSA_DEPLOYMENT % 0), "application/apply-patch+yaml")
    cpu = sim.cpu_seconds()
    started = time.perf_counter()
    done = 0
    while time.perf_counter() - started < seconds:
        done += 1
        config = yaml.safe_load(SSA_DEPLOYMENT % done)  # JSON is YAML: sent as JSON
        client.call("PATCH", path, config, "application/apply-patch+yaml")
    elapsed = time.perf_counter() - started
    managed = json.loads(client.call("GET", path.split("?")[0]))["metadata"].get(
        "managedFields", []
    )
    return {
        "requests_per_s": round(done / elapsed, 1),
        "sim_cpu_ms_per_request": round((sim.cpu_seconds() - cpu) / done * 1000, 3),
        "managers": sorted(f"{e['manager']}/{e['operation']}" for e in managed),
    }


def validation_cost(objects: list[dict[str, Any]]) -> dict[str, float]:
    """Strict schema validation (what every write pays) of the live pods, in this process."""
    pod = resources.by_kind("v1", "Pod")
    assert pod is not None
    validate_object(objects[0], pod)  # the first call compiles the schema walkers
    started = time.perf_counter()
    for obj in objects:
        validate_object(obj, pod)
    return {
        "objects": len(objects),
        "ms_per_object": round((time.perf_counter() - started) / len(objects) * 1000, 3),
    }


def run(ctx: Context) -> Outcome:
    """200 stores (50 with --quick)."""
    stores = 50 if ctx.quick else 200
    seconds = 1.5 if ctx.quick else 4.0
    with SimProcess(ctx.work, READY_DELAY) as sim:
        client = Client(sim.url)
        service = service_for(sim.kubeconfig, sim.context, ctx.helm("4"), ctx.work / "data")
        plan = blueprint(service, keyring_usable())
        wait_until(lambda: all_ready(service, 1), 60, "the seed store Ready", every=0.5)
        rss_before, objects_before = sim.rss(), object_count(client)
        add_stores(
            plan, store_names(1, stores), ctx.kubectl(), sim.kubeconfig, sim.context, ctx.work
        )
        wait_until(lambda: all_ready(service, stores), 300, f"{stores} stores Ready", every=1.0)
        time.sleep(1.0)  # the last status writes and events settle
        rss_after, objects_after = sim.rss(), object_count(client)
        pod_list = json.loads(client.call("GET", ALL_PODS))["items"]
        pods = [(p["metadata"]["namespace"], p["metadata"]["name"]) for p in pod_list]
        ctx.log(
            f"{stores} stores: {objects_after} objects, {len(pods)} pods, simulator RSS "
            f"{rss_after / 2**20:.0f} MiB"
        )
        idle_cpu = sim.cpu_seconds()
        time.sleep(IDLE)
        idle_percent = (sim.cpu_seconds() - idle_cpu) / IDLE * 100
        version = throughput(client, sim, "/version", seconds)
        lists = {
            "pods_all_stores": throughput(client, sim, ALL_PODS, seconds),
            "pods_one_namespace": throughput(
                client, sim, "/api/v1/namespaces/store-shop0001/pods", seconds
            ),
            "store_namespaces": throughput(
                client,
                sim,
                "/api/v1/namespaces?labelSelector=app.kubernetes.io/managed-by",
                seconds,
            ),
        }
        validation = validation_cost(pod_list)
        ssa = ssa_throughput(client, sim, seconds)
        watches = {
            "initial_events": initial_events(sim.url, len(pods), ctx.reps(5, 2)),
            "live_fan_out": fan_out(sim.url, sim, pods),
        }
    added = objects_after - objects_before
    per_object = (rss_after - rss_before) / added
    main = lists["pods_all_stores"]["requests_per_s"]
    return Outcome(
        figure=main,
        unit="requests/s",
        figure_label=f"list the pods of {stores} stores ({len(pods)} pods)",
        baseline=version["requests_per_s"],
        baseline_label="GET /version",
        met=None,
        details={
            "stores": stores,
            "pods": len(pods),
            "objects": objects_after,
            "objects_added": added,
            "rss_mib": round(rss_after / 2**20, 1),
            "rss_bytes_per_object": round(per_object),
            "idle_cpu_percent": round(idle_percent, 1),
            "version": version,
            "lists": lists,
            "watches": watches,
            "validation": validation,
            "ssa_apply": ssa,
        },
        notes=[
            f"memory: {per_object / 1024:.1f} KiB of RSS per object ({added} objects added "
            f"by {stores - 1} stores; includes the watch history the simulator keeps)",
            f"watch: {watches['initial_events']['events_per_s']:g} events/s from "
            f"resourceVersion 0, {watches['live_fan_out']['events_per_s']:g} events/s "
            f"to {WATCHERS} watchers",
            f"strict schema validation: {validation['ms_per_object']:g} ms per pod",
            f"server-side apply with managedFields: {ssa['requests_per_s']:g} requests/s "
            f"({ssa['sim_cpu_ms_per_request']:g} ms simulator CPU each)",
        ],
    )
