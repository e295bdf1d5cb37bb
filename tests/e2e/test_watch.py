"""kubectl get -w: the chunked watch stream, as a table and as JSON events.

Each test uses its own namespace on the module's server, so the watches do not see each other.
Updates are done with `kubectl replace -f` (PUT), and once with `kubectl label` (PATCH).
"""

import json
import re

from e2e_helpers import json_stream, parse_table, pod_manifest


def create_ns(server, name):
    server.kubectl("create", "namespace", name)


def lifecycle(server, manifests, ns, name):
    """Create, replace (new image and label), delete pod `name` in `ns`."""
    first = manifests(f"{name}.yaml", pod_manifest(name, {"app": name}, namespace=ns))
    second = manifests(f"{name}-v2.yaml", pod_manifest(name, {"app": name, "rev": "2"}, image="nginx:1.28",
                                                       namespace=ns))
    assert server.kubectl("create", "-f", first)[1].strip() == f"pod/{name} created"
    assert server.kubectl("replace", "-f", second)[1].strip() == f"pod/{name} replaced"
    assert server.kubectl("delete", "pod", name, "-n", ns)[1].strip() == f'pod "{name}" deleted'


def event_rows(text, name):
    """(EVENT, STATUS) of the rows of pod `name` in `get -w --output-watch-events` output."""
    rows = []
    for line in text.splitlines():
        cells = line.split()
        if len(cells) >= 3 and cells[1] == name:
            rows.append((cells[0], cells[3]))
    return rows


