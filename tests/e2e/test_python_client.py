"""The Kubernetes Python client (Debian's python3-kubernetes) against the server, unchanged.

The client is configured from the server's kubeconfig, as a user would. Each test works in its
own namespace (fixture `ns`) on the module's server, so tests do not see each other's objects.

Quirks of this client version (22.6) the tests work around:
* PATCH picks its Content-Type from the body: a list goes as application/json-patch+json, anything
  else as application/strategic-merge-patch+json; there is no parameter for a merge patch. A merge
  patch goes through an ApiClient whose default Content-Type header is merge-patch (default
  headers override the per-call ones).
* There is no `field_validation` parameter: fieldValidation goes through `call_api` with explicit
  query parameters.
* `Watch.stream` passes BOOKMARK events through undecoded and does not take their resourceVersion;
  the tests resume from the last resourceVersion they saw themselves, bookmarks included.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid

import pytest
from kubernetes import client, config, watch  # Debian's python3-kubernetes (run /usr/bin/python3)
from kubernetes.client.rest import ApiException

from e2e_server import server_config

WAIT = 15.0  # seconds any condition may take to become true (controllers, garbage collector)


# ---- fixtures and helpers ------------------------------------------------------------------


def new_api_client(srv, **default_headers) -> client.ApiClient:
    api = config.new_client_from_config(config_file=str(srv.kubeconfig), persist_config=False)
    for k, v in default_headers.items():
        api.set_default_header(k, v)
    return api


@pytest.fixture(scope="module")
def api_client(server):
    api = new_api_client(server)
    yield api
    api.close()


@pytest.fixture(scope="module")
def core(api_client) -> client.CoreV1Api:
    return client.CoreV1Api(api_client)


@pytest.fixture(scope="module")
def core_merge(server):
    """A CoreV1Api whose PATCH requests are JSON merge patches."""
    api = new_api_client(server, **{"Content-Type": "application/merge-patch+json"})
    yield client.CoreV1Api(api)
    api.close()


@pytest.fixture
def ns(core, request) -> str:
    """A fresh namespace for the test, named after it."""
    name = re.sub(r"[^a-z0-9-]+", "-", request.node.name.lower()).strip("-")[:50] + "-" + uuid.uuid4().hex[:5]
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    return name


def cm(name, data=None, labels=None, **meta) -> client.V1ConfigMap:
    return client.V1ConfigMap(metadata=client.V1ObjectMeta(name=name, labels=labels, **meta), data=data)


def pod(name, labels=None, image="nginx:1.27", **spec) -> client.V1Pod:
    return client.V1Pod(metadata=client.V1ObjectMeta(name=name, labels=labels),
                        spec=client.V1PodSpec(containers=[client.V1Container(name="main", image=image)], **spec))


def status_of(e: ApiException) -> dict:
    """The Status body of an ApiException."""
    return json.loads(e.body)


def expect_api_error(code: int, fn, *args, **kwargs) -> dict:
    """Call fn, expect an ApiException with HTTP status `code`, return the Status body."""
    with pytest.raises(ApiException) as ei:
        fn(*args, **kwargs)
    assert ei.value.status == code, ei.value
    st = status_of(ei.value)
    assert st["kind"] == "Status" and st["code"] == code and st["status"] == "Failure", st
    return st


def names(items) -> list[str]:
    return [i.metadata.name for i in items]


def wait_until(predicate, timeout: float = WAIT, what: str = "the condition"):
    """Poll predicate() until truthy; return its value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout}s (last: {value!r})")
        time.sleep(0.05)


def gone(fn, *args) -> bool:
    try:
        fn(*args)
    except ApiException as e:
        if e.status == 404:
            return True
        raise
    return False


def call_raw(api_client, method, path, query=None, body=None, content_type="application/json"):
    """A request through the client's own machinery, with query parameters the generated methods
    lack. Returns (status, headers, parsed body); errors come back the same way."""
    try:
        resp = api_client.call_api(path, method, query_params=list((query or {}).items()),
                                   header_params={"Content-Type": content_type, "Accept": "application/json"},
                                   body=body, auth_settings=["BearerToken"], _preload_content=False,
                                   _return_http_data_only=False)
        r = resp[0]
        return r.status, dict(r.getheaders()), json.loads(r.data or b"{}")
    except ApiException as e:
        return e.status, dict(e.headers or {}), json.loads(e.body or b"{}")


# ---- CRUD ----------------------------------------------------------------------------------


def test_configmap_crud(core, ns):
    created = core.create_namespaced_config_map(ns, cm("settings", {"mode": "fast"}, {"app": "demo"}))
    assert created.metadata.uid and created.metadata.resource_version
    assert created.metadata.namespace == ns and created.data == {"mode": "fast"}

    got = core.read_namespaced_config_map("settings", ns)
    assert got.metadata.uid == created.metadata.uid and got.data == {"mode": "fast"}

    got.data = {"mode": "slow", "extra": "1"}
    replaced = core.replace_namespaced_config_map("settings", ns, got)
    assert replaced.data == {"mode": "slow", "extra": "1"}
    assert int(replaced.metadata.resource_version) > int(created.metadata.resource_version)
    assert replaced.metadata.uid == created.metadata.uid

    # A replace with a stale resourceVersion is a 409 Conflict, and changes nothing.
    got.data = {"mode": "stale"}
    st = expect_api_error(409, core.replace_namespaced_config_map, "settings", ns, got)
    assert st["reason"] == "Conflict"
    assert st["message"] == ('Operation cannot be fulfilled on configmaps "settings": the object has been '
                             "modified; please apply your changes to the latest version and try again")
    assert core.read_namespaced_config_map("settings", ns).data == {"mode": "slow", "extra": "1"}

    lst = core.list_namespaced_config_map(ns)
    assert names(lst.items) == ["settings"]
    assert int(lst.metadata.resource_version) >= int(replaced.metadata.resource_version)

    st = core.delete_namespaced_config_map("settings", ns)
    assert st.status == "Success" and st.details.name == "settings" and st.details.uid == created.metadata.uid
    st = expect_api_error(404, core.read_namespaced_config_map, "settings", ns)
    assert st["reason"] == "NotFound" and st["message"] == 'configmaps "settings" not found'
    assert core.list_namespaced_config_map(ns).items == []
    expect_api_error(404, core.delete_namespaced_config_map, "settings", ns)


