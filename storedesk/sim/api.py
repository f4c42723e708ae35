"""The API server's verbs and their semantics, independent of HTTP.

Both the HTTP layer and the simulated controllers write through `Api`, so objects made by
a ReplicaSet controller meet the same defaulting, LimitRange and ResourceQuota admission
as objects a client posts, in the order a real kube-apiserver applies them:
decode + field validation -> defaulting -> namespace lifecycle -> LimitRanger ->
quota -> storage.
"""

from __future__ import annotations

import base64
import builtins
import copy
import fnmatch
import json
import secrets
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from storedesk.sim import admission, defaults, managed, patch, validation
from storedesk.sim import apply as ssa
from storedesk.sim import resources as res
from storedesk.sim import schema as schemas
from storedesk.sim.errors import (
    ApiError,
    already_exists,
    bad_request,
    conflict,
    forbidden,
    invalid,
    not_found,
)
from storedesk.sim.resources import ResourceType
from storedesk.sim.selectors import field_matcher, label_matcher
from storedesk.sim.store import Obj, Store

_NAMESPACE = res.lookup("", "v1", "namespaces")
assert _NAMESPACE is not None  # a built-in type
NAMESPACE: ResourceType = _NAMESPACE
# Kinds whose registry sets metadata.generation (and bumps it on spec changes).
_GENERATION_KINDS = {
    "Deployment",
    "ReplicaSet",
    "StatefulSet",
    "Job",
    "Ingress",
    "NetworkPolicy",
    "PodDisruptionBudget",
    "Pod",
    "IngressClass",
    "DaemonSet",
    "CronJob",
    "ReplicationController",
    "EndpointSlice",
    "CustomResourceDefinition",
}
_CRD_CLEANUP = "customresourcecleanup.apiextensions.k8s.io"
# Registries that answer an immediate DELETE with the deleted object (ReturnDeletedObject);
# every other answers a Status with details.
_RETURNS_DELETED_OBJECT = {
    "pods",
    "services",
    "namespaces",
    "persistentvolumes",
    "persistentvolumeclaims",
    "podtemplates",
    "resourcequotas",
    "serviceaccounts",
    "customresourcedefinitions",
}
_NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789"  # what the apiserver uses for generateName suffixes


def now_iso() -> str:
    """Current time as the API prints it (RFC 3339, seconds, UTC)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def random_suffix(length: int = 5) -> str:
    """A name suffix like the apiserver's generateName and controllers use."""
    return "".join(secrets.choice(_NAME_CHARS) for _ in range(length))


@dataclass
class WriteOptions:
    """Query parameters that change how a write is handled."""

    field_validation: str = "Warn"  # the server default when the client names none
    dry_run: bool = False
    field_manager: str | None = None
    force: bool = False
    # The User-Agent an update is recorded under when it names no manager; None for the
    # simulator's own controllers.
    user_agent: str | None = None


@dataclass
class WriteResult:
    """A stored (or, for dry-run, would-be) object and the warnings to send with it."""

    obj: Obj
    warnings: list[str] = field(default_factory=list)
    created: bool = False


