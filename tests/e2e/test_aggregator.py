"""The aggregator: two apiserver-host processes that kubectl sees as one API (issue 5).

B serves the sample plugin (samples.example.com/v1alpha1 Gadget) on a port of its own. A serves
core and the aggregator. On A, a Service points at B and an APIService v1alpha1.samples.example.com
names the Service; everything kubectl does through A is checked on B directly.

The Service is an ExternalName Service (externalName 127.0.0.1, the port with appProtocol http):
kube's Endpoints validation refuses loopback addresses, so an Endpoints object cannot name a
backend on 127.0.0.1 (the Endpoints route is covered by the aggregator's unit tests). appProtocol
http makes A speak plain HTTP to B, whose secure port is off in this suite.

Also here: the identity headers A sends (a stub backend records them), B going away and coming
back on the same port, and APIServices that are refused or reported in status.
"""

from __future__ import annotations

import base64
import http.client
import json
import ssl
import subprocess
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from e2e_helpers import parse_table
from e2e_server import LIVE_SERVERS, ApiServer, _die_with_parent, server_config, stop_servers

GROUP = "samples.example.com"
VERSION = "v1alpha1"
APISERVICE = f"{VERSION}.{GROUP}"
UNAVAILABLE = "the server is currently unable to handle the request"
DETECT_WITHIN = 15.0  # seconds: a backend that went away is Available=False by then


class PinnedPortServer(ApiServer):
    """An ApiServer that, once started, is restarted on the port it first got (the backend that
    goes away and comes back where the Service says it is)."""

    pinned_port: int | None = None

    def start(self) -> "PinnedPortServer":
        if self.pinned_port is None:
            super().start()
            self.pinned_port = self.port
            return self
        # ApiServer.start with the pinned port instead of 0.
        self.config_path.write_text(yaml.safe_dump(self.config, sort_keys=False))
        args = [str(self.binary), "--config", str(self.config_path), "--insecure-port", str(self.pinned_port),
                "--bind-address", "127.0.0.1", *self.extra_args]
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(args, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     cwd=self.workdir, preexec_fn=_die_with_parent)
        LIVE_SERVERS.append(self)
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def kill(self) -> None:
        """SIGKILL, as a crash: no graceful shutdown."""
        self.proc.kill()
        self.proc.wait()
        self.stop()


def service_manifest(name: str, port: int, ns: str = "default") -> dict:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns},
            "spec": {"type": "ExternalName", "externalName": "127.0.0.1",
                     "ports": [{"name": "http", "port": port, "appProtocol": "http"}]}}


def apiservice_manifest(group: str, version: str, service: str, port: int, **spec) -> dict:
    body = {"group": group, "version": version, "groupPriorityMinimum": 1000, "versionPriority": 15,
            "service": {"namespace": "default", "name": service, "port": port}}
    body.update(spec)
    return {"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
            "metadata": {"name": f"{version}.{group}"}, "spec": body}


def apply(srv: ApiServer, *objs: dict) -> None:
    srv.kubectl("apply", "-f", "-", input="\n---\n".join(yaml.safe_dump(o) for o in objs))


def available(srv: ApiServer, name: str) -> dict:
    """The Available condition of an APIService ({} while there is none)."""
    status, _, body = srv.http("GET", f"/apis/apiregistration.k8s.io/v1/apiservices/{name}")
    assert status == 200, body
    for c in json.loads(body).get("status", {}).get("conditions", []):
        if c["type"] == "Available":
            return c
    return {}


def wait_available(srv: ApiServer, name: str, status: str, timeout: float = DETECT_WITHIN) -> tuple[dict, float]:
    """Poll (on A's own store, never touching the backend) until the condition has `status`.
    Returns the condition and how long it took."""
    start = time.monotonic()
    cond: dict = {}
    while time.monotonic() - start < timeout:
        cond = available(srv, name)
        if cond.get("status") == status:
            return cond, time.monotonic() - start
        time.sleep(0.1)
    raise AssertionError(f"APIService {name} not Available={status} within {timeout}s; last: {cond}\n"
                         f"{srv.log_tail(40)}")


