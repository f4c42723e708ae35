"""The cluster check (`storedesk doctor`): verdicts, sentences and fixes from facts.

Pure: the adapters read the cluster and helm, and this module judges what they read.
Each check says ok, info, warning or problem, in one sentence, with the next step when
there is one. The fix texts name real commands, per kind of cluster where they differ
(kind, k3s, minikube, Docker Desktop), as those projects' own documentation gives them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

# -- results ------------------------------------------------------------------------------


class Verdict(StrEnum):
    """How a check came out; `info` is said, never counted against the cluster."""

    OK = "ok"
    INFO = "info"
    WARNING = "warning"
    PROBLEM = "problem"


_SEVERITY = {Verdict.OK: 0, Verdict.INFO: 0, Verdict.WARNING: 1, Verdict.PROBLEM: 2}


class Check(StrEnum):
    """The checks, in the order they are shown."""

    KUBERNETES = "kubernetes"
    HELM = "helm"
    RBAC = "rbac"
    STORAGE = "storage"
    INGRESS = "ingress"
    NETWORK_POLICY = "network-policy"
    CAPACITY = "capacity"


TITLES = {
    Check.KUBERNETES: "Kubernetes version",
    Check.HELM: "helm",
    Check.RBAC: "Permissions (RBAC)",
    Check.STORAGE: "Default StorageClass",
    Check.INGRESS: "Ingress controller",
    Check.NETWORK_POLICY: "NetworkPolicy enforcement",
    Check.CAPACITY: "How many stores fit",
}


@dataclass(frozen=True)
class CheckResult:
    """One check's outcome: a verdict, one sentence, the fix, and the facts behind it."""

    check: Check
    verdict: Verdict
    message: str
    fix: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def title(self) -> str:
        """How the check is named on screen."""
        return TITLES[self.check]


def worst(results: Iterable[CheckResult]) -> Verdict:
    """The most serious verdict among `results` (ok when there are none)."""
    verdicts = [r.verdict for r in results]
    return max(verdicts, key=lambda v: _SEVERITY[v], default=Verdict.OK)


def tally(results: Iterable[CheckResult]) -> str:
    """'2 problems, 1 warning', or 'no problem' when there is nothing to fix."""
    counts = {Verdict.PROBLEM: 0, Verdict.WARNING: 0}
    for result in results:
        if result.verdict in counts:
            counts[result.verdict] += 1
    parts = [f"{n} {verdict.value}{'s' if n != 1 else ''}" for verdict, n in counts.items() if n]
    return ", ".join(parts) or "no problem"


def not_checked(check: Check, reason: str, fix: str | None = None) -> CheckResult:
    """A check that could not run (the cluster did not answer, a read was refused)."""
    return CheckResult(check, Verdict.WARNING, f"Not checked: {_sentence(reason)}", fix)


def _sentence(text: str) -> str:
    """`text` ending in one full stop."""
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


# -- which cluster --------------------------------------------------------------------------


class ClusterKind(StrEnum):
    """The kinds of cluster whose fixes differ."""

    KIND = "kind"
    K3S = "k3s"  # k3s, k3d and Rancher Desktop
    MINIKUBE = "minikube"
    DOCKER_DESKTOP = "docker-desktop"
    SIMULATOR = "storedesk-sim"  # Storedesk's own demo cluster
    OTHER = "other"


@dataclass(frozen=True)
class NodeFact:
    """A node, as far as the checks need it."""

    name: str
    labels: Mapping[str, str] = field(default_factory=dict, compare=False, hash=False)
    provider_id: str = ""
    kubelet_version: str = ""
    schedulable: bool = True  # Ready, not cordoned, no NoSchedule/NoExecute taint
    allocatable: Resources | None = None


def cluster_kind(context: str, git_version: str, nodes: Sequence[NodeFact]) -> ClusterKind:
    """Which kind of cluster this is, from what each distribution leaves on its nodes."""
    if "storedesk-sim" in git_version:
        return ClusterKind.SIMULATOR
    # kind's kubelets run with provider-id kind://<provider>/<cluster>/<node>.
    if any(n.provider_id.startswith("kind://") for n in nodes):
        return ClusterKind.KIND
    if "+k3s" in git_version or any("+k3s" in n.kubelet_version for n in nodes):
        return ClusterKind.K3S
    if any("minikube.k8s.io/name" in n.labels for n in nodes):
        return ClusterKind.MINIKUBE
    if any(n.name == "docker-desktop" for n in nodes) or context == "docker-desktop":
        return ClusterKind.DOCKER_DESKTOP
    return ClusterKind.KIND if context.startswith("kind-") else ClusterKind.OTHER


