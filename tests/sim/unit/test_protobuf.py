"""Protobuf request bodies decode to the same dict as their JSON form.

Three kinds of vectors: bytes written by hand from generated.proto (so a mistake shared by
the decoder and the test encoder still fails); bytes captured from real clients: helm 4.1.4
(its release Secret POST, and the DeleteOptions body of `helm uninstall`, the same in helm
3.19) and kubectl 1.35 `create` generators, whose expected dicts are what the same kubectl
prints for `--dry-run=client -o json` (without its empty status); and bytes from the small
encoder below for the remaining fields and errors.
"""

from __future__ import annotations

import base64
import gzip
import json

import pytest

from storedesk.sim.errors import ApiError
from storedesk.sim.protobuf import decode

# -- a tiny encoder, for building vectors ---------------------------------------------------


def varint(n: int) -> bytes:
    n &= 2**64 - 1  # negatives as 64-bit two's complement
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def tag(number: int, wire: int) -> bytes:
    return varint(number << 3 | wire)


def num(number: int, value: int) -> bytes:
    return tag(number, 0) + varint(value)


def ld(number: int, payload: bytes | str) -> bytes:
    data = payload.encode() if isinstance(payload, str) else payload
    return tag(number, 2) + varint(len(data)) + data


def entry(number: int, key: str, value: bytes | str) -> bytes:
    return ld(number, ld(1, key) + ld(2, value))


def envelope(api_version: str, kind: str, raw: bytes) -> bytes:
    type_meta = ld(1, api_version) + ld(2, kind)
    return b"k8s\x00" + ld(1, type_meta) + ld(2, raw) + ld(3, "") + ld(4, "")


def error_of(body: bytes, **kwargs) -> ApiError:
    with pytest.raises(ApiError) as caught:
        decode(body, **kwargs)
    return caught.value


# -- vectors written by hand ------------------------------------------------------------------

HAND_SECRET = bytes.fromhex(
    "6b387300"  # magic "k8s\0"
    "0a0c"  # Unknown.typeMeta (1), 12 bytes
    "0a027631"  #   apiVersion (1) "v1"
    "1206536563726574"  #   kind (2) "Secret"
    "123a"  # Unknown.raw (2), 58 bytes: the Secret
    "0a14"  #   metadata (1), 20 bytes
    "0a0172"  #     name (1) "r"
    "4200"  #     creationTimestamp (8), empty: the zero time
    "5a0d"  #     labels (11) entry, 13 bytes
    "0a056f776e6572"  #       key (1) "owner"
    "120468656c6d"  #       value (2) "helm"
    "120e"  #   data (2) entry, 14 bytes
    "0a0772656c65617365"  #     key (1) "release"
    "1203483473"  #     value (2) bytes "H4s"
    "1a1268656c6d2e73682f72656c656173652e7631"  # type (3) "helm.sh/release.v1"
    "1a00"  # Unknown.contentEncoding (3) ""
    "2200"  # Unknown.contentType (4) ""
)


def test_hand_written_secret():
    assert decode(HAND_SECRET) == {
        "kind": "Secret",
        "apiVersion": "v1",
        "metadata": {"name": "r", "labels": {"owner": "helm"}},
        "data": {"release": "SDRz"},
        "type": "helm.sh/release.v1",
    }


# -- vectors captured from real helm ----------------------------------------------------------

HELM4_RELEASE_POST = bytes.fromhex(
    "6b3873000a0c0a027631120653656372657412a9040a87010a1973682e68656c6d2e72656c656173652e7631"
    "2e72656c2e763112001a0022002a003200380042005a170a09637265617465644174120a3137393536383631"
    "34335a0b0a046e616d65120372656c5a0d0a056f776e6572120468656c6d5a190a06737461747573120f7065"
    "6e64696e672d696e7374616c6c5a0c0a0776657273696f6e1201311288030a0772656c6561736512fc024834"
    "734941414141414141432f3553517757727a4d417a485836586f374154622b564c792b5131324c7a7630556b"
    "53737247614b59324b6c6f35532b2b3344574e597964426a7049516e2f702f394d4e496f3445446d5a695542"
    "44694d4947377752446d4c436450696163726558426774643158786c52326639442f33542f7262465062746a"
    "56645a37726d43416f592f796a776c5073354a416c54424163764d556841336f5759425a6c33532f5130662b"
    "415646475242575449345342523969472f565977627543766f7a7a6c494d6a79546f5562446b4479494a7363"
    "67764e4f657647376f32745159466d4d4c7273336d785a5139502f5475347544417245426f546f31442b626c"
    "79516c36334b2f5a6c472f466d4e6b356577487456616d32714e67395a756a514937424e3432624e4f2f6e71"
    "546275756e61316a62377a68364c736164376f3161756e4c4176536b38444c69777254654c7261535135542b"
    "58764f53506350774d4141502f2f3752376c487459424141413d1a1268656c6d2e73682f72656c656173652e"
    "76311a002200"
)
HELM_UNINSTALL_DELETE_OPTIONS = bytes.fromhex(
    "6b3873000a130a027631120d44656c6574654f7074696f6e7312001a002200"
)


