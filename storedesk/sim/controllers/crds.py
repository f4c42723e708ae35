"""The apiextensions controllers: a CustomResourceDefinition's resources are served as soon
as it is stored (discovery, OpenAPI, CRUD, watch), its status reports the names accepted
and Established, and deleting it first deletes every object it defines."""

from __future__ import annotations

from typing import Any

from storedesk.sim import customresources
from storedesk.sim.controllers.loop import ControllerManager, condition, rt_of
from storedesk.sim.errors import ApiError
from storedesk.sim.resources import ResourceType
from storedesk.sim.store import Change, Obj

CRD = rt_of("customresourcedefinitions", "apiextensions.k8s.io")


class CustomResources:
    """Serves the types of established CRDs and runs their lifecycle."""

    def __init__(self, manager: ControllerManager) -> None:
        self.m = manager
        manager.register("CustomResourceDefinition", self.reconcile)
        manager.watch(self._keys)

    def _keys(self, change: Change) -> list[tuple[str, str, str]]:
        if change.rt is not CRD:
            return []
        name = change.obj["metadata"]["name"]
        # Served at once, like the apiextensions server's handler (which needs no controller).
        if change.type == "DELETED":
            self.m.api.types.remove(name)
        else:
            self._serve(change.obj)
        return [("CustomResourceDefinition", "", name), ("APIServices", "", "")]

    def _serve(self, crd: Obj) -> None:
        wanted = customresources.served_types(crd)
        name = crd["metadata"]["name"]
        keep = {(rt.group, rt.version, rt.plural) for rt in wanted}
        for rt in self.m.api.types.custom():
            if (
                rt.custom
                and rt.custom.crd == name
                and (rt.group, rt.version, rt.plural) not in keep
            ):
                self.m.api.types.remove_one(rt)
        for rt in wanted:
            self.m.api.types.add(rt)

    def reconcile(self, _: str, name: str) -> None:
        """Names accepted and Established; or, when deleted, its objects removed first."""
        crd = self.m.api.store.get(CRD, "", name)
        if crd is None:
            return
        if crd["metadata"].get("deletionTimestamp"):
            self._finalize(crd)
            return
        self.m.write_status(CRD, crd, _status(crd))

    def _finalize(self, crd: Obj) -> None:
        meta = crd["metadata"]
        if customresources.CLEANUP_FINALIZER not in (meta.get("finalizers") or ()):
            return
        remaining = 0
        for rt in self._types_of(meta["name"]):
            for obj in list(self.m.api.store.items(rt)):
                remaining += 1
                if not obj["metadata"].get("deletionTimestamp"):
                    self._delete(rt, obj)
        previous = (crd.get("status") or {}).get("conditions") or []
        status = {
            **(crd.get("status") or {}),
            "conditions": _merge(
                previous,
                condition(
                    "Terminating",
                    True,
                    "InstanceDeletionInProgress",
                    "CustomResource deletion is in progress",
                    previous,
                ),
            ),
        }
        crd = self.m.write_status(CRD, crd, status)
        if remaining:
            self.m.after(0.1, ("CustomResourceDefinition", "", meta["name"]))
            return
        finalizers = [
            f
            for f in crd["metadata"].get("finalizers") or ()
            if f != customresources.CLEANUP_FINALIZER
        ]
        self.m.api.update(
            CRD,
            "",
            meta["name"],
            {**crd, "metadata": {**crd["metadata"], "finalizers": finalizers}},
        )

    def _types_of(self, crd_name: str) -> list[ResourceType]:
        return [rt for rt in self.m.api.types.custom() if rt.custom and rt.custom.crd == crd_name]

    def _delete(self, rt: ResourceType, obj: Obj) -> None:
        meta = obj["metadata"]
        try:
            self.m.api.delete(rt, meta.get("namespace", ""), meta["name"])
        except ApiError as e:
            if e.code != 404:
                raise


def _status(crd: Obj) -> dict[str, Any]:
    """What the naming and establishing controllers report for a CRD they accept."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    previous = (crd.get("status") or {}).get("conditions") or []
    accepted = {
        k: names[k]
        for k in ("plural", "singular", "shortNames", "kind", "listKind", "categories")
        if names.get(k)
    }
    storage = [v["name"] for v in spec.get("versions") or () if v.get("storage")]
    stored = list((crd.get("status") or {}).get("storedVersions") or ())
    stored += [v for v in storage if v not in stored]
    return {
        "conditions": [
            condition("NamesAccepted", True, "NoConflicts", "no conflicts found", previous),
            condition(
                "Established",
                True,
                "InitialNamesAccepted",
                "the initial names have been accepted",
                previous,
            ),
        ],
        "acceptedNames": accepted,
        "storedVersions": stored,
    }


def _merge(conditions: list[Obj], new: Obj) -> list[Obj]:
    return [*(c for c in conditions if c.get("type") != new["type"]), new]
