"""The Simulator: a local Kubernetes API server for tests, benchmarks and offline demos.

with Simulator(ready_delay=0.5) as sim:
    subprocess.run(["kubectl", "--kubeconfig", sim.kubeconfig, "--context", sim.context,
                    "get", "ns"])
    sim.faults.fail_image("wordpress:*", "ImagePullBackOff")
    sim.set_outage("refuse")
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from storedesk.sim import CONTEXT, customresources
from storedesk.sim import resources as res
from storedesk.sim.api import Api, WriteOptions
from storedesk.sim.controllers.apiservices import APIServices
from storedesk.sim.controllers.autoscalers import Autoscalers
from storedesk.sim.controllers.bootstrap import SystemObjects
from storedesk.sim.controllers.crds import CustomResources
from storedesk.sim.controllers.cronjobs import CronJobs
from storedesk.sim.controllers.endpointslices import EndpointSlices
from storedesk.sim.controllers.housekeeping import Housekeeping
from storedesk.sim.controllers.kubelet import HOST_IP, NODE_NAME, Kubelet
from storedesk.sim.controllers.loop import ControllerManager, Timing
from storedesk.sim.controllers.volumes import Volumes
from storedesk.sim.controllers.workloads import Workloads
from storedesk.sim.faults import Faults
from storedesk.sim.ingress import IngressController
from storedesk.sim.server import ServerContext, SimHTTPServer
from storedesk.sim.store import Store

_OUTAGES = (None, "refuse", "503")


class Simulator:
    """A running simulated cluster: API server, controllers, faults, kubeconfig."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        kubeconfig: str | Path | None = None,
        ready_delay: float = 2.0,
        state_file: str | Path | None = None,
        context: str = CONTEXT,
        timing: Timing | None = None,
        ingress_port: int | None = None,
    ) -> None:
        """`ingress_port`: also act as the cluster's ingress controller on
        127.0.0.1:PORT (0: a free port; None: not at all). See storedesk.sim.ingress."""
        self.host = host
        self.context = context
        self.timing = timing or Timing(ready_delay=ready_delay)
        self.state_file = Path(state_file) if state_file else None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if kubeconfig is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="storedesk-sim-")
            kubeconfig = Path(self._tmp.name) / "kubeconfig"
        self.kubeconfig = Path(kubeconfig)
        self.faults = Faults()
        self.store = Store()
        self.api = Api(self.store)
        self.controllers = ControllerManager(self.api, self.faults, self.timing)
        Kubelet(self.controllers)
        Workloads(self.controllers)
        Housekeeping(self.controllers)
        self.ingress: IngressController | None = None
        if ingress_port is not None:
            self.ingress = IngressController(self.controllers, ingress_port)
        Volumes(self.controllers)
        EndpointSlices(self.controllers)
        Autoscalers(self.controllers)
        CustomResources(self.controllers)
        APIServices(self.controllers)
        self.cronjobs = CronJobs(self.controllers)
        SystemObjects(self.controllers)
        self._requests: Counter[str] = Counter()
        self._stopping = threading.Event()
        self._ctx = ServerContext(
            api=self.api, faults=self.faults, stopping=self._stopping, requests=self._requests
        )
        self._port = port
        self._server: SimHTTPServer | None = None
        self._server_thread: threading.Thread | None = None
        self._saver: threading.Thread | None = None
        self.outage: str | None = None

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> Simulator:
        """Load state (if any), start controllers and the API server, write the kubeconfig."""
        restored = self._load_state()
        self.controllers.start()
        if not restored:
            self._seed()
        else:
            self._resume()
        self._listen()
        if self.ingress is not None:
            self.ingress.start()
        write_kubeconfig(self.kubeconfig, self.url, self.context)
        if self.state_file:
            self._saver = threading.Thread(target=self._save_loop, name="sim-state", daemon=True)
            self._saver.start()
        return self

    def stop(self) -> None:
        """Stop serving; save state when --state was given."""
        self._stopping.set()
        self._close_server()
        if self.ingress is not None:
            self.ingress.stop()
        self.controllers.stop()
        if self.state_file:
            self.save_state()
        if self._tmp is not None:
            self._tmp.cleanup()

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The port the API server listens on."""
        return self._port

    @property
    def url(self) -> str:
        """The API server's URL (what the kubeconfig names)."""
        return f"http://{self.host}:{self._port}"

    # -- faults the server itself plays ----------------------------------------------------

    def trigger_cronjobs(self, namespace: str | None = None, name: str | None = None) -> None:
        """Start CronJobs' Jobs now, as if their schedules matched this minute (all of
        them, one namespace's, or the one named); concurrency and history rules hold."""
        self.cronjobs.trigger(namespace, name)

    def advance_cron(self, seconds: float | None = None) -> None:
        """Move the CronJob controller's clock on by `seconds` (None: to the next time any
        CronJob is due), so schedules come round at once; nothing else is time-shifted, so
        the times it writes (lastScheduleTime) lie that far in the future."""
        self.cronjobs.advance(seconds)

    def add_node(self, name: str, labels: dict[str, str] | None = None) -> None:
        """Another Ready worker node (DaemonSets put a pod on it; the scheduler may too)."""
        node = res.lookup("", "v1", "nodes")
        assert node is not None
        created = self.api.create(
            node,
            "",
            {
                "metadata": {
                    "name": name,
                    "labels": {
                        "kubernetes.io/hostname": name,
                        "kubernetes.io/os": "linux",
                        "kubernetes.io/arch": "amd64",
                        **(labels or {}),
                    },
                }
            },
        ).obj
        count = sum(1 for _ in self.store.items(node))
        status = _node_status(name, f"172.18.0.{count + 1}")
        self.api.update(node, "", name, {**created, "status": status}, subresource="status")

    def set_outage(self, mode: str | None) -> None:
        """ "refuse": connections refused (server gone); "503": every request answers 503;
        None: serve again on the same port."""
        if mode not in _OUTAGES:
            raise ValueError(f"outage must be one of {_OUTAGES}, not {mode!r}")
        if mode == self.outage:
            return
        if self.outage == "refuse":
            self._listen()
        self._ctx.outage_503 = mode == "503"
        if mode == "refuse":
            self._close_server()
        elif mode == "503" and self._server is not None:
            self._server.cut_connections()  # open watch streams end, as on a real outage
        self.outage = mode

    # -- request accounting --------------------------------------------------------------

    def request_counts(self) -> Counter[str]:
        """Requests served so far, keyed "METHOD /path"."""
        return Counter(self._requests)

    def reset_request_counts(self) -> None:
        """Start counting requests from zero."""
        self._requests.clear()

    # -- internals -----------------------------------------------------------------------

    def _listen(self) -> None:
        self._stopping.clear()
        self._server = SimHTTPServer((self.host, self._port), self._ctx)
        self._port = self._server.server_address[1]
        self._ctx.address = f"{self.host}:{self._port}"
        self._server_thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="sim-http",
            daemon=True,
        )
        self._server_thread.start()

    def _close_server(self) -> None:
        if self._server is None:
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.cut_connections()
        self._server.server_close()
        self._server = None

    def _seed(self) -> None:
        """The objects a fresh cluster (like a new kind cluster) has."""
        ns_type = res.lookup("", "v1", "namespaces")
        assert ns_type is not None
        # Recorded under the components that create them on a real cluster.
        apiserver, kubelet = (
            WriteOptions(field_manager="kube-apiserver"),
            WriteOptions(field_manager="kubelet"),
        )
        for name in ("default", "kube-system", "kube-public", "kube-node-lease"):
            self.api.create(ns_type, "", {"metadata": {"name": name}}, apiserver)
        node = res.lookup("", "v1", "nodes")
        assert node is not None
        created = self.api.create(
            node,
            "",
            {
                "metadata": {
                    "name": NODE_NAME,
                    "labels": {
                        "kubernetes.io/hostname": NODE_NAME,
                        "kubernetes.io/os": "linux",
                        "kubernetes.io/arch": "amd64",
                        "node-role.kubernetes.io/control-plane": "",
                    },
                }
            },
            kubelet,
        ).obj
        self.api.update(
            node, "", NODE_NAME, {**created, "status": _node_status()}, subresource="status"
        )
        storage_class = res.lookup("storage.k8s.io", "v1", "storageclasses")
        assert storage_class is not None
        self.api.create(
            storage_class,
            "",
            {
                "metadata": {
                    "name": "standard",
                    "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
                },
                "provisioner": "rancher.io/local-path",
                "reclaimPolicy": "Delete",
                "volumeBindingMode": "Immediate",
            },
            WriteOptions(field_manager="kubectl-create"),
        )
        service = res.lookup("", "v1", "services")
        assert service is not None
        self.api.create(
            service,
            "default",
            {
                "metadata": {
                    "name": "kubernetes",
                    "labels": {"component": "apiserver", "provider": "kubernetes"},
                },
                # The first address of the Service CIDR, as kube-apiserver reserves it.
                "spec": {
                    "clusterIP": "10.96.0.1",
                    "ports": [{"name": "https", "port": 443, "targetPort": 6443}],
                },
            },
            apiserver,
        )

    def _resume(self) -> None:
        """After loading state, let every controller look at every object once."""
        kinds = {
            "Namespace",
            "Pod",
            "Deployment",
            "ReplicaSet",
            "StatefulSet",
            "Job",
            "PersistentVolumeClaim",
        }
        for rt in res.RESOURCE_TYPES:
            if rt.kind not in kinds:
                continue
            for obj in self.store.items(rt):
                meta = obj["metadata"]
                self.controllers.enqueue((rt.kind, meta.get("namespace", ""), meta["name"]))

    def _load_state(self) -> bool:
        if not self.state_file or not self.state_file.exists():
            return False
        data = json.loads(self.state_file.read_text())
        for entry in data["objects"]:  # CRDs first: their objects are restored under them
            if (entry["group"], entry["plural"]) == (
                "apiextensions.k8s.io",
                "customresourcedefinitions",
            ):
                for rt in customresources.served_types(entry["object"]):
                    self.api.types.add(rt)
        self.store.restore(data, self.api.types.by_group_plural)
        return True

    def save_state(self) -> None:
        """Write every object to the state file (atomically)."""
        if not self.state_file:
            return
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.store.snapshot()))
        os.replace(tmp, self.state_file)

    def _save_loop(self) -> None:
        saved = self.store.resource_version
        while not self._stopping.wait(2.0):
            if self.store.resource_version != saved:
                saved = self.store.resource_version
                with contextlib.suppress(OSError):
                    self.save_state()


