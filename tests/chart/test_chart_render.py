"""The chart lints clean, renders valid Kubernetes objects, and refuses bad values early."""

from __future__ import annotations

import base64
import json
import re

import kubernetes_validate
import pytest
import yaml

from tests.chart.chartkit import (
    CHART,
    PASSWORDS,
    PLAIN_VALUES,
    SECRET_VALUES,
    SHIPPED,
    SHIPPED_IDS,
    STORE,
    pod_template,
    render,
    run_helm,
    template_args,
    values_file,
)
from tests.support import helm_binary

KUBERNETES_MINORS = ["1.32", "1.33", "1.34", "1.35", "1.36", "1.37"]


@pytest.mark.helm
@pytest.mark.parametrize("shipped", SHIPPED, ids=SHIPPED_IDS)
def test_lint_strict_is_clean(helm, tmp_path, shipped):
    values = values_file(tmp_path, {**PLAIN_VALUES, **SECRET_VALUES})
    args = ["lint", "--strict", str(CHART), "--values", str(values)]
    if shipped:
        args[3:3] = ["--values", str(shipped)]
    result = run_helm(helm, args, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 chart(s) linted, 0 chart(s) failed" in result.stdout
    assert not re.search(r"\[(INFO|WARNING|ERROR)\]", result.stdout), result.stdout


@pytest.mark.helm
@pytest.mark.parametrize("shipped", SHIPPED, ids=SHIPPED_IDS)
def test_rendered_objects_pass_strict_schema_validation(tmp_path, shipped):
    # helm 3 renders the same manifests (test_helm_3_and_4_render_the_same_manifests).
    docs = render(helm_binary("4"), tmp_path, *([shipped] if shipped else []))
    kinds = {doc["kind"] for doc in docs}
    assert {"Deployment", "Service", "Ingress", "Secret", "Job", "PersistentVolumeClaim"} <= kinds
    assert {"ResourceQuota", "LimitRange", "NetworkPolicy", "Pod"} <= kinds
    for minor in KUBERNETES_MINORS:
        for doc in docs:
            try:
                kubernetes_validate.validate(doc, f"{minor}.0", strict=True)
            except kubernetes_validate.ValidationError as error:
                pytest.fail(f"{doc['kind']}/{doc['metadata']['name']} on {minor}: {error.message}")


@pytest.mark.helm
@pytest.mark.parametrize("missing", ["adminPassword", "databasePassword", "databaseRootPassword"])
def test_rendering_without_a_password_names_it(helm, tmp_path, missing):
    auth = {k: v for k, v in SECRET_VALUES["auth"].items() if k != missing}
    values = values_file(tmp_path, {**PLAIN_VALUES, "auth": auth})
    result = run_helm(helm, ["template", STORE, str(CHART), "--values", str(values)], tmp_path)
    assert result.returncode != 0
    assert f"auth.{missing} is required" in result.stderr
    assert result.stdout == ""


@pytest.mark.helm
def test_rendering_without_a_store_name_names_it(helm, tmp_path):
    values = values_file(tmp_path, SECRET_VALUES)
    result = run_helm(helm, ["template", STORE, str(CHART), "--values", str(values)], tmp_path)
    assert result.returncode != 0
    assert "storeName is required" in result.stderr


@pytest.mark.helm
@pytest.mark.parametrize(
    ("override", "path"),
    [
        ({"wordpress": {"replicas": "two"}}, "/wordpress/replicas"),
        ({"auth": {"adminPassword": 12345678}}, "/auth/adminPassword"),
        ({"auth": {"adminPassword": "short"}}, "/auth/adminPassword"),
        ({"storeName": "Not_A_Label"}, "/storeName"),
        ({"storeName": "a-name-longer-than-twenty"}, "/storeName"),
        ({"ingress": {"tls": "yes"}}, "/ingress/tls"),
        ({"wordpress": {"resources": {"requests": {"cpu": ["1"]}}}}, "/wordpress/resources"),
        ({"setup": {"resources": {"limits": {"memory": "lots"}}}}, "/setup/resources"),
        ({"database": {"image": {"tag": "latest please"}}}, "/database/image/tag"),
        ({"unknownValue": True}, "unknownValue"),
    ],
)
def test_wrong_typed_values_are_refused_naming_the_value(helm, tmp_path, override, path):
    result = run_helm(helm, template_args(tmp_path, values=override), tmp_path)
    assert result.returncode != 0
    assert "values don't meet the specifications of the schema" in result.stderr
    assert path in result.stderr, result.stderr
    assert result.stdout == ""


@pytest.mark.helm
def test_secret_holds_every_credential_under_the_contract_keys(helm, tmp_path):
    docs = render(helm, tmp_path)
    secret = next(d for d in docs if d["kind"] == "Secret")
    assert secret["metadata"]["name"] == f"{STORE}-credentials"
    decoded = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
    auth = SECRET_VALUES["auth"]
    assert decoded == {
        "admin-user": auth["adminUser"],
        "admin-email": auth["adminEmail"],
        "admin-password": auth["adminPassword"],
        "database-password": auth["databasePassword"],
        "database-root-password": auth["databaseRootPassword"],
    }


@pytest.mark.helm
def test_no_password_outside_the_secret(helm, tmp_path):
    """Not in a ConfigMap, an env value, an annotation or a label."""
    for doc in render(helm, tmp_path):
        if doc["kind"] == "Secret":
            continue
        text = yaml.safe_dump(doc)
        for password in PASSWORDS:
            assert password not in text, f"{doc['kind']}/{doc['metadata']['name']}"
            assert base64.b64encode(password.encode()).decode() not in text


@pytest.mark.helm
def test_notes_give_the_url_and_where_the_password_is_but_not_the_password(tmp_path):
    # Helm 4's client-only dry run prints NOTES without a cluster (helm 3's still calls one).
    args = template_args(tmp_path)
    args[0:2] = ["install", STORE]
    result = run_helm(helm_binary("4"), [*args, "--dry-run=client"], tmp_path)
    assert result.returncode == 0, result.stderr
    notes = result.stdout.split("NOTES:", 1)[1]
    assert f"http://{STORE}.localhost/" in notes
    assert f"get secret {STORE}-credentials" in notes
    assert f"storedesk credentials {STORE} --reveal" in notes
    for password in PASSWORDS:
        assert password not in notes
        assert base64.b64encode(password.encode()).decode() not in notes


@pytest.mark.helm
def test_pods_read_passwords_through_secret_key_refs(helm, tmp_path):
    docs = render(helm, tmp_path)
    refs = set()
    for doc in docs:
        for container in _containers(doc):
            for env in container.get("env", []):
                if "password" in env["name"].lower():
                    ref = env["valueFrom"]["secretKeyRef"]
                    assert ref["name"] == f"{STORE}-credentials"
                    refs.add(ref["key"])
    assert refs == {"admin-password", "database-password", "database-root-password"}


@pytest.mark.helm
@pytest.mark.parametrize(
    ("tls", "scheme", "secret"),
    [
        (None, "http", None),
        (False, "http", None),
        (True, "https", None),
        ({"secretName": "shop-cert"}, "https", "shop-cert"),
        ({"clusterIssuer": "letsencrypt"}, "https", f"{STORE}-tls"),
        ({"enabled": False, "secretName": "x"}, "http", None),
    ],
)
def test_ingress_host_and_tls(helm, tmp_path, tls, scheme, secret):
    docs = render(
        helm,
        tmp_path,
        values={"domain": "shops.test", "ingress": {"tls": tls, "className": "nginx"}},
    )
    ingress = next(d for d in docs if d["kind"] == "Ingress")
    host = f"{STORE}.shops.test"
    assert ingress["spec"]["rules"][0]["host"] == host
    assert ingress["spec"]["ingressClassName"] == "nginx"
    if scheme == "http":
        assert "tls" not in ingress["spec"]
    else:
        assert ingress["spec"]["tls"][0]["hosts"] == [host]
        assert ingress["spec"]["tls"][0].get("secretName") == secret
    annotations = ingress["metadata"].get("annotations", {})
    if isinstance(tls, dict) and tls.get("clusterIssuer"):
        assert annotations["cert-manager.io/cluster-issuer"] == tls["clusterIssuer"]
    job = next(d for d in docs if d["kind"] == "Job")
    env = {
        e["name"]: e.get("value") for e in job["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    assert env["WP_URL"] == f"{scheme}://{host}"


@pytest.mark.helm
def test_default_ingress_class_is_the_clusters(helm, tmp_path):
    ingress = next(d for d in render(helm, tmp_path) if d["kind"] == "Ingress")
    assert "ingressClassName" not in ingress["spec"]


@pytest.mark.helm
def test_images_are_official_and_pinned(helm, tmp_path):
    images = {c["image"] for doc in render(helm, tmp_path) for c in _containers(doc)}
    # Digests from docker-library/repo-info (chart README, Images).
    assert images == {
        "docker.io/library/wordpress:7.1.1-php8.3-apache"
        "@sha256:51464c8fdb100c5cd2ebfaec1834cf111d993bc4929ef2330c1cc721eda0fc30",
        "docker.io/library/mariadb:11.8.9"
        "@sha256:2d2f4095530294735a857cfe22bb101e19b0849b416911c796ec4aa81b164a62",
        "docker.io/library/wordpress:cli-2.12.0-php8.3"
        "@sha256:2b5e9d4d3e51909dca1aaa4732e9f5e5bf0377c2114dbd8ff39f060bff202586",
    }


def test_woocommerce_version_matches_the_chart_app_version():
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    assert values["woocommerce"]["version"] == chart["appVersion"]


def test_every_value_is_described_by_the_schema():
    """values.yaml has no key the schema does not know (additionalProperties is false)."""
    schema = json.loads((CHART / "values.schema.json").read_text())
    values = yaml.safe_load((CHART / "values.yaml").read_text())

    def walk(value, node, path):
        if "$ref" in node:
            node = schema["definitions"][node["$ref"].rsplit("/", 1)[1]]
        if isinstance(value, dict) and "properties" in node:
            for key, child in value.items():
                assert key in node["properties"], f"{path}.{key} is not in the schema"
                walk(child, node["properties"][key], f"{path}.{key}")

    walk(values, schema, "")


def _containers(doc: dict) -> list[dict]:
    if doc["kind"] == "Pod":
        return doc["spec"]["containers"]
    if doc["kind"] in ("Deployment", "Job", "CronJob"):
        return pod_template(doc)["spec"]["containers"]
    return []


DNS_1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
DNS_1035_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")


@pytest.mark.helm
def test_the_longest_store_name_keeps_every_derived_name_valid(tmp_path):
    from storedesk.domain.names import MAX_LENGTH, validate_store_name

    store = validate_store_name("s" + "0" * (MAX_LENGTH - 1))
    namespace = f"store-{store}"
    assert DNS_1123_LABEL.fullmatch(namespace) and len(namespace) <= 63
    plain = values_file(tmp_path, {**PLAIN_VALUES, **SECRET_VALUES, "storeName": store})
    args = ["template", store, str(CHART), "--namespace", namespace, "--values", str(plain)]
    result = run_helm(helm_binary("4"), args, tmp_path)
    assert result.returncode == 0, result.stderr
    docs = [doc for doc in yaml.safe_load_all(result.stdout) if doc]
    assert len(docs) > 10
    for doc in docs:
        name = doc["metadata"]["name"]
        assert DNS_1123_LABEL.fullmatch(name) and len(name) <= 63, name
        labels = dict(doc["metadata"].get("labels") or {})
        template = doc.get("spec", {}).get("template", {})
        labels.update(template.get("metadata", {}).get("labels") or {})
        assert all(len(str(value)) <= 63 for value in labels.values()), labels
        if doc["kind"] == "Service":
            assert DNS_1035_LABEL.fullmatch(name), name
        if doc["kind"] == "Deployment":  # pods: <deployment>-<10 hash>-<5>, untruncated
            assert len(f"{name}-{'x' * 10}-{'y' * 5}") <= 63, name
        if doc["kind"] in ("Job", "StatefulSet"):  # job-name / revision-hash label values
            assert len(f"{name}-{'x' * 10}") <= 63, name
