"""kubectl delete and kubectl wait --for=delete."""

import time

from e2e_helpers import POD_WEB, pod_manifest

CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  mode: fast
"""


def assert_gone(server, kind, name, namespace="default"):
    rc, out, err = server.kubectl("get", kind, name, "-n", namespace, check=False)
    assert rc == 1 and out == ""
    assert err.strip() == f'Error from server (NotFound): {kind}s "{name}" not found'
    status, _, _ = server.http("GET", f"/api/v1/namespaces/{namespace}/{kind}s/{name}")
    assert status == 404


def test_delete_pod(server):
    server.kubectl("create", "-f", "-", input=POD_WEB)
    t0 = time.monotonic()
    rc, out, err = server.kubectl("delete", "pod", "web")
    elapsed = time.monotonic() - t0
    assert out.strip() == 'pod "web" deleted'
    assert err == ""
    # kubectl waits until GET answers 404; with immediate deletion that is at once.
    assert elapsed < 10, f"kubectl delete took {elapsed:.1f}s"
    assert_gone(server, "pod", "web")
    assert "web" not in server.kubectl("get", "pods", "-o", "name")[1]


def test_delete_from_file(server, manifests):
    cm = manifests("cm.yaml", CONFIGMAP)
    pod = manifests("pod.yaml", pod_manifest("filepod"))
    server.kubectl("create", "-f", cm, "-f", pod)
    _, out, _ = server.kubectl("delete", "-f", cm, "-f", pod)
    assert out.splitlines() == ['configmap "settings" deleted', 'pod "filepod" deleted']
    assert_gone(server, "configmap", "settings")
    assert_gone(server, "pod", "filepod")


def test_delete_by_label(server, manifests):
    docs = [pod_manifest("l1", {"app": "batch"}), pod_manifest("l2", {"app": "batch"}),
            pod_manifest("keep", {"app": "keep"})]
    server.kubectl("create", "-f", "-", input="---\n".join(docs))
    _, out, _ = server.kubectl("delete", "pods", "-l", "app=batch")
    assert sorted(out.splitlines()) == ['pod "l1" deleted', 'pod "l2" deleted']
    _, out, _ = server.kubectl("get", "pods", "-o", "name", "-l", "app in (batch,keep)")
    assert out.splitlines() == ["pod/keep"]
    server.kubectl("delete", "pod", "keep")


def test_delete_missing_is_not_found(server):
    rc, out, err = server.kubectl("delete", "pod", "nope", check=False)
    assert rc == 1 and out == ""
    assert err.strip() == 'Error from server (NotFound): pods "nope" not found'


def test_delete_ignore_not_found(server):
    rc, out, err = server.kubectl("delete", "pod", "nope", "--ignore-not-found")
    assert rc == 0 and out == "" and err == ""


def test_wait_for_delete_of_absent_pod(server):
    t0 = time.monotonic()
    rc, out, err = server.kubectl("wait", "--for=delete", "pod/x", "--timeout=10s")
    assert rc == 0
    assert time.monotonic() - t0 < 5
    assert err == ""


def test_wait_for_delete_of_present_pod(server, manifests):
    """wait lists and watches with fieldSelector=metadata.name=... until the DELETED event."""
    server.kubectl("create", "-f", manifests("w.yaml", pod_manifest("waited")))
    w = server.kubectl_bg("wait", "--for=delete", "pod/waited", "--timeout=30s")
    # Once its list is answered, wait watches from the list's resourceVersion: the delete
    # below cannot be missed.
    server.wait_for_log(r'URI="/api/v1/namespaces/default/pods\?fieldSelector=metadata\.name%3Dwaited[^"]*" .*resp=200',
                        what="wait's list request")
    server.kubectl("delete", "pod", "waited")
    assert w.wait_exit(timeout=20) == 0, w.describe()
    assert w.stdout.strip() == "pod/waited condition met", w.describe()


def test_wait_for_delete_times_out(server, manifests):
    server.kubectl("create", "-f", manifests("stays.yaml", pod_manifest("stays")))
    # With --timeout=1s client-go may also warn "very short watch ... lasted less than a second"
    # (its own timeout closed the watch): a client-side race, hence 2s and the last line only.
    rc, out, err = server.kubectl("wait", "--for=delete", "pod/stays", "--timeout=2s", check=False)
    assert rc == 1 and out == ""
    assert err.splitlines()[-1] == "error: timed out waiting for the condition on pods/stays"
    server.kubectl("delete", "pod", "stays")


def test_delete_namespace(server, manifests):
    server.kubectl("create", "namespace", "doomed")
    server.kubectl("create", "-f", manifests("p.yaml", pod_manifest("inside", namespace="doomed")))
    rc, out, err = server.kubectl("delete", "namespace", "doomed", "--timeout=30s")
    assert out.strip() == 'namespace "doomed" deleted'
    # kubectl returned: GET answered 404 (kube: once the namespace controller has emptied it).
    _, out, _ = server.kubectl("get", "namespaces", "-o", "name")
    assert "namespace/doomed" not in out.split()
    _, out, _ = server.kubectl("get", "pods", "-A", "-o", "name", "--field-selector", "metadata.namespace=doomed")
    assert out == ""
