"""Persistent volumes: the PV controller's binding, a provisioner for every StorageClass
(as kind's local-path one does for `standard`), reclaiming, and the pvc/pv-protection
finalizers that keep a claim until no pod uses it.

A claim binds to an Available PersistentVolume that fits (class, size, access modes) or
gets one provisioned from its StorageClass; a claim naming no class (not even "") waits
for a volume, one naming a missing class waits with ProvisioningFailed, and with
WaitForFirstConsumer provisioning waits for a pod that uses the claim. No data is kept:
the volumes are records, like everything else here.
"""

from __future__ import annotations

from typing import Any

from storedesk.sim.api import now_iso
from storedesk.sim.controllers.kubelet import NODE_NAME
from storedesk.sim.controllers.loop import ControllerManager, rt_of
from storedesk.sim.errors import ApiError
from storedesk.sim.quantity import parse_or_none
from storedesk.sim.store import Change, Obj

PVC = rt_of("persistentvolumeclaims")
PV = rt_of("persistentvolumes")
POD = rt_of("pods")
STORAGE_CLASS = rt_of("storageclasses", "storage.k8s.io")
PVC_PROTECTION = "kubernetes.io/pvc-protection"
PV_PROTECTION = "kubernetes.io/pv-protection"
_SELECTED_NODE = "volume.kubernetes.io/selected-node"
_NO_PROVISIONER = "kubernetes.io/no-provisioner"