@pytest.fixture(scope="module")
def pair(binary, tmp_path_factory):
    """B (core + sample) and A (core + aggregator), wired: Service and APIService on A."""
    b = PinnedPortServer(binary, tmp_path_factory.mktemp("srv-agg-b"),
                         server_config(extra={"plugins": {"enabled": ["core", "sample"]},
                                              "authorization": {"modes": ["AlwaysAllow"]}}), "agg-b").start()
    a = ApiServer(binary, tmp_path_factory.mktemp("srv-agg-a"),
                  server_config(extra={"plugins": {"enabled": ["core", "aggregator"]},
                                       "authorization": {"modes": ["AlwaysAllow"]}}), "agg-a").start()
    try:
        apply(a, service_manifest("sample-api", b.pinned_port), apiservice_manifest(GROUP, VERSION, "sample-api",
                                                                                   b.pinned_port))
        wait_available(a, APISERVICE, "True")
        yield a, b
    finally:
        stop_servers(a, b)


def gadget(name: str, ns: str, size: int = 3, **spec) -> str:
    body = {"size": size, **spec}
    return yaml.safe_dump({"apiVersion": f"{GROUP}/{VERSION}", "kind": "Gadget",
                           "metadata": {"name": name, "namespace": ns}, "spec": body})


def on_b(b: ApiServer, ns: str, name: str = "") -> tuple[int, dict]:
    path = f"/apis/{GROUP}/{VERSION}/namespaces/{ns}/gadgets" + (f"/{name}" if name else "")
    status, _, body = b.http("GET", path)
    return status, json.loads(body)


# ---- discovery and the APIService table -----------------------------------------------------


def test_get_apiservices_prints_service_and_availability(pair):
    a, _ = pair
    _, out, _ = a.kubectl("get", "apiservices")
    names, table = parse_table(out)
    assert names == ["NAME", "SERVICE", "AVAILABLE", "AGE"]
    rows = {r["NAME"]: r for r in table}
    assert rows["v1."]["SERVICE"] == "Local" and rows["v1."]["AVAILABLE"] == "True"
    assert rows["v1.apiregistration.k8s.io"]["SERVICE"] == "Local"
    assert rows[APISERVICE]["SERVICE"] == "default/sample-api"
    assert rows[APISERVICE]["AVAILABLE"] == "True"
    cond = available(a, APISERVICE)
    assert (cond["reason"], cond["message"]) == ("Passed", "all checks passed")
    local = available(a, "v1.")
    assert (local["reason"], local["message"]) == ("Local", "Local APIServices are always available")


def test_api_resources_and_versions_list_the_remote_group(pair):
    a, _ = pair
    _, out, _ = a.kubectl("api-resources")
    rows = [r for r in parse_table(out)[1] if r["NAME"] == "gadgets"]
    assert rows == [{"NAME": "gadgets", "SHORTNAMES": "gd", "APIVERSION": f"{GROUP}/{VERSION}",
                     "NAMESPACED": "true", "KIND": "Gadget"}]
    _, out, _ = a.kubectl("api-versions")
    assert f"{GROUP}/{VERSION}" in out.split()
    assert "apiregistration.k8s.io/v1" in out.split()
    # The legacy documents too: /apis lists the group (after apiregistration.k8s.io, first as in
    # kube), /apis/<group> is the aggregator's, /apis/<group>/<version> is B's own.
    _, _, body = a.http("GET", "/apis")
    names = [g["name"] for g in json.loads(body)["groups"]]
    assert names[0] == "apiregistration.k8s.io" and GROUP in names
    status, _, body = a.http("GET", f"/apis/{GROUP}")
    assert status == 200 and json.loads(body)["preferredVersion"]["version"] == VERSION
    _, _, body = a.http("GET", f"/apis/{GROUP}/{VERSION}")
    assert [r["name"] for r in json.loads(body)["resources"]] == ["gadgets", "gadgets/status"]


def test_explain_through_the_aggregator(pair):
    a, _ = pair
    _, out, _ = a.kubectl("explain", "gadgets.spec")
    assert "GadgetSpec is the desired state of a Gadget." in out
    assert "size\t<integer> -required-" in out
    assert "parts\t<[]GadgetPart>" in out


# ---- resources through A, stored in B ---------------------------------------------------------