def test_helm_release_secret_as_helm_posts_it():
    secret = decode(HELM4_RELEASE_POST, kind="Secret", api_version="v1")
    release = secret["data"].pop("release")
    # helm sends every ObjectMeta string, empty or not; the JSON form leaves those out.
    assert secret == {
        "kind": "Secret",
        "apiVersion": "v1",
        "type": "helm.sh/release.v1",
        "data": {},
        "metadata": {
            "name": "sh.helm.release.v1.rel.v1",
            "labels": {
                "createdAt": "1795686143",
                "name": "rel",
                "owner": "helm",
                "status": "pending-install",
                "version": "1",
            },
        },
    }
    # The release record itself: base64 (Secret data) of base64 of gzipped JSON.
    record = json.loads(gzip.decompress(base64.b64decode(base64.b64decode(release))))
    assert (record["name"], record["version"], record["info"]["status"]) == (
        "rel",
        1,
        "pending-install",
    )


def test_helm_uninstall_delete_options():
    assert decode(HELM_UNINSTALL_DELETE_OPTIONS, kind="DeleteOptions") == {
        "kind": "DeleteOptions",
        "apiVersion": "v1",
    }


KUBECTL_CREATE = {
    # kubectl create namespace demo
    "6b3873000a0f0a02763112094e616d657370616365121c0a140a0464656d6f12001a0022002a0032003800"
    "420012001a020a001a002200": {
        "kind": "Namespace",
        "apiVersion": "v1",
        "metadata": {"name": "demo"},
        "spec": {},
    },
    # kubectl create quota small --hard=pods=1,requests.cpu=500m,limits.memory=1Gi
    #   --scopes=NotBestEffort
    "6b3873000a130a027631120d5265736f7572636551756f746112670a150a05736d616c6c12001a0022002a"
    "00320038004200124c0a160a0d6c696d6974732e6d656d6f727912050a033147690a0b0a04706f64731203"
    "0a01310a160a0c72657175657374732e63707512060a043530306d120d4e6f74426573744566666f72741a"
    "001a002200": {
        "kind": "ResourceQuota",
        "apiVersion": "v1",
        "metadata": {"name": "small"},
        "spec": {
            "hard": {"limits.memory": "1Gi", "pods": "1", "requests.cpu": "500m"},
            "scopes": ["NotBestEffort"],
        },
    },
    # kubectl create deployment d1 --image=nginx --port=80 --replicas=2
    "6b3873000a150a07617070732f7631120a4465706c6f796d656e7412b4010a1d0a02643112001a0022002a"
    "003200380042005a090a03617070120264311284010802120b0a090a03617070120264311a6b0a1b0a0012"
    "001a0022002a003200380042005a090a0361707012026431124c122e0a056e67696e7812056e67696e782a"
    "00320a0a001000185022002a0042006a007200800100880100900100a201001a00320042004a0052005800"
    "600068008201008a01009a0100c2010022020a00280038001a0c0800100018002000280038001a002200": {
        "kind": "Deployment",
        "apiVersion": "apps/v1",
        "metadata": {"name": "d1", "labels": {"app": "d1"}},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "d1"}},
            "template": {
                "metadata": {"labels": {"app": "d1"}},
                "spec": {
                    "containers": [
                        {
                            "name": "nginx",
                            "image": "nginx",
                            "ports": [{"containerPort": 80}],
                            "resources": {},
                        }
                    ]
                },
            },
            "strategy": {},
        },
    },
    # kubectl create service clusterip svc1 --tcp=80:8080
    "6b3873000a0d0a027631120753657276696365126c0a210a047376633112001a0022002a00320038004200"
    "5a0b0a0361707012047376633112430a1b0a0738302d38303830120354435018502207080010903f1a0028"
    "00120b0a036170701204737663311a002209436c757374657249503a00420052005a00600068001a020a00"
    "1a002200": {
        "kind": "Service",
        "apiVersion": "v1",
        "metadata": {"name": "svc1", "labels": {"app": "svc1"}},
        "spec": {
            "ports": [{"name": "80-8080", "protocol": "TCP", "port": 80, "targetPort": 8080}],
            "selector": {"app": "svc1"},
            "type": "ClusterIP",
        },
    },
    # kubectl create ingress i1 --rule=shop.local/*=svc1:80
    "6b3873000a1f0a146e6574776f726b696e672e6b38732e696f2f76311207496e677265737312490a120a02"
    "693112001a0022002a00320038004200122f1a2d0a0a73686f702e6c6f63616c121f0a1d0a1b0a012f120e"
    "220c0a047376633112040a0010501a065072656669781a020a001a002200": {
        "kind": "Ingress",
        "apiVersion": "networking.k8s.io/v1",
        "metadata": {"name": "i1"},
        "spec": {
            "rules": [
                {
                    "host": "shop.local",
                    "http": {
                        "paths": [
                            {
                                "path": "/",
                                "pathType": "Prefix",
                                "backend": {"service": {"name": "svc1", "port": {"number": 80}}},
                            }
                        ]
                    },
                }
            ]
        },
    },
}


