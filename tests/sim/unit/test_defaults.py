"""API defaulting on the way in: what a real server returns for what a client sent.

Expected values come from SetDefaults_* in pkg/apis/{core,apps,batch,networking,rbac}/v1,
the generated defaulters, the Service allocator, the Job and Namespace strategies and the
ServiceAccount, Priority and DefaultTolerationSeconds admission plugins.
"""

from __future__ import annotations

import copy
import itertools

import pytest

from storedesk.sim.defaults import apply_defaults, canonical_resource_list, limit_range_item
from storedesk.sim.errors import ApiError

UID = "3b0c6a7e-1f2d-4c5b-9a8e-7d6c5b4a3f21"


def ips():
    counter = itertools.count(10)
    return lambda: f"10.96.0.{next(counter)}"


def defaulted(obj, plural, **kwargs):
    kwargs.setdefault("allocate_cluster_ip", ips())
    return apply_defaults(obj, plural, **kwargs)


def test_pod_gets_every_default_a_real_server_shows():
    sent = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web", "namespace": "s"},
        "spec": {
            "containers": [
                {
                    "name": "wordpress",
                    "image": "wordpress:6.5-apache",
                    "ports": [{"containerPort": 80}],
                    "env": [
                        {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}}
                    ],
                    "resources": {"limits": {"cpu": "0.5", "memory": "1024Mi"}},
                    "readinessProbe": {"httpGet": {"port": 80}},
                    "livenessProbe": {"grpc": {"port": 9000}, "periodSeconds": 5},
                }
            ],
            "volumes": [{"name": "data"}, {"name": "cfg", "configMap": {"name": "c"}}],
        },
    }
    assert defaulted(sent, "pods") == {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web", "namespace": "s"},
        "spec": {
            "containers": [
                {
                    "name": "wordpress",
                    "image": "wordpress:6.5-apache",
                    "imagePullPolicy": "IfNotPresent",
                    "ports": [{"containerPort": 80, "protocol": "TCP"}],
                    "env": [
                        {
                            "name": "POD_IP",
                            "valueFrom": {
                                "fieldRef": {"apiVersion": "v1", "fieldPath": "status.podIP"}
                            },
                        }
                    ],
                    # Requests default to limits on Pods; quantities come back canonical.
                    "resources": {
                        "limits": {"cpu": "500m", "memory": "1Gi"},
                        "requests": {"cpu": "500m", "memory": "1Gi"},
                    },
                    "readinessProbe": {
                        "httpGet": {"port": 80, "path": "/", "scheme": "HTTP"},
                        "timeoutSeconds": 1,
                        "periodSeconds": 10,
                        "successThreshold": 1,
                        "failureThreshold": 3,
                    },
                    "livenessProbe": {
                        "grpc": {"port": 9000, "service": ""},
                        "timeoutSeconds": 1,
                        "periodSeconds": 5,
                        "successThreshold": 1,
                        "failureThreshold": 3,
                    },
                    "terminationMessagePath": "/dev/termination-log",
                    "terminationMessagePolicy": "File",
                }
            ],
            "volumes": [
                {"name": "data", "emptyDir": {}},
                {"name": "cfg", "configMap": {"name": "c", "defaultMode": 420}},
            ],
            "restartPolicy": "Always",
            "terminationGracePeriodSeconds": 30,
            "dnsPolicy": "ClusterFirst",
            "securityContext": {},
            "schedulerName": "default-scheduler",
            "enableServiceLinks": True,
            "serviceAccountName": "default",
            "serviceAccount": "default",
            "priority": 0,
            "preemptionPolicy": "PreemptLowerPriority",
            "tolerations": [
                {
                    "key": "node.kubernetes.io/not-ready",
                    "operator": "Exists",
                    "effect": "NoExecute",
                    "tolerationSeconds": 300,
                },
                {
                    "key": "node.kubernetes.io/unreachable",
                    "operator": "Exists",
                    "effect": "NoExecute",
                    "tolerationSeconds": 300,
                },
            ],
        },
    }


