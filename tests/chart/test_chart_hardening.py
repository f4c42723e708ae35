"""Hardening beyond the seed: where the store's pods may connect, and images pinned by digest.

The network tests ask the rendered NetworkPolicies what a cluster would ask them: may this
pod open this connection? `egress_allowed` evaluates the policies the way the
NetworkPolicy API defines them (a connection is allowed when any rule of any policy that
selects the pod allows it), treating an ipBlock as matching pod addresses too, as most
CNIs do.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import pytest
import yaml

from tests.chart.chartkit import (
    CHART,
    NAMESPACE,
    STORE,
    pod_specs,
    pod_template,
    render,
    run_helm,
    template_args,
)

METADATA_V4 = "169.254.169.254"
METADATA_V6 = "fd00:ec2::254"  # AWS's IPv6 instance metadata address
DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


@dataclass(frozen=True)
class Peer:
    """The other end of a connection: an address, and for a pod its namespace and labels."""

    ip: str
    port: int
    protocol: str = "TCP"
    namespace: str | None = None  # None: outside the cluster
    labels: Mapping[str, str] = field(default_factory=dict)


# Where the store's pods might try to go.
INTERNET = Peer("93.184.216.34", 443)
INTERNET_V6 = Peer("2606:2800:220:1:248:1893:25c8:1946", 443)
KUBE_DNS = Peer("10.244.0.3", 53, "UDP", "kube-system", {"k8s-app": "kube-dns"})
INGRESS_CONTROLLER = Peer(
    "10.244.0.9", 80, namespace="ingress-nginx", labels={"app.kubernetes.io/name": "ingress-nginx"}
)
PRIVATE = {
    "a Service in the cluster": Peer("10.96.0.20", 80),
    "a pod in another namespace": Peer("10.244.1.7", 443, namespace="other", labels={"app": "x"}),
    "the kind node network": Peer("172.18.0.2", 80),
    "a router on the LAN": Peer("192.168.1.1", 80),
    "a carrier-grade NAT address": Peer("100.64.0.1", 80),
    "a unique local IPv6 address": Peer("fd12:3456::1", 80),
}


def _matches(selector: Mapping | None, labels: Mapping[str, str]) -> bool:
    """A Kubernetes label selector (matchLabels and matchExpressions) against labels."""
    if selector is None:
        return False
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression["key"], expression["operator"], expression.get("values")
        present = key in labels
        if not {
            "In": present and labels.get(key) in (values or []),
            "NotIn": not present or labels.get(key) not in (values or []),
            "Exists": present,
            "DoesNotExist": not present,
        }[operator]:
            return False
    return True


def _peer_matches(rule_peer: Mapping, peer: Peer) -> bool:
    """One `to:` entry of an egress rule against the destination."""
    if "ipBlock" in rule_peer:
        block = rule_peer["ipBlock"]
        address = ipaddress.ip_address(peer.ip)
        network = ipaddress.ip_network(block["cidr"])
        if address.version != network.version or address not in network:
            return False
        return not any(address in ipaddress.ip_network(e) for e in block.get("except") or [])
    if peer.namespace is None:
        return False
    if "namespaceSelector" in rule_peer:
        namespace_labels = {"kubernetes.io/metadata.name": peer.namespace}
        if not _matches(rule_peer["namespaceSelector"], namespace_labels):
            return False
    elif peer.namespace != NAMESPACE:
        return False
    return "podSelector" not in rule_peer or _matches(rule_peer["podSelector"], peer.labels)


def _port_matches(rule: Mapping, peer: Peer) -> bool:
    ports = rule.get("ports")
    return not ports or any(
        p.get("protocol", "TCP") == peer.protocol and p.get("port") in (None, peer.port)
        for p in ports
    )


def policy_allows(docs: list[dict], pod: Mapping[str, str], peer: Peer, direction: str) -> bool:
    """Whether the NetworkPolicies let `peer` and the store's pod labelled `pod` connect,
    `direction` "Ingress" (peer to pod) or "Egress" (pod to peer)."""
    policies = [
        d["spec"]
        for d in docs
        if d["kind"] == "NetworkPolicy"
        and direction in d["spec"].get("policyTypes", [])
        and _matches(d["spec"]["podSelector"], pod)
    ]
    assert policies, f"no {direction.lower()} policy selects {pod}"
    peers = "from" if direction == "Ingress" else "to"
    return any(
        _port_matches(rule, peer)
        and (peers not in rule or any(_peer_matches(p, peer) for p in rule[peers]))
        for policy in policies
        for rule in policy.get(direction.lower()) or []
    )


def egress_allowed(docs: list[dict], source: Mapping[str, str], peer: Peer) -> bool:
    """Whether the store's pod with labels `source` may connect to `peer`."""
    return policy_allows(docs, source, peer, "Egress")


