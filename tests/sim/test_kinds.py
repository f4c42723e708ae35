"""The kinds beyond the stores' own, driven by real helm, kubectl and the Python client:
DaemonSets, CronJobs, ReplicationControllers, HPAs, CRDs and their custom resources,
PersistentVolumes, EndpointSlices, APIServices, the review APIs, and /openapi/v2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support import HelmBinary, run_tool

CHARTS = Path(__file__).parent / "charts"
CRD = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wd]}
  versions:
    - name: v1
      served: true
      storage: true
      subresources: {status: {}}
      additionalPrinterColumns:
        - {name: Size, type: integer, jsonPath: .spec.size}
        - {name: Color, type: string, jsonPath: .spec.color}
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              required: [size]
              properties:
                size: {type: integer, minimum: 1, maximum: 10}
                color: {type: string, enum: [red, blue], default: red}
                tags: {type: array, items: {type: string}, maxItems: 2}
"""


def widget(name: str, spec: str) -> str:
    return f"apiVersion: example.com/v1\nkind: Widget\nmetadata: {{name: {name}}}\nspec: {spec}\n"


def wait_flags(helm: HelmBinary) -> list[str]:
    return ["--wait=watcher"] if helm.major == "4" else ["--wait"]


def kubectl_json(kubectl: Path, sim, *args: str) -> dict:
    return json.loads(run_tool(kubectl, sim, *args, "-o", "json").stdout)


# -- helm --------------------------------------------------------------------------------------


def test_helm_installs_upgrades_rolls_back_and_uninstalls_every_kind(helm: HelmBinary, sim) -> None:
    chart = str(CHARTS / "morekinds")
    common = ["-n", "more", *wait_flags(helm), "--timeout", "60s"]
    run_tool(helm.path, sim, "install", "mk", chart, "--create-namespace", *common)
    kubectl = helm.kubectl
    gadget = kubectl_json(kubectl, sim, "get", "gadget", "mk", "-n", "more")
    assert gadget["spec"] == {"size": 2, "mode": "slow"}  # the CRD's default filled in
    daemons = kubectl_json(kubectl, sim, "get", "ds", "mk-agent", "-n", "more")["status"]
    assert daemons["desiredNumberScheduled"] == daemons["numberReady"] == 1
    claim = kubectl_json(kubectl, sim, "get", "pvc", "mk-disk", "-n", "more")
    assert claim["status"]["phase"] == "Bound"
    assert claim["spec"]["volumeName"] == "mk-more-disk"

    run_tool(helm.path, sim, "upgrade", "mk", chart, "--set", "size=3,replicas=2", *common)
    assert kubectl_json(kubectl, sim, "get", "gadget", "mk", "-n", "more")["spec"]["size"] == 3
    # helm 4 (kstatus) does not wait for ReplicationControllers; kubectl can.
    run_tool(
        kubectl,
        sim,
        "wait",
        "--for=jsonpath={.status.readyReplicas}=2",
        "rc/mk-legacy",
        "-n",
        "more",
    )

    run_tool(helm.path, sim, "rollback", "mk", "1", *common)
    assert kubectl_json(kubectl, sim, "get", "gadget", "mk", "-n", "more")["spec"]["size"] == 2

    run_tool(helm.path, sim, "uninstall", "mk", "-n", "more", "--wait", "--timeout", "60s")
    left = run_tool(kubectl, sim, "get", "gadgets,ds,cronjobs,rc,hpa", "-n", "more", "-o", "name")
    assert left.stdout == ""


def test_a_chart_with_an_unknown_kind_fails_as_on_a_cluster(helm: HelmBinary, sim) -> None:
    failed = run_tool(
        helm.path,
        sim,
        "install",
        "mon",
        str(CHARTS / "unknownkind"),
        "-n",
        "default",
        check=False,
    )
    assert failed.returncode == 1
    assert (
        'no matches for kind "ServiceMonitor" in version "monitoring.coreos.com/v1"'
        in failed.stderr
    )
    assert "ensure CRDs are installed first" in failed.stderr


# -- the review APIs -------------------------------------------------------------------------


def test_auth_can_i_follows_the_injected_denials(sim, kubectl) -> None:
    allowed = run_tool(kubectl, sim, "auth", "can-i", "create", "namespaces")
    assert allowed.stdout.strip() == "yes"
    sim.faults.deny("create", "namespaces")
    denied = run_tool(kubectl, sim, "auth", "can-i", "create", "namespaces", check=False)
    assert (denied.returncode, denied.stdout.strip()) == (1, "no")
    # Other verbs and resources stay allowed, as with RBAC that lacks one rule.
    assert run_tool(kubectl, sim, "auth", "can-i", "list", "pods").stdout.strip() == "yes"