# -- Kubernetes version ---------------------------------------------------------------------

_VERSION = re.compile(r"v?(\d+)\.(\d+)(?:\.(\d+))?")
_BOUND = re.compile(r"(>=|<=|>|<|=|!=)?\s*v?(\d+)\.(\d+)(?:\.(\d+))?(?:-[0-9A-Za-z.-]+)?")


def parse_version(text: str) -> tuple[int, int, int] | None:
    """(major, minor, patch) of `v1.35.0+k3s1` and the like, or None."""
    found = _VERSION.search(text)
    if found is None:
        return None
    major, minor, patch = found.groups()
    return int(major), int(minor), int(patch or 0)


def _bounds(constraint: str) -> list[tuple[str, tuple[int, int, int]]]:
    """The comparisons of a chart's kubeVersion (`>=1.32.0-0`, `>= 1.32, < 1.40`)."""
    found = []
    for part in re.split(r"[,\s]+(?=[<>=!])|,", constraint.strip()):
        match = _BOUND.fullmatch(part.strip())
        if match:
            op, major, minor, patch = match.groups()
            found.append((op or "=", (int(major), int(minor), int(patch or 0))))
    return found


def _holds(op: str, version: tuple[int, int, int], bound: tuple[int, int, int]) -> bool:
    return {
        ">=": version >= bound,
        ">": version > bound,
        "<=": version <= bound,
        "<": version < bound,
        "=": version == bound,
        "!=": version != bound,
    }[op]


def describe_range(constraint: str) -> str:
    """A chart's kubeVersion in words: `>=1.32.0-0` is '1.32 or newer'."""
    words = {">=": "{} or newer", ">": "newer than {}", "<=": "{} or older", "<": "older than {}"}
    said = [
        words.get(op, "exactly {}" if op == "=" else "not {}").format(_short(bound))
        for op, bound in _bounds(constraint)
    ]
    return " and ".join(said) or constraint


def _short(version: tuple[int, int, int]) -> str:
    major, minor, patch = version
    return f"{major}.{minor}" if patch == 0 else f"{major}.{minor}.{patch}"


def kubernetes_check(git_version: str, constraint: str, engine: str) -> CheckResult:
    """The cluster's version against the engine chart's kubeVersion."""
    supported = describe_range(constraint) if constraint else "any version"
    details = {"version": git_version, "supported": constraint or None}
    version = parse_version(git_version)
    if version is None:
        return CheckResult(
            Check.KUBERNETES,
            Verdict.WARNING,
            f"The cluster reports version '{git_version}', which Storedesk cannot read; "
            f"the {engine} chart supports Kubernetes {supported}.",
            None,
            details,
        )
    failing = [(op, b) for op, b in _bounds(constraint) if not _holds(op, version, b)]
    if failing:
        return CheckResult(
            Check.KUBERNETES,
            Verdict.PROBLEM,
            f"Kubernetes {git_version} is outside the range the {engine} chart supports "
            f"({supported}).",
            f"Upgrade the cluster to Kubernetes {supported}, or pick a context whose cluster is.",
            details,
        )
    return CheckResult(
        Check.KUBERNETES,
        Verdict.OK,
        f"Kubernetes {git_version}, in the range the {engine} chart supports ({supported}).",
        None,
        details,
    )


# -- helm -----------------------------------------------------------------------------------


def helm_check(
    version: str | None, path: str | None, error: str | None, hint: str | None, supported: str
) -> CheckResult:
    """helm found and of a supported version, or why not."""
    if error is not None or version is None:
        return CheckResult(
            Check.HELM,
            Verdict.PROBLEM,
            _sentence(error or "helm did not say its version"),
            hint,
            {"version": None, "path": path, "supported": supported},
        )
    return CheckResult(
        Check.HELM,
        Verdict.OK,
        f"helm {version} at {path} (Storedesk needs {supported}).",
        None,
        {"version": version, "path": path, "supported": supported},
    )


