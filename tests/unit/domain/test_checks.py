"""The cluster check's judgements: what a user is told for each situation, and the fix."""

from __future__ import annotations

from decimal import Decimal

import pytest

from storedesk.domain.checks import (
    Access,
    ChartResource,
    Check,
    CheckResult,
    ClusterKind,
    ControllerPods,
    IngressClassFact,
    NodeFact,
    Resources,
    StorageClassFact,
    Verdict,
    capacity_check,
    cluster_kind,
    describe_range,
    ingress_check,
    kubernetes_check,
    network_policy_check,
    parse_quantity,
    rbac_check,
    required_access,
    storage_check,
    stores_fit,
    tally,
    worst,
)

GI = 1024**3
QUOTA = {"pods": "6", "requests.cpu": "1", "requests.memory": "1Gi", "limits.memory": "3Gi"}


def node(
    name: str = "n1", cpu: str = "4", memory: str = "8Gi", schedulable: bool = True
) -> NodeFact:
    """A node with this much allocatable CPU and memory, and room for 110 pods."""
    return NodeFact(name, schedulable=schedulable, allocatable=Resources.of(cpu, memory, "110"))


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("250m", Decimal("0.25")),
        ("2", Decimal(2)),
        (2, Decimal(2)),
        ("1Gi", Decimal(GI)),
        ("1G", Decimal(10**9)),
        ("1.5Ki", Decimal(1536)),
        ("1e3", Decimal(1000)),
        ("100k", Decimal(100_000)),
        ("lots", None),
        ("1Xi", None),
    ],
)
def test_quantities_read_as_kubernetes_writes_them(text: object, value: Decimal | None) -> None:
    assert parse_quantity(text) == value


def test_the_supported_range_in_words() -> None:
    assert describe_range(">=1.32.0-0") == "1.32 or newer"
    assert describe_range(">= 1.32.0, < 1.40.0") == "1.32 or newer and older than 1.40"


@pytest.mark.parametrize(
    ("version", "verdict"),
    [
        ("v1.35.0+storedesk-sim", Verdict.OK),
        ("v1.32.0", Verdict.OK),
        ("v1.33.4+k3s1", Verdict.OK),
        ("v1.32.3-eks-4096722", Verdict.OK),
        ("v1.31.9", Verdict.PROBLEM),
        ("unknown", Verdict.WARNING),
    ],
)
def test_kubernetes_version_against_the_chart(version: str, verdict: Verdict) -> None:
    result = kubernetes_check(version, ">=1.32.0-0", "WooCommerce")
    assert result.verdict == verdict
    assert "1.32 or newer" in result.message


def test_an_old_cluster_is_told_what_to_do() -> None:
    result = kubernetes_check("v1.30.2", ">=1.32.0-0", "WooCommerce")
    assert result.message == (
        "Kubernetes v1.30.2 is outside the range the WooCommerce chart supports (1.32 or newer)."
    )
    assert result.fix == (
        "Upgrade the cluster to Kubernetes 1.32 or newer, or pick a context whose cluster is."
    )


@pytest.mark.parametrize(
    ("context", "version", "nodes", "kind"),
    [
        ("x", "v1.35.0+storedesk-sim", [], ClusterKind.SIMULATOR),
        (
            "dev",
            "v1.33.1",
            [NodeFact("dev-control-plane", provider_id="kind://docker/dev/dev-control-plane")],
            ClusterKind.KIND,
        ),
        ("kind-shop", "v1.33.1", [], ClusterKind.KIND),
        ("default", "v1.33.3+k3s1", [], ClusterKind.K3S),
        (
            "rancher-desktop",
            "v1.33.3",
            [NodeFact("lima-rancher-desktop", kubelet_version="v1.33.3+k3s1")],
            ClusterKind.K3S,
        ),
        (
            "minikube",
            "v1.34.0",
            [NodeFact("minikube", labels={"minikube.k8s.io/name": "minikube"})],
            ClusterKind.MINIKUBE,
        ),
        ("docker-desktop", "v1.34.1", [NodeFact("docker-desktop")], ClusterKind.DOCKER_DESKTOP),
        ("prod", "v1.34.1-gke.1", [NodeFact("gke-pool-1")], ClusterKind.OTHER),
    ],
)
def test_the_kind_of_cluster_from_its_nodes(
    context: str, version: str, nodes: list[NodeFact], kind: ClusterKind
) -> None:
    assert cluster_kind(context, version, nodes) == kind


