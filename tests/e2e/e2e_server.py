"""The apiserver-host process and the kubectl runner used by the e2e suite.

``ApiServer`` starts the host on 127.0.0.1 with ``--insecure-port 0``, reads the chosen port from
its log ("Serving insecurely on 127.0.0.1:<port>"), waits for ``/readyz`` and writes a kubeconfig
for it. Each server has its own kubectl ``--cache-dir``: kubectl caches discovery on disk per
server URL, and a port can be reused by a later server.

The binary is ``$APISERVER_HOST_BINARY`` (default ``<repo>/build/bin/apiserver-host``); the host
loads its plugins from ``<binary dir>/../plugins``.
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_BINARY = REPO_ROOT / "build" / "bin" / "apiserver-host"

STARTUP_TIMEOUT = 30.0      # seconds until "Serving insecurely on ..." and /readyz 200
KUBECTL_TIMEOUT = 60.0      # seconds a single kubectl command may take
STOP_TIMEOUT = 15.0         # seconds after SIGTERM before SIGKILL
LOG_TAIL_LINES = 150        # lines of the server log attached to a failure

SERVING_RE = re.compile(r"Serving insecurely on 127\.0\.0\.1:(\d+)")

# Servers currently running, in start order; their logs are attached to failing tests.
LIVE_SERVERS: list["ApiServer"] = []

# The storage backend every server of the suite uses (APISERVER_E2E_BACKEND: memory, sqlite or
# etcd3; unset: the built-in default). For etcd3, conftest starts one etcd for the session and
# each server gets a key prefix of its own.
BACKEND = os.environ.get("APISERVER_E2E_BACKEND", "")
ETCD_URL: str | None = None
_PREFIXES = iter(range(1, 1 << 30))


def _die_with_parent() -> None:
    """preexec_fn: the child gets SIGKILL if pytest dies (e.g. killed by a CTest timeout), so no
    server or watch outlives the run. Linux prctl(PR_SET_PDEATHSIG)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class KubectlError(AssertionError):
    """A kubectl command that was expected to succeed did not."""


def host_binary() -> Path:
    return Path(os.environ.get("APISERVER_HOST_BINARY", str(DEFAULT_BINARY)))


def server_config(resources: list[str] | None = None, extra: dict | None = None) -> dict:
    """A host configuration: the defaults, a short shutdown grace period, and optionally
    the core resources to serve (then without the rbac plugin, so with AlwaysAllow)."""
    cfg: dict = {
        "serving": {"shutdownGracePeriod": "2s"},
        "logging": {"level": "info"},
    }
    if BACKEND:
        cfg["storage"] = {"backend": BACKEND}
        if BACKEND == "etcd3":
            cfg["storage"]["etcd"] = {"servers": [ETCD_URL]}
            cfg["storage"]["prefix"] = f"/e2e-{os.getpid()}-{next(_PREFIXES)}"
    if resources is not None:
        cfg["plugins"] = {"enabled": [{"name": "core", "config": {"resources": list(resources)}}]}
        # Without the rbac plugin there is no RBAC authorizer (the default mode): say so.
        cfg["authorization"] = {"modes": ["AlwaysAllow"]}
    for key, value in (extra or {}).items():
        if isinstance(value, dict) and isinstance(cfg.get(key), dict):
            cfg[key].update(value)
        else:
            cfg[key] = value
    return cfg


