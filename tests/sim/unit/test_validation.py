"""Field validation answers writes with the errors and warnings a real kube-apiserver 1.35 gives."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from storedesk.sim import resources
from storedesk.sim.errors import ApiError
from storedesk.sim.validation import validate_object

DEPLOYMENT = resources.by_kind("apps/v1", "Deployment")
SERVICE = resources.by_kind("v1", "Service")
SECRET = resources.by_kind("v1", "Secret")
NAMESPACE = resources.by_kind("v1", "Namespace")
JOB = resources.by_kind("batch/v1", "Job")
CLUSTER_ROLE = resources.by_kind("rbac.authorization.k8s.io/v1", "ClusterRole")

_DEPLOYMENT: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {
        "name": "web",
        "namespace": "store-a",
        "labels": {"app": "web"},
        "creationTimestamp": None,
    },
    "spec": {
        "replicas": 2,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {
                "containers": [
                    {
                        "name": "web",
                        "image": "wordpress:6.8",
                        "ports": [{"name": "http", "containerPort": 80}],
                        "env": [{"name": "WORDPRESS_DB_HOST", "value": "db"}],
                        "resources": {"limits": {"cpu": "500m", "memory": "256Mi"}},
                        "readinessProbe": {"httpGet": {"path": "/", "port": "http"}},
                        "volumeMounts": [{"name": "data", "mountPath": "/var/www/html"}],
                    }
                ],
                "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "web"}}],
            },
        },
    },
}


def deployment() -> dict[str, Any]:
    return copy.deepcopy(_DEPLOYMENT)


def container(obj: dict[str, Any]) -> dict[str, Any]:
    return obj["spec"]["template"]["spec"]["containers"][0]


def rejection(
    obj: dict[str, Any], rt: resources.ResourceType = DEPLOYMENT, **kwargs: Any
) -> ApiError:
    with pytest.raises(ApiError) as caught:
        validate_object(obj, rt, **kwargs)
    return caught.value


def test_a_valid_deployment_is_stored_without_nulls_or_warnings() -> None:
    stored, warnings = validate_object(deployment(), DEPLOYMENT)
    assert warnings == []
    assert "creationTimestamp" not in stored["metadata"]
    assert container(stored)["image"] == "wordpress:6.8"


def test_strict_refuses_every_unknown_field_with_the_decoders_message() -> None:
    obj = deployment()
    container(obj)["imagePullPolice"] = "Always"
    obj["spec"]["foo"] = 1  # after spec.template in the document, so reported after it
    error = rejection(obj)
    assert (error.code, error.reason) == (400, "BadRequest")
    assert error.message == (
        'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: '
        'unknown field "spec.template.spec.containers[0].imagePullPolice", '
        'unknown field "spec.foo"'
    )


def test_warn_prunes_unknown_fields_and_returns_one_warning_each() -> None:
    obj = deployment()
    obj["spec"]["foo"] = 1
    stored, warnings = validate_object(obj, DEPLOYMENT, field_validation="Warn")
    assert warnings == ['unknown field "spec.foo"']
    assert "foo" not in stored["spec"]


def test_ignore_prunes_silently() -> None:
    obj = deployment()
    obj["metadata"]["bogus"] = "x"
    stored, warnings = validate_object(obj, DEPLOYMENT, field_validation="Ignore")
    assert warnings == []
    assert "bogus" not in stored["metadata"]


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (
            ("spec", "replicas"),
            "two",
            "json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type "
            "int32",
        ),
        (
            ("spec", "replicas"),
            1.5,
            "json: cannot unmarshal number 1.5 into Go struct field DeploymentSpec.spec.replicas of "
            "type int32",
        ),
        (
            ("metadata", "annotations"),
            {"prometheus.io/port": 8080},
            "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.annotations of "
            "type string",
        ),
        (
            ("spec", "template"),
            "web",
            "json: cannot unmarshal string into Go struct field DeploymentSpec.spec.template of type "
            "v1.PodTemplateSpec",
        ),
    ],
)
def test_wrong_types_are_refused_with_the_json_decode_error(
    path: tuple[str, str], value: Any, expected: str
) -> None:
    obj = deployment()
    obj[path[0]][path[1]] = value
    error = rejection(obj, field_validation="Warn")  # type errors fail in every mode
    assert error.code == 400
    assert error.message == (
        f'Deployment in version "v1" cannot be handled as a Deployment: {expected}'
    )


def test_a_wrong_type_wins_over_unknown_fields() -> None:
    obj = deployment()
    obj["spec"]["foo"] = 1
    container(obj)["env"][0]["value"] = True
    assert rejection(obj).message.endswith(
        "json: cannot unmarshal bool into Go struct field EnvVar.spec.template.spec.containers"
        ".env.value of type string"
    )


def test_a_malformed_quantity_reports_the_quantity_grammar() -> None:
    obj = deployment()
    container(obj)["resources"]["limits"]["memory"] = "512MB"
    assert rejection(obj).message.endswith(
        "cannot be handled as a Deployment: quantities must match the regular expression "
        "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
    )


def test_plain_text_in_secret_data_is_refused_as_go_base64_does() -> None:
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "db"},
        "data": {"password": "secret"},
    }
    assert rejection(secret, SECRET).message == (
        'Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 4'
    )
    secret["data"]["password"] = "c2VjcmV0"
    assert validate_object(secret, SECRET)[0]["data"] == {"password": "c2VjcmV0"}


def test_server_side_apply_reports_undeclared_fields_as_a_reasonless_500() -> None:
    obj = deployment()
    container(obj)["foo"] = 1
    error = rejection(obj, apply=True)
    assert (error.code, error.reason) == (500, "")
    assert error.message == (
        "failed to create typed patch object (store-a/web; apps/v1, Kind=Deployment): "
        '.spec.template.spec.containers[name="web"].foo: field not declared in schema'
    )
    assert "reason" not in error.status()


def test_server_side_apply_reports_type_errors_from_the_typed_conversion() -> None:
    obj = deployment()
    obj["spec"]["replicas"] = "two"
    obj["spec"]["bogus"] = True
    assert rejection(obj, apply=True).message == (
        "failed to create typed patch object (store-a/web; apps/v1, Kind=Deployment): errors:\n"
        "  .spec.replicas: expected numeric (int or float), got string\n"
        "  .spec.bogus: field not declared in schema"
    )


def test_a_strategic_merge_patch_with_an_unknown_field_is_invalid_on_the_patch() -> None:
    obj = deployment()
    obj["spec"]["volumes"] = []
    error = rejection(obj, patch_type="strategic", patch={"spec": {"volumes": []}})
    assert error.code == 422
    assert error.message == (
        ' "" is invalid: patch: Invalid value: "map[spec:map[volumes:[]]]": '
        'strict decoding error: unknown field "spec.volumes"'
    )


def test_a_merge_patch_quotes_the_patched_document() -> None:
    obj = deployment()
    obj["spec"]["replicas"] = "3"
    error = rejection(obj, patch_type="merge")
    assert error.code == 422
    assert error.message.startswith(' "" is invalid: patch: Invalid value: "{\\"apiVersion\\":')
    assert error.message.endswith(
        ": json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of "
        "type int32"
    )


def test_names_must_be_dns_subdomains() -> None:
    obj = deployment()
    obj["metadata"]["name"] = "Web_1"
    error = rejection(obj)
    assert (error.code, error.reason) == (422, "Invalid")
    assert error.message == (
        'Deployment.apps "Web_1" is invalid: metadata.name: Invalid value: "Web_1": a lowercase '
        "RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and "
        "must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
        "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
    )
    assert error.status()["details"]["causes"][0] == {
        "reason": "FieldValueInvalid",
        "field": "metadata.name",
        "message": error.message.split("metadata.name: ", 1)[1],
    }


def test_namespace_names_are_dns_labels() -> None:
    error = rejection(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "store.a"}}, NAMESPACE
    )
    assert error.message == (
        'Namespace "store.a" is invalid: metadata.name: Invalid value: "store.a": '
        "must not contain dots"
    )
    long_name = "s" * 64
    assert rejection(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": long_name}}, NAMESPACE
    ).message.endswith("must be no more than 63 characters")


def test_service_names_must_start_with_a_letter() -> None:
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "1web"},
        "spec": {"ports": [{"port": 80}]},
    }
    assert (
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start "
        "with an alphabetic character, and end with an alphanumeric character (e.g. "
        "'my-name',  or 'abc-123'" in rejection(service, SERVICE).message
    )


def test_a_missing_name_is_required_unless_generate_name_is_set() -> None:
    obj = deployment()
    del obj["metadata"]["name"]
    assert rejection(obj).message == (
        'Deployment.apps "" is invalid: metadata.name: Required value: name or generateName is '
        "required"
    )
    obj["metadata"]["generateName"] = "web-"
    assert validate_object(obj, DEPLOYMENT)[0]["metadata"]["generateName"] == "web-"


def test_rbac_names_only_refuse_path_separators() -> None:
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": "system:store/reader"},
        "rules": [],
    }
    assert rejection(role, CLUSTER_ROLE).message == (
        'ClusterRole.rbac.authorization.k8s.io "system:store/reader" is invalid: metadata.name: '
        "Invalid value: \"system:store/reader\": may not contain '/'"
    )


def test_label_keys_and_values_are_checked() -> None:
    obj = deployment()
    obj["metadata"]["labels"] = {"app/x/y": "ok", "tier": "-bad"}
    message = rejection(obj).message
    assert 'metadata.labels: Invalid value: "app/x/y": a qualified name must consist of' in message
    assert (
        'metadata.labels: Invalid value: "-bad": a valid label must be an empty string or '
        "consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
        "alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for "
        "validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
    ) in message


def test_the_selector_must_match_the_template_labels() -> None:
    obj = deployment()
    obj["spec"]["selector"] = {"matchLabels": {"app": "db"}}
    assert rejection(obj).message == (
        'Deployment.apps "web" is invalid: spec.template.metadata.labels: Invalid value: '
        '{"app":"web"}: `selector` does not match template `labels`'
    )
    del obj["spec"]["selector"]
    assert rejection(obj).message == (
        'Deployment.apps "web" is invalid: [spec.selector: Required value, '
        'spec.template.metadata.labels: Invalid value: {"app":"web"}: `selector` does not match '
        "template `labels`]"
    )


def test_containers_need_a_name_an_image_and_at_least_one_entry() -> None:
    obj = deployment()
    del container(obj)["image"]
    assert rejection(obj).message.endswith("spec.template.spec.containers[0].image: Required value")
    obj["spec"]["template"]["spec"]["containers"] = []
    assert rejection(obj).message.endswith("spec.template.spec.containers: Required value")


def test_volume_mounts_must_name_a_volume() -> None:
    obj = deployment()
    container(obj)["volumeMounts"][0]["name"] = "content"
    assert rejection(obj).message.endswith(
        'spec.template.spec.containers[0].volumeMounts[0].name: Not found: "content"'
    )


def test_jobs_refuse_the_default_restart_policy() -> None:
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "setup"},
        "spec": {"template": {"spec": {"containers": [{"name": "wp", "image": "wp-cli"}]}}},
    }
    assert rejection(job, JOB).message == (
        'Job.batch "setup" is invalid: spec.template.spec.restartPolicy: Unsupported value: '
        '"Always": supported values: "OnFailure", "Never"'
    )
    job["spec"]["template"]["spec"]["restartPolicy"] = "Never"
    validate_object(job, JOB)


def test_service_ports_need_names_when_several_and_valid_numbers() -> None:
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web"},
        "spec": {
            "selector": {"app": "web"},
            "ports": [{"port": 80}, {"port": 0, "targetPort": "http--alt"}],
        },
    }
    assert rejection(service, SERVICE).message == (
        'Service "web" is invalid: [spec.ports[0].name: Required value, spec.ports[1].name: '
        "Required value, spec.ports[1].port: Invalid value: 0: must be between 1 and 65535, "
        'inclusive, spec.ports[1].targetPort: Invalid value: "http--alt": must not contain '
        "consecutive hyphens]"
    )
    headless = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "db"},
        "spec": {"clusterIP": "None"},
    }
    validate_object(headless, SERVICE)
    del headless["spec"]["clusterIP"]
    assert rejection(headless, SERVICE).message == (
        'Service "db" is invalid: spec.ports: Required value'
    )


def test_schema_required_fields_are_required_values() -> None:
    obj = deployment()
    obj["spec"]["template"]["spec"]["volumes"][0]["persistentVolumeClaim"] = {"readOnly": True}
    assert rejection(obj).message.endswith(
        "spec.template.spec.volumes[0].persistentVolumeClaim.claimName: Required value"
    )


def test_status_and_managed_fields_are_accepted() -> None:
    obj = deployment()
    obj["status"] = {"replicas": 2, "conditions": [{"type": "Available", "status": "True"}]}
    obj["metadata"]["managedFields"] = [
        {
            "manager": "helm",
            "operation": "Apply",
            "apiVersion": "apps/v1",
            "fieldsType": "FieldsV1",
            "fieldsV1": {"f:spec": {"f:replicas": {}}},
        }
    ]
    stored, warnings = validate_object(obj, DEPLOYMENT)
    assert warnings == []
    assert stored["metadata"]["managedFields"][0]["fieldsV1"] == {"f:spec": {"f:replicas": {}}}


def test_int_or_string_and_quantities_accept_both_forms() -> None:
    obj = deployment()
    obj["spec"]["strategy"] = {"rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}}
    container(obj)["resources"]["requests"] = {"cpu": 0.25, "memory": "128Mi"}
    validate_object(obj, DEPLOYMENT)
    obj["spec"]["strategy"]["rollingUpdate"]["maxSurge"] = True
    assert rejection(obj).message.endswith(
        "json: cannot unmarshal bool into Go struct field RollingUpdateDeployment.spec.strategy"
        ".rollingUpdate.maxSurge of type int32"
    )
