"""The aggregator's controllers: an APIService for every group/version the server serves
itself (built-in ones, and those of CRDs, kept as they come and go), and each APIService's
Available condition. A non-local APIService is never available here: its Service and
endpoints are checked as the aggregator checks them, and beyond that the simulator runs no
process to answer for it, which its condition says."""

from __future__ import annotations

from storedesk.sim.controllers.loop import ControllerManager, condition, rt_of
from storedesk.sim.errors import ApiError
from storedesk.sim.store import Change, Obj

APISERVICE = rt_of("apiservices", "apiregistration.k8s.io")
SERVICE = rt_of("services")
ENDPOINTS = rt_of("endpoints")
AUTOMANAGED = "kube-aggregator.kubernetes.io/automanaged"
# groupPriorityMinimum/versionPriority of built-in group versions (kube-apiserver's table).
_PRIORITIES = {
    "": (18000, 1),
    "apiregistration.k8s.io": (17500, 15),
    "apps": (17800, 15),
    "authentication.k8s.io": (17700, 15),
    "authorization.k8s.io": (17600, 15),
    "autoscaling": (17500, 30),
    "batch": (17400, 15),
    "networking.k8s.io": (17200, 15),
    "policy": (17100, 15),
    "rbac.authorization.k8s.io": (17000, 15),
    "storage.k8s.io": (16800, 15),
    "apiextensions.k8s.io": (16700, 15),
    "discovery.k8s.io": (16200, 15),
}
_CRD_PRIORITY = (1000, 100)  # crdregistration: low group priority, kube-like version order


class APIServices:
    """Registers local APIServices and reports every APIService's availability."""

    def __init__(self, manager: ControllerManager) -> None:
        self.m = manager
        manager.register("APIServices", self.register_local)
        manager.register("APIService", self.reconcile)
        manager.watch(self._keys)
        manager.enqueue(("APIServices", "", ""))  # once the controllers start

    def _keys(self, change: Change) -> list[tuple[str, str, str]]:
        if change.rt is APISERVICE and change.type != "DELETED":
            return [("APIService", "", change.obj["metadata"]["name"])]
        if change.rt in (SERVICE, ENDPOINTS):
            namespace = change.obj["metadata"].get("namespace", "")
            name = change.obj["metadata"]["name"]
            return [
                ("APIService", "", a["metadata"]["name"])
                for a in self.m.api.store.items(APISERVICE)
                if (a["spec"].get("service") or {}).get("name") == name
                and (a["spec"].get("service") or {}).get("namespace") == namespace
            ]
        return []

    def register_local(self, _: str, __: str) -> None:
        """An automanaged APIService per served group/version; CRD ones leave with them."""
        served = self.m.api.types.group_versions()
        custom = {(rt.group, rt.version) for rt in self.m.api.types.custom()}
        wanted = {_name(g, v): (g, v) for g, v in served}
        for existing in list(self.m.api.store.items(APISERVICE)):
            meta = existing["metadata"]
            if (meta.get("labels") or {}).get(AUTOMANAGED) == "true" and meta["name"] not in wanted:
                self.m.api.delete(APISERVICE, "", meta["name"])
        for name, (group, version) in wanted.items():
            if self.m.api.store.get(APISERVICE, "", name) is not None:
                continue
            mode = "true" if (group, version) in custom else "onstart"
            priority = _CRD_PRIORITY if mode == "true" else _PRIORITIES.get(group, (16000, 15))
            try:
                self.m.api.create(
                    APISERVICE,
                    "",
                    {
                        "apiVersion": "apiregistration.k8s.io/v1",
                        "kind": "APIService",
                        "metadata": {"name": name, "labels": {AUTOMANAGED: mode}},
                        "spec": {
                            "group": group,
                            "version": version,
                            "groupPriorityMinimum": priority[0],
                            "versionPriority": priority[1],
                        },
                    },
                )
            except ApiError as e:
                if e.code != 409:
                    raise

    def reconcile(self, _: str, name: str) -> None:
        """The Available condition, as the aggregator's availability controller sets it."""
        apiservice = self.m.api.store.get(APISERVICE, "", name)
        if apiservice is None:
            return
        previous = (apiservice.get("status") or {}).get("conditions") or []
        available, reason, message = self._availability(apiservice)
        self.m.write_status(
            APISERVICE,
            apiservice,
            {"conditions": [condition("Available", available, reason, message, previous)]},
        )

    def _availability(self, apiservice: Obj) -> tuple[bool, str, str]:
        spec = apiservice.get("spec") or {}
        ref = spec.get("service")
        if not ref:
            return True, "Local", "Local APIServices are always available"
        namespace, service_name = ref.get("namespace", ""), ref.get("name", "")
        service = self.m.api.store.get(SERVICE, namespace, service_name)
        if service is None:
            return (
                False,
                "ServiceNotFound",
                f'service/{service_name} in "{namespace}" is not present',
            )
        port = ref.get("port", 443)
        port_name = next(
            (
                p.get("name", "")
                for p in service["spec"].get("ports") or ()
                if p.get("port") == port
            ),
            "",
        )
        endpoints = self.m.api.store.get(ENDPOINTS, namespace, service_name)
        address = _address(endpoints, port_name)
        if address is None:
            return (
                False,
                "MissingEndpoints",
                f'endpoints for service/{service_name} in "{namespace}" have no addresses '
                f'with port name "{port_name}"',
            )
        url = f"https://{address}/apis/{spec.get('group', '')}/{spec.get('version', '')}"
        return (
            False,
            "FailedDiscoveryCheck",
            f"failing or missing response from {url}: the Storedesk simulator runs no "
            "processes, so no aggregated API server answers",
        )


def _name(group: str, version: str) -> str:
    """v1. for core, v1.apps, v1.example.com: version first, as the aggregator names them."""
    return f"{version}.{group}"


def _address(endpoints: Obj | None, port_name: str) -> str | None:
    for subset in (endpoints or {}).get("subsets") or ():
        for port in subset.get("ports") or ():
            if port.get("name", "") == port_name and subset.get("addresses"):
                return f"{subset['addresses'][0]['ip']}:{port['port']}"
    return None
