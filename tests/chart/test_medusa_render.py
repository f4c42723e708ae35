"""The Medusa chart lints clean, renders valid Kubernetes objects for 1.32-1.37, keeps every
secret in its Secret, and refuses bad values early (issue 14)."""

from __future__ import annotations

import base64
import json
import re

import kubernetes_validate
import pytest
import yaml

from tests.chart.chartkit import PLAIN_VALUES, STORE, run_helm, values_file
from tests.chart.medusakit import (
    CHART,
    SECRET_VALUES,
    SECRETS,
    SHIPPED,
    SHIPPED_IDS,
    by_name,
    containers,
    env_of,
    render,
    template_args,
)
from tests.support import helm_binary

KUBERNETES_MINORS = ["1.32", "1.33", "1.34", "1.35", "1.36", "1.37"]
DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


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
    docs = render(helm_binary("4"), tmp_path, *([shipped] if shipped else []))
    kinds = {doc["kind"] for doc in docs}
    assert {"Deployment", "Service", "Ingress", "Secret", "Job", "PersistentVolumeClaim"} <= kinds
    assert {"ResourceQuota", "LimitRange", "NetworkPolicy", "Pod", "ConfigMap"} <= kinds
    for minor in KUBERNETES_MINORS:
        for doc in docs:
            try:
                kubernetes_validate.validate(doc, f"{minor}.0", strict=True)
            except kubernetes_validate.ValidationError as error:
                pytest.fail(f"{doc['kind']}/{doc['metadata']['name']} on {minor}: {error.message}")


@pytest.mark.helm
def test_helm_3_and_4_render_the_same_manifests(tmp_path):
    rendered = []
    for major in ("3", "4"):
        (tmp_path / major).mkdir()
        rendered.append(render(helm_binary(major), tmp_path / major))
    assert rendered[0] == rendered[1]


@pytest.mark.helm
@pytest.mark.parametrize(
    "missing",
    [
        "adminPassword",
        "databasePassword",
        "redisPassword",
        "jwtSecret",
        "cookieSecret",
        "publishableKey",
    ],
)
def test_rendering_without_a_secret_names_it(helm, tmp_path, missing):
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
        ({"auth": {"databasePassword": "has:colon@and/slash"}}, "/auth/databasePassword"),
        ({"auth": {"redisPassword": "short"}}, "/auth/redisPassword"),
        ({"auth": {"jwtSecret": "tooshort"}}, "/auth/jwtSecret"),
        ({"auth": {"publishableKey": "pk with spaces in it"}}, "/auth/publishableKey"),
        ({"auth": {"adminEmail": "not-an-email"}}, "/auth/adminEmail"),
        ({"storeName": "Not_A_Label"}, "/storeName"),
        ({"urlPort": "8080"}, "/urlPort"),
        ({"urlPort": 70000}, "/urlPort"),
        ({"ingress": {"tls": "yes"}}, "/ingress/tls"),
        ({"medusa": {"starter": {"commit": "master"}}}, "/medusa/starter/commit"),
        ({"medusa": {"seed": {"countries": ["GB"]}}}, "/medusa/seed/countries"),
        ({"setup": {"resources": {"limits": {"memory": "lots"}}}}, "/setup/resources"),
        ({"server": {"maxOldSpaceSize": "768"}}, "/server/maxOldSpaceSize"),
        ({"redis": {"image": {"tag": "latest please"}}}, "/redis/image/tag"),
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
def test_secret_holds_every_credential_and_the_urls_built_from_them(helm, tmp_path):
    [secret] = by_name(render(helm, tmp_path), "Secret").values()
    assert secret["metadata"]["name"] == f"{STORE}-credentials"
    data = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
    auth = SECRET_VALUES["auth"]
    assert data["admin-user"] == auth["adminUser"]
    assert data["admin-email"] == auth["adminEmail"]
    for key, value in [
        ("admin-password", "adminPassword"),
        ("database-password", "databasePassword"),
        ("redis-password", "redisPassword"),
        ("jwt-secret", "jwtSecret"),
        ("cookie-secret", "cookieSecret"),
        ("publishable-key", "publishableKey"),
    ]:
        assert data[key] == auth[value], key
    assert data["database-url"] == (
        f"postgres://medusa:{auth['databasePassword']}@{STORE}-database:5432/medusa?sslmode=disable"
    )
    assert data["redis-url"] == f"redis://:{auth['redisPassword']}@{STORE}-redis:6379"
    assert f"requirepass {auth['redisPassword']}\n" in data["redis.conf"]


