"""PATCH through kubectl: label, annotate, patch (merge/json/strategic), apply (client- and server-side)."""

import json

import pytest

from e2e_helpers import parse_table, pod_manifest


def make_pod(server, name, labels=None):
    server.kubectl("create", "-f", "-", input=pod_manifest(name, labels or {"app": name}))
    return server.kubectl_json("get", "pod", name)


def test_apply_creates(server, manifests):
    path = manifests("app0.yaml", pod_manifest("app0"))
    _, out, err = server.kubectl("apply", "-f", path)
    assert out.strip() == "pod/app0 created"
    assert err == ""
    pod = server.kubectl_json("get", "pod", "app0")
    last = pod["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
    assert last.endswith("\n")
    assert json.loads(last)["spec"]["containers"][0]["image"] == "nginx:1.27"


def test_api_resources_list_patch_verb(server):
    _, out, _ = server.kubectl("api-resources", "-o", "wide")
    _, rows = parse_table(out)
    for r in rows:
        if r["KIND"].endswith("Review"):  # access reviews are create-only, as in kube
            assert r["VERBS"] == "create", r
            continue
        assert r["VERBS"] == "create,delete,deletecollection,get,list,patch,update,watch", r


def test_label_and_unlabel(server):
    make_pod(server, "lbl")
    _, out, _ = server.kubectl("label", "pod", "lbl", "env=prod")
    assert out.strip() == "pod/lbl labeled"
    assert server.kubectl_json("get", "pod", "lbl")["metadata"]["labels"] == {"app": "lbl", "env": "prod"}
    _, out, _ = server.kubectl("label", "pod", "lbl", "env-")
    assert out.strip() == "pod/lbl unlabeled"
    assert server.kubectl_json("get", "pod", "lbl")["metadata"]["labels"] == {"app": "lbl"}


def test_annotate(server):
    make_pod(server, "ann")
    _, out, _ = server.kubectl("annotate", "pod", "ann", "note=hello")
    assert out.strip() == "pod/ann annotated"
    assert server.kubectl_json("get", "pod", "ann")["metadata"]["annotations"] == {"note": "hello"}


def test_patch_merge(server):
    before = make_pod(server, "pm")
    _, out, _ = server.kubectl("patch", "pod", "pm", "--type=merge", "-p", '{"metadata":{"labels":{"m":"1"}}}')
    assert out.strip() == "pod/pm patched"
    after = server.kubectl_json("get", "pod", "pm")
    assert after["metadata"]["labels"] == {"app": "pm", "m": "1"}
    assert int(after["metadata"]["resourceVersion"]) > int(before["metadata"]["resourceVersion"])


def test_patch_json(server):
    make_pod(server, "pj")
    _, out, _ = server.kubectl("patch", "pod", "pj", "--type=json",
                               "-p", '[{"op":"add","path":"/metadata/labels/j","value":"2"}]')
    assert out.strip() == "pod/pj patched"
    assert server.kubectl_json("get", "pod", "pj")["metadata"]["labels"] == {"app": "pj", "j": "2"}


def test_patch_strategic_merges_containers_by_name(server):
    make_pod(server, "ps")
    _, out, _ = server.kubectl("patch", "pod", "ps", "-p",
                               '{"spec":{"containers":[{"name":"main","image":"nginx:1.28"}]}}')
    assert out.strip() == "pod/ps patched"
    [c] = server.kubectl_json("get", "pod", "ps")["spec"]["containers"]
    assert c["name"] == "main" and c["image"] == "nginx:1.28"
    assert c["imagePullPolicy"] == "IfNotPresent"  # the rest of the container is kept


def test_patch_no_change(server):
    before = make_pod(server, "pn")
    _, out, _ = server.kubectl("patch", "pod", "pn", "--type=merge", "-p", '{"metadata":{"labels":{"app":"pn"}}}')
    assert out.strip() == "pod/pn patched (no change)"
    after = server.kubectl_json("get", "pod", "pn")
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]


