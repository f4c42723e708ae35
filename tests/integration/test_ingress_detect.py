"""The controller behind a store's IngressClass, found on the simulator, and the store's chart
rendered with what was found: WordPress admits that controller and nothing else (issue 10)."""

from __future__ import annotations

from pathlib import Path

import pytest

from storedesk.provisioning.app import connect
from storedesk.provisioning.ingress_detect import detect
from storedesk.sim import Simulator
from tests.chart.chartkit import render
from tests.chart.test_chart_hardening import Peer
from tests.chart.test_chart_real_clusters import ingress_allowed, wordpress_labels
from tests.integration.test_doctor import (
    NGINX,
    TRAEFIK,
    ingress_class,
    kubectl,
    run_controller,
)
from tests.support import helm_binary

pytestmark = [pytest.mark.helm]
HELM4 = helm_binary("4")


@pytest.fixture(autouse=True)
def _helm(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("STOREDESK_HELM", str(HELM4.path))
    monkeypatch.setenv("STOREDESK_DATA_DIR", str(tmp_path / "data"))


def service(sim: Simulator, tmp_path: Path):
    return connect(str(sim.kubeconfig), sim.context, data_dir=tmp_path / "data")


def admitted(tmp_path: Path, values: dict, peer: Peer) -> bool:
    docs = render(HELM4, tmp_path, values=values)
    return ingress_allowed(docs, wordpress_labels(docs), peer)


def test_traefik_in_kube_system_is_found_and_admitted(sim: Simulator, tmp_path: Path) -> None:
    kubectl(
        sim, "apply", "-f", "-", manifest=ingress_class("traefik", "traefik.io/ingress-controller")
    )
    run_controller(sim, "kube-system", TRAEFIK)

    found = detect(service(sim, tmp_path), "")

    assert found.ingress_class == "traefik"
    assert found.chart_values() == {"ingress": {"controllerNamespaces": ["kube-system"]}}
    traefik = Peer("10.42.0.7", 80, namespace="kube-system", labels=TRAEFIK)
    nginx = Peer("10.244.0.9", 80, namespace="ingress-nginx", labels=NGINX)
    assert admitted(tmp_path, found.chart_values(), traefik)
    assert not admitted(tmp_path, found.chart_values(), nginx)


def test_the_stores_class_option_chooses_the_controller(sim: Simulator, tmp_path: Path) -> None:
    kubectl(sim, "apply", "-f", "-", manifest=ingress_class("nginx", "k8s.io/ingress-nginx"))
    kubectl(
        sim,
        "apply",
        "-f",
        "-",
        manifest=ingress_class("kind-lb", "kind.sigs.k8s.io/ingress-controller", default=False),
    )
    run_controller(sim, "ingress-nginx", NGINX)
    store = service(sim, tmp_path)

    assert detect(store, "").namespaces == ("ingress-nginx",)
    outside = detect(store, "kind-lb")
    assert outside.outside_cluster
    # cloud-provider-kind's Envoy, on the kind network, then reaches WordPress.
    assert admitted(tmp_path, outside.chart_values(), Peer("172.18.0.5", 80))


def test_a_cluster_without_ingress_classes_leaves_the_chart_default(
    sim: Simulator, tmp_path: Path
) -> None:
    found = detect(service(sim, tmp_path), "")
    assert found.ingress_class is None and found.chart_values() == {}


def test_a_store_made_on_a_traefik_cluster_admits_traefik_and_says_so(
    sim: Simulator, tmp_path: Path
) -> None:
    # Traefik in kube-system serves the default class: the store is an ingress store, its
    # chart gets the controller's namespace, and the event log says what was found.
    kubectl(
        sim, "apply", "-f", "-", manifest=ingress_class("traefik", "traefik.io/ingress-controller")
    )
    run_controller(sim, "kube-system", TRAEFIK)
    made = service(sim, tmp_path)
    record = made.create("shop", use_keyring=False)
    assert not record.forwarded
    values = made.helm.get_values("shop", "store-shop")
    assert values["ingress"]["controllerNamespaces"] == ["kube-system"]
    notes = [e.message for e in made.events("shop") if e.step == "ingress"]
    assert notes and "kube-system" in notes[0]