def pod_labels(docs: list[dict]) -> dict[str, dict[str, str]]:
    """component -> the labels of its pods, for every pod the chart makes."""
    labels = {}
    for doc, _ in pod_specs(docs):
        meta = pod_template(doc)["metadata"]
        labels[meta["labels"]["app.kubernetes.io/component"]] = meta["labels"]
    assert set(labels) == {"wordpress", "database", "setup", "cron", "test"}
    return labels


# --- The cloud metadata service and the private ranges ---------------------------------


@pytest.mark.helm
@pytest.mark.parametrize("component", ["wordpress", "setup", "cron"])
def test_internet_egress_never_reaches_the_cloud_metadata_service(helm, tmp_path, component):
    docs = render(helm, tmp_path)
    source = pod_labels(docs)[component]
    assert egress_allowed(docs, source, INTERNET)
    assert egress_allowed(docs, source, INTERNET_V6)
    for port in (80, 443):
        assert not egress_allowed(docs, source, Peer(METADATA_V4, port))
        assert not egress_allowed(docs, source, Peer(METADATA_V6, port))
        assert not egress_allowed(docs, source, Peer("fe80::1", port))


@pytest.mark.helm
def test_every_internet_ip_block_leaves_out_the_link_local_ranges(helm, tmp_path):
    blocks = [
        peer["ipBlock"]
        for doc in render(helm, tmp_path)
        if doc["kind"] == "NetworkPolicy"
        for rule in doc["spec"].get("egress") or []
        for peer in rule.get("to") or []
        if "ipBlock" in peer
    ]
    assert {b["cidr"] for b in blocks} == {"0.0.0.0/0", "::/0"}
    for block in blocks:
        link_local = "169.254.0.0/16" if block["cidr"] == "0.0.0.0/0" else "fe80::/10"
        assert link_local in block["except"], block


@pytest.mark.helm
@pytest.mark.parametrize("component", ["wordpress", "setup", "cron"])
def test_the_internet_rule_does_not_reach_private_addresses(helm, tmp_path, component):
    """10/8, 172.16/12, 192.168/16, 100.64/10 and fc00::/7 are the cluster and the LAN."""
    docs = render(helm, tmp_path)
    source = pod_labels(docs)[component]
    for what, peer in PRIVATE.items():
        assert not egress_allowed(docs, source, peer), what


@pytest.mark.helm
def test_private_egress_opens_the_private_ranges_but_never_the_metadata_service(helm, tmp_path):
    docs = render(helm, tmp_path, values={"networkPolicy": {"privateEgress": True}})
    source = pod_labels(docs)["wordpress"]
    for what, peer in PRIVATE.items():
        assert egress_allowed(docs, source, peer), what
    assert not egress_allowed(docs, source, Peer(METADATA_V4, 80))
    assert not egress_allowed(docs, source, Peer(METADATA_V6, 80))