class Api:
    """Verbs over the store: create, get, list, update, patch, delete, deletecollection."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.types = res.Registry()  # built-in types plus those CRDs define
        self.index = schemas.load()
        self.fields = managed.FieldManager(self.index)
        self._ip_lock = threading.Lock()
        self._next_ip = 1
        self._next_node_port = 30000
        # Called with (namespace) when an object affecting quota usage changes.
        self.on_deleted: list[Callable[[ResourceType, Obj], None]] = []

    # -- reading -------------------------------------------------------------------------

    def get(self, rt: ResourceType, namespace: str, name: str) -> Obj:
        """The object, or a 404."""
        obj = self.store.get(rt, namespace if rt.namespaced else "", name)
        if obj is None:
            raise not_found(rt.plural, rt.group, name)
        return obj

    def list(
        self,
        rt: ResourceType,
        namespace: str | None,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
        limit: int = 0,
        continue_token: str | None = None,
    ) -> Obj:
        """A list object (e.g. PodList) with a resourceVersion and, when limited, `continue`."""
        labels = label_matcher(label_selector)
        fields = field_matcher(field_selector, rt.kind)
        with self.store.lock:
            rv = self.store.resource_version
            items = [o for o in self.store.items(rt, namespace) if labels(o) and fields(o)]
        meta: dict[str, Any] = {"resourceVersion": str(rv)}
        if continue_token:
            start = _decode_continue(continue_token)
            items = [o for o in items if _sort_key(o) > start]
        if limit and len(items) > limit:
            meta["continue"] = _encode_continue(_sort_key(items[limit - 1]), rv)
            meta["remainingItemCount"] = len(items) - limit
            items = items[:limit]
        return {
            "kind": rt.list_kind,
            "apiVersion": rt.group_version,
            "metadata": meta,
            "items": items,
        }

    # -- writing -------------------------------------------------------------------------

    def create(
        self, rt: ResourceType, namespace: str, body: Obj, opts: WriteOptions | None = None
    ) -> WriteResult:
        """POST: admit and store a new object (409 if the name exists)."""
        opts = opts or WriteOptions()
        _check_field_manager(opts, "CreateOptions")
        body = self._check_identity(rt, namespace, body)
        with self.store.lock:
            return self._create(rt, namespace, body, opts)

    def update(
        self,
        rt: ResourceType,
        namespace: str,
        name: str,
        body: Obj,
        opts: WriteOptions | None = None,
        *,
        subresource: str | None = None,
    ) -> WriteResult:
        """PUT: replace an object (or only its status), with optimistic concurrency."""
        opts = opts or WriteOptions()
        _check_field_manager(opts, "UpdateOptions")
        body = self._check_identity(rt, namespace, body, name)
        with self.store.lock:
            old = self.store.get(rt, namespace if rt.namespaced else "", name)
            if old is None:
                if subresource is None and rt.kind == "Endpoints":
                    return self._create(rt, namespace, body, opts)  # AllowCreateOnUpdate
                raise not_found(rt.plural, rt.group, name)
            return self._update(rt, old, body, opts, subresource)

    def patch(
        self,
        rt: ResourceType,
        namespace: str,
        name: str,
        content_type: str,
        body: Any,
        opts: WriteOptions | None = None,
        *,
        subresource: str | None = None,
    ) -> WriteResult:
        """PATCH with any of the four patch types; apply creates missing objects."""
        opts = opts or WriteOptions()
        _check_field_manager(opts, "PatchOptions")
        key_ns = namespace if rt.namespaced else ""
        with self.store.lock:
            old = self.store.get(rt, key_ns, name)
            if content_type == "application/apply-patch+yaml":
                return self._apply(rt, namespace, name, old, body, opts, subresource)
            if old is None:
                raise not_found(rt.plural, rt.group, name)
            schema = self.index.for_kind(rt.group, rt.version, rt.kind)
            current = _copy_for_patch(old, content_type)
            if content_type == "application/json-patch+json":
                patched = patch.apply_json_patch(current, body)
            elif content_type == "application/merge-patch+json":
                patched = patch.apply_merge_patch(current, body)
            elif content_type == "application/strategic-merge-patch+json":
                patched = patch.apply_strategic_merge_patch(current, body, schema, self.index)
            else:
                raise ApiError(
                    415,
                    "the body of the request was in an unknown format - "
                    "accepted media types include: application/json-patch+json, "
                    "application/merge-patch+json, "
                    "application/apply-patch+yaml, "
                    "application/strategic-merge-patch+json",
                )
            # A patch that names a resourceVersion is a conditional write, like PUT.
            patched_rv = (patched.get("metadata") or {}).get("resourceVersion")
            if patched_rv is None:
                patched.setdefault("metadata", {})["resourceVersion"] = old["metadata"][
                    "resourceVersion"
                ]
            patched = self._check_identity(rt, namespace, patched, name)
            kind = "strategic" if content_type.startswith("application/strategic") else "merge"
            return self._update(
                rt, old, patched, opts, subresource, patch_type=kind, patch_body=body
            )

    def delete(
        self,
        rt: ResourceType,
        namespace: str,
        name: str,
        options: Obj | None = None,
        *,
        dry_run: bool = False,
    ) -> Obj:
        """DELETE: remove now, or mark for deletion when finalizers or grace apply."""
        options = options or {}
        with self.store.lock:
            old = self.get(rt, namespace, name)
            _check_preconditions(rt, old, options.get("preconditions") or {})
            if dry_run:
                return old
            return self._delete(rt, old, options)

    def delete_collection(
        self,
        rt: ResourceType,
        namespace: str | None,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
        options: Obj | None = None,
    ) -> Obj:
        """DELETE on a collection: delete every matching object; returns the list deleted."""
        listed = self.list(
            rt, namespace, label_selector=label_selector, field_selector=field_selector
        )
        with self.store.lock:
            for obj in listed["items"]:
                current = self.store.get(
                    rt, obj["metadata"].get("namespace", ""), obj["metadata"]["name"]
                )
                if current is not None:
                    self._delete(rt, current, options or {})
        return listed

    # -- internal: the write pipeline -----------------------------------------------------

    def _check_identity(
        self, rt: ResourceType, namespace: str, body: Any, name: str | None = None
    ) -> Obj:
        """The body must be an object of this resource's kind, in this namespace, named so."""
        body = _require_object(body)
        kind, api_version = body.get("kind"), body.get("apiVersion")
        if (kind and kind != rt.kind) or (api_version and api_version != rt.group_version):
            raise bad_request(
                f"the API version in the data ({api_version}) does not match the expected API "
                f"version ({rt.group_version})"
                if api_version != rt.group_version
                else f'{kind} in version "{rt.version}" cannot be handled as a {rt.kind}: '
                f"kind mismatch"
            )
        body = {**body, "kind": rt.kind, "apiVersion": rt.group_version}
        meta = body.get("metadata")
        meta = dict(meta) if isinstance(meta, dict) else {}
        if rt.namespaced:
            if meta.get("namespace") and meta["namespace"] != namespace:
                raise bad_request(
                    "the namespace of the provided object does not match the "
                    "namespace sent on the request"
                )
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)
        if name is not None:
            if meta.get("name") and meta["name"] != name:
                raise bad_request(
                    "the name of the object "
                    f"({meta['name']}) does not match the name on the URL ({name})"
                )
            meta["name"] = name
        body["metadata"] = meta
        return body

    def _admit(
        self,
        rt: ResourceType,
        obj: Obj,
        opts: WriteOptions,
        *,
        creating: bool,
        apply: bool = False,
        patch_type: str | None = None,
        patch_body: Any = None,
        track: Callable[[Obj, Any], Obj] | None = None,
    ) -> tuple[Obj, builtins.list[str]]:
        """Decoding, defaulting, field ownership (`track`, given the object and the
        managedFields the request carried), mutating admission, then validation (the
        server's order)."""
        # managedFields are the field manager's business: decoding and defaulting them
        # would only copy them (they are large).
        sent_fields = obj["metadata"].get("managedFields", managed.NOT_SENT)
        if sent_fields is not managed.NOT_SENT:
            meta = {k: v for k, v in obj["metadata"].items() if k != "managedFields"}
            obj = {**obj, "metadata": meta}
        obj, warnings = validation.validate_object(
            obj,
            rt,
            field_validation=opts.field_validation,
            apply=apply,
            patch_type=patch_type,
            patch=patch_body,
            semantics=False,
        )
        obj = defaults.apply_defaults(
            obj,
            rt.plural,
            allocate_cluster_ip=self._allocate_ip,
            allocate_node_port=self._allocate_node_port,
            creating=creating,
            priority_classes=self._cluster_objects("scheduling.k8s.io", "priorityclasses"),
        )
        if track is not None:
            obj = track(obj, None if sent_fields is managed.NOT_SENT else sent_fields)
        namespace = obj["metadata"].get("namespace", "")
        if creating and rt.namespaced:
            self._check_namespace_open(rt, obj, namespace)
        if creating and rt.plural in ("pods", "persistentvolumeclaims"):
            obj = admission.apply_limit_ranges(
                obj, rt.plural, self._in_namespace("limitranges", namespace)
            )
        if creating and rt.plural in ("persistentvolumeclaims", "persistentvolumes"):
            obj = admission.storage_admission(obj, rt.plural, self._storage_classes())
        validation.validate_semantics(obj, rt)
        hooks = self._cluster_objects("admissionregistration.k8s.io", "*webhookconfigurations")
        return obj, [*warnings, *admission.webhook_warnings(rt, obj, creating, hooks)]

    def _check_quota(self, rt: ResourceType, obj: Obj, namespace: str) -> None:
        quotas = self._in_namespace("resourcequotas", namespace) if rt.namespaced else []
        if quotas:
            admission.check_quota(obj, rt.plural, quotas, self._objects_for_quota(namespace))

    def _objects_for_quota(self, namespace: str) -> dict[str, builtins.list[Obj]]:
        return {
            rt.plural: list(self.store.items(rt, namespace))
            for rt in res.RESOURCE_TYPES
            if rt.namespaced
        }

    def _cluster_objects(self, group: str, plural: str) -> builtins.list[Obj]:
        """Stored cluster-scoped objects of a type ("*" matches a plural's start)."""
        return [
            obj
            for rt in res.RESOURCE_TYPES
            if rt.group == group and fnmatch.fnmatchcase(rt.plural, plural)
            for obj in self.store.items(rt)
        ]

    def _storage_classes(self) -> builtins.list[Obj]:
        rt = res.lookup("storage.k8s.io", "v1", "storageclasses")
        assert rt is not None
        return list(self.store.items(rt))

    def _in_namespace(self, plural: str, namespace: str) -> builtins.list[Obj]:
        rt = res.lookup("", "v1", plural)
        assert rt is not None
        return list(self.store.items(rt, namespace))

    def _check_namespace_open(self, rt: ResourceType, obj: Obj, namespace: str) -> None:
        ns = self.store.get(NAMESPACE, "", namespace)
        name = obj["metadata"].get("name") or obj["metadata"].get("generateName", "")
        if ns is None:
            raise not_found("namespaces", "", namespace)
        if ns["metadata"].get("deletionTimestamp"):
            raise forbidden(
                rt.plural,
                rt.group,
                name,
                f"unable to create new content in namespace {namespace} because it is being "
                f"terminated",
                causes=[
                    {
                        "reason": "NamespaceTerminating",
                        "message": f"namespace {namespace} is being terminated",
                        "field": "metadata.namespace",
                    }
                ],
            )

    def _create(
        self,
        rt: ResourceType,
        namespace: str,
        body: Obj,
        opts: WriteOptions,
        *,
        apply: bool = False,
        managed_fields: builtins.list[Obj] | None = None,
    ) -> WriteResult:
        meta = body["metadata"]
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"] + random_suffix()
        meta["uid"] = str(uuid.uuid4())  # before defaulting: a Job's selector names it
        sent = body

        def track(obj: Obj, sent_fields: Any) -> Obj:
            if apply:
                return _with_managed(obj, managed_fields)
            view = _unallocated(rt, sent, obj)
            entries = self.fields.update(
                self._schema(rt),
                None,
                view,
                self._manager(rt, opts),
                rt.group_version,
                sent=sent_fields,
                now=now_iso(),
            )
            return _with_managed(obj, entries)

        obj, warnings = self._admit(rt, body, opts, creating=True, apply=apply, track=track)
        meta = obj["metadata"]
        key_ns = namespace if rt.namespaced else ""
        if self.store.get(rt, key_ns, meta["name"]) is not None:
            raise already_exists(rt.plural, rt.group, meta["name"])
        self._check_quota(rt, obj, key_ns)
        for transient in (
            "resourceVersion",
            "deletionTimestamp",
            "selfLink",
            "deletionGracePeriodSeconds",
        ):
            meta.pop(transient, None)
        meta["creationTimestamp"] = now_iso()
        if _has_generation(rt):
            meta["generation"] = 1
        else:
            meta.pop("generation", None)
        if "status" in rt.subresources and rt.custom is not None:
            obj.pop("status", None)  # a custom resource starts without one
        elif "status" in rt.subresources:
            obj["status"] = _initial_status(rt, obj)
        if opts.dry_run:
            return WriteResult(obj, warnings, created=True)
        meta["resourceVersion"] = str(self.store.next_rv())
        self.store.put(rt, obj, "ADDED", None)
        return WriteResult(obj, warnings, created=True)

    def _update(
        self,
        rt: ResourceType,
        old: Obj,
        body: Obj,
        opts: WriteOptions,
        subresource: str | None,
        *,
        apply: bool = False,
        patch_type: str | None = None,
        patch_body: Any = None,
        managed_fields: builtins.list[Obj] | None = None,
    ) -> WriteResult:
        meta = body["metadata"]
        name = old["metadata"]["name"]
        sent_rv = meta.get("resourceVersion")
        if sent_rv and sent_rv != old["metadata"]["resourceVersion"]:
            raise conflict(
                rt.plural,
                rt.group,
                name,
                "the object has been modified; please apply your changes to the "
                "latest version and try again",
            )
        if subresource == "status":
            # Only status changes through /status; everything else stays as stored.
            new = self._track_update(
                rt,
                old,
                {**old, "status": body.get("status", {})},
                opts,
                "status",
                old["metadata"].get("managedFields"),
            )
            warnings: list[str] = []
        else:
            if rt.kind == "Service":
                body = _keep_allocations(old, body)

            def track(obj: Obj, sent_fields: Any) -> Obj:
                if apply:
                    return _with_managed(obj, managed_fields)
                return self._track_update(rt, old, obj, opts, subresource or "", sent_fields)

            new, warnings = self._admit(
                rt,
                body,
                opts,
                creating=False,
                apply=apply,
                patch_type=patch_type,
                patch_body=patch_body,
                track=track,
            )
            if "status" in rt.subresources:
                new["status"] = old.get("status", {})  # status changes only through /status
                if rt.custom is not None and "status" not in old:
                    new.pop("status")
            _check_immutable(rt, old, new)
        new_meta = new["metadata"]
        for kept in (
            "uid",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "generation",
        ):
            if kept in old["metadata"]:
                new_meta[kept] = old["metadata"][kept]
            else:
                new_meta.pop(kept, None)
        if old["metadata"].get("deletionTimestamp"):
            # Finalizers may be removed from an object being deleted, never added.
            added = set(new_meta.get("finalizers") or ()) - set(
                old["metadata"].get("finalizers") or ()
            )
            if added:
                raise forbidden(
                    rt.plural,
                    rt.group,
                    name,
                    "no new finalizers can be added if the object is being deleted, "
                    f"found new finalizers {sorted(added)}",
                )
        if _has_generation(rt) and _spec_changed(old, new):
            new_meta["generation"] = int(old["metadata"].get("generation", 1)) + 1
        if _same_object(old, new):
            return WriteResult(old, warnings)  # a no-op write keeps the resourceVersion
        if opts.dry_run:
            return WriteResult(new, warnings)
        if _last_finalizer_removed(rt, old, new):
            return WriteResult(self._remove(rt, old), warnings)
        new_meta["resourceVersion"] = str(self.store.next_rv())
        self.store.put(rt, new, "MODIFIED", old)
        return WriteResult(new, warnings)

    def _apply(
        self,
        rt: ResourceType,
        namespace: str,
        name: str,
        old: Obj | None,
        body: Any,
        opts: WriteOptions,
        subresource: str | None,
    ) -> WriteResult:
        if not opts.field_manager:
            raise invalid(
                "PatchOptions",
                "meta.k8s.io",
                "",
                [("fieldManager", "Required value: is required for apply patch")],
            )
        applied = self._check_identity(rt, namespace, body, name)
        if applied["metadata"].get("managedFields") is not None:
            raise bad_request("metadata.managedFields must be nil")
        schema = self.index.for_kind(rt.group, rt.version, rt.kind)
        merged = ssa.server_side_apply(
            managed.copy_object(old) if old else None, applied, schema, self.index
        )
        merged = self._check_identity(rt, namespace, merged, name)
        merged, entries = self.fields.apply(
            self._schema(rt),
            old,
            merged,
            applied,
            opts.field_manager,
            rt.group_version,
            force=opts.force,
            status_subresource="status" in rt.subresources,
            now=now_iso(),
        )
        if old is None:
            return self._create(rt, namespace, merged, opts, apply=True, managed_fields=entries)
        merged["metadata"]["resourceVersion"] = (
            applied["metadata"].get("resourceVersion") or old["metadata"]["resourceVersion"]
        )
        return self._update(rt, old, merged, opts, subresource, apply=True, managed_fields=entries)

    def _schema(self, rt: ResourceType) -> Any:
        """The kind's schema for the field manager (None: deduced from the values)."""
        return self.fields.types.root(rt.group, rt.version, rt.kind)

    def _manager(self, rt: ResourceType, opts: WriteOptions, subresource: str = "") -> str:
        """Who an update is recorded under: fieldManager, else the User-Agent's first
        word, else (our own controllers) the component a cluster would name."""
        if opts.field_manager:
            return opts.field_manager
        if opts.user_agent is not None:
            return _agent_prefix(opts.user_agent) or "unknown"
        if subresource == "status" and rt.kind in ("Pod", "Node"):
            return "kubelet"
        return "kube-controller-manager"

    def _track_update(
        self,
        rt: ResourceType,
        old: Obj,
        new: Obj,
        opts: WriteOptions,
        subresource: str,
        sent_fields: Any = None,
    ) -> Obj:
        """`new` with the managedFields an update by this request's manager leaves
        (`sent_fields`: what the request carried; None: nothing)."""
        manager = self._manager(rt, opts, subresource)
        if subresource == "scale":
            entries = self.fields.scale(old, new, manager, rt.group_version)
        else:
            entries = self.fields.update(
                self._schema(rt),
                old,
                new,
                manager,
                rt.group_version,
                sent=sent_fields,
                subresource=subresource,
                status_subresource="status" in rt.subresources,
                now=now_iso(),
            )
        return _with_managed(new, entries)

    def _delete(self, rt: ResourceType, old: Obj, options: Obj) -> Obj:
        meta = old["metadata"]
        policy = options.get("propagationPolicy")
        if options.get("orphanDependents") is True:
            policy = "Orphan"
        finalizers = list(meta.get("finalizers") or ())
        if policy == "Foreground" and "foregroundDeletion" not in finalizers:
            finalizers.append("foregroundDeletion")
        elif policy == "Orphan" and "orphan" not in finalizers:
            finalizers.append("orphan")
        if rt.kind == "CustomResourceDefinition" and _CRD_CLEANUP not in finalizers:
            finalizers.append(_CRD_CLEANUP)  # its objects go first (the CRD finalizer)
        deferred = bool(finalizers) or rt.kind == "Namespace" or _graceful_pod(rt, old, options)
        if not deferred:
            return self._remove(rt, old, status=True)
        if meta.get("deletionTimestamp"):
            return old  # already being deleted
        new = managed.copy_object(old)
        new_meta = new["metadata"]
        new_meta["deletionTimestamp"] = now_iso()
        new_meta["deletionGracePeriodSeconds"] = int(
            options.get("gracePeriodSeconds", _grace(rt, old)) or 0
        )
        if finalizers:
            new_meta["finalizers"] = finalizers
        if rt.kind == "Namespace":
            new["status"] = {**new.get("status", {}), "phase": "Terminating"}
        if _has_generation(rt):
            new_meta["generation"] = int(meta.get("generation", 1)) + 1
        new_meta["resourceVersion"] = str(self.store.next_rv())
        self.store.put(rt, new, "MODIFIED", old)
        return new

    def _remove(self, rt: ResourceType, obj: Obj, *, status: bool = False) -> Obj:
        """Remove from storage now; garbage collection of dependents follows."""
        gone = self.store.remove(rt, obj)
        for callback in self.on_deleted:
            callback(rt, gone)
        if not status:
            return gone
        if rt.plural in _RETURNS_DELETED_OBJECT:
            return obj  # as last stored, before the deletion's resourceVersion
        details = {"name": obj["metadata"]["name"]}
        if rt.group:
            details["group"] = rt.group
        details["kind"] = rt.plural  # the registry puts the resource here, not the kind
        details["uid"] = obj["metadata"]["uid"]
        return {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Success",
            "details": details,
        }

    def finish_deletion(self, rt: ResourceType, obj: Obj) -> None:
        """Remove an object whose deferred deletion is due (grace over), unless finalizers
        still hold it; removing the last finalizer then completes the deletion."""
        with self.store.lock:
            meta = obj["metadata"]
            current = self.store.get(rt, meta.get("namespace", ""), meta["name"])
            if (
                current is not None
                and current["metadata"]["uid"] == meta["uid"]
                and not current["metadata"].get("finalizers")
            ):
                self._remove(rt, current)

    def _allocate_ip(self) -> str:
        # Sequential from 10.96.0.2 (10.96.0.1 is the `kubernetes` Service), skipping
        # addresses in use: a restored state or a client may have taken them.
        service = res.lookup("", "v1", "services")
        assert service is not None
        used = {s.get("spec", {}).get("clusterIP") for s in self.store.items(service)}
        with self._ip_lock:
            while True:
                n = self._next_ip
                self._next_ip += 1
                address = f"10.96.{n // 250}.{n % 250 + 1}"
                if address not in used:
                    return address

    def _allocate_node_port(self) -> int:
        with self._ip_lock:
            self._next_node_port += 1
            return self._next_node_port


