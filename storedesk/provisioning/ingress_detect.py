"""Where the ingress controller serving a store runs, so its chart admits that controller
and no other (issue 10): the namespaces of the pods behind the store's IngressClass, or
that its proxy runs outside the cluster (cloud-provider-kind's Envoy).

The reads are the cluster check's own (`storedesk.cluster.access`: IngressClasses, and a
known controller's pods by its labels across namespaces); which controllers Storedesk knows,
and how to find their pods, is `storedesk.domain.checks.KNOWN_CONTROLLERS`. `placement` is
the pure part; `detect` reads the cluster.

The store's chart takes the result as `ingress.controllerNamespaces` or
`ingress.controllerOutsideCluster` (`ControllerPlacement.chart_values`). When nothing is
found (no class, a controller Storedesk does not know, no pods yet), it passes nothing and
the chart keeps its own default (`ingress.controllerNamespace`, ingress-nginx).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from storedesk.cluster import access
from storedesk.domain.checks import ControllerPods, IngressClassFact, known_controller

if TYPE_CHECKING:
    from storedesk.provisioning.service import StoreService


@dataclass(frozen=True)
class ControllerPlacement:
    """Where the controller of a store's IngressClass runs, as far as the cluster shows."""

    ingress_class: str | None  # the class the store's Ingress gets; None: no such class
    controller: str  # that class's spec.controller ("" without a class)
    namespaces: tuple[str, ...] = ()  # where its pods run (empty: not found)
    outside_cluster: bool = False  # its proxy runs outside the cluster
    reason: str = ""  # one sentence for the event log: what was found, or why nothing

    @property
    def found(self) -> bool:
        """Whether the chart should be told (else it keeps its default namespace)."""
        return self.outside_cluster or bool(self.namespaces)

    def chart_values(self) -> dict[str, Any]:
        """The store chart's values for this placement ({} when nothing was found)."""
        if self.outside_cluster:
            return {"ingress": {"controllerOutsideCluster": True}}
        if self.namespaces:
            return {"ingress": {"controllerNamespaces": list(self.namespaces)}}
        return {}


def class_in_use(classes: Sequence[IngressClassFact], option: str) -> IngressClassFact | None:
    """The class a store's Ingress gets: the one named by the store's option, else the
    cluster's default (the newest, as Kubernetes picks when several are marked; `classes`
    come oldest first, as `access.ingress_classes` reads them)."""
    if option:
        return next((c for c in classes if c.name == option), None)
    defaults = [c for c in classes if c.default]
    return defaults[-1] if defaults else None


def placement(
    classes: Sequence[IngressClassFact],
    option: str,
    pods_for: Callable[[str], ControllerPods],
) -> ControllerPlacement:
    """Where the controller of the store's class runs. `option` is the store's ingress class
    option ("" for the cluster's default); `pods_for(selector)` finds a controller's pods."""
    cls = class_in_use(classes, option)
    if cls is None:
        named = f"the IngressClass {option}" if option else "a default IngressClass"
        return ControllerPlacement(
            None, "", reason=f"The cluster has no {named}; the chart keeps its default."
        )
    known = known_controller(cls.controller)
    if known is None:
        return ControllerPlacement(
            cls.name,
            cls.controller,
            reason=(
                f"IngressClass {cls.name} is served by {cls.controller or 'no controller'}, "
                "which Storedesk does not know how to find; the chart keeps its default "
                "(set ingress.controllerNamespaces to its namespace)."
            ),
        )
    if known.pod_selector is None:
        return ControllerPlacement(
            cls.name,
            cls.controller,
            outside_cluster=True,
            reason=f"IngressClass {cls.name} is served by {known.name}: {known.note}.",
        )
    pods = pods_for(known.pod_selector)
    if pods.namespaces:
        where = ", ".join(pods.namespaces)
        return ControllerPlacement(
            cls.name,
            cls.controller,
            pods.namespaces,
            reason=f"IngressClass {cls.name} is served by {known.name}, pods in namespace {where}.",
        )
    if known.usual_namespace:
        return ControllerPlacement(
            cls.name,
            cls.controller,
            (known.usual_namespace,),
            reason=(
                f"IngressClass {cls.name} is served by {known.name}; no pod of it runs yet, "
                f"so its usual namespace {known.usual_namespace} is admitted."
            ),
        )
    return ControllerPlacement(
        cls.name,
        cls.controller,
        reason=(
            f"IngressClass {cls.name} is served by {known.name}, but none of its pods runs; "
            "the chart keeps its default."
        ),
    )


def detect(service: StoreService, ingress_class: str) -> ControllerPlacement:
    """Read the cluster of `service`: where the controller of the store's class runs.

    Raises what `KubeClient` raises (`storedesk.errors`) when the API cannot be read."""
    kube = service.kube
    found: dict[str, ControllerPods] = {}

    def pods_for(selector: str) -> ControllerPods:
        if selector not in found:
            found[selector] = access.controller_pods(kube, selector)
        return found[selector]

    return placement(access.ingress_classes(kube), ingress_class, pods_for)
