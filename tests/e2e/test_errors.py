"""Error responses as kubectl prints them: NotFound, Invalid (422 with causes), missing namespace."""

import json

from e2e_helpers import POD_WEB

NO_CONTAINERS = """\
apiVersion: v1
kind: Pod
metadata:
  name: bad
spec:
  containers: []
"""

TWO_ERRORS = """\
apiVersion: v1
kind: Pod
metadata:
  name: bad
spec:
  restartPolicy: Sometimes
  containers:
  - name: c
"""


def test_get_missing_pod(server):
    rc, out, err = server.kubectl("get", "pod", "nope", check=False)
    assert rc == 1 and out == ""
    assert err.strip() == 'Error from server (NotFound): pods "nope" not found'


def test_get_missing_pod_json_output(server):
    rc, out, err = server.kubectl("get", "pod", "nope", "-o", "json", check=False)
    assert rc == 1 and out == ""
    assert err.strip() == 'Error from server (NotFound): pods "nope" not found'


def test_get_missing_namespace_object(server):
    rc, out, err = server.kubectl("get", "namespace", "nope", check=False)
    assert rc == 1
    assert err.strip() == 'Error from server (NotFound): namespaces "nope" not found'


def test_not_found_status_body(server):
    status, headers, body = server.http("GET", "/api/v1/namespaces/default/pods/nope")
    assert status == 404
    assert headers["Content-Type"].startswith("application/json")
    st = json.loads(body)
    assert st == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                  "message": 'pods "nope" not found', "reason": "NotFound",
                  "details": {"name": "nope", "kind": "pods"}, "code": 404}


def test_invalid_pod_without_containers(server, manifests):
    """One cause: kubectl prints it on the same line as the prefix (kube's MultilineError)."""
    path = manifests("bad.yaml", NO_CONTAINERS)
    rc, out, err = server.kubectl("create", "-f", path, check=False)
    assert rc == 1 and out == ""
    assert err.strip() == 'The Pod "bad" is invalid: spec.containers: Required value'
    # Nothing was stored.
    assert server.kubectl("get", "pod", "bad", check=False)[0] == 1


def test_invalid_pod_status_body(server):
    body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "bad"}, "spec": {"containers": []}}
    status, _, raw = server.http("POST", "/api/v1/namespaces/default/pods", body)
    assert status == 422
    st = json.loads(raw)
    assert st["kind"] == "Status" and st["reason"] == "Invalid" and st["code"] == 422
    assert st["message"] == 'Pod "bad" is invalid: spec.containers: Required value'
    assert st["details"]["kind"] == "Pod" and st["details"]["name"] == "bad"
    assert st["details"]["causes"] == [{"reason": "FieldValueRequired", "message": "Required value",
                                        "field": "spec.containers"}]


def test_invalid_pod_several_causes(server, manifests):
    """Several causes: a `* field: message` line each, in kube's wording."""
    path = manifests("bad2.yaml", TWO_ERRORS)
    rc, out, err = server.kubectl("create", "-f", path, check=False)
    assert rc == 1 and out == ""
    assert err.splitlines() == [
        'The Pod "bad" is invalid: ',
        "* spec.containers[0].image: Required value",
        '* spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
    ]


def test_create_in_missing_namespace_run(server):
    rc, out, err = server.kubectl("run", "p", "--image=nginx", "-n", "nope", check=False)
    assert rc == 1 and out == ""
    assert err.strip() == 'Error from server (NotFound): namespaces "nope" not found'


def test_create_f_in_missing_namespace(server, manifests):
    path = manifests("pod.yaml", POD_WEB)
    rc, out, err = server.kubectl("create", "-f", path, "-n", "nope", check=False)
    assert rc == 1 and out == ""
    assert err.strip() == f'Error from server (NotFound): error when creating "{path}": namespaces "nope" not found'


def test_create_configmap_in_missing_namespace(server):
    """The protobuf generator path reports the same NotFound."""
    rc, out, err = server.kubectl("create", "configmap", "c", "--from-literal=a=b", "-n", "nope", check=False)
    assert rc == 1 and out == ""
    assert err.strip() == 'error: failed to create configmap: namespaces "nope" not found'


def test_unknown_resource_type(server):
    rc, out, err = server.kubectl("get", "nosuchthings", check=False)
    assert rc == 1
    assert err.strip() == 'error: the server doesn\'t have a resource type "nosuchthings"'


def test_raw_unknown_path(server):
    rc, out, err = server.kubectl("get", "--raw", "/nope", check=False)
    assert rc == 1
    assert err.strip() == "Error from server (NotFound): the server could not find the requested resource"
