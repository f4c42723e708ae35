"""Ready means the shop answers, on the simulator (issue 10): a store whose pods are ready is
Ready only once its storefront answered; when it cannot answer from this machine it is
Running, not reachable, with what answered instead."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from storedesk.domain.models import Phase
from storedesk.domain.reach import NOT_REACHABLE
from storedesk.sim import Simulator
from tests.integration.engine_support import service_for, unique_store
from tests.integration.test_doctor import ingress_class, kubectl
from tests.support import helm_binary

pytestmark = [pytest.mark.helm, pytest.mark.keyring]
HELM4 = helm_binary("4")


@pytest.fixture
def ingress_sim() -> Iterator[Simulator]:
    """A simulator that is also its own ingress controller, on a local port."""
    with Simulator(ready_delay=0.3, ingress_port=0) as running:
        yield running


def test_through_an_ingress_controller_on_its_port_the_store_is_ready(
    ingress_sim: Simulator, tmp_path: Path
) -> None:
    service = service_for(ingress_sim, HELM4, tmp_path)
    name = unique_store()
    record = service.create(name, wait=True, use_keyring=False)
    assert not record.forwarded
    assert record.url == f"http://{name}.localhost:{ingress_sim.ingress.port}/"
    assert record.status.phase == Phase.READY


def test_a_class_whose_controller_does_not_route_the_store_is_a_404(
    ingress_sim: Simulator, tmp_path: Path
) -> None:
    # The store's class says its controller listens on the simulator's port, but that
    # controller serves another class: it answers 404 for the store's host.
    manifest = ingress_class("other", "example.com/other", default=False).replace(
        "annotations: {",
        f'annotations: {{storedesk.io/http-port: "{ingress_sim.ingress.port}", ',
    )
    kubectl(ingress_sim, "apply", "-f", "-", manifest=manifest)
    service = service_for(ingress_sim, HELM4, tmp_path)
    name = unique_store()
    service.create(name, options={"ingress_class": "other"}, use_keyring=False)
    status = wait_until_judged(service, name)
    assert (status.phase, status.reason) == (Phase.RUNNING, NOT_REACHABLE)
    assert "answered 404" in status.detail
    assert "choose the class of the controller" in status.fix


def test_a_class_with_nothing_listening_on_this_machine_is_refused(
    sim: Simulator, tmp_path: Path
) -> None:
    # An IngressClass exists (so the store is an ingress store) but nothing serves this
    # machine's port 80: what kind without port mappings looks like.
    kubectl(sim, "apply", "-f", "-", manifest=ingress_class("nginx", "k8s.io/ingress-nginx"))
    service = service_for(sim, HELM4, tmp_path)
    name = unique_store()
    service.create(name, use_keyring=False)
    status = wait_until_judged(service, name)
    assert (status.phase, status.reason) == (Phase.RUNNING, NOT_REACHABLE)
    assert f"nothing listens at http://{name}.localhost/" in status.detail
    assert "port-forward" in status.fix


def wait_until_judged(service, name: str, tries: int = 200):
    """The store's status once its storefront has been probed (pods ready, then probed)."""
    import time

    status = service.get_store(name).status
    for _ in range(tries):
        if status.phase not in (Phase.PROVISIONING,):
            return status
        time.sleep(0.1)
        status = service.get_store(name).status
    return status
