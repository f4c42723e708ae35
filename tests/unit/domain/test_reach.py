"""Ready means the shop answers: what a probe saw becomes a status a person can act on."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from storedesk.domain.models import Phase, StoreStatus
from storedesk.domain.reach import NOT_REACHABLE, ReachFact, Seen, with_reachability

READY = StoreStatus(Phase.READY, pods_ready=2, pods_total=2)
URL = "http://shop.localhost/"


def fact(seen: Seen, said: str = "") -> ReachFact:
    return ReachFact(URL, seen, said, datetime(2026, 12, 1, tzinfo=UTC))


def test_ready_pods_wait_for_the_first_probe() -> None:
    status = with_reachability(READY, None, forwarded=False)
    assert (status.phase, status.detail) == (
        Phase.PROVISIONING,
        "checking that the storefront answers",
    )


def test_the_shop_answering_is_ready() -> None:
    assert with_reachability(READY, fact(Seen.SHOP, "HTTP 200"), forwarded=False) == READY


def test_only_ready_stores_are_judged_by_their_storefront() -> None:
    failed = StoreStatus(Phase.FAILED, "ImagePullBackOff")
    assert with_reachability(failed, fact(Seen.REFUSED), forwarded=False) is failed


@pytest.mark.parametrize(
    ("seen", "forwarded", "detail", "fix"),
    [
        (Seen.NO_NAME, False, "does not resolve", "*.localhost always does"),
        (Seen.REFUSED, False, "no ingress controller serves", "port-forward"),
        (Seen.REFUSED, True, "port-forward is not running", "starts the forward"),
        (Seen.NOT_ROUTED, False, "answered 404", "choose the class of the controller"),
        (Seen.UPSTREAM, False, "cannot reach the store's pods", "NetworkPolicy"),
        (Seen.TLS, False, "TLS handshake", "certificate"),
        (Seen.OTHER_PAGE, False, "not with the shop's page", "another site"),
    ],
)
def test_each_way_a_shop_is_out_of_reach_is_told_with_its_fix(
    seen: Seen, forwarded: bool, detail: str, fix: str
) -> None:
    status = with_reachability(READY, fact(seen), forwarded=forwarded)
    assert (status.phase, status.reason) == (Phase.RUNNING, NOT_REACHABLE)
    assert detail in status.detail and fix in status.fix
    assert (status.pods_ready, status.pods_total) == (2, 2)
