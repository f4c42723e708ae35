"""The WooCommerce chart on real clusters (issue 10, chart fixes): who may reach WordPress
and cert-manager's solver, PHP and Apache sized to the container, WP-Cron off page
requests, time budgets that fit helm's, quiet probes with TLS, and values-local on kind
and k3s alike.

The NetworkPolicy questions are asked the way a cluster asks them (`ingress_allowed`):
a connection to a pod is allowed when any ingress rule of any policy selecting the pod
allows it; a source outside the cluster matches only rules without `from` (or an ipBlock).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import pytest
import yaml
from kubernetes.utils import parse_quantity

from tests.chart.chartkit import (
    CHART,
    NAMESPACE,
    SHIPPED,
    SHIPPED_IDS,
    STORE,
    pod_specs,
    pod_template,
    render,
    run_helm,
    template_args,
)
from tests.chart.test_chart_hardening import Peer, _matches, policy_allows

pytestmark = pytest.mark.helm

NGINX = Peer(
    "10.244.0.9",
    80,
    namespace="ingress-nginx",
    labels={"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"},
)
TRAEFIK = Peer(
    "10.42.0.7", 80, namespace="kube-system", labels={"app.kubernetes.io/name": "traefik"}
)
# cloud-provider-kind's Envoy: a container beside the kind nodes, on the kind network.
OUTSIDE_PROXY = Peer("172.18.0.5", 80)
OTHER_POD = Peer("10.244.1.7", 80, namespace="other", labels={"app": "x"})
HELM_TIMEOUT = 600  # what Storedesk gives helm for an install (seconds)


def ingress_allowed(docs: list[dict], target: Mapping[str, str], peer: Peer) -> bool:
    """Whether `peer` may connect to the store's pod labelled `target` on `peer.port`."""
    return policy_allows(docs, target, peer, "Ingress")


WORKLOADS = ("Deployment", "Job", "CronJob")


def workload(docs: list[dict], name: str) -> dict:
    return next(d for d in docs if d["kind"] in WORKLOADS and d["metadata"]["name"] == name)


def wordpress_labels(docs: list[dict]) -> dict[str, str]:
    return pod_template(workload(docs, f"{STORE}-wordpress"))["metadata"]["labels"]


def database_labels(docs: list[dict]) -> dict[str, str]:
    return pod_template(workload(docs, f"{STORE}-database"))["metadata"]["labels"]


def on_port(peer: Peer, port: int) -> Peer:
    return Peer(peer.ip, port, peer.protocol, peer.namespace, peer.labels)


# --- Who reaches WordPress ---------------------------------------------------------------


def test_by_default_only_ingress_nginx_and_the_stores_own_pods_reach_wordpress(helm, tmp_path):
    docs = render(helm, tmp_path)
    wordpress = wordpress_labels(docs)
    assert ingress_allowed(docs, wordpress, NGINX)
    assert ingress_allowed(docs, wordpress, Peer("10.244.0.20", 80, namespace=NAMESPACE))
    for stranger in (TRAEFIK, OUTSIDE_PROXY, OTHER_POD):
        assert not ingress_allowed(docs, wordpress, stranger), stranger
    assert not ingress_allowed(docs, wordpress, on_port(NGINX, 3306))