class Volumes:
    """Binds claims to volumes, provisions, reclaims and lets protected objects go."""

    def __init__(self, manager: ControllerManager) -> None:
        self.m = manager
        manager.register("Claim", self.claim)
        manager.register("Volume", self.volume)
        manager.watch(self._keys)

    def _keys(self, change: Change) -> list[tuple[str, str, str]]:
        meta = change.obj["metadata"]
        if change.rt is PVC:
            keys = [("Claim", meta["namespace"], meta["name"])]
            if change.type == "DELETED":  # its volume is reclaimed
                keys += [
                    ("Volume", "", v["metadata"]["name"]) for v in self._volumes_of(change.obj)
                ]
            return keys
        if change.rt is PV:
            keys = [("Volume", "", meta["name"])] if change.type != "DELETED" else []
            if (
                change.type != "DELETED"
                and (change.obj.get("status") or {}).get("phase") == "Available"
            ):
                keys += self._pending_claims()
            return keys
        if change.rt is STORAGE_CLASS and change.type == "ADDED":
            return self._pending_claims()
        if change.rt is POD:
            return [("Claim", meta["namespace"], c) for c in claims_of(change.obj)]
        return []

    def _pending_claims(self) -> list[tuple[str, str, str]]:
        return [
            ("Claim", c["metadata"]["namespace"], c["metadata"]["name"])
            for c in self.m.api.store.items(PVC)
            if (c.get("status") or {}).get("phase") != "Bound"
        ]

    def _volumes_of(self, claim: Obj) -> list[Obj]:
        meta = claim["metadata"]
        return [
            v
            for v in self.m.api.store.items(PV)
            if ((v.get("spec") or {}).get("claimRef") or {}).get("uid") == meta.get("uid")
        ]

    # -- claims ----------------------------------------------------------------------------

    def claim(self, namespace: str, name: str) -> None:
        """Bind a pending claim (or provision for it); release a deleted one once unused."""
        claim = self.m.api.store.get(PVC, namespace, name)
        if claim is None:
            return
        if claim["metadata"].get("deletionTimestamp"):
            if not self._in_use(claim):
                self._drop_finalizer(PVC, claim, PVC_PROTECTION)
            return
        if (claim.get("status") or {}).get("phase") == "Bound":
            return
        volume = self._matching_volume(claim)
        if volume is not None:
            self._bind(volume, claim, provisioner=None)
            return
        spec = claim.get("spec") or {}
        if spec.get("volumeName"):
            return  # waits for the volume it names
        class_name = spec.get("storageClassName")
        if not class_name:
            self._event(
                claim,
                "FailedBinding",
                "no persistent volumes available for this claim and no storage class is set",
            )
            return
        storage_class = self.m.api.store.get(STORAGE_CLASS, "", class_name)
        if storage_class is None:
            self._event(
                claim,
                "ProvisioningFailed",
                f'storageclass.storage.k8s.io "{class_name}" not found',
                warning=True,
            )
            return
        self._provision(claim, storage_class)

    def _provision(self, claim: Obj, storage_class: Obj) -> None:
        provisioner = storage_class.get("provisioner", "")
        annotations = claim["metadata"].get("annotations") or {}
        waits = storage_class.get("volumeBindingMode") == "WaitForFirstConsumer"
        if waits and _SELECTED_NODE not in annotations:
            if not self._in_use(claim):
                self._event(
                    claim,
                    "WaitForFirstConsumer",
                    "waiting for first consumer to be created before binding",
                )
                return
            claim = self._annotate(claim, {_SELECTED_NODE: NODE_NAME})  # the scheduler's pick
        if provisioner == _NO_PROVISIONER:
            return  # only a matching pre-made volume can bind it
        meta = claim["metadata"]
        self._event(
            claim,
            "ExternalProvisioning",
            f"Waiting for a volume to be created either by the external provisioner "
            f"'{provisioner}' or manually by the system administrator. If volume creation is "
            f"delayed, please verify that your external provisioner is running and correctly "
            f"registered.",
        )
        self._event(
            claim,
            "Provisioning",
            f'External provisioner is provisioning volume for claim "{meta["namespace"]}/{meta["name"]}"',
        )
        volume = self._create_volume(claim, storage_class)
        if volume is None:
            return
        self._event(
            claim,
            "ProvisioningSucceeded",
            f"Successfully provisioned volume {volume['metadata']['name']}",
        )
        self._bind(volume, claim, provisioner=provisioner)

    def _create_volume(self, claim: Obj, storage_class: Obj) -> Obj | None:
        meta, spec = claim["metadata"], claim.get("spec") or {}
        name = f"pvc-{meta['uid']}"
        size = ((spec.get("resources") or {}).get("requests") or {}).get("storage", "1Gi")
        body: Obj = {
            "apiVersion": "v1",
            "kind": "PersistentVolume",
            "metadata": {
                "name": name,
                "annotations": {
                    "pv.kubernetes.io/provisioned-by": storage_class.get("provisioner", "")
                },
                "finalizers": [PV_PROTECTION],
            },
            "spec": {
                "accessModes": list(spec.get("accessModes") or ["ReadWriteOnce"]),
                "capacity": {"storage": size},
                "claimRef": _claim_ref(claim),
                "hostPath": {
                    "path": f"/var/local-path-provisioner/{name}_{meta['namespace']}_{meta['name']}",
                    "type": "DirectoryOrCreate",
                },
                "nodeAffinity": {
                    "required": {
                        "nodeSelectorTerms": [
                            {
                                "matchExpressions": [
                                    {
                                        "key": "kubernetes.io/hostname",
                                        "operator": "In",
                                        "values": [NODE_NAME],
                                    }
                                ]
                            }
                        ]
                    }
                },
                "persistentVolumeReclaimPolicy": storage_class.get("reclaimPolicy", "Delete"),
                "storageClassName": storage_class["metadata"]["name"],
                "volumeMode": spec.get("volumeMode", "Filesystem"),
            },
        }
        if storage_class.get("mountOptions"):
            body["spec"]["mountOptions"] = storage_class["mountOptions"]
        try:
            return self.m.api.create(PV, "", body).obj
        except ApiError as e:
            if e.code == 409:
                return self.m.api.store.get(PV, "", name)
            self._event(claim, "ProvisioningFailed", e.message, warning=True)
            return None

    def _matching_volume(self, claim: Obj) -> Obj | None:
        """findBestMatchForClaim: the named volume, or the smallest Available one that fits."""
        spec = claim.get("spec") or {}
        uid = claim["metadata"]["uid"]
        wanted_class = spec.get("storageClassName") or ""
        size = parse_or_none(
            str(((spec.get("resources") or {}).get("requests") or {}).get("storage", "0"))
        )
        modes = set(spec.get("accessModes") or ())
        fits = []
        for volume in self.m.api.store.items(PV):
            vspec = volume.get("spec") or {}
            ref = vspec.get("claimRef") or {}
            if volume["metadata"].get("deletionTimestamp"):
                continue
            if ref and ref.get("uid") not in (None, uid):
                continue
            if ref and (ref.get("name"), ref.get("namespace")) != (
                claim["metadata"]["name"],
                claim["metadata"]["namespace"],
            ):
                continue
            if spec.get("volumeName") and volume["metadata"]["name"] != spec["volumeName"]:
                continue
            if (vspec.get("storageClassName") or "") != wanted_class:
                continue
            capacity = parse_or_none(str((vspec.get("capacity") or {}).get("storage", "0")))
            if size is not None and capacity is not None and capacity < size:
                continue
            if not modes <= set(vspec.get("accessModes") or ()):
                continue
            if (volume.get("status") or {}).get("phase") in ("Released", "Failed"):
                continue  # a volume is reused only when an admin clears it
            fits.append(
                (
                    0 if ref else 1,
                    capacity or parse_or_none("0"),
                    volume["metadata"]["name"],
                    volume,
                )
            )
        fits.sort(key=lambda f: (f[0], f[1], f[2]))
        return fits[0][3] if fits else None

    def _bind(self, volume: Obj, claim: Obj, provisioner: str | None) -> None:
        """Volume to claim (claimRef, Bound), then claim to volume (volumeName, Bound)."""
        vmeta = volume["metadata"]
        if not (volume.get("spec") or {}).get("claimRef"):
            volume = self.m.api.update(
                PV,
                "",
                vmeta["name"],
                {**volume, "spec": {**volume["spec"], "claimRef": _claim_ref(claim)}},
            ).obj
        self.m.write_status(PV, volume, {"phase": "Bound", "lastPhaseTransitionTime": now_iso()})
        spec = claim.get("spec") or {}
        annotations = {"pv.kubernetes.io/bind-completed": "yes"}
        if not spec.get("volumeName"):
            annotations["pv.kubernetes.io/bound-by-controller"] = "yes"
        if provisioner:
            annotations["volume.beta.kubernetes.io/storage-provisioner"] = provisioner
            annotations["volume.kubernetes.io/storage-provisioner"] = provisioner
        current = self.m.api.store.get(
            PVC, claim["metadata"]["namespace"], claim["metadata"]["name"]
        )
        if current is None:
            return
        bound = {
            **current,
            "spec": {**current["spec"], "volumeName": vmeta["name"]},
            "metadata": {
                **current["metadata"],
                "annotations": {**(current["metadata"].get("annotations") or {}), **annotations},
            },
        }
        stored = self.m.system_write(PVC, bound, current)
        vspec = volume.get("spec") or {}
        self.m.write_status(
            PVC,
            stored,
            {
                "phase": "Bound",
                "accessModes": list(vspec.get("accessModes") or ()),
                "capacity": dict(vspec.get("capacity") or {}),
            },
        )

    # -- volumes ---------------------------------------------------------------------------

    def volume(self, _: str, name: str) -> None:
        """Reclaim a volume whose claim went; let a deleted volume go once unbound."""
        volume = self.m.api.store.get(PV, "", name)
        if volume is None:
            return
        ref = (volume.get("spec") or {}).get("claimRef") or {}
        claim = (
            self.m.api.store.get(PVC, ref.get("namespace", ""), ref.get("name", ""))
            if ref
            else None
        )
        if claim is not None and claim["metadata"]["uid"] != ref.get(
            "uid", claim["metadata"]["uid"]
        ):
            claim = None
        if volume["metadata"].get("deletionTimestamp"):
            if claim is None or (claim.get("status") or {}).get("phase") != "Bound":
                self._drop_finalizer(PV, volume, PV_PROTECTION)
            return
        if ref and claim is None and (volume.get("status") or {}).get("phase") == "Bound":
            if volume["spec"].get("persistentVolumeReclaimPolicy", "Retain") == "Delete":
                self.m.api.delete(PV, "", name)
            else:
                self.m.write_status(
                    PV, volume, {"phase": "Released", "lastPhaseTransitionTime": now_iso()}
                )
        elif not ref and (volume.get("status") or {}).get("phase") in (None, "Pending"):
            self.m.write_status(
                PV, volume, {"phase": "Available", "lastPhaseTransitionTime": now_iso()}
            )

    # -- helpers ---------------------------------------------------------------------------

    def _in_use(self, claim: Obj) -> bool:
        """A pod (not finished) mounts the claim: it may not go yet."""
        name = claim["metadata"]["name"]
        return any(
            name in claims_of(pod)
            and (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
            for pod in self.m.api.store.items(POD, claim["metadata"]["namespace"])
        )

    def _drop_finalizer(self, rt: Any, obj: Obj, finalizer: str) -> None:
        meta = obj["metadata"]
        if finalizer not in (meta.get("finalizers") or ()):
            return
        kept = [f for f in meta["finalizers"] if f != finalizer]
        self.m.api.update(
            rt,
            meta.get("namespace", ""),
            meta["name"],
            {**obj, "metadata": {**meta, "finalizers": kept}},
        )

    def _annotate(self, claim: Obj, annotations: dict[str, str]) -> Obj:
        meta = claim["metadata"]
        return self.m.api.update(
            PVC,
            meta["namespace"],
            meta["name"],
            {
                **claim,
                "metadata": {
                    **meta,
                    "annotations": {**(meta.get("annotations") or {}), **annotations},
                },
            },
        ).obj

    def _event(self, claim: Obj, reason: str, message: str, warning: bool = False) -> None:
        component = "persistentvolume-controller"
        if reason in ("Provisioning", "ProvisioningSucceeded"):
            component = "rancher.io/local-path_local-path-provisioner"
        self.m.record_event(
            claim, reason, message, type_="Warning" if warning else "Normal", component=component
        )


def claims_of(pod: Obj) -> list[str]:
    """The claims a pod's volumes name."""
    return [
        v["persistentVolumeClaim"]["claimName"]
        for v in (pod.get("spec") or {}).get("volumes") or ()
        if isinstance(v.get("persistentVolumeClaim"), dict)
        and v["persistentVolumeClaim"].get("claimName")
    ]


def _claim_ref(claim: Obj) -> dict[str, str]:
    meta = claim["metadata"]
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "name": meta["name"],
        "namespace": meta["namespace"],
        "resourceVersion": meta.get("resourceVersion", ""),
        "uid": meta["uid"],
    }
