"""helm's stderr -> the error a user sees. The stderr texts are helm's own: "seen" ones were
printed by helm v3.19.0 / v4.1.4 on this machine; the others are assembled from the format
strings in helm's and Kubernetes' sources (cited per case)."""

from __future__ import annotations

from pathlib import Path

import pytest

from storedesk.cluster.helm import (
    ApplyConflict,
    ReleaseNotFound,
    ReleasePending,
    classify_failure,
    helm_error_text,
)
from storedesk.cluster.helm_argv import HelmArgv, HelmCommand, HelmVersion
from storedesk.cluster.kubeconfig import ClusterTarget
from storedesk.errors import (
    ClusterUnreachable,
    Forbidden,
    HelmFailed,
    HelmTimeout,
    KubeconfigError,
    StoredeskError,
)

ARGV = HelmArgv(Path("helm"), HelmVersion(4, 1, 4), ClusterTarget((Path("/k"),), "kind-shop"))
UPGRADE = ARGV.upgrade_install("shop", "/charts/woo", "store-shop", timeout=300)
UNINSTALL = ARGV.uninstall("shop", "store-shop")


def classify(stderr: str, command: HelmCommand = UPGRADE, secrets: tuple[str, ...] = ()):
    return classify_failure(stderr, command, "kind-shop", secrets)


def expect(error: StoredeskError, kind: type[StoredeskError]) -> StoredeskError:
    assert type(error) is kind, f"{type(error).__name__}: {error}"
    return error


# --- cluster unreachable (seen) ------------------------------------------------------


@pytest.mark.parametrize(
    "stderr",
    [
        'Error: Kubernetes cluster unreachable: Get "https://127.0.0.1:1/version": '
        "dial tcp 127.0.0.1:1: connect: connection refused\n",
        'Error: kubernetes cluster unreachable: Get "https://no-such-host.invalid:6443/version": '
        "dial tcp: lookup no-such-host.invalid on 10.255.255.53:53: no such host\n",
        'Error: UPGRADE FAILED: could not get server version from Kubernetes: Get "https://'
        '127.0.0.1:1/version?timeout=32s": dial tcp 127.0.0.1:1: connect: connection refused\n',
        # client-go's dial timeout against a silent address (net package message)
        'Error: kubernetes cluster unreachable: Get "https://10.9.9.9:6443/version": '
        "dial tcp 10.9.9.9:6443: i/o timeout\n",
        'Error: INSTALLATION FAILED: Get "https://10.9.9.9:6443/api/v1/namespaces/store-shop/'
        'secrets": net/http: TLS handshake timeout\n',
    ],
    ids=["refused", "no-such-host", "server-version", "dial-timeout", "tls-timeout"],
)
def test_unreachable_cluster(stderr: str) -> None:
    error = expect(classify(stderr), ClusterUnreachable)
    assert "kind-shop" in error.message
    assert "kubectl --context kind-shop" in error.hint
    assert error.exit_code == 3


# --- kubeconfig problems: helm reports them as "cluster unreachable" (seen) ----------


def test_unknown_context() -> None:
    error = expect(
        classify('Error: Kubernetes cluster unreachable: context "nope" does not exist\n'),
        KubeconfigError,
    )
    assert "'nope'" in error.message


def test_kubeconfig_file_gone() -> None:
    error = expect(
        classify(
            "Error: kubernetes cluster unreachable: stat /tmp/hx/missing.yaml: "
            "no such file or directory\n"
        ),
        KubeconfigError,
    )
    assert "/tmp/hx/missing.yaml does not exist" in error.message


def test_kubeconfig_not_yaml() -> None:
    stderr = (
        'Error: Kubernetes cluster unreachable: error loading config file "bad.yaml": '
        "yaml: line 1: did not find expected ',' or ']'\n"
    )
    assert "bad.yaml" in expect(classify(stderr), KubeconfigError).message


