"""Whether a store's shop answers from this machine: what a probe saw, and what it means.

"Ready" means a customer can reach the shop, not only that pods are Ready. Once a store's
pods and setup are done, Storedesk asks its storefront for the page and looks for the
engine's own marker. What the probe saw becomes a diagnosis a person can act on.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from storedesk.domain.models import Phase, StoreStatus


class Seen(StrEnum):
    """What the probe met."""

    SHOP = "shop"  # the page carried the engine's marker
    NO_NAME = "no-name"  # the host name does not resolve
    REFUSED = "refused"  # nothing listens there
    TIMEOUT = "timeout"  # no answer in time
    NOT_ROUTED = "not-routed"  # 404: a controller answered but routes no such host
    UPSTREAM = "upstream"  # 502/503/504: the controller cannot reach the pods
    TLS = "tls"  # the TLS handshake failed
    OTHER_PAGE = "other-page"  # an answer, but not the shop's page
    FORWARD = "forward"  # Storedesk's port-forward could not reach a pod


@dataclass(frozen=True)
class ReachFact:
    """One probe of a store's storefront."""

    url: str
    seen: Seen
    said: str = ""  # what answered, in short (status line, error text)
    checked: datetime | None = None

    @property
    def ok(self) -> bool:
        """True when the shop itself answered."""
        return self.seen == Seen.SHOP


def diagnosis(fact: ReachFact, *, forwarded: bool) -> tuple[str, str]:
    """(detail, fix) for a storefront that does not answer as the shop."""
    where = fact.url
    said = f" ({fact.said})" if fact.said else ""
    if fact.seen == Seen.NO_NAME:
        return (
            f"{where} does not resolve to an address from this machine{said}",
            "use a domain that resolves here (*.localhost always does), or add it to DNS",
        )
    if fact.seen == Seen.REFUSED:
        if forwarded:
            return (
                f"nothing listens at {where}{said}: the store's port-forward is not running",
                "open the store from Storedesk: it starts the forward",
            )
        return (
            f"nothing listens at {where}{said}: no ingress controller serves this machine's "
            "ports 80/443",
            "open the store through Storedesk's port-forward, or install an ingress "
            "controller and map its ports (the cluster check says how for your cluster)",
        )
    if fact.seen == Seen.TIMEOUT:
        return (f"{where} did not answer in time{said}", "check the ingress controller's pods")
    if fact.seen == Seen.NOT_ROUTED:
        return (
            f"the ingress controller at {where} answered 404{said}: it does not serve the "
            "store's IngressClass",
            "choose the class of the controller that serves this machine (the cluster check "
            "lists them), or open the store through Storedesk's port-forward",
        )
    if fact.seen == Seen.UPSTREAM:
        return (
            f"the ingress controller at {where} cannot reach the store's pods{said}",
            "a NetworkPolicy may keep the controller out: the cluster check names the "
            "controller's namespace, which the store's chart must admit",
        )
    if fact.seen == Seen.TLS:
        return (
            f"the TLS handshake with {where} failed{said}",
            "check the store's certificate (its issuer, or the controller's default one)",
        )
    if fact.seen == Seen.FORWARD:
        return (f"Storedesk's port-forward could not reach a pod{said}", "its status says why")
    return (
        f"{where} answered, but not with the shop's page{said}",
        "another site answers at this address: choose another domain or store name",
    )


NOT_REACHABLE = "not reachable from this machine"
CHECKING = "checking that the storefront answers"


def awaits_probe(status: StoreStatus) -> bool:
    """A Ready store's placeholder while its storefront is asked: not a status of its own."""
    return status.phase == Phase.PROVISIONING and status.detail == CHECKING


def with_reachability(
    status: StoreStatus, fact: ReachFact | None, *, forwarded: bool
) -> StoreStatus:
    """A store whose pods are Ready is Ready only once its shop answered; until the probe
    has said, Provisioning; when the shop does not answer, Running, not reachable."""
    if status.phase != Phase.READY:
        return status
    if fact is None:
        return replace(status, phase=Phase.PROVISIONING, detail=CHECKING)
    if fact.ok:
        return status
    detail, fix = diagnosis(fact, forwarded=forwarded)
    return replace(status, phase=Phase.RUNNING, reason=NOT_REACHABLE, detail=detail, fix=fix)
