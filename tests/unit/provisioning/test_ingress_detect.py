"""Which controller a store's chart must admit, from the cluster's IngressClasses and the
pods of the controller behind the store's class (issue 10)."""

from __future__ import annotations

from storedesk.domain.checks import ControllerPods, IngressClassFact
from storedesk.provisioning.ingress_detect import class_in_use, placement

NGINX = IngressClassFact("nginx", "k8s.io/ingress-nginx", default=True)
TRAEFIK = IngressClassFact("traefik", "traefik.io/ingress-controller", default=True)
KIND_LB = IngressClassFact("cloud-provider-kind", "kind.sigs.k8s.io/ingress-controller", True)
OTHER = IngressClassFact("haproxy", "haproxy.org/ingress-controller", default=True)

NGINX_PODS = "app.kubernetes.io/name=ingress-nginx,app.kubernetes.io/component=controller"
TRAEFIK_PODS = "app.kubernetes.io/name=traefik"


def pods(found: dict[str, tuple[str, ...]]):
    """A pod finder that knows the namespaces in `found`, by selector, and records asks."""
    asked: list[str] = []

    def pods_for(selector: str) -> ControllerPods:
        asked.append(selector)
        namespaces = found.get(selector, ())
        return ControllerPods(namespaces, len(namespaces), len(namespaces))

    pods_for.asked = asked  # type: ignore[attr-defined]
    return pods_for


def test_ingress_nginx_is_admitted_in_the_namespace_its_pods_run_in():
    got = placement([NGINX], "", pods({NGINX_PODS: ("ingress-nginx",)}))
    assert got.ingress_class == "nginx"
    assert got.chart_values() == {"ingress": {"controllerNamespaces": ["ingress-nginx"]}}
    assert "ingress-nginx" in got.reason


def test_traefik_on_k3s_is_admitted_in_kube_system():
    got = placement([TRAEFIK], "", pods({TRAEFIK_PODS: ("kube-system",)}))
    assert got.chart_values() == {"ingress": {"controllerNamespaces": ["kube-system"]}}


def test_a_proxy_outside_the_cluster_is_marked_and_no_pod_is_looked_for():
    finder = pods({})
    got = placement([KIND_LB], "", finder)
    assert got.outside_cluster and got.found
    assert got.chart_values() == {"ingress": {"controllerOutsideCluster": True}}
    assert finder.asked == []


def test_the_stores_option_picks_its_class_over_the_default():
    classes = [NGINX, IngressClassFact("traefik", "traefik.io/ingress-controller", False)]
    found = pods({NGINX_PODS: ("ingress-nginx",), TRAEFIK_PODS: ("traefik",)})
    assert placement(classes, "traefik", found).namespaces == ("traefik",)
    assert placement(classes, "", found).namespaces == ("ingress-nginx",)


def test_of_several_defaults_the_newest_is_the_one_kubernetes_gives():
    # access.ingress_classes lists them oldest first.
    assert class_in_use([NGINX, TRAEFIK], "") == TRAEFIK


def test_a_controller_in_two_namespaces_is_admitted_in_both():
    got = placement([NGINX], "", pods({NGINX_PODS: ("ingress-nginx", "ingress-internal")}))
    assert got.chart_values()["ingress"]["controllerNamespaces"] == [
        "ingress-nginx",
        "ingress-internal",
    ]


def test_ingress_nginx_without_pods_yet_gets_its_usual_namespace():
    got = placement([NGINX], "", pods({}))
    assert got.namespaces == ("ingress-nginx",)
    assert "no pod" in got.reason


def test_nothing_found_leaves_the_chart_its_default():
    for classes, option in (([], ""), ([NGINX], "missing"), ([OTHER], ""), ([TRAEFIK], "")):
        got = placement(classes, option, pods({}))
        assert not got.found, (classes, option)
        assert got.chart_values() == {}
        assert got.reason


def test_an_unknown_controller_says_which_value_to_set():
    got = placement([OTHER], "", pods({}))
    assert got.controller == "haproxy.org/ingress-controller"
    assert "ingress.controllerNamespaces" in got.reason