@pytest.mark.parametrize("body", list(KUBECTL_CREATE), ids=lambda b: b[10:60])
def test_kubectl_create_generators(body):
    assert decode(bytes.fromhex(body)) == KUBECTL_CREATE[body]


# -- vectors from the encoder -----------------------------------------------------------------


def object_meta() -> bytes:
    owner = (
        ld(1, "ReplicaSet")
        + ld(3, "web-5d9f8")
        + ld(4, "uid-1")
        + ld(5, "apps/v1")
        + num(6, 0)
        + num(7, 1)
    )
    return (
        ld(1, "web")
        + ld(2, "")
        + ld(3, "store-a")
        + ld(5, "uid-2")
        + ld(6, "42")
        + num(7, 3)
        + ld(8, num(1, 1767225600) + num(2, 999))
        + ld(9, num(1, 1767225630))
        + num(10, 30)
        + entry(11, "app", "shop")
        + entry(12, "note", "")
        + ld(13, owner)
        + ld(14, "kubernetes.io/pvc-protection")
        + ld(14, "example.com/keep")
        + ld(15, "cluster")
        + ld(17, ld(1, "helm"))
    )  # removed / server-set: skipped


def test_full_object_meta():
    secret = decode(envelope("v1", "Secret", ld(1, object_meta())))
    assert secret["metadata"] == {
        "name": "web",
        "namespace": "store-a",
        "uid": "uid-2",
        "resourceVersion": "42",
        "generation": 3,
        "creationTimestamp": "2026-01-01T00:00:00Z",  # nanos are not kept, as in Go
        "deletionTimestamp": "2026-01-01T00:00:30Z",
        "deletionGracePeriodSeconds": 30,
        "labels": {"app": "shop"},
        "annotations": {"note": ""},
        "ownerReferences": [
            {
                "apiVersion": "apps/v1",
                "kind": "ReplicaSet",
                "name": "web-5d9f8",
                "uid": "uid-1",
                "controller": False,
                "blockOwnerDeletion": True,
            }
        ],
        "finalizers": ["kubernetes.io/pvc-protection", "example.com/keep"],
    }


def test_secret_fields():
    raw = (
        ld(1, ld(1, "creds"))
        + entry(2, "password", b"\x00\xffpw")
        + entry(4, "user", "admin")
        + ld(3, "Opaque")
        + num(5, 0)
    )
    assert decode(envelope("v1", "Secret", raw)) == {
        "kind": "Secret",
        "apiVersion": "v1",
        "metadata": {"name": "creds"},
        "data": {"password": base64.b64encode(b"\x00\xffpw").decode()},
        "stringData": {"user": "admin"},
        "type": "Opaque",
        "immutable": False,
    }


