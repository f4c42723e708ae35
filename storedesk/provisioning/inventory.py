"""What stores exist and how they are doing: facts from five cluster-wide lists.

A refresh costs five API calls whatever the number of stores: namespaces, pods and Jobs
by Storedesk's labels, helm's release records (metadata only) and Warning events. The
same cache is fed by watches (see monitor.py) so live updates cost nothing per store.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from storedesk.cluster import facts as convert
from storedesk.cluster.kube import EVENTS, JOBS, NAMESPACES, PODS, SECRETS, KubeClient, Resource
from storedesk.domain.models import (
    MANAGED_BY_LABEL,
    MANAGED_BY_VALUE,
    NAMESPACE_PREFIX,
    OPTIONS_ANNOTATION,
    STORE_LABEL,
    EventFact,
    JobFact,
    NamespaceFact,
    OperationFact,
    Phase,
    PodFact,
    ReleaseFact,
    StoreRecord,
)
from storedesk.domain.reach import ReachFact, with_reachability
from storedesk.domain.status import derive_status
from storedesk.errors import InvalidInput
from storedesk.provisioning.engines import engines

Obj = dict[str, Any]


@dataclass(frozen=True)
class Feed:
    """One resource type Storedesk follows: where, which objects, how to read them."""

    key: str
    resource: Resource
    label_selector: str | None = None
    field_selector: str | None = None
    metadata_only: bool = False


FEEDS = (
    Feed("namespaces", NAMESPACES, label_selector=f"{MANAGED_BY_LABEL}={MANAGED_BY_VALUE}"),
    Feed("pods", PODS, label_selector=STORE_LABEL),
    Feed("jobs", JOBS, label_selector=STORE_LABEL),
    # helm's release records: the labels say name, revision and status; skip the payloads.
    Feed("releases", SECRETS, label_selector="owner=helm", metadata_only=True),
    Feed("events", EVENTS, field_selector="type=Warning"),
)
_CONVERT: dict[str, Callable[[Obj], Any]] = {
    "namespaces": convert.namespace_fact,
    "pods": convert.pod_fact,
    "jobs": convert.job_fact,
    "releases": convert.release_record,  # reduced per release in release_facts()
    "events": convert.event_fact,
}


def scoped(feed: Feed, store: str) -> Feed:
    """The same feed narrowed to one store (for `status NAME` and `create --wait`)."""
    if feed.key == "namespaces":
        return Feed(feed.key, feed.resource, f"{feed.label_selector},{STORE_LABEL}={store}")
    if feed.key in ("pods", "jobs"):
        return Feed(feed.key, feed.resource, f"{STORE_LABEL}={store}")
    if feed.key == "releases":
        return Feed(feed.key, feed.resource, f"owner=helm,name={store}", metadata_only=True)
    return Feed(
        feed.key,
        feed.resource,
        field_selector=f"{feed.field_selector},involvedObject.namespace={NAMESPACE_PREFIX}{store}",
    )


Keyed = tuple[tuple[str, str], Any]  # ((namespace, name), the object's fact or None)


def digest(key: str) -> Callable[[Obj], Keyed]:
    """How one feed's objects become what the cache keeps."""
    convert_one = _CONVERT[key]

    def keyed(obj: Obj) -> Keyed:
        meta = obj.get("metadata", {})
        return (meta.get("namespace", ""), meta.get("name", "")), convert_one(obj)

    return keyed


class FactsCache:
    """The converted objects of every feed, keyed by (namespace, name)."""

    def __init__(self) -> None:
        self._items: dict[str, dict[tuple[str, str], Any]] = {f.key: {} for f in FEEDS}
        self.versions: dict[str, str] = {}

    def replace(self, key: str, listed: Iterable[Keyed], resource_version: str) -> None:
        """Take a fresh list of one feed, as digest() made it."""
        self._items[key] = {ident: fact for ident, fact in listed if fact is not None}
        self.versions[key] = resource_version

    def apply(self, key: str, event_type: str, obj: Obj) -> str | None:
        """Apply one watch event; returns the namespace it touched."""
        ident, fact = digest(key)(obj)
        if event_type == "DELETED" or fact is None:
            self._items[key].pop(ident, None)
        else:
            self._items[key][ident] = fact
        version = obj.get("metadata", {}).get("resourceVersion")
        if version:
            self.versions[key] = version
        return ident[0] or ident[1]

    def facts(self) -> ClusterFacts:
        """Facts grouped by namespace."""
        pods: dict[str, list[PodFact]] = defaultdict(list)
        for pod in self._items["pods"].values():
            pods[pod.namespace].append(pod)
        jobs: dict[str, list[JobFact]] = defaultdict(list)
        for job in self._items["jobs"].values():
            jobs[job.namespace].append(job)
        events: dict[str, list[EventFact]] = defaultdict(list)
        for event in self._items["events"].values():
            events[event.namespace].append(event)
        releases = convert.release_facts(self._items["releases"].values())
        namespaces = {ns.name: ns for ns in self._items["namespaces"].values()}
        return ClusterFacts(namespaces, dict(pods), dict(jobs), releases, dict(events))