def test_configmap_create_conflict(core, ns):
    core.create_namespaced_config_map(ns, cm("dup", {"a": "1"}))
    st = expect_api_error(409, core.create_namespaced_config_map, ns, cm("dup", {"a": "2"}))
    assert st["reason"] == "AlreadyExists" and st["message"] == 'configmaps "dup" already exists'
    assert core.read_namespaced_config_map("dup", ns).data == {"a": "1"}


def test_pod_crud(core, ns):
    created = core.create_namespaced_pod(ns, pod("web", {"app": "web"}, restart_policy="Never"))
    assert created.status.phase == "Pending"
    c = created.spec.containers[0]
    assert (c.name, c.image, c.image_pull_policy) == ("main", "nginx:1.27", "IfNotPresent")
    assert created.spec.restart_policy == "Never"

    got = core.read_namespaced_pod("web", ns)
    got.metadata.labels["tier"] = "frontend"
    got.spec.active_deadline_seconds = 600
    replaced = core.replace_namespaced_pod("web", ns, got)
    assert replaced.metadata.labels == {"app": "web", "tier": "frontend"}
    assert replaced.spec.active_deadline_seconds == 600
    assert replaced.status.phase == "Pending"  # a main-resource write leaves status alone

    assert names(core.list_namespaced_pod(ns).items) == ["web"]
    assert names(core.list_pod_for_all_namespaces(field_selector=f"metadata.namespace={ns}").items) == ["web"]

    core.delete_namespaced_pod("web", ns)
    wait_until(lambda: gone(core.read_namespaced_pod, "web", ns), what="the pod gone")


def test_pod_status_subresource(core, ns):
    core.create_namespaced_pod(ns, pod("st"))
    p = core.read_namespaced_pod_status("st", ns)
    p.status.phase = "Running"
    p.status.pod_ip = "10.1.2.3"
    p.spec.containers[0].image = "nginx:9.9"  # ignored: /status writes only status
    out = core.replace_namespaced_pod_status("st", ns, p)
    assert out.status.phase == "Running" and out.status.pod_ip == "10.1.2.3"
    stored = core.read_namespaced_pod("st", ns)
    assert stored.status.phase == "Running"
    assert stored.spec.containers[0].image == "nginx:1.27"
    # ... and a main-resource write cannot change status.
    stored.status.phase = "Failed"
    stored.metadata.labels = {"x": "y"}
    out = core.replace_namespaced_pod("st", ns, stored)
    assert out.status.phase == "Running" and out.metadata.labels == {"x": "y"}


def test_namespace_crud(core):
    name = "pyc-ns-" + uuid.uuid4().hex[:6]
    created = core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name, labels={"team": "a"})))
    assert created.status.phase == "Active"
    assert created.metadata.labels == {"team": "a", "kubernetes.io/metadata.name": name}
    assert created.spec.finalizers == ["kubernetes"]

    got = core.read_namespace(name)
    got.metadata.labels["team"] = "b"
    replaced = core.replace_namespace(name, got)
    assert replaced.metadata.labels == {"team": "b", "kubernetes.io/metadata.name": name}
    assert name in names(core.list_namespace().items)
    assert names(core.list_namespace(label_selector="team=b").items) == [name]

    core.delete_namespace(name)
    wait_until(lambda: gone(core.read_namespace, name), what=f"namespace {name} gone")
    assert name not in names(core.list_namespace().items)


def test_service_crud(core, ns):
    svc = client.V1Service(metadata=client.V1ObjectMeta(name="web"),
                           spec=client.V1ServiceSpec(selector={"app": "web"},
                                                     ports=[client.V1ServicePort(port=80, target_port=8080)]))
    created = core.create_namespaced_service(ns, svc)
    ip = created.spec.cluster_ip
    assert re.fullmatch(r"\d+\.\d+\.\d+\.\d+", ip), ip
    assert created.spec.type == "ClusterIP"
    [port] = created.spec.ports
    assert (port.port, port.target_port, port.protocol) == (80, 8080, "TCP")

    got = core.read_namespaced_service("web", ns)
    got.spec.ports = [client.V1ServicePort(name="http", port=8080, target_port=80)]
    replaced = core.replace_namespaced_service("web", ns, got)
    assert [(p.name, p.port, p.target_port) for p in replaced.spec.ports] == [("http", 8080, 80)]
    assert replaced.spec.cluster_ip == ip  # kept

    assert names(core.list_namespaced_service(ns).items) == ["web"]
    core.delete_namespaced_service("web", ns)
    expect_api_error(404, core.read_namespaced_service, "web", ns)


# ---- selectors -----------------------------------------------------------------------------

SELECTOR_CMS = {
    "a": {"app": "web", "tier": "frontend"},
    "b": {"app": "web", "tier": "backend"},
    "c": {"app": "db"},
    "d": {"tier": "cache"},
    "e": None,
}


@pytest.fixture(scope="module")
def selector_ns(core) -> str:
    """Namespace pyc-selectors with configmaps a..e labelled as SELECTOR_CMS (read-only)."""
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="pyc-selectors")))
    for n, labels in SELECTOR_CMS.items():
        core.create_namespaced_config_map("pyc-selectors", cm(n, labels=labels))
    return "pyc-selectors"


@pytest.mark.parametrize("selector,expected", [
    ("app=web", ["a", "b"]),
    ("app==web", ["a", "b"]),
    ("app!=web", ["c", "d", "e"]),  # != also matches objects without the label
    ("app in (web,db)", ["a", "b", "c"]),
    ("tier notin (frontend,backend)", ["c", "d", "e"]),
    ("tier", ["a", "b", "d"]),
    ("!tier", ["c", "e"]),
    ("app=web,tier!=backend", ["a"]),
    ("app,!tier", ["c"]),
    ("app in (web),tier in (backend, cache)", ["b"]),
    ("", ["a", "b", "c", "d", "e"]),
])
def test_list_label_selector(core, selector_ns, selector, expected):
    assert names(core.list_namespaced_config_map(selector_ns, label_selector=selector).items) == expected
    # The same selector across namespaces.
    everywhere = core.list_config_map_for_all_namespaces(label_selector=selector)
    assert names(i for i in everywhere.items if i.metadata.namespace == selector_ns) == expected


