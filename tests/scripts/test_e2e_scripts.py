"""The end-to-end scripts, the image check and the e2e workflow, as far as a machine
without Docker can take them: shellcheck on every script in scripts/, each e2e script in
its dry-run mode (it must stop before the first Docker step, having asked nothing of
Docker, kind, k3d, kubectl or the network), check-images against a stub `docker`, and
the workflow's structure."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.support import ROOT, helm_binary

SCRIPTS = ROOT / "scripts"
WORKFLOW = ROOT / ".github" / "workflows" / "e2e.yml"
E2E = {"kind": SCRIPTS / "e2e-kind.sh", "k3s": SCRIPTS / "e2e-k3s.sh"}
STEPS = ["preflight", "cluster", "ingress", "images", "doctor", "create", "checkout", "delete"]
# The commands a dry run prints for the first Docker step, and the tool that runs it.
FIRST_DOCKER_COMMAND = {"kind": "+ kind create cluster", "k3s": "+ k3d cluster create"}
CLUSTER_TOOL = {"kind": "kind", "k3s": "k3d"}
# What a dry run must never run: everything that needs Docker or reaches past this machine.
FORBIDDEN = ["docker", "kind", "k3d", "kubectl", "curl"]


def shell_scripts() -> list[Path]:
    """Every shell script in scripts/ and scripts/lib/: *.sh, or a bash/sh shebang."""
    found = []
    for path in sorted([*SCRIPTS.glob("*"), *SCRIPTS.glob("lib/*")]):
        if not path.is_file():
            continue
        first = path.read_text(errors="replace").split("\n", 1)[0]
        if path.suffix == ".sh" or re.match(r"#!.*\b(bash|sh)\b", first):
            found.append(path)
    return found


def script_id(path: Path) -> str:
    return str(path.relative_to(SCRIPTS))


def base_env(tmp_path: Path, *front: Path) -> dict[str, str]:
    """PATH: the given folders, this venv (storedesk, python3 with PyYAML), the pinned
    helm 4, then the system's. TMPDIR inside tmp_path, so leftovers would show."""
    helm = helm_binary("4").path.parent
    path = [*map(str, front), str(Path(sys.executable).parent), str(helm), os.environ["PATH"]]
    tmp = tmp_path / "tmp"
    tmp.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("DRY_RUN", "KEEP", "E2E_ENGINES")}
    env.update(PATH=os.pathsep.join(path), PYTHON=sys.executable, TMPDIR=str(tmp))
    return env