@pytest.mark.helm
def test_the_admin_login_defaults_to_the_admin_email(helm, tmp_path):
    """Medusa logs in by email: with no admin user given, the login shown is the email."""
    auth = {k: v for k, v in SECRET_VALUES["auth"].items() if k not in ("adminUser", "adminEmail")}
    docs = render(helm, tmp_path, values={"auth": {**auth, "adminUser": "", "adminEmail": ""}})
    [secret] = by_name(docs, "Secret").values()
    data = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
    assert data["admin-user"] == data["admin-email"] == f"admin@{STORE}.localhost"


@pytest.mark.helm
def test_no_secret_outside_the_secret(helm, tmp_path):
    """Not in a ConfigMap, an env value, an annotation, a label or a command line."""
    for doc in render(helm, tmp_path):
        if doc["kind"] == "Secret":
            continue
        text = yaml.safe_dump(doc)
        for secret in SECRETS:
            assert secret not in text, f"{doc['kind']}/{doc['metadata']['name']}"
            assert base64.b64encode(secret.encode()).decode() not in text


@pytest.mark.helm
def test_containers_read_secrets_through_secret_key_refs(helm, tmp_path):
    secret_names = {"DATABASE_URL", "REDIS_URL", "JWT_SECRET", "COOKIE_SECRET"}
    refs: dict[str, set[str]] = {}
    for doc in render(helm, tmp_path):
        for container in containers(doc):
            for name, entry in env_of(container).items():
                if name in secret_names or name.endswith(("PASSWORD", "_KEY", "CLI_AUTH")):
                    ref = entry["valueFrom"]["secretKeyRef"]
                    assert ref["name"] == f"{STORE}-credentials", name
                    refs.setdefault(container["name"], set()).add(ref["key"])
    medusa = {"database-url", "redis-url", "jwt-secret", "cookie-secret"}
    assert medusa <= refs["medusa"]
    assert medusa | {"admin-password", "publishable-key"} <= refs["setup"]
    assert refs["postgres"] == {"database-password"}
    assert refs["redis"] == {"redis-password"}
    assert refs["store-api"] == {"publishable-key"}


@pytest.mark.helm
def test_notes_give_the_urls_and_where_the_secrets_are_but_no_secret(tmp_path):
    args = template_args(tmp_path)
    args[0:2] = ["install", STORE]
    result = run_helm(helm_binary("4"), [*args, "--dry-run=client"], tmp_path)
    assert result.returncode == 0, result.stderr
    notes = result.stdout.split("NOTES:", 1)[1]
    assert f"http://{STORE}.localhost/app" in notes
    assert f"http://{STORE}.localhost/store" in notes
    assert "needs the" in notes and "internet" in notes
    assert f"storedesk credentials {STORE} --reveal" in notes
    for secret in SECRETS:
        assert secret not in notes


@pytest.mark.helm
@pytest.mark.parametrize(
    ("tls", "port", "url"),
    [
        (None, None, f"http://{STORE}.shops.test"),
        (True, None, f"https://{STORE}.shops.test"),
        ({"clusterIssuer": "letsencrypt"}, None, f"https://{STORE}.shops.test"),
        (False, 8080, f"http://{STORE}.shops.test:8080"),
    ],
)
def test_ingress_host_tls_and_the_url_medusa_is_told(helm, tmp_path, tls, port, url):
    values = {"domain": "shops.test", "ingress": {"tls": tls, "className": "nginx"}}
    if port:
        values["urlPort"] = port
    docs = render(helm, tmp_path, values=values)
    [ingress] = by_name(docs, "Ingress").values()
    host = f"{STORE}.shops.test"
    assert ingress["spec"]["rules"][0]["host"] == host  # never the port
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]
    assert backend["path"] == "/"  # /app, /store, /admin, /auth and /health
    assert backend["backend"]["service"] == {"name": f"{STORE}-server", "port": {"name": "http"}}
    assert ("tls" in ingress["spec"]) == url.startswith("https")
    server = by_name(docs, "Deployment")[f"{STORE}-server"]
    env = env_of(containers(server)[-1])
    for name in ("STOREDESK_URL", "STORE_CORS", "ADMIN_CORS", "AUTH_CORS"):
        assert env[name]["value"] == url
    assert env["STOREDESK_SECURE_COOKIES"]["value"] == str(url.startswith("https")).lower()


