"""Encryption at rest (--encryption-provider-config) with real kubectl: what the backend stores
is ciphertext with kube's k8s:enc:<provider>:v1:<key>: prefix, read straight from SQLite with the
sqlite3 shell and from etcd with etcdctl, while kubectl sees the plain secret; rotating to a new
key keeps old secrets readable; a malformed configuration stops start-up naming the file."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess

import pytest
import yaml

from e2e_server import ApiServer, server_config, stop_servers
from etcd_process import ETCD, Etcd

KEY1 = base64.b64encode(bytes(range(32))).decode()
KEY2 = base64.b64encode(bytes(range(32, 64))).decode()
PLAIN = "s3cr3t-value-nobody-may-read"


def enc_config(path, providers: str, resources: str = "[secrets]"):
    path.write_text("apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n"
                    f"  - resources: {resources}\n    providers:\n{providers}")
    return path


def keys(kind: str, *named: tuple[str, str]) -> str:
    s = f"      - {kind}:\n          keys:\n"
    for name, secret in named:
        s += f"            - name: {name}\n              secret: {secret}\n"
    return s


IDENTITY = "      - identity: {}\n"


def sqlite_value(db, key: str) -> bytes:
    """The latest stored value of `key`, read with the sqlite3 shell (hex, to keep the bytes)."""
    out = subprocess.run(["sqlite3", "-readonly", str(db),
                          f"SELECT hex(value) FROM kine WHERE name = '{key}' ORDER BY id DESC LIMIT 1"],
                         capture_output=True, text=True, timeout=20, check=True).stdout.strip()
    return bytes.fromhex(out)


def secret_data(srv: ApiServer, name: str, ns: str = "default") -> str:
    _, out, _ = srv.kubectl("get", "secret", name, "-n", ns, "-o", "jsonpath={.data.password}")
    return base64.b64decode(out).decode()


def sqlite_config(**storage) -> dict:
    """The suite's configuration on SQLite whatever APISERVER_E2E_BACKEND says: these tests read
    the database file and restart on the same data."""
    cfg = server_config()
    cfg["storage"] = {"backend": "sqlite", **storage}
    return cfg


def start(binary, workdir, enc, name, extra_storage=None) -> ApiServer:
    if extra_storage is not None:  # another backend, named by the test
        cfg = server_config()
        cfg["storage"] = {"encryptionProviderConfig": str(enc), **extra_storage}
    else:
        cfg = sqlite_config(encryptionProviderConfig=str(enc))
    return ApiServer(binary, workdir, cfg, name=name).start()


@pytest.mark.skipif(shutil.which("sqlite3") is None, reason="the sqlite3 shell is not installed")
def test_sqlite_stores_ciphertext_and_rotation_keeps_old_secrets_readable(binary, tmp_path):
    workdir = tmp_path / "srv"
    workdir.mkdir()
    enc = enc_config(tmp_path / "enc.yaml", keys("aescbc", ("key1", KEY1)) + IDENTITY)
    srv = start(binary, workdir, enc, "srv-enc-sqlite")
    db = workdir / "data" / "state.db"
    try:
        srv.kubectl("create", "secret", "generic", "s1", f"--from-literal=password={PLAIN}")
        srv.kubectl("create", "configmap", "c1", f"--from-literal=password={PLAIN}")
        raw = sqlite_value(db, "/registry/secrets/default/s1")
        assert raw.startswith(b"k8s:enc:aescbc:v1:key1:"), raw[:40]
        assert PLAIN.encode() not in raw and base64.b64encode(PLAIN.encode()) not in raw
        assert b'"kind"' not in raw
        # Only the listed resources are encrypted.
        assert PLAIN.encode() in sqlite_value(db, "/registry/configmaps/default/c1")
        assert secret_data(srv, "s1") == PLAIN
        # Updates are encrypted too.
        srv.kubectl("label", "secret", "s1", "tier=gold")
        assert sqlite_value(db, "/registry/secrets/default/s1").startswith(b"k8s:enc:aescbc:v1:key1:")
    finally:
        stop_servers(srv)

    # Rotation: key2 writes, key1 still reads.
    enc_config(enc, keys("aescbc", ("key2", KEY2), ("key1", KEY1)) + IDENTITY)
    srv = start(binary, workdir, enc, "srv-enc-sqlite-rotated")
    try:
        assert secret_data(srv, "s1") == PLAIN
        srv.kubectl("create", "secret", "generic", "s2", "--from-literal=password=second")
        assert sqlite_value(db, "/registry/secrets/default/s2").startswith(b"k8s:enc:aescbc:v1:key2:")
        assert sqlite_value(db, "/registry/secrets/default/s1").startswith(b"k8s:enc:aescbc:v1:key1:")
        # Rewriting every secret (kube's documented step) moves old ones to the new key.
        _, out, _ = srv.kubectl("get", "secrets", "-A", "-o", "json")
        srv.kubectl("replace", "-f", "-", input=out)
        assert sqlite_value(db, "/registry/secrets/default/s1").startswith(b"k8s:enc:aescbc:v1:key2:")
        assert secret_data(srv, "s1") == PLAIN
        assert secret_data(srv, "s2") == "second"
    finally:
        stop_servers(srv)

    # With key1 gone the old value would be unreadable; after the rewrite everything still reads.
    enc_config(enc, keys("aescbc", ("key2", KEY2)))
    srv = start(binary, workdir, enc, "srv-enc-sqlite-key2-only")
    try:
        assert secret_data(srv, "s1") == PLAIN
    finally:
        stop_servers(srv)


def test_secrets_written_before_encryption_stay_readable_through_identity(binary, tmp_path):
    workdir = tmp_path / "srv"
    workdir.mkdir()
    srv = ApiServer(binary, workdir, sqlite_config(), name="srv-plain").start()
    try:
        srv.kubectl("create", "secret", "generic", "old", f"--from-literal=password={PLAIN}")
    finally:
        stop_servers(srv)
    enc = enc_config(tmp_path / "enc.yaml", keys("aesgcm", ("k", KEY1)) + IDENTITY)
    srv = start(binary, workdir, enc, "srv-enc-gcm")
    try:
        assert secret_data(srv, "old") == PLAIN
        srv.kubectl("create", "secret", "generic", "new", "--from-literal=password=x")
        if shutil.which("sqlite3"):
            assert sqlite_value(workdir / "data" / "state.db",
                                "/registry/secrets/default/new").startswith(b"k8s:enc:aesgcm:v1:k:")
    finally:
        stop_servers(srv)


@pytest.mark.skipif(not os.path.exists(ETCD), reason="etcd is not installed")
def test_etcd_stores_ciphertext(binary, tmp_path):
    (tmp_path / "etcd-data").mkdir()
    etcd = Etcd(tmp_path / "etcd-data").start()
    enc = enc_config(tmp_path / "enc.yaml", keys("secretbox", ("sb1", KEY1)))
    workdir = tmp_path / "srv"
    workdir.mkdir()
    srv = start(binary, workdir, enc, "srv-enc-etcd",
                {"backend": "etcd3", "prefix": "/enc-e2e", "etcd": {"servers": [etcd.url]}})
    try:
        srv.kubectl("create", "secret", "generic", "s1", f"--from-literal=password={PLAIN}")
        raw = subprocess.run(["etcdctl", f"--endpoints={etcd.url}", "get", "/enc-e2e/secrets/default/s1",
                              "--print-value-only"],
                             capture_output=True, timeout=20, check=True, env={**os.environ, "ETCDCTL_API": "3"}).stdout
        assert raw.startswith(b"k8s:enc:secretbox:v1:sb1:"), raw[:40]
        assert PLAIN.encode() not in raw and base64.b64encode(PLAIN.encode()) not in raw
        assert secret_data(srv, "s1") == PLAIN
        _, out, _ = srv.kubectl("get", "secrets", "-o", "name")
        assert "secret/s1" in out.split()
    finally:
        stop_servers(srv)
        etcd.stop()


def test_a_malformed_configuration_stops_start_up_naming_the_file(binary, tmp_path):
    enc = enc_config(tmp_path / "enc.yaml", keys("aescbc", ("key1", base64.b64encode(b"too short").decode())))
    cfg = tmp_path / "apiserver.yaml"
    cfg.write_text(yaml.safe_dump(server_config()))
    p = subprocess.run([str(binary), "--config", str(cfg), "--insecure-port", "0", "--secure-port", "-1",
                        "--encryption-provider-config", str(enc)],
                       capture_output=True, text=True, timeout=30, cwd=tmp_path)
    assert p.returncode == 2, p.stderr
    assert (f"{enc}:9:15: resources[0].providers[0].aescbc.keys[0].secret: secret is not of the expected length, "
            "got 9, expected one of [16 24 32]") in p.stderr
    assert "Serving" not in p.stderr + p.stdout