def _has_generation(rt: ResourceType) -> bool:
    """Whether the registry keeps metadata.generation (custom resources always do)."""
    return rt.kind in _GENERATION_KINDS or rt.custom is not None


def _copy_for_patch(old: Obj, content_type: str) -> Obj:
    """A copy to patch. Merge and strategic patches replace managedFields whole if they
    name them at all, so the stored list is shared rather than copied; a JSON patch may
    reach inside, so it gets a deep copy."""
    entries = old["metadata"].get("managedFields")
    if content_type == "application/json-patch+json" or entries is None:
        return copy.deepcopy(old)
    meta = {k: v for k, v in old["metadata"].items() if k != "managedFields"}
    current = copy.deepcopy({**old, "metadata": meta})
    current["metadata"]["managedFields"] = entries
    return current


def _with_managed(obj: Obj, entries: list[Obj] | None) -> Obj:
    """`obj` carrying these managedFields (None: none at all), last in its metadata."""
    meta = {k: v for k, v in obj["metadata"].items() if k != "managedFields"}
    if entries:
        meta["managedFields"] = entries
    return {**obj, "metadata": meta}


def _unallocated(rt: ResourceType, sent: Obj, obj: Obj) -> Obj:
    """A new Service as the field manager sees it: before the registry allocates its
    addresses and ports (what the client did not send is nobody's)."""
    if rt.kind != "Service":
        return obj
    sent_spec, spec = sent.get("spec") or {}, dict(obj.get("spec") or {})
    for key in ("clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"):
        if key not in sent_spec:
            spec.pop(key, None)
    sent_ports = {
        (p.get("port"), p.get("protocol", "TCP")): p for p in sent_spec.get("ports") or []
    }
    ports = []
    for port in spec.get("ports") or []:
        if "nodePort" not in sent_ports.get((port.get("port"), port.get("protocol", "TCP")), {}):
            port = {k: v for k, v in port.items() if k != "nodePort"}
        ports.append(port)
    if ports:
        spec["ports"] = ports
    return {**obj, "spec": spec}


