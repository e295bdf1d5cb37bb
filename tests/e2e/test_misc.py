"""kubectl version, get --raw, explain, describe, and the server's own lifecycle."""

import json
import re

import pytest

from e2e_helpers import POD_WEB

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


@pytest.fixture(scope="module", autouse=True)
def seeded(server):
    server.kubectl("create", "-f", "-", input=POD_WEB + "---\n" + SERVICE)


def test_version(server):
    _, out, _ = server.kubectl("version")
    assert re.search(r"^Server Version: v1\.32\.0\S*$", out, re.M), out
    v = server.kubectl_json("version")["serverVersion"]
    assert (v["major"], v["minor"]) == ("1", "32")
    assert v["gitVersion"].startswith("v1.32.0")
    assert v["platform"] == "linux/amd64"


def test_dispatcher_picked_kubectl_1_32(server):
    """The gcloud kubectl dispatcher reads /version and runs the matching client (1.32.4)."""
    server.kubectl("get", "ns")
    log = server.log_text()
    assert 'userAgent="kubectl-dispatcher/' in log
    assert 'userAgent="kubectl/v1.32.4 ' in log


@pytest.mark.parametrize("path", ["/healthz", "/livez", "/readyz"])
def test_raw_health(server, path):
    _, out, _ = server.kubectl("get", "--raw", path)
    assert out == "ok"


def test_raw_version(server):
    _, out, _ = server.kubectl("get", "--raw", "/version")
    assert json.loads(out)["minor"] == "32"


def test_explain_pods(server):
    _, out, _ = server.kubectl("explain", "pods")
    assert re.search(r"^KIND:\s+Pod$", out, re.M), out
    assert re.search(r"^VERSION:\s+v1$", out, re.M), out
    assert "FIELDS:" in out
    fields = re.findall(r"^  (\w+)\t<", out, re.M)
    assert {"apiVersion", "kind", "metadata", "spec", "status"} <= set(fields), out


def test_explain_nested_field(server):
    rc, out, err = server.kubectl("explain", "pods.spec.containers", check=False)
    assert rc == 0, err
    assert re.search(r"^FIELD:\s+containers <\[\]Container>$", out, re.M), out
    assert re.search(r"^  image\t<string>$", out, re.M), out


def test_describe_pod(server):
    _, out, _ = server.kubectl("describe", "pod", "web")
    fields = dict(re.findall(r"^(\w[\w ]*?):\s+(.*)$", out, re.M))
    assert fields["Name"] == "web"
    assert fields["Namespace"] == "default"
    assert fields["Status"] == "Pending"
    assert fields["Labels"] == "app=web"
    assert fields["QoS Class"] == "BestEffort"
    assert re.search(r"^\s+Image:\s+nginx:1\.27$", out, re.M), out
    assert re.search(r"^Events:\s+<none>$", out, re.M), out


def test_describe_pod_shows_its_events(server, manifests):
    """describe lists events with fieldSelector involvedObject.name/namespace/uid: only the pod's own."""
    uid = server.kubectl_json("get", "pod", "web")["metadata"]["uid"]
    events = []
    for name, obj_uid, reason, msg in [("web.a", uid, "Scheduled", "Successfully assigned default/web to node-1"),
                                       ("web.old", "00000000-0000-0000-0000-000000000000", "Killing",
                                        "an earlier pod named web")]:
        events.append(f"""\
apiVersion: v1
kind: Event
metadata:
  name: {name}
involvedObject:
  kind: Pod
  name: web
  namespace: default
  uid: {obj_uid}
reason: {reason}
message: {msg}
type: Normal
source:
  component: default-scheduler
count: 1
""")
    server.kubectl("create", "-f", "-", input="---\n".join(events))
    _, out, _ = server.kubectl("describe", "pod", "web")
    section = out[out.index("Events:"):]
    assert re.search(r"^\s+Type\s+Reason\s+Age\s+From\s+Message$", section, re.M), section
    assert re.search(r"^\s+Normal\s+Scheduled\s+\S+\s+default-scheduler\s+Successfully assigned default/web to node-1$",
                     section, re.M), section
    assert "Killing" not in section
    server.kubectl("delete", "events", "web.a", "web.old")


def test_describe_service(server):
    ip = server.kubectl_json("get", "svc", "web")["spec"]["clusterIP"]
    _, out, _ = server.kubectl("describe", "svc", "web")
    fields = dict(re.findall(r"^(\w[\w ]*?):\s+(.*)$", out, re.M))
    assert fields["Name"] == "web"
    assert fields["Type"] == "ClusterIP"
    assert fields["IP"] == ip
    assert fields["Selector"] == "app=web"


def test_describe_namespace(server):
    _, out, _ = server.kubectl("describe", "namespace", "default")
    fields = dict(re.findall(r"^(\w[\w ]*?):\s+(.*)$", out, re.M))
    assert fields["Name"] == "default"
    assert fields["Status"] == "Active"


def test_server_exits_0_on_sigterm(start_server):
    srv = start_server(name="srv-sigterm")
    srv.kubectl("get", "ns")
    assert srv.stop() == 0, srv.log_tail()