def test_watch_table_with_events(server, manifests):
    ns = "watch-table"
    create_ns(server, ns)
    server.kubectl("create", "-f", manifests("pre.yaml", pod_manifest("pre", namespace=ns)))
    w = server.kubectl_bg("get", "pods", "-w", "--output-watch-events", "-n", ns)
    # The list part comes first: once `pre` is printed, the watch starts at the list's
    # resourceVersion, so nothing done from now on can be missed.
    w.wait_for(lambda out: event_rows(out, "pre"), what="the existing pod")

    lifecycle(server, manifests, ns, "wp")
    rows = w.wait_for(lambda out: (r := event_rows(out, "wp")) and r[-1][0] == "DELETED" and r,
                      what="ADDED/MODIFIED/DELETED rows for wp")
    w.stop()
    header, _ = parse_table(w.stdout.splitlines()[0] + "\n")
    assert header == ["EVENT", "NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert event_rows(w.stdout, "pre") == [("ADDED", "Pending")]
    assert [e for e, _ in rows] == ["ADDED", "MODIFIED", "DELETED"], w.stdout
    assert all(status == "Pending" for _, status in rows)


def test_watch_json_events(server, manifests):
    ns = "watch-json"
    create_ns(server, ns)
    server.kubectl("create", "-f", manifests("pre.yaml", pod_manifest("pre", namespace=ns)))
    w = server.kubectl_bg("get", "pods", "-w", "-o", "json", "--output-watch-events", "-n", ns)
    w.wait_for(lambda out: any(e["object"]["metadata"]["name"] == "pre" for e in json_stream(out)),
               what="the existing pod")

    lifecycle(server, manifests, ns, "wj")

    def wj_events(out):
        evs = [e for e in json_stream(out) if e["object"]["metadata"]["name"] == "wj"]
        return evs if evs and evs[-1]["type"] == "DELETED" else None

    evs = w.wait_for(wj_events, what="ADDED/MODIFIED/DELETED events for wj")
    w.stop()
    assert [e["type"] for e in evs] == ["ADDED", "MODIFIED", "DELETED"]
    for e in evs:
        assert e["object"]["kind"] == "Pod" and e["object"]["apiVersion"] == "v1"
        assert e["object"]["metadata"]["namespace"] == ns
    added, modified, deleted = (e["object"] for e in evs)
    assert added["spec"]["containers"][0]["image"] == "nginx:1.27"
    assert modified["spec"]["containers"][0]["image"] == "nginx:1.28"
    assert modified["metadata"]["labels"] == {"app": "wj", "rev": "2"}
    assert deleted["metadata"]["uid"] == added["metadata"]["uid"] == modified["metadata"]["uid"]
    rvs = [int(o["metadata"]["resourceVersion"]) for o in (added, modified, deleted)]
    assert rvs == sorted(rvs) and len(set(rvs)) == 3, rvs


def test_watch_plain_table(server, manifests):
    """`get pods -w` without events: a header, then one row per change."""
    ns = "watch-plain"
    create_ns(server, ns)
    server.kubectl("create", "-f", manifests("pre.yaml", pod_manifest("pre", namespace=ns)))
    w = server.kubectl_bg("get", "pods", "-w", "-n", ns)
    w.wait_for(lambda out: re.search(r"^pre\s+0/1\s+Pending", out, re.M), what="the existing pod")
    lifecycle(server, manifests, ns, "wt")
    w.wait_for(lambda out: len(re.findall(r"^wt\s+0/1\s+Pending\s+0\s+\S+$", out, re.M)) >= 3,
               what="three rows for wt")
    w.stop()
    lines = w.stdout.splitlines()
    assert lines[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert sum(1 for ln in lines if ln.startswith("NAME")) == 1  # one header only


def test_watch_single_pod_shows_existing_first(server, manifests):
    ns = "watch-one"
    create_ns(server, ns)
    path = manifests("one.yaml", pod_manifest("one", namespace=ns))
    server.kubectl("create", "-f", path)
    server.kubectl("create", "-f", manifests("two.yaml", pod_manifest("two", namespace=ns)))
    w = server.kubectl_bg("get", "pod", "one", "-w", "-n", ns)
    w.wait_for(lambda out: re.search(r"^one\s+0/1\s+Pending\s+0\s+\S+$", out, re.M), what="the pod's row")
    lines = w.stdout.splitlines()
    assert lines[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert lines[1].split()[0] == "one"

    # Changes to the watched pod show up; changes to others do not.
    server.kubectl("replace", "-f", manifests("one-v2.yaml", pod_manifest("one", {"app": "one", "rev": "2"},
                                                                           namespace=ns)))
    server.kubectl("delete", "pod", "two", "-n", ns)
    w.wait_for(lambda out: len(re.findall(r"^one\s", out, re.M)) >= 2, what="a second row after replace")
    w.stop()
    assert not re.search(r"^two\s", w.stdout, re.M), w.stdout


def test_watch_sees_label_patch(server, manifests):
    ns = "watch-label"
    create_ns(server, ns)
    server.kubectl("create", "-f", manifests("lp.yaml", pod_manifest("lp", namespace=ns)))
    w = server.kubectl_bg("get", "pods", "-w", "-o", "json", "--output-watch-events", "-n", ns)
    w.wait_for(lambda out: json_stream(out), what="the existing pod")
    assert server.kubectl("label", "pod", "lp", "env=prod", "-n", ns)[1].strip() == "pod/lp labeled"
    evs = w.wait_for(lambda out: (e := json_stream(out)) and e[-1]["type"] == "MODIFIED" and e,
                     what="a MODIFIED event")
    w.stop()
    assert [e["type"] for e in evs] == ["ADDED", "MODIFIED"]
    assert evs[1]["object"]["metadata"]["labels"] == {"app": "lp", "env": "prod"}


def test_watch_ends_when_server_stops(start_server):
    """On SIGTERM the server closes open watches; kubectl -w then exits 0 and the server exits 0."""
    srv = start_server(name="srv-watch-stop")
    w = srv.kubectl_bg("get", "namespaces", "-w")
    w.wait_for(lambda out: re.search(r"^default\s+Active", out, re.M), what="the namespaces")
    assert srv.stop() == 0
    assert w.wait_exit(timeout=10) == 0, w.describe()


def test_watch_label_selector_object_stops_and_starts_matching(server):
    """get -w -l: relabelling an object out of the selector arrives as DELETED, back in as ADDED."""
    ns = "watch-relabel"
    create_ns(server, ns)
    for name in ("in1", "in2"):
        server.kubectl("create", "configmap", name, "-n", ns)
        server.kubectl("label", "configmap", name, "sel=yes", "-n", ns)
    w = server.kubectl_bg("get", "configmaps", "-w", "-o", "json", "--output-watch-events", "-l", "sel=yes", "-n", ns)
    w.wait_for(lambda out: len(json_stream(out)) >= 2, what="the two matching configmaps")
    server.kubectl("label", "configmap", "in1", "sel=no", "--overwrite", "-n", ns)
    relabelled_rv = server.kubectl_json("get", "configmap", "in1", "-n", ns)["metadata"]["resourceVersion"]
    server.kubectl("label", "configmap", "in1", "sel=yes", "--overwrite", "-n", ns)
    server.kubectl("create", "configmap", "never", "-n", ns)
    server.kubectl("label", "configmap", "in2", "other=1", "-n", ns)
    evs = w.wait_for(lambda out: (e := json_stream(out)) and len(e) >= 5 and e, what="five events")
    w.stop()
    got = [(e["type"], e["object"]["metadata"]["name"]) for e in json_stream(w.stdout)]
    assert got[:2] == [("ADDED", "in1"), ("ADDED", "in2")]
    assert got[2:] == [("DELETED", "in1"), ("ADDED", "in1"), ("MODIFIED", "in2")], got
    deleted = evs[2]["object"]
    # As kube's cacher does: the DELETED event carries the previous (still matching) content, with
    # the resourceVersion of the change that made it stop matching.
    assert deleted["metadata"]["labels"] == {"sel": "yes"}
    assert deleted["metadata"]["resourceVersion"] == relabelled_rv
    assert evs[3]["object"]["metadata"]["labels"] == {"sel": "yes"}


def test_watch_send_initial_events(server):
    """The streaming-list form: sendInitialEvents=true with resourceVersionMatch=NotOlderThan sends
    ADDED for every existing object, then a BOOKMARK annotated k8s.io/initial-events-end, then changes."""
    ns = "watch-initial"
    create_ns(server, ns)
    for name in ("i1", "i2", "i3"):
        server.kubectl("create", "configmap", name, "-n", ns)
    events = server.watch_events(f"/api/v1/namespaces/{ns}/configmaps?watch=1&sendInitialEvents=true"
                                 "&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=10")
    got = [next(events) for _ in range(4)]
    assert [(e["type"], e["object"]["metadata"].get("name")) for e in got[:3]] == \
        [("ADDED", "i1"), ("ADDED", "i2"), ("ADDED", "i3")]
    bookmark = got[3]
    assert bookmark["type"] == "BOOKMARK", got
    assert bookmark["object"]["kind"] == "ConfigMap" and bookmark["object"]["apiVersion"] == "v1"
    assert bookmark["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}
    assert int(bookmark["object"]["metadata"]["resourceVersion"]) >= \
        max(int(e["object"]["metadata"]["resourceVersion"]) for e in got[:3])
    server.kubectl("delete", "configmap", "i2", "-n", ns)
    ev = next(e for e in events if e["type"] != "BOOKMARK")
    assert (ev["type"], ev["object"]["metadata"]["name"]) == ("DELETED", "i2")
    events.close()


def test_watch_send_initial_events_requires_not_older_than(server):
    status, _, body = server.http("GET", "/api/v1/namespaces/default/configmaps?watch=1&sendInitialEvents=true")
    assert status == 422
    st = json.loads(body)
    assert st["reason"] == "Invalid"
    assert st["message"] == ('ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: '
                             "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan")
    assert st["details"]["causes"] == [{"reason": "FieldValueForbidden", "field": "resourceVersionMatch",
                                        "message": "Forbidden: sendInitialEvents requires setting "
                                                   "resourceVersionMatch to NotOlderThan"}]