def test_list_field_selectors(core, ns):
    for n in ["one", "two", "three"]:
        core.create_namespaced_config_map(ns, cm(n))
    assert names(core.list_namespaced_config_map(ns, field_selector="metadata.name=two").items) == ["two"]
    assert names(core.list_namespaced_config_map(ns, field_selector="metadata.name!=two").items) == ["one", "three"]
    everywhere = core.list_config_map_for_all_namespaces(field_selector=f"metadata.namespace={ns}")
    assert sorted(names(everywhere.items)) == ["one", "three", "two"]

    core.create_namespaced_pod(ns, pod("p1", restart_policy="Never"))
    core.create_namespaced_pod(ns, client.V1Pod(
        metadata=client.V1ObjectMeta(name="p2"),
        spec=client.V1PodSpec(node_name="node-9", service_account_name="builder",
                              containers=[client.V1Container(name="c", image="busybox")])))
    assert names(core.list_namespaced_pod(ns, field_selector="spec.nodeName=node-9").items) == ["p2"]
    assert names(core.list_namespaced_pod(ns, field_selector="spec.nodeName=").items) == ["p1"]
    assert names(core.list_namespaced_pod(ns, field_selector="spec.restartPolicy=Never").items) == ["p1"]
    assert names(core.list_namespaced_pod(ns, field_selector="spec.serviceAccountName=builder").items) == ["p2"]
    assert names(core.list_namespaced_pod(ns, field_selector="status.phase=Pending,metadata.name!=p1").items) == ["p2"]
    assert names(core.list_namespaced_pod(ns, field_selector="spec.schedulerName=default-scheduler").items) == ["p1", "p2"]
    # Field and label selectors together.
    core.patch_namespaced_pod("p1", ns, {"metadata": {"labels": {"x": "1"}}})
    assert names(core.list_namespaced_pod(ns, label_selector="x", field_selector="status.phase=Pending").items) == ["p1"]

    assert [n.metadata.name for n in core.list_namespace(field_selector="status.phase=Active").items if
            n.metadata.name == ns] == [ns]


def test_list_field_selectors_services(core, ns):
    core.create_namespaced_service(ns, client.V1Service(
        metadata=client.V1ObjectMeta(name="np"),
        spec=client.V1ServiceSpec(type="NodePort", selector={"a": "b"}, ports=[client.V1ServicePort(port=80)])))
    ip = core.create_namespaced_service(ns, client.V1Service(
        metadata=client.V1ObjectMeta(name="cip"),
        spec=client.V1ServiceSpec(selector={"a": "b"}, ports=[client.V1ServicePort(port=80)]))).spec.cluster_ip
    assert names(core.list_namespaced_service(ns, field_selector="spec.type=NodePort").items) == ["np"]
    assert names(core.list_namespaced_service(ns, field_selector=f"spec.clusterIP={ip}").items) == ["cip"]
    assert names(core.list_namespaced_service(ns, field_selector="spec.clusterIP!=None").items) == ["cip", "np"]


def test_list_field_selectors_other_kinds(core, ns):
    """The per-kind field labels kube converts: secrets, events, nodes."""
    core.create_namespaced_secret(ns, client.V1Secret(metadata=client.V1ObjectMeta(name="tls"),
                                                      type="kubernetes.io/tls",
                                                      string_data={"tls.crt": "x", "tls.key": "y"}))
    core.create_namespaced_secret(ns, client.V1Secret(metadata=client.V1ObjectMeta(name="plain"),
                                                      string_data={"k": "v"}))
    assert names(core.list_namespaced_secret(ns, field_selector="type=kubernetes.io/tls").items) == ["tls"]
    assert names(core.list_namespaced_secret(ns, field_selector="type=Opaque").items) == ["plain"]

    for name, kind, reason, type_ in [("e1", "Pod", "Pulled", "Normal"), ("e2", "Service", "Failed", "Warning")]:
        core.create_namespaced_event(ns, client.CoreV1Event(
            metadata=client.V1ObjectMeta(name=name), reason=reason, type=type_, message="m",
            involved_object=client.V1ObjectReference(kind=kind, name="x", namespace=ns),
            source=client.V1EventSource(component="kubelet")))
    assert names(core.list_namespaced_event(ns, field_selector="involvedObject.kind=Service").items) == ["e2"]
    assert names(core.list_namespaced_event(ns, field_selector="type=Warning").items) == ["e2"]
    assert names(core.list_namespaced_event(ns, field_selector="reason=Pulled,involvedObject.name=x").items) == ["e1"]
    assert names(core.list_namespaced_event(ns, field_selector="source=kubelet").items) == ["e1", "e2"]

    node_names = [f"{ns}-a", f"{ns}-b"]
    core.create_node(client.V1Node(metadata=client.V1ObjectMeta(name=node_names[0]),
                                   spec=client.V1NodeSpec(unschedulable=True)))
    core.create_node(client.V1Node(metadata=client.V1ObjectMeta(name=node_names[1])))
    assert names(core.list_node(field_selector="spec.unschedulable=true").items) == [node_names[0]]
    assert names(core.list_node(field_selector=f"metadata.name={node_names[1]}").items) == [node_names[1]]
    for n in node_names:
        core.delete_node(n)


def test_field_selector_unsupported_field(core, ns):
    st = expect_api_error(400, core.list_namespaced_pod, ns, field_selector="spec.foo=bar")
    assert st["reason"] == "BadRequest"
    assert st["message"] == "field label not supported: spec.foo"
    st = expect_api_error(400, core.list_namespaced_config_map, ns, field_selector="data.x=1")
    assert st["message"] == '"data.x" is not a known field selector: only "metadata.name", "metadata.namespace"'


def test_label_selector_parse_error(core, ns):
    st = expect_api_error(400, core.list_namespaced_config_map, ns, label_selector="x in (a")
    assert st["reason"] == "BadRequest"
    assert st["message"] == "unable to parse requirement: found '', expected: ',' or ')'"


# ---- paging --------------------------------------------------------------------------------