@pytest.mark.parametrize(
    ("namespaces", "admitted", "refused"),
    [
        (["ingress-nginx"], [NGINX], [TRAEFIK, OUTSIDE_PROXY, OTHER_POD]),
        (["kube-system"], [TRAEFIK], [NGINX, OUTSIDE_PROXY, OTHER_POD]),
        (["ingress-nginx", "kube-system"], [NGINX, TRAEFIK], [OUTSIDE_PROXY, OTHER_POD]),
    ],
    ids=["ingress-nginx", "traefik-k3s", "both"],
)
def test_wordpress_admits_the_namespaces_of_the_detected_controller(
    helm, tmp_path, namespaces, admitted, refused
):
    docs = render(helm, tmp_path, values={"ingress": {"controllerNamespaces": namespaces}})
    wordpress = wordpress_labels(docs)
    for peer in admitted:
        assert ingress_allowed(docs, wordpress, peer), peer
    for peer in refused:
        assert not ingress_allowed(docs, wordpress, peer), peer
    # The proxy's way back out to WordPress's own address goes to the same namespaces.
    egress = next(d for d in docs if d["metadata"]["name"] == f"{STORE}-egress")["spec"]
    to_controller = [
        p["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
        for rule in egress["egress"]
        for p in rule.get("to", [])
        if "namespaceSelector" in p
    ]
    assert to_controller == namespaces


def test_a_proxy_outside_the_cluster_reaches_wordpress_on_port_80_only(helm, tmp_path):
    docs = render(helm, tmp_path, values={"ingress": {"controllerOutsideCluster": True}})
    wordpress = wordpress_labels(docs)
    assert ingress_allowed(docs, wordpress, OUTSIDE_PROXY)
    assert not ingress_allowed(docs, wordpress, on_port(OUTSIDE_PROXY, 443))
    # Only WordPress opens up: the database still takes the store's own pods alone.
    assert not ingress_allowed(docs, database_labels(docs), on_port(OUTSIDE_PROXY, 3306))
    assert not ingress_allowed(docs, database_labels(docs), on_port(OTHER_POD, 3306))


def test_an_empty_list_keeps_the_single_namespace_value(helm, tmp_path):
    docs = render(
        helm,
        tmp_path,
        values={"ingress": {"controllerNamespace": "traefik", "controllerNamespaces": []}},
    )
    wordpress = wordpress_labels(docs)
    assert ingress_allowed(docs, wordpress, Peer("10.0.0.3", 80, namespace="traefik"))
    assert not ingress_allowed(docs, wordpress, NGINX)


@pytest.mark.parametrize("bad", [["Not_A_Namespace"], "ingress-nginx", [""]])
def test_bad_controller_namespaces_are_refused_naming_the_value(helm, tmp_path, bad):
    args = template_args(tmp_path, values={"ingress": {"controllerNamespaces": bad}})
    result = run_helm(helm, args, tmp_path)
    assert result.returncode != 0
    assert "controllerNamespaces" in result.stderr


# --- cert-manager's HTTP-01 solver -------------------------------------------------------

SOLVER = {"acme.cert-manager.io/http01-solver": "true"}


def solver_policies(docs: list[dict]) -> list[dict]:
    return [
        d
        for d in docs
        if d["kind"] == "NetworkPolicy"
        and _matches(d["spec"]["podSelector"], SOLVER)
        and d["spec"]["podSelector"] != {}
    ]


@pytest.mark.parametrize(
    "tls",
    [{"clusterIssuer": "letsencrypt"}, {"issuer": "local-ca", "secretName": "shop-cert"}],
    ids=["cluster-issuer", "issuer"],
)
def test_with_an_issuer_the_controller_reaches_the_solver_on_8089(helm, tmp_path, tls):
    docs = render(
        helm, tmp_path, values={"ingress": {"tls": tls, "controllerNamespaces": ["kube-system"]}}
    )
    assert len(solver_policies(docs)) == 1
    assert ingress_allowed(docs, SOLVER, on_port(TRAEFIK, 8089))
    assert not ingress_allowed(docs, SOLVER, on_port(NGINX, 8089))
    assert not ingress_allowed(docs, SOLVER, on_port(OTHER_POD, 8089))
    assert not ingress_allowed(docs, SOLVER, on_port(TRAEFIK, 80))


def test_the_shipped_prod_values_let_the_solver_answer(helm, tmp_path):
    docs = render(helm, tmp_path, CHART / "values-prod.yaml")
    assert ingress_allowed(docs, SOLVER, on_port(NGINX, 8089))


def test_with_an_outside_proxy_the_solver_answers_it_too(helm, tmp_path):
    values = {"ingress": {"tls": {"clusterIssuer": "le"}, "controllerOutsideCluster": True}}
    docs = render(helm, tmp_path, values=values)
    assert ingress_allowed(docs, SOLVER, on_port(OUTSIDE_PROXY, 8089))


@pytest.mark.parametrize("tls", [None, False, True, {"secretName": "my-cert"}])
def test_without_an_issuer_there_is_no_solver_policy(helm, tmp_path, tls):
    docs = render(helm, tmp_path, values={"ingress": {"tls": tls}})
    assert solver_policies(docs) == []
    assert not any(d["metadata"]["name"].endswith("-acme-solver") for d in docs)


# --- PHP and Apache sized to the container -------------------------------------------------


def mebibytes(quantity: str) -> float:
    return float(parse_quantity(quantity)) / 2**20


def ini(text: str) -> dict[str, str]:
    pairs = (
        line.split("=", 1) for line in text.splitlines() if "=" in line and not line.startswith(";")
    )
    return {k.strip(): v.strip() for k, v in pairs}


def php_config(docs: list[dict]) -> dict[str, str]:
    return next(d for d in docs if d["metadata"]["name"] == f"{STORE}-php")["data"]


def mounted(docs: list[dict], name: str) -> dict[str, str]:
    """mountPath -> ConfigMap key, for every single-file mount of the PHP ConfigMap."""
    spec = pod_template(workload(docs, name))["spec"]
    [volume] = [
        v["name"] for v in spec["volumes"] if v.get("configMap", {}).get("name") == f"{STORE}-php"
    ]
    [container] = spec["containers"]
    return {m["mountPath"]: m["subPath"] for m in container["volumeMounts"] if m["name"] == volume}


def container(docs: list[dict], name: str) -> dict:
    [found] = pod_template(workload(docs, name))["spec"]["containers"]
    return found


def workers(prefork: str) -> int:
    return int(re.search(r"^\s*MaxRequestWorkers\s+(\d+)", prefork, re.MULTILINE).group(1))


PHP_INI = "/usr/local/etc/php/conf.d/zz-storedesk.ini"


@pytest.mark.parametrize("shipped", SHIPPED, ids=SHIPPED_IDS)
def test_apache_workers_at_full_php_memory_fit_the_container_limit(helm, tmp_path, shipped):
    docs = render(helm, tmp_path, *([shipped] if shipped else []))
    config = php_config(docs)
    wordpress = container(docs, f"{STORE}-wordpress")
    limit = mebibytes(wordpress["resources"]["limits"]["memory"])
    php = ini(config["wordpress.ini"])
    memory = int(php["memory_limit"].removesuffix("M"))
    count = workers(config["prefork.conf"])
    assert count >= 2, "a shop with one worker serves one shopper at a time"
    # Every worker at PHP's whole limit, plus OPcache's 128 MiB and Apache's parent, fits.
    assert count * (memory + 32) + 128 + 64 <= limit
    assert re.search(rf"^\s*ServerLimit\s+{count}$", config["prefork.conf"], re.MULTILINE)
    # WordPress itself never raises PHP's limit past it (admin pages ask for 256M).
    extra = {e["name"]: e.get("value") for e in wordpress["env"]}["WORDPRESS_CONFIG_EXTRA"]
    assert f"define('WP_MAX_MEMORY_LIMIT', '{memory}M');" in extra
    assert f"define('WP_MEMORY_LIMIT', '{memory}M');" in extra
    assert mounted(docs, f"{STORE}-wordpress") == {
        PHP_INI: "wordpress.ini",
        "/etc/apache2/conf-enabled/storedesk-prefork.conf": "prefork.conf",
    }


def test_more_memory_means_more_workers(helm, tmp_path):
    small = workers(php_config(render(helm, tmp_path))["prefork.conf"])
    bigger = {"wordpress": {"resources": {"limits": {"cpu": "1", "memory": "2Gi"}}}}
    large = workers(php_config(render(helm, tmp_path, values=bigger))["prefork.conf"])
    assert large > small


def test_a_memory_limit_too_small_for_one_worker_is_refused_naming_the_values(helm, tmp_path):
    values = {"wordpress": {"resources": {"limits": {"cpu": "1", "memory": "300Mi"}}}}
    result = run_helm(helm, template_args(tmp_path, values=values), tmp_path)
    assert result.returncode != 0
    assert "wordpress.resources.limits.memory" in result.stderr
    assert "wordpress.php.memoryLimit" in result.stderr


@pytest.mark.parametrize("shipped", SHIPPED, ids=SHIPPED_IDS)
def test_uploads_and_posts_are_sized_for_product_images(helm, tmp_path, shipped):
    docs = render(helm, tmp_path, *([shipped] if shipped else []))
    php = ini(php_config(docs)["wordpress.ini"])
    upload = int(php["upload_max_filesize"].removesuffix("M"))
    post = int(php["post_max_size"].removesuffix("M"))
    assert upload >= 32 and post > upload
    ingress = next(d for d in docs if d["kind"] == "Ingress")
    body = (ingress["metadata"].get("annotations") or {}).get(
        "nginx.ingress.kubernetes.io/proxy-body-size"
    )
    if body:  # ingress-nginx would refuse an upload PHP accepts
        assert int(body.removesuffix("m")) >= upload


@pytest.mark.parametrize("shipped", SHIPPED, ids=SHIPPED_IDS)
@pytest.mark.parametrize(("name", "key"), [("setup", "setup.ini"), ("cron", "cron.ini")])
def test_wp_cli_runs_with_a_memory_limit_that_fits_its_container(
    helm, tmp_path, shipped, name, key
):
    docs = render(helm, tmp_path, *([shipped] if shipped else []))
    cli = container(docs, f"{STORE}-{name}")
    memory = int(ini(php_config(docs)[key])["memory_limit"].removesuffix("M"))
    limit = mebibytes(cli["resources"]["limits"]["memory"])
    # Above PHP's default 128M (WooCommerce's install needs more), with room for PHP itself.
    assert 128 < memory <= limit - 128
    assert mounted(docs, f"{STORE}-{name}") == {PHP_INI: key}


def test_new_php_settings_roll_the_pods(helm, tmp_path):
    def checksums(docs):
        return {
            d["metadata"]["name"]: pod_template(d)["metadata"]["annotations"]["checksum/php"]
            for d, _ in pod_specs(docs)
            if d["kind"] != "Pod" and not d["metadata"]["name"].endswith("-database")
        }

    before = checksums(render(helm, tmp_path))
    after = checksums(
        render(helm, tmp_path, values={"wordpress": {"php": {"uploadMaxSize": "128M"}}})
    )
    assert before.keys() == {f"{STORE}-wordpress", f"{STORE}-setup", f"{STORE}-cron"}
    assert all(before[k] != after[k] for k in before)


# --- WP-Cron -----------------------------------------------------------------------------


def test_wp_cron_is_off_on_page_requests_and_a_cronjob_runs_due_events(helm, tmp_path):
    docs = render(helm, tmp_path)
    wordpress = container(docs, f"{STORE}-wordpress")
    extra = {e["name"]: e.get("value") for e in wordpress["env"]}["WORDPRESS_CONFIG_EXTRA"]
    assert "define('DISABLE_WP_CRON', true);" in extra
    [cron] = [d for d in docs if d["kind"] == "CronJob"]
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"
    run = container(docs, f"{STORE}-cron")
    assert "wp cron event run --due-now" in run["command"][-1]
    # The same pinned WP-CLI image as the setup Job, and the same wp-config additions.
    assert run["image"] == container(docs, f"{STORE}-setup")["image"]
    assert "@sha256:" in run["image"]
    assert {e["name"]: e.get("value") for e in run["env"]}["WORDPRESS_CONFIG_EXTRA"] == extra
    for key in ("requests", "limits"):
        assert set(run["resources"][key]) == {"cpu", "memory"}
    spec = pod_template(cron)["spec"]
    assert {v["name"]: v for v in spec["volumes"]}["html"]["persistentVolumeClaim"] == {
        "claimName": f"{STORE}-wordpress"
    }
    # A cron run reaches the database (the policy lets it in).
    run_labels = pod_template(cron)["metadata"]["labels"]
    database = next(
        d
        for d in docs
        if d["metadata"]["name"] == f"{STORE}-database" and d["kind"] == "NetworkPolicy"
    )
    assert any(
        _matches(p["podSelector"], run_labels) for p in database["spec"]["ingress"][0]["from"]
    )


def test_the_cron_run_waits_for_wordpress_to_be_installed(helm, tmp_path):
    script = container(render(helm, tmp_path), f"{STORE}-cron")["command"][-1]
    assert script.index("wp core is-installed") < script.index("wp cron event run")
    assert "exit 0" in script


def test_cron_can_be_turned_off(helm, tmp_path):
    docs = render(helm, tmp_path, values={"cron": {"enabled": False}})
    assert not [d for d in docs if d["kind"] == "CronJob"]
    assert "cron.ini" not in php_config(docs)


# --- Time budgets ------------------------------------------------------------------------


@pytest.mark.parametrize("shipped", SHIPPED, ids=SHIPPED_IDS)
def test_the_setup_job_ends_before_helm_gives_up_on_it(helm, tmp_path, shipped):
    docs = render(helm, tmp_path, *([shipped] if shipped else []))
    job = next(d for d in docs if d["kind"] == "Job")
    deadline = job["spec"]["activeDeadlineSeconds"]
    env = {
        e["name"]: e.get("value") for e in job["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    waits = 2 * int(env["WAIT_SECONDS"])  # the WordPress files, then the database
    # The Job fails on its own (its own message) before helm's timeout, never the other way
    # round; its waits leave it at least 3 minutes for the work (WooCommerce's download).
    assert deadline <= HELM_TIMEOUT - 60
    assert waits + 180 <= deadline


def test_the_readme_states_the_time_budget(helm, tmp_path):
    readme = (CHART / "README.md").read_text()
    values = yaml.safe_load((CHART / "values.yaml").read_text())["setup"]
    assert f"{values['activeDeadlineSeconds']} s" in readme
    assert f"{values['waitSeconds']} s" in readme
    assert f"{HELM_TIMEOUT} s" in readme


# --- Probes with TLS ---------------------------------------------------------------------


def probes(docs: list[dict]) -> dict[str, dict]:
    wordpress = container(docs, f"{STORE}-wordpress")
    return {k: wordpress[k]["httpGet"] for k in ("startupProbe", "readinessProbe", "livenessProbe")}


@pytest.mark.parametrize("tls", [True, {"clusterIssuer": "le"}])
def test_with_tls_the_php_probe_arrives_as_https(helm, tmp_path, tls):
    # wp-login.php redirects a plain-HTTP request to https://<store host>/ once the site
    # address is https: the kubelet would log a redirect warning on every probe.
    readiness = probes(render(helm, tmp_path, values={"ingress": {"tls": tls}}))["readinessProbe"]
    assert readiness["path"] == "/wp-login.php"
    assert {"name": "X-Forwarded-Proto", "value": "https"} in readiness["httpHeaders"]


def test_without_tls_the_probes_send_no_forwarded_header(helm, tmp_path):
    for probe in probes(render(helm, tmp_path)).values():
        assert "httpHeaders" not in probe


# --- values-local on kind and k3s --------------------------------------------------------


def test_values_local_uses_each_clusters_default_classes(helm, tmp_path):
    docs = render(helm, tmp_path, CHART / "values-local.yaml")
    # kind's default StorageClass is `standard`, k3s's `local-path`: naming neither fits both.
    claims = [d for d in docs if d["kind"] == "PersistentVolumeClaim"]
    assert len(claims) == 2
    assert all("storageClassName" not in c["spec"] for c in claims)
    # The default IngressClass: nginx as scripts/e2e-kind.sh makes it, traefik on k3s.
    ingress = next(d for d in docs if d["kind"] == "Ingress")
    assert "ingressClassName" not in ingress["spec"]


def test_values_local_on_k3s_admits_traefik(helm, tmp_path):
    docs = render(
        helm,
        tmp_path,
        CHART / "values-local.yaml",
        values={"ingress": {"controllerNamespaces": ["kube-system"]}},
    )
    assert ingress_allowed(docs, wordpress_labels(docs), TRAEFIK)
    assert not ingress_allowed(docs, wordpress_labels(docs), NGINX)