class Background:
    """A kubectl command running in the background (e.g. a watch); output goes to files."""

    def __init__(self, args: list[str], workdir: Path, env: dict):
        self.args = args
        workdir.mkdir(parents=True, exist_ok=True)
        self.out_path = workdir / "stdout"
        self.err_path = workdir / "stderr"
        self._out = open(self.out_path, "wb")
        self._err = open(self.err_path, "wb")
        self.proc = subprocess.Popen(args, stdout=self._out, stderr=self._err,
                                     stdin=subprocess.DEVNULL, env=env, preexec_fn=_die_with_parent)

    @property
    def stdout(self) -> str:
        return self.out_path.read_text(errors="replace")

    @property
    def stderr(self) -> str:
        return self.err_path.read_text(errors="replace")

    def describe(self) -> str:
        return (f"command: {' '.join(self.args)}\nreturncode: {self.proc.poll()}\n"
                f"--- stdout ---\n{self.stdout}\n--- stderr ---\n{self.stderr}")

    def wait_for(self, predicate, timeout: float = 20.0, what: str = "output"):
        """Poll until predicate(stdout) is truthy and return its value. Fails with the output
        when the time is up or the process ended without producing it."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate(self.stdout)
            if value:
                return value
            if self.proc.poll() is not None:
                value = predicate(self.stdout)  # the last bytes may have arrived meanwhile
                if value:
                    return value
                raise AssertionError(f"kubectl exited before printing {what}\n{self.describe()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no {what} within {timeout}s\n{self.describe()}")
            time.sleep(0.05)

    def wait_exit(self, timeout: float = 20.0) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"kubectl still running after {timeout}s\n{self.describe()}") from None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._out.close()
        self._err.close()


class ApiServer:
    """One apiserver-host process plus the kubeconfig and kubectl cache that go with it."""

    # Flags after the insecure port's: the suite talks plain HTTP, so the secure port is off
    # (test_secure.py's SecureApiServer turns it on).
    extra_args: list[str] = ["--secure-port", "-1"]

    def __init__(self, binary: Path, workdir: Path, config: dict, name: str = "apiserver"):
        self.binary = binary
        self.workdir = workdir
        self.config = config
        self.name = name
        self.config_path = workdir / "apiserver.yaml"
        self.log_path = workdir / "apiserver.log"
        self.kubeconfig = workdir / "kubeconfig"
        self.cache_dir = workdir / "kubectl-cache"
        self.proc: subprocess.Popen | None = None
        self.port: int | None = None
        self.returncode: int | None = None
        self._background: list[Background] = []
        self._bg_count = 0

    # ---- lifecycle -------------------------------------------------------------------------

    def start(self) -> "ApiServer":
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(yaml.safe_dump(self.config, sort_keys=False))
        args = [str(self.binary), "--config", str(self.config_path),
                "--insecure-port", "0", "--bind-address", "127.0.0.1", *self.extra_args]
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(args, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, cwd=self.workdir, preexec_fn=_die_with_parent)
        LIVE_SERVERS.append(self)
        try:
            self._wait_serving()
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        self._write_kubeconfig()
        return self

    def _fail_start(self, why: str):
        raise RuntimeError(f"apiserver-host did not start: {why}\ncommand: {self.binary} --config "
                           f"{self.config_path}\nconfig:\n{self.config_path.read_text()}\n"
                           f"--- server log ({self.log_path}) ---\n{self.log_text()}")

    def _wait_serving(self):
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            m = SERVING_RE.search(self.log_text())
            if m:
                self.port = int(m.group(1))
                return
            if self.proc.poll() is not None:
                self._fail_start(f"exited with status {self.proc.returncode}")
            time.sleep(0.02)
        self._fail_start(f"no 'Serving insecurely on 127.0.0.1:<port>' line within {STARTUP_TIMEOUT}s")

    def _wait_ready(self):
        deadline = time.monotonic() + STARTUP_TIMEOUT
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self._fail_start(f"exited with status {self.proc.returncode}")
            try:
                status, _, _ = self.http("GET", "/readyz", timeout=2)
                if status == 200:
                    return
                last = f"HTTP {status}"
            except OSError as e:
                last = repr(e)
            time.sleep(0.05)
        self._fail_start(f"/readyz not 200 within {STARTUP_TIMEOUT}s (last: {last})")

    def _write_kubeconfig(self):
        kc = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "e2e", "cluster": {"server": self.url}}],
            "users": [{"name": "e2e", "user": {}}],
            "contexts": [{"name": "e2e", "context": {"cluster": "e2e", "user": "e2e"}}],
            "current-context": "e2e",
        }
        self.kubeconfig.write_text(yaml.safe_dump(kc, sort_keys=False))

    def stop(self) -> int | None:
        """SIGTERM, then SIGKILL after STOP_TIMEOUT; then stop background kubectls.
        Returns the server's exit status."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None:
            self.returncode = self.proc.returncode
        for bg in self._background:
            bg.stop()
        self._background.clear()
        if self in LIVE_SERVERS:
            LIVE_SERVERS.remove(self)
        if getattr(self, "_log", None) is not None and not self._log.closed:
            self._log.close()
        return self.returncode

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def wait_for_log(self, pattern: str, timeout: float = 20.0, what: str = "a log line") -> re.Match:
        """Poll the server log until `pattern` (a regex) matches."""
        deadline = time.monotonic() + timeout
        rx = re.compile(pattern)
        while True:
            m = rx.search(self.log_text())
            if m:
                return m
            if time.monotonic() > deadline:
                raise AssertionError(f"no {what} ({pattern!r}) in the server log within {timeout}s\n"
                                     f"{self.log_tail()}")
            time.sleep(0.05)

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        text = self.log_text().splitlines()
        head = [f"(last {lines} of {len(text)} lines; full log: {self.log_path})"] if len(text) > lines else []
        return "\n".join(head + text[-lines:])

    # ---- clients ---------------------------------------------------------------------------

    def _kubectl_argv(self, args) -> list[str]:
        return ["kubectl", f"--kubeconfig={self.kubeconfig}", f"--cache-dir={self.cache_dir}", *map(str, args)]

    @staticmethod
    def _env() -> dict:
        env = dict(os.environ)
        env.pop("KUBECONFIG", None)
        return env

    def kubectl(self, *args, input: str | None = None, check: bool = True,
                timeout: float = KUBECTL_TIMEOUT, env: dict | None = None) -> tuple[int, str, str]:
        """Run kubectl against this server. Returns (returncode, stdout, stderr).
        With check=True a non-zero exit fails the test with the whole output.
        `env` adds variables (e.g. KUBE_EDITOR) to kubectl's environment."""
        argv = self._kubectl_argv(args)
        try:
            p = subprocess.run(argv, input=input, capture_output=True, text=True,
                               timeout=timeout, env={**self._env(), **(env or {})})
        except subprocess.TimeoutExpired as e:
            raise AssertionError(f"kubectl timed out after {timeout}s: {' '.join(argv)}\n"
                                 f"--- stdout ---\n{e.stdout}\n--- stderr ---\n{e.stderr}") from None
        if check and p.returncode != 0:
            raise KubectlError(f"kubectl failed with status {p.returncode}: {' '.join(argv)}\n"
                               f"--- stdout ---\n{p.stdout}\n--- stderr ---\n{p.stderr}")
        return p.returncode, p.stdout, p.stderr

    def kubectl_json(self, *args):
        """kubectl ... -o json, parsed."""
        _, out, _ = self.kubectl(*args, "-o", "json")
        return json.loads(out)

    def kubectl_bg(self, *args) -> Background:
        """Start kubectl in the background (stopped at the latest when the server stops)."""
        self._bg_count += 1
        bg = Background(self._kubectl_argv(args), self.workdir / f"bg-{self._bg_count}", self._env())
        self._background.append(bg)
        return bg

    def http(self, method: str, path: str, body=None, headers: dict | None = None,
             timeout: float = 10) -> tuple[int, dict, bytes]:
        """A plain HTTP request. Returns (status, headers, body); error statuses are returned too."""
        data = None
        hdrs = dict(headers or {})
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=hdrs)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def watch_events(self, path: str, timeout: float = 20):
        """GET a watch URL (path with ?watch=1...) and yield its events, parsed, one per JSON line,
        until the server ends the stream. Each read may block at most `timeout` seconds; an error
        status is returned as one pseudo-event {"type": "HTTP", "code": N, "object": <Status>}."""
        req = urllib.request.Request(self.url + path, method="GET")
        try:
            resp = urllib.request.urlopen(req, timeout=timeout)
        except urllib.error.HTTPError as e:
            yield {"type": "HTTP", "code": e.code, "object": json.loads(e.read() or b"{}")}
            return
        with resp:
            for line in resp:
                if line.strip():
                    yield json.loads(line)


def stop_servers(*servers: ApiServer) -> None:
    """Stop the servers; a crash or an unclean exit on SIGTERM is an error of the last test."""
    stopped = [(srv, srv.stop()) for srv in servers]
    for srv, rc in stopped:
        if rc != 0:
            pytest.fail(f"apiserver-host {srv.name} exited with status {rc} (expected 0 after SIGTERM)\n"
                        f"--- server log ---\n{srv.log_tail()}", pytrace=False)
