"""kubectl create: the built-in generators (protobuf bodies) and create -f with default validation."""

import ipaddress
import json

import pytest

from e2e_helpers import POD_WEB, assert_server_metadata, b64


@pytest.fixture(scope="module")
def ns_foo(server):
    """`kubectl create namespace foo`, once for the module; returns its stdout."""
    _, out, _ = server.kubectl("create", "namespace", "foo")
    return out




def test_create_namespace(server, ns_foo):
    assert ns_foo.strip() == "namespace/foo created"
    lst = server.kubectl_json("get", "namespaces")
    [ns] = [i for i in lst["items"] if i["metadata"]["name"] == "foo"]
    assert ns["kind"] == "Namespace" and ns["apiVersion"] == "v1"
    assert_server_metadata(ns, "foo")
    assert ns["metadata"]["labels"]["kubernetes.io/metadata.name"] == "foo"
    assert ns["status"]["phase"] == "Active"


def test_get_namespace_by_name(server, ns_foo):
    ns = server.kubectl_json("get", "namespace", "foo")
    assert_server_metadata(ns, "foo")
    assert ns["status"]["phase"] == "Active"


def test_create_namespace_twice_is_already_exists(server, ns_foo):
    rc, out, err = server.kubectl("create", "namespace", "foo", check=False)
    assert rc != 0
    assert out == ""
    assert err.strip() == 'Error from server (AlreadyExists): namespaces "foo" already exists'


def test_create_configmap_from_literal_sends_protobuf(server, ns_foo):
    # -v=8 prints the request headers: make sure this really exercised protobuf decoding.
    _, out, err = server.kubectl("create", "configmap", "c", "--from-literal=a=b", "-n", "foo", "-v=8")
    assert out.strip() == "configmap/c created"
    assert "Content-Type: application/vnd.kubernetes.protobuf" in err
    cm = server.kubectl_json("get", "configmap", "c", "-n", "foo")
    assert cm["kind"] == "ConfigMap"
    assert_server_metadata(cm, "c", "foo")
    assert cm["data"] == {"a": "b"}
    assert "binaryData" not in cm


def test_create_secret_generic_from_literal(server, ns_foo):
    _, out, _ = server.kubectl("create", "secret", "generic", "s", "--from-literal=p=q", "-n", "foo")
    assert out.strip() == "secret/s created"
    s = server.kubectl_json("get", "secret", "s", "-n", "foo")
    assert s["kind"] == "Secret"
    assert_server_metadata(s, "s", "foo")
    assert s["data"] == {"p": b64("q")} == {"p": "cQ=="}
    assert s["type"] == "Opaque"


def test_generators_list_in_namespace(server, ns_foo):
    """Both objects created above come back from one list call of two types."""
    out = server.kubectl_json("get", "configmaps,secrets", "-n", "foo")
    assert out["kind"] == "List"
    got = sorted((i["kind"], i["metadata"]["name"]) for i in out["items"])
    assert got == [("ConfigMap", "c"), ("Secret", "s")]


CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  mode: fast
  retries: "3"
"""

SECRET = """\
apiVersion: v1
kind: Secret
metadata:
  name: creds
type: Opaque
data:
  user: YWRtaW4=
stringData:
  password: hunter2
"""

SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
  - port: 80
    targetPort: 8080
"""


@pytest.fixture(scope="module")
def created_from_files(server, tmp_path_factory):
    d = tmp_path_factory.mktemp("manifests")
    files = {}
    for name, text in [("pod.yaml", POD_WEB), ("configmap.yaml", CONFIGMAP),
                       ("secret.yaml", SECRET), ("service.yaml", SERVICE)]:
        files[name] = d / name
        files[name].write_text(text)
    args = ["create"]
    for p in files.values():
        args += ["-f", str(p)]
    _, out, err = server.kubectl(*args)
    return files, out, err


def test_create_f_output(server, created_from_files):
    _, out, _ = created_from_files
    assert out.splitlines() == ["pod/web created", "configmap/settings created",
                                "secret/creds created", "service/web created"]


def test_create_f_used_default_validation(server, created_from_files):
    """No --validate=false: kubectl fetched /openapi/v3 and asked the server for strict validation."""
    log = server.log_text()
    assert "/openapi/v3/api/v1?hash=" in log
    assert "/api/v1/namespaces/default/pods?fieldManager=kubectl-create&fieldValidation=Strict" in log


def test_create_f_pod_defaults(server, created_from_files):
    pod = server.kubectl_json("get", "pod", "web")
    assert pod["kind"] == "Pod" and pod["apiVersion"] == "v1"
    assert_server_metadata(pod, "web", "default")
    assert pod["metadata"]["labels"] == {"app": "web", "tier": "frontend"}
    spec = pod["spec"]
    assert spec["restartPolicy"] == "Always"
    assert spec["dnsPolicy"] == "ClusterFirst"
    assert spec["terminationGracePeriodSeconds"] == 30
    assert spec["schedulerName"] == "default-scheduler"
    c = spec["containers"][0]
    assert c["name"] == "nginx" and c["image"] == "nginx:1.27"
    assert c["imagePullPolicy"] == "IfNotPresent"
    assert c["terminationMessagePath"] == "/dev/termination-log"
    assert c["ports"] == [{"containerPort": 80, "protocol": "TCP"}]
    assert pod["status"]["phase"] == "Pending"
    assert pod["status"]["qosClass"] == "BestEffort"