# -- RBAC -----------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Access:
    """One permission: a verb on a resource, in a namespace or cluster-wide (None)."""

    verb: str
    resource: str
    group: str = ""
    namespace: str | None = None

    def __str__(self) -> str:
        what = f"{self.resource}.{self.group}" if self.group else self.resource
        where = f" in namespace {self.namespace}" if self.namespace else ""
        return f"{self.verb} {what}{where}"

    def describe(self, store_namespace: str) -> str:
        """As a user reads it: the placeholder store's namespace is 'a store's namespace'."""
        if self.namespace != store_namespace:
            return str(self)
        return f"{replace(self, namespace=None)} in a store's namespace"


@dataclass(frozen=True)
class ChartResource:
    """A kind the engine's chart creates, as the cluster's API serves it."""

    kind: str
    group: str
    resource: str  # the plural, e.g. networkpolicies
    namespaced: bool = True


# What a store's helm release needs beyond its chart's kinds: helm keeps each revision in
# a Secret of the store's namespace (create, then update its status; list and get to read
# the history; delete on uninstall).
_RELEASE_RECORD_VERBS = ("get", "list", "create", "update", "delete")
# On each kind the chart creates: helm 3 creates then patches, helm 4 applies (patch),
# both get before changing and delete on uninstall.
_CHART_VERBS = ("get", "create", "patch", "delete")
# Storedesk makes, labels, leases (annotations) and deletes the store's namespace.
_NAMESPACE_VERBS = ("get", "list", "watch", "create", "patch", "delete")
# Storedesk follows every store with one list and one watch per type, across namespaces.
_FOLLOWED = (("pods", ""), ("jobs", "batch"), ("secrets", ""), ("events", ""))


def required_access(chart: Iterable[ChartResource], namespace: str) -> list[Access]:
    """Every permission creating, following and deleting a store in `namespace` needs."""
    needed = [Access(verb, "namespaces") for verb in _NAMESPACE_VERBS]
    needed += [Access(v, r, g) for r, g in _FOLLOWED for v in ("list", "watch")]
    needed += [Access(v, "secrets", "", namespace) for v in _RELEASE_RECORD_VERBS]
    for kind in chart:
        where = namespace if kind.namespaced else None
        needed += [Access(v, kind.resource, kind.group, where) for v in _CHART_VERBS]
    return sorted(set(needed), key=lambda a: (a.namespace or "", a.group, a.resource, a.verb))


def rbac_check(
    denied: Sequence[Access],
    asked: int,
    store_namespace: str,
    unserved: Sequence[str] = (),
    chart_unknown: str | None = None,
) -> CheckResult:
    """What this user may not do of what a store needs (SelfSubjectAccessReview answers);
    `store_namespace` is the namespace the permissions were asked for."""
    said = [a.describe(store_namespace) for a in denied]
    details = {"asked": asked, "denied": said, "unserved": list(unserved)}
    if unserved:
        return CheckResult(
            Check.RBAC,
            Verdict.PROBLEM,
            f"The cluster does not serve {', '.join(unserved)}, which the chart creates.",
            "Install what provides these kinds (their CustomResourceDefinitions), or "
            "choose chart values that do not need them.",
            details,
        )
    if denied:
        shown = "; ".join(said[:8])
        more = f"; and {len(denied) - 8} more" if len(denied) > 8 else ""
        return CheckResult(
            Check.RBAC,
            Verdict.PROBLEM,
            f"This user may not {shown}{more}.",
            "Ask the cluster's admin for these permissions, or pick a context that has "
            "them (`kubectl auth can-i --list` shows yours).",
            details,
        )
    scope = (
        f"namespaces and Storedesk's own reads; the chart's kinds were not checked: {chart_unknown}"
        if chart_unknown
        else "namespaces and every kind the chart creates"
    )
    return CheckResult(
        Check.RBAC,
        Verdict.WARNING if chart_unknown else Verdict.OK,
        f"This user has all {asked} permissions a store needs ({scope}).",
        "Install helm (see the helm check) so the chart can be read." if chart_unknown else None,
        details,
    )


# -- storage --------------------------------------------------------------------------------


@dataclass(frozen=True)
class StorageClassFact:
    """A StorageClass."""

    name: str
    provisioner: str
    binding_mode: str  # Immediate or WaitForFirstConsumer
    default: bool