def _check_field_manager(opts: WriteOptions, options_kind: str) -> None:
    """ValidateFieldManager: at most 128 bytes, printable characters only."""
    manager = opts.field_manager or ""
    causes = []
    if len(manager.encode()) > 128:
        causes.append(("fieldManager", "Too long: may not be more than 128 bytes"))
    for at, char in enumerate(manager):
        if not char.isprintable():
            shown = json.dumps(manager, ensure_ascii=False)
            causes.append(
                (
                    "fieldManager",
                    f"Invalid value: {shown}: invalid character U+{ord(char):04X} "
                    f"(at position {at})",
                )
            )
    if causes:
        raise invalid(options_kind, "meta.k8s.io", "", causes)


def _agent_prefix(user_agent: str) -> str:
    """prefixFromUserAgent: up to the first "/", printable, at most 128 bytes."""
    out = ""
    for char in user_agent.split("/")[0]:
        if not char.isprintable():
            continue
        if len((out + char).encode()) > 128:
            break
        out += char
    return out


def _require_object(body: Any) -> Obj:
    if not isinstance(body, dict):
        raise bad_request("the body of the request must be an object")
    return body


def _sort_key(obj: Obj) -> str:
    meta = obj["metadata"]
    return f"{meta.get('namespace', '')}/{meta['name']}"


