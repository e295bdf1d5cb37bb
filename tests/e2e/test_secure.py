"""Secure serving with the real kubectl: HTTPS on the secure port, the generated admin kubeconfig,
a bearer-token user, a client-certificate user, impersonation, the audit log, and bad input (a
bad token, expired / wrongly signed / self-signed client certificates, plain HTTP on the TLS port,
TLS handshakes that never finish).

The servers here run with the secure port on (a free port) next to the insecure port the suite's
harness uses to see that they are ready. Certificates of the operator's client CA are made with
the openssl command, as an operator would.
"""

from __future__ import annotations

import base64
import http.client
import json
import re
import socket
import ssl
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from e2e_server import ApiServer, host_binary, server_config, stop_servers

SECURE_RE = re.compile(r"Serving securely on 127\.0\.0\.1:(\d+)")
UNAUTHORIZED = "error: You must be logged in to the server (Unauthorized)"
# kubectl's words when the 401 comes to its discovery (a cold cache): client-go reads no Status there.
UNAUTHORIZED_COLD = "error: You must be logged in to the server (the server has asked for the client to provide credentials)"
SECRET_VALUE = "hunter2-not-for-the-log"
CONFIGMAP_VALUE = "visible-in-the-log"

AUDIT_POLICY = """\
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: None
  nonResourceURLs: ["/healthz*", "/readyz*", "/livez*"]
- level: Metadata
  resources: [{group: "", resources: ["secrets"]}]
- level: RequestResponse
  resources: [{group: "", resources: ["configmaps"]}]
- level: Metadata
"""


class SecureApiServer(ApiServer):
    """An ApiServer with the secure port on; `secure_port` is read from its log."""

    def __init__(self, binary: Path, workdir: Path, config: dict, name: str, args: list[str]):
        super().__init__(binary, workdir, config, name=name)
        self.extra_args = ["--secure-port", "0", *args]
        self.secure_port: int | None = None
        self._kc_count = 0

    def start(self) -> "SecureApiServer":
        super().start()
        self.secure_port = int(self.wait_for_log(SECURE_RE.pattern, what="the secure port").group(1))
        return self

    @property
    def data_dir(self) -> Path:
        return self.workdir / "data"

    @property
    def admin_kubeconfig(self) -> Path:
        return self.data_dir / "admin.kubeconfig"

    @property
    def ca_pem(self) -> str:
        return (self.data_dir / "pki" / "ca.crt").read_text()

    def kubeconfig_for(self, user: dict) -> Path:
        """A kubeconfig for the secure port that verifies the server against the host's CA."""
        self._kc_count += 1
        path = self.workdir / f"kubeconfig-{self._kc_count}"
        kc = {
            "apiVersion": "v1", "kind": "Config",
            "clusters": [{"name": "secure", "cluster": {
                "server": f"https://127.0.0.1:{self.secure_port}",
                "certificate-authority-data": base64.b64encode(self.ca_pem.encode()).decode()}}],
            "users": [{"name": "u", "user": user}],
            "contexts": [{"name": "c", "context": {"cluster": "secure", "user": "u"}}],
            "current-context": "c",
        }
        path.write_text(yaml.safe_dump(kc, sort_keys=False))
        return path

    def kubectl_with(self, kubeconfig: Path, *args, check: bool = True, cache: str = "shared") -> tuple[int, str, str]:
        """kubectl with `kubeconfig`; its discovery cache is shared with the other kubeconfigs of this
        server unless `cache` names another."""
        argv = ["kubectl", f"--kubeconfig={kubeconfig}", f"--cache-dir={self.cache_dir}-{cache}", *map(str, args)]
        p = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=self._env(),
                           stdin=subprocess.DEVNULL)
        if check and p.returncode != 0:
            raise AssertionError(f"kubectl failed ({p.returncode}): {' '.join(argv)}\n{p.stdout}\n{p.stderr}")
        return p.returncode, p.stdout, p.stderr

    def https(self, path: str, headers: dict | None = None, cert: tuple[Path, Path] | None = None):
        """One HTTPS GET with Python's TLS (which sends a client certificate whatever CAs the
        server names). Returns (status, headers, body)."""
        ctx = ssl.create_default_context(cadata=self.ca_pem)
        if cert:
            ctx.load_cert_chain(str(cert[0]), str(cert[1]))
        conn = http.client.HTTPSConnection("127.0.0.1", self.secure_port, context=ctx, timeout=10)
        try:
            conn.request("GET", path, headers=headers or {})
            r = conn.getresponse()
            return r.status, dict(r.getheaders()), r.read()
        finally:
            conn.close()

    def audit_events(self) -> list[dict]:
        path = self.workdir / "audit.log"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def openssl(workdir: Path, *args: str) -> None:
    p = subprocess.run(["openssl", *args], cwd=workdir, capture_output=True, text=True)
    assert p.returncode == 0, f"openssl {' '.join(args)}\n{p.stdout}\n{p.stderr}"