_LOCAL_PATH = (
    "kubectl apply -f https://raw.githubusercontent.com/rancher/local-path-provisioner/"
    "v0.0.33/deploy/local-path-storage.yaml"
)


def _make_default(name: str) -> str:
    """The command that marks StorageClass `name` the default (Kubernetes' docs give it)."""
    return (
        f"kubectl patch storageclass {name} -p "
        """'{"metadata": {"annotations": """
        """{"storageclass.kubernetes.io/is-default-class": "true"}}}'"""
    )


def _storage_install(kind: ClusterKind) -> str:
    """How to get a default StorageClass on this kind of cluster."""
    if kind == ClusterKind.MINIKUBE:
        return (
            "Enable minikube's provisioner: `minikube addons enable storage-provisioner` "
            "and `minikube addons enable default-storageclass`."
        )
    if kind == ClusterKind.K3S:
        return (
            "k3s ships the local-path class unless started with `--disable=local-storage`; "
            f"start it without that flag, or install local-path: `{_LOCAL_PATH}`, then "
            f"`{_make_default('local-path')}`."
        )
    return f"Install one, e.g. local-path: `{_LOCAL_PATH}`, then `{_make_default('local-path')}`."


def storage_check(classes: Sequence[StorageClassFact], kind: ClusterKind) -> CheckResult:
    """A default StorageClass for the stores' volumes, and how it binds them."""
    details = {
        "classes": [
            {
                "name": c.name,
                "provisioner": c.provisioner,
                "binding_mode": c.binding_mode,
                "default": c.default,
            }
            for c in classes
        ]
    }
    defaults = [c for c in classes if c.default]
    if not classes:
        return CheckResult(
            Check.STORAGE,
            Verdict.PROBLEM,
            "The cluster has no StorageClass: a store's volumes would wait forever.",
            _storage_install(kind),
            details,
        )
    if not defaults:
        names = ", ".join(c.name for c in classes)
        return CheckResult(
            Check.STORAGE,
            Verdict.PROBLEM,
            f"No StorageClass is the default ({names} exist): a store's volumes name no class "
            "and would wait forever.",
            f"Make one the default: `{_make_default(classes[0].name)}`.",
            details,
        )
    chosen = defaults[-1]
    said = (
        f"{chosen.name} ({chosen.provisioner}) is the default StorageClass; it binds volumes "
        + (
            "when a pod first uses them (WaitForFirstConsumer)"
            if chosen.binding_mode == "WaitForFirstConsumer"
            else f"at once ({chosen.binding_mode or 'Immediate'})"
        )
    )
    if len(defaults) > 1:
        names = ", ".join(c.name for c in defaults)
        return CheckResult(
            Check.STORAGE,
            Verdict.WARNING,
            f"{len(defaults)} StorageClasses are marked default ({names}); Kubernetes uses the "
            "newest, so a store's volumes may land on another class than you expect.",
            "Keep one default: set storageclass.kubernetes.io/is-default-class to false on "
            "the others.",
            details,
        )
    return CheckResult(Check.STORAGE, Verdict.OK, said + ".", None, details)


# -- ingress --------------------------------------------------------------------------------


@dataclass(frozen=True)
class IngressClassFact:
    """An IngressClass."""

    name: str
    controller: str  # spec.controller
    default: bool


@dataclass(frozen=True)
class KnownController:
    """An ingress controller Storedesk knows: how to find its pods, and where they run."""

    name: str
    controller: str  # the IngressClass spec.controller it answers to
    pod_selector: str | None  # None: it runs no pods in the cluster
    usual_namespace: str | None
    note: str = ""


# From each project's own manifests: ingress-nginx's deploy/static manifests (also
# minikube's addon), Traefik's Helm chart (also k3s's bundled HelmChart in kube-system),
# and cloud-provider-kind's ingress controller, whose Envoy proxies run as containers
# beside the kind nodes, outside the cluster.
KNOWN_CONTROLLERS = (
    KnownController(
        "ingress-nginx",
        "k8s.io/ingress-nginx",
        "app.kubernetes.io/name=ingress-nginx,app.kubernetes.io/component=controller",
        "ingress-nginx",
    ),
    KnownController(
        "Traefik", "traefik.io/ingress-controller", "app.kubernetes.io/name=traefik", None
    ),
    KnownController(
        "cloud-provider-kind",
        "kind.sigs.k8s.io/ingress-controller",
        None,
        None,
        "its proxy runs outside the cluster, beside the kind nodes",
    ),
)