def _encode_continue(start: str, rv: int) -> str:
    raw = json.dumps({"v": "meta.k8s.io/v1", "rv": rv, "start": start}).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _decode_continue(token: str) -> str:
    try:
        return str(json.loads(base64.urlsafe_b64decode(token.encode()))["start"])
    except (ValueError, KeyError, TypeError) as e:
        raise bad_request(f"continue key is not valid: {e}") from None


def _check_preconditions(rt: ResourceType, obj: Obj, pre: Obj) -> None:
    meta = obj["metadata"]
    if pre.get("uid") and pre["uid"] != meta["uid"]:
        raise conflict(
            rt.plural,
            rt.group,
            meta["name"],
            f"Precondition failed: UID in precondition: {pre['uid']}, "
            f"UID in object meta: {meta['uid']}",
        )
    if pre.get("resourceVersion") and pre["resourceVersion"] != meta["resourceVersion"]:
        raise conflict(
            rt.plural,
            rt.group,
            meta["name"],
            f"Precondition failed: ResourceVersion in precondition: "
            f"{pre['resourceVersion']}, ResourceVersion in object meta: "
            f"{meta['resourceVersion']}",
        )


def _grace(rt: ResourceType, obj: Obj) -> int:
    if rt.kind == "Pod":
        return int(obj.get("spec", {}).get("terminationGracePeriodSeconds", 30))
    return 0


