"""kubectl version, get --raw, explain, describe, and the server's own lifecycle."""

import json
import re
from datetime import datetime, timedelta, timezone

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


def event_yaml(name, involved: dict, reason, message, type_="Normal", component="kubelet", count=1,
               namespace="default", minutes_ago=5) -> str:
    """A core v1 Event about `involved` (kind, name, uid, and namespace for namespaced objects)."""
    ts = (datetime.now(timezone.utc) - timedelta(minutes=minutes_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")
    inv = "\n".join(f"  {k}: {v}" for k, v in involved.items())
    return f"""\
apiVersion: v1
kind: Event
metadata:
  name: {name}
  namespace: {namespace}
involvedObject:
{inv}
reason: {reason}
message: {json.dumps(message)}
type: {type_}
source:
  component: {component}
firstTimestamp: "{ts}"
lastTimestamp: "{ts}"
count: {count}
"""


def events_section(out: str) -> str:
    return out[out.index("\nEvents:"):]


NODE = """\
apiVersion: v1
kind: Node
metadata:
  name: node-7
  labels:
    kubernetes.io/hostname: node-7
    node-role.kubernetes.io/worker: ""
spec:
  podCIDR: 10.244.7.0/24
  taints:
  - key: dedicated
    value: gpu
    effect: NoSchedule
status:
  capacity: {cpu: "4", memory: 8Gi, pods: "110"}
  allocatable: {cpu: "3800m", memory: 7Gi, pods: "110"}
  nodeInfo:
    kubeletVersion: v1.32.0
    osImage: Debian GNU/Linux 12
    kernelVersion: 6.1.0
    containerRuntimeVersion: containerd://1.7.0
    operatingSystem: linux
    architecture: amd64
  addresses:
  - type: InternalIP
    address: 10.0.0.7
  - type: Hostname
    address: node-7
  conditions:
  - type: MemoryPressure
    status: "False"
    reason: KubeletHasSufficientMemory
    message: kubelet has sufficient memory available
    lastHeartbeatTime: "2026-01-01T00:00:00Z"
    lastTransitionTime: "2026-01-01T00:00:00Z"
  - type: Ready
    status: "False"
    reason: KubeletNotReady
    message: container runtime network not ready
    lastHeartbeatTime: "2026-01-01T00:00:00Z"
    lastTransitionTime: "2026-01-01T00:00:00Z"
"""


def test_describe_node_with_conditions_and_events(server):
    server.kubectl("create", "-f", "-", input=NODE)
    uid = server.kubectl_json("get", "node", "node-7")["metadata"]["uid"]
    # Events about a cluster-scoped object live in "default", with an empty involvedObject.namespace.
    server.kubectl("create", "-f", "-", input="---\n".join([
        event_yaml("node-7.a", {"kind": "Node", "name": "node-7", "uid": uid}, "NodeNotReady",
                   "Node node-7 status is now: NodeNotReady", type_="Warning", count=3),
        event_yaml("node-7.other", {"kind": "Node", "name": "node-8", "uid": "node-8"}, "Rebooted",
                   "not about node-7"),
    ]))
    _, out, _ = server.kubectl("describe", "node", "node-7")
    fields = dict(re.findall(r"^(\w[\w ]*?):\s+(.*)$", out, re.M))
    assert fields["Name"] == "node-7"
    assert fields["Roles"] == "worker"
    assert fields["Taints"] == "dedicated=gpu:NoSchedule"
    assert fields["Unschedulable"] == "false"
    assert fields["PodCIDR"] == "10.244.7.0/24"
    cond = out[out.index("Conditions:"):out.index("Addresses:")]
    assert re.search(r"^\s+MemoryPressure\s+False\s+.*KubeletHasSufficientMemory\s+kubelet has sufficient memory "
                     r"available$", cond, re.M), cond
    assert re.search(r"^\s+Ready\s+False\s+.*KubeletNotReady\s+container runtime network not ready$", cond, re.M), cond
    assert re.search(r"^\s+InternalIP:\s+10\.0\.0\.7$", out, re.M), out
    assert re.search(r"^\s+Kubelet Version:\s+v1\.32\.0$", out, re.M), out
    assert re.search(r"^\s+cpu:\s+3800m$", out, re.M), out  # allocatable
    ev = events_section(out)
    assert re.search(r"^\s+Warning\s+NodeNotReady\s+\S+ \(x3 over \S+\)\s+kubelet\s+"
                     r"Node node-7 status is now: NodeNotReady$", ev, re.M), ev
    assert "Rebooted" not in ev


def test_describe_service_with_events(server):
    uid = server.kubectl_json("get", "svc", "web")["metadata"]["uid"]
    server.kubectl("create", "-f", "-", input="---\n".join([
        event_yaml("web.svc", {"apiVersion": "v1", "kind": "Service", "name": "web", "namespace": "default",
                               "uid": uid}, "EnsuringLoadBalancer", "Ensuring load balancer",
                   component="service-controller"),
        event_yaml("web.pod-not-svc", {"kind": "Pod", "name": "web", "namespace": "default", "uid": uid},
                   "Pulled", "an event about the pod named web"),
    ]))
    _, out, _ = server.kubectl("describe", "service", "web")
    fields = dict(re.findall(r"^(\w[\w ]*?):\s+(.*)$", out, re.M))
    assert fields["Port"] == "<unset>  80/TCP"
    assert fields["TargetPort"] == "8080/TCP"
    ev = events_section(out)
    assert re.search(r"^\s+Type\s+Reason\s+Age\s+From\s+Message$", ev, re.M), ev
    assert re.search(r"^\s+Normal\s+EnsuringLoadBalancer\s+\d+m\d*s?\s+service-controller\s+Ensuring load balancer$",
                     ev, re.M), ev
    assert "Pulled" not in ev  # kind=Service is part of describe's field selector
    server.kubectl("delete", "events", "web.svc", "web.pod-not-svc")


def test_describe_terminating_namespace(server):
    """describe ns shows the phase. kubectl's namespace describer does not list events at all (it
    asks for the namespace, resourcequotas and limitranges only), so an event about the namespace
    does not show up, against kube-apiserver too."""
    server.kubectl("create", "namespace", "leaving")
    uid = server.kubectl_json("get", "namespace", "leaving")["metadata"]["uid"]
    server.kubectl("create", "-f", "-", input=event_yaml("leaving.1", {"kind": "Namespace", "name": "leaving",
                                                                       "uid": uid}, "Deleting", "about the namespace"))
    server.kubectl("create", "configmap", "held", "-n", "leaving")
    server.kubectl("patch", "configmap", "held", "-n", "leaving", "--type=merge",
                   "-p", '{"metadata":{"finalizers":["example.com/hold"]}}')
    server.kubectl("delete", "namespace", "leaving", "--wait=false")
    _, out, _ = server.kubectl("describe", "namespace", "leaving")
    fields = dict(re.findall(r"^(\w[\w ]*?):\s+(.*)$", out, re.M))
    assert fields["Name"] == "leaving"
    assert fields["Status"] == "Terminating"
    assert fields["Labels"] == "kubernetes.io/metadata.name=leaving"
    assert "Events:" not in out and "about the namespace" not in out
    server.kubectl("patch", "configmap", "held", "-n", "leaving", "--type=json",
                   "-p", '[{"op":"remove","path":"/metadata/finalizers"}]')
    server.kubectl("wait", "--for=delete", "namespace/leaving", "--timeout=20s")


def test_server_exits_0_on_sigterm(start_server):
    srv = start_server(name="srv-sigterm")
    srv.kubectl("get", "ns")
    assert srv.stop() == 0, srv.log_tail()