def known_controller(controller: str) -> KnownController | None:
    """The known controller answering to an IngressClass's spec.controller, if any."""
    return next((k for k in KNOWN_CONTROLLERS if k.controller == controller), None)


@dataclass(frozen=True)
class ControllerPods:
    """The pods of an ingress controller, found by its labels across namespaces."""

    namespaces: tuple[str, ...] = ()
    ready: int = 0
    total: int = 0


_TRAEFIK_HELM = (
    "helm install traefik traefik --repo https://traefik.github.io/charts "
    "--namespace traefik --create-namespace"
)


def _ingress_install(kind: ClusterKind) -> str:
    """How to get an ingress controller on this kind of cluster."""
    if kind == ClusterKind.KIND:
        return (
            "To serve stores on ports 80/443 on kind, run cloud-provider-kind on this machine "
            "(`go install sigs.k8s.io/cloud-provider-kind@latest`, then `cloud-provider-kind`); "
            "it adds the IngressClass cloud-provider-kind."
        )
    if kind == ClusterKind.K3S:
        return (
            "To serve stores on ports 80/443: k3s and Rancher Desktop ship Traefik unless it "
            "was disabled (k3s `--disable=traefik`; Rancher Desktop: Preferences, Kubernetes, "
            f"Enable Traefik); turn it back on, or install it: `{_TRAEFIK_HELM}`."
        )
    if kind == ClusterKind.MINIKUBE:
        return (
            "To serve stores on ports 80/443, enable minikube's ingress-nginx: "
            "`minikube addons enable ingress`."
        )
    if kind == ClusterKind.SIMULATOR:
        return "None needed: the demo cluster's stores open through Storedesk's port-forward."
    return (
        "To serve stores on ports 80/443, install one, e.g. Traefik (its class becomes the "
        f"default): `{_TRAEFIK_HELM}`."
    )


def _class_words(cls: IngressClassFact, pods: ControllerPods | None) -> str:
    """'nginx (default): ingress-nginx, pods in ingress-nginx (1/1 ready)'."""
    known = known_controller(cls.controller)
    served = f"{known.name} ({cls.controller})" if known else cls.controller or "no controller"
    head = f"{cls.name}{' (default)' if cls.default else ''}: {served}"
    if known is not None and known.pod_selector is None:
        return f"{head}, {known.note}"
    if pods is None:
        return f"{head}, pods not looked up (a controller Storedesk does not know)"
    if not pods.total:
        return f"{head}, no pods found"
    where = ", ".join(pods.namespaces)
    return f"{head}, pods in namespace {where} ({pods.ready}/{pods.total} ready)"


def _class_details(cls: IngressClassFact, pods: ControllerPods | None) -> dict[str, Any]:
    known = known_controller(cls.controller)
    in_cluster = known is None or known.pod_selector is not None
    return {
        "name": cls.name,
        "controller": cls.controller,
        "default": cls.default,
        "known_as": known.name if known else None,
        "in_cluster": in_cluster,
        "namespaces": list(pods.namespaces) if pods else [],
        "pods_ready": pods.ready if pods else None,
        "pods_total": pods.total if pods else None,
    }