def stub_tools(folder: Path, names: list[str], log: Path) -> None:
    """Stand-ins that record each call and fail: a dry run must call none of them."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        stub = folder / name
        stub.write_text(f'#!/bin/sh\necho "{name} $*" >>"{log}"\nexit 97\n')
        stub.chmod(0o755)


def run(argv: list[str], env: dict[str, str], timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run(
        argv, env=env, capture_output=True, text=True, timeout=timeout, check=False, cwd=ROOT
    )


# ---------------------------------------------------------------------------------------
# shellcheck, strict mode


@pytest.mark.parametrize("script", shell_scripts(), ids=script_id)
def test_script_passes_shellcheck(script: Path) -> None:
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        pytest.fail("shellcheck is not installed: scripts/install-system-deps.sh test adds it")
    # scripts/.shellcheckrc lets shellcheck follow the scripts' `source` of scripts/lib.
    result = subprocess.run(
        [shellcheck, "--severity=style", str(script)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "script",
    [*E2E.values(), SCRIPTS / "check-images.sh", SCRIPTS / "lib" / "cluster-tools.sh"],
    ids=script_id,
)
def test_runnable_script_is_strict_and_executable(script: Path) -> None:
    assert os.access(script, os.X_OK), f"{script} is not executable"
    assert script.read_text().startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in script.read_text()


def test_the_admin_password_reaches_curl_only_on_stdin() -> None:
    """Read into a variable from `storedesk credentials --reveal -o json`, then piped."""
    text = (SCRIPTS / "lib" / "woocommerce.sh").read_text()
    assert 'creds="$(sd credentials "$store" --reveal -o json)"' in text
    for line in text.splitlines():
        if '"$admin_password"' in line:
            line = line.strip()
            assert line.startswith(("printf '%s' \"$admin_password\" | shop_curl", "if [ -z")), line
    assert "--data-urlencode 'pwd@-'" in text


# ---------------------------------------------------------------------------------------
# The e2e scripts' dry run


@pytest.mark.parametrize(
    ("cluster", "how"), [("kind", "flag"), ("kind", "env"), ("k3s", "flag"), ("k3s", "env")]
)
def test_e2e_dry_run_stops_before_docker(cluster: str, how: str, tmp_path: Path) -> None:
    log = tmp_path / "calls.log"
    stubs = tmp_path / "stubs"
    stub_tools(stubs, FORBIDDEN, log)
    env = base_env(tmp_path, stubs)
    argv = [str(E2E[cluster])]
    if how == "flag":
        argv.append("--dry-run")
    else:
        env["DRY_RUN"] = "1"

    result = run(argv, env)

    out = result.stderr
    assert result.returncode == 0, out
    assert f"e2e-{cluster}: plan (8 steps, dry run)" in out
    for number, step in enumerate(STEPS, start=1):
        assert re.search(rf"^e2e-{cluster}:   {number}\. {step}\b", out, re.M), step
    assert f"tools for preflight: bash helm {sys.executable} (ok)" in out
    assert "stores: e2e-woocommerce at http://<store>.localhost/" in out
    # The charts rendered (check-images --dry-run), and the first Docker step's commands.
    assert "check-images: + docker manifest inspect docker.io/library/wordpress@sha256:" in out
    assert re.search(
        rf"^e2e-{cluster}: {re.escape(FIRST_DOCKER_COMMAND[cluster])} .*storedesk-e2e", out, re.M
    )
    assert "dry run: stopped before step 2/8 (cluster); nothing was created" in out
    # Nothing past the preflight ran: no Docker, cluster tool, kubectl or curl call.
    assert not log.exists(), log.read_text()
    # The work folder is gone.
    assert list((tmp_path / "tmp").iterdir()) == []


def test_kind_dry_run_prints_its_cluster_config(tmp_path: Path) -> None:
    result = run([str(E2E["kind"]), "--dry-run"], base_env(tmp_path))
    assert result.returncode == 0, result.stderr
    config = "\n".join(line[4:] for line in result.stderr.splitlines() if line.startswith("    "))
    parsed = yaml.safe_load(config)
    node = parsed["nodes"][0]
    assert node["image"] == pins_from_shell()["KIND_NODE_IMAGE"]
    assert {
        (m["containerPort"], m["hostPort"], m["listenAddress"]) for m in node["extraPortMappings"]
    } == {
        (80, 80, "127.0.0.1"),
        (443, 443, "127.0.0.1"),
    }


@pytest.mark.parametrize("cluster", sorted(E2E))
def test_e2e_dry_run_without_the_cluster_tool_warns_and_passes(
    cluster: str, tmp_path: Path
) -> None:
    """Our CI has no kind or k3d: the dry run says so and still passes; a STORE argument
    names the store."""
    env = base_env(tmp_path)
    tool = CLUSTER_TOOL[cluster]
    result = run([str(E2E[cluster]), "--dry-run", "myshop"], env)
    assert result.returncode == 0, result.stderr
    assert "stores: myshop at http://<store>.localhost/" in result.stderr
    if shutil.which(tool, path=env["PATH"]) is None:
        assert f"warning: not on PATH: {tool} (needed from step cluster" in result.stderr


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["Bad_Name"], {}, "store name 'Bad_Name': 1-20 characters"),
        (["admin"], {}, "store name 'admin' is reserved"),
        (["a-very-long-store-name-x"], {}, "store name 'a-very-long-store-name-x'"),
        ([], {"E2E_ENGINES": "nosuch"}, "engine nosuch: no checkout_nosuch function"),
        (
            ["shop"],
            {"E2E_ENGINES": "woocommerce woocommerce"},
            "a STORE name needs a single engine",
        ),
        ([], {"E2E_CREATE_TIMEOUT": "ten"}, "E2E_CREATE_TIMEOUT must be a number of seconds"),
        (["--bogus"], {}, "unknown option --bogus"),
        ([], {"KEEP": "yes"}, "KEEP must be 0 or 1"),
    ],
)
def test_e2e_dry_run_refuses_bad_inputs(
    args: list[str], env: dict[str, str], message: str, tmp_path: Path
) -> None:
    full_env = base_env(tmp_path)
    full_env.update(env)
    result = run([str(E2E["kind"]), "--dry-run", *args], full_env)
    assert result.returncode == 1, result.stderr
    assert message in result.stderr
    assert "FAILED" in result.stderr


@pytest.mark.parametrize("cluster", sorted(E2E))
def test_e2e_help(cluster: str, tmp_path: Path) -> None:
    result = run([str(E2E[cluster]), "--help"], base_env(tmp_path))
    assert result.returncode == 0
    assert f"scripts/e2e-{cluster}.sh [--dry-run] [--keep] [STORE]" in result.stdout
    assert "E2E_ENGINES" in result.stdout


def test_checkout_is_a_function_per_engine() -> None:
    """Room for another engine: the e2e dispatches to checkout_<engine>."""
    lib = (SCRIPTS / "lib" / "e2e.sh").read_text()
    assert '"checkout_${ENGINES[i]}" "${STORES[i]}"' in lib
    assert re.search(
        r"^checkout_woocommerce\(\) \{", (SCRIPTS / "lib" / "woocommerce.sh").read_text(), re.M
    )


# ---------------------------------------------------------------------------------------
# check-images.sh


def woocommerce_images() -> set[str]:
    values = yaml.safe_load((ROOT / "charts" / "woocommerce" / "values.yaml").read_text())
    return {
        f"{values[part]['image']['repository']}:{values[part]['image']['tag']}"
        f"@{values[part]['image']['digest']}"
        for part in ("wordpress", "database", "setup")
    }


def test_check_images_dry_run_lists_every_woocommerce_image(tmp_path: Path) -> None:
    log = tmp_path / "calls.log"
    stubs = tmp_path / "stubs"
    stub_tools(stubs, ["docker"], log)
    result = run(
        [str(SCRIPTS / "check-images.sh"), "--dry-run", "charts/woocommerce"],
        base_env(tmp_path, stubs),
    )
    assert result.returncode == 0, result.stderr
    listed = set(re.findall(r"^check-images:   (\S+)   \(in woocommerce\)$", result.stderr, re.M))
    assert listed == woocommerce_images()
    for image in woocommerce_images():
        name_tag, digest = image.split("@")
        repository, tag = name_tag.rsplit(":", 1)
        assert f"+ docker manifest inspect {repository}@{digest}" in result.stderr
        assert f"+ docker manifest inspect {repository}:{tag}" in result.stderr
    assert not log.exists()


def test_check_images_skips_library_charts_and_renders_the_rest(tmp_path: Path) -> None:
    result = run([str(SCRIPTS / "check-images.sh"), "--dry-run"], base_env(tmp_path))
    assert result.returncode == 0, result.stderr
    for chart in sorted((ROOT / "charts").glob("*/Chart.yaml")):
        meta = yaml.safe_load(chart.read_text())
        if meta.get("type") == "library":
            assert f"check-images: {chart.parent.name}: a library chart" in result.stderr
        else:
            assert (
                f"(in {chart.parent.name})" in result.stderr
                or f", {chart.parent.name}" in result.stderr
            )


def docker_stub(folder: Path, log: Path, missing: str) -> None:
    """A `docker` whose registry lacks one reference."""
    folder.mkdir(parents=True, exist_ok=True)
    stub = folder / "docker"
    stub.write_text(
        "#!/bin/sh\n"
        f'echo "$*" >>"{log}"\n'
        f'if [ "$3" = "{missing}" ]; then echo "no such manifest: $3" >&2; exit 1; fi\n'
        'echo "{}"\n'
    )
    stub.chmod(0o755)


def test_check_images_asks_the_registry_for_each_digest_and_tag(tmp_path: Path) -> None:
    log = tmp_path / "docker.log"
    docker_stub(tmp_path / "stubs", log, missing="none")
    result = run(
        [str(SCRIPTS / "check-images.sh"), "charts/woocommerce"],
        base_env(tmp_path, tmp_path / "stubs"),
    )
    assert result.returncode == 0, result.stderr
    asked = set(log.read_text().splitlines())
    expected = set()
    for image in woocommerce_images():
        name_tag, digest = image.split("@")
        repository, tag = name_tag.rsplit(":", 1)
        expected |= {
            f"manifest inspect {repository}@{digest}",
            f"manifest inspect {repository}:{tag}",
        }
    assert asked == expected
    assert "PASSED: 6 references (3 images) exist upstream" in result.stderr


def test_check_images_fails_naming_a_missing_tag(tmp_path: Path) -> None:
    log = tmp_path / "docker.log"
    docker_stub(tmp_path / "stubs", log, missing="docker.io/library/mariadb:11.8.9")
    result = run(
        [str(SCRIPTS / "check-images.sh"), "charts/woocommerce"],
        base_env(tmp_path, tmp_path / "stubs"),
    )
    assert result.returncode == 1
    assert "missing: docker.io/library/mariadb:11.8.9: no such manifest" in result.stderr
    assert "1 image references do not resolve upstream" in result.stderr
    # Every other reference was still asked.
    assert len(log.read_text().splitlines()) == 6


def write_chart(folder: Path, image: str, chart_type: str = "application") -> Path:
    (folder / "templates").mkdir(parents=True)
    (folder / "Chart.yaml").write_text(
        f"apiVersion: v2\nname: {folder.name}\nversion: 0.1.0\ntype: {chart_type}\n"
    )
    (folder / "values.yaml").write_text(f"image: {image}\n")
    (folder / "templates" / "job.yaml").write_text(
        "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: t}\nspec:\n"
        "  schedule: '* * * * *'\n  jobTemplate:\n    spec:\n      template:\n        spec:\n"
        "          restartPolicy: Never\n"
        "          initContainers: [{name: i, image: '{{ .Values.image }}'}]\n"
        "          containers: [{name: c, image: 'docker.io/library/busybox:1.37.0'}]\n"
    )
    return folder


def test_check_images_refuses_an_unpinned_image(tmp_path: Path) -> None:
    chart = write_chart(tmp_path / "unpinned", "docker.io/library/busybox")
    log = tmp_path / "docker.log"
    docker_stub(tmp_path / "stubs", log, missing="none")
    result = run(
        [str(SCRIPTS / "check-images.sh"), str(chart)], base_env(tmp_path, tmp_path / "stubs")
    )
    assert result.returncode == 1
    assert "missing: docker.io/library/busybox: neither a tag nor a digest" in result.stderr
    # Images in any pod template are found: a CronJob's init container and container.
    assert "manifest inspect docker.io/library/busybox:1.37.0" in log.read_text()


def test_check_images_reads_registry_ports_and_tags_apart(tmp_path: Path) -> None:
    chart = write_chart(tmp_path / "ported", "registry.example:5000/team/app:2.1")
    result = run([str(SCRIPTS / "check-images.sh"), "--dry-run", str(chart)], base_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "+ docker manifest inspect registry.example:5000/team/app:2.1" in result.stderr


def test_check_images_names_a_chart_that_does_not_render(tmp_path: Path) -> None:
    chart = write_chart(tmp_path / "broken", "x:1")
    (chart / "templates" / "bad.yaml").write_text('{{ required "needs.value" .Values.needs }}\n')
    result = run([str(SCRIPTS / "check-images.sh"), "--dry-run", str(chart)], base_env(tmp_path))
    assert result.returncode == 1
    assert "needs.value" in result.stderr
    assert "helm template of broken with values.yaml failed" in result.stderr


# ---------------------------------------------------------------------------------------
# The pinned cluster tools


def test_cluster_tools_dry_run_prints_the_pinned_downloads(tmp_path: Path) -> None:
    pins = pins_from_shell()
    for tool, version in (("kind", pins["KIND_VERSION"]), ("k3d", pins["K3D_VERSION"])):
        result = run(
            [
                str(SCRIPTS / "lib" / "cluster-tools.sh"),
                "--dry-run",
                "install",
                tool,
                str(tmp_path / "bin"),
            ],
            base_env(tmp_path),
        )
        assert result.returncode == 0, result.stderr
        assert f"/releases/download/{version}/{tool}-linux-" in result.stderr
        assert "check the SHA-256" in result.stderr
        assert not (tmp_path / "bin").exists()
    bad = run(
        [str(SCRIPTS / "lib" / "cluster-tools.sh"), "install", "minikube", "x"], base_env(tmp_path)
    )
    assert bad.returncode == 1
    assert "unknown tool 'minikube'" in bad.stderr


def pins_from_shell() -> dict[str, str]:
    """The pins, as bash reads them from scripts/lib/cluster-tools.sh."""
    names = [
        "KIND_VERSION",
        "KIND_NODE_IMAGE",
        "K3D_VERSION",
        "K3S_IMAGE",
        "INGRESS_NGINX_MANIFEST",
    ]
    script = f'source "{SCRIPTS / "lib" / "cluster-tools.sh"}"; ' + "; ".join(
        f'echo "{n}=${{{n}}}"' for n in names
    )
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True).stdout
    return dict(line.split("=", 1) for line in out.splitlines())


def test_pins_are_exact() -> None:
    pins = pins_from_shell()
    assert re.fullmatch(r"v\d+\.\d+\.\d+", pins["KIND_VERSION"])
    assert re.fullmatch(r"v\d+\.\d+\.\d+", pins["K3D_VERSION"])
    assert re.fullmatch(r"kindest/node:v\d+\.\d+\.\d+@sha256:[0-9a-f]{64}", pins["KIND_NODE_IMAGE"])
    assert re.fullmatch(r"rancher/k3s:v\d+\.\d+\.\d+-k3s\d+", pins["K3S_IMAGE"])
    # A manifest pinned by commit, not by a branch or a tag that could move.
    assert re.search(
        r"/ingress-nginx/[0-9a-f]{40}/deploy/static/provider/kind/deploy\.yaml$",
        pins["INGRESS_NGINX_MANIFEST"],
    )


# ---------------------------------------------------------------------------------------
# The workflow


def load_workflow() -> dict:
    # PyYAML reads the key `on` as True (YAML 1.1); GitHub reads it as "on".
    return yaml.safe_load(WORKFLOW.read_text())


def test_workflow_parses_and_runs_both_clusters() -> None:
    workflow = load_workflow()
    assert workflow["name"] == "e2e"
    assert workflow["permissions"] == {"contents": "read"}
    job = workflow["jobs"]["e2e"]
    clusters = {entry["cluster"] for entry in job["strategy"]["matrix"]["include"]}
    assert clusters == set(E2E)
    assert job["strategy"]["fail-fast"] is False
    runs = "\n".join(step.get("run", "") for step in job["steps"])
    for needed in (
        "pip install .",
        "scripts/fetch_tools.py",
        "scripts/with-keyring.sh",
        "scripts/e2e-$CLUSTER.sh",
        "scripts/lib/cluster-tools.sh install",
    ):
        assert needed in runs, needed


def test_workflow_references_only_scripts_that_exist() -> None:
    text = WORKFLOW.read_text()
    job = load_workflow()["jobs"]["e2e"]
    clusters = [entry["cluster"] for entry in job["strategy"]["matrix"]["include"]]
    referenced = set(re.findall(r"\bscripts/[\w./$-]+", text))
    assert referenced
    for ref in referenced:
        ref = ref.rstrip(".")
        paths = [ref.replace("$CLUSTER", c) for c in clusters] if "$CLUSTER" in ref else [ref]
        for path in paths:
            assert (ROOT / path).is_file(), f"the workflow runs {path}, which does not exist"


def test_workflow_pins_every_action_by_commit() -> None:
    for job in load_workflow()["jobs"].values():
        for step in job["steps"]:
            if "uses" in step:
                assert re.fullmatch(r"[\w-]+/[\w-]+@[0-9a-f]{40}", step["uses"]), step["uses"]
    # Each pin carries its tag in a comment, for the reader and for update tools.
    for line in WORKFLOW.read_text().splitlines():
        if "uses:" in line:
            assert re.search(r"@[0-9a-f]{40} # v\d+\.\d+\.\d+$", line), line


# ---------------------------------------------------------------------------------------
# The WooCommerce checkout against a stand-in shop on 127.0.0.1: the same curl and jq
# calls the e2e makes through a real ingress, answered as WooCommerce and WordPress answer
# (Store API cart tokens, the login's test cookie, the REST nonce, the wc/v3 order).

PASSWORD = "S3cret pa$$ &= w0rd+%"  # spaces and URL-special characters on purpose
CART_TOKEN = "cart-token-9f3e2a"
REST_NONCE = "a1b2c3d4e5"
ORDER = 77
PRODUCT = 42


class StandInShop:
    """A WooCommerce shop as seen through its ingress, on 127.0.0.1:<port>."""

    def __init__(self, mode: str = "ok") -> None:
        import http.server
        import json
        import threading
        from urllib.parse import parse_qs, urlsplit

        self.mode = mode
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []
        shop = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def reply(self, code: int, body: object, headers: dict[str, str] | None = None) -> None:
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(code)
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def cookies(self) -> str:
                return self.headers.get("Cookie", "")

            def handle_any(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                shop.requests.append((method, self.path, dict(self.headers), body))
                if self.headers.get("Host") != f"shop.localhost:{shop.port}":
                    return self.reply(404, b"no route for this host")
                url = urlsplit(self.path)
                query = parse_qs(url.query)
                route = query.get("rest_route", [""])[0]
                if shop.mode == "bad-gateway":
                    return self.reply(502, b"<html>502 Bad Gateway</html>")
                if url.path == "/" and not route:
                    return self.reply(
                        200,
                        b'<html><head><meta name="generator" content="WooCommerce 11.0.0" />'
                        b"</head><body>shop</body></html>",
                    )
                token_ok = self.headers.get("Cart-Token") == CART_TOKEN
                if route == "/wc/store/v1/products":
                    return self.reply(
                        200,
                        [
                            {"id": 11, "is_purchasable": False, "is_in_stock": True},
                            {"id": PRODUCT, "is_purchasable": True, "is_in_stock": True},
                        ],
                    )
                if route == "/wc/store/v1/cart" and method == "GET":
                    return self.reply(
                        200, {"items": []}, {"Cart-Token": CART_TOKEN, "Nonce": "n0nce"}
                    )
                if route == "/wc/store/v1/cart/add-item" and method == "POST":
                    if not token_ok:
                        return self.reply(401, {"code": "woocommerce_rest_missing_nonce"})
                    if json.loads(body) != {"id": PRODUCT, "quantity": 1}:
                        return self.reply(400, {"code": "bad_item"})
                    return self.reply(201, {"items": [{"id": PRODUCT, "quantity": 1}]})
                if route == "/wc/store/v1/checkout" and method == "POST":
                    data = json.loads(body)
                    if not token_ok or data.get("payment_method") != "cod":
                        return self.reply(400, {"code": "bad_checkout"})
                    if not data["billing_address"].get("email"):
                        return self.reply(400, {"code": "no_email"})
                    status = "failure" if shop.mode == "payment-fails" else "success"
                    return self.reply(
                        200,
                        {
                            "order_id": ORDER,
                            "status": "processing",
                            "payment_result": {"payment_status": status},
                        },
                    )
                if url.path == "/wp-login.php" and method == "GET":
                    return self.reply(
                        200,
                        b"<form>",
                        {"Set-Cookie": "wordpress_test_cookie=WP%20Cookie%20check; path=/"},
                    )
                if url.path == "/wp-login.php" and method == "POST":
                    form = parse_qs(body.decode(), keep_blank_values=True)
                    if (
                        "wordpress_test_cookie" in self.cookies()
                        and form.get("log") == ["admin"]
                        and form.get("pwd") == [PASSWORD]
                        and form.get("testcookie") == ["1"]
                    ):
                        return self.reply(
                            302,
                            b"",
                            {
                                "Location": "/wp-admin/",
                                "Set-Cookie": "wordpress_logged_in_abc=admin%7C1%7Cx; path=/; HttpOnly",
                            },
                        )
                    return self.reply(200, b"<form>login failed</form>")
                logged_in = "wordpress_logged_in_abc=" in self.cookies()
                if url.path == "/wp-admin/admin-ajax.php" and query.get("action") == ["rest-nonce"]:
                    return self.reply(
                        200 if logged_in else 400, REST_NONCE.encode() if logged_in else b"0"
                    )
                if route == f"/wc/v3/orders/{ORDER}":
                    if not logged_in or self.headers.get("X-WP-Nonce") != REST_NONCE:
                        return self.reply(401, {"code": "woocommerce_rest_cannot_view"})
                    return self.reply(
                        200,
                        {
                            "id": ORDER,
                            "status": "processing",
                            "payment_method": "cod",
                            "payment_method_title": "Cash on delivery",
                            "total": "19.99",
                            "currency": "USD",
                            "line_items": [{"product_id": PRODUCT, "quantity": 1}],
                        },
                    )
                return self.reply(404, {"code": "rest_no_route"})

            def do_GET(self) -> None:
                self.handle_any("GET")

            def do_POST(self) -> None:
                self.handle_any("POST")

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> StandInShop:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def run_in_lib(
    tmp_path: Path, shop: StandInShop, body: str, password: str = PASSWORD
) -> tuple[subprocess.CompletedProcess, str]:
    """Run `body` in bash with scripts/lib/e2e.sh and woocommerce.sh sourced, a stand-in
    `storedesk credentials` (sd) and a curl that logs its argv; return the result and
    the curl argv log."""
    creds = tmp_path / "creds.json"
    creds.write_text(
        '{"store": "shop", "admin_user": "admin", "admin_email": "admin@shop.localhost", '
        f'"admin_password": {json.dumps(password)}, "revealed": true}}'
    )
    real_curl = shutil.which("curl")
    assert real_curl, "curl is not installed"
    stubs = tmp_path / "stubs"
    stubs.mkdir()
    argv_log = tmp_path / "curl-argv.log"
    (stubs / "curl").write_text(
        f'#!/bin/sh\nprintf "%s\\n" "$*" >>"{argv_log}"\nexec "{real_curl}" "$@"\n'
    )
    (stubs / "curl").chmod(0o755)
    harness = tmp_path / "harness.sh"
    harness.write_text(
        "set -euo pipefail\n"
        "E2E_NAME=test\n"
        f'source "{SCRIPTS}/lib/e2e.sh"\n'
        f'source "{SCRIPTS}/lib/woocommerce.sh"\n'
        'WORK="$(mktemp -d)"\n'
        "trap 'rm -rf \"$WORK\"' EXIT\n"
        'sd() { [ "$*" = "credentials shop --reveal -o json" ] || exit 9; cat "$CREDS_FILE"; }\n'
        f"{body}\n"
    )
    env = base_env(tmp_path, stubs)
    env.update(E2E_HTTP_PORT=str(shop.port), CREDS_FILE=str(creds))
    result = run(["bash", str(harness)], env, timeout=120)
    return result, argv_log.read_text() if argv_log.exists() else ""


def test_checkout_woocommerce_against_a_stand_in_shop(tmp_path: Path) -> None:
    with StandInShop() as shop:
        result, argv = run_in_lib(tmp_path, shop, "checkout_woocommerce shop shop.localhost")
    assert result.returncode == 0, result.stderr
    assert f"order {ORDER} placed (status processing)" in result.stderr
    assert (
        f"WooCommerce has order {ORDER}: processing, Cash on delivery, total 19.99 USD"
        in result.stderr
    )
    # The login carried the password (URL-encoded by curl from stdin) ...
    logins = [r for r in shop.requests if r[0] == "POST" and r[1] == "/wp-login.php"]
    assert len(logins) == 1
    # ... and no curl command line carried it, nor the cart token or the REST nonce.
    assert argv.count("--resolve") == len(shop.requests)
    for secret in (PASSWORD, CART_TOKEN, REST_NONCE):
        assert secret not in argv
    assert "pwd@-" in argv
    # Only this machine was asked, for the store's own host.
    assert all(f"shop.localhost:{shop.port}:127.0.0.1" in line for line in argv.splitlines())


def test_checkout_woocommerce_fails_when_the_login_is_refused(tmp_path: Path) -> None:
    with StandInShop() as shop:
        result, _ = run_in_lib(
            tmp_path, shop, "checkout_woocommerce shop shop.localhost", password="wrong-password"
        )
    assert result.returncode == 1
    assert "WordPress did not log admin in" in result.stderr


def test_checkout_woocommerce_fails_when_the_payment_fails(tmp_path: Path) -> None:
    with StandInShop("payment-fails") as shop:
        result, _ = run_in_lib(tmp_path, shop, "checkout_woocommerce shop shop.localhost")
    assert result.returncode == 1
    assert f"order {ORDER}: the payment did not succeed" in result.stderr


@pytest.mark.parametrize(
    ("mode", "host", "message"),
    [
        ("bad-gateway", "shop.localhost", "HTTP 502: the controller cannot reach the store's pods"),
        (
            "ok",
            "other.localhost",
            "HTTP 404: the ingress controller has no route for other.localhost",
        ),
    ],
)
def test_storefront_wait_explains_what_answered(
    tmp_path: Path, mode: str, host: str, message: str
) -> None:
    with StandInShop(mode) as shop:
        result, _ = run_in_lib(
            tmp_path, shop, f'wait_for_storefront {host} "$WOOCOMMERCE_MARKER" 1'
        )
    assert result.returncode == 1
    assert message in result.stderr
