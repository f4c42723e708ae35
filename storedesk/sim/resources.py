"""The resource types the simulator serves: names, scope, verbs, as discovery reports them."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
NO_COLLECTION = ("create", "delete", "get", "list", "patch", "update", "watch")
CREATE_ONLY = ("create",)  # the review APIs: answered, never stored


@dataclass
class CustomInfo:
    """What a CustomResourceDefinition says about one served version of its resource.

    Mutable on purpose: a CRD update changes the schema in place, so the ResourceType (the
    store's key, and what watches compare by identity) stays the same object."""

    crd: str  # the CRD's name, e.g. widgets.example.com
    schema: dict[str, Any] = field(default_factory=dict)  # openAPIV3Schema
    printer_columns: list[dict[str, Any]] = field(default_factory=list)
    scale: dict[str, Any] | None = None  # subresources.scale of this version
    compiled: Any = None  # the validator's compiled form, built on first use


@dataclass(frozen=True)
class ResourceType:
    """One REST resource (e.g. apps/v1 deployments)."""

    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool = True
    # Identity is (group, version, kind, plural, scope): the rest describes the type, and a
    # CRD update may change it while the store keeps finding the objects under the type.
    short_names: tuple[str, ...] = field(default=(), compare=False)
    verbs: tuple[str, ...] = field(default=ALL_VERBS, compare=False)
    categories: tuple[str, ...] = field(default=(), compare=False)
    subresources: tuple[str, ...] = field(default=(), compare=False)  # e.g. ("status", "scale")
    # Set for resources a CustomResourceDefinition defines.
    custom: CustomInfo | None = field(default=None, compare=False, repr=False)
    # A CRD's spec.names.singular (built-ins use the lower-case kind).
    singular_name: str = field(default="", compare=False)

    @property
    def singular(self) -> str:
        """Lower-case kind, as discovery reports `singularName`."""
        return self.singular_name or self.kind.lower()

    @property
    def group_version(self) -> str:
        """`v1` for core, `apps/v1` otherwise (the apiVersion objects carry)."""
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def list_kind(self) -> str:
        """Kind of the list object (e.g. DeploymentList)."""
        return self.kind + "List"


_ALL = ("all",)
RESOURCE_TYPES: tuple[ResourceType, ...] = (
    ResourceType(
        "",
        "v1",
        "Namespace",
        "namespaces",
        namespaced=False,
        short_names=("ns",),
        verbs=NO_COLLECTION,
        subresources=("status", "finalize"),
    ),
    ResourceType(
        "", "v1", "Node", "nodes", namespaced=False, short_names=("no",), subresources=("status",)
    ),
    ResourceType(
        "",
        "v1",
        "Pod",
        "pods",
        short_names=("po",),
        categories=_ALL,
        subresources=("status", "log"),
    ),
    ResourceType(
        "",
        "v1",
        "Service",
        "services",
        short_names=("svc",),
        categories=_ALL,
        verbs=ALL_VERBS,
        subresources=("status",),
    ),
    ResourceType("", "v1", "Endpoints", "endpoints", short_names=("ep",)),
    ResourceType("", "v1", "Secret", "secrets"),
    ResourceType("", "v1", "ConfigMap", "configmaps", short_names=("cm",)),
    ResourceType("", "v1", "ServiceAccount", "serviceaccounts", short_names=("sa",)),
    ResourceType(
        "",
        "v1",
        "PersistentVolumeClaim",
        "persistentvolumeclaims",
        short_names=("pvc",),
        subresources=("status",),
    ),
    ResourceType(
        "",
        "v1",
        "ResourceQuota",
        "resourcequotas",
        short_names=("quota",),
        subresources=("status",),
    ),
    ResourceType("", "v1", "LimitRange", "limitranges", short_names=("limits",)),
    ResourceType("", "v1", "Event", "events", short_names=("ev",)),
    ResourceType(
        "",
        "v1",
        "PersistentVolume",
        "persistentvolumes",
        namespaced=False,
        short_names=("pv",),
        subresources=("status",),
    ),
    ResourceType(
        "",
        "v1",
        "ReplicationController",
        "replicationcontrollers",
        short_names=("rc",),
        categories=_ALL,
        subresources=("status", "scale"),
    ),
    ResourceType(
        "apiregistration.k8s.io",
        "v1",
        "APIService",
        "apiservices",
        namespaced=False,
        categories=("api-extensions",),
        subresources=("status",),
    ),
    ResourceType(
        "apps",
        "v1",
        "Deployment",
        "deployments",
        short_names=("deploy",),
        categories=_ALL,
        subresources=("status", "scale"),
    ),
    ResourceType(
        "apps",
        "v1",
        "ReplicaSet",
        "replicasets",
        short_names=("rs",),
        categories=_ALL,
        subresources=("status", "scale"),
    ),
    ResourceType(
        "apps",
        "v1",
        "StatefulSet",
        "statefulsets",
        short_names=("sts",),
        categories=_ALL,
        subresources=("status", "scale"),
    ),
    ResourceType(
        "apps",
        "v1",
        "DaemonSet",
        "daemonsets",
        short_names=("ds",),
        categories=_ALL,
        subresources=("status",),
    ),
    ResourceType("apps", "v1", "ControllerRevision", "controllerrevisions"),
    ResourceType(
        "authentication.k8s.io",
        "v1",
        "SelfSubjectReview",
        "selfsubjectreviews",
        namespaced=False,
        verbs=CREATE_ONLY,
    ),
    ResourceType(
        "authorization.k8s.io",
        "v1",
        "SelfSubjectAccessReview",
        "selfsubjectaccessreviews",
        namespaced=False,
        verbs=CREATE_ONLY,
    ),
    ResourceType(
        "authorization.k8s.io",
        "v1",
        "SelfSubjectRulesReview",
        "selfsubjectrulesreviews",
        namespaced=False,
        verbs=CREATE_ONLY,
    ),
    ResourceType(
        "autoscaling",
        "v2",
        "HorizontalPodAutoscaler",
        "horizontalpodautoscalers",
        short_names=("hpa",),
        categories=_ALL,
        subresources=("status",),
    ),
    ResourceType("batch", "v1", "Job", "jobs", categories=_ALL, subresources=("status",)),
    ResourceType(
        "batch",
        "v1",
        "CronJob",
        "cronjobs",
        short_names=("cj",),
        categories=_ALL,
        subresources=("status",),
    ),
    ResourceType(
        "networking.k8s.io",
        "v1",
        "Ingress",
        "ingresses",
        short_names=("ing",),
        subresources=("status",),
    ),
    ResourceType("networking.k8s.io", "v1", "IngressClass", "ingressclasses", namespaced=False),
    ResourceType(
        "networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", short_names=("netpol",)
    ),
    ResourceType(
        "policy",
        "v1",
        "PodDisruptionBudget",
        "poddisruptionbudgets",
        short_names=("pdb",),
        subresources=("status",),
    ),
    ResourceType("rbac.authorization.k8s.io", "v1", "Role", "roles"),
    ResourceType("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings"),
    ResourceType(
        "rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", namespaced=False
    ),
    ResourceType(
        "rbac.authorization.k8s.io",
        "v1",
        "ClusterRoleBinding",
        "clusterrolebindings",
        namespaced=False,
    ),
    ResourceType(
        "storage.k8s.io",
        "v1",
        "StorageClass",
        "storageclasses",
        namespaced=False,
        short_names=("sc",),
    ),
    ResourceType(
        "apiextensions.k8s.io",
        "v1",
        "CustomResourceDefinition",
        "customresourcedefinitions",
        namespaced=False,
        short_names=("crd", "crds"),
        categories=("api-extensions",),
        subresources=("status",),
    ),
    ResourceType("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices"),
    ResourceType("", "v1", "PodTemplate", "podtemplates"),
    ResourceType(
        "admissionregistration.k8s.io",
        "v1",
        "MutatingWebhookConfiguration",
        "mutatingwebhookconfigurations",
        namespaced=False,
        categories=("api-extensions",),
    ),
    ResourceType(
        "admissionregistration.k8s.io",
        "v1",
        "ValidatingWebhookConfiguration",
        "validatingwebhookconfigurations",
        namespaced=False,
        categories=("api-extensions",),
    ),
    ResourceType(
        "admissionregistration.k8s.io",
        "v1",
        "ValidatingAdmissionPolicy",
        "validatingadmissionpolicies",
        namespaced=False,
        categories=("api-extensions",),
        subresources=("status",),
    ),
    ResourceType(
        "admissionregistration.k8s.io",
        "v1",
        "ValidatingAdmissionPolicyBinding",
        "validatingadmissionpolicybindings",
        namespaced=False,
        categories=("api-extensions",),
    ),
    ResourceType(
        "scheduling.k8s.io",
        "v1",
        "PriorityClass",
        "priorityclasses",
        namespaced=False,
        short_names=("pc",),
    ),
    ResourceType("coordination.k8s.io", "v1", "Lease", "leases"),
    ResourceType("node.k8s.io", "v1", "RuntimeClass", "runtimeclasses", namespaced=False),
    ResourceType("storage.k8s.io", "v1", "CSIDriver", "csidrivers", namespaced=False),
    ResourceType("storage.k8s.io", "v1", "CSINode", "csinodes", namespaced=False),
    ResourceType(
        "storage.k8s.io",
        "v1",
        "VolumeAttachment",
        "volumeattachments",
        namespaced=False,
        subresources=("status",),
    ),
)


def group_versions() -> list[tuple[str, str]]:
    """(group, version) pairs in discovery order, core first."""
    seen: list[tuple[str, str]] = []
    for rt in RESOURCE_TYPES:
        if (rt.group, rt.version) not in seen:
            seen.append((rt.group, rt.version))
    return seen


def by_group_version(group: str, version: str) -> list[ResourceType]:
    """Resource types of one group/version."""
    return [rt for rt in RESOURCE_TYPES if rt.group == group and rt.version == version]


def lookup(group: str, version: str, plural: str) -> ResourceType | None:
    """The resource type served at /apis/GROUP/VERSION/PLURAL (group "" for /api/v1)."""
    for rt in RESOURCE_TYPES:
        if rt.group == group and rt.version == version and rt.plural == plural:
            return rt
    return None


def by_kind(api_version: str, kind: str) -> ResourceType | None:
    """The resource type of objects with this apiVersion and kind."""
    for rt in RESOURCE_TYPES:
        if rt.group_version == api_version and rt.kind == kind:
            return rt
    return None


class Registry:
    """The resource types one API server serves: the built-in ones, then those its
    CustomResourceDefinitions define (added when a CRD is established, removed with it)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._custom: dict[tuple[str, str, str], ResourceType] = {}

    def all(self) -> tuple[ResourceType, ...]:
        """Every served type, built-in first."""
        with self._lock:
            return RESOURCE_TYPES + tuple(self._custom.values())

    def custom(self) -> tuple[ResourceType, ...]:
        """The types CRDs define."""
        with self._lock:
            return tuple(self._custom.values())

    def add(self, rt: ResourceType) -> ResourceType:
        """Serve `rt`; an equal type already served is kept (with rt's CRD details)."""
        key = (rt.group, rt.version, rt.plural)
        with self._lock:
            current = self._custom.get(key)
            if current is not None and _same_description(current, rt):
                # Keep the object (watches hold it); only the CRD's schema details change.
                assert current.custom is not None and rt.custom is not None
                current.custom.schema = rt.custom.schema
                current.custom.printer_columns = rt.custom.printer_columns
                current.custom.scale = rt.custom.scale
                current.custom.compiled = None
                return current
            self._custom[key] = rt
            return rt

    def remove_one(self, rt: ResourceType) -> None:
        """Stop serving one type (a version a CRD no longer serves)."""
        with self._lock:
            self._custom.pop((rt.group, rt.version, rt.plural), None)

    def remove(self, crd: str) -> list[ResourceType]:
        """Stop serving the types of one CRD; returns them."""
        with self._lock:
            gone = [rt for rt in self._custom.values() if rt.custom and rt.custom.crd == crd]
            for rt in gone:
                del self._custom[(rt.group, rt.version, rt.plural)]
            return gone

    def lookup(self, group: str, version: str, plural: str) -> ResourceType | None:
        """The type served at /apis/GROUP/VERSION/PLURAL (group "" for /api/v1)."""
        found = lookup(group, version, plural)
        if found is None:
            with self._lock:
                found = self._custom.get((group, version, plural))
        return found

    def by_kind(self, api_version: str, kind: str) -> ResourceType | None:
        """The type of objects with this apiVersion and kind."""
        return next(
            (rt for rt in self.all() if rt.group_version == api_version and rt.kind == kind),
            None,
        )

    def by_group_version(self, group: str, version: str) -> list[ResourceType]:
        """Types of one group/version."""
        return [rt for rt in self.all() if rt.group == group and rt.version == version]

    def group_versions(self) -> list[tuple[str, str]]:
        """(group, version) pairs in discovery order, core first."""
        seen: list[tuple[str, str]] = []
        for rt in self.all():
            if (rt.group, rt.version) not in seen:
                seen.append((rt.group, rt.version))
        return seen

    def by_group_plural(self, group: str, plural: str) -> ResourceType | None:
        """A type by group and plural, any version (what --state files record)."""
        return next((rt for rt in self.all() if (rt.group, rt.plural) == (group, plural)), None)


def _same_description(a: ResourceType, b: ResourceType) -> bool:
    return (
        a == b
        and a.custom is not None
        and b.custom is not None
        and (a.short_names, a.verbs, a.categories, a.subresources, a.singular_name)
        == (b.short_names, b.verbs, b.categories, b.subresources, b.singular_name)
    )