@pytest.mark.helm
def test_wordpress_still_reaches_its_own_address_through_the_ingress_controller(helm, tmp_path):
    """WP-Cron and loopback checks call the store's URL; in the cluster that is the controller."""
    docs = render(helm, tmp_path)
    source = pod_labels(docs)["wordpress"]
    for port in (80, 443):
        assert egress_allowed(
            docs, source, Peer(INGRESS_CONTROLLER.ip, port, **_pod(INGRESS_CONTROLLER))
        )
    assert not egress_allowed(
        docs, source, Peer(INGRESS_CONTROLLER.ip, 8443, **_pod(INGRESS_CONTROLLER))
    )


@pytest.mark.helm
def test_without_internet_egress_only_the_database_and_dns_are_reachable(helm, tmp_path):
    docs = render(helm, tmp_path, values={"networkPolicy": {"internetEgress": False}})
    source = pod_labels(docs)["wordpress"]
    assert not egress_allowed(docs, source, INTERNET)
    assert not egress_allowed(
        docs, source, Peer(INGRESS_CONTROLLER.ip, 80, **_pod(INGRESS_CONTROLLER))
    )
    assert egress_allowed(docs, source, KUBE_DNS)
    database = pod_labels(docs)["database"]
    assert egress_allowed(
        docs, source, Peer("10.244.0.8", 3306, namespace=NAMESPACE, labels=database)
    )


def _pod(peer: Peer) -> dict:
    return {"namespace": peer.namespace, "labels": peer.labels}


# --- DNS -------------------------------------------------------------------------------


@pytest.mark.helm
@pytest.mark.parametrize("component", ["wordpress", "database", "setup", "cron", "test"])
def test_dns_goes_to_the_cluster_dns_only(helm, tmp_path, component):
    docs = render(helm, tmp_path)
    source = pod_labels(docs)[component]
    for protocol in ("UDP", "TCP"):
        assert egress_allowed(docs, source, Peer(KUBE_DNS.ip, 53, protocol, **_pod(KUBE_DNS)))
        # Any other resolver would be a way out of the cluster (DNS tunnelling).
        assert not egress_allowed(docs, source, Peer("8.8.8.8", 53, protocol))
        assert not egress_allowed(docs, source, Peer("10.0.0.53", 53, protocol))
    # The right labels in the wrong namespace, or the wrong pod in kube-system: no.
    assert not egress_allowed(docs, source, Peer("10.244.2.3", 53, "UDP", "other", KUBE_DNS.labels))
    assert not egress_allowed(
        docs, source, Peer("10.244.0.4", 53, "UDP", "kube-system", {"k8s-app": "x"})
    )


@pytest.mark.helm
def test_the_cluster_dns_is_configurable(helm, tmp_path):
    # null removes the default label: helm merges maps with the defaults.
    labels = {"k8s-app": None, "app": "unbound", "tier": "true"}
    dns = {"namespace": "dns-system", "podLabels": labels}
    docs = render(helm, tmp_path, values={"networkPolicy": {"dns": dns}})
    source = pod_labels(docs)["wordpress"]
    unbound = Peer("10.244.3.3", 53, "UDP", "dns-system", {"app": "unbound", "tier": "true"})
    assert egress_allowed(docs, source, unbound)
    assert not egress_allowed(docs, source, KUBE_DNS)
    # A label value that reads as a YAML boolean stays a string (strict schema would refuse a bool).
    policy = next(d for d in docs if d["metadata"]["name"] == f"{STORE}-dns")
    selector = policy["spec"]["egress"][0]["to"][0]["podSelector"]["matchLabels"]
    assert selector == {"app": "unbound", "tier": "true"}


@pytest.mark.helm
def test_no_dns_pod_labels_means_any_pod_in_the_dns_namespace(helm, tmp_path):
    dns = {"namespace": "dns-system", "podLabels": {"k8s-app": None}}
    docs = render(helm, tmp_path, values={"networkPolicy": {"dns": dns}})
    source = pod_labels(docs)["wordpress"]
    assert egress_allowed(docs, source, Peer("10.244.3.4", 53, "UDP", "dns-system", {"a": "b"}))
    assert not egress_allowed(docs, source, KUBE_DNS)