def test_create_get_patch_delete_through_a_are_stored_in_b(pair, tmp_path):
    a, b = pair
    b.kubectl("create", "namespace", "crud")
    manifest = tmp_path / "g1.yaml"
    manifest.write_text(gadget("g1", "crud", parts=[{"name": "gear", "count": 2}]))
    # create -f validates against the OpenAPI document A merges in from B (fieldValidation=Strict).
    _, out, _ = a.kubectl("create", "-f", manifest)
    assert out.strip() == f"gadget.{GROUP}/g1 created"
    status, stored = on_b(b, "crud", "g1")
    assert status == 200 and stored["spec"] == {"size": 3, "color": "blue", "parts": [{"name": "gear", "count": 2}]}

    # B's controller marks it Ready through the status subresource; A's table shows B's columns.
    deadline = time.monotonic() + 10
    while True:
        _, out, _ = a.kubectl("get", "gadgets", "-n", "crud")
        names, rows = parse_table(out)
        if rows and rows[0]["PHASE"] == "Ready" or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert names == ["NAME", "SIZE", "COLOR", "PHASE", "AGE"]
    assert {k: rows[0][k] for k in ("NAME", "SIZE", "COLOR", "PHASE")} == {
        "NAME": "g1", "SIZE": "3", "COLOR": "blue", "PHASE": "Ready"}
    _, out, _ = a.kubectl("get", "gd", "g1", "-n", "crud", "-o", "yaml")
    obj = yaml.safe_load(out)
    assert obj["metadata"]["uid"] == stored["metadata"]["uid"]
    assert obj["status"]["phase"] == "Ready"

    # A strategic merge patch merges parts by name (the schema's patch merge key, on B).
    a.kubectl("patch", "gadget", "g1", "-n", "crud", "-p",
              json.dumps({"spec": {"color": "red", "parts": [{"name": "spring", "count": 1}]}}))
    _, stored = on_b(b, "crud", "g1")
    assert stored["spec"]["color"] == "red"
    assert sorted(p["name"] for p in stored["spec"]["parts"]) == ["gear", "spring"]
    _, out, _ = a.kubectl("get", "gadgets", "-n", "crud", "--field-selector", "spec.color=red", "-o", "name")
    assert out.strip() == f"gadget.{GROUP}/g1"

    # B's validation errors come back through A as they are.
    rc, _, err = a.kubectl("create", "-f", "-", input=gadget("bad", "crud", size=0), check=False)
    assert rc != 0
    assert (f'The Gadget "bad" is invalid: spec.size: Invalid value: 0: must be between 1 and 100, inclusive'
            in err)

    _, out, _ = a.kubectl("delete", "gadget", "g1", "-n", "crud")
    assert out.strip() == f'gadget.{GROUP} "g1" deleted'
    status, _ = on_b(b, "crud", "g1")
    assert status == 404


def test_watch_through_a_sees_events_as_they_happen(pair):
    a, b = pair
    b.kubectl("create", "namespace", "watched")
    watch = a.kubectl_bg("get", "gadgets", "-n", "watched", "-w", "--output-watch-events", "-L", "tier")
    try:
        # The watch is open once kubectl has listed (empty) and asks again; give it the first event.
        b.kubectl("create", "-f", "-", input=gadget("w1", "watched"))
        watch.wait_for(lambda o: "ADDED" in o and "w1" in o, timeout=15, what="the ADDED event")
        # Each further change shows up while the stream is still open.
        b.kubectl("label", "gadget", "w1", "-n", "watched", "tier=gold")
        # (B's controller's status write may be a MODIFIED event too, or already in the listed
        # object: the label's event is the one whose TIER column says gold.)
        watch.wait_for(lambda o: any(l.startswith("MODIFIED") and l.rstrip().endswith("gold") for l in o.splitlines()),
                       timeout=15, what="the MODIFIED event of the label")
        a.kubectl("delete", "gadget", "w1", "-n", "watched")
        watch.wait_for(lambda o: "DELETED" in o, timeout=15, what="the DELETED event")
        assert watch.proc.poll() is None, "the watch ended early"
    finally:
        watch.stop()


# ---- identity headers -------------------------------------------------------------------------


