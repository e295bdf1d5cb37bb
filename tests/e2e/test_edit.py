"""kubectl replace (PUT) and kubectl edit (GET, an editor, PATCH) with KUBE_EDITOR set to a script."""

import json
import stat

from e2e_helpers import pod_manifest


def configmap_yaml(name, data: dict, labels: dict | None = None, rv: str | None = None) -> str:
    lines = ["apiVersion: v1", "kind: ConfigMap", "metadata:", f"  name: {name}"]
    if rv:
        lines.append(f'  resourceVersion: "{rv}"')
    if labels:
        lines.append("  labels:")
        lines += [f"    {k}: {json.dumps(v)}" for k, v in labels.items()]
    lines.append("data:")
    lines += [f"  {k}: {json.dumps(v)}" for k, v in data.items()]
    return "\n".join(lines) + "\n"


# ---- replace -------------------------------------------------------------------------------


def test_replace_is_a_full_update(server, manifests):
    """PUT semantics: what the file does not have is gone afterwards (here a label set by hand)."""
    path = manifests("rp.yaml", configmap_yaml("rp", {"a": "1", "b": "2"}))
    server.kubectl("create", "-f", path)
    server.kubectl("label", "cm", "rp", "by-hand=yes")
    before = server.kubectl_json("get", "cm", "rp")
    path.write_text(configmap_yaml("rp", {"a": "10"}, {"app": "rp"}))
    _, out, err = server.kubectl("replace", "-f", path)
    assert out.strip() == "configmap/rp replaced" and err == ""
    after = server.kubectl_json("get", "cm", "rp")
    assert after["data"] == {"a": "10"}
    assert after["metadata"]["labels"] == {"app": "rp"}
    assert after["metadata"]["uid"] == before["metadata"]["uid"]
    assert after["metadata"]["creationTimestamp"] == before["metadata"]["creationTimestamp"]
    assert int(after["metadata"]["resourceVersion"]) > int(before["metadata"]["resourceVersion"])


def test_replace_missing_object(server, manifests):
    path = manifests("nope.yaml", configmap_yaml("rp-nope", {"a": "1"}))
    rc, out, err = server.kubectl("replace", "-f", path, check=False)
    assert rc == 1 and out == ""
    assert err.strip() == f'Error from server (NotFound): error when replacing "{path}": configmaps "rp-nope" not found'
    assert server.kubectl("get", "cm", "rp-nope", check=False)[0] == 1


def test_replace_with_stale_resource_version(server, manifests):
    path = manifests("stale.yaml", configmap_yaml("rp-stale", {"a": "1"}))
    server.kubectl("create", "-f", path)
    rv = server.kubectl_json("get", "cm", "rp-stale")["metadata"]["resourceVersion"]
    server.kubectl("patch", "cm", "rp-stale", "--type=merge", "-p", '{"data":{"a":"2"}}')
    path.write_text(configmap_yaml("rp-stale", {"a": "3"}, rv=rv))
    rc, out, err = server.kubectl("replace", "-f", path, check=False)
    assert rc == 1 and out == ""
    assert err.strip() == (f'Error from server (Conflict): error when replacing "{path}": Operation cannot be '
                           'fulfilled on configmaps "rp-stale": the object has been modified; please apply your '
                           "changes to the latest version and try again")
    assert server.kubectl_json("get", "cm", "rp-stale")["data"] == {"a": "2"}


def test_replace_force_recreates(server, manifests):
    path = manifests("force.yaml", configmap_yaml("rp-force", {"a": "1"}))
    server.kubectl("create", "-f", path)
    uid = server.kubectl_json("get", "cm", "rp-force")["metadata"]["uid"]
    path.write_text(configmap_yaml("rp-force", {"a": "2"}))
    _, out, _ = server.kubectl("replace", "--force", "-f", path)
    assert out.splitlines() == ['configmap "rp-force" deleted', "configmap/rp-force replaced"]
    obj = server.kubectl_json("get", "cm", "rp-force")
    assert obj["data"] == {"a": "2"} and obj["metadata"]["uid"] != uid


