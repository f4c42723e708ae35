"""The OpenAPI v3 documents carry what helm and kubectl look for, in the published form."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import pytest

from storedesk.sim import openapi, resources

SCHEMA_REF = "#/components/schemas/"


def document(group: str, version: str) -> dict[str, Any]:
    return json.loads(openapi.v3_document(group, version))


def test_the_index_lists_every_group_version_with_the_hash_of_its_document() -> None:
    paths = openapi.v3_index()["paths"]
    expected = {f"apis/{g}/{v}" if g else f"api/{v}" for g, v in resources.group_versions()}
    assert set(paths) == expected
    url = paths["apis/apps/v1"]["serverRelativeURL"]
    digest = hashlib.sha512(openapi.v3_document("apps", "v1")).hexdigest().upper()
    assert url == f"/openapi/v3/apis/apps/v1?hash={digest}"


def patch_operations(doc: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [
        item["patch"]
        for item in doc["paths"].values()
        if "patch" in item and item["patch"]["x-kubernetes-group-version-kind"]["kind"] == kind
    ]


STORED = [rt for rt in resources.RESOURCE_TYPES if rt.verbs != resources.CREATE_ONLY]


@pytest.mark.parametrize("rt", STORED, ids=lambda rt: rt.kind)
def test_every_patch_operation_of_a_kind_offers_field_validation(
    rt: resources.ResourceType,
) -> None:
    # kubectl's QueryParamVerifierV3 stops at the first patch operation carrying the kind,
    # so the status subresource's patch must carry the parameter too.
    operations = patch_operations(document(rt.group, rt.version), rt.kind)
    assert operations
    for operation in operations:
        assert operation["x-kubernetes-group-version-kind"] == {
            "group": rt.group,
            "kind": rt.kind,
            "version": rt.version,
        }
        assert {"fieldValidation", "fieldManager", "dryRun", "force"} <= {
            p["name"] for p in operation["parameters"]
        }
        assert "application/strategic-merge-patch+json" in operation["requestBody"]["content"]


def test_deployment_paths_have_the_real_operations() -> None:
    paths = document("apps", "v1")["paths"]
    item = paths["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]
    assert {k for k in item if k != "parameters"} == {"get", "put", "patch", "delete"}
    assert item["patch"]["operationId"] == "patchAppsV1NamespacedDeployment"
    collection = paths["/apis/apps/v1/namespaces/{namespace}/deployments"]
    assert collection["delete"]["x-kubernetes-action"] == "deletecollection"
    assert "watch" in {p["name"] for p in collection["get"]["parameters"]}
    assert "fieldValidation" in {p["name"] for p in collection["post"]["parameters"]}
    every = paths["/apis/apps/v1/deployments"]["get"]
    assert every["operationId"] == "listAppsV1DeploymentForAllNamespaces"
    scale = paths["/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale"]["patch"]
    assert scale["x-kubernetes-group-version-kind"]["kind"] == "Scale"


def test_cluster_scoped_kinds_have_no_namespace_in_their_paths() -> None:
    paths = document("", "v1")["paths"]
    assert "/api/v1/namespaces/{name}" in paths
    assert "/api/v1/namespaces/{name}/finalize" in paths
    assert paths["/api/v1/namespaces/{name}"]["patch"]["operationId"] == "patchCoreV1Namespace"


@pytest.mark.parametrize(("group", "version"), resources.group_versions())
def test_every_reference_resolves_inside_the_document(group: str, version: str) -> None:
    raw = openapi.v3_document(group, version).decode()
    doc = json.loads(raw)
    schemas = doc["components"]["schemas"]
    referenced = set(re.findall(r'"\$ref":"#/components/schemas/([^"]+)"', raw))
    assert referenced <= set(schemas)
    assert "$defs" not in raw
    assert doc["openapi"] == "3.0.0"


def test_documents_carry_only_the_schemas_they_reach() -> None:
    schemas = document("rbac.authorization.k8s.io", "v1")["components"]["schemas"]
    assert "io.k8s.api.rbac.v1.ClusterRole" in schemas
    assert not any(name.startswith("io.k8s.api.apps.") for name in schemas)


def test_schemas_keep_patch_metadata_and_are_published_as_the_server_does() -> None:
    schemas = document("apps", "v1")["components"]["schemas"]
    deployment = schemas["io.k8s.api.apps.v1.Deployment"]
    assert deployment["x-kubernetes-group-version-kind"] == [
        {"group": "apps", "kind": "Deployment", "version": "v1"}
    ]
    assert deployment["type"] == "object"
    assert "additionalProperties" not in deployment
    assert "enum" not in deployment["properties"]["kind"]
    assert deployment["properties"]["spec"]["allOf"] == [
        {"$ref": SCHEMA_REF + "io.k8s.api.apps.v1.DeploymentSpec"}
    ]
    containers = schemas["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"]
    assert containers["x-kubernetes-patch-merge-key"] == "name"
    assert containers["x-kubernetes-patch-strategy"] == "merge"
    assert containers["x-kubernetes-list-map-keys"] == ["name"]
    assert schemas["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]["format"] == "int-or-string"
    assert schemas["io.k8s.apimachinery.pkg.api.resource.Quantity"]["oneOf"] == [
        {"type": "string"},
        {"type": "number"},
    ]
    assert schemas["io.k8s.api.apps.v1.DeploymentSpec"]["properties"]["replicas"] == {
        "description": schemas["io.k8s.api.apps.v1.DeploymentSpec"]["properties"]["replicas"][
            "description"
        ],
        "format": "int32",
        "type": "integer",
    }