class StubBackend:
    """A tiny HTTP backend for group stub.example.com/v1 that records the requests it gets."""

    def __init__(self):
        self.requests: list[tuple[str, str, dict]] = []  # method, path, headers (names lower-cased)
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                stub.requests.append(("GET", self.path, {k.lower(): v for k, v in self.headers.items()}))
                stub.headers_all.append(list(self.headers.items()))
                path = urllib.parse.urlparse(self.path).path
                if path == "/apis/stub.example.com/v1":
                    body = {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "stub.example.com/v1",
                            "resources": [{"name": "things", "singularName": "thing", "namespaced": True,
                                           "kind": "Thing", "verbs": ["get", "list"]}]}
                elif path.startswith("/apis/stub.example.com/v1/"):
                    body = {"kind": "ThingList", "apiVersion": "stub.example.com/v1", "metadata": {}, "items": []}
                else:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Connection", "keep-alive, X-Stub-Hop")
                self.send_header("X-Stub-Hop", "must not reach the client")
                self.send_header("X-Stub", "seen")
                self.end_headers()
                self.wfile.write(data)

        self.headers_all: list[list[tuple[str, str]]] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def stub(pair):
    a, _ = pair
    s = StubBackend()
    try:
        apply(a, service_manifest("stub-api", s.port), apiservice_manifest("stub.example.com", "v1", "stub-api", s.port))
        wait_available(a, "v1.stub.example.com", "True")
        yield s
    finally:
        a.kubectl("delete", "apiservice", "v1.stub.example.com", "--ignore-not-found")
        s.stop()


def test_identity_headers_are_what_a_authenticated(pair, stub):
    a, _ = pair
    # The availability check identifies itself as kube's does.
    checks = [h for m, p, h in stub.requests if p == "/apis/stub.example.com/v1"]
    assert checks and checks[0]["x-remote-user"] == "system:kube-aggregator"
    assert checks[0]["x-remote-group"] == "system:masters"

    # A request with forged identity, credentials and hop-by-hop fields (http.client, which sends
    # the Connection field it is given; urllib would replace it).
    conn = http.client.HTTPConnection("127.0.0.1", a.port, timeout=10)
    conn.request("GET", "/apis/stub.example.com/v1/namespaces/default/things?limit=5", headers={
        "X-Remote-User": "mallory", "X-Remote-Group": "system:masters", "X-Remote-Extra-Scopes": "all",
        "Authorization": "Bearer stolen", "Connection": "keep-alive, X-Private", "X-Private": "hop",
        "User-Agent": "e2e-identity"})
    resp = conn.getresponse()
    status, headers, body = resp.status, dict(resp.getheaders()), resp.read()
    conn.close()
    assert status == 200, body
    assert headers.get("X-Stub") == "seen"
    assert "X-Stub-Hop" not in headers
    _, path, seen = [r for r in stub.requests if r[2].get("user-agent") == "e2e-identity"][-1]
    assert path == "/apis/stub.example.com/v1/namespaces/default/things?limit=5"
    # A's insecure port authenticates every request as kube's system:unsecured: that is the user B
    # is told about, in every group it has, and nothing the client claimed.
    assert seen["x-remote-user"] == "system:unsecured"
    raw = [hs for hs in stub.headers_all if ("User-Agent", "e2e-identity") in hs][-1]
    assert [v for k, v in raw if k.lower() == "x-remote-group"] == ["system:masters", "system:authenticated"]
    for forbidden in ("x-remote-extra-scopes", "authorization", "x-private"):
        assert forbidden not in seen, forbidden
    assert seen["x-forwarded-for"] == "127.0.0.1"
    assert seen["host"] == f"127.0.0.1:{stub.port}"


# ---- refused or reported ----------------------------------------------------------------------


def test_an_apiservice_naming_a_missing_service_reports_it(pair):
    a, _ = pair
    apply(a, apiservice_manifest("missing.example.com", "v1", "nope", 443))
    try:
        cond, _ = wait_available(a, "v1.missing.example.com", "False", timeout=10)
        assert cond["reason"] == "ServiceNotFound"
        assert cond["message"] == 'service/nope in "default" is not present'
        _, out, _ = a.kubectl("get", "apiservice", "v1.missing.example.com")
        assert parse_table(out)[1][0]["AVAILABLE"] == "False (ServiceNotFound)"
        status, _, body = a.http("GET", "/apis/missing.example.com/v1")
        assert status == 503 and json.loads(body)["message"] == UNAVAILABLE
        _, _, body = a.http("GET", "/apis")
        assert "missing.example.com" not in [g["name"] for g in json.loads(body)["groups"]]
    finally:
        a.kubectl("delete", "apiservice", "v1.missing.example.com")