def test_the_input_is_not_modified():
    sent = {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "x"}]}}
    kept = copy.deepcopy(sent)
    defaulted(sent, "pods")
    assert sent == kept


@pytest.mark.parametrize(
    ("image", "policy"),
    [
        ("nginx", "Always"),
        ("nginx:latest", "Always"),
        ("nginx:1.27", "IfNotPresent"),
        ("registry.local:5000/shop/wordpress", "Always"),
        ("registry.local:5000/shop/wordpress:6.5", "IfNotPresent"),
        ("wordpress@sha256:" + "a" * 64, "IfNotPresent"),
        ("wordpress:latest@sha256:" + "a" * 64, "Always"),
        ("Wordpress", "IfNotPresent"),
        ("", "IfNotPresent"),
        ("nginx:", "IfNotPresent"),
    ],
)
def test_image_pull_policy(image, policy):
    sent = {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": image}]}}
    assert defaulted(sent, "pods")["spec"]["containers"][0]["imagePullPolicy"] == policy


def test_explicit_values_are_kept():
    sent = {
        "metadata": {"name": "p"},
        "spec": {
            "restartPolicy": "Never",
            "dnsPolicy": "Default",
            "serviceAccountName": "shop",
            "enableServiceLinks": False,
            "terminationGracePeriodSeconds": 0,
            "securityContext": {"runAsUser": 33},
            "tolerations": [{"operator": "Exists"}],
            "containers": [{"name": "c", "image": "x", "imagePullPolicy": "Never"}],
        },
    }
    spec = defaulted(sent, "pods")["spec"]
    assert (spec["restartPolicy"], spec["dnsPolicy"], spec["enableServiceLinks"]) == (
        "Never",
        "Default",
        False,
    )
    assert spec["terminationGracePeriodSeconds"] == 0
    assert spec["securityContext"] == {"runAsUser": 33}
    assert (spec["serviceAccountName"], spec["serviceAccount"]) == ("shop", "shop")
    # A toleration of every taint already covers the two default ones.
    assert spec["tolerations"] == [{"operator": "Exists"}]
    assert spec["containers"][0]["imagePullPolicy"] == "Never"


def test_quantities_are_rounded_to_milli_and_printed_canonically():
    assert canonical_resource_list(
        {"cpu": "100u", "memory": "1.5Gi", "storage": "0.5", "ephemeral-storage": 2, "x": "1.234"}
    ) == {
        "cpu": "1m",
        "memory": "1536Mi",
        "storage": "500m",
        "ephemeral-storage": "2",
        "x": "1.234",
    }


def test_a_quantity_that_does_not_parse_is_a_bad_request():
    sent = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "db"},
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {"name": "c", "image": "x", "resources": {"requests": {"memory": "1 Gi"}}}
                    ]
                }
            }
        },
    }
    with pytest.raises(ApiError) as caught:
        defaulted(sent, "statefulsets")
    assert caught.value.code == 400
    assert caught.value.message == (
        'StatefulSet in version "v1" cannot be handled as a StatefulSet: quantities must '
        "match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
    )


def test_unknown_priority_class_is_forbidden():
    sent = {
        "metadata": {"name": "p"},
        "spec": {"priorityClassName": "gold", "containers": [{"name": "c", "image": "x"}]},
    }
    with pytest.raises(ApiError) as caught:
        defaulted(sent, "pods")
    assert (caught.value.code, caught.value.message) == (
        403,
        'pods "p" is forbidden: no PriorityClass with name gold was found',
    )
    sent["spec"]["priorityClassName"] = "system-cluster-critical"
    assert defaulted(sent, "pods")["spec"]["priority"] == 2000000000


def test_pod_admission_defaults_only_on_create():
    sent = {
        "metadata": {"name": "p", "uid": UID},
        "spec": {"containers": [{"name": "c", "image": "x"}]},
    }
    spec = defaulted(sent, "pods")["spec"]
    assert "priority" not in spec and "tolerations" not in spec
    assert "serviceAccountName" not in spec