def test_credential_plugin_not_installed() -> None:
    stderr = (
        'Error: kubernetes cluster unreachable: Get "https://127.0.0.1:1/version": getting '
        "credentials: exec: executable aws not found\n\nIt looks like you are trying to use a "
        "client-go credential plugin that is not installed.\n\nTo learn more about this feature,"
        " consult the documentation available at:\n      https://kubernetes.io/docs/reference/"
        "access-authn-authz/authentication/#client-go-credential-plugins\n"
    )
    error = expect(classify(stderr), KubeconfigError)
    assert "'aws'" in error.message and "PATH" in error.hint


def test_credential_plugin_failed() -> None:
    # client-go exec.go: "getting credentials: exec: executable %s failed with exit code %d"
    stderr = (
        'Error: Kubernetes cluster unreachable: Get "https://eks:443/version": getting '
        "credentials: exec: executable aws failed with exit code 255\n"
    )
    error = expect(classify(stderr), KubeconfigError)
    assert "log in again" in error.hint


def test_rejected_credentials() -> None:
    # apimachinery: NewUnauthorized -> "the server has asked for the client to provide credentials"
    stderr = (
        "Error: Kubernetes cluster unreachable: the server has asked for the client to provide "
        "credentials\n"
    )
    assert "rejected" in expect(classify(stderr), KubeconfigError).message


# --- RBAC (apiserver responsewriters/errors.go forbiddenMessage) ----------------------


def test_forbidden_in_namespace_names_verb_and_resource() -> None:
    stderr = (
        'Error: list: failed to list: secrets is forbidden: User "system:serviceaccount:'
        'default:limited" cannot list resource "secrets" in API group "" in the namespace '
        '"store-shop"\n'
    )
    error = expect(classify(stderr), Forbidden)
    assert error.message == (
        "system:serviceaccount:default:limited is not allowed to list secrets "
        "in namespace 'store-shop'"
    )
    assert "'list' on 'secrets'" in error.hint


def test_forbidden_at_cluster_scope_in_helm3_multierror() -> None:
    stderr = (
        "Error: INSTALLATION FAILED: 1 error occurred:\n"
        '\t* namespaces is forbidden: User "jane" cannot create resource "namespaces" in API '
        'group "" at the cluster scope\n\n'
    )
    error = expect(classify(stderr), Forbidden)
    assert error.message == "jane is not allowed to create namespaces cluster-wide"


def test_forbidden_names_the_api_group() -> None:
    stderr = (
        'Error: UPGRADE FAILED: deployments.apps "shop-wordpress" is forbidden: User "jane" '
        'cannot patch resource "deployments" in API group "apps" in the namespace "store-shop"\n'
    )
    error = expect(classify(stderr), Forbidden)
    assert "patch deployments.apps in namespace 'store-shop'" in error.message


def test_forbidden_reachability_check_is_not_an_outage() -> None:
    # helm wraps its /version probe's error in "cluster unreachable" even when it was a 403.
    stderr = (
        "Error: Kubernetes cluster unreachable: forbidden: "
        'User "system:anonymous" cannot get path "/version"\n'
    )
    error = expect(classify(stderr), Forbidden)
    assert error.message == "system:anonymous is not allowed to get path /version on the API server"


def test_forbidden_is_not_confused_with_quota() -> None:
    # plugin/pkg/admission/resourcequota: "exceeded quota: %s, requested: %s, used: %s, limited: %s"
    stderr = (
        'Error: INSTALLATION FAILED: persistentvolumeclaims "shop-data" is forbidden: exceeded '
        "quota: store-quota, requested: requests.storage=10Gi, used: requests.storage=0, "
        "limited: requests.storage=5Gi\n"
    )
    error = expect(classify(stderr), HelmFailed)
    assert "exceeded quota: store-quota" in error.message
    assert "ResourceQuota" in error.hint


def test_broken_webhook_is_not_an_unreachable_cluster() -> None:
    # apiserver admission: "failed calling webhook %q: failed to call webhook: %w"
    stderr = (
        'Error: INSTALLATION FAILED: Internal error occurred: failed calling webhook "validate.'
        'nginx.ingress.kubernetes.io": failed to call webhook: Post "https://ingress-nginx-'
        'controller-admission.ingress-nginx.svc:443/networking/v1/ingresses?timeout=10s": '
        "dial tcp 10.96.120.14:443: connect: connection refused\n"
    )
    error = expect(classify(stderr), HelmFailed)
    assert "webhook" in error.hint