def test_apply_configured_then_unchanged(server, manifests):
    path = manifests("app1.yaml", pod_manifest("app1", {"app": "app1", "tier": "web"}))
    assert server.kubectl("apply", "-f", path)[1].strip() == "pod/app1 created"
    path.write_text(pod_manifest("app1", {"app": "app1"}, image="nginx:1.28"))
    _, out, err = server.kubectl("apply", "-f", path)
    assert out.strip() == "pod/app1 configured"
    assert err == ""  # e.g. no "warning: error calculating patch from openapi v3 spec"
    pod = server.kubectl_json("get", "pod", "app1")
    assert pod["spec"]["containers"][0]["image"] == "nginx:1.28"
    assert pod["metadata"]["labels"] == {"app": "app1"}  # tier was removed
    _, out, _ = server.kubectl("apply", "-f", path)
    assert out.strip() == "pod/app1 unchanged"


def test_apply_server_side(server, manifests):
    path = manifests("ssa1.yaml", pod_manifest("ssa1"))
    _, out, _ = server.kubectl("apply", "--server-side", "-f", path)
    assert out.strip() == "pod/ssa1 serverside-applied"
    pod = server.kubectl_json("get", "pod", "ssa1", "--show-managed-fields")
    assert pod["metadata"]["uid"]
    assert any(m["manager"] == "kubectl" and m["operation"] == "Apply" for m in pod["metadata"]["managedFields"])


# ---- client-side apply, three-way -----------------------------------------------------------

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def configmap_yaml(name, data: dict, labels: dict | None = None, namespace: str | None = None) -> str:
    lines = ["apiVersion: v1", "kind: ConfigMap", "metadata:", f"  name: {name}"]
    if namespace:
        lines.append(f"  namespace: {namespace}")
    if labels:
        lines.append("  labels:")
        lines += [f"    {k}: {json.dumps(v)}" for k, v in labels.items()]
    if data:
        lines.append("data:")
        lines += [f"  {k}: {json.dumps(v)}" for k, v in data.items()]
    return "\n".join(lines) + "\n"


def last_applied(obj) -> dict:
    return json.loads(obj["metadata"]["annotations"][LAST_APPLIED])


def test_apply_twice_change_and_drop_fields(server, manifests):
    """apply; change a field; drop a field; re-apply unchanged: the object and the last-applied
    annotation follow the file each time."""
    path = manifests("cfg.yaml", configmap_yaml("cfg", {"a": "1", "b": "2"}, {"app": "cfg", "tier": "x"}))
    assert server.kubectl("apply", "-f", path)[1].strip() == "configmap/cfg created"
    obj = server.kubectl_json("get", "cm", "cfg")
    assert obj["data"] == {"a": "1", "b": "2"}
    assert obj["metadata"]["labels"] == {"app": "cfg", "tier": "x"}
    assert last_applied(obj) == {"apiVersion": "v1", "kind": "ConfigMap", "data": {"a": "1", "b": "2"},
                                 "metadata": {"name": "cfg", "namespace": "default",
                                              "labels": {"app": "cfg", "tier": "x"}, "annotations": {}}}
    rv1 = obj["metadata"]["resourceVersion"]

    # Change a field.
    path.write_text(configmap_yaml("cfg", {"a": "10", "b": "2"}, {"app": "cfg", "tier": "x"}))
    assert server.kubectl("apply", "-f", path)[1].strip() == "configmap/cfg configured"
    obj = server.kubectl_json("get", "cm", "cfg")
    assert obj["data"] == {"a": "10", "b": "2"}
    assert last_applied(obj)["data"] == {"a": "10", "b": "2"}
    assert int(obj["metadata"]["resourceVersion"]) > int(rv1)

    # Drop a field and a label: apply removes what it applied before and no longer does.
    path.write_text(configmap_yaml("cfg", {"a": "10"}, {"app": "cfg"}))
    assert server.kubectl("apply", "-f", path)[1].strip() == "configmap/cfg configured"
    obj = server.kubectl_json("get", "cm", "cfg")
    assert obj["data"] == {"a": "10"}
    assert obj["metadata"]["labels"] == {"app": "cfg"}
    assert last_applied(obj)["data"] == {"a": "10"}
    assert last_applied(obj)["metadata"]["labels"] == {"app": "cfg"}
    rv3 = obj["metadata"]["resourceVersion"]

    # Re-apply: nothing to do, nothing written.
    _, out, err = server.kubectl("apply", "-f", path)
    assert out.strip() == "configmap/cfg unchanged" and err == ""
    assert server.kubectl_json("get", "cm", "cfg")["metadata"]["resourceVersion"] == rv3


