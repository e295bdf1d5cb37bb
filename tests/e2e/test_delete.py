"""kubectl delete and kubectl wait --for=delete."""

import json
import time

import pytest

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


# ---- selectors, dry run, cascading --------------------------------------------------------


def configmap_names(server, namespace):
    _, out, _ = server.kubectl("get", "cm", "-n", namespace, "-o", "name")
    return [n.removeprefix("configmap/") for n in out.splitlines()]


def test_delete_by_set_based_selector(server):
    server.kubectl("create", "namespace", "del-sel")
    for name, labels in [("a", "tier=web"), ("b", "tier=db"), ("c", "tier=web,keep=1"), ("d", "tier=cache")]:
        server.kubectl("create", "configmap", name, "-n", "del-sel")
        server.kubectl("label", "configmap", name, *labels.split(","), "-n", "del-sel")
    _, out, _ = server.kubectl("delete", "cm", "-n", "del-sel", "-l", "tier in (web,db),!keep")
    assert sorted(out.splitlines()) == ['configmap "a" deleted', 'configmap "b" deleted']
    assert configmap_names(server, "del-sel") == ["c", "d"]


def test_dry_run_server_create_and_delete(server, manifests):
    path = manifests("dry.yaml", CONFIGMAP.replace("name: settings", "name: dry"))
    _, out, _ = server.kubectl("create", "-f", path, "--dry-run=server")
    assert out.strip() == "configmap/dry created (server dry run)"
    assert_gone(server, "configmap", "dry")
    _, out, _ = server.kubectl("create", "-f", path, "--dry-run=server", "-o", "json")
    assert json.loads(out)["data"] == {"mode": "fast"}  # the object as it would have been stored
    assert_gone(server, "configmap", "dry")

    server.kubectl("create", "-f", path)
    rv = server.kubectl_json("get", "cm", "dry")["metadata"]["resourceVersion"]
    _, out, _ = server.kubectl("delete", "cm", "dry", "--dry-run=server")
    assert out.strip() == 'configmap "dry" deleted (server dry run)'
    assert server.kubectl_json("get", "cm", "dry")["metadata"]["resourceVersion"] == rv
    _, out, _ = server.kubectl("delete", "cm", "--all", "--dry-run=server")
    assert 'configmap "dry" deleted (server dry run)' in out.splitlines()
    assert server.kubectl_json("get", "cm", "dry")["metadata"]["resourceVersion"] == rv
    server.kubectl("delete", "cm", "dry")


GC_WAIT = 3.0  # seconds the garbage collector gets (it reacts to watch events; kube's takes well under 1 s)


@pytest.fixture(scope="module")
def cascades(server):
    """For each --cascade mode, a namespace with configmap `owner`, its dependents k1 and k2
    (ownerReferences -> owner) and `unrelated`; then `kubectl delete cm owner --cascade=<mode>
    --wait=false`. All set up at once, so the tests wait for the garbage collector concurrently.
    Returns ({mode: (namespace, kubectl's stdout, owner right after the delete or None)}, deadline)."""
    out = {}
    for mode in ("background", "orphan", "foreground"):
        ns = f"cascade-{mode}"
        server.kubectl("create", "namespace", ns)
        server.kubectl("create", "configmap", "owner", "-n", ns)
        uid = server.kubectl_json("get", "cm", "owner", "-n", ns)["metadata"]["uid"]
        for kid in ("k1", "k2"):
            server.kubectl("create", "-f", "-", input=f"""\
apiVersion: v1
kind: ConfigMap
metadata:
  name: {kid}
  namespace: {ns}
  ownerReferences:
  - apiVersion: v1
    kind: ConfigMap
    name: owner
    uid: {uid}
""")
        server.kubectl("create", "configmap", "unrelated", "-n", ns)
        _, stdout, _ = server.kubectl("delete", "cm", "owner", "-n", ns, f"--cascade={mode}", "--wait=false")
        rc, owner, _ = server.kubectl("get", "cm", "owner", "-n", ns, "-o", "json", check=False)
        out[mode] = (ns, stdout, json.loads(owner) if rc == 0 else None)
    return out, time.monotonic() + GC_WAIT


def wait_for_names(server, ns, expected, deadline, what):
    while True:
        got = configmap_names(server, ns)
        if got == expected:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: configmaps in {ns} are {got}, expected {expected}")
        time.sleep(0.1)


def test_delete_cascade_marks_owner(cascades):
    """The policy reaches the server: orphan and foreground keep the owner, with deletionTimestamp
    and the garbage collector's finalizer, until the collector has done its part."""
    by_mode, _ = cascades
    for mode, finalizer in [("orphan", "orphan"), ("foreground", "foregroundDeletion")]:
        _, stdout, owner = by_mode[mode]
        assert stdout.strip() == 'configmap "owner" deleted'
        if owner is not None:  # else the collector was already done
            assert owner["metadata"]["deletionTimestamp"]
            assert owner["metadata"]["finalizers"] == [finalizer]
    _, stdout, owner = by_mode["background"]
    assert stdout.strip() == 'configmap "owner" deleted' and owner is None


def test_delete_cascade_background_deletes_dependents(server, cascades):
    by_mode, deadline = cascades
    wait_for_names(server, by_mode["background"][0], ["unrelated"], deadline, "dependents not deleted")


def test_delete_cascade_orphan_keeps_dependents(server, cascades):
    by_mode, deadline = cascades
    ns = by_mode["orphan"][0]
    wait_for_names(server, ns, ["k1", "k2", "unrelated"], deadline, "owner not deleted")
    for kid in ("k1", "k2"):
        assert "ownerReferences" not in server.kubectl_json("get", "cm", kid, "-n", ns)["metadata"]


def test_delete_cascade_foreground_deletes_dependents_then_owner(server, cascades):
    by_mode, deadline = cascades
    wait_for_names(server, by_mode["foreground"][0], ["unrelated"], deadline, "dependents and owner not deleted")
