"""kubectl get: server-side Tables (columns as kube prints them) and the -o formats."""

import json

import pytest
import yaml

from e2e_helpers import AGE_RE, POD_WEB, parse_table, pod_manifest, table_row

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
CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  a: "1"
  b: "2"
"""
SECRET = """\
apiVersion: v1
kind: Secret
metadata:
  name: creds
type: Opaque
stringData:
  password: hunter2
"""

DEFAULT_PODS = ["web", "x1", "x2"]


@pytest.fixture(scope="module", autouse=True)
def seeded(server):
    """default: pods web (app=web,tier=frontend), x1 and x2 (app=x), service web, configmap settings,
    secret creds; namespace foo with pod other. Read-only for the tests of this module."""
    server.kubectl("create", "namespace", "foo")
    docs = [POD_WEB, pod_manifest("x1", {"app": "x"}), pod_manifest("x2", {"app": "x", "tier": "db"}),
            SERVICE, CONFIGMAP, SECRET, pod_manifest("other", {"app": "other"}, namespace="foo")]
    server.kubectl("create", "-f", "-", input="---\n".join(docs))


def test_get_pods_table(server):
    _, out, _ = server.kubectl("get", "pods")
    header, rows = parse_table(out)
    assert header == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert [r["NAME"] for r in rows] == DEFAULT_PODS
    web = table_row(rows, NAME="web")
    assert (web["READY"], web["STATUS"], web["RESTARTS"]) == ("0/1", "Pending", "0")
    assert AGE_RE.match(web["AGE"]), web


def test_get_pods_wide(server):
    _, out, _ = server.kubectl("get", "pods", "-o", "wide")
    header, rows = parse_table(out)
    assert header == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE",
                      "NOMINATED NODE", "READINESS GATES"]
    web = table_row(rows, NAME="web")
    assert web["STATUS"] == "Pending"
    assert (web["IP"], web["NODE"], web["NOMINATED NODE"], web["READINESS GATES"]) == \
        ("<none>", "<none>", "<none>", "<none>")


def test_get_single_pod_table(server):
    _, out, _ = server.kubectl("get", "pod", "web")
    header, rows = parse_table(out)
    assert header == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert len(rows) == 1 and rows[0]["NAME"] == "web" and rows[0]["READY"] == "0/1"


def test_get_namespaces_table(server):
    _, out, _ = server.kubectl("get", "ns")
    header, rows = parse_table(out)
    assert header == ["NAME", "STATUS", "AGE"]
    names = [r["NAME"] for r in rows]
    for ns in ["default", "kube-system", "kube-public", "foo"]:
        row = table_row(rows, NAME=ns)
        assert row["STATUS"] == "Active"
        assert AGE_RE.match(row["AGE"]), row
    assert names == sorted(names)


def test_get_services_table(server):
    ip = server.kubectl_json("get", "svc", "web")["spec"]["clusterIP"]
    _, out, _ = server.kubectl("get", "svc")
    header, rows = parse_table(out)
    assert header == ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]
    web = table_row(rows, NAME="web")
    assert (web["TYPE"], web["CLUSTER-IP"], web["EXTERNAL-IP"], web["PORT(S)"]) == \
        ("ClusterIP", ip, "<none>", "80/TCP")
    _, out, _ = server.kubectl("get", "svc", "-o", "wide")
    header, rows = parse_table(out)
    assert header[-1] == "SELECTOR"
    assert table_row(rows, NAME="web")["SELECTOR"] == "app=web"


def test_get_configmaps_table(server):
    _, out, _ = server.kubectl("get", "cm")
    header, rows = parse_table(out)
    assert header == ["NAME", "DATA", "AGE"]
    assert table_row(rows, NAME="settings")["DATA"] == "2"


def test_get_secrets_table(server):
    _, out, _ = server.kubectl("get", "secrets")
    header, rows = parse_table(out)
    assert header == ["NAME", "TYPE", "DATA", "AGE"]
    creds = table_row(rows, NAME="creds")
    assert (creds["TYPE"], creds["DATA"]) == ("Opaque", "1")


def test_get_pods_json(server):
    _, out, _ = server.kubectl("get", "pods", "-o", "json")
    lst = json.loads(out)
    assert lst["kind"] == "List" and lst["apiVersion"] == "v1"
    assert [i["metadata"]["name"] for i in lst["items"]] == DEFAULT_PODS
    for item in lst["items"]:
        assert item["kind"] == "Pod" and item["apiVersion"] == "v1"
        assert item["metadata"]["namespace"] == "default"
        assert item["status"]["phase"] == "Pending"


def test_get_pods_yaml(server):
    _, out, _ = server.kubectl("get", "pods", "-o", "yaml")
    lst = yaml.safe_load(out)
    assert lst["kind"] == "List"
    assert [i["metadata"]["name"] for i in lst["items"]] == DEFAULT_PODS
    web = lst["items"][0]
    assert web["spec"]["containers"][0]["image"] == "nginx:1.27"
    assert web["metadata"]["labels"] == {"app": "web", "tier": "frontend"}


def test_get_pod_yaml_single(server):
    _, out, _ = server.kubectl("get", "pod", "web", "-o", "yaml")
    pod = yaml.safe_load(out)
    assert pod["kind"] == "Pod" and pod["metadata"]["name"] == "web"


def test_get_pods_name(server):
    _, out, _ = server.kubectl("get", "pods", "-o", "name")
    assert out.splitlines() == [f"pod/{n}" for n in DEFAULT_PODS]


def test_get_pods_jsonpath(server):
    _, out, _ = server.kubectl("get", "pods", "-o", "jsonpath={.items[*].metadata.name}")
    assert out == " ".join(DEFAULT_PODS)


def test_get_pods_custom_columns(server):
    _, out, _ = server.kubectl("get", "pods", "-o", "custom-columns=NAME:.metadata.name,IMAGE:.spec.containers[0].image")
    header, rows = parse_table(out)
    assert header == ["NAME", "IMAGE"]
    assert table_row(rows, NAME="web")["IMAGE"] == "nginx:1.27"


def test_get_pods_all_namespaces(server):
    _, out, _ = server.kubectl("get", "pods", "-A")
    header, rows = parse_table(out)
    assert header == ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    got = [(r["NAMESPACE"], r["NAME"]) for r in rows]
    assert sorted(got) == sorted([("default", n) for n in DEFAULT_PODS] + [("foo", "other")])
    assert table_row(rows, NAMESPACE="foo", NAME="other")["STATUS"] == "Pending"


def test_get_pod_show_labels(server):
    _, out, _ = server.kubectl("get", "pod", "web", "--show-labels")
    header, rows = parse_table(out)
    assert header == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "LABELS"]
    assert rows[0]["LABELS"] == "app=web,tier=frontend"


def test_get_pods_label_selector(server):
    def names(*selector_args):
        _, out, _ = server.kubectl("get", "pods", "-o", "name", *selector_args)
        return out.splitlines()

    assert names("-l", "app=x") == ["pod/x1", "pod/x2"]
    assert names("-l", "app==web") == ["pod/web"]
    assert names("-l", "app!=x") == ["pod/web"]
    assert names("-l", "app in (web,x),tier") == ["pod/web", "pod/x2"]
    assert names("-l", "app notin (x)") == ["pod/web"]
    assert names("-l", "!tier") == ["pod/x1"]
    # The table form filters the same way.
    _, out, _ = server.kubectl("get", "pods", "-l", "app=x")
    _, rows = parse_table(out)
    assert [r["NAME"] for r in rows] == ["x1", "x2"]


def test_get_pods_label_selector_no_match(server):
    rc, out, err = server.kubectl("get", "pods", "-l", "app=nothing")
    assert rc == 0 and out == ""
    assert err.strip() == "No resources found in default namespace."


def test_get_pods_field_selector(server):
    _, out, _ = server.kubectl("get", "pods", "-o", "name", "--field-selector", "metadata.name=x2")
    assert out.splitlines() == ["pod/x2"]
    _, out, _ = server.kubectl("get", "pods", "-A", "-o", "name", "--field-selector", "metadata.namespace=foo")
    assert out.splitlines() == ["pod/other"]
    _, out, _ = server.kubectl("get", "pods", "-o", "name", "--field-selector", "status.phase=Pending,metadata.name!=web")
    assert out.splitlines() == ["pod/x1", "pod/x2"]


def test_get_pods_chunked(server):
    """--chunk-size=1: limit=1 and continue tokens; the pages merge into one table."""
    _, out, _ = server.kubectl("get", "pods", "--chunk-size=1")
    header, rows = parse_table(out)
    assert header[0] == "NAME"
    assert [r["NAME"] for r in rows] == DEFAULT_PODS
    assert "continue=" in server.log_text()


def test_get_pods_sort_by(server):
    """--sort-by asks for the full object in each Table row (includeObject=Object)."""
    _, out, _ = server.kubectl("get", "pods", "--sort-by=.metadata.labels.app", "-o", "name")
    assert out.splitlines()[0] == "pod/web"
    _, out, _ = server.kubectl("get", "pods", "--sort-by={.metadata.name}")
    _, rows = parse_table(out)
    assert [r["NAME"] for r in rows] == sorted(DEFAULT_PODS)


def test_get_all_category(server):
    """`get all` expands the "all" category from discovery: pods and services here."""
    _, out, _ = server.kubectl("get", "all")
    blocks = [b for b in out.split("\n\n") if b.strip()]
    assert len(blocks) == 2, out
    _, pods = parse_table(blocks[0])
    _, svcs = parse_table(blocks[1])
    assert [r["NAME"] for r in pods] == [f"pod/{n}" for n in DEFAULT_PODS]
    assert [r["NAME"] for r in svcs] == ["service/web"]


def test_get_namespace_scoped_other_namespace(server):
    _, out, _ = server.kubectl("get", "pods", "-n", "foo", "-o", "name")
    assert out.splitlines() == ["pod/other"]


def test_get_empty_namespace(server):
    rc, out, err = server.kubectl("get", "pods", "-n", "kube-public")
    assert rc == 0 and out == ""
    assert err.strip() == "No resources found in kube-public namespace."


MORE_KINDS = """\
apiVersion: v1
kind: Node
metadata:
  name: node-1
  labels:
    node-role.kubernetes.io/control-plane: ""
