"""Several apiserver-host processes sharing one real etcd: what one writes the others see
(including watches), and conflicting writes through different hosts are detected."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request

import pytest

from e2e_server import server_config
from etcd_process import ETCD, Etcd

pytestmark = pytest.mark.skipif(not os.path.exists(ETCD), reason="etcd is not installed")


@pytest.fixture(scope="module")
def etcd(tmp_path_factory):
    e = Etcd(tmp_path_factory.mktemp("etcd")).start()
    yield e
    e.stop()


def etcd_config(etcd: Etcd, prefix: str) -> dict:
    return server_config(extra={"storage": {"backend": "etcd3", "prefix": prefix, "etcd": {"servers": [etcd.url]}}})


def put(url: str, path: str, body: dict) -> tuple[int, dict]:
    req = urllib.request.Request(url + path, data=json.dumps(body).encode(), method="PUT",
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_a_write_through_one_host_reaches_a_watch_on_the_other(etcd, start_server):
    a = start_server(etcd_config(etcd, "/two-hosts"), name="host-a")
    b = start_server(etcd_config(etcd, "/two-hosts"), name="host-b")
    watch = b.kubectl_bg("get", "configmaps", "-w", "--output-watch-events", "-o", "name")
    try:
        b.wait_for_log(r"watch=true", what="kubectl's watch request")
        a.kubectl("create", "configmap", "shared", "--from-literal=k=v")
        watch.wait_for(lambda out: "configmap/shared" in out, what="the ADDED event from the other host")
    finally:
        watch.stop()
    cm = b.kubectl_json("get", "configmap", "shared")
    assert cm["data"] == {"k": "v"}
    # Both hosts hand out resource versions from the same etcd revision counter.
    assert a.kubectl_json("get", "configmap", "shared")["metadata"]["resourceVersion"] == \
        cm["metadata"]["resourceVersion"]


def test_conflicting_updates_through_two_hosts(etcd, start_server):
    a = start_server(etcd_config(etcd, "/conflict"), name="host-a")
    b = start_server(etcd_config(etcd, "/conflict"), name="host-b")
    a.kubectl("create", "configmap", "contended", "--from-literal=n=0")
    cm = a.kubectl_json("get", "configmap", "contended")
    path = "/api/v1/namespaces/default/configmaps/contended"
    first = dict(cm, data={"n": "a"})
    second = dict(cm, data={"n": "b"})
    code_a, _ = put(a.url, path, first)
    code_b, status = put(b.url, path, second)
    assert code_a == 200
    assert code_b == 409, status
    assert status["reason"] == "Conflict"
    assert b.kubectl_json("get", "configmap", "contended")["data"] == {"n": "a"}


def test_kubectl_basics_on_etcd(etcd, start_server):
    srv = start_server(etcd_config(etcd, "/basics"), name="etcd-host")
    srv.kubectl("create", "namespace", "team")
    srv.kubectl("create", "configmap", "c", "-n", "team", "--from-literal=a=b")
    assert srv.kubectl_json("get", "configmap", "c", "-n", "team")["data"] == {"a": "b"}
    _, out, _ = srv.kubectl("get", "namespaces")
    assert "team" in out
    _, out, _ = srv.kubectl("delete", "configmap", "c", "-n", "team")
    assert out.strip() == 'configmap "c" deleted'