def test_auth_whoami_names_the_cluster_admin(sim, kubectl) -> None:
    table = run_tool(kubectl, sim, "auth", "whoami").stdout.split("\n")
    assert table[0].split() == ["ATTRIBUTE", "VALUE"]
    assert table[1].split() == ["Username", "kubernetes-admin"]
    assert table[2].split() == ["Groups", "[kubeadm:cluster-admins", "system:authenticated]"]


def test_python_client_reviews_access(sim) -> None:
    from kubernetes import client, config

    api = client.AuthorizationV1Api(config.new_client_from_config(str(sim.kubeconfig)))
    sim.faults.deny("delete", "secrets", "shop")
    review = client.V1SelfSubjectAccessReview(
        spec=client.V1SelfSubjectAccessReviewSpec(
            resource_attributes=client.V1ResourceAttributes(
                namespace="shop", verb="delete", resource="secrets"
            )
        )
    )
    assert api.create_self_subject_access_review(review).status.allowed is False
    review.spec.resource_attributes.verb = "get"
    answer = api.create_self_subject_access_review(review).status
    assert answer.allowed is True
    assert answer.reason.startswith("RBAC: allowed by ClusterRoleBinding")


# -- custom resources ---------------------------------------------------------------------------


def test_a_crd_serves_its_custom_resources_validated_by_its_schema(sim, kubectl) -> None:
    run_tool(kubectl, sim, "apply", "-f", "-", input=CRD)
    run_tool(kubectl, sim, "wait", "--for=condition=Established", "crd/widgets.example.com")
    resources = run_tool(kubectl, sim, "api-resources", "--api-group=example.com").stdout
    assert resources.split("\n")[1].split() == ["widgets", "wd", "example.com/v1", "true", "Widget"]

    created = run_tool(kubectl, sim, "apply", "-f", "-", input=widget("w1", "{size: 3}"))
    assert created.stdout.strip() == "widget.example.com/w1 created"
    table = run_tool(kubectl, sim, "get", "wd").stdout.split("\n")
    assert table[0].split() == ["NAME", "SIZE", "COLOR"]  # the CRD's columns (no Age unless named)
    assert table[1].split()[:3] == ["w1", "3", "red"]  # the schema's default

    bad = run_tool(
        kubectl,
        sim,
        "apply",
        "-f",
        "-",
        input=widget("w2", '{size: "big", color: pink, tags: [a, b, c]}'),
        check=False,
    )
    assert bad.returncode == 1
    assert bad.stderr.strip().split("\n") == [
        'The Widget "w2" is invalid: ',
        '* spec.color: Unsupported value: "pink": supported values: "red", "blue"',
        '* spec.size: Invalid value: "string": spec.size in body must be of type integer: "string"',
        "* spec.tags: Too many: 3: must have at most 2 items",
    ]
    unknown = run_tool(
        kubectl, sim, "apply", "-f", "-", input=widget("w3", "{size: 1, shape: round}"), check=False
    )
    assert unknown.stderr.strip() == (
        'Error from server (BadRequest): error when creating "STDIN": Widget in version "v1" '
        'cannot be handled as a Widget: strict decoding error: unknown field "spec.shape"'
    )

    run_tool(kubectl, sim, "delete", "crd", "widgets.example.com")
    after = run_tool(kubectl, sim, "api-resources", "--api-group=example.com").stdout
    assert after.strip().split("\n") == [after.strip().split("\n")[0]]  # headers only


# -- workloads -------------------------------------------------------------------------------

DAEMONSET = """
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers: [{name: agent, image: busybox:1.36}]
"""