def test_a_malformed_ca_bundle(pair):
    a, b = pair
    # Not base64 at all: refused as kube's decoder refuses it.
    obj = apiservice_manifest("tls.example.com", "v1", "sample-api", b.pinned_port, caBundle="%%%not-base64")
    rc, _, err = a.kubectl("create", "-f", "-", input=yaml.safe_dump(obj), check=False)
    assert rc != 0
    assert ('APIService in version "v1" cannot be handled as a APIService: illegal base64 data at input byte 0'
            in err)
    # Base64, but no certificate in it: taken, and reported by the availability check.
    svc = service_manifest("tls-api", b.pinned_port)
    svc["spec"]["ports"][0].pop("appProtocol")  # https, where a caBundle matters
    obj = apiservice_manifest("tls.example.com", "v1", "tls-api", b.pinned_port,
                              caBundle=base64.b64encode(b"hello, not a certificate").decode())
    apply(a, svc, obj)
    try:
        cond, _ = wait_available(a, "v1.tls.example.com", "False", timeout=10)
        assert cond["reason"] == "FailedDiscoveryCheck"
        assert cond["message"].endswith("unable to load root certificates: unable to parse bytes as PEM block")
    finally:
        a.kubectl("delete", "apiservice", "v1.tls.example.com")
        a.kubectl("delete", "service", "tls-api")


def test_a_group_this_server_serves_cannot_be_delegated(pair):
    a, b = pair
    obj = apiservice_manifest("apiregistration.k8s.io", "v2", "sample-api", b.pinned_port)
    rc, _, err = a.kubectl("create", "-f", "-", input=yaml.safe_dump(obj), check=False)
    assert rc != 0
    assert ('The APIService "v2.apiregistration.k8s.io" is invalid: spec.service: Forbidden: group '
            '"apiregistration.k8s.io" is served by this server itself; its versions cannot be delegated to a service'
            in err)
    # The local ones exist already, under their names.
    obj = apiservice_manifest("", "v1", "sample-api", b.pinned_port)
    del obj["spec"]["service"]
    rc, _, err = a.kubectl("create", "-f", "-", input=yaml.safe_dump(obj), check=False)
    assert rc != 0 and 'apiservices.apiregistration.k8s.io "v1." already exists' in err


@pytest.mark.parametrize("spec,name,message", [
    ({}, "v1.wrong.example.com", 'metadata.name: Invalid value: "v1.wrong.example.com": must be '
                                 '`spec.version+"."+spec.group`: "v1.right.example.com"'),
    ({"groupPriorityMinimum": 0}, None, "spec.groupPriorityMinimum: Invalid value: 0: must be positive and less "
                                        "than 20000"),
    ({"versionPriority": 1001}, None, "spec.versionPriority: Invalid value: 1001: must be positive and less than "
                                      "1000"),
    ({"insecureSkipTLSVerify": True, "caBundle": base64.b64encode(b"x").decode()}, None,
     "spec.insecureSkipTLSVerify: Invalid value: true: may not be true if caBundle is present"),
], ids=["name", "group-priority", "version-priority", "insecure-with-ca"])
def test_apiservice_validation_is_kubes(pair, spec, name, message):
    a, _ = pair
    obj = apiservice_manifest("right.example.com", "v1", "sample-api", 443, **spec)
    if name:
        obj["metadata"]["name"] = name
    rc, _, err = a.kubectl("create", "-f", "-", input=yaml.safe_dump(obj), check=False)
    assert rc != 0
    assert message in err


# ---- the backend goes away and comes back -----------------------------------------------------


def test_backend_down_then_back(pair, tmp_path):
    a, b = pair
    b.kill()
    # Nothing asks A for the group meanwhile: the availability check finds it out by itself.
    cond, took = wait_available(a, APISERVICE, "False", timeout=DETECT_WITHIN)
    assert took < DETECT_WITHIN
    assert cond["reason"] == "FailedDiscoveryCheck"
    assert cond["message"].startswith(f"failing or missing response from http://127.0.0.1:{b.pinned_port}/apis/{GROUP}/"
                                      f"{VERSION}:")
    assert cond["message"].endswith(f"dial tcp 127.0.0.1:{b.pinned_port}: connect: connection refused")
    _, out, _ = a.kubectl("get", "apiservice", APISERVICE)
    assert parse_table(out)[1][0]["AVAILABLE"] == "False (FailedDiscoveryCheck)"

    # Requests for the group: 503, and the group is out of discovery.
    status, _, body = a.http("GET", f"/apis/{GROUP}/{VERSION}/namespaces/default/gadgets")
    assert status == 503 and json.loads(body)["reason"] == "ServiceUnavailable"
    rc, _, err = a.kubectl("get", "--raw", f"/apis/{GROUP}/{VERSION}", check=False)
    assert rc != 0 and f"Error from server (ServiceUnavailable): {UNAVAILABLE}" in err
    _, _, body = a.http("GET", "/apis")
    assert GROUP not in [g["name"] for g in json.loads(body)["groups"]]
    fresh = ["--cache-dir", str(tmp_path / "cache-down")]
    _, out, _ = a.kubectl(*fresh, "api-resources")
    assert "gadgets" not in out

    # B comes back on its port: A finds it by itself.
    b.start()
    cond, took = wait_available(a, APISERVICE, "True", timeout=DETECT_WITHIN)
    assert cond["reason"] == "Passed"
    _, out, _ = a.kubectl("--cache-dir", str(tmp_path / "cache-up"), "api-resources")
    assert "gadgets" in out
    _, out, _ = a.kubectl("get", "gadgets", "-A")