@dataclass(frozen=True)
class ClusterFacts:
    """Everything status derivation needs, grouped by namespace."""

    namespaces: dict[str, NamespaceFact]
    pods: dict[str, list[PodFact]]
    jobs: dict[str, list[JobFact]]
    releases: dict[tuple[str, str], ReleaseFact]  # (namespace, release): the newest revision
    events: dict[str, list[EventFact]]


def collect(kube: KubeClient, store: str | None = None) -> FactsCache:
    """List every feed once (five calls), for all stores or one."""
    cache = FactsCache()
    for feed in FEEDS:
        chosen = scoped(feed, store) if store else feed
        items, version = kube.list(
            chosen.resource,
            label_selector=chosen.label_selector,
            field_selector=chosen.field_selector,
            metadata_only=chosen.metadata_only,
            each=digest(feed.key),
        )
        cache.replace(feed.key, items, version)
    return cache


def store_options(annotations: Mapping[str, str]) -> dict[str, Any]:
    """The engine options a store was created with, from its namespace's annotations."""
    try:
        options = json.loads(annotations.get(OPTIONS_ANNOTATION) or "{}")
    except ValueError:
        options = {}
    return options if isinstance(options, dict) else {}


# The latest probe of a store's storefront (None: not asked yet), given its listed pods.
Reach = Callable[[StoreRecord, Sequence[PodFact]], ReachFact | None]


def wants_probe(row: StoreRecord) -> bool:
    """A store whose pods and setup are done: only its shop answering is left to see."""
    return row.status.phase == Phase.READY and bool(row.url)


def record(
    namespace: NamespaceFact,
    facts: ClusterFacts,
    operation: OperationFact | None,
    now: datetime,
    reachable: bool = True,
    reach: Reach | None = None,
) -> StoreRecord:
    """One store's row; with `reach`, Ready only once its storefront answered."""
    ns = namespace.name
    # The store's release is named after it; others in its namespace are not its status.
    release = facts.releases.get((ns, namespace.store))
    status = derive_status(
        namespace,
        facts.pods.get(ns, ()),
        facts.jobs.get(ns, ()),
        release,
        facts.events.get(ns, ()),
        operation,
        now=now,
        reachable=reachable,
    )
    url = admin_url = None
    options = store_options(namespace.annotations)
    marker = ""
    links: tuple[tuple[str, str], ...] = ()
    try:
        engine = engines().get(namespace.engine)
        url = engine.store_url(namespace.store, options)
        admin_url = engine.admin_url(namespace.store, options)
        marker = engine.storefront_marker
        links = engine.link_urls(namespace.store, options)
    except InvalidInput:  # an engine or options this version does not know: no links
        pass
    row = StoreRecord(
        name=namespace.store,
        engine=namespace.engine,
        namespace=ns,
        status=status,
        url=url,
        admin_url=admin_url,
        created=namespace.created,
        release_revision=release.revision if release else None,
        release_status=release.status if release else None,
        forwarded=options.get("access") == "port-forward",
        links=links,
    )
    if reach is None or not marker:
        return row  # an engine that names no storefront marker cannot be probed
    fact = reach(row, facts.pods.get(ns, ())) if wants_probe(row) else None
    return replace(row, status=with_reachability(row.status, fact, forwarded=row.forwarded))


def records(
    facts: ClusterFacts,
    operations: Callable[[NamespaceFact], OperationFact | None],
    now: datetime,
    reachable: bool = True,
    reach: Reach | None = None,
) -> list[StoreRecord]:
    """Every store's row, sorted by name."""
    rows = [
        record(ns, facts, operations(ns), now, reachable, reach) for ns in facts.namespaces.values()
    ]
    return sorted(rows, key=lambda r: r.name)