def _graceful_pod(rt: ResourceType, obj: Obj, options: Obj) -> bool:
    """Pods on a node terminate gracefully (the kubelet removes them) unless grace is 0."""
    if rt.kind != "Pod" or not obj.get("spec", {}).get("nodeName"):
        return False
    if obj.get("status", {}).get("phase") in ("Succeeded", "Failed"):
        return False  # nothing left to stop
    return int(options.get("gracePeriodSeconds", _grace(rt, obj)) or 0) > 0


def _keep_allocations(old: Obj, body: Obj) -> Obj:
    """A Service update that omits what the server allocated keeps it (like the registry)."""
    spec_old, spec_new = old.get("spec") or {}, dict(body.get("spec") or {})
    for key in ("clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"):
        if key in spec_old and not spec_new.get(key):
            spec_new[key] = spec_old[key]
    old_ports = {(p.get("port"), p.get("protocol", "TCP")): p for p in spec_old.get("ports", [])}
    ports = []
    for port in spec_new.get("ports") or []:
        previous = old_ports.get((port.get("port"), port.get("protocol", "TCP")), {})
        if (
            "nodePort" in previous
            and not port.get("nodePort")
            and spec_new.get("type") in ("NodePort", "LoadBalancer")
        ):
            port = {**port, "nodePort": previous["nodePort"]}
        ports.append(port)
    if ports:
        spec_new["ports"] = ports
    return {**body, "spec": spec_new}