def test_apply_keeps_fields_set_by_others(server, manifests):
    """Three-way merge: a label set with `kubectl label` (not in the file, not in last-applied) stays
    when the file changes; a label the file used to set and no longer does goes."""
    path = manifests("own.yaml", configmap_yaml("own", {"k": "v"}, {"app": "own", "old": "yes"}))
    server.kubectl("apply", "-f", path)
    server.kubectl("label", "cm", "own", "added-by=hand")
    server.kubectl("patch", "cm", "own", "--type=merge", "-p", '{"data":{"manual":"1"}}')
    path.write_text(configmap_yaml("own", {"k": "v2"}, {"app": "own"}))
    assert server.kubectl("apply", "-f", path)[1].strip() == "configmap/own configured"
    obj = server.kubectl_json("get", "cm", "own")
    assert obj["metadata"]["labels"] == {"app": "own", "added-by": "hand"}
    assert obj["data"] == {"k": "v2", "manual": "1"}


def test_apply_pod_containers_merge(server, manifests):
    """apply on a pod: a strategic merge patch computed from the schema's merge keys (no warning
    about the OpenAPI spec), the container changed in place."""
    path = manifests("ap.yaml", pod_manifest("ap", {"app": "ap"}))
    server.kubectl("apply", "-f", path)
    path.write_text(pod_manifest("ap", {"app": "ap"}, image="nginx:1.28"))
    _, out, err = server.kubectl("apply", "-f", path)
    assert out.strip() == "pod/ap configured" and err == ""
    [c] = server.kubectl_json("get", "pod", "ap")["spec"]["containers"]
    assert (c["name"], c["image"], c["imagePullPolicy"]) == ("main", "nginx:1.28", "IfNotPresent")


def test_apply_dry_run_server(server, manifests):
    path = manifests("dry.yaml", configmap_yaml("dryapply", {"a": "1"}))
    _, out, _ = server.kubectl("apply", "-f", path, "--dry-run=server")
    assert out.strip() == "configmap/dryapply created (server dry run)"
    rc, _, err = server.kubectl("get", "cm", "dryapply", check=False)
    assert rc == 1 and 'configmaps "dryapply" not found' in err
    server.kubectl("apply", "-f", path)
    path.write_text(configmap_yaml("dryapply", {"a": "2"}))
    _, out, _ = server.kubectl("apply", "-f", path, "--dry-run=server")
    assert out.strip() == "configmap/dryapply configured (server dry run)"
    obj = server.kubectl_json("get", "cm", "dryapply")
    assert obj["data"] == {"a": "1"} and last_applied(obj)["data"] == {"a": "1"}