def test_config_map_fields():
    raw = (
        ld(1, ld(1, "cfg"))
        + entry(2, "a.conf", "x=1")
        + entry(3, "logo.png", b"\x89PNG")
        + num(4, 1)
    )
    assert decode(envelope("v1", "ConfigMap", raw)) == {
        "kind": "ConfigMap",
        "apiVersion": "v1",
        "metadata": {"name": "cfg"},
        "data": {"a.conf": "x=1"},
        "binaryData": {"logo.png": "iVBORw=="},
        "immutable": True,
    }


def test_delete_options_fields():
    raw = (
        num(1, 0)
        + ld(2, ld(1, "uid-9") + ld(2, "77"))
        + num(3, 0)
        + ld(4, "Foreground")
        + ld(5, "All")
    )
    assert decode(envelope("meta.k8s.io/v1", "DeleteOptions", raw)) == {
        "kind": "DeleteOptions",
        "apiVersion": "meta.k8s.io/v1",
        "gracePeriodSeconds": 0,
        "preconditions": {"uid": "uid-9", "resourceVersion": "77"},
        "orphanDependents": False,
        "propagationPolicy": "Foreground",
        "dryRun": ["All"],
    }


def test_negative_integers():
    raw = ld(1, ld(1, "x") + num(10, -5))
    meta = decode(envelope("v1", "Secret", raw))["metadata"]
    assert meta["deletionGracePeriodSeconds"] == -5


def test_a_missing_type_meta_takes_the_endpoint_kind():
    body = b"k8s\x00" + ld(2, ld(1, ld(1, "s")))
    assert decode(body, kind="Secret", api_version="v1") == {
        "kind": "Secret",
        "apiVersion": "v1",
        "metadata": {"name": "s"},
    }


# -- errors -------------------------------------------------------------------------------------


def test_json_sent_as_protobuf():
    error = error_of(b'{"kind":"Secret"}', kind="Secret", api_version="v1")
    assert (error.code, error.reason) == (400, "BadRequest")
    assert error.message == (
        "the object provided is unrecognized (must be of type Secret): provided data does not "
        'appear to be a protobuf message, expected prefix [107 56 115 0] ({"kind":"Secret"})'
    )


def test_binary_garbage_is_summarized_in_hex():
    error = error_of(b"\x01\x02" * 20, kind="Secret")
    assert error.message.endswith("(" + "0102" * 15 + " ...)")


@pytest.mark.parametrize(("body", "reason"), [(b"", "empty data"), (b"k8s\x00", "empty body")])
def test_empty_bodies(body, reason):
    assert error_of(body, kind="ConfigMap").message == (
        f"the object provided is unrecognized (must be of type ConfigMap): {reason} "
        f"({body.hex() or '<empty>'})"
    )


def test_truncated_envelope():
    assert error_of(HAND_SECRET[:20], kind="Secret").message == (
        "the object provided is unrecognized (must be of type Secret): unexpected EOF "
        f"({HAND_SECRET[:20].hex()})"
    )


def test_truncated_object():
    body = envelope("v1", "Secret", ld(1, ld(1, "creds"))[:-2])
    assert error_of(body, kind="Secret").message == (
        'Secret in version "v1" cannot be handled as a Secret: unexpected EOF'
    )


def test_wrong_wire_type():
    body = envelope("v1", "Secret", ld(1, num(1, 7)))
    assert error_of(body, kind="Secret").message == (
        'Secret in version "v1" cannot be handled as a Secret: proto: wrong wireType = 0 for '
        "field Name"
    )


UNSUPPORTED = (
    "the body of the request was in an unknown format - accepted media types "
    "include: application/json, application/yaml"
)


def test_kinds_this_simulator_cannot_read_are_unsupported_media():
    error = error_of(envelope("apps/v1", "StatefulSet", ld(1, ld(1, "db"))), kind="StatefulSet")
    assert (error.code, error.reason, error.message) == (415, "UnsupportedMediaType", UNSUPPORTED)


def test_fields_this_simulator_does_not_model_are_refused_not_dropped():
    volumes = ld(1, ld(1, "data") + ld(2, b""))  # PodSpec.volumes: not modelled
    pod = envelope("v1", "Pod", ld(1, ld(1, "p")) + ld(2, volumes + ld(2, ld(1, "c"))))
    assert error_of(pod, kind="Pod").code == 415


def test_malformed_delete_options_are_reported_unwrapped():
    error = error_of(envelope("v1", "DeleteOptions", num(1, 5)[:-1]), kind="DeleteOptions")
    assert (error.code, error.message) == (500, "unexpected EOF")