def _node_status(name: str = NODE_NAME, ip: str = HOST_IP) -> dict[str, Any]:
    capacity = {"cpu": "8", "memory": "16Gi", "pods": "110", "ephemeral-storage": "100Gi"}
    return {
        "capacity": capacity,
        "allocatable": capacity,
        "conditions": [
            {
                "type": "Ready",
                "status": "True",
                "reason": "KubeletReady",
                "message": "kubelet is posting ready status",
            }
        ],
        "addresses": [
            {"type": "InternalIP", "address": ip},
            {"type": "Hostname", "address": name},
        ],
        "nodeInfo": {
            "kubeletVersion": "v1.35.0",
            "osImage": "storedesk simulator",
            "containerRuntimeVersion": "simulated://1.0",
            "operatingSystem": "linux",
            "architecture": "amd64",
            "kernelVersion": "",
            "machineID": "",
            "systemUUID": "",
            "bootID": "",
            "kubeProxyVersion": "",
        },
    }


def write_kubeconfig(path: Path, server: str, context: str) -> None:
    """Write (or merge into an existing file) a cluster, user and context for the simulator.

    An existing kubeconfig keeps its other entries and its current-context; a new file
    gets ours as current-context."""
    config: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Config",
        "preferences": {},
        "clusters": [],
        "users": [],
        "contexts": [],
    }
    if path.exists():
        loaded = yaml.safe_load(path.read_text()) or {}
        if isinstance(loaded, dict):
            config.update(loaded)
    entries = {
        "clusters": {"name": context, "cluster": {"server": server}},
        "users": {"name": context, "user": {"token": "storedesk-sim"}},
        "contexts": {
            "name": context,
            "context": {"cluster": context, "user": context, "namespace": "default"},
        },
    }
    for section, entry in entries.items():
        config[section] = [e for e in config.get(section) or [] if e.get("name") != context]
        config[section].append(entry)
    config.setdefault("current-context", context)
    if not config.get("current-context"):
        config["current-context"] = context
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        yaml.safe_dump(config, f, sort_keys=False)