def test_a_daemonset_runs_one_pod_per_node(sim, kubectl) -> None:
    sim.add_node("worker-1")
    sim.add_node("worker-2", {"disktype": "hdd"})
    run_tool(kubectl, sim, "apply", "-f", "-", input=DAEMONSET)
    run_tool(kubectl, sim, "rollout", "status", "ds/agent", "--timeout=30s")
    table = run_tool(kubectl, sim, "get", "ds", "agent").stdout.split("\n")
    assert table[1].split()[:6] == ["agent", "3", "3", "3", "3", "3"]
    pods = kubectl_json(kubectl, sim, "get", "pods", "-l", "app=agent")["items"]
    assert sorted(p["spec"]["nodeName"] for p in pods) == [
        "storedesk-sim",
        "worker-1",
        "worker-2",
    ]
    # A node selector narrows it to the matching node; the others' pods go.
    run_tool(
        kubectl,
        sim,
        "patch",
        "ds",
        "agent",
        "-p",
        '{"spec":{"template":{"spec":{"nodeSelector":{"disktype":"hdd"}}}}}',
    )
    run_tool(kubectl, sim, "rollout", "status", "ds/agent", "--timeout=30s")
    run_tool(
        kubectl,
        sim,
        "wait",
        "--for=delete",
        "pod",
        "-l",
        "app=agent",
        "--field-selector=spec.nodeName!=worker-2",
        "--timeout=30s",
    )
    pods = kubectl_json(kubectl, sim, "get", "pods", "-l", "app=agent")["items"]
    assert [p["spec"]["nodeName"] for p in pods] == ["worker-2"]


CRONJOB = """
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    metadata: {labels: {task: nightly}}
    spec:
      template:
        spec:
          restartPolicy: Never
          containers: [{name: task, image: busybox:1.36}]
"""


def test_a_cronjob_starts_its_job_when_its_schedule_is_triggered(sim, kubectl) -> None:
    run_tool(kubectl, sim, "apply", "-f", "-", input=CRONJOB)
    assert run_tool(kubectl, sim, "get", "jobs", "-o", "name").stdout == ""
    sim.trigger_cronjobs()
    run_tool(kubectl, sim, "wait", "--for=condition=Complete", "job", "-l", "task=nightly")
    jobs = kubectl_json(kubectl, sim, "get", "jobs", "-l", "task=nightly")["items"]
    assert len(jobs) == 1
    job = jobs[0]
    assert job["metadata"]["name"].startswith("nightly-")
    assert job["metadata"]["ownerReferences"][0]["kind"] == "CronJob"
    assert "batch.kubernetes.io/cronjob-scheduled-timestamp" in job["metadata"]["annotations"]
    cronjob = kubectl_json(kubectl, sim, "get", "cronjob", "nightly")
    assert cronjob["status"]["lastScheduleTime"]
    # The clock can also be moved on: the next 03:00 comes round at once.
    sim.advance_cron()
    run_tool(kubectl, sim, "wait", "--for=jsonpath={.status.lastSuccessfulTime}", "cronjob/nightly")
    names = run_tool(kubectl, sim, "get", "jobs", "-o", "name").stdout.split()
    assert len(names) == 2


def test_a_bad_cron_schedule_is_refused_with_the_parsers_words(sim, kubectl) -> None:
    refused = run_tool(
        kubectl,
        sim,
        "apply",
        "-f",
        "-",
        input=CRONJOB.replace('"0 3 * * *"', '"70 * * * *"'),
        check=False,
    )
    assert refused.stderr.strip() == (
        'The CronJob "nightly" is invalid: spec.schedule: Invalid value: "70 * * * *": '
        "end of range (70) above maximum (59): 70"
    )


HPA = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx:1.27.3}]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2
  maxReplicas: 4