# --- release state (seen) ------------------------------------------------------------


def test_operation_in_progress() -> None:
    stderr = "Error: UPGRADE FAILED: another operation (install/upgrade/rollback) is in progress\n"
    error = expect(classify(stderr), ReleasePending)
    assert isinstance(error, HelmFailed)
    assert "'shop'" in error.message and "roll it back" in error.hint


@pytest.mark.parametrize(
    ("stderr", "command"),
    [
        ("Error: uninstall: Release not loaded: shop: release: not found\n", UNINSTALL),
        ("Error: release: not found\n", ARGV.status("shop", "store-shop")),
    ],
    ids=["uninstall", "status"],
)
def test_release_not_found(stderr: str, command: HelmCommand) -> None:
    error = expect(classify(stderr, command), ReleaseNotFound)
    assert error.message == "release 'shop' not found in namespace 'store-shop'"


# --- timeouts ------------------------------------------------------------------------


def test_helm4_watcher_timeout_keeps_the_unready_resource() -> None:
    # pkg/kube/statuswait.go joins "resource %s/%s/%s not ready. status: %s, message: %s"
    # with ctx.Err(); errors.Join puts each on its own line.
    stderr = (
        "Error: INSTALLATION FAILED: resource Deployment/store-shop/shop-wordpress not ready. "
        "status: InProgress, message: Available: 0/1\ncontext deadline exceeded\n"
    )
    error = expect(classify(stderr), HelmTimeout)
    assert error.message.startswith("helm upgrade of 'shop' timed out after 300s")
    assert "Deployment/store-shop/shop-wordpress not ready" in error.message


def test_helm4_rollback_on_failure_timeout() -> None:
    stderr = (
        "Error: UPGRADE FAILED: release shop failed, and has been rolled back due to "
        "rollback-on-failure being set: context deadline exceeded\n"
    )
    assert "rolled back" in expect(classify(stderr), HelmTimeout).message


def test_helm3_hook_timeout() -> None:
    # apimachinery wait.ErrWaitTimeout, as helm 3 prints it for a hook Job
    stderr = (
        "Error: INSTALLATION FAILED: failed post-install: timed out waiting for the condition\n"
    )
    expect(classify(stderr), HelmTimeout)


# --- everything else -----------------------------------------------------------------


def test_other_failures_keep_helms_last_error() -> None:
    stderr = (
        'level=WARN msg="unable to find exact version; falling back to closest available"\n'
        "Error: INSTALLATION FAILED: unable to build kubernetes objects from release manifest: "
        'resource mapping not found for name: "x" namespace: "" from "": no matches for kind '
        '"Widget" in version "example.com/v1"\n'
    )
    error = expect(classify(stderr), HelmFailed)
    assert error.message.startswith("helm upgrade of 'shop' failed: INSTALLATION FAILED: unable")
    assert "level=WARN" not in error.message


def test_secrets_never_reach_the_message() -> None:
    stderr = (
        "Error: INSTALLATION FAILED: template: woo/templates/secret.yaml:9:3: executing "
        '"woo/templates/secret.yaml" at <fail>: password Zq8-long-generated-pw is too weak\n'
    )
    error = classify(stderr, secrets=("Zq8-long-generated-pw",))
    assert "Zq8-long-generated-pw" not in str(error)
    assert "password *** is too weak" in error.message


def test_error_text_without_error_prefix_uses_last_line() -> None:
    assert helm_error_text("something odd\nsignal: killed\n") == "signal: killed"
    assert expect(classify(""), HelmFailed).message.endswith("helm exited with an error")


# --- the API server answering 503, or going away mid-command (seen) -------------------