def test_deployment_and_its_pod_template():
    sent = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "shop"},
        "spec": {
            "selector": {"matchLabels": {"app": "shop"}},
            "template": {
                "metadata": {"labels": {"app": "shop"}},
                "spec": {
                    "containers": [
                        {
                            "name": "c",
                            "image": "wordpress:6.5",
                            "resources": {"limits": {"memory": "512Mi"}},
                        }
                    ]
                },
            },
        },
    }
    spec = defaulted(sent, "deployments")["spec"]
    assert {k: v for k, v in spec.items() if k not in ("selector", "template")} == {
        "replicas": 1,
        "revisionHistoryLimit": 10,
        "progressDeadlineSeconds": 600,
        "strategy": {
            "type": "RollingUpdate",
            "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"},
        },
    }
    assert spec["template"]["spec"] == {
        "containers": [
            {
                "name": "c",
                "image": "wordpress:6.5",
                "imagePullPolicy": "IfNotPresent",
                # Templates do not get requests from limits (only Pods do).
                "resources": {"limits": {"memory": "512Mi"}},
                "terminationMessagePath": "/dev/termination-log",
                "terminationMessagePolicy": "File",
            }
        ],
        "restartPolicy": "Always",
        "terminationGracePeriodSeconds": 30,
        "dnsPolicy": "ClusterFirst",
        "securityContext": {},
        "schedulerName": "default-scheduler",
    }


def test_recreate_deployments_get_no_rolling_parameters():
    sent = {
        "metadata": {"name": "d"},
        "spec": {"strategy": {"type": "Recreate"}, "replicas": 0, "template": {"spec": {}}},
    }
    spec = defaulted(sent, "deployments")["spec"]
    assert spec["strategy"] == {"type": "Recreate"}
    assert spec["replicas"] == 0


def test_replica_set():
    assert defaulted({"metadata": {"name": "r"}, "spec": {}}, "replicasets")["spec"] == {
        "replicas": 1
    }


def test_stateful_set_and_its_claim_templates():
    sent = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "db"},
        "spec": {
            "serviceName": "db",
            "template": {"spec": {"containers": []}},
            "volumeClaimTemplates": [
                {
                    "metadata": {"name": "data"},
                    "spec": {
                        "accessModes": ["ReadWriteOnce"],
                        "resources": {"requests": {"storage": "1024Mi"}},
                    },
                }
            ],
        },
    }
    spec = defaulted(sent, "statefulsets")["spec"]
    assert spec["podManagementPolicy"] == "OrderedReady"
    assert spec["updateStrategy"] == {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}
    assert spec["persistentVolumeClaimRetentionPolicy"] == {
        "whenDeleted": "Retain",
        "whenScaled": "Retain",
    }
    assert (spec["replicas"], spec["revisionHistoryLimit"]) == (1, 10)
    assert spec["volumeClaimTemplates"] == [
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": "data"},
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": "1Gi"}},
                "volumeMode": "Filesystem",
            },
            "status": {"phase": "Pending"},
        }
    ]


def test_on_delete_stateful_sets_get_no_partition():
    sent = {"metadata": {"name": "db"}, "spec": {"updateStrategy": {"type": "OnDelete"}}}
    assert defaulted(sent, "statefulsets")["spec"]["updateStrategy"] == {"type": "OnDelete"}


def job(**meta):
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "install", **meta},
        "spec": {
            "template": {
                "spec": {"restartPolicy": "Never", "containers": [{"name": "wp", "image": "x"}]}
            }
        },
    }


def test_job_defaults_keep_the_template_restart_policy():
    spec = defaulted(job(), "jobs")["spec"]
    assert {k: v for k, v in spec.items() if k != "template"} == {
        "completions": 1,
        "parallelism": 1,
        "backoffLimit": 6,
        "completionMode": "NonIndexed",
        "suspend": False,
        "podReplacementPolicy": "TerminatingOrFailed",
        "manualSelector": False,
    }
    assert spec["template"]["spec"]["restartPolicy"] == "Never"