"""


def test_an_hpa_keeps_its_bounds_and_reports_that_no_metrics_api_answers(sim, kubectl) -> None:
    run_tool(kubectl, sim, "apply", "-f", "-", input=HPA)
    run_tool(
        kubectl, sim, "wait", "--for=jsonpath={.spec.replicas}=2", "deployment/web"
    )  # below minReplicas: scaled up without metrics
    hpa = kubectl_json(kubectl, sim, "get", "hpa", "web")
    assert hpa["spec"]["metrics"] == [  # the v2 default metric
        {
            "type": "Resource",
            "resource": {
                "name": "cpu",
                "target": {"type": "Utilization", "averageUtilization": 80},
            },
        }
    ]
    assert hpa["status"]["desiredReplicas"] == 2
    conditions = {c["type"]: c for c in hpa["status"]["conditions"]}
    assert conditions["AbleToScale"]["reason"] == "SucceededRescale"
    invalid = run_tool(
        kubectl,
        sim,
        "apply",
        "-f",
        "-",
        input=HPA.split("---")[1].replace("maxReplicas: 4", "maxReplicas: 1"),
        check=False,
    )
    assert invalid.stderr.strip() == (
        'The HorizontalPodAutoscaler "web" is invalid: spec.maxReplicas: Invalid value: 1: '
        "must be greater than or equal to `minReplicas`"
    )


def test_a_service_gets_an_endpointslice_beside_its_endpoints(sim, kubectl) -> None:
    run_tool(kubectl, sim, "apply", "-f", "-", input=HPA.split("---")[0])
    run_tool(kubectl, sim, "expose", "deployment", "web", "--port=80")
    run_tool(kubectl, sim, "rollout", "status", "deployment/web", "--timeout=30s")
    run_tool(
        kubectl,
        sim,
        "wait",
        "--for=jsonpath={.endpoints[0].conditions.ready}=true",
        "endpointslice",
        "-l",
        "kubernetes.io/service-name=web",
    )
    slices = kubectl_json(
        kubectl, sim, "get", "endpointslices", "-l", "kubernetes.io/service-name=web"
    )["items"]
    assert len(slices) == 1
    pod = kubectl_json(kubectl, sim, "get", "pods", "-l", "app=web")["items"][0]
    assert slices[0]["endpoints"][0]["addresses"] == [pod["status"]["podIP"]]
    assert slices[0]["ports"] == [{"name": "", "port": 80, "protocol": "TCP"}]
    assert slices[0]["metadata"]["ownerReferences"][0]["kind"] == "Service"


def test_openapi_v2_is_served_as_protobuf_to_kubectl(sim, kubectl) -> None:
    explained = run_tool(
        kubectl, sim, "explain", "deployment.spec.replicas", "--output=plaintext-openapiv2"
    ).stdout
    assert explained.split("\n")[:4] == [
        "KIND:     Deployment",
        "VERSION:  apps/v1",
        "",
        "FIELD:    replicas <integer>",
    ]


@pytest.mark.parametrize(
    "kind", ["daemonsets", "cronjobs", "replicationcontrollers", "horizontalpodautoscalers"]
)
def test_python_client_lists_the_new_kinds(sim, kind) -> None:
    from kubernetes import client, config

    api_client = config.new_client_from_config(str(sim.kubeconfig))
    listing = {
        "daemonsets": client.AppsV1Api(api_client).list_daemon_set_for_all_namespaces,
        "cronjobs": client.BatchV1Api(api_client).list_cron_job_for_all_namespaces,
        "replicationcontrollers": client.CoreV1Api(
            api_client
        ).list_replication_controller_for_all_namespaces,
        "horizontalpodautoscalers": client.AutoscalingV2Api(
            api_client
        ).list_horizontal_pod_autoscaler_for_all_namespaces,
    }[kind]
    assert listing().items == []


WEBHOOK = """
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: guard}
webhooks:
  - name: guard.example.com
    admissionReviewVersions: [v1]
    sideEffects: None
    clientConfig: {service: {name: guard, namespace: default}}
    rules:
      - {operations: [CREATE], apiGroups: [""], apiVersions: [v1], resources: [configmaps]}
"""


def test_webhook_configurations_are_kept_and_said_to_go_uncalled(sim, kubectl) -> None:
    run_tool(kubectl, sim, "apply", "-f", "-", input=WEBHOOK)
    stored = kubectl_json(kubectl, sim, "get", "validatingwebhookconfiguration", "guard")
    hook = stored["webhooks"][0]
    assert (hook["failurePolicy"], hook["timeoutSeconds"], hook["rules"][0]["scope"]) == (
        "Fail",
        10,
        "*",
    )
    created = run_tool(kubectl, sim, "create", "configmap", "c1", "--from-literal=a=b")
    assert created.stderr.strip() == (
        'Warning: admission webhook "guard.example.com" was not called: the Storedesk simulator '
        "runs no webhook servers, so the request went on as if it had been allowed"
    )
    untouched = run_tool(kubectl, sim, "create", "secret", "generic", "s1", "--from-literal=a=b")
    assert untouched.stderr == ""


PRIORITY = """
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: shop-high}
value: 1000
preemptionPolicy: Never
---
apiVersion: v1
kind: Pod
metadata: {name: urgent}
spec:
  priorityClassName: shop-high
  containers: [{name: c, image: busybox:1.36}]
"""


def test_pods_take_their_priority_from_stored_priority_classes(sim, kubectl) -> None:
    run_tool(kubectl, sim, "apply", "-f", "-", input=PRIORITY)
    pod = kubectl_json(kubectl, sim, "get", "pod", "urgent")
    assert (pod["spec"]["priority"], pod["spec"]["preemptionPolicy"]) == (1000, "Never")
    names = run_tool(kubectl, sim, "get", "priorityclasses", "-o", "name").stdout.split()
    assert names == [
        "priorityclass.scheduling.k8s.io/shop-high",
        "priorityclass.scheduling.k8s.io/system-cluster-critical",
        "priorityclass.scheduling.k8s.io/system-node-critical",
    ]