def _initial_status(rt: ResourceType, obj: Obj) -> Obj:
    """Status a new object starts with (clients cannot set it on create)."""
    if rt.kind == "Service":
        return {"loadBalancer": {}}
    if rt.kind == "PodDisruptionBudget":
        return {
            "currentHealthy": 0,
            "desiredHealthy": 0,
            "disruptionsAllowed": 0,
            "expectedPods": 0,
        }
    if rt.kind == "Pod":
        return {"phase": "Pending", "qosClass": _qos_class(obj)}
    if rt.kind == "Namespace":
        return {"phase": "Active"}
    if rt.kind == "PersistentVolumeClaim":
        return {"phase": "Pending"}
    return {}


def _qos_class(pod: Obj) -> str:
    containers = pod.get("spec", {}).get("containers", [])
    requests_limits = [(c.get("resources") or {}) for c in containers]
    if not any(r.get("requests") or r.get("limits") for r in requests_limits):
        return "BestEffort"
    guaranteed = all(
        r.get("limits", {}).get(k)
        and r.get("requests", {}).get(k, r["limits"][k]) == r["limits"][k]
        for r in requests_limits
        for k in ("cpu", "memory")
    )
    return "Guaranteed" if guaranteed else "Burstable"


def _last_finalizer_removed(rt: ResourceType, old: Obj, new: Obj) -> bool:
    """An object being deleted lost its last finalizer: the deletion completes now.

    Pods still within their grace period stay until the kubelet is done with them."""
    old_meta, new_meta = old["metadata"], new["metadata"]
    if not old_meta.get("deletionTimestamp") or not old_meta.get("finalizers"):
        return False
    if new_meta.get("finalizers"):
        return False
    return rt.kind != "Pod" or not _graceful_pod(rt, old, {})