def test_apply_server_side_conflict_and_force(server, manifests):
    path = manifests("ssa.yaml", configmap_yaml("ssa-c", {"a": "1", "b": "2"}))
    _, out, _ = server.kubectl("apply", "--server-side", "--field-manager=alice", "-f", path)
    assert out.strip() == "configmap/ssa-c serverside-applied"
    other = manifests("ssa-bob.yaml", configmap_yaml("ssa-c", {"a": "9"}))
    rc, out, err = server.kubectl("apply", "--server-side", "--field-manager=bob", "-f", other, check=False)
    assert rc == 1
    assert 'conflict with "alice"' in err and ".data.a" in err, err
    assert server.kubectl_json("get", "cm", "ssa-c")["data"] == {"a": "1", "b": "2"}
    _, out, _ = server.kubectl("apply", "--server-side", "--field-manager=bob", "--force-conflicts", "-f", other)
    assert out.strip() == "configmap/ssa-c serverside-applied"
    assert server.kubectl_json("get", "cm", "ssa-c")["data"] == {"a": "9", "b": "2"}
    # alice stops applying b: it is removed (she is its only manager).
    path.write_text(configmap_yaml("ssa-c", {"a": "1"}))
    server.kubectl("apply", "--server-side", "--field-manager=alice", "--force-conflicts", "-f", path)
    obj = server.kubectl_json("get", "cm", "ssa-c", "--show-managed-fields")
    assert obj["data"] == {"a": "1"}
    assert {m["manager"] for m in obj["metadata"]["managedFields"]} == {"alice"}


# ---- patch ---------------------------------------------------------------------------------


def make_cm(server, name, data, labels=None):
    server.kubectl("create", "-f", "-", input=configmap_yaml(name, data, labels))
    return server.kubectl_json("get", "cm", name)


def test_patch_json_every_op(server):
    make_cm(server, "jops", {"a": "1", "b": "2"})
    _, out, _ = server.kubectl("patch", "cm", "jops", "--type=json", "-p", json.dumps([
        {"op": "test", "path": "/data/a", "value": "1"},
        {"op": "replace", "path": "/data/a", "value": "one"},
        {"op": "remove", "path": "/data/b"},
        {"op": "copy", "from": "/data/a", "path": "/data/c"},
        {"op": "move", "from": "/data/c", "path": "/data/d"},
        {"op": "add", "path": "/metadata/labels", "value": {"x": "y"}},
    ]))
    assert out.strip() == "configmap/jops patched"
    obj = server.kubectl_json("get", "cm", "jops")
    assert obj["data"] == {"a": "one", "d": "one"}
    assert obj["metadata"]["labels"] == {"x": "y"}


def test_patch_json_failed_test_op(server):
    before = make_cm(server, "jtest", {"a": "1"})
    rc, out, err = server.kubectl("patch", "cm", "jtest", "--type=json", "-p",
                                  '[{"op":"test","path":"/data/a","value":"2"},{"op":"remove","path":"/data/a"}]',
                                  check=False)
    assert rc == 1 and out == ""
    assert err.strip() == "The request is invalid: the server rejected our request due to an error in our request"
    after = server.kubectl_json("get", "cm", "jtest")
    assert after["data"] == {"a": "1"}
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]


def test_patch_json_path_missing(server):
    make_cm(server, "jmiss", {"a": "1"})
    rc, out, err = server.kubectl("patch", "cm", "jmiss", "--type=json", "-p",
                                  '[{"op":"replace","path":"/data/nope","value":"2"}]', check=False)
    assert rc == 1
    assert err.strip() == "The request is invalid: the server rejected our request due to an error in our request"
    assert server.kubectl_json("get", "cm", "jmiss")["data"] == {"a": "1"}


def test_patch_merge_null_deletes(server):
    make_cm(server, "mnull", {"a": "1", "b": "2"}, {"keep": "1", "drop": "1"})
    _, out, _ = server.kubectl("patch", "cm", "mnull", "--type=merge", "-p",
                               '{"data":{"a":null,"c":"3"},"metadata":{"labels":{"drop":null}}}')
    assert out.strip() == "configmap/mnull patched"
    obj = server.kubectl_json("get", "cm", "mnull")
    assert obj["data"] == {"b": "2", "c": "3"}
    assert obj["metadata"]["labels"] == {"keep": "1"}