def test_paging_consistent_snapshot_under_writes(server, core, ns):
    """limit/continue over 50 objects while another client writes: every object present at the
    first page's resourceVersion appears exactly once, as it was then; nothing newer appears."""
    created_rv = {}
    for i in range(50):
        o = core.create_namespaced_config_map(ns, cm(f"cm-{i:02d}", {"v": "0"}))
        created_rv[o.metadata.name] = o.metadata.resource_version
    first = core.list_namespaced_config_map(ns, limit=7)
    snapshot_rv = first.metadata.resource_version
    assert len(first.items) == 7 and first.metadata._continue
    assert first.metadata.remaining_item_count == 43

    stop, first_round = threading.Event(), threading.Event()
    writes = {"created": [], "deleted": [], "updated": []}
    writer_api = new_api_client(server)
    writer = client.CoreV1Api(writer_api)

    def write():
        """Create new-NN, delete cm-(49-NN), update cm-NN, until the paging is done (at most 20 rounds)."""
        try:
            for i in range(20):
                writer.create_namespaced_config_map(ns, cm(f"new-{i:02d}"))
                writes["created"].append(f"new-{i:02d}")
                writer.delete_namespaced_config_map(f"cm-{49 - i:02d}", ns)
                writes["deleted"].append(f"cm-{49 - i:02d}")
                writer.patch_namespaced_config_map(f"cm-{i:02d}", ns, {"data": {"v": "1"}})
                writes["updated"].append(f"cm-{i:02d}")
                first_round.set()
                if stop.is_set():
                    return
        finally:
            first_round.set()

    t = threading.Thread(target=write)
    t.start()
    try:
        assert first_round.wait(timeout=10)  # some writes land before page 2, more between pages
        seen = list(first.items)
        token = first.metadata._continue
        remaining = [first.metadata.remaining_item_count]
        pages = 1
        while token:
            page = core.list_namespaced_config_map(ns, limit=7, _continue=token)
            pages += 1
            assert page.metadata.resource_version == snapshot_rv
            seen += page.items
            token = page.metadata._continue
            remaining.append(page.metadata.remaining_item_count)
            time.sleep(0.01)  # let the writer interleave
    finally:
        stop.set()
        t.join(timeout=30)
        writer_api.close()
    assert not t.is_alive()
    assert writes["updated"], "the writer did not write while paging"

    got = [i.metadata.name for i in seen]
    assert got == [f"cm-{i:02d}" for i in range(50)], got  # each exactly once, in key order
    assert pages == 8
    assert remaining == [43, 36, 29, 22, 15, 8, 1, None]
    # Each as it was at the snapshot: unmodified, with its creation's resourceVersion.
    assert {i.metadata.name: i.metadata.resource_version for i in seen} == created_rv
    assert all(i.data == {"v": "0"} for i in seen)
    assert max(int(rv) for rv in created_rv.values()) <= int(snapshot_rv)
    # A fresh list sees the writes.
    now = names(core.list_namespaced_config_map(ns).items)
    assert set(writes["created"]) <= set(now)
    assert not set(writes["deleted"]) & set(now)


def test_paging_with_label_selector(core, ns):
    for i in range(12):
        core.create_namespaced_config_map(ns, cm(f"x{i:02d}", labels={"even": str(i % 2 == 0).lower()}))
    seen, token = [], None
    while True:
        page = core.list_namespaced_config_map(ns, limit=2, label_selector="even=true", _continue=token)
        assert len(page.items) <= 2
        seen += names(page.items)
        token = page.metadata._continue
        if not token:
            break
    assert seen == [f"x{i:02d}" for i in range(0, 12, 2)]


def test_paging_limit_larger_than_list(core, ns):
    core.create_namespaced_config_map(ns, cm("only"))
    lst = core.list_namespaced_config_map(ns, limit=500)
    assert names(lst.items) == ["only"]
    assert lst.metadata._continue is None and lst.metadata.remaining_item_count is None


# ---- watch ---------------------------------------------------------------------------------


def watch_events(core, ns, rv, count=None, timeout_seconds=10, **kw):
    """Watch configmaps in `ns` from `rv`. Stops after `count` non-bookmark events (closing the
    connection) or when the server ends the watch after timeout_seconds. Returns (events as
    (type, name, resourceVersion), bookmarks, the last resourceVersion seen, bookmarks included)."""
    w = watch.Watch()
    events, bookmarks, last = [], [], rv
    for ev in w.stream(core.list_namespaced_config_map, ns, resource_version=rv, timeout_seconds=timeout_seconds,
                       allow_watch_bookmarks=True, _request_timeout=timeout_seconds + 10, **kw):
        obj = ev["raw_object"]
        last = obj["metadata"]["resourceVersion"]
        if ev["type"] == "BOOKMARK":
            bookmarks.append(last)
            continue
        events.append((ev["type"], obj["metadata"]["name"], last))
        if count is not None and len(events) >= count:
            w.stop()
    return events, bookmarks, last


def test_watch_interrupted_and_resumed(core, ns):
    """Three watch sessions, each resumed from the last resourceVersion the previous one saw,
    with writes before and between them: together they see every change exactly once, in order."""
    rv0 = core.list_namespaced_config_map(ns).metadata.resource_version
    expected = []

    def created(name):
        o = core.create_namespaced_config_map(ns, cm(name, {"v": "1"}))
        expected.append(("ADDED", name, o.metadata.resource_version))

    def modified(name, v):
        o = core.patch_namespaced_config_map(name, ns, {"data": {"v": v}})
        expected.append(("MODIFIED", name, o.metadata.resource_version))

    def deleted(name):
        core.delete_namespaced_config_map(name, ns)
        expected.append(("DELETED", name, None))  # the deletion's revision: checked by order below

    created("a"), created("b"), created("c")
    # Session 1 replays the three creations from the list's resourceVersion, then is closed by us.
    ev1, _, last = watch_events(core, ns, rv0, count=3)
    modified("a", "2"), deleted("b"), created("d")
    # Session 2 resumes from the last event of session 1.
    ev2, _, last = watch_events(core, ns, last, count=3)
    created("e"), modified("d", "2"), deleted("a")
    # Session 3 resumes again and is ended by the server (timeoutSeconds=1).
    t0 = time.monotonic()
    ev3, _, last = watch_events(core, ns, last, timeout_seconds=1)
    assert time.monotonic() - t0 < 8

    got = ev1 + ev2 + ev3
    assert [(t, n) for t, n, _ in got] == [(t, n) for t, n, _ in expected], got
    for (t, n, rv), (_, _, want) in zip(got, expected):
        if want is not None:
            assert rv == want, (t, n, rv, want)
    rvs = [int(rv) for _, _, rv in got]
    assert rvs == sorted(rvs) and len(set(rvs)) == len(rvs), rvs
    assert int(last) >= rvs[-1]


def test_watch_resume_from_bookmark_less_quiet_period(core, ns):
    """A watch from the current resourceVersion sees only later changes, none from before."""
    core.create_namespaced_config_map(ns, cm("before"))
    rv = core.list_namespaced_config_map(ns).metadata.resource_version
    core.create_namespaced_config_map(ns, cm("after"))
    evs, _, _ = watch_events(core, ns, rv, count=1)
    assert [(t, n) for t, n, _ in evs] == [("ADDED", "after")]