def ingress_check(
    classes: Sequence[IngressClassFact],
    pods: Mapping[str, ControllerPods],
    kind: ClusterKind,
) -> CheckResult:
    """Which IngressClasses exist, which is the default, who serves each and from where.

    `pods` holds, per class name, the pods found for a known in-cluster controller."""
    details = {"classes": [_class_details(c, pods.get(c.name)) for c in classes]}
    if not classes:
        # A warning, not a problem: stores still open on this machine through Storedesk's
        # port-forward; only shoppers elsewhere cannot reach them.
        return CheckResult(
            Check.INGRESS,
            Verdict.WARNING,
            "No ingress controller: the cluster has no IngressClass, so nothing serves the "
            "stores on ports 80/443 and they open only through Storedesk's port-forward "
            "(`storedesk open NAME`), from this machine.",
            _ingress_install(kind),
            details,
        )
    listed = "; ".join(_class_words(c, pods.get(c.name)) for c in classes)
    defaults = [c for c in classes if c.default]
    if not defaults:
        return CheckResult(
            Check.INGRESS,
            Verdict.WARNING,
            f"No IngressClass is the default, and stores use the default unless created "
            f"with --ingress-class ({listed}).",
            f"Make one the default: `kubectl annotate ingressclass {classes[0].name} "
            "ingressclass.kubernetes.io/is-default-class=true`, or create stores with "
            f"--ingress-class {classes[0].name}.",
            details,
        )
    if len(defaults) > 1:
        return CheckResult(
            Check.INGRESS,
            Verdict.WARNING,
            f"{len(defaults)} IngressClasses are marked default, and Kubernetes gives a store "
            f"the newest ({listed}).",
            "Keep one default: set ingressclass.kubernetes.io/is-default-class to false on "
            "the others.",
            details,
        )
    return _default_class_verdict(defaults[0], pods.get(defaults[0].name), listed, details)


def _default_class_verdict(
    cls: IngressClassFact,
    pods: ControllerPods | None,
    listed: str,
    details: Mapping[str, Any],
) -> CheckResult:
    """The verdict on the class stores use: are its controller's pods there and ready?"""
    known = known_controller(cls.controller)
    if known is not None and known.pod_selector is not None and pods is not None:
        look = f"`kubectl get pods --all-namespaces -l {known.pod_selector}` shows why"
        if not pods.total:
            return CheckResult(
                Check.INGRESS,
                Verdict.PROBLEM,
                f"The default IngressClass {cls.name} is served by {known.name}, but none of "
                f"its pods run ({listed}).",
                f"Install or repair {known.name}; {look}.",
                details,
            )
        if not pods.ready:
            return CheckResult(
                Check.INGRESS,
                Verdict.PROBLEM,
                f"The default IngressClass {cls.name} is served by {known.name}, and none of "
                f"its pods is ready ({listed}).",
                f"{look[0].upper()}{look[1:]}.",
                details,
            )
    return CheckResult(Check.INGRESS, Verdict.OK, f"Ingress classes: {listed}.", None, details)


# -- NetworkPolicy --------------------------------------------------------------------------


def network_policy_check(kind: ClusterKind) -> CheckResult:
    """Say what the API cannot tell: whether the network plugin enforces NetworkPolicy."""
    if kind == ClusterKind.SIMULATOR:
        return CheckResult(
            Check.NETWORK_POLICY,
            Verdict.INFO,
            "The demo cluster runs no network, so it enforces no NetworkPolicy.",
        )
    return CheckResult(
        Check.NETWORK_POLICY,
        Verdict.INFO,
        "Whether NetworkPolicies are enforced cannot be read from the API: it depends on the "
        "cluster's network plugin, and each store's policies protect it only where they are.",
        "kind's kindnet and k3s's built-in policy controller enforce them unless the cluster "
        "runs another network plugin; elsewhere, the network plugin's documentation says.",
    )


# -- capacity -------------------------------------------------------------------------------

