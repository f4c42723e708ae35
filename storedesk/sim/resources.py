"""The resource types the simulator serves: names, scope, verbs, as discovery reports them."""

from __future__ import annotations

from dataclasses import dataclass

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
NO_COLLECTION = ("create", "delete", "get", "list", "patch", "update", "watch")


@dataclass(frozen=True)
class ResourceType:
    """One REST resource (e.g. apps/v1 deployments)."""

    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool = True
    short_names: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ALL_VERBS
    categories: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ()  # e.g. ("status", "scale")

    @property
    def singular(self) -> str:
        """Lower-case kind, as discovery reports `singularName`."""
        return self.kind.lower()

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
    ResourceType("apps", "v1", "ControllerRevision", "controllerrevisions"),
    ResourceType("batch", "v1", "Job", "jobs", categories=_ALL, subresources=("status",)),
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