SERVICE_2_PORTS = """\
apiVersion: v1
kind: Service
metadata:
  name: twoports
spec:
  selector:
    app: twoports
  ports:
  - name: http
    port: 80
    targetPort: 8080
  - name: https
    port: 443
    targetPort: 8443
"""


def test_patch_strategic_merge_keys_and_directives(server):
    """Service ports merge on `port`: change one, delete one with $patch: delete, add one."""
    server.kubectl("create", "-f", "-", input=SERVICE_2_PORTS)
    _, out, _ = server.kubectl("patch", "service", "twoports", "--type=strategic", "-p", json.dumps(
        {"spec": {"ports": [{"port": 80, "targetPort": 9090}, {"port": 443, "$patch": "delete"},
                            {"name": "metrics", "port": 9100}]}}))
    assert out.strip() == "service/twoports patched"
    ports = server.kubectl_json("get", "svc", "twoports")["spec"]["ports"]
    assert [(p.get("name"), p["port"], p["targetPort"]) for p in ports] == [("http", 80, 9090), ("metrics", 9100, 9100)]
    # The same patch as a merge patch would replace the whole list.
    server.kubectl("patch", "service", "twoports", "--type=merge", "-p",
                   '{"spec":{"ports":[{"name":"only","port":7000}]}}')
    ports = server.kubectl_json("get", "svc", "twoports")["spec"]["ports"]
    assert [(p.get("name"), p["port"]) for p in ports] == [("only", 7000)]


def test_patch_malformed_merge_patch(server):
    """kubectl sends a merge patch as given; the server's 400 is printed, the object is unchanged."""
    before = make_cm(server, "pmal", {"a": "1"})
    rc, out, err = server.kubectl("patch", "cm", "pmal", "--type=merge", "-p", '{"data":', check=False)
    assert rc == 1 and out == ""
    assert server.kubectl_json("get", "cm", "pmal")["metadata"]["resourceVersion"] == \
        before["metadata"]["resourceVersion"]
    assert err.strip() == "Error from server (BadRequest): error decoding patch: unexpected end of JSON input"


# ---- label and annotate --------------------------------------------------------------------


def test_label_overwrite(server):
    make_cm(server, "lo", {"a": "1"}, {"env": "prod"})
    rc, out, err = server.kubectl("label", "cm", "lo", "env=dev", check=False)
    assert rc == 1 and out == ""
    assert err.strip() == "error: 'env' already has a value (prod), and --overwrite is false"
    assert server.kubectl_json("get", "cm", "lo")["metadata"]["labels"] == {"env": "prod"}
    _, out, _ = server.kubectl("label", "cm", "lo", "env=dev", "--overwrite")
    assert out.strip() == "configmap/lo labeled"
    assert server.kubectl_json("get", "cm", "lo")["metadata"]["labels"] == {"env": "dev"}
    # Several at once, by selector.
    make_cm(server, "lo2", {"a": "1"}, {"env": "dev"})
    _, out, _ = server.kubectl("label", "cm", "-l", "env=dev", "team=core")
    assert sorted(out.splitlines()) == ["configmap/lo labeled", "configmap/lo2 labeled"]
    assert server.kubectl_json("get", "cm", "lo2")["metadata"]["labels"] == {"env": "dev", "team": "core"}


def test_annotate_overwrite_and_remove(server):
    make_cm(server, "an", {"a": "1"})
    assert server.kubectl("annotate", "cm", "an", "note=one", "owner=me")[1].strip() == "configmap/an annotated"
    assert server.kubectl_json("get", "cm", "an")["metadata"]["annotations"] == {"note": "one", "owner": "me"}
    rc, _, err = server.kubectl("annotate", "cm", "an", "note=two", check=False)
    assert rc == 1
    assert err.strip() == ("error: --overwrite is false but found the following declared annotation(s): "
                           "'note' already has a value (one)")
    server.kubectl("annotate", "cm", "an", "note=two", "--overwrite")
    assert server.kubectl_json("get", "cm", "an")["metadata"]["annotations"] == {"note": "two", "owner": "me"}
    assert server.kubectl("annotate", "cm", "an", "note-")[1].strip() == "configmap/an annotated"
    assert server.kubectl_json("get", "cm", "an")["metadata"]["annotations"] == {"owner": "me"}