# -- storage ------------------------------------------------------------------------------------


def test_a_default_class_that_waits_for_its_first_consumer() -> None:
    classes = [
        StorageClassFact("local-path", "rancher.io/local-path", "WaitForFirstConsumer", True)
    ]
    result = storage_check(classes, ClusterKind.K3S)
    assert result.verdict == Verdict.OK
    assert result.message == (
        "local-path (rancher.io/local-path) is the default StorageClass; it binds volumes when "
        "a pod first uses them (WaitForFirstConsumer)."
    )


def test_two_defaults_are_a_warning() -> None:
    classes = [
        StorageClassFact("standard", "rancher.io/local-path", "Immediate", True),
        StorageClassFact("fast", "ebs.csi.aws.com", "WaitForFirstConsumer", True),
    ]
    result = storage_check(classes, ClusterKind.OTHER)
    assert result.verdict == Verdict.WARNING
    assert "2 StorageClasses are marked default (standard, fast)" in result.message


@pytest.mark.parametrize(
    ("kind", "step"),
    [
        (ClusterKind.MINIKUBE, "minikube addons enable storage-provisioner"),
        (ClusterKind.K3S, "--disable=local-storage"),
        (ClusterKind.OTHER, "local-path-provisioner/v0.0.33/deploy/local-path-storage.yaml"),
    ],
)
def test_no_storage_class_names_the_step_for_the_cluster(kind: ClusterKind, step: str) -> None:
    result = storage_check([], kind)
    assert result.verdict == Verdict.PROBLEM
    assert result.fix is not None and step in result.fix


# -- ingress ------------------------------------------------------------------------------------


NGINX = IngressClassFact("nginx", "k8s.io/ingress-nginx", True)


@pytest.mark.parametrize(
    ("kind", "step"),
    [
        (ClusterKind.KIND, "go install sigs.k8s.io/cloud-provider-kind@latest"),
        (ClusterKind.K3S, "--disable=traefik"),
        (ClusterKind.MINIKUBE, "minikube addons enable ingress"),
        (
            ClusterKind.DOCKER_DESKTOP,
            "helm install traefik traefik --repo https://traefik.github.io/charts",
        ),
        (ClusterKind.OTHER, "helm install traefik traefik --repo https://traefik.github.io/charts"),
    ],
)
def test_no_ingress_controller_names_the_install_for_the_cluster(
    kind: ClusterKind, step: str
) -> None:
    result = ingress_check([], {}, kind)
    assert result.verdict == Verdict.WARNING  # stores still open through the port-forward
    assert result.message.startswith("No ingress controller")
    assert result.fix is not None and step in result.fix


def test_a_controller_whose_pods_are_not_ready() -> None:
    result = ingress_check(
        [NGINX], {"nginx": ControllerPods(("ingress-nginx",), 0, 1)}, ClusterKind.KIND
    )
    assert result.verdict == Verdict.PROBLEM
    assert "none of its pods is ready" in result.message
    assert result.fix == (
        "`kubectl get pods --all-namespaces -l app.kubernetes.io/name=ingress-nginx,"
        "app.kubernetes.io/component=controller` shows why."
    )


def test_a_controller_storedesk_does_not_know_is_reported_not_judged() -> None:
    classes = [IngressClassFact("haproxy", "haproxy.org/ingress-controller", True)]
    result = ingress_check(classes, {}, ClusterKind.OTHER)
    assert result.verdict == Verdict.OK
    assert result.message == (
        "Ingress classes: haproxy (default): haproxy.org/ingress-controller, pods not looked up "
        "(a controller Storedesk does not know)."
    )


def test_two_default_ingress_classes_are_a_warning() -> None:
    classes = [NGINX, IngressClassFact("traefik", "traefik.io/ingress-controller", True)]
    pods = {"nginx": ControllerPods(("ingress-nginx",), 1, 1), "traefik": ControllerPods()}
    result = ingress_check(classes, pods, ClusterKind.OTHER)
    assert result.verdict == Verdict.WARNING
    assert result.message.startswith("2 IngressClasses are marked default")


