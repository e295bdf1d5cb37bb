"""/openapi/v2: the Swagger 2.0 document kubectl reads as protobuf (explain --output=plaintext-openapiv2,
client-side validation when /openapi/v3 lacks a kind) and as JSON."""

import json

PROTO_ACCEPT = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"


def test_explain_plaintext_openapiv2(server):
    _, out, err = server.kubectl("explain", "pods.spec", "--output=plaintext-openapiv2", "-v=6")
    assert out.startswith("KIND:     Pod\nVERSION:  v1\n\nRESOURCE: spec <Object>\n"), out
    assert "containers\t<[]Object> -required-" in out
    assert "PodSpec is a description of a pod." in out
    assert "/openapi/v2?timeout=32s 200 OK" in err


def test_explain_walks_references_and_int_or_string(server):
    _, out, _ = server.kubectl("explain", "pods.spec.containers.ports", "--output=plaintext-openapiv2")
    assert "RESOURCE: ports <[]Object>" in out
    assert "containerPort\t<integer> -required-" in out
    _, out, _ = server.kubectl("explain", "services.spec.ports.targetPort",
                               "--output=plaintext-openapiv2")
    assert "FIELD:    targetPort <string>" in out  # IntOrString: type string, int-or-string
    _, out, _ = server.kubectl("explain", "pods", "--recursive", "--output=plaintext-openapiv2")
    assert "   spec\t<Object>" in out and "      containers\t<[]Object>" in out


def test_protobuf_and_json_with_etag(server):
    status, headers, pb = server.http("GET", "/openapi/v2", headers={"Accept": PROTO_ACCEPT})
    assert status == 200
    assert headers["Content-Type"] == "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
    assert headers["Vary"] == "Accept"
    etag = headers["Etag"]
    assert etag.startswith('"') and len(etag) == 130  # quoted SHA-512, as kube
    assert pb[:5] == b"\n\x032.0"  # field 1 (swagger) = "2.0"

    status, headers, body = server.http("GET", "/openapi/v2", headers={"Accept": "application/json"})
    assert status == 200 and headers["Content-Type"] == "application/json"
    assert headers["Etag"] == etag  # one ETag for both forms (the JSON's hash)
    doc = json.loads(body)
    assert doc["swagger"] == "2.0" and doc["info"]["title"] == "Kubernetes"
    pod = doc["definitions"]["io.k8s.api.core.v1.Pod"]
    assert pod["x-kubernetes-group-version-kind"] == [{"group": "", "kind": "Pod", "version": "v1"}]
    assert pod["properties"]["spec"]["$ref"] == "#/definitions/io.k8s.api.core.v1.PodSpec"
    patch = doc["paths"]["/api/v1/namespaces/{namespace}/pods/{name}"]["patch"]
    assert patch["x-kubernetes-group-version-kind"] == {"group": "", "kind": "Pod", "version": "v1"}
    assert "fieldValidation" in [p["name"] for p in patch["parameters"]]

    for accept in (PROTO_ACCEPT, "application/json"):
        status, headers, body = server.http("GET", "/openapi/v2",
                                            headers={"Accept": accept, "If-None-Match": etag})
        assert status == 304 and body == b"" and headers["Etag"] == etag
    status, _, _ = server.http("GET", "/openapi/v2", headers={"Accept": "application/yaml"})
    assert status == 406