def test_watch_label_selector_relabel(core, ns):
    """An object that stops matching the watch's selector arrives as DELETED, one that starts
    matching as ADDED (kube's cacher semantics)."""
    rv = core.list_namespaced_config_map(ns).metadata.resource_version
    core.create_namespaced_config_map(ns, cm("r", labels={"sel": "yes"}))
    core.patch_namespaced_config_map("r", ns, {"metadata": {"labels": {"sel": "no"}}})
    core.patch_namespaced_config_map("r", ns, {"metadata": {"labels": {"sel": "yes", "n": "2"}}})
    core.create_namespaced_config_map(ns, cm("other", labels={"sel": "no"}))
    core.delete_namespaced_config_map("r", ns)
    evs, _, _ = watch_events(core, ns, rv, count=4, label_selector="sel=yes")
    assert [(t, n) for t, n, _ in evs] == [("ADDED", "r"), ("DELETED", "r"), ("ADDED", "r"), ("DELETED", "r")]


@pytest.fixture(scope="module")
def small_cache(start_module_server):
    """(server, CoreV1Api) for a server whose watch cache keeps 100 events per resource, so that
    a resourceVersion falls out of the window after 100 writes (the default keeps 10000)."""
    srv = start_module_server(server_config(extra={"storage": {"watchCacheSize": 100}}), name="srv-pyc-cache100")
    api = new_api_client(srv)
    yield srv, client.CoreV1Api(api)
    api.close()


def test_watch_expired_resource_version(small_cache):
    """A watch from a resourceVersion older than the window gets an ERROR event with a 410 Expired
    Status; the client raises ApiException(410)."""
    srv, core = small_cache
    ns = "expired-watch"
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=ns)))
    first = core.create_namespaced_config_map(ns, cm("churn", {"i": "0"}))
    old_rv = first.metadata.resource_version
    for i in range(1, 150):
        core.patch_namespaced_config_map("churn", ns, {"data": {"i": str(i)}})

    with pytest.raises(ApiException) as ei:
        for _ in watch.Watch().stream(core.list_namespaced_config_map, ns, resource_version=old_rv,
                                      timeout_seconds=5, _request_timeout=15):
            pass
    assert ei.value.status == 410
    assert re.fullmatch(r"Expired: too old resource version: \d+ \(\d+\)", ei.value.reason), ei.value.reason

    # The same through plain HTTP: one ERROR event, then the server ends the stream.
    evs = list(srv.watch_events(f"/api/v1/namespaces/{ns}/configmaps?watch=1&resourceVersion={old_rv}"
                                "&timeoutSeconds=5"))
    assert [e["type"] for e in evs] == ["ERROR"], evs
    st = evs[0]["object"]
    assert (st["kind"], st["status"], st["reason"], st["code"]) == ("Status", "Failure", "Expired", 410)
    m = re.fullmatch(r"too old resource version: (\d+) \((\d+)\)", st["message"])
    assert m and m.group(1) == old_rv, st

    # A recent resourceVersion still works.
    recent = core.read_namespaced_config_map("churn", ns).metadata.resource_version
    core.patch_namespaced_config_map("churn", ns, {"data": {"i": "last"}})
    evs, _, _ = watch_events(core, ns, recent, count=1)
    assert [(t, n) for t, n, _ in evs] == [("MODIFIED", "churn")]


CONTINUE_EXPIRED = (
    "The provided continue parameter is too old to display a consistent list result. You can start a new list "
    "without the continue parameter, or use the continue token in this response to retrieve the remainder of the "
    "results. Continuing with the provided token results in an inconsistent list - objects that were created, "
    "modified, or deleted between the time the first chunk was returned and now may show up in the list.")


@pytest.fixture(scope="module")
def expired_continue(small_cache):
    """(core, token): a continue token for the list of p0..p4 in namespace expired-continue (page
    size 2) whose snapshot has since fallen out of the 100-event window."""
    _, core = small_cache
    ns = "expired-continue"
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=ns)))
    for i in range(5):
        core.create_namespaced_config_map(ns, cm(f"p{i}"))
    page = core.list_namespaced_config_map(ns, limit=2)
    assert names(page.items) == ["p0", "p1"]
    for i in range(150):
        core.patch_namespaced_config_map("p0", ns, {"data": {"i": str(i)}})
    return core, page.metadata._continue


def test_continue_token_expired(expired_continue):
    """A continue token whose snapshot fell out of the watch cache window: 410 Expired."""
    core, token = expired_continue
    st = expect_api_error(410, core.list_namespaced_config_map, "expired-continue", limit=2, _continue=token)
    assert st["reason"] == "Expired"
    assert st["message"] == CONTINUE_EXPIRED


def test_continue_token_expired_offers_fresh_token(expired_continue):
    core, token = expired_continue
    st = expect_api_error(410, core.list_namespaced_config_map, "expired-continue", limit=2, _continue=token)
    fresh = st["metadata"].get("continue")
    assert fresh, st
    rest, token = [], fresh
    while token:
        page = core.list_namespaced_config_map("expired-continue", limit=2, _continue=token)
        rest += names(page.items)
        token = page.metadata._continue
    assert rest == ["p2", "p3", "p4"]


# ---- patch ---------------------------------------------------------------------------------


def test_patch_strategic_merge_default(core, ns):
    """A dict body goes as a strategic merge patch."""
    core.create_namespaced_config_map(ns, cm("s", {"a": "1", "b": "2"}, {"app": "s"}))
    out = core.patch_namespaced_config_map("s", ns, {"metadata": {"labels": {"x": "y"}}, "data": {"b": None, "c": "3"}})
    assert out.metadata.labels == {"app": "s", "x": "y"}
    assert out.data == {"a": "1", "c": "3"}
    # $patch: replace replaces the whole map (strategic merge only).
    out = core.patch_namespaced_config_map("s", ns, {"data": {"$patch": "replace", "only": "this"}})
    assert out.data == {"only": "this"}
    assert core.read_namespaced_config_map("s", ns).data == {"only": "this"}