def test_create_f_configmap(server, created_from_files):
    cm = server.kubectl_json("get", "configmap", "settings")
    assert_server_metadata(cm, "settings", "default")
    assert cm["data"] == {"mode": "fast", "retries": "3"}


def test_create_f_secret_merges_string_data(server, created_from_files):
    s = server.kubectl_json("get", "secret", "creds")
    assert_server_metadata(s, "creds", "default")
    assert s["data"] == {"user": b64("admin"), "password": b64("hunter2")}
    assert "stringData" not in s
    assert s["type"] == "Opaque"


def test_create_f_service_gets_cluster_ip(server, created_from_files):
    svc = server.kubectl_json("get", "service", "web")
    assert_server_metadata(svc, "web", "default")
    spec = svc["spec"]
    ip = ipaddress.ip_address(spec["clusterIP"])
    assert ip.version == 4 and not ip.is_unspecified
    assert spec["clusterIPs"] == [spec["clusterIP"]]
    assert spec["type"] == "ClusterIP"
    assert spec["sessionAffinity"] == "None"
    assert spec["ports"] == [{"port": 80, "protocol": "TCP", "targetPort": 8080}]
    assert spec["selector"] == {"app": "web"}


def test_create_f_twice_is_already_exists(server, created_from_files):
    files, _, _ = created_from_files
    rc, out, err = server.kubectl("create", "-f", files["pod.yaml"], check=False)
    assert rc == 1
    assert err.strip() == (f'Error from server (AlreadyExists): error when creating "{files["pod.yaml"]}": '
                           'pods "web" already exists')


def test_create_from_stdin(server):
    _, out, _ = server.kubectl("create", "-f", "-", input=CONFIGMAP.replace("name: settings", "name: stdin-cm"))
    assert out.strip() == "configmap/stdin-cm created"
    assert server.kubectl_json("get", "cm", "stdin-cm")["data"]["mode"] == "fast"


def test_run_creates_pod(server):
    """kubectl run: a plain JSON POST, no OpenAPI."""
    _, out, _ = server.kubectl("run", "runner", "--image=busybox:1.36", "--labels=app=runner")
    assert out.strip() == "pod/runner created"
    pod = server.kubectl_json("get", "pod", "runner")
    assert pod["spec"]["containers"][0]["image"] == "busybox:1.36"
    assert pod["spec"]["containers"][0]["name"] == "runner"
    assert pod["metadata"]["labels"] == {"app": "runner"}
    assert pod["status"]["phase"] == "Pending"


def test_create_f_unknown_field_is_rejected_strictly(server, manifests):
    path = manifests("strict.yaml", POD_WEB.replace("name: web", "name: strict").replace(
        "spec:\n", "spec:\n  bogus: 1\n"))
    rc, out, err = server.kubectl("create", "-f", path, check=False)
    assert rc == 1, out
    assert err.strip() == (f'Error from server (BadRequest): error when creating "{path}": Pod in version "v1" '
                           'cannot be handled as a Pod: strict decoding error: unknown field "spec.bogus"')


def test_no_generation_where_kube_has_none(server, ns_foo, created_from_files):
    for args in [("namespaces",), ("configmaps", "-A"), ("secrets", "-A"), ("services", "-A"), ("pods", "-A")]:
        for item in server.kubectl_json("get", *args)["items"]:
            assert "generation" not in item["metadata"], (args[0], item["metadata"])


@pytest.mark.parametrize("accept", ["application/json", "application/yaml"])
def test_create_answer_is_the_stored_object(server, accept):
    """The 201's body is the object as stored: byte for byte what a GET then serves, on every
    backend (the memory backend answers with the watch cache's bytes, the durable ones with the
    create's own encoding at its revision; neither serializes the object again)."""
    name = "answer-" + accept.split("/")[1]
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"a": "b"}},
           "spec": {"containers": [{"name": "c", "image": "nginx"}]}}
    status, headers, created = server.http("POST", "/api/v1/namespaces/default/pods", pod,
                                           headers={"Accept": accept})
    assert status == 201, created
    assert headers["Content-Type"].startswith(accept)
    _, _, got = server.http("GET", f"/api/v1/namespaces/default/pods/{name}", headers={"Accept": accept})
    assert created == got
    if accept == "application/json":
        obj = json.loads(created)
        assert int(obj["metadata"]["resourceVersion"]) > 0
        assert obj["metadata"]["managedFields"][0]["manager"]