class ClientCerts:
    """An operator's client CA, another CA, and client certificates made with openssl."""

    def __init__(self, workdir: Path):
        self.dir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        for ca in ("client-ca", "other-ca"):
            openssl(workdir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", f"{ca}.key", "-out", f"{ca}.crt", "-subj", f"/CN={ca}", "-days", "30")

    def make(self, name: str, subject: str, ca: str | None, days: int = 30) -> tuple[Path, Path]:
        """name.crt/.key for `subject`, signed by `ca` (None: self-signed); days < 0: expired."""
        if ca is None:
            openssl(self.dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", f"{name}.key", "-out", f"{name}.crt", "-subj", subject, "-days", str(days))
        else:
            openssl(self.dir, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", subject)
            openssl(self.dir, "x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.crt", "-CAkey", f"{ca}.key",
                    "-CAcreateserial", "-out", f"{name}.crt", "-days", str(days))
        return self.dir / f"{name}.crt", self.dir / f"{name}.key"

    def kubeconfig_user(self, pair: tuple[Path, Path]) -> dict:
        return {"client-certificate-data": base64.b64encode(pair[0].read_bytes()).decode(),
                "client-key-data": base64.b64encode(pair[1].read_bytes()).decode()}


def secure_config(modes: list[str] | None = None, plugins: list[str] | None = None) -> dict:
    return server_config(extra={
        "plugins": {"enabled": plugins or ["core"]},
        "authorization": {"modes": modes or ["AlwaysAllow"]},
        "serving": {"tlsHandshakeTimeout": "1s"},
    })


@pytest.fixture(scope="module")
def certs(tmp_path_factory) -> ClientCerts:
    return ClientCerts(tmp_path_factory.mktemp("client-certs"))


@pytest.fixture(scope="module")
def srv(binary, tmp_path_factory, certs):
    """One secure server: token file, the operator's client CA, an audit policy, anonymous off."""
    workdir = tmp_path_factory.mktemp("srv-secure")
    (workdir / "tokens.csv").write_text('alice-token,alice,uid-alice,"dev,ops"\n')
    (workdir / "audit-policy.yaml").write_text(AUDIT_POLICY)
    s = SecureApiServer(binary, workdir, secure_config(), "srv-secure", [
        "--anonymous-auth=false",
        "--token-auth-file", str(workdir / "tokens.csv"),
        "--client-ca-file", str(certs.dir / "client-ca.crt"),
        "--audit-policy-file", str(workdir / "audit-policy.yaml"),
        "--audit-log-path", str(workdir / "audit.log"),
    ])
    s.start()
    yield s
    stop_servers(s)


# ---- who may talk to it ----------------------------------------------------------------------


def test_the_generated_admin_kubeconfig_works_straight_away(srv):
    assert f"Serving securely on 127.0.0.1:{srv.secure_port}" in srv.log_text()
    kc = yaml.safe_load(srv.admin_kubeconfig.read_text())
    assert kc["clusters"][0]["cluster"]["server"] == f"https://127.0.0.1:{srv.secure_port}"
    _, out, err = srv.kubectl_with(srv.admin_kubeconfig, "get", "pods")
    assert (out, err) == ("", "No resources found in default namespace.\n")
    srv.kubectl_with(srv.admin_kubeconfig, "create", "namespace", "secure-ns")
    _, out, _ = srv.kubectl_with(srv.admin_kubeconfig, "get", "namespace", "secure-ns", "-o", "name")
    assert out == "namespace/secure-ns\n"


def test_a_token_user(srv):
    kc = srv.kubeconfig_for({"token": "alice-token"})
    _, out, err = srv.kubectl_with(kc, "get", "pods")
    assert err == "No resources found in default namespace.\n"
    _, out, _ = srv.kubectl_with(kc, "create", "configmap", "alice-cm", "--from-literal=k=v")
    assert out == "configmap/alice-cm created\n"


def test_a_bad_token_is_unauthorized(srv):
    kc = srv.kubeconfig_for({"token": "not-a-token"})
    srv.kubectl_with(srv.admin_kubeconfig, "get", "pods")  # discovery is cached
    rc, out, err = srv.kubectl_with(kc, "get", "pods", check=False)
    assert (rc, out, err) == (1, "", UNAUTHORIZED + "\n")
    # Without a discovery cache the 401 comes to kubectl's discovery, which logs it (memcache.go
    # "Unhandled Error") and words it its own way; the server's answer is the same.
    rc, out, err = srv.kubectl_with(kc, "get", "pods", check=False, cache="cold")
    assert (rc, out, err.splitlines()[-1]) == (1, "", UNAUTHORIZED_COLD), err
    status, headers, body = srv.https("/api/v1/namespaces/default/pods", {"Authorization": "Bearer not-a-token"})
    assert status == 401
    assert json.loads(body) == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                "message": "Unauthorized", "reason": "Unauthorized", "code": 401}
    assert len(headers["Audit-Id"]) == 36


def test_a_client_certificate_user(srv, certs):
    pair = certs.make("carol", "/CN=carol/O=devs/O=qa", "client-ca")
    kc = srv.kubeconfig_for(certs.kubeconfig_user(pair))
    _, out, _ = srv.kubectl_with(kc, "create", "configmap", "carol-cm", "--from-literal=k=v")
    assert out == "configmap/carol-cm created\n"
    created = [e for e in srv.audit_events()
               if e["verb"] == "create" and e.get("objectRef", {}).get("name") == "carol-cm"]
    assert len(created) == 1
    assert created[0]["user"] == {"username": "carol", "groups": ["devs", "qa", "system:authenticated"]}


@pytest.mark.parametrize("kind,subject,ca,days", [
    ("expired", "/CN=old/O=system:masters", "client-ca", -1),
    ("wrongly-signed", "/CN=eve/O=system:masters", "other-ca", 30),
    ("self-signed", "/CN=mallory/O=system:masters", None, 30),
])
def test_bad_client_certificates_are_unauthorized(srv, certs, kind, subject, ca, days):
    pair = certs.make(kind, subject, ca, days)
    # Python's TLS sends the certificate whatever CAs the server names: authentication refuses it.
    status, _, body = srv.https("/api/v1/namespaces/default/pods", cert=pair)
    assert status == 401, body
    # kubectl sends it too (client-go picks its certificate itself, whatever CAs the server names).
    srv.kubectl_with(srv.admin_kubeconfig, "get", "pods")  # discovery is cached
    rc, out, err = srv.kubectl_with(srv.kubeconfig_for(certs.kubeconfig_user(pair)), "get", "pods", check=False)
    assert (rc, out, err) == (1, "", UNAUTHORIZED + "\n")
    if kind == "expired":
        srv.wait_for_log(r"x509: certificate has expired or is not yet valid: current time \S+ is after \S+")
    else:
        srv.wait_for_log(r"CN=%s,O=system:masters failed: x509: certificate signed by unknown authority"
                         % subject.split("/")[1][3:])


def test_impersonation(srv):
    _, out, _ = srv.kubectl_with(srv.admin_kubeconfig, "--as=jane", "--as-group=devs", "get", "configmap",
                                 "alice-cm", "-o", "name")
    assert out == "configmap/alice-cm\n"
    gets = [e for e in srv.audit_events()
            if e["verb"] == "get" and e.get("objectRef", {}).get("name") == "alice-cm"]
    assert gets, "the impersonated get is audited"
    assert gets[-1]["user"]["username"] == "kubernetes-admin"
    assert gets[-1]["impersonatedUser"] == {"username": "jane", "groups": ["devs", "system:authenticated"]}


# ---- the audit log ---------------------------------------------------------------------------


def test_the_audit_log(srv):
    kc = srv.kubeconfig_for({"token": "alice-token"})
    srv.kubectl_with(kc, "create", "secret", "generic", "audited-secret", f"--from-literal=password={SECRET_VALUE}")
    _, out, _ = srv.kubectl_with(kc, "get", "secret", "audited-secret", "-o", "jsonpath={.data.password}")
    assert base64.b64decode(out).decode() == SECRET_VALUE
    srv.kubectl_with(kc, "create", "configmap", "audited-cm", f"--from-literal=k={CONFIGMAP_VALUE}")

    text = (srv.workdir / "audit.log").read_text()
    assert SECRET_VALUE not in text
    assert base64.b64encode(SECRET_VALUE.encode()).decode() not in text
    events = srv.audit_events()
    for e in events:
        assert e["kind"] == "Event" and e["apiVersion"] == "audit.k8s.io/v1"
        assert e["stage"] in ("ResponseComplete", "ResponseStarted"), "RequestReceived is omitted by the policy"
    # One event per request: every ordinary request's auditID appears once.
    complete = [e["auditID"] for e in events if e["stage"] == "ResponseComplete"]
    assert len(complete) == len(set(complete))

    secret_events = [e for e in events if e.get("objectRef", {}).get("resource") == "secrets"]
    assert {e["verb"] for e in secret_events} >= {"create", "get"}
    for e in secret_events:
        assert e["level"] == "Metadata"
        assert "requestObject" not in e and "responseObject" not in e
    create = next(e for e in secret_events if e["verb"] == "create")
    assert create["user"] == {"username": "alice", "uid": "uid-alice",
                              "groups": ["dev", "ops", "system:authenticated"]}
    assert create["sourceIPs"] == ["127.0.0.1"]
    assert create["userAgent"].startswith("kubectl/v1.32")
    assert create["objectRef"] == {"resource": "secrets", "namespace": "default", "name": "audited-secret",
                                   "apiVersion": "v1"}
    assert create["responseStatus"] == {"metadata": {}, "code": 201}
    assert create["requestURI"].startswith("/api/v1/namespaces/default/secrets")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", create["stageTimestamp"])

    cm = next(e for e in events if e["verb"] == "create" and e.get("objectRef", {}).get("resource") == "configmaps"
              and e.get("requestObject", {}).get("metadata", {}).get("name") == "audited-cm")
    assert cm["level"] == "RequestResponse"
    assert cm["requestObject"]["data"] == {"k": CONFIGMAP_VALUE}
    assert cm["responseObject"]["data"] == {"k": CONFIGMAP_VALUE}

    # Failed authentication is audited too (kube's WithFailedAuthenticationAudit).
    srv.kubectl_with(srv.kubeconfig_for({"token": "nope"}), "get", "pods", check=False)
    failed = [e for e in srv.audit_events() if e.get("responseStatus", {}).get("code") == 401]
    assert failed and failed[-1]["stage"] == "ResponseStarted"
    assert failed[-1]["responseStatus"]["message"] == "Authentication failed, attempted: bearer"

    # The Audit-Id header names the request's event.
    status, headers, _ = srv.https("/api/v1/namespaces/default/configmaps/audited-cm",
                                   {"Authorization": "Bearer alice-token"})
    assert status == 200
    ids = [e["auditID"] for e in srv.audit_events()]
    assert headers["Audit-Id"] in ids


# ---- bad input on the wire -------------------------------------------------------------------


def test_plain_http_on_the_tls_port(srv):
    with socket.create_connection(("127.0.0.1", srv.secure_port), timeout=5) as s:
        s.sendall(b"GET /version HTTP/1.1\r\nHost: x\r\n\r\n")
        got = b""
        while chunk := s.recv(4096):
            got += chunk
    assert got == b"HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n"
    # kubectl pointed at the TLS port with http:// prints what it prints for kube.
    rc, _, err = srv.kubectl("--server", f"http://127.0.0.1:{srv.secure_port}", "get", "pods", check=False)
    assert rc == 1
    assert err.splitlines()[-1] == "Error from server (BadRequest): the server rejected our request for an unknown reason"


def test_tls_suites_are_chosen_in_gos_order(srv):
    """The server picks TLS 1.3's suite in Go's order (AES-128-GCM first), whatever order the
    client offers them in, as kube-apiserver does; TLS 1.2 gets an ECDHE AEAD suite."""
    ctx = ssl.create_default_context(cadata=srv.ca_pem)  # OpenSSL offers AES-256-GCM first
    with socket.create_connection(("127.0.0.1", srv.secure_port), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
            assert s.version() == "TLSv1.3"
            assert s.cipher()[0] == "TLS_AES_128_GCM_SHA256"
    ctx12 = ssl.create_default_context(cadata=srv.ca_pem)
    ctx12.maximum_version = ssl.TLSVersion.TLSv1_2
    with socket.create_connection(("127.0.0.1", srv.secure_port), timeout=5) as raw:
        with ctx12.wrap_socket(raw, server_hostname="127.0.0.1") as s:
            assert s.version() == "TLSv1.2"
            assert re.fullmatch(r"ECDHE-(ECDSA|RSA)-AES128-GCM-SHA256", s.cipher()[0]), s.cipher()


def test_a_tls_handshake_that_never_finishes_times_out_and_holds_nothing(srv):
    idle = [socket.create_connection(("127.0.0.1", srv.secure_port), timeout=10) for _ in range(50)]
    idle[-1].sendall(bytes([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]))  # half a ClientHello, then nothing
    start = time.monotonic()
    _, _, err = srv.kubectl_with(srv.admin_kubeconfig, "get", "pods")  # others are served meanwhile
    assert err == "No resources found in default namespace.\n"
    for s in idle:
        assert s.recv(1) == b"", "the server closes a handshake that does not finish"
        s.close()
    waited = time.monotonic() - start
    assert 0.5 < waited < 5, waited


def test_the_insecure_port_still_serves_plain_http(srv):
    # The suite's own kubeconfig: plain HTTP on the loopback-only insecure port, no credentials.
    _, out, _ = srv.kubectl("get", "configmap", "alice-cm", "-o", "name")
    assert out == "configmap/alice-cm\n"


# ---- start and restart -----------------------------------------------------------------------


def test_certificates_are_reused_after_a_restart(binary, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("srv-restart")
    first = SecureApiServer(binary, workdir, secure_config(), "srv-restart-1", []).start()
    try:
        assert "generated " in first.log_text()
        ca = first.ca_pem
    finally:
        stop_servers(first)
    second = SecureApiServer(binary, workdir, secure_config(), "srv-restart-2", []).start()
    try:
        assert "generated " not in second.log_text()
        assert second.ca_pem == ca
        _, _, err = second.kubectl_with(second.admin_kubeconfig, "get", "pods")
        assert err == "No resources found in default namespace.\n"
    finally:
        stop_servers(second)


def test_a_malformed_token_file_stops_start_up_with_its_line(binary, tmp_path):
    (tmp_path / "tokens.csv").write_text("t1,alice,1\nt2,bob\n")
    (tmp_path / "apiserver.yaml").write_text(yaml.safe_dump(secure_config()))
    p = subprocess.run([str(binary), "--config", str(tmp_path / "apiserver.yaml"), "--secure-port", "0",
                        "--token-auth-file", str(tmp_path / "tokens.csv")],
                       capture_output=True, text=True, timeout=30, cwd=tmp_path)
    assert p.returncode == 2
    assert p.stderr == ("apiserver-host: invalid configuration:\n"
                        f"authentication.tokenAuthFile: token file '{tmp_path / 'tokens.csv'}' line 2: must have at "
                        "least 3 columns (token, user name, user uid), found 2\n")


# ---- with RBAC (the rbac plugin) -------------------------------------------------------------


def test_impersonation_needs_the_impersonate_verb(binary, tmp_path_factory):
    if not (host_binary().parent.parent / "plugins" / "rbac.so").exists():
        pytest.skip("the rbac plugin is not built")
    workdir = tmp_path_factory.mktemp("srv-rbac-impersonation")
    (workdir / "tokens.csv").write_text("alice-token,alice,uid-alice\n")
    s = SecureApiServer(binary, workdir, secure_config(modes=["RBAC"], plugins=["core", "rbac"]), "srv-rbac",
                        ["--token-auth-file", str(workdir / "tokens.csv")]).start()
    try:
        # The admin (system:masters) may impersonate; alice, impersonated, may not list pods.
        rc, _, err = s.kubectl_with(s.admin_kubeconfig, "--as=alice", "get", "pods", check=False)
        assert rc == 1
        assert err == ('Error from server (Forbidden): pods is forbidden: User "alice" cannot list resource "pods" '
                       'in API group "" in the namespace "default"\n')
        # alice may not impersonate anyone.
        rc, _, err = s.kubectl_with(s.kubeconfig_for({"token": "alice-token"}), "--as=kubernetes-admin", "get",
                                    "pods", check=False)
        assert rc == 1
        assert err == ('Error from server (Forbidden): users "kubernetes-admin" is forbidden: User "alice" cannot '
                       'impersonate resource "users" in API group "" at the cluster scope\n')
    finally:
        stop_servers(s)
