"""Cluster housekeeping: namespace lifecycle, garbage collection, endpoints, quota usage
and disruption budgets (volume binding lives in volumes.py)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from storedesk.sim import admission
from storedesk.sim import resources as res
from storedesk.sim.controllers.loop import ControllerManager, condition, owned_by, rt_of
from storedesk.sim.controllers.workloads import is_ready
from storedesk.sim.errors import ApiError
from storedesk.sim.store import Change, Obj

NAMESPACE = rt_of("namespaces")
POD = rt_of("pods")
SERVICE = rt_of("services")
ENDPOINTS = rt_of("endpoints")
PVC = rt_of("persistentvolumeclaims")
QUOTA = rt_of("resourcequotas")
PDB = rt_of("poddisruptionbudgets", "policy")
INGRESS = rt_of("ingresses", "networking.k8s.io")
SERVICE_ACCOUNT = rt_of("serviceaccounts")
CONFIGMAP = rt_of("configmaps")
NAMESPACED = [rt for rt in res.RESOURCE_TYPES if rt.namespaced]
_QUOTA_KINDS = {"Pod", "PersistentVolumeClaim", "Service", "Secret", "ConfigMap", "ResourceQuota"}
ROOT_CA = "-----BEGIN CERTIFICATE-----\nc3RvcmVkZXNrLXNpbXVsYXRvcg==\n-----END CERTIFICATE-----\n"


class Housekeeping:
    """Namespace, garbage-collector, endpoints, PVC, quota and PDB controllers."""

    def __init__(self, manager: ControllerManager) -> None:
        self.m = manager
        manager.register("Namespace", self.namespace)
        manager.register("GC", self.collect)
        manager.register("GCOwner", self.recheck_owner)
        manager.register("Endpoints", self.endpoints)
        manager.register("Quota", self.quota)
        manager.register("PDB", self.disruption_budgets)
        manager.register("Ingress", self.ingress)
        manager.watch(self._keys)

    def _keys(self, change: Change) -> list[tuple[str, str, str]]:
        kind = change.rt.kind
        meta = change.obj["metadata"]
        ns = meta.get("namespace", "")
        keys: list[tuple[str, str, str]] = []
        if kind == "Namespace":
            keys.append(("Namespace", "", meta["name"]))
        elif ns:
            keys.append(("Namespace", "", ns))  # a terminating namespace waits for its objects
        if change.type == "DELETED" or meta.get("deletionTimestamp"):
            keys.append(("GC", ns, meta["uid"]))
        keys.extend(("GCOwner", ns, uid) for uid in _owners_to_recheck(change))
        if kind in ("Pod", "Service"):
            keys.append(("Endpoints", ns, ""))
        if kind == "Pod":
            keys.append(("PDB", ns, ""))
        if kind in _QUOTA_KINDS and ns:
            keys.append(("Quota", ns, ""))
        if kind == "PodDisruptionBudget" and change.type != "DELETED":
            keys.append(("PDB", ns, ""))
        if kind == "Ingress" and change.type == "ADDED":
            keys.append(("Ingress", ns, meta["name"]))
        return keys

    # -- namespaces ------------------------------------------------------------------------

    def namespace(self, _: str, name: str) -> None:
        """New namespaces get their default ServiceAccount and root CA; terminating ones
        are emptied, then removed."""
        ns = self.m.api.store.get(NAMESPACE, "", name)
        if ns is None:
            return
        if not ns["metadata"].get("deletionTimestamp"):
            self._populate(name)
            return
        kinds: Counter[str] = Counter()  # resource -> objects remaining
        held: Counter[str] = Counter()  # finalizer -> objects it holds
        # Custom resources too: the namespace controller deletes whatever discovery lists.
        for rt in [*NAMESPACED, *(t for t in self.m.api.types.custom() if t.namespaced)]:
            for obj in list(self.m.api.store.items(rt, name)):
                kinds[f"{rt.plural}.{rt.group}" if rt.group else rt.plural] += 1
                held.update(obj["metadata"].get("finalizers") or ())
                if not obj["metadata"].get("deletionTimestamp"):
                    self.m.api.delete(
                        rt, name, obj["metadata"]["name"], {"propagationPolicy": "Background"}
                    )
        if not kinds:
            self.m.api.finish_deletion(NAMESPACE, ns)
            return
        self.m.write_status(NAMESPACE, ns, _terminating_status(ns, kinds, held))

    def _populate(self, name: str) -> None:
        if self.m.api.store.get(SERVICE_ACCOUNT, name, "default") is None:
            self.m.api.create(
                SERVICE_ACCOUNT,
                name,
                {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default"}},
            )
        if self.m.api.store.get(CONFIGMAP, name, "kube-root-ca.crt") is None:
            self.m.api.create(
                CONFIGMAP,
                name,
                {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": {
                        "name": "kube-root-ca.crt",
                        "annotations": {
                            "kubernetes.io/description": "Contains a CA bundle that can be used to "
                            "verify the kube-apiserver when using "
                            "internal endpoints such as the internal "
                            "service IP or kubernetes.default.svc. No "
                            "other usage is guaranteed across "
                            "distributions of Kubernetes clusters."
                        },
                    },
                    "data": {"ca.crt": ROOT_CA},
                },
            )

    # -- garbage collection ----------------------------------------------------------------

    def collect(self, namespace: str, uid: str) -> None:
        """Handle dependents of an owner that is gone or being deleted, per propagation."""
        owner = self._find_uid(namespace, uid)
        dependents = self._dependents(namespace, uid)
        if owner is None:  # background: dependents whose every owner is gone follow
            for rt, obj in dependents:
                self._attempt_to_delete(rt, obj)
            return
        rt_owner, obj_owner = owner
        if not obj_owner["metadata"].get("deletionTimestamp"):
            return
        finalizers = obj_owner["metadata"].get("finalizers") or []
        if "orphan" in finalizers:
            for rt, obj in dependents:
                self._drop_owner_refs(rt, obj, {uid})
            self._drop_finalizer(rt_owner, obj_owner, "orphan")
        elif "foregroundDeletion" in finalizers:
            for rt, obj in dependents:
                self._attempt_to_delete(rt, obj)
            # The owner waits only for dependents that block it, until they are gone.
            if not any(_blocks(obj, uid) for _, obj in self._dependents(namespace, uid)):
                self._drop_finalizer(rt_owner, obj_owner, "foregroundDeletion")

    def recheck_owner(self, namespace: str, uid: str) -> None:
        """A dependent went (or let go): its owner may be waiting in foreground deletion."""
        found = self._find_uid(namespace, uid) or self._find_uid("", uid)
        if found is None or not found[1]["metadata"].get("deletionTimestamp"):
            return
        self.collect(found[1]["metadata"].get("namespace", ""), uid)

    def _attempt_to_delete(self, rt: Any, obj: Obj) -> None:
        """The collector's attemptToDeleteItem: delete a dependent that has no solid owner
        left, or cut its references to owners that are gone or being deleted."""
        meta = obj["metadata"]
        if meta.get("deletionTimestamp"):
            return
        namespace = meta.get("namespace", "")
        solid, gone, waiting = [], set(), set()
        for ref in meta.get("ownerReferences") or ():
            found = self._find_uid(namespace, ref["uid"]) or (
                self._find_uid("", ref["uid"]) if namespace else None
            )
            if found is None:
                gone.add(ref["uid"])
            elif "foregroundDeletion" in (found[1]["metadata"].get("finalizers") or ()) and found[
                1
            ]["metadata"].get("deletionTimestamp"):
                waiting.add(ref["uid"])
            else:
                solid.append(ref["uid"])
        if solid:
            if gone or waiting:
                self._drop_owner_refs(rt, obj, gone | waiting)
            return
        finalizers = meta.get("finalizers") or ()
        if waiting and self._dependents(namespace, meta["uid"]):
            policy = "Foreground"  # its own dependents go first, as its owner waits
        elif "orphan" in finalizers:
            policy = "Orphan"
        elif "foregroundDeletion" in finalizers:
            policy = "Foreground"
        else:
            policy = "Background"
        self._delete(rt, obj, policy)

    def _dependents(self, namespace: str, uid: str) -> list[tuple[Any, Obj]]:
        scopes = [namespace] if namespace else [None]
        return [
            (rt, o)
            for rt in NAMESPACED
            for scope in scopes
            for o in self.m.api.store.items(rt, scope)
            if owned_by(o, uid)
        ]

    def _drop_owner_refs(self, rt: Any, obj: Obj, uids: set[str]) -> None:
        refs = [r for r in obj["metadata"]["ownerReferences"] if r.get("uid") not in uids]
        meta = {**obj["metadata"], "ownerReferences": refs}
        if not refs:
            meta.pop("ownerReferences")
        self.m.api.update(
            rt,
            obj["metadata"].get("namespace", ""),
            obj["metadata"]["name"],
            {**obj, "metadata": meta},
        )

    def _find_uid(self, namespace: str, uid: str) -> tuple[Any, Obj] | None:
        for rt in NAMESPACED if namespace else res.RESOURCE_TYPES:
            for obj in self.m.api.store.items(rt, namespace or None):
                if obj["metadata"].get("uid") == uid:
                    return rt, obj
        return None

    def _delete(self, rt: Any, obj: Obj, policy: str) -> None:
        try:
            self.m.api.delete(
                rt,
                obj["metadata"].get("namespace", ""),
                obj["metadata"]["name"],
                {"propagationPolicy": policy},
            )
        except ApiError as e:
            if e.code != 404:
                raise

    def _drop_finalizer(self, rt: Any, obj: Obj, finalizer: str) -> None:
        meta = obj["metadata"]
        kept = [f for f in meta.get("finalizers") or () if f != finalizer]
        self.m.api.update(
            rt,
            meta.get("namespace", ""),
            meta["name"],
            {**obj, "metadata": {**meta, "finalizers": kept}},
        )

    # -- endpoints -------------------------------------------------------------------------

    def endpoints(self, namespace: str, _: str) -> None:
        """Endpoints of every selector Service: ready and not-ready pod addresses."""
        store = self.m.api.store
        if store.get(NAMESPACE, "", namespace) is None:
            return
        pods = [
            p
            for p in store.items(POD, namespace)
            if p.get("status", {}).get("podIP") and not p["metadata"].get("deletionTimestamp")
        ]
        services = {s["metadata"]["name"]: s for s in store.items(SERVICE, namespace)}
        for existing in list(store.items(ENDPOINTS, namespace)):
            if existing["metadata"]["name"] not in services:
                self.m.api.delete(ENDPOINTS, namespace, existing["metadata"]["name"])
        for name, svc in services.items():
            selector = svc["spec"].get("selector")
            if not selector:
                continue
            chosen = [
                p
                for p in pods
                if all(p["metadata"].get("labels", {}).get(k) == v for k, v in selector.items())
            ]
            subset: dict[str, Any] = {}
            ready = [_address(p) for p in chosen if is_ready(p)]
            not_ready = [_address(p) for p in chosen if not is_ready(p)]
            if ready:
                subset["addresses"] = ready
            if not_ready:
                subset["notReadyAddresses"] = not_ready
            if subset:
                subset["ports"] = [
                    {
                        k: v
                        for k, v in (
                            ("name", p.get("name")),
                            ("port", _target_port(p, chosen)),
                            ("protocol", p.get("protocol", "TCP")),
                        )
                        if v is not None
                    }
                    for p in svc["spec"].get("ports", [])
                ]
            body: Obj = {
                "apiVersion": "v1",
                "kind": "Endpoints",
                "metadata": {"name": name, "labels": svc["metadata"].get("labels", {})},
            }
            if subset:
                body["subsets"] = [subset]
            current = store.get(ENDPOINTS, namespace, name)
            if current is None:
                self.m.api.create(ENDPOINTS, namespace, body)
            elif current.get("subsets") != body.get("subsets"):
                self.m.api.update(
                    ENDPOINTS,
                    namespace,
                    name,
                    {**body, "metadata": {**current["metadata"], **body["metadata"]}},
                )

    # -- volumes, quota, disruption budgets, ingress ----------------------------------------

    def quota(self, namespace: str, _: str) -> None:
        """Keep every quota's status.hard/used current."""
        store = self.m.api.store
        quotas = list(store.items(QUOTA, namespace))
        if not quotas:
            return
        objects = {rt.plural: list(store.items(rt, namespace)) for rt in NAMESPACED}
        for quota in quotas:
            hard = dict(quota.get("spec", {}).get("hard") or {})
            used = admission.compute_used(quota, objects)
            self.m.write_status(QUOTA, quota, {"hard": hard, "used": used})

    def disruption_budgets(self, namespace: str, _: str) -> None:
        """Healthy pod counts and allowed disruptions for every PDB in the namespace."""
        store = self.m.api.store
        pods = [
            p for p in store.items(POD, namespace) if not p["metadata"].get("deletionTimestamp")
        ]
        for pdb in list(store.items(PDB, namespace)):
            selector = pdb["spec"].get("selector", {}).get("matchLabels", {})
            chosen = [
                p
                for p in pods
                if all(p["metadata"].get("labels", {}).get(k) == v for k, v in selector.items())
            ]
            expected = len(chosen)
            healthy = sum(1 for p in chosen if is_ready(p))
            desired = _desired_healthy(pdb["spec"], expected)
            allowed = max(0, healthy - desired)
            previous = pdb.get("status", {}).get("conditions", [])
            self.m.write_status(
                PDB,
                pdb,
                {
                    "observedGeneration": pdb["metadata"].get("generation", 1),
                    "disruptionsAllowed": allowed,
                    "currentHealthy": healthy,
                    "desiredHealthy": desired,
                    "expectedPods": expected,
                    "conditions": [
                        condition(
                            "DisruptionAllowed",
                            allowed > 0,
                            "SufficientPods" if allowed > 0 else "InsufficientPods",
                            "",
                            previous,
                            observedGeneration=pdb["metadata"].get("generation", 1),
                        )
                    ],
                },
            )

    def ingress(self, namespace: str, name: str) -> None:
        """An ingress controller on the node publishes the node's address."""
        ing = self.m.api.store.get(INGRESS, namespace, name)
        if ing is not None:
            self.m.write_status(
                INGRESS, ing, {"loadBalancer": {"ingress": [{"hostname": "localhost"}]}}
            )