def test_removing_last_label_and_annotation_drops_the_map(server):
    make_cm(server, "lastone", {"a": "1"}, {"app": "x"})
    server.kubectl("annotate", "cm", "lastone", "note=1")
    server.kubectl("label", "cm", "lastone", "app-")
    server.kubectl("annotate", "cm", "lastone", "note-")
    md = server.kubectl_json("get", "cm", "lastone")["metadata"]
    assert "labels" not in md and "annotations" not in md, md


# ---- server-side apply: updates, conflicts, force, the client-side upgrade -----------------


def managers(obj) -> dict:
    """managedFields by (manager, operation)."""
    return {(m.get("manager"), m["operation"]): m for m in obj["metadata"].get("managedFields", [])}


def test_apply_server_side_update_and_removal(server, manifests):
    path = manifests("ssa2.yaml", pod_manifest("ssa2", {"app": "ssa2", "tier": "web"}))
    status, _, _ = server.http("PATCH", "/api/v1/namespaces/default/pods/ssa2?fieldManager=kubectl&force=false",
                               body=path.read_bytes(), headers={"Content-Type": "application/apply-patch+yaml"})
    assert status == 201  # created
    path.write_text(pod_manifest("ssa2", {"app": "ssa2"}, image="nginx:1.28"))
    _, out, _ = server.kubectl("apply", "--server-side", "-f", path)
    assert out.strip() == "pod/ssa2 serverside-applied"
    pod = server.kubectl_json("get", "pod", "ssa2", "--show-managed-fields")
    assert pod["spec"]["containers"][0]["image"] == "nginx:1.28"
    assert pod["metadata"]["labels"] == {"app": "ssa2"}  # the label it no longer applies is gone
    [entry] = pod["metadata"]["managedFields"]
    assert (entry["manager"], entry["operation"], entry["apiVersion"], entry["fieldsType"]) == \
        ("kubectl", "Apply", "v1", "FieldsV1")
    assert entry["fieldsV1"] == {"f:metadata": {"f:labels": {"f:app": {}}},
                                 "f:spec": {"f:containers": {'k:{"name":"main"}': {".": {}, "f:image": {}, "f:name": {}}}}}
    # kubectl hides managedFields unless asked.
    assert "managedFields" not in server.kubectl_json("get", "pod", "ssa2")["metadata"]


def test_apply_server_side_conflict_help_text_and_force(server, manifests):
    server.kubectl("create", "-f", "-", input=pod_manifest("ssa3"))
    path = manifests("ssa3.yaml", pod_manifest("ssa3", image="nginx:1.28"))
    rc, out, err = server.kubectl("apply", "--server-side", "-f", path, check=False)
    assert rc == 1 and out == ""
    assert err.startswith('error: Apply failed with 1 conflict: conflict with "kubectl-create" using v1: '
                          '.spec.containers[name="main"].image\nPlease review the fields above--they currently '
                          'have other managers.'), err
    assert "--force-conflicts" in err
    # The Status kubectl turned into that text (kubectl-protocol.md 9.2).
    status, _, body = server.http("PATCH", "/api/v1/namespaces/default/pods/ssa3?fieldManager=kubectl&force=false",
                                  body=path.read_bytes(), headers={"Content-Type": "application/apply-patch+yaml"})
    assert status == 409
    assert json.loads(body) == {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "reason": "Conflict", "code": 409,
        "message": 'Apply failed with 1 conflict: conflict with "kubectl-create" using v1: '
                   '.spec.containers[name="main"].image',
        "details": {"name": "ssa3", "kind": "pods", "causes": [{
            "reason": "FieldManagerConflict", "message": 'conflict with "kubectl-create" using v1',
            "field": '.spec.containers[name="main"].image'}]}}
    assert server.kubectl_json("get", "pod", "ssa3")["spec"]["containers"][0]["image"] == "nginx:1.27"

    _, out, _ = server.kubectl("apply", "--server-side", "--force-conflicts", "-f", path)
    assert out.strip() == "pod/ssa3 serverside-applied"
    pod = server.kubectl_json("get", "pod", "ssa3", "--show-managed-fields")
    assert pod["spec"]["containers"][0]["image"] == "nginx:1.28"
    by = managers(pod)
    container = 'k:{"name":"main"}'
    assert "f:image" in by[("kubectl", "Apply")]["fieldsV1"]["f:spec"]["f:containers"][container]
    created = by[("kubectl-create", "Update")]["fieldsV1"]["f:spec"]["f:containers"][container]
    assert "f:image" not in created and "f:imagePullPolicy" in created