status:
  nodeInfo:
    kubeletVersion: v1.32.0
    osImage: Debian GNU/Linux 12
    kernelVersion: 6.1.0
    containerRuntimeVersion: containerd://1.7.0
  addresses:
  - type: InternalIP
    address: 10.0.0.5
  conditions:
  - type: Ready
    status: "True"
    reason: KubeletReady
    message: kubelet is posting ready status
    lastHeartbeatTime: "2026-01-01T00:00:00Z"
    lastTransitionTime: "2026-01-01T00:00:00Z"
---
apiVersion: v1
kind: Endpoints
metadata:
  name: web
subsets:
- addresses:
  - ip: 10.1.0.4
  ports:
  - port: 8080
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: builder
---
apiVersion: v1
kind: Event
metadata:
  name: web.1
involvedObject:
  kind: Pod
  name: web
  namespace: default
reason: Scheduled
message: Successfully assigned default/web to node-1
type: Normal
source:
  component: default-scheduler
count: 1
"""


@pytest.fixture(scope="module")
def more_kinds(server):
    _, out, _ = server.kubectl("create", "-f", "-", input=MORE_KINDS)
    assert out.splitlines() == ["node/node-1 created", "endpoints/web created",
                                "serviceaccount/builder created", "event/web.1 created"]


def test_get_nodes_table(server, more_kinds):
    _, out, _ = server.kubectl("get", "nodes")
    header, rows = parse_table(out)
    assert header == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
    n = table_row(rows, NAME="node-1")
    assert (n["STATUS"], n["ROLES"], n["VERSION"]) == ("Ready", "control-plane", "v1.32.0")
    _, out, _ = server.kubectl("get", "nodes", "-o", "wide")
    header, rows = parse_table(out)
    assert header == ["NAME", "STATUS", "ROLES", "AGE", "VERSION", "INTERNAL-IP", "EXTERNAL-IP",
                      "OS-IMAGE", "KERNEL-VERSION", "CONTAINER-RUNTIME"]
    n = table_row(rows, NAME="node-1")
    assert (n["INTERNAL-IP"], n["EXTERNAL-IP"], n["OS-IMAGE"], n["KERNEL-VERSION"], n["CONTAINER-RUNTIME"]) == \
        ("10.0.0.5", "<none>", "Debian GNU/Linux 12", "6.1.0", "containerd://1.7.0")


def test_get_endpoints_table(server, more_kinds):
    _, out, _ = server.kubectl("get", "endpoints")
    header, rows = parse_table(out)
    assert header == ["NAME", "ENDPOINTS", "AGE"]
    assert table_row(rows, NAME="web")["ENDPOINTS"] == "10.1.0.4:8080"


def test_get_serviceaccounts_table(server, more_kinds):
    _, out, _ = server.kubectl("get", "sa")
    header, rows = parse_table(out)
    assert header == ["NAME", "SECRETS", "AGE"]
    assert table_row(rows, NAME="builder")["SECRETS"] == "0"


def test_get_events_table(server, more_kinds):
    _, out, _ = server.kubectl("get", "events")
    header, rows = parse_table(out)
    assert header == ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    e = table_row(rows, REASON="Scheduled")
    assert (e["TYPE"], e["OBJECT"], e["MESSAGE"]) == ("Normal", "pod/web", "Successfully assigned default/web to node-1")
    _, out, _ = server.kubectl("get", "events", "-o", "wide")
    header, rows = parse_table(out)
    assert header == ["LAST SEEN", "TYPE", "REASON", "OBJECT", "SUBOBJECT", "SOURCE", "MESSAGE",
                      "FIRST SEEN", "COUNT", "NAME"]
    e = table_row(rows, NAME="web.1")
    assert (e["SOURCE"], e["COUNT"]) == ("default-scheduler", "1")


def test_get_events_field_selector(server, more_kinds):
    _, out, _ = server.kubectl("get", "events", "-o", "name",
                               "--field-selector", "involvedObject.kind=Pod,involvedObject.name=web")
    assert out.splitlines() == ["event/web.1"]
    rc, out, err = server.kubectl("get", "events", "-o", "name", "--field-selector", "involvedObject.name=other")
    assert out == ""


# ---- selectors and paging on more objects (own namespaces) ----------------------------------


def test_get_set_based_selectors(server):
    server.kubectl("create", "namespace", "sel")
    docs = []
    for name, labels in [("a", {"env": "prod", "tier": "web"}), ("b", {"env": "dev", "tier": "web"}),
                         ("c", {"env": "qa"}), ("d", {})]:
        lab = "".join(f"\n    {k}: {v}" for k, v in labels.items())
        docs.append(f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: sel\n"
                    + (f"  labels:{lab}\n" if labels else ""))
    server.kubectl("create", "-f", "-", input="---\n".join(docs))

    def names(selector):
        _, out, _ = server.kubectl("get", "cm", "-n", "sel", "-o", "name", "--selector", selector)
        return [n.removeprefix("configmap/") for n in out.splitlines()]

    assert names("env in (prod, dev)") == ["a", "b"]
    assert names("env notin (prod,dev)") == ["c", "d"]
    assert names("env,!tier") == ["c"]
    assert names("tier=web,env!=prod") == ["b"]
    assert names("env in (qa),tier notin (web)") == ["c"]
    assert names("!env") == ["d"]


def test_get_invalid_label_selector(server):
    rc, out, err = server.kubectl("get", "pods", "-l", "x in (a", check=False)
    assert rc == 1 and out == ""
    assert err.strip() == ('Error from server (BadRequest): Unable to find "/v1, Resource=pods" that match label '
                           "selector \"x in (a\", field selector \"\": unable to parse requirement: found '', "
                           "expected: ',' or ')'")


def test_get_unsupported_field_selector(server):
    rc, out, err = server.kubectl("get", "pods", "--field-selector", "spec.foo=bar", check=False)
    assert rc == 1 and out == ""
    assert err.strip() == ('Error from server (BadRequest): Unable to find "/v1, Resource=pods" that match label '
                           'selector "", field selector "spec.foo=bar": field label not supported: spec.foo')
    # Secrets have their own conversion (metadata.* and type) ...
    rc, _, err = server.kubectl("get", "secrets", "--field-selector", "data.x=1", check=False)
    assert rc == 1
    assert err.strip().endswith('field selector "data.x=1": field label not supported: data.x'), err
    # ... kinds without one (configmaps) get apimachinery's default conversion's message.
    rc, _, err = server.kubectl("get", "configmaps", "--field-selector", "data.x=1", check=False)
    assert rc == 1
    assert err.strip().endswith('field selector "data.x=1": "data.x" is not a known field selector: only '
                                '"metadata.name", "metadata.namespace"'), err


def test_get_chunk_size_many_objects(server):
    """--chunk-size=2 over 25 configmaps: 13 requests with limit=2, one table with every row."""
    server.kubectl("create", "namespace", "chunky")
    docs = [f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i:02d}\n  namespace: chunky\ndata:\n  i: \"{i}\"\n"
            for i in range(25)]
    server.kubectl("create", "-f", "-", input="---\n".join(docs))
    _, out, _ = server.kubectl("get", "cm", "-n", "chunky", "--chunk-size=2")
    header, rows = parse_table(out)
    assert header == ["NAME", "DATA", "AGE"]
    assert [r["NAME"] for r in rows] == [f"c{i:02d}" for i in range(25)]
    assert all(r["DATA"] == "1" for r in rows)
    requests = [ln for ln in server.log_text().splitlines()
                if 'URI="/api/v1/namespaces/chunky/configmaps?' in ln and "limit=2" in ln and 'verb="GET"' in ln]
    assert len(requests) == 13, requests
    assert sum("continue=" in ln for ln in requests) == 12
    # -o name pages the same way.
    _, out, _ = server.kubectl("get", "cm", "-n", "chunky", "--chunk-size=7", "-o", "name")
    assert out.splitlines() == [f"configmap/c{i:02d}" for i in range(25)]