_DECIMAL_SUFFIXES = {
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "": Decimal(1),
    "k": Decimal("1e3"),
    "M": Decimal("1e6"),
    "G": Decimal("1e9"),
    "T": Decimal("1e12"),
    "P": Decimal("1e15"),
    "E": Decimal("1e18"),
}
_BINARY_SUFFIXES = {
    s: Decimal(1024**i) for i, s in enumerate(("", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"))
}
_QUANTITY = re.compile(r"([+-]?(?:\d+\.?\d*|\.\d+))(([KMGTPE]i)|[eE][+-]?\d+|[numkMGTPE]?)")


def parse_quantity(text: object) -> Decimal | None:
    """A Kubernetes quantity ('250m', '1Gi', '1e3', 2) as a number, or None."""
    match = _QUANTITY.fullmatch(str(text).strip())
    if match is None:
        return None
    number, suffix = match.group(1), match.group(2)
    try:
        value = Decimal(number)
        if suffix[:1] in ("e", "E"):
            return value * Decimal(10) ** int(suffix[1:])
    except (InvalidOperation, ValueError):
        return None
    scale = _BINARY_SUFFIXES.get(suffix) or _DECIMAL_SUFFIXES.get(suffix)
    return None if scale is None else value * scale


@dataclass(frozen=True)
class Resources:
    """CPU (millicores), memory (bytes) and pods: what the scheduler counts."""

    cpu_milli: int = 0
    memory: int = 0
    pods: int = 0

    def __add__(self, other: Resources) -> Resources:
        return Resources(
            self.cpu_milli + other.cpu_milli, self.memory + other.memory, self.pods + other.pods
        )

    def __sub__(self, other: Resources) -> Resources:
        return Resources(
            self.cpu_milli - other.cpu_milli, self.memory - other.memory, self.pods - other.pods
        )

    @classmethod
    def of(cls, cpu: object = 0, memory: object = 0, pods: object = 0) -> Resources:
        """From quantities as the API writes them (missing or unreadable count as 0)."""
        return cls(
            int((parse_quantity(cpu) or 0) * 1000),
            int(parse_quantity(memory) or 0),
            int(parse_quantity(pods) or 0),
        )


def quota_per_store(hard: Mapping[str, object]) -> Resources | None:
    """The most one store may request, from its ResourceQuota's `hard` (None: no bound)."""
    cpu = hard.get("requests.cpu", hard.get("cpu"))
    memory = hard.get("requests.memory", hard.get("memory"))
    pods = hard.get("pods")
    if cpu is None and memory is None and pods is None:
        return None
    return Resources.of(cpu or 0, memory or 0, pods or 0)


_DIMENSIONS = (("cpu_milli", "CPU"), ("memory", "memory"), ("pods", "pods"))


def stores_fit(free: Resources, per_store: Resources) -> tuple[int, str]:
    """How many stores of `per_store` fit in `free`, and which resource runs out first."""
    fits: list[tuple[int, str]] = []
    for attr, name in _DIMENSIONS:
        need = getattr(per_store, attr)
        if need > 0:
            fits.append((max(0, getattr(free, attr)) // need, name))
    return min(fits) if fits else (0, "nothing")


def _amount(resources: Resources, dimension: str) -> str:
    if dimension == "CPU":
        return f"{resources.cpu_milli / 1000:g} CPU"
    if dimension == "memory":
        return f"{resources.memory / 1024**3:.1f} GiB"
    return f"{resources.pods} pods"


def capacity_check(
    nodes: Sequence[NodeFact], requested: Resources, quota: Mapping[str, object] | None
) -> CheckResult:
    """How many stores fit: the schedulable nodes' allocatable against one store's quota.

    `requested` is what the pods already on those nodes request."""
    usable = [n for n in nodes if n.schedulable and n.allocatable is not None]
    total = sum((n.allocatable for n in usable if n.allocatable), Resources())
    per_store = quota_per_store(quota) if quota is not None else None
    details: dict[str, Any] = {
        "schedulable_nodes": len(usable),
        "allocatable": vars(total),
        "requested": vars(requested),
        "per_store": vars(per_store) if per_store else None,
    }
    if per_store is None:
        return CheckResult(
            Check.CAPACITY,
            Verdict.WARNING,
            "The chart sets no quota for a store, so how many fit cannot be counted.",
            None,
            details,
        )
    in_all, _ = stores_fit(total, per_store)
    more, short = stores_fit(total - requested, per_store)
    details.update(fit_in_all=in_all, fit_now=more, limited_by=short)
    nodes_said = f"{len(usable)} schedulable node{'s' if len(usable) != 1 else ''}"
    if in_all == 0:
        return CheckResult(
            Check.CAPACITY,
            Verdict.PROBLEM,
            f"Not one store fits: one store's quota asks for {_amount(per_store, short)}, and "
            f"the {nodes_said} offer {_amount(total, short)}.",
            "Add nodes or give the cluster more memory and CPU (e.g. Docker Desktop's or "
            "minikube's resource settings).",
            details,
        )
    said = (
        f"{more} more store{'s' if more != 1 else ''} fit beside what runs now ({in_all} on "
        f"empty nodes): each may request up to {_amount(per_store, short)}, and {short} runs "
        f"out first on the {nodes_said}."
    )
    if more == 0:
        return CheckResult(
            Check.CAPACITY,
            Verdict.WARNING,
            said,
            "Delete stores you no longer need, or add nodes.",
            details,
        )
    return CheckResult(Check.CAPACITY, Verdict.OK, said, None, details)