@pytest.mark.helm
def test_images_are_official_and_pinned_by_tag_and_digest(helm, tmp_path):
    images = {c["image"] for doc in render(helm, tmp_path) for c in containers(doc)}
    assert len(images) == 4
    for image in images:
        name, _, digest = image.partition("@")
        assert DIGEST.fullmatch(digest), image
        assert re.fullmatch(r"docker\.io/library/(node|postgres|redis):[A-Za-z0-9_.-]+", name)


def test_the_readme_says_where_each_pinned_digest_was_seen():
    readme = (CHART / "README.md").read_text()
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    for part in ("server", "database", "redis", "setup"):
        image = values[part]["image"]
        line = next(
            (line for line in readme.splitlines() if f"{image['tag']}@{image['digest']}" in line),
            None,
        )
        assert line, f"{part}: {image['tag']}@{image['digest']} is not in the README"
        assert "docker-library/repo-info" in line and "repos/" in line, line


def test_the_setup_image_is_unique_so_a_fault_can_target_it():
    """The simulator fails pods by image pattern: the setup Job's tag is its own."""
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    tags = [values[part]["image"]["tag"] for part in ("server", "database", "redis")]
    assert values["setup"]["image"]["tag"] not in tags


def test_medusa_version_matches_the_chart_app_version():
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    assert values["medusa"]["version"] == chart["appVersion"]


def test_every_value_is_described_by_the_schema():
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


@pytest.mark.helm
def test_a_new_build_rolls_the_server_onto_it(helm, tmp_path):
    """The build id follows the starter: another commit builds anew and restarts the server
    on it; the same values render the same id."""
    first = render(helm, tmp_path)
    again = render(helm, tmp_path)
    other = render(helm, tmp_path, values={"medusa": {"starter": {"commit": "0" * 40}}})

    def build(docs):
        server = by_name(docs, "Deployment")[f"{STORE}-server"]["spec"]["template"]
        job = by_name(docs, "Job")[f"{STORE}-setup"]["spec"]["template"]
        [medusa] = server["spec"]["containers"]
        build_id = server["metadata"]["annotations"]["storedesk.io/medusa-build"]
        assert env_of(job["spec"]["containers"][0])["BUILD_ID"]["value"] == build_id
        assert medusa["workingDir"] == f"/srv/medusa/builds/{build_id}/.medusa/server"
        return build_id

    assert build(first) == build(again)
    assert build(first) != build(other)


DNS_1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")


@pytest.mark.helm
def test_the_longest_store_name_keeps_every_derived_name_valid(tmp_path):
    from storedesk.domain.names import MAX_LENGTH, validate_store_name

    store = validate_store_name("s" + "0" * (MAX_LENGTH - 1))
    values = values_file(tmp_path, {**PLAIN_VALUES, **SECRET_VALUES, "storeName": store})
    args = ["template", store, str(CHART), "--namespace", f"store-{store}", "--values", str(values)]
    result = run_helm(helm_binary("4"), args, tmp_path)
    assert result.returncode == 0, result.stderr
    docs = [doc for doc in yaml.safe_load_all(result.stdout) if doc]
    for doc in docs:
        name = doc["metadata"]["name"]
        assert DNS_1123_LABEL.fullmatch(name) and len(name) <= 63, name
        if doc["kind"] == "Deployment":  # pods: <deployment>-<10 hash>-<5>
            assert len(f"{name}-{'x' * 10}-{'y' * 5}") <= 63, name
        if doc["kind"] == "Job":
            assert len(f"{name}-{'x' * 10}") <= 63, name