# ---- the whole kube chain: authenticated at A, believed by B ----------------------------------


def openssl(cwd: Path, *args: str) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_certs(d: Path) -> None:
    """A front-proxy CA and the proxy's client certificate (CN front-proxy-client); a serving CA
    and B's serving certificate for the Service's name (sample-secure.default.svc)."""
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl(d, "req", "-x509", *ec, "-keyout", "fp-ca.key", "-out", "fp-ca.crt", "-subj", "/CN=front-proxy-ca",
            "-days", "1")
    openssl(d, "req", *ec, "-keyout", "proxy.key", "-out", "proxy.csr", "-subj", "/CN=front-proxy-client")
    (d / "client.ext").write_text("extendedKeyUsage=clientAuth\n")
    openssl(d, "x509", "-req", "-in", "proxy.csr", "-CA", "fp-ca.crt", "-CAkey", "fp-ca.key", "-CAcreateserial",
            "-out", "proxy.crt", "-days", "1", "-extfile", "client.ext")
    openssl(d, "req", "-x509", *ec, "-keyout", "srv-ca.key", "-out", "srv-ca.crt", "-subj", "/CN=sample-ca",
            "-days", "1")
    openssl(d, "req", *ec, "-keyout", "b.key", "-out", "b.csr", "-subj", "/CN=sample-secure")
    (d / "server.ext").write_text("subjectAltName=DNS:sample-secure.default.svc\nextendedKeyUsage=serverAuth\n")
    openssl(d, "x509", "-req", "-in", "b.csr", "-CA", "srv-ca.crt", "-CAkey", "srv-ca.key", "-CAcreateserial",
            "-out", "b.crt", "-days", "1", "-extfile", "server.ext")


class SecurePortServer(ApiServer):
    """An ApiServer with its secure port on too (a free port, read from the log)."""

    def __init__(self, binary, workdir, config, name, args: list[str]):
        super().__init__(binary, workdir, config, name)
        self.extra_args = ["--secure-port", "0", *args]
        self.secure_port: int | None = None

    def start(self) -> "SecurePortServer":
        super().start()
        self.secure_port = int(self.wait_for_log(r"Serving securely on 127\.0\.0\.1:(\d+)").group(1))
        return self

    def as_user(self, token: str, *args, input: str | None = None) -> tuple[int, str, str]:
        """kubectl over HTTPS with a bearer token (server verified against the generated CA)."""
        kc = self.workdir / f"kubeconfig-{token}"
        kc.write_text(yaml.safe_dump({
            "apiVersion": "v1", "kind": "Config",
            "clusters": [{"name": "s", "cluster": {"server": f"https://127.0.0.1:{self.secure_port}",
                                                   "certificate-authority": str(self.workdir / "data/pki/ca.crt")}}],
            "users": [{"name": "u", "user": {"token": token}}],
            "contexts": [{"name": "c", "context": {"cluster": "s", "user": "u"}}], "current-context": "c"}))
        p = subprocess.run(["kubectl", f"--kubeconfig={kc}", f"--cache-dir={self.cache_dir}-{token}", *map(str, args)],
                           capture_output=True, text=True, timeout=60, env=self._env(), input=input)
        return p.returncode, p.stdout, p.stderr