@pytest.mark.helm
def test_a_dns_address_outside_any_pod_can_be_allowed(helm, tmp_path):
    """A node-local DNS cache listens on the host network, where no pod selector reaches."""
    dns = {"cidrs": ["169.254.20.10/32"]}
    docs = render(helm, tmp_path, values={"networkPolicy": {"dns": dns}})
    source = pod_labels(docs)["wordpress"]
    assert egress_allowed(docs, source, Peer("169.254.20.10", 53, "UDP"))
    assert not egress_allowed(docs, source, Peer("169.254.20.10", 80))
    assert egress_allowed(docs, source, KUBE_DNS)


@pytest.mark.helm
@pytest.mark.parametrize(
    ("override", "path"),
    [
        ({"dns": {"namespace": "Kube_System"}}, "/networkPolicy/dns/namespace"),
        ({"dns": {"namespace": ""}}, "/networkPolicy/dns/namespace"),
        ({"dns": {"podLabels": {"k8s-app": True}}}, "/networkPolicy/dns/podLabels"),
        ({"dns": {"podLabels": {"bad key!": "x"}}}, "/networkPolicy/dns/podLabels"),
        ({"dns": {"cidrs": ["10.0.0.0"]}}, "/networkPolicy/dns/cidrs"),
        ({"dns": {"cidrs": ["dns.example.com/32"]}}, "/networkPolicy/dns/cidrs"),
        ({"privateEgress": "yes"}, "/networkPolicy/privateEgress"),
    ],
)
def test_bad_network_values_are_refused_naming_the_value(helm, tmp_path, override, path):
    result = run_helm(helm, template_args(tmp_path, values={"networkPolicy": override}), tmp_path)
    assert result.returncode != 0
    assert "values don't meet the specifications of the schema" in result.stderr
    assert path in result.stderr, result.stderr
    assert result.stdout == ""


# --- Images pinned by digest -----------------------------------------------------------


def _images() -> dict[str, dict]:
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    return {part: values[part]["image"] for part in ("wordpress", "database", "setup")}


@pytest.mark.helm
def test_every_image_is_pinned_by_tag_and_digest(helm, tmp_path):
    docs = render(helm, tmp_path)
    images = {c["image"] for _, spec in pod_specs(docs) for c in spec["containers"]}
    assert len(images) == 3
    for image in images:
        name, _, digest = image.partition("@")
        assert DIGEST.fullmatch(digest), image
        assert re.fullmatch(r"docker\.io/library/(wordpress|mariadb):[A-Za-z0-9_.-]+", name), image


@pytest.mark.helm
def test_an_empty_digest_pins_by_tag_only(helm, tmp_path):
    empty = {"image": {"digest": ""}}
    docs = render(helm, tmp_path, values={"database": empty, "setup": empty})
    images = {c["image"] for _, spec in pod_specs(docs) for c in spec["containers"]}
    database = _images()["database"]
    assert f"{database['repository']}:{database['tag']}" in images
    assert sum("@" in image for image in images) == 1  # WordPress keeps its digest


@pytest.mark.helm
@pytest.mark.parametrize(
    "digest", ["latest", "sha256:abc", "sha256:" + "G" * 64, "md5:" + "0" * 32]
)
def test_a_malformed_digest_is_refused_naming_the_value(helm, tmp_path, digest):
    values = {"wordpress": {"image": {"digest": digest}}}
    result = run_helm(helm, template_args(tmp_path, values=values), tmp_path)
    assert result.returncode != 0
    assert "/wordpress/image/digest" in result.stderr, result.stderr


def test_the_readme_says_where_each_pinned_digest_was_seen():
    """Each tag@digest in values.yaml is in the chart README, with the source it came from."""
    readme = (CHART / "README.md").read_text()
    for part, image in _images().items():
        assert DIGEST.fullmatch(image["digest"]), part
        line = next(
            (line for line in readme.splitlines() if f"{image['tag']}@{image['digest']}" in line),
            None,
        )
        assert line, f"{part}: {image['tag']}@{image['digest']} is not in the README"
        assert "docker-library/repo-info" in line and "repos/" in line, line