def test_apply_server_side_after_client_side_apply(server, manifests):
    path = manifests("ssa4.yaml", pod_manifest("ssa4"))
    assert server.kubectl("apply", "-f", path)[1].strip() == "pod/ssa4 created"
    path.write_text(pod_manifest("ssa4", image="nginx:1.28"))
    # Another manager meets client-side apply's ownership...
    rc, _, err = server.kubectl("apply", "--server-side", "--field-manager=deployer", "-f", path, check=False)
    assert rc == 1
    assert err.startswith('error: Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using v1: '
                          '.spec.containers[name="main"].image'), err
    # ...while kubectl takes over from its own client-side apply, as kube lets it while the live
    # values still are the last-applied ones.
    _, out, _ = server.kubectl("apply", "--server-side", "-f", path)
    assert out.strip() == "pod/ssa4 serverside-applied"
    pod = server.kubectl_json("get", "pod", "ssa4", "--show-managed-fields")
    assert pod["spec"]["containers"][0]["image"] == "nginx:1.28"
    last = json.loads(pod["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"])
    assert last["spec"]["containers"][0]["image"] == "nginx:1.28"
    assert ("kubectl", "Apply") in managers(pod)


def test_apply_server_side_request_errors(server):
    def apply(path, body, content_type="application/apply-patch+yaml"):
        status, _, raw = server.http("PATCH", path, body=body.encode(), headers={"Content-Type": content_type})
        return status, json.loads(raw)

    base = "/api/v1/namespaces/default/pods/ssa5"
    pod = 'apiVersion: v1\nkind: Pod\nmetadata: {name: ssa5}\nspec: {containers: [{name: c, image: i}]}\n'
    status, st = apply(base, pod)
    assert status == 422 and st["message"] == \
        'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch'
    status, st = apply(base + "?force=true", '{"metadata":{"labels":{"a":"b"}}}', "application/merge-patch+json")
    assert status == 422 and st["message"] == \
        'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch'
    status, st = apply(base + "?fieldManager=t", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ssa5}\n")
    assert (status, st["reason"], st["message"]) == (400, "BadRequest", "invalid object type: apps/v1, Kind=Deployment")
    status, st = apply(base + "?fieldManager=t", pod.replace("{name: ssa5}", "{name: other}"))
    assert (status, st["message"]) == (400, "the name of the object (other) does not match the name on the URL (ssa5)")
    status, st = apply(base + "?fieldManager=t", pod.replace("{containers", "{nope: 1, containers"))
    assert status == 500 and st["message"] == ("failed to create typed patch object (/ssa5; /v1, Kind=Pod): "
                                               ".spec.nope: field not declared in schema")
    status, st = apply(base + "?fieldManager=t&dryRun=All", pod)
    assert status == 201 and st["metadata"]["managedFields"][0]["manager"] == "t"
    status, _ = apply(base + "?fieldManager=t", pod)
    assert status == 201
    status, _ = apply(base + "?fieldManager=t", pod)
    assert status == 200