# -- permissions --------------------------------------------------------------------------------


def test_a_store_needs_namespaces_helm_records_and_every_chart_kind() -> None:
    chart = [
        ChartResource("NetworkPolicy", "networking.k8s.io", "networkpolicies"),
        ChartResource("Deployment", "apps", "deployments"),
    ]
    needed = required_access(chart, "store-check")
    assert Access("create", "namespaces") in needed
    assert Access("watch", "pods") in needed
    assert Access("update", "secrets", "", "store-check") in needed  # helm's release record
    for verb in ("get", "create", "patch", "delete"):
        assert Access(verb, "networkpolicies", "networking.k8s.io", "store-check") in needed
        assert Access(verb, "deployments", "apps", "store-check") in needed


def test_missing_permissions_are_named() -> None:
    denied = [
        Access("create", "namespaces"),
        Access("patch", "ingresses", "networking.k8s.io", "store-check"),
    ]
    result = rbac_check(denied, 60, "store-check")
    assert result.verdict == Verdict.PROBLEM
    assert result.message == (
        "This user may not create namespaces; patch ingresses.networking.k8s.io in a store's "
        "namespace."
    )


def test_a_kind_the_cluster_does_not_serve() -> None:
    result = rbac_check([], 60, "store-check", ["Certificate (cert-manager.io/v1)"])
    assert result.verdict == Verdict.PROBLEM
    assert "does not serve Certificate (cert-manager.io/v1)" in result.message


# -- capacity -----------------------------------------------------------------------------------


def test_stores_fit_by_the_resource_that_runs_out_first() -> None:
    assert stores_fit(Resources(8000, 4 * GI, 110), Resources(1000, GI, 6)) == (4, "memory")
    assert stores_fit(Resources(8000, 64 * GI, 12), Resources(1000, GI, 6)) == (2, "pods")
    assert stores_fit(Resources(-500, GI, 10), Resources(1000, GI, 6)) == (0, "CPU")


def test_capacity_counts_schedulable_nodes_minus_what_runs() -> None:
    nodes = [node("a"), node("b"), node("tainted", schedulable=False)]
    used = Resources(1000, 2 * GI, 10)
    result = capacity_check(nodes, used, QUOTA)
    assert result.verdict == Verdict.OK
    assert result.message == (
        "7 more stores fit beside what runs now (8 on empty nodes): each may request up to "
        "1 CPU, and CPU runs out first on the 2 schedulable nodes."
    )


def test_a_cluster_too_small_for_one_store() -> None:
    result = capacity_check([node(cpu="2", memory="512Mi")], Resources(), QUOTA)
    assert result.verdict == Verdict.PROBLEM
    assert result.message == (
        "Not one store fits: one store's quota asks for 1.0 GiB, and the 1 schedulable node "
        "offer 0.5 GiB."
    )


def test_no_quota_cannot_be_counted() -> None:
    result = capacity_check([node()], Resources(), None)
    assert result.verdict == Verdict.WARNING


# -- the whole report ---------------------------------------------------------------------------


def test_network_policy_is_said_not_guessed() -> None:
    result = network_policy_check(ClusterKind.KIND)
    assert result.verdict == Verdict.INFO
    assert "cannot be read from the API" in result.message


def test_info_never_counts_as_a_problem() -> None:
    results = [
        CheckResult(Check.HELM, Verdict.OK, "x"),
        CheckResult(Check.NETWORK_POLICY, Verdict.INFO, "x"),
    ]
    assert worst(results) == Verdict.OK
    assert tally(results) == "no problem"
    results.append(CheckResult(Check.STORAGE, Verdict.WARNING, "x"))
    results.append(CheckResult(Check.INGRESS, Verdict.PROBLEM, "x"))
    results.append(CheckResult(Check.RBAC, Verdict.PROBLEM, "x"))
    assert worst(results) == Verdict.PROBLEM
    assert tally(results) == "2 problems, 1 warning"