# A 503 outage switched on while helm installed the store's chart (the simulator's
# outage switch; the first request was cut mid-way, the next ones answered 503).
HELM3_503_MID_INSTALL = (
    "Error: 12 errors occurred:\n"
    '\t* Post "http://127.0.0.1:40269/api/v1/namespaces/store-x/resourcequotas?'
    'fieldManager=helm": EOF\n'
    + "\t* the server is currently unable to handle the request\n" * 11
    + "\n\n"
)
HELM4_503_MID_INSTALL = (
    'Error: Patch "http://127.0.0.1:39313/api/v1/namespaces/store-x/resourcequotas/x-quota?'
    'fieldManager=helm&fieldValidation=Strict&force=false": EOF\n'
    + "the server is currently unable to handle the request\n"
    * 11
)
HELM3_503_AT_START = (
    "Error: Kubernetes cluster unreachable: the server is currently unable to handle the request\n"
)
HELM4_503_AT_START = (
    "Error: kubernetes cluster unreachable: the server is currently unable to handle the request\n"
)
HELM3_503_ONE_RESOURCE = (
    "Error: Unable to continue with install: could not get information about the resource "
    'NetworkPolicy "x-wordpress" in namespace "store-x": the server is currently unable to '
    "handle the request\n"
)


@pytest.mark.parametrize(
    "stderr",
    [
        HELM3_503_MID_INSTALL,
        HELM4_503_MID_INSTALL,
        HELM3_503_AT_START,
        HELM4_503_AT_START,
        HELM3_503_ONE_RESOURCE,
    ],
    ids=["helm3-mid-install", "helm4-mid-install", "helm3-start", "helm4-start", "one-resource"],
)
def test_a_503_is_the_cluster_not_answering(stderr: str) -> None:
    error = expect(classify(stderr), ClusterUnreachable)
    assert "the cluster of context 'kind-shop' is not answering" in error.message
    assert "503" in error.message
    assert "kubectl --context kind-shop get --raw /version" in error.hint
    assert "run the same Storedesk command again" in error.hint  # an upgrade stopped halfway
    assert error.exit_code == 3


@pytest.mark.parametrize("stderr", [HELM3_503_MID_INSTALL, HELM4_503_MID_INSTALL])
def test_a_repeated_sentence_is_said_once(stderr: str) -> None:
    message = classify(stderr).message
    assert message.count("the server is currently unable to handle the request") == 1
    assert "(11 times)" in message
    assert "errors occurred" not in message
    assert len(message) < 400  # was 783 characters


def test_an_extension_api_down_is_not_the_cluster_down() -> None:
    # client-go discovery: "unable to retrieve the complete list of server APIs: %s"
    stderr = (
        "Error: unable to retrieve the complete list of server APIs: metrics.k8s.io/v1beta1: "
        "the server is currently unable to handle the request\n"
    )
    error = expect(classify(stderr), HelmFailed)
    assert "apiservices" in error.hint


# --- an outage during delete (seen) --------------------------------------------------


def test_uninstall_that_does_not_say_why_points_at_debug() -> None:
    # helm 3.19 and 4.1, whether the cluster refused connections or answered 503 meanwhile:
    # the runner then asks the cluster (tests/integration/test_cli_helm_faults.py).
    error = classify("Error: failed to delete release: shop\n", UNINSTALL)
    assert isinstance(error, HelmFailed)
    assert "--debug" in error.hint and "delete again" in error.hint


@pytest.mark.parametrize(
    "stderr",
    [
        'Error: uninstallation completed with 2 error(s): Get "http://127.0.0.1:37067/api/v1/'
        'namespaces/store-x/configmaps/x-setup": dial tcp 127.0.0.1:37067: connect: connection '
        'refused; uninstall: Failed to purge the release: get: failed to get "sh.helm.release.v1'
        '.x.v1": Get "http://127.0.0.1:37067/api/v1/namespaces/store-x/secrets/sh.helm.release.'
        'v1.x.v1": dial tcp 127.0.0.1:37067: connect: connection refused\n',
        "Error: uninstallation completed with 2 error(s): the server is currently unable to "
        'handle the request; uninstall: Failed to purge the release: get: failed to get "sh.helm'
        '.release.v1.x.v1": the server is currently unable to handle the request\n',
    ],
    ids=["refused", "503"],
)
def test_an_outage_during_uninstall_names_the_cluster_and_the_next_step(stderr: str) -> None:
    error = expect(classify(stderr, UNINSTALL), ClusterUnreachable)
    assert error.message.startswith("helm uninstall of 'shop' stopped: ")
    assert "kind-shop" in error.message
    assert "once it answers, run the same Storedesk command again" in error.hint