def _owners_to_recheck(change: Change) -> set[str]:
    """Owners a dependent's change may unblock: it went, started going, or let go of them."""
    meta = change.obj["metadata"]
    refs = {r["uid"] for r in meta.get("ownerReferences") or ()}
    if change.type == "DELETED" or meta.get("deletionTimestamp"):
        return refs
    if change.old is None:
        return set()
    before = {
        r["uid"]
        for r in change.old["metadata"].get("ownerReferences") or ()
        if r.get("blockOwnerDeletion")
    }
    after = {r["uid"] for r in meta.get("ownerReferences") or () if r.get("blockOwnerDeletion")}
    return before - after


def _blocks(obj: Obj, uid: str) -> bool:
    """Whether `obj` holds up the foreground deletion of its owner `uid`."""
    return any(
        r.get("uid") == uid and r.get("blockOwnerDeletion")
        for r in obj["metadata"].get("ownerReferences") or ()
    )


def _terminating_status(ns: Obj, kinds: Counter[str], held: Counter[str]) -> dict[str, Any]:
    """A terminating namespace's status as kube's namespace controller words it."""
    previous = ns.get("status", {}).get("conditions") or []

    def remaining(counts: Counter[str], joiner: str) -> str:
        return ", ".join(f"{k}{joiner}{n} resource instances" for k, n in sorted(counts.items()))

    return {
        "phase": "Terminating",
        "conditions": [
            condition(
                "NamespaceDeletionDiscoveryFailure",
                False,
                "ResourcesDiscovered",
                "All resources successfully discovered",
                previous,
            ),
            condition(
                "NamespaceDeletionGroupVersionParsingFailure",
                False,
                "ParsedGroupVersions",
                "All legacy kube types successfully parsed",
                previous,
            ),
            condition(
                "NamespaceDeletionContentFailure",
                False,
                "ContentDeleted",
                "All content successfully deleted, may be waiting on finalization",
                previous,
            ),
            condition(
                "NamespaceContentRemaining",
                True,
                "SomeResourcesRemain",
                f"Some resources are remaining: {remaining(kinds, ' has ')}",
                previous,
            ),
            condition(
                "NamespaceFinalizersRemaining",
                bool(held),
                "SomeFinalizersRemain" if held else "ContentHasNoFinalizers",
                f"Some content in the namespace has finalizers remaining: {remaining(held, ' in ')}"
                if held
                else "All content-preserving finalizers finished",
                previous,
            ),
        ],
    }


def _address(pod: Obj) -> dict[str, Any]:
    meta = pod["metadata"]
    return {
        "ip": pod["status"]["podIP"],
        "nodeName": pod["spec"].get("nodeName"),
        "targetRef": {
            "kind": "Pod",
            "namespace": meta["namespace"],
            "name": meta["name"],
            "uid": meta["uid"],
        },
    }


def _target_port(port: Obj, pods: list[Obj]) -> int | None:
    target = port.get("targetPort", port.get("port"))
    if isinstance(target, int):
        return target
    for pod in pods:  # a named port: resolve it in the pods' containers
        for c in pod["spec"].get("containers", []):
            for p in c.get("ports", []):
                if p.get("name") == target:
                    return int(p["containerPort"])
    return None


def _desired_healthy(spec: Obj, expected: int) -> int:
    if "minAvailable" in spec:
        value = spec["minAvailable"]
        if isinstance(value, str) and value.endswith("%"):
            return -(-expected * int(value[:-1]) // 100)  # rounded up
        return int(value)
    value = spec.get("maxUnavailable", 0)
    if isinstance(value, str) and value.endswith("%"):
        value = -(-expected * int(value[:-1]) // 100)
    return max(0, expected - int(value))