def test_patch_strategic_merge_pod_containers(core, ns):
    """Containers merge by name: one container's image changes, the other is kept, order too."""
    core.create_namespaced_pod(ns, client.V1Pod(
        metadata=client.V1ObjectMeta(name="sp"),
        spec=client.V1PodSpec(containers=[
            client.V1Container(name="main", image="nginx:1.27", env=[client.V1EnvVar(name="A", value="1")]),
            client.V1Container(name="side", image="busybox:1.36")])))
    out = core.patch_namespaced_pod("sp", ns, {"spec": {"containers": [{"name": "side", "image": "busybox:1.37"}]}})
    assert [(c.name, c.image) for c in out.spec.containers] == [("main", "nginx:1.27"), ("side", "busybox:1.37")]
    assert [(e.name, e.value) for e in out.spec.containers[0].env] == [("A", "1")]
    # Tolerations (no merge key) are appended to by a strategic patch? No: replaced, as atomic lists.
    out = core.patch_namespaced_pod("sp", ns, {"spec": {"tolerations": [{"key": "k", "operator": "Exists"}]}})
    assert [(t.key, t.operator) for t in out.spec.tolerations] == [("k", "Exists")]


def test_patch_strategic_merge_service_ports(core, ns):
    """Service ports merge on `port`; $patch: delete removes one by its key."""
    core.create_namespaced_service(ns, client.V1Service(
        metadata=client.V1ObjectMeta(name="sv"),
        spec=client.V1ServiceSpec(selector={"app": "sv"}, ports=[
            client.V1ServicePort(name="http", port=80, target_port=8080),
            client.V1ServicePort(name="https", port=443, target_port=8443)])))
    out = core.patch_namespaced_service("sv", ns, {"spec": {"ports": [
        {"port": 80, "targetPort": 9090},
        {"port": 443, "$patch": "delete"},
        {"name": "metrics", "port": 9100}]}})
    assert [(p.name, p.port, p.target_port) for p in out.spec.ports] == [("http", 80, 9090), ("metrics", 9100, 9100)]
    assert out.spec.selector == {"app": "sv"}
    stored = core.read_namespaced_service("sv", ns)
    assert [(p.name, p.port) for p in stored.spec.ports] == [("http", 80), ("metrics", 9100)]


def test_patch_json_patch(core, ns):
    """A list body goes as a JSON patch (RFC 6902)."""
    before = core.create_namespaced_config_map(ns, cm("j", {"a": "1", "b": "2"}))
    out = core.patch_namespaced_config_map("j", ns, [
        {"op": "test", "path": "/data/a", "value": "1"},
        {"op": "replace", "path": "/data/a", "value": "10"},
        {"op": "remove", "path": "/data/b"},
        {"op": "add", "path": "/metadata/labels", "value": {"k": "v"}},
        {"op": "copy", "from": "/data/a", "path": "/data/c"},
        {"op": "move", "from": "/data/c", "path": "/data/d"},
    ])
    assert out.data == {"a": "10", "d": "10"}
    assert out.metadata.labels == {"k": "v"}
    assert int(out.metadata.resource_version) > int(before.metadata.resource_version)

    # A failing test op: 422, and nothing changes.
    st = expect_api_error(422, core.patch_namespaced_config_map, "j", ns,
                          [{"op": "test", "path": "/data/a", "value": "nope"},
                           {"op": "replace", "path": "/data/a", "value": "20"}])
    assert st["reason"] == "Invalid"
    assert core.read_namespaced_config_map("j", ns).data == {"a": "10", "d": "10"}


def test_patch_merge_patch(core, core_merge, ns):
    """RFC 7386 merge patch: objects merge, null deletes, lists are replaced whole."""
    core.create_namespaced_config_map(ns, cm("m", {"a": "1", "b": "2"}, {"app": "m"}))
    out = core_merge.patch_namespaced_config_map("m", ns, {"data": {"a": None, "z": "26"},
                                                           "metadata": {"labels": {"tier": "x"}}})
    assert out.data == {"b": "2", "z": "26"}
    assert out.metadata.labels == {"app": "m", "tier": "x"}
    # Lists are replaced by a merge patch (unlike strategic merge on a pod's containers).
    core.create_namespaced_pod(ns, client.V1Pod(
        metadata=client.V1ObjectMeta(name="mp"),
        spec=client.V1PodSpec(containers=[client.V1Container(name="main", image="nginx"),
                                          client.V1Container(name="side", image="busybox")])))
    out = core_merge.patch_namespaced_pod("mp", ns, {"spec": {"tolerations": [{"key": "k", "operator": "Exists"}]}})
    assert [(t.key, t.operator) for t in out.spec.tolerations] == [("k", "Exists")]
    assert [c.name for c in out.spec.containers] == ["main", "side"]


def test_patch_resource_version_precondition(core, core_merge, ns):
    """A patch that carries metadata.resourceVersion is conditional on it."""
    o = core.create_namespaced_config_map(ns, cm("rvp", {"a": "1"}))
    st = expect_api_error(409, core_merge.patch_namespaced_config_map, "rvp", ns,
                          {"metadata": {"resourceVersion": "1"}, "data": {"a": "2"}})
    assert st["reason"] == "Conflict"
    out = core_merge.patch_namespaced_config_map("rvp", ns, {"metadata": {"resourceVersion": o.metadata.resource_version},
                                                             "data": {"a": "3"}})
    assert out.data == {"a": "3"}


# ---- write options -------------------------------------------------------------------------


def test_dry_run_create_update_patch_delete(core, ns):
    out = core.create_namespaced_config_map(ns, cm("dry", {"a": "1"}), dry_run="All")
    assert out.metadata.name == "dry" and out.data == {"a": "1"}
    assert out.metadata.uid  # the object as it would have been stored
    expect_api_error(404, core.read_namespaced_config_map, "dry", ns)
    assert core.list_namespaced_config_map(ns).items == []

    real = core.create_namespaced_config_map(ns, cm("dry", {"a": "1"}))
    real.data = {"a": "2"}
    out = core.replace_namespaced_config_map("dry", ns, real, dry_run="All")
    assert out.data == {"a": "2"}
    out = core.patch_namespaced_config_map("dry", ns, {"data": {"b": "3"}}, dry_run="All")
    assert out.data == {"a": "1", "b": "3"}
    stored = core.read_namespaced_config_map("dry", ns)
    assert stored.data == {"a": "1"}
    assert stored.metadata.resource_version == real.metadata.resource_version

    core.delete_namespaced_config_map("dry", ns, dry_run="All")
    assert core.read_namespaced_config_map("dry", ns).metadata.resource_version == real.metadata.resource_version
    core.delete_collection_namespaced_config_map(ns, dry_run="All")
    assert names(core.list_namespaced_config_map(ns).items) == ["dry"]