@pytest.fixture(scope="module")
def secure_pair(binary, tmp_path_factory):
    """B on HTTPS, believing the front proxy's identity headers (requestheader authentication)
    and authorizing with RBAC; A authenticating users by token and presenting the front-proxy
    client certificate to B, which it verifies against B's CA."""
    certs = tmp_path_factory.mktemp("agg-certs")
    make_certs(certs)
    b = SecurePortServer(binary, tmp_path_factory.mktemp("srv-agg-sb"), server_config(extra={
        "plugins": {"enabled": ["core", "sample", {"name": "rbac", "config": {"bootstrapPolicy": True}}]},
        "serving": {"tlsCertFile": str(certs / "b.crt"), "tlsPrivateKeyFile": str(certs / "b.key")},
        "authentication": {"requestHeader": {"clientCAFile": str(certs / "fp-ca.crt"),
                                             "allowedNames": ["front-proxy-client"]}}}), "agg-sb", []).start()
    b.certs = certs
    tokens = certs / "tokens.csv"
    tokens.write_text("alice-token,alice,1\nbob-token,bob,2\n")
    a = SecurePortServer(binary, tmp_path_factory.mktemp("srv-agg-sa"), server_config(extra={
        "plugins": {"enabled": ["core", {"name": "aggregator", "config": {
            "proxyClientCertFile": str(certs / "proxy.crt"), "proxyClientKeyFile": str(certs / "proxy.key")}}]},
        "authorization": {"modes": ["AlwaysAllow"]}}), "agg-sa", ["--token-auth-file", str(tokens)]).start()
    try:
        svc = service_manifest("sample-secure", b.secure_port)
        svc["spec"]["ports"][0].pop("appProtocol")  # HTTPS, as kube always speaks to a backend
        apply(a, svc, apiservice_manifest(GROUP, VERSION, "sample-secure", b.secure_port,
                                          caBundle=base64.b64encode((certs / "srv-ca.crt").read_bytes()).decode()))
        # On B: alice may edit gadgets in "sec"; bob may do nothing there.
        b.kubectl("create", "namespace", "sec")
        b.kubectl("create", "role", "gadget-editor", "-n", "sec", "--verb=get,list,watch,create,delete",
                  f"--resource=gadgets.{GROUP}")
        b.kubectl("create", "rolebinding", "alice-edits", "-n", "sec", "--role=gadget-editor", "--user=alice")
        wait_available(a, APISERVICE, "True")
        yield a, b
    finally:
        stop_servers(a, b)


def test_b_authorizes_the_user_a_authenticated(secure_pair):
    a, b = secure_pair
    rc, out, err = a.as_user("alice-token", "create", "-f", "-", input=gadget("sg1", "sec"))
    assert rc == 0, err
    assert out.strip() == f"gadget.{GROUP}/sg1 created"
    status, stored = on_b(b, "sec", "sg1")
    assert status == 200 and stored["metadata"]["name"] == "sg1"
    rc, out, err = a.as_user("alice-token", "get", "gadgets", "-n", "sec", "-o", "name")
    assert rc == 0 and out.strip() == f"gadget.{GROUP}/sg1", err

    # bob is authenticated by A as well, but B's RBAC, which sees "bob", refuses him.
    rc, _, err = a.as_user("bob-token", "create", "-f", "-", input=gadget("sg2", "sec"))
    assert rc != 0
    assert (f'gadgets.{GROUP} is forbidden: User "bob" cannot create resource "gadgets" in API group "{GROUP}" '
            f'in the namespace "sec"') in err
    rc, _, err = a.as_user("bob-token", "get", "gadgets", "-n", "sec")
    assert rc != 0
    assert f'User "bob" cannot list resource "gadgets" in API group "{GROUP}" in the namespace "sec"' in err

    # B believes identity headers only from the front proxy's certificate: the same headers sent
    # by anyone else make an anonymous request, which B's RBAC refuses.
    ctx = ssl.create_default_context(cafile=str(b.certs / "srv-ca.crt"))
    ctx.check_hostname = False  # the certificate names the Service, not 127.0.0.1
    conn = http.client.HTTPSConnection("127.0.0.1", b.secure_port, context=ctx, timeout=10)
    conn.request("GET", f"/apis/{GROUP}/{VERSION}/namespaces/sec/gadgets", headers={"X-Remote-User": "alice"})
    resp = conn.getresponse()
    body = json.loads(resp.read())
    conn.close()
    assert resp.status == 403
    assert 'User "system:anonymous" cannot list resource "gadgets"' in body["message"]