def test_replace_pod_immutable_field(server, manifests):
    """A pod's spec is mostly immutable: replace with a changed restartPolicy is 422, unchanged."""
    server.kubectl("create", "-f", manifests("ip.yaml", pod_manifest("immut")))
    changed = pod_manifest("immut").replace("spec:\n", "spec:\n  restartPolicy: Never\n")
    rc, out, err = server.kubectl("replace", "-f", manifests("ip2.yaml", changed), check=False)
    assert rc == 1 and out == ""
    assert 'The Pod "immut" is invalid: spec: Forbidden: pod updates may not change fields other than ' in err, err
    assert server.kubectl_json("get", "pod", "immut")["spec"]["restartPolicy"] == "Always"


# ---- edit ----------------------------------------------------------------------------------


def editor(tmp_path, name, python_body: str) -> dict:
    """An executable editor script: Debian's python3 runs `python_body` with `path` (the file kubectl
    wants edited) and `text` (its content); whatever `text` is at the end is written back. Each file
    it is given is appended to <tmp_path>/<name>.seen, separated by lines "=====".
    Returns the env for kubectl (TMPDIR too: kubectl keeps copies of failed edits there)."""
    script = tmp_path / name
    seen = tmp_path / f"{name}.seen"
    script.write_text("#!/usr/bin/python3\nimport sys\npath = sys.argv[-1]\ntext = open(path).read()\n"
                      f"open({str(seen)!r}, 'a').write(text + '=====\\n')\n"
                      + python_body + "\nopen(path, 'w').write(text)\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return {"KUBE_EDITOR": str(script), "EDITOR": str(script), "TMPDIR": str(tmp_path)}


def edited_files(tmp_path, name) -> list[str]:
    """The files the editor script `name` was given, in order."""
    return (tmp_path / f"{name}.seen").read_text().split("=====\n")[:-1]


def test_edit_configmap(server, tmp_path):
    server.kubectl("create", "-f", "-", input=configmap_yaml("ed", {"mode": "fast", "keep": "1"}, {"app": "ed"}))
    before = server.kubectl_json("get", "cm", "ed")
    env = editor(tmp_path, "ed.py", "assert 'mode: fast' in text, text\n"
                                    "text = text.replace('mode: fast', 'mode: slow')\n"
                                    "text = text.replace('    app: ed', '    app: ed\\n    edited: \"yes\"')")
    _, out, err = server.kubectl("edit", "configmap", "ed", env=env)
    assert out.strip() == "configmap/ed edited", err
    after = server.kubectl_json("get", "cm", "ed")
    assert after["data"] == {"mode": "slow", "keep": "1"}
    assert after["metadata"]["labels"] == {"app": "ed", "edited": "yes"}
    assert after["metadata"]["uid"] == before["metadata"]["uid"]
    # kubectl edit sends a PATCH (a strategic merge patch for built-in kinds).
    assert 'verb="PATCH" URI="/api/v1/namespaces/default/configmaps/ed?' in server.log_text()


def test_edit_without_changes(server, tmp_path):
    server.kubectl("create", "-f", "-", input=configmap_yaml("ed-same", {"a": "1"}))
    rv = server.kubectl_json("get", "cm", "ed-same")["metadata"]["resourceVersion"]
    rc, out, err = server.kubectl("edit", "configmap", "ed-same", env=editor(tmp_path, "noop.py", "pass"))
    assert rc == 0 and out == ""
    assert err.strip() == "Edit cancelled, no changes made."
    assert server.kubectl_json("get", "cm", "ed-same")["metadata"]["resourceVersion"] == rv


def test_edit_rejected_by_the_server(server, tmp_path):
    """The server refuses the edited pod (invalid): kubectl reopens the file with the error, the
    script changes nothing more, kubectl gives up; the pod is unchanged."""
    server.kubectl("create", "-f", "-", input=pod_manifest("ed-pod"))
    env = editor(tmp_path, "bad.py", "text = text.replace('image: nginx:1.27', 'image: \"\"')")
    rc, out, err = server.kubectl("edit", "pod", "ed-pod", env=env, check=False)
    assert rc == 1 and out == ""
    lines = err.splitlines()
    assert lines[0] == 'error: pods "ed-pod" is invalid'
    assert lines[-1] == "error: Edit cancelled, no valid changes were saved."
    first, second = edited_files(tmp_path, "bad.py")
    assert "image: nginx:1.27" in first
    # The reopened file starts with the server's causes as comments.
    assert '# pods "ed-pod" was not valid:' in second, second
    assert '# * spec.containers[0].image: Required value' in second, second
    assert server.kubectl_json("get", "pod", "ed-pod")["spec"]["containers"][0]["image"] == "nginx:1.27"