BOGUS_CM = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "fv"}, "data": {"a": "1"}, "bogus": 1}


def test_field_validation_strict(api_client, core, ns):
    path = f"/api/v1/namespaces/{ns}/configmaps"
    status, _, body = call_raw(api_client, "POST", path, {"fieldValidation": "Strict"}, BOGUS_CM)
    assert status == 400, body
    assert body["reason"] == "BadRequest"
    assert body["message"] == ('ConfigMap in version "v1" cannot be handled as a ConfigMap: '
                               'strict decoding error: unknown field "bogus"')
    expect_api_error(404, core.read_namespaced_config_map, "fv", ns)


def test_field_validation_warn(api_client, core, ns):
    status, headers, body = call_raw(api_client, "POST", f"/api/v1/namespaces/{ns}/configmaps",
                                     {"fieldValidation": "Warn"}, BOGUS_CM)
    assert status == 201, body
    assert headers.get("Warning") == '299 - "unknown field \\"bogus\\""', headers
    assert "bogus" not in body
    assert core.read_namespaced_config_map("fv", ns).data == {"a": "1"}


def test_field_validation_ignore(api_client, core, ns):
    status, headers, body = call_raw(api_client, "POST", f"/api/v1/namespaces/{ns}/configmaps",
                                     {"fieldValidation": "Ignore"}, BOGUS_CM)
    assert status == 201, body
    assert "Warning" not in headers
    assert "bogus" not in body
    raw = core.read_namespaced_config_map("fv", ns, _preload_content=False)
    assert "bogus" not in json.loads(raw.data)


def test_field_validation_strict_on_patch(api_client, core, ns):
    core.create_namespaced_config_map(ns, cm("fvp", {"a": "1"}))
    status, _, body = call_raw(api_client, "PATCH", f"/api/v1/namespaces/{ns}/configmaps/fvp",
                               {"fieldValidation": "Strict"}, {"data": {"a": "2"}, "spec": {"x": 1}},
                               content_type="application/merge-patch+json")
    assert status == 422, body
    assert body["reason"] == "Invalid"
    # kube: NewInvalid(GroupKind{}, "", patch: Invalid value: "<patched object>": strict decoding error: ...)
    assert body["message"].startswith(' "" is invalid: patch: Invalid value: "{'), body
    assert body["message"].endswith('}": strict decoding error: unknown field "spec"'), body
    assert core.read_namespaced_config_map("fvp", ns).data == {"a": "1"}


# ---- delete --------------------------------------------------------------------------------


def test_delete_collection_with_label_selector(core, ns):
    for n, labels in [("d1", {"batch": "1"}), ("d2", {"batch": "1"}), ("k1", {"batch": "2"}), ("k2", None)]:
        core.create_namespaced_config_map(ns, cm(n, labels=labels))
    out = core.delete_collection_namespaced_config_map(ns, label_selector="batch=1")
    assert out.status == "Success" or out.kind == "ConfigMapList"
    assert names(core.list_namespaced_config_map(ns).items) == ["k1", "k2"]
    core.delete_collection_namespaced_config_map(ns, field_selector="metadata.name=k2")
    assert names(core.list_namespaced_config_map(ns).items) == ["k1"]


def test_delete_preconditions(core, ns):
    o = core.create_namespaced_config_map(ns, cm("pre"))
    uid, rv = o.metadata.uid, o.metadata.resource_version
    wrong_uid = str(uuid.uuid4())
    st = expect_api_error(409, core.delete_namespaced_config_map, "pre", ns,
                          body=client.V1DeleteOptions(preconditions=client.V1Preconditions(uid=wrong_uid)))
    assert st["reason"] == "Conflict"
    assert st["message"] == (f'Operation cannot be fulfilled on configmaps "pre": Precondition failed: '
                             f"UID in precondition: {wrong_uid}, UID in object meta: {uid}")
    st = expect_api_error(409, core.delete_namespaced_config_map, "pre", ns,
                          body=client.V1DeleteOptions(preconditions=client.V1Preconditions(resource_version="1")))
    assert st["message"] == (f'Operation cannot be fulfilled on configmaps "pre": Precondition failed: '
                             f"ResourceVersion in precondition: 1, ResourceVersion in object meta: {rv}")
    assert core.read_namespaced_config_map("pre", ns).metadata.uid == uid  # still there
    core.delete_namespaced_config_map("pre", ns, body=client.V1DeleteOptions(
        preconditions=client.V1Preconditions(uid=uid, resource_version=rv)))
    expect_api_error(404, core.read_namespaced_config_map, "pre", ns)


def test_finalizer_holds_object_until_removed(core, ns):
    core.create_namespaced_config_map(ns, cm("held", {"a": "1"}, finalizers=["example.com/hold"]))
    core.delete_namespaced_config_map("held", ns)
    o = core.read_namespaced_config_map("held", ns)
    assert o.metadata.deletion_timestamp is not None
    assert o.metadata.finalizers == ["example.com/hold"]
    # Deleting again changes nothing; an update cannot add a new finalizer-free lease of life.
    core.delete_namespaced_config_map("held", ns)
    again = core.read_namespaced_config_map("held", ns)
    assert again.metadata.deletion_timestamp == o.metadata.deletion_timestamp
    # Other updates still work while it is held.
    again.data = {"a": "2"}
    assert core.replace_namespaced_config_map("held", ns, again).data == {"a": "2"}
    # Removing the last finalizer deletes it.
    core.patch_namespaced_config_map("held", ns, [{"op": "remove", "path": "/metadata/finalizers"}])
    expect_api_error(404, core.read_namespaced_config_map, "held", ns)


GC_WAIT = 3.0  # seconds the garbage collector gets (it reacts to watch events; kube's takes well under 1 s)