def test_job_selector_and_labels_come_from_its_uid_on_create():
    out = defaulted(job(uid=UID), "jobs", creating=True)
    labels = {
        "job-name": "install",
        "batch.kubernetes.io/job-name": "install",
        "controller-uid": UID,
        "batch.kubernetes.io/controller-uid": UID,
    }
    assert out["spec"]["selector"] == {"matchLabels": {"batch.kubernetes.io/controller-uid": UID}}
    assert out["spec"]["template"]["metadata"]["labels"] == labels
    # The Job itself takes its template's labels when it has none.
    assert out["metadata"]["labels"] == labels


def test_job_with_its_own_labels_keeps_them():
    out = defaulted(job(uid=UID, labels={"app": "shop"}), "jobs", creating=True)
    assert out["metadata"]["labels"] == {"app": "shop"}


def service(**spec):
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "shop"},
        "spec": {"selector": {"app": "shop"}, "ports": [{"port": 80}], **spec},
    }


def test_cluster_ip_service():
    assert defaulted(service(), "services")["spec"] == {
        "selector": {"app": "shop"},
        "ports": [{"port": 80, "protocol": "TCP", "targetPort": 80}],
        "type": "ClusterIP",
        "sessionAffinity": "None",
        "internalTrafficPolicy": "Cluster",
        "clusterIP": "10.96.0.10",
        "clusterIPs": ["10.96.0.10"],
        "ipFamilies": ["IPv4"],
        "ipFamilyPolicy": "SingleStack",
    }


def test_headless_services_keep_none():
    spec = defaulted(service(clusterIP="None"), "services")["spec"]
    assert (spec["clusterIP"], spec["clusterIPs"]) == ("None", ["None"])
    assert (spec["ipFamilies"], spec["ipFamilyPolicy"]) == (["IPv4"], "SingleStack")
    selectorless = service(clusterIP="None")
    del selectorless["spec"]["selector"]
    spec = defaulted(selectorless, "services")["spec"]
    assert (spec["ipFamilies"], spec["ipFamilyPolicy"]) == (["IPv4", "IPv6"], "RequireDualStack")


def test_named_target_ports_and_client_ip_affinity():
    spec = defaulted(
        service(
            ports=[{"port": 80, "targetPort": "http", "protocol": "UDP"}],
            sessionAffinity="ClientIP",
        ),
        "services",
    )["spec"]
    assert spec["ports"] == [{"port": 80, "targetPort": "http", "protocol": "UDP"}]
    assert spec["sessionAffinityConfig"] == {"clientIP": {"timeoutSeconds": 10800}}


def test_node_port_and_load_balancer_services():
    ports = iter([30080, 30443])
    spec = defaulted(
        service(
            type="LoadBalancer",
            ports=[
                {"port": 80, "name": "http"},
                {"port": 443, "name": "https"},
                {"port": 80, "name": "http-udp", "protocol": "UDP"},
            ],
        ),
        "services",
        allocate_node_port=lambda: next(ports),
    )["spec"]
    assert [p["nodePort"] for p in spec["ports"]] == [30080, 30443, 30080]
    assert spec["externalTrafficPolicy"] == "Cluster"
    assert spec["allocateLoadBalancerNodePorts"] is True


def test_external_name_services_get_no_ip():
    sent = {
        "metadata": {"name": "db"},
        "spec": {"type": "ExternalName", "externalName": "db.example.com"},
    }
    spec = defaulted(sent, "services")["spec"]
    assert "clusterIP" not in spec and "ipFamilies" not in spec
    assert "internalTrafficPolicy" not in spec


def test_updates_allocate_nothing():
    sent = service()
    sent["metadata"]["uid"] = UID
    assert "clusterIP" not in defaulted(sent, "services")["spec"]


def test_persistent_volume_claim():
    sent = {
        "metadata": {"name": "data"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "2Gi"}}},
    }
    out = defaulted(sent, "persistentvolumeclaims")
    assert out["spec"]["volumeMode"] == "Filesystem"
    assert out["status"] == {"phase": "Pending"}