def _spec_changed(old: Obj, new: Obj) -> bool:
    skip = ("metadata", "status", "kind", "apiVersion")
    return {k: v for k, v in old.items() if k not in skip} != {
        k: v for k, v in new.items() if k not in skip
    }


def _same_object(old: Obj, new: Obj) -> bool:
    strip = ("resourceVersion",)
    old_meta = {k: v for k, v in old["metadata"].items() if k not in strip}
    new_meta = {k: v for k, v in new["metadata"].items() if k not in strip}
    return old_meta == new_meta and {k: v for k, v in old.items() if k != "metadata"} == {
        k: v for k, v in new.items() if k != "metadata"
    }


def _check_immutable(rt: ResourceType, old: Obj, new: Obj) -> None:
    """Field immutability rules clients meet on upgrade (422 like the real validation)."""
    from storedesk.sim.errors import invalid

    name = old["metadata"]["name"]
    spec_old, spec_new = old.get("spec") or {}, new.get("spec") or {}
    if (
        rt.kind in ("Deployment", "ReplicaSet", "Job")
        and spec_old.get("selector") != spec_new.get("selector")
        and spec_new.get("selector") is not None
    ):
        raise invalid(
            rt.kind,
            rt.group,
            name,
            [
                (
                    "spec.selector",
                    f"Invalid value: {_go_repr(spec_new.get('selector'))}: field is immutable",
                )
            ],
        )
    if rt.kind == "Job" and spec_old.get("template") != spec_new.get("template"):
        raise invalid(
            rt.kind,
            rt.group,
            name,
            [
                (
                    "spec.template",
                    f"Invalid value: {_go_repr(spec_new.get('template'))}: field is immutable",
                )
            ],
        )
    if rt.kind == "StatefulSet":
        mutable = {
            "replicas",
            "ordinals",
            "template",
            "updateStrategy",
            "persistentVolumeClaimRetentionPolicy",
            "minReadySeconds",
        }
        if {k: v for k, v in spec_old.items() if k not in mutable} != {
            k: v for k, v in spec_new.items() if k not in mutable
        }:
            raise invalid(
                rt.kind,
                rt.group,
                name,
                [
                    (
                        "spec",
                        "Forbidden: updates to statefulset spec for fields other than "
                        "'replicas', 'ordinals', 'template', 'updateStrategy', "
                        "'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are "
                        "forbidden",
                    )
                ],
            )
    if rt.kind == "Service":
        ip_old, ip_new = spec_old.get("clusterIP"), spec_new.get("clusterIP")
        if ip_old and ip_new and ip_old != ip_new:
            raise invalid(
                rt.kind,
                rt.group,
                name,
                [
                    (
                        "spec.clusterIPs[0]",
                        f'Invalid value: ["{ip_new}"]: may not change once set',
                    )
                ],
            )
    if (
        rt.kind in ("Secret", "ConfigMap")
        and old.get("immutable")
        and any(old.get(k) != new.get(k) for k in ("data", "binaryData", "stringData"))
    ):
        raise invalid(
            rt.kind,
            rt.group,
            name,
            [("data", "Forbidden: field is immutable when `immutable` is set")],
        )


def _go_repr(value: Any) -> str:
    """Values in immutability messages (the real server prints Go structs; JSON is close)."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True)