@pytest.fixture(scope="module")
def gc_deletions(core):
    """For each propagation policy, a namespace with configmap `owner`, its dependents k1 and k2
    (ownerReferences -> owner) and `unrelated`; `owner` is then deleted with that policy. All three
    are set up at once so that the tests below wait for the garbage collector concurrently.
    Returns ({policy: (namespace, owner as read right after the DELETE, or None if already gone)},
    deadline)."""
    out = {}
    for policy in ("Background", "Orphan", "Foreground"):
        ns = f"pyc-gc-{policy.lower()}-{uuid.uuid4().hex[:5]}"
        core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=ns)))
        owner = core.create_namespaced_config_map(ns, cm("owner"))
        ref = client.V1OwnerReference(api_version="v1", kind="ConfigMap", name="owner", uid=owner.metadata.uid)
        for k in ("k1", "k2"):
            core.create_namespaced_config_map(ns, cm(k, owner_references=[ref]))
        core.create_namespaced_config_map(ns, cm("unrelated"))
        core.delete_namespaced_config_map("owner", ns, propagation_policy=policy)
        try:
            after = core.read_namespaced_config_map("owner", ns)
        except ApiException as e:
            assert e.status == 404
            after = None
        out[policy] = (ns, after)
    return out, time.monotonic() + GC_WAIT


def until_deadline(deadline, predicate, what):
    return wait_until(predicate, timeout=max(0.0, deadline - time.monotonic()), what=what)


def test_propagation_background_deletes_dependents(core, gc_deletions):
    by_policy, deadline = gc_deletions
    ns, after = by_policy["Background"]
    assert after is None  # the owner itself goes at once
    until_deadline(deadline, lambda: names(core.list_namespaced_config_map(ns).items) == ["unrelated"],
                   "dependents deleted by the garbage collector")


def test_propagation_orphan_keeps_dependents(core, gc_deletions):
    by_policy, deadline = gc_deletions
    ns, after = by_policy["Orphan"]
    if after is not None:  # held by the orphan finalizer until the collector has orphaned the dependents
        assert after.metadata.deletion_timestamp is not None and "orphan" in after.metadata.finalizers
    until_deadline(deadline, lambda: gone(core.read_namespaced_config_map, "owner", ns), "owner gone")
    kids = {o.metadata.name: o for o in core.list_namespaced_config_map(ns).items}
    assert sorted(kids) == ["k1", "k2", "unrelated"]
    assert kids["k1"].metadata.owner_references is None and kids["k2"].metadata.owner_references is None


def test_propagation_foreground_marks_owner(gc_deletions):
    """Foreground: the owner stays, with deletionTimestamp and the foregroundDeletion finalizer,
    until its dependents are gone."""
    by_policy, _ = gc_deletions
    _, after = by_policy["Foreground"]
    if after is not None:  # else the collector was quicker than our GET
        assert after.metadata.deletion_timestamp is not None
        assert after.metadata.finalizers == ["foregroundDeletion"]


def test_propagation_foreground_deletes_dependents_then_owner(core, gc_deletions):
    by_policy, deadline = gc_deletions
    ns, _ = by_policy["Foreground"]
    until_deadline(deadline, lambda: names(core.list_namespaced_config_map(ns).items) == ["unrelated"],
                   "dependents and then the owner deleted")


def test_propagation_policy_invalid(core, ns):
    core.create_namespaced_config_map(ns, cm("pp"))
    st = expect_api_error(422, core.delete_namespaced_config_map, "pp", ns, propagation_policy="Sideways")
    assert st["reason"] == "Invalid" and st["details"]["kind"] == "DeleteOptions"  # exact message: test_bad_input
    assert core.read_namespaced_config_map("pp", ns).metadata.deletion_timestamp is None


# ---- namespace lifecycle -------------------------------------------------------------------


def test_namespace_deletion_lifecycle(core):
    """Delete a namespace: Terminating, new content refused (403), contents deleted; a finalizer
    on one configmap keeps it Terminating until removed, then the namespace goes."""
    name = "pyc-doomed-" + uuid.uuid4().hex[:6]
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    core.create_namespaced_config_map(name, cm("plain"))
    core.create_namespaced_config_map(name, cm("held", finalizers=["example.com/hold"]))
    core.create_namespaced_pod(name, pod("p"))

    core.delete_namespace(name)
    ns_obj = core.read_namespace(name)
    assert ns_obj.status.phase == "Terminating"
    assert ns_obj.metadata.deletion_timestamp is not None

    st = expect_api_error(403, core.create_namespaced_config_map, name, cm("late"))
    assert st["reason"] == "Forbidden"
    assert st["message"] == (f'configmaps "late" is forbidden: unable to create new content in namespace {name} '
                             "because it is being terminated")
    assert st["details"]["causes"] == [{"reason": "NamespaceTerminating", "message": f"namespace {name} is being "
                                        "terminated", "field": "metadata.namespace"}]

    # The contents go; the held configmap waits for its finalizer, and so does the namespace.
    wait_until(lambda: names(core.list_namespaced_config_map(name).items) == ["held"]
               and not core.list_namespaced_pod(name).items, what="namespace contents deleted")
    held = core.read_namespaced_config_map("held", name)
    assert held.metadata.deletion_timestamp is not None
    assert core.read_namespace(name).status.phase == "Terminating"

    core.patch_namespaced_config_map("held", name, {"metadata": {"finalizers": None}})
    wait_until(lambda: gone(core.read_namespace, name), what=f"namespace {name} gone")


def test_namespace_terminating_conditions(core):
    """While content with finalizers remains, kube's namespace controller reports it in the
    namespace's status conditions (what `kubectl describe ns` shows)."""
    name = "pyc-cond-" + uuid.uuid4().hex[:6]
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    core.create_namespaced_config_map(name, cm("held", finalizers=["example.com/hold"]))
    core.delete_namespace(name)

    def conditions():
        c = core.read_namespace(name).status.conditions or []
        by_type = {x.type: x for x in c}
        fin = by_type.get("NamespaceFinalizersRemaining")
        return by_type if fin is not None and fin.status == "True" else None

    by_type = wait_until(conditions, timeout=3, what="NamespaceFinalizersRemaining=True")
    assert by_type["NamespaceFinalizersRemaining"].reason == "SomeFinalizersRemain"
    assert by_type["NamespaceFinalizersRemaining"].message == \
        "Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances"
    core.patch_namespaced_config_map("held", name, {"metadata": {"finalizers": None}})
    wait_until(lambda: gone(core.read_namespace, name), what=f"namespace {name} gone")


@pytest.mark.parametrize("name", ["default", "kube-system", "kube-public"])
def test_system_namespaces_cannot_be_deleted(core, name):
    st = expect_api_error(403, core.delete_namespace, name)
    assert st["reason"] == "Forbidden"
    assert st["message"] == f'namespaces "{name}" is forbidden: this namespace may not be deleted'
    ns_obj = core.read_namespace(name)
    assert ns_obj.status.phase == "Active" and ns_obj.metadata.deletion_timestamp is None