# --- helm stopped from outside -------------------------------------------------------


def test_helm_cancelled_by_someone_else_says_so() -> None:
    # helm's answer to SIGTERM/SIGINT: "Release shop has been cancelled." on stdout, then
    stderr = "Error: UPGRADE FAILED: context canceled\n"
    error = expect(classify(stderr), HelmFailed)
    assert "was cancelled: helm was sent SIGTERM or SIGINT, not by Storedesk" in error.message


def test_a_server_side_apply_conflict_names_the_field_and_who_changed_it() -> None:
    stderr = (
        "Error: UPGRADE FAILED: an error occurred while rolling back the release. original "
        "upgrade error: conflict occurred while applying object store-shop/shop-wordpress "
        'apps/v1, Kind=Deployment: Apply failed with 1 conflict: conflict with "kubectl" with '
        'subresource "scale" using apps/v1: .spec.replicas'
    )
    error = classify(stderr)
    assert isinstance(error, ApplyConflict)
    assert error.describe() == (
        ".spec.replicas of Deployment store-shop/shop-wordpress (changed by kubectl)"
    )


@pytest.mark.parametrize(
    ("said", "described"),
    [
        (
            'Apply failed with 2 conflicts: conflicts with "kubectl" with subresource "scale" '
            'using apps/v1:\n- .spec.replicas\nconflicts with "kubectl-label" using apps/v1:\n'
            "- .metadata.labels.app.kubernetes.io/component",
            ".spec.replicas of Deployment store-shop/shop-wordpress (changed by kubectl); "
            ".metadata.labels.app.kubernetes.io/component of Deployment "
            "store-shop/shop-wordpress (changed by kubectl-label)",
        ),
        (
            'Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas',
            ".spec.replicas of Deployment store-shop/shop-wordpress (changed by kubectl)",
        ),
    ],
)
def test_several_conflicts_and_another_appliers_are_read_too(said: str, described: str) -> None:
    stderr = (
        "Error: UPGRADE FAILED: conflict occurred while applying object "
        f"store-shop/shop-wordpress apps/v1, Kind=Deployment: {said}"
    )
    error = classify(stderr)
    assert isinstance(error, ApplyConflict)
    assert error.describe() == described


def test_force_conflicts_is_helm_4s_and_only_when_asked() -> None:
    target = ClusterTarget((Path("/k"),), "ctx")
    for version, forced in ((HelmVersion(4, 1, 4), True), (HelmVersion(3, 19, 0), False)):
        argv = HelmArgv(Path("helm"), version, target)
        command = argv.upgrade_install("shop", "chart", "store-shop", force_conflicts=True)
        assert ("--force-conflicts" in command.argv) is forced
        plain = argv.upgrade_install("shop", "chart", "store-shop")
        assert "--force-conflicts" not in plain.argv


def test_helm_4s_log_line_with_escaped_newlines_is_read_too() -> None:
    stderr = (
        'level=WARN msg="upgrade failed" name=shop error="conflict occurred while applying '
        "object store-shop/shop-wordpress apps/v1, Kind=Deployment: Apply failed with 2 "
        'conflicts: conflicts with \\"kubectl\\" with subresource \\"scale\\" using apps/v1:'
        '\\n- .spec.replicas\\nconflicts with \\"kubectl-label\\" using apps/v1:\\n- '
        '.metadata.labels.app.kubernetes.io/component"\n'
        "Error: UPGRADE FAILED: conflict occurred while applying object store-shop/shop-wordpress"
        ' apps/v1, Kind=Deployment: Apply failed with 2 conflicts: conflicts with "kubectl" with '
        'subresource "scale" using apps/v1:\nconflicts with "kubectl-label" using apps/v1:\n'
        "- .metadata.labels.app.kubernetes.io/component\n"
    )
    error = classify(stderr)
    assert isinstance(error, ApplyConflict)
    assert ".spec.replicas of Deployment store-shop/shop-wordpress (changed by kubectl)" in (
        error.describe()
    )
    assert "(changed by kubectl-label)" in error.describe()