def test_secret_string_data_folds_into_data():
    sent = {
        "metadata": {"name": "creds"},
        "data": {"user": "b2xk", "keep": "a2VlcA=="},
        "stringData": {"user": "admin", "password": "s3cr=t"},
    }
    assert defaulted(sent, "secrets") == {
        "metadata": {"name": "creds"},
        "type": "Opaque",
        "data": {"user": "YWRtaW4=", "keep": "a2VlcA==", "password": "czNjcj10"},
    }
    tls = {"metadata": {"name": "t"}, "type": "kubernetes.io/tls"}
    assert defaulted(tls, "secrets")["type"] == "kubernetes.io/tls"


def test_namespace_on_create_and_on_update():
    created = defaulted({"metadata": {"name": "store-a", "labels": {"team": "x"}}}, "namespaces")
    assert created == {
        "metadata": {
            "name": "store-a",
            "labels": {"team": "x", "kubernetes.io/metadata.name": "store-a"},
        },
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    }
    # The namespace controller removes the finalizer on /finalize: it must stay removed.
    finalized = copy.deepcopy(created)
    finalized["metadata"]["uid"] = UID
    finalized["spec"]["finalizers"] = []
    finalized["status"] = {"phase": "Terminating"}
    again = defaulted(finalized, "namespaces")
    assert again["spec"]["finalizers"] == []
    assert again["status"] == {"phase": "Terminating"}


def test_network_policy_types():
    sent = {
        "metadata": {"name": "np"},
        "spec": {"podSelector": {}, "egress": [{"ports": [{"port": 53}]}]},
    }
    spec = defaulted(sent, "networkpolicies")["spec"]
    assert spec["policyTypes"] == ["Ingress", "Egress"]
    assert spec["egress"] == [{"ports": [{"port": 53, "protocol": "TCP"}]}]
    ingress_only = {"metadata": {"name": "np"}, "spec": {"podSelector": {}}}
    assert defaulted(ingress_only, "networkpolicies")["spec"]["policyTypes"] == ["Ingress"]


def test_limit_range_items():
    assert limit_range_item(
        {
            "type": "Container",
            "max": {"cpu": "2"},
            "min": {"memory": "64Mi"},
            "defaultRequest": {"cpu": "100m"},
        }
    ) == {
        "type": "Container",
        "max": {"cpu": "2"},
        "min": {"memory": "64Mi"},
        "default": {"cpu": "2"},
        "defaultRequest": {"cpu": "100m", "memory": "64Mi"},
    }
    assert limit_range_item({"type": "Pod", "max": {"cpu": "2"}}) == {
        "type": "Pod",
        "max": {"cpu": "2"},
    }
    sent = {
        "metadata": {"name": "l"},
        "spec": {"limits": [{"type": "Container", "default": {"memory": "0.5Gi"}}]},
    }
    assert defaulted(sent, "limitranges")["spec"]["limits"] == [
        {"type": "Container", "default": {"memory": "512Mi"}, "defaultRequest": {"memory": "512Mi"}}
    ]


def test_resource_quota_hard_is_canonical():
    sent = {
        "metadata": {"name": "q"},
        "spec": {"hard": {"limits.cpu": "2000m", "limits.memory": "2048Mi"}},
    }
    assert defaulted(sent, "resourcequotas")["spec"]["hard"] == {
        "limits.cpu": "2",
        "limits.memory": "2Gi",
    }


def test_role_binding_api_groups():
    sent = {
        "metadata": {"name": "rb"},
        "roleRef": {"kind": "Role", "name": "r"},
        "subjects": [{"kind": "ServiceAccount", "name": "shop"}, {"kind": "User", "name": "alice"}],
    }
    out = defaulted(sent, "rolebindings")
    assert out["roleRef"] == {"kind": "Role", "name": "r", "apiGroup": "rbac.authorization.k8s.io"}
    assert out["subjects"] == [
        {"kind": "ServiceAccount", "name": "shop"},
        {"kind": "User", "name": "alice", "apiGroup": "rbac.authorization.k8s.io"},
    ]


def test_kinds_without_defaults_come_back_unchanged():
    ingress = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "shop"},
        "spec": {"rules": []},
    }
    assert defaulted(ingress, "ingresses") == ingress
