#!/usr/bin/python3
"""The benchmark orchestrator behind bench/run.sh (see docs/performance.md).

Every scenario starts what it needs on 127.0.0.1 (apiserver-host, nginx, etcd), measures our
server and its reference one after the other with the same client and settings, stops
everything, and reports each figure in absolute units and as a ratio to the reference. The
report is bench/results/<timestamp>.json and .md, with latency plots (gnuplot) beside them.

Run it through bench/run.sh, which installs the tools and builds first.
"""

from __future__ import annotations

import argparse
import ctypes
import datetime as dt
import json
import os
import re
import resource
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
TEMPLATES = BENCH / "templates"
SERVING_RE = re.compile(r"Serving insecurely on 127\.0\.0\.1:(\d+)")
SECURE_RE = re.compile(r"Serving securely on 127\.0\.0\.1:(\d+)")
RAW_PORT_RE = re.compile(r'\{"port":(\d+)\}')  # `loadgen fanout-server`'s first line
POD_PATH = "/api/v1/namespaces/default/pods"

# ---------------------------------------------------------------------------------------------
# Sizes. Full: minutes in all; quick: seconds, for CI (no thresholds).


@dataclass
class Sizes:
    warmup: float = 3.0           # seconds, not measured
    duration: float = 15.0        # seconds measured, per side
    repeats: int = 2              # server and reference alternate; the best run of each counts
    get_connections: int = 32
    list_pods: int = 10_000
    list_connections: int = 4
    list_threads: int = 2         # one client thread cannot read 13 MB answers as fast as nginx
    create_connections: int = 32
    watch_sizes: tuple = (1_000, 10_000)
    watch_rate: float = 200.0
    watch_objects: int = 100
    watch_duration: float = 20.0
    memory_pods: int = 100_000
    populate_connections: int = 64


QUICK = Sizes(warmup=0.3, duration=1.5, repeats=1, list_pods=200, watch_sizes=(50, 100),
              watch_rate=50.0, watch_objects=10, watch_duration=2.0, memory_pods=1_000)

# ---------------------------------------------------------------------------------------------
# Processes: every one we start is registered, and stopped on exit, on failure and on Ctrl-C.


def _die_with_parent() -> None:
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class Proc:
    live: list["Proc"] = []

    def __init__(self, name: str, args: list[str], log: Path, env: dict | None = None,
                 stop_signal: int = signal.SIGTERM):
        self.name = name
        self.args = args
        self.log_path = log
        self.stop_signal = stop_signal
        self._log = open(log, "wb")
        self.started = time.monotonic()
        self.proc = subprocess.Popen(args, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=env, start_new_session=True,
                                     preexec_fn=_die_with_parent)
        Proc.live.append(self)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def log_port(self, rx: re.Pattern) -> int | None:
        """The port in the first line of the log that `rx` (one group: the port) matches."""
        m = rx.search(self.log_path.read_text(errors="replace"))
        return int(m.group(1)) if m else None

    def log_tail(self, n: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def stop(self, timeout: float = 15.0) -> None:
        if self.alive():
            try:
                self.proc.send_signal(self.stop_signal)
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
            except ProcessLookupError:
                pass
        self._log.close()
        if self in Proc.live:
            Proc.live.remove(self)

    @classmethod
    def stop_all(cls) -> None:
        for p in reversed(list(cls.live)):
            try:
                p.stop(timeout=5)
            except Exception as e:  # noqa: BLE001 - stop the others anyway
                log(f"could not stop {p.name}: {e}")


class Interrupted(Exception):
    pass


def _on_signal(signum, _frame):
    raise Interrupted(f"signal {signum}")


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method: str, url: str, body: bytes | None = None, timeout: float = 30.0,
         content_type: str = "application/json", headers: dict | None = None,
         context: ssl.SSLContext | None = None) -> tuple[int, bytes]:
    req = urllib.request.Request(url, data=body, method=method)
    if body is not None:
        req.add_header("Content-Type", content_type)
    req.add_header("Accept", "application/json")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=timeout, context=context) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def redact(command: str) -> str:
    """A command line without the bearer token it passes (reports and errors keep commands)."""
    return re.sub(r"Bearer \S+", "Bearer <token>", command)


def wait_until(pred, timeout: float, what: str, proc: Proc | None = None, step: float = 0.02):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if proc is not None and not proc.alive():
            raise RuntimeError(f"{proc.name} exited while waiting for {what}:\n{proc.log_tail()}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"no {what} within {timeout}s" +
                               (f":\n{proc.log_tail()}" if proc else ""))
        time.sleep(step)


def loadavg() -> list[float]:
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


def cpu_busy_jiffies() -> tuple[int, int]:
    f = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = f[3] + f[4]
    return sum(f) - idle, sum(f)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (/proc/<pid>/stat)."""
    f = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return -1


# ---------------------------------------------------------------------------------------------
# The things under test and the references.


class Host:
    """apiserver-host on 127.0.0.1, ports from its log ("Serving insecurely on ...", and with a
    secure port, "Serving securely on ...").

    By default the plain-HTTP port only (`--secure-port -1`: the secure port, on by default on
    6443, would collide between hosts; with it off no certificates are generated either) and the
    bench's handler chain (`chain="bench"`, below). `chain="default"` is the built-in default
    chain with its authentication, audit, impersonation and authorization links; `secure_port=0`
    turns the secure port on, on a free port, with the certificates in `<work>/pki`."""

    # The default chain without the links added with the secure port: what the scenarios from
    # before it (get, list, create-*, watch, memory) measure. authorization is added as the last
    # link by the host anyway; on the insecure port the user is system:unsecured (system:masters).
    BENCH_CHAIN = ["panic-recovery", "request-info", "{name: request-log, config: {level: debug}}",
                   "max-in-flight", "timeout"]
    # config/apiserver.yaml's default chain. The audit link passes through (no audit policy).
    DEFAULT_CHAIN = BENCH_CHAIN + ["authentication", "audit", "impersonation", "authorization"]

    def __init__(self, bench: "Bench", name: str, backend: str, data_dir: Path | None = None,
                 etcd: "Etcd | None" = None, port: int = 0, *, chain: str = "bench",
                 plugins: list[str] | None = None, secure_port: int = -1, args: tuple = ()):
        self.bench = bench
        work = bench.tmp / name
        work.mkdir(parents=True, exist_ok=True)
        cfg = work / "apiserver.yaml"
        # The default configuration, except: a short shutdown grace period, the handler chain
        # above, and in it the request-log link at debug level (so that, at the info log level,
        # it writes no line per request; the link stays in the chain).
        links = self.DEFAULT_CHAIN if chain == "default" else self.BENCH_CHAIN
        text = ("serving:\n  shutdownGracePeriod: 2s\nhandlerChain:\n" +
                "".join(f"  - {l}\n" for l in links) + "logging:\n  level: info\n")
        if plugins is not None:
            text += f"plugins:\n  enabled: [{', '.join(plugins)}]\n"
        cfg.write_text(text)
        args = [str(bench.host_bin), "--config", str(cfg), "--insecure-port", str(port),
                "--secure-port", str(secure_port), "--storage-backend", backend, *map(str, args)]
        if secure_port != -1:
            self.cert_dir = work / "pki"
            args += ["--cert-dir", str(self.cert_dir)]
        if backend == "sqlite":
            args += ["--data-dir", str(data_dir or work / "data")]
        if backend == "etcd3":
            assert etcd is not None
            args += ["--etcd-servers", etcd.url, "--etcd-prefix", "/registry"]
        self.t_exec = time.monotonic()
        self.proc = Proc(f"apiserver-host[{name}]", args, work / "host.log")
        self.port = port
        self.secure_port = secure_port if secure_port > 0 else None
        self._want_secure = secure_port == 0
        self.name = name

    def wait_ready(self, timeout: float = 120.0) -> "Host":
        if not self.port:
            self.port = wait_until(lambda: self.proc.log_port(SERVING_RE), timeout,
                                   "the serving line", self.proc)
        if self._want_secure:
            self.secure_port = wait_until(lambda: self.proc.log_port(SECURE_RE), timeout,
                                          "the secure serving line", self.proc)
        wait_until(lambda: self._ready(), timeout, "/readyz 200", self.proc, step=0.002)
        return self

    def _ready(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                return s.recv(64).startswith(b"HTTP/1.1 200")
        except OSError:
            return False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def secure_url(self) -> str:
        return f"https://127.0.0.1:{self.secure_port}"

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self) -> None:
        self.proc.stop()


class Nginx:
    """nginx serving a directory of static files, tuned as one would for static content; or,
    with `upstream` (a port on 127.0.0.1), a reverse proxy to it with keep-alive upstream
    connections (as one would configure it in front of an HTTP/1.1 API server)."""

    def __init__(self, bench: "Bench", root: Path | None = None, upstream: int | None = None):
        self.port = free_port()
        work = bench.tmp / f"nginx-{self.port}"
        work.mkdir(parents=True, exist_ok=True)
        conf = work / "nginx.conf"
        if upstream:
            backend = f"upstream backend {{ server 127.0.0.1:{upstream}; keepalive 64; }}"
            location = 'proxy_pass http://backend; proxy_http_version 1.1; ' \
                       'proxy_set_header Connection "";'
        else:
            backend, location = "", ""
        conf.write_text(f"""
worker_processes auto;
daemon off;
pid {work}/nginx.pid;
error_log {work}/error.log warn;
worker_rlimit_nofile 65536;
events {{ worker_connections 20000; use epoll; }}
http {{
  access_log off;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_timeout 300s;
  keepalive_requests 100000000;
  open_file_cache max=1000 inactive=300s;
  open_file_cache_valid 300s;
  client_body_temp_path {work}/body;
  types {{ application/json json; }}
  default_type application/json;
  proxy_temp_path {work}/proxy;
  {backend}
  server {{
    listen 127.0.0.1:{self.port} backlog=4096;
    root {root or work};
    location / {{ {location} }}
  }}
}}
""")
        self.proc = Proc("nginx", [bench.tools["nginx"], "-c", str(conf), "-p", str(work), "-e",
                                   str(work / "error.log")], work / "nginx.out",
                         stop_signal=signal.SIGQUIT)
        wait_until(lambda: self._up(), 20, "nginx to listen", self.proc)

    def _up(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
            return True
        except OSError:
            return False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def pids(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True)
        return [self.proc.pid] + [int(x) for x in out.stdout.split()]

    def stop(self) -> None:
        self.proc.stop()


# etcd 3.4 (Debian's) copies its backend's buffer of uncommitted writes for every Txn with a
# compare (fixed in etcd 3.5), and the buffer holds the writes of one backend batch interval
# (100 ms by default). At 20 ms the copies are a fifth as long: Txn/s +40%, Put/s unchanged
# (docs/performance.md). The create scenario measures Put at the defaults too.
ETCD_TUNED = ["--backend-batch-interval", "20ms"]


class Etcd:
    """A single-member etcd on loopback ports with a fresh data directory (durable: fsync on),
    tuned (ETCD_TUNED) unless `tuned` is false."""

    def __init__(self, bench: "Bench", name: str, tuned: bool = True):
        self.client_port, self.peer_port = free_port(), free_port()
        work = bench.tmp / f"etcd-{name}"
        work.mkdir(parents=True, exist_ok=True)
        peer = f"http://127.0.0.1:{self.peer_port}"
        self.proc = Proc("etcd", [
            bench.tools["etcd"], "--name", "bench", "--data-dir", str(work / "data"),
            "--listen-client-urls", self.url, "--advertise-client-urls", self.url,
            "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
            "--initial-cluster", f"bench={peer}", "--logger", "zap", "--log-outputs", "stderr",
            "--log-level", "warn", "--quota-backend-bytes", str(8 << 30),
            *(ETCD_TUNED if tuned else [])], work / "etcd.log")

        def healthy():
            # Healthy, and ours: a free port can be taken by another process before etcd binds
            # it, and then that process would answer here. Ours lists our peer address.
            try:
                return (b'"health":"true"' in http("GET", self.url + "/health", timeout=2)[1]
                        and f'"{peer}"'.encode() in
                        http("POST", self.url + "/v3/cluster/member/list", b"{}", timeout=2)[1])
            except OSError:
                return False
        wait_until(healthy, 30, "etcd /health", self.proc, step=0.1)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.client_port}"

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.client_port}"

    def stop(self) -> None:
        self.proc.stop()


# ---------------------------------------------------------------------------------------------
# Report rows.


@dataclass
class Row:
    scenario: str
    figure: str
    ours: float | None
    unit: str
    reference_name: str = ""
    reference: float | None = None
    ratio: float | None = None       # ours / reference (or as the figure defines it)
    target: str = ""                 # e.g. ">= 0.6", "<= 20 ms"
    met: bool | None = None          # None: no target, or not judged (quick mode)
    note: str = ""
    short: str = ""                  # label in the ratio plot


def ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return a / b


def check(value: float | None, op: str, limit: float) -> bool | None:
    if value is None:
        return None
    return value >= limit if op == ">=" else value <= limit


# ---------------------------------------------------------------------------------------------


class Bench:
    def __init__(self, args):
        self.args = args
        self.quick = args.quick
        self.sizes = QUICK if args.quick else Sizes()
        if args.duration:
            self.sizes.duration = args.duration
        self.build_dir = Path(args.build_dir).resolve()
        self.host_bin = self.build_dir / "bin" / "apiserver-host"
        self.loadgen_bin = self.build_dir / "bin" / "loadgen"
        self.results_dir = Path(args.results_dir).resolve()
        self.results_dir.mkdir(parents=True, exist_ok=True)
        self.stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        base = Path(args.tmp_dir) if args.tmp_dir else self.build_dir
        base.mkdir(parents=True, exist_ok=True)
        # On the same file system as a real deployment's data (not a tmpfs): sqlite and etcd
        # fsync here.
        self.tmp = Path(tempfile.mkdtemp(prefix="bench-", dir=base))
        self.tmp.chmod(0o755)  # nginx's workers (www-data) read the files served from here
        self.tools = {t: shutil.which(t) or (f"/usr/sbin/{t}" if Path(f"/usr/sbin/{t}").exists()
                                              else None)
                      for t in ("nginx", "wrk", "etcd", "gnuplot", "curl", "perf")}
        # BENCH_WITHOUT=nginx,wrk: behave as if those were not installed (to test the skips).
        for t in filter(None, os.environ.get("BENCH_WITHOUT", "").split(",")):
            self.tools[t] = None
        self.rows: list[Row] = []
        self.raw: dict = {}
        self.status: dict = {}
        self.plots: list[dict] = []

    # -- helpers ---------------------------------------------------------------------------

    def loadgen(self, mode: str, *args, server_pid: int = 0, timeout: float = 1800) -> dict:
        cmd = [str(self.loadgen_bin), mode, *[str(a) for a in args]]
        if server_pid and mode in ("http", "watch"):
            cmd += ["--server-pid", str(server_pid)]
        if not self.quick:
            cmd.append("--progress")
        t0 = cpu_busy_jiffies()
        la = loadavg()
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=None if not self.quick else
                           subprocess.PIPE, text=True, timeout=timeout, preexec_fn=_die_with_parent)
        if r.returncode != 0:
            raise RuntimeError(f"loadgen {mode} failed ({r.returncode}): {' '.join(cmd)}\n"
                               f"{r.stderr if self.quick else ''}")
        out = json.loads(r.stdout.strip().splitlines()[-1])
        t1 = cpu_busy_jiffies()
        out["machine"] = {"loadavg_before": la, "loadavg_after": loadavg(),
                          "cpu_busy_pct": round(100 * (t1[0] - t0[0]) / max(1, t1[1] - t0[1]), 1)}
        out["command"] = " ".join(cmd)
        return out

    def wrk(self, url: str, connections: int, duration: float, headers: tuple = (),
            cpu_of: dict | None = None) -> dict:
        """wrk, 2 threads, keep-alive. `headers`: "Name: value" strings (-H); `cpu_of`: name ->
        pid of processes whose CPU time during the run is reported (server_cpu_s)."""
        cmd = [self.tools["wrk"], "-t", "2", "-c", str(connections), "-d", f"{max(1, round(duration))}s",
               "--latency", "-s", str(BENCH / "wrk-report.lua")]
        for h in headers:
            cmd += ["-H", h]
        cmd.append(url)
        t0 = cpu_busy_jiffies()
        la = loadavg()
        c0 = {k: cpu_seconds(pid) for k, pid in (cpu_of or {}).items()}
        w0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60,
                           preexec_fn=_die_with_parent)
        w1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = {k: round(cpu_seconds(pid) - c0[k], 2) for k, pid in (cpu_of or {}).items()}
        m = re.search(r"^WRKJSON (.*)$", r.stdout, re.M)
        if r.returncode != 0 or not m:
            raise RuntimeError(f"wrk failed: {redact(' '.join(cmd))}\n{r.stdout}\n{r.stderr}")
        w = json.loads(m.group(1))
        t1 = cpu_busy_jiffies()
        secs = w["duration_us"] / 1e6
        errors = sum(w["errors"].values())
        lat = w["latency_us"]
        pct = {q: v / 1000 for q, v in lat["percentiles"]}
        return {
            "mode": "wrk", "command": redact(" ".join(cmd)),
            "window_s": secs,
            "requests": w["requests"], "errors": errors, "error_detail": w["errors"],
            "ok": w["requests"] - w["errors"]["status"], "rps": (w["requests"] - errors) / secs,
            "bytes_in": w["bytes"], "mb_per_s": w["bytes"] / secs / 1e6,
            "latency": {"count": w["requests"], "min_ms": lat["min"] / 1000,
                        "mean_ms": lat["mean"] / 1000, "max_ms": lat["max"] / 1000,
                        "p50_ms": pct.get(50), "p90_ms": pct.get(90), "p99_ms": pct.get(99),
                        "p99_9_ms": pct.get(99.9),
                        "spectrum": [[q, v / 1000] for q, v in lat["percentiles"]] +
                                    [[100, lat["max"] / 1000]]},
            "machine": {"loadavg_before": la, "loadavg_after": loadavg(),
                        "cpu_busy_pct": round(100 * (t1[0] - t0[0]) / max(1, t1[1] - t0[1]), 1)},
            "server_cpu_s": cpu,
            "client_cpu_s": round(w1.ru_utime + w1.ru_stime - w0.ru_utime - w0.ru_stime, 2),
        }

    def http_load(self, url_port: int, requests: list[str], connections: int, duration: float,
                  warmup: float, server_pid: int = 0, rate: float = 0, extra=()) -> dict:
        args = ["--port", url_port, "--connections", connections, "--duration", duration,
                "--warmup", warmup, *extra]
        if rate:
            args += ["--rate", rate]
        for r in requests:
            args += ["--request", r]
        return self.loadgen("http", *args, server_pid=server_pid)

    def populate(self, host: Host, count: int, body: Path, start: int = 0,
                 name: str = "pods") -> dict:
        """Creates `count` pods through the API, fast (POST at high concurrency)."""
        log(f"  creating {count} {name} through {host.name}")
        r = self.loadgen("http", "--port", host.port, "--connections",
                         min(self.sizes.populate_connections, max(1, count)),
                         "--max-requests", count, "--start-index", start,
                         "--request", f"1 POST {POD_PATH} @{body}", "--timeout", 3600,
                         server_pid=host.pid, timeout=3700)
        if r["ok"] != count:
            raise RuntimeError(f"populating: {r['ok']} of {count} created: "
                               f"{r.get('first_error', '')}")
        log(f"  created {count} in {r['window_s']:.1f}s ({r['rps']:.0f}/s)")
        return r

    def alternate(self, label: str, runs: dict, strict: bool = False) -> dict:
        """Runs each side (name -> function returning a result) `repeats` times, alternating,
        and keeps every result; the best (highest rps) of each side is the figure. A run with
        more than 1% errors fails the scenario; with `strict`, a single error does: an answer
        with a 4xx/5xx status (wrk's status errors: a 401/403 or 503 flood cannot pass as
        throughput) or a socket error."""
        results: dict[str, list] = {k: [] for k in runs}
        for i in range(self.sizes.repeats):
            for name, fn in runs.items():
                log(f"  {label}: {name} (run {i + 1}/{self.sizes.repeats})")
                results[name].append(fn())
                r = results[name][-1]
                errors, total = r.get("errors", 0), max(1, r.get("requests", 0))
                if r.get("ok", 0) == 0 or errors > 0.01 * total or (strict and errors):
                    raise RuntimeError(f"{label}, {name}: {errors} errors in {total} requests: "
                                       f"{r.get('first_error') or r.get('error_detail')}")
                log(f"    {r['rps']:.0f}/s, p50 {r['latency']['p50_ms']} ms, "
                    f"p99 {r['latency']['p99_ms']} ms, errors {r.get('errors', 0)}, "
                    f"machine busy {r['machine']['cpu_busy_pct']}%")
        best = {k: max(v, key=lambda r: r["rps"]) for k, v in results.items()}
        return {"best": best, "runs": results}

    def add(self, row: Row) -> None:
        if self.quick:
            row.met = None  # no thresholds in quick mode
        self.rows.append(row)

    def plot(self, name: str, title: str, series: dict[str, dict]) -> None:
        """A latency-by-percentile plot of each series' spectrum (ms)."""
        self.plots.append({"name": name, "title": title,
                           "series": {k: v["spectrum"] for k, v in series.items()
                                      if v and v.get("spectrum")}})

    # -- scenarios -------------------------------------------------------------------------

    def need(self, *tools: str) -> None:
        missing = [t for t in tools if not self.tools.get(t)]
        if missing:
            raise Skip(f"not installed: {', '.join(missing)}")

    def s_get(self):
        """GET one pod by name, keep-alive, 32 connections; vs nginx serving its bytes."""
        self.need("nginx", "wrk", "curl")
        z = self.sizes
        host = Host(self, "get", "memory").wait_ready()
        www = self.tmp / "www-get"
        www.mkdir()
        body = (TEMPLATES / "pod.json").read_text().replace("{{n}}", "get")
        st, _ = http("POST", host.url + POD_PATH, body.encode())
        if st != 201:
            raise RuntimeError(f"create: HTTP {st}")
        path = f"{POD_PATH}/bench-get"
        subprocess.run([self.tools["curl"], "-sf", "-o", str(www / "pod.json"), host.url + path],
                       check=True)
        size = (www / "pod.json").stat().st_size
        nginx = Nginx(self, www)
        try:
            def ours():
                self.wrk(host.url + path, z.get_connections, z.warmup)
                return self.wrk(host.url + path, z.get_connections, z.duration)

            def ref():
                self.wrk(nginx.url + "/pod.json", z.get_connections, z.warmup)
                return self.wrk(nginx.url + "/pod.json", z.get_connections, z.duration)
            if self.args.perf:
                self.profile(host, host.url + path, z.get_connections)
            res = self.alternate("GET", {"apiserver": ours, "nginx": ref})
        finally:
            nginx.stop()
            host.stop()
        o, n = res["best"]["apiserver"], res["best"]["nginx"]
        self.raw["get"] = {"object_bytes": size, **res}
        sc = f"GET one pod ({size} B), {z.get_connections} conns, wrk"
        self.add(Row(sc, "requests/s", o["rps"], "req/s", "nginx static file", n["rps"],
                     ratio(o["rps"], n["rps"]), ">= 0.6", check(ratio(o["rps"], n["rps"]), ">=", 0.6),
                     short="GET vs nginx"))
        self.add(Row(sc, "p50 latency", o["latency"]["p50_ms"], "ms", "nginx",
                     n["latency"]["p50_ms"], ratio(o["latency"]["p50_ms"], n["latency"]["p50_ms"])))
        self.add(Row(sc, "p99 latency", o["latency"]["p99_ms"], "ms", "nginx",
                     n["latency"]["p99_ms"], ratio(o["latency"]["p99_ms"], n["latency"]["p99_ms"])))
        self.plot("get", f"GET one pod, {z.get_connections} connections (wrk, closed loop)",
                  {"apiserver-host": o["latency"], "nginx": n["latency"]})

    def s_https(self):
        """GET one pod over HTTPS (TLS, a bearer token, RBAC) vs the same GET over plain HTTP
        with AlwaysAllow; both hosts run the default handler chain."""
        self.need("wrk")
        z = self.sizes
        c = z.get_connections
        work = self.tmp / "https-tokens"
        work.mkdir(parents=True, exist_ok=True)
        token = "bench-" + os.urandom(16).hex()
        tokens = work / "tokens.csv"
        # kube's static token file: token,user,uid,"group1,group2". The user is no member of
        # system:masters (who is allowed before any authorizer is asked): RBAC decides.
        tokens.write_text(f'{token},bench-reader,1001,"bench-readers"\n')
        sec = plain = None
        try:
            sec = Host(self, "https-tls", "memory", chain="default", secure_port=0,
                       args=("--token-auth-file", tokens, "--authorization-mode", "RBAC")).wait_ready()
            plain = Host(self, "https-plain", "memory", chain="default",
                         args=("--authorization-mode", "AlwaysAllow")).wait_ready()
            body = (TEMPLATES / "pod.json").read_text().replace("{{n}}", "get").encode()
            for h in (sec, plain):  # set up through the insecure port (system:unsecured)
                st, _ = http("POST", h.url + POD_PATH, body)
                if st != 201:
                    raise RuntimeError(f"create on {h.name}: HTTP {st}")
            rbac = "/apis/rbac.authorization.k8s.io/v1"
            for kind, obj in (("clusterroles", {
                    "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                    "metadata": {"name": "bench-pod-reader"},
                    "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]}),
                    ("clusterrolebindings", {
                        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                        "metadata": {"name": "bench-pod-reader"},
                        "subjects": [{"kind": "User", "apiGroup": "rbac.authorization.k8s.io",
                                      "name": "bench-reader"}],
                        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                                    "name": "bench-pod-reader"}})):
                st, out = http("POST", f"{sec.url}{rbac}/{kind}", json.dumps(obj).encode())
                if st != 201:
                    raise RuntimeError(f"create {kind}: HTTP {st}: {out[:300]!r}")
            path = f"{POD_PATH}/bench-get"
            ctx = ssl.create_default_context(cafile=str(sec.cert_dir / "ca.crt"))
            auth = {"Authorization": f"Bearer {token}"}
            # The token's user may get the pod (once the authorizer has seen the binding); no
            # token is system:anonymous, refused (403); a wrong token is refused (401). So the
            # measured path authenticates and authorizes, and a 200 is the pod.
            wait_until(lambda: http("GET", sec.secure_url + path, headers=auth, context=ctx)[0]
                       == 200, 10, "200 with the token over HTTPS", sec.proc, step=0.05)
            st, got = http("GET", sec.secure_url + path, headers=auth, context=ctx)
            if st != 200 or json.loads(got)["metadata"]["name"] != "bench-get":
                raise RuntimeError(f"GET over HTTPS with the token: HTTP {st}")
            st_anon = http("GET", sec.secure_url + path, context=ctx)[0]
            st_bad = http("GET", sec.secure_url + path, headers={"Authorization": "Bearer nope"},
                          context=ctx)[0]
            if (st_anon, st_bad) != (403, 401):
                raise RuntimeError(f"over HTTPS without a token: HTTP {st_anon} (expected 403), "
                                   f"with a wrong one: HTTP {st_bad} (expected 401)")
            st, plain_got = http("GET", plain.url + path)
            if st != 200:
                raise RuntimeError(f"GET over plain HTTP: HTTP {st}")
            with socket.create_connection(("127.0.0.1", sec.secure_port), timeout=10) as s, \
                    ctx.wrap_socket(s, server_hostname="127.0.0.1") as t:
                tls = f"{t.version()} {t.cipher()[0]}"
            hdr = (f"Authorization: Bearer {token}",)
            cpu = {"server": sec.pid}
            pcpu = {"server": plain.pid}

            def ours():
                self.wrk(sec.secure_url + path, c, z.warmup, hdr)
                return self.wrk(sec.secure_url + path, c, z.duration, hdr, cpu_of=cpu)

            def ref():
                self.wrk(plain.url + path, c, z.warmup)
                return self.wrk(plain.url + path, c, z.duration, cpu_of=pcpu)
            if self.args.perf:
                self.profile(sec, sec.secure_url + path, c, "https", hdr)
            res = self.alternate("GET https", {"https": ours, "http": ref}, strict=True)
        finally:
            for h in (sec, plain):
                if h:
                    h.stop()
        o, p = res["best"]["https"], res["best"]["http"]
        self.raw["https"] = {"object_bytes": len(got), "plain_object_bytes": len(plain_got),
                             "tls": tls, "refused": {"no_token": st_anon, "bad_token": st_bad}, **res}
        sc = (f"GET one pod ({len(got)} B) over HTTPS: TLS, bearer token, RBAC; {c} conns, wrk")
        us = lambda r, k: 1e6 * (r["server_cpu_s"][k] if k else r["client_cpu_s"]) \
            / max(1, r["requests"])  # noqa: E731
        self.add(Row(sc, "requests/s", o["rps"], "req/s", "plain HTTP, AlwaysAllow, same chain",
                     p["rps"], ratio(o["rps"], p["rps"]), ">= 0.7",
                     check(ratio(o["rps"], p["rps"]), ">=", 0.7),
                     f"{tls}; CPU per request: server {us(o, 'server'):.0f} vs {us(p, 'server'):.0f} µs, "
                     f"wrk {us(o, None):.0f} vs {us(p, None):.0f} µs; "
                     f"4xx/5xx answers: {o['error_detail']['status']} and {p['error_detail']['status']}",
                     short="HTTPS vs HTTP"))
        self.add(Row(sc, "p50 latency", o["latency"]["p50_ms"], "ms", "plain HTTP",
                     p["latency"]["p50_ms"], ratio(o["latency"]["p50_ms"], p["latency"]["p50_ms"])))
        self.add(Row(sc, "p99 latency", o["latency"]["p99_ms"], "ms", "plain HTTP",
                     p["latency"]["p99_ms"], ratio(o["latency"]["p99_ms"], p["latency"]["p99_ms"])))
        self.plot("https", f"GET one pod, HTTPS + token + RBAC vs plain HTTP, {c} connections (wrk)",
                  {"HTTPS, token, RBAC": o["latency"], "plain HTTP, AlwaysAllow": p["latency"]})

    def s_proxy(self):
        """GET one Gadget through the aggregator (host A) vs straight from its backend (host B),
        wired as tests/e2e/test_aggregator.py wires them."""
        self.need("wrk")
        z = self.sizes
        c = z.get_connections
        group, version = "samples.example.com", "v1alpha1"
        gadgets = f"/apis/{group}/{version}/namespaces/default/gadgets"
        a = b = nginx = None
        try:
            # B: the sample plugin's group, plain HTTP; A: the aggregator. Both AlwaysAllow (no
            # rbac plugin) and the default chain, as in the e2e suite; A forwards the insecure
            # port's user (system:unsecured) in X-Remote-* headers, which B does not need.
            b = Host(self, "proxy-b", "memory", chain="default", plugins=["core", "sample"],
                     args=("--authorization-mode", "AlwaysAllow")).wait_ready()
            a = Host(self, "proxy-a", "memory", chain="default", plugins=["core", "aggregator"],
                     args=("--authorization-mode", "AlwaysAllow")).wait_ready()
            gadget = {"apiVersion": f"{group}/{version}", "kind": "Gadget",
                      "metadata": {"name": "bench-gadget", "namespace": "default"},
                      "spec": {"size": 3, "parts": [{"name": "gear", "count": 2}]}}
            st, out = http("POST", b.url + gadgets, json.dumps(gadget).encode())
            if st != 201:
                raise RuntimeError(f"create the gadget on B: HTTP {st}: {out[:300]!r}")
            # An ExternalName Service to 127.0.0.1 (kube refuses loopback Endpoints) whose port
            # has appProtocol http: A speaks plain HTTP to B's insecure port.
            svc = {"apiVersion": "v1", "kind": "Service",
                   "metadata": {"name": "sample-api", "namespace": "default"},
                   "spec": {"type": "ExternalName", "externalName": "127.0.0.1",
                            "ports": [{"name": "http", "port": b.port, "appProtocol": "http"}]}}
            apisvc = {"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
                      "metadata": {"name": f"{version}.{group}"},
                      "spec": {"group": group, "version": version, "groupPriorityMinimum": 1000,
                               "versionPriority": 15,
                               "service": {"namespace": "default", "name": "sample-api",
                                           "port": b.port}}}
            apisvcs = "/apis/apiregistration.k8s.io/v1/apiservices"
            for url, obj in ((a.url + "/api/v1/namespaces/default/services", svc),
                             (a.url + apisvcs, apisvc)):
                st, out = http("POST", url, json.dumps(obj).encode())
                if st != 201:
                    raise RuntimeError(f"create {obj['kind']} on A: HTTP {st}: {out[:300]!r}")

            def available():
                st, out = http("GET", f"{a.url}{apisvcs}/{version}.{group}")
                conds = json.loads(out).get("status", {}).get("conditions", []) if st == 200 else []
                return any(c["type"] == "Available" and c["status"] == "True" for c in conds)
            wait_until(available, 30, f"APIService {version}.{group} Available=True", a.proc,
                       step=0.05)
            path = f"{gadgets}/bench-gadget"

            def settled():  # B's controller marks it Ready: its last write
                st, out = http("GET", b.url + path)
                return st == 200 and json.loads(out).get("status", {}).get("phase") == "Ready"
            wait_until(settled, 30, "the gadget Ready on B", b.proc, step=0.05)
            st_a, via_a = http("GET", a.url + path)
            st_b, direct = http("GET", b.url + path)
            if st_a != 200 or st_b != 200 or json.loads(via_a) != json.loads(direct):
                raise RuntimeError(f"GET through A: HTTP {st_a}, from B: HTTP {st_b}; "
                                   f"the same object: {via_a == direct}")
            both = {"A": a.pid, "B": b.pid}

            def side(url, cpu_of):
                def run():
                    self.wrk(url + path, c, z.warmup)
                    return self.wrk(url + path, c, z.duration, cpu_of=cpu_of)
                return run
            sides = {"through A": side(a.url, both), "B direct": side(b.url, both)}
            # For scale, not judged: nginx as a reverse proxy in front of B (keep-alive
            # upstream), i.e. what one more HTTP hop costs on this machine with a proxy that
            # does nothing else.
            if self.tools.get("nginx"):
                nginx = Nginx(self, upstream=b.port)
                sides["nginx proxy"] = side(nginx.url, {"B": b.pid})
            if self.args.perf:
                self.profile(a, a.url + path, c, "proxy")
            res = self.alternate("GET proxy", sides, strict=True)
        finally:
            for h in (nginx, a, b):
                if h:
                    h.stop()
        o, d = res["best"]["through A"], res["best"]["B direct"]
        self.raw["proxy"] = {"object_bytes": len(direct), **res}
        sc = f"GET one Gadget ({len(direct)} B) through the aggregator; {c} conns, wrk"
        us = lambda r, k: 1e6 * (r["server_cpu_s"][k] if k else r["client_cpu_s"]) \
            / max(1, r["requests"])  # noqa: E731
        self.add(Row(sc, "requests/s", o["rps"], "req/s", "host B directly (same GET)", d["rps"],
                     ratio(o["rps"], d["rps"]), ">= 0.8", check(ratio(o["rps"], d["rps"]), ">=", 0.8),
                     f"CPU per request through A: A {us(o, 'A'):.0f} + B {us(o, 'B'):.0f} µs "
                     f"(wrk {us(o, None):.0f}); directly: B {us(d, 'B'):.0f} µs (wrk {us(d, None):.0f})",
                     short="proxy vs direct"))
        self.add(Row(sc, "p50 latency", o["latency"]["p50_ms"], "ms", "B directly",
                     d["latency"]["p50_ms"], ratio(o["latency"]["p50_ms"], d["latency"]["p50_ms"])))
        self.add(Row(sc, "p99 latency", o["latency"]["p99_ms"], "ms", "B directly",
                     d["latency"]["p99_ms"], ratio(o["latency"]["p99_ms"], d["latency"]["p99_ms"])))
        series = {"through A (aggregator)": o["latency"], "B directly": d["latency"]}
        if "nginx proxy" in res["best"]:
            n = res["best"]["nginx proxy"]
            self.add(Row(sc, "requests/s through nginx proxy_pass to B (for scale)", n["rps"],
                         "req/s", "host B directly", d["rps"], ratio(n["rps"], d["rps"]),
                         note=f"through A / through nginx: {ratio(o['rps'], n['rps']):.2f}; "
                              f"nginx p50 {n['latency']['p50_ms']} ms, p99 {n['latency']['p99_ms']} ms"))
            series["through nginx (reverse proxy)"] = n["latency"]
        self.plot("proxy", f"GET one Gadget through the aggregator vs directly, {c} connections (wrk)",
                  series)

    def s_list(self):
        """LIST 10,000 pods; vs nginx serving the same bytes, and an etcd range of the values."""
        self.need("curl")
        z = self.sizes
        etcd = Etcd(self, "list") if self.tools.get("etcd") else None
        host = None
        nginx = None
        try:
            # With etcd3 the pods are in etcd too, under the same keys: the range reference
            # reads exactly the values the server stores.
            host = Host(self, "list", "etcd3" if etcd else "memory", etcd=etcd).wait_ready()
            self.populate(host, z.list_pods, TEMPLATES / "pod.json")
            www = self.tmp / "www-list"
            www.mkdir()
            subprocess.run([self.tools["curl"], "-sf", "-o", str(www / "pods.json"),
                            host.url + POD_PATH], check=True)
            size = (www / "pods.json").stat().st_size
            items = len(json.loads((www / "pods.json").read_bytes())["items"])
            if items != z.list_pods:
                raise RuntimeError(f"the list has {items} items, expected {z.list_pods}")
            log(f"  list body: {size / 1e6:.2f} MB, {items} items")
            c = z.list_connections
            lt = ["--threads", z.list_threads]
            sides = {"apiserver": lambda: self.http_load(host.port, [f"1 GET {POD_PATH}"], c,
                                                         z.duration, z.warmup, host.pid, extra=lt)}
            if self.tools.get("nginx"):
                nginx = Nginx(self, www)
                sides["nginx"] = lambda: self.http_load(nginx.port, ["1 GET /pods.json"], c,
                                                        z.duration, z.warmup, extra=lt)
            if etcd:
                sides["etcd"] = lambda: self.loadgen(
                    "etcd", "--endpoint", etcd.endpoint, "--op", "range", "--range-prefix",
                    "/registry/pods/", "--concurrency", c, "--duration", z.duration,
                    "--warmup", z.warmup)
            res = self.alternate("LIST", sides)
        finally:
            for p in (nginx, host, etcd):
                if p:
                    p.stop()
        b = res["best"]
        o = b["apiserver"]
        self.raw["list"] = {"list_bytes": size, "items": items, **res}
        sc = f"LIST {items} pods ({size / 1e6:.1f} MB), {c} conns"
        if "nginx" in b:
            n = b["nginx"]
            self.add(Row(sc, "throughput", o["mb_per_s"], "MB/s", "nginx, same bytes",
                         n["mb_per_s"], ratio(o["mb_per_s"], n["mb_per_s"]), ">= 0.5",
                         check(ratio(o["mb_per_s"], n["mb_per_s"]), ">=", 0.5),
                         f"{o['rps']:.1f} vs {n['rps']:.1f} lists/s", short="LIST vs nginx"))
            self.add(Row(sc, "p50 latency", o["latency"]["p50_ms"], "ms", "nginx",
                         n["latency"]["p50_ms"], ratio(o["latency"]["p50_ms"],
                                                       n["latency"]["p50_ms"])))
        if "etcd" in b:
            e = b["etcd"]
            self.add(Row(sc, "lists/s vs etcd range", o["rps"], "lists/s",
                         "etcd range, same values", e["rps"], ratio(o["rps"], e["rps"]),
                         note=f"etcd p50 {e['latency']['p50_ms']} ms"))
        self.plot("list", f"LIST {items} pods, {c} connections (closed loop)",
                  {k if k != "apiserver" else "apiserver-host": v["latency"] for k, v in b.items()})

    def s_create_memory(self):
        """CREATE pods (memory backend) vs nginx static GET of the same bytes, same client."""
        self.need("nginx", "curl")
        z = self.sizes
        host = Host(self, "create-memory", "memory").wait_ready()
        www = self.tmp / "www-create"
        www.mkdir()
        nginx = None
        try:
            st, created = http("POST", host.url + POD_PATH,
                               (TEMPLATES / "pod.json").read_text().replace("{{n}}", "x").encode())
            if st != 201:
                raise RuntimeError(f"create: HTTP {st}")
            (www / "pod.json").write_bytes(created)
            nginx = Nginx(self, www)
            counter = iter(range(10**9))
            c = z.create_connections
            ours = self.create_load(host, counter, c)
            res = self.alternate("CREATE memory", {
                "apiserver": ours,
                "nginx": lambda: self.http_load(nginx.port, ["1 GET /pod.json"], c, z.duration,
                                                z.warmup)})
            cross = self.wrk(nginx.url + "/pod.json", c, z.duration) if self.tools.get("wrk") \
                else None
        finally:
            for p in (nginx, host):
                if p:
                    p.stop()
        o, n = res["best"]["apiserver"], res["best"]["nginx"]
        self.raw["create_memory"] = {"object_bytes": len(created), **res, "nginx_wrk": cross}
        sc = f"CREATE pods, memory backend, {c} conns"
        # The reference is nginx's best figure under either client (wrk is the lighter client,
        # so it leaves nginx more CPU): the ratio is never flattered by a slow client.
        ref_rps, ref_name = n["rps"], "nginx static GET, same bytes (loadgen)"
        if cross and cross["rps"] > ref_rps:
            ref_rps, ref_name = cross["rps"], "nginx static GET, same bytes (wrk)"
        note = (f"nginx: {n['rps']:.0f}/s under loadgen, {cross['rps']:.0f}/s under wrk"
                if cross else "")
        self.add(Row(sc, "creates/s", o["rps"], "req/s", ref_name, ref_rps,
                     ratio(o["rps"], ref_rps), ">= 0.4",
                     check(ratio(o["rps"], ref_rps), ">=", 0.4), note, short="CREATE memory vs nginx"))
        self.add(Row(sc, "p99 latency", o["latency"]["p99_ms"], "ms", "nginx",
                     n["latency"]["p99_ms"], ratio(o["latency"]["p99_ms"],
                                                   n["latency"]["p99_ms"])))
        self.plot("create-memory", f"CREATE pods (memory backend) vs nginx GET, {c} connections",
                  {"apiserver-host create": o["latency"], "nginx GET": n["latency"]})

    def stored_pod_value(self, host: Host, file_name: str) -> Path:
        """The value the backend stores for a pod of the create template (its JSON without
        resourceVersion, from one create through `host`), with {{n}} for the name's number:
        what the raw references write."""
        st, created = http("POST", host.url + POD_PATH,
                           (TEMPLATES / "pod.json").read_text().replace("{{n}}", "v").encode())
        if st != 201:
            raise RuntimeError(f"create: HTTP {st}")
        value = self.tmp / file_name
        stored = json.loads(created)
        stored["metadata"].pop("resourceVersion", None)
        value.write_text(json.dumps(stored, separators=(",", ":")).replace(
            '"bench-v"', '"bench-{{n}}"'))
        return value

    def create_load(self, host: Host, counter, c: int):
        """A measurement of creates through `host` with `c` connections; each call names its
        pods from a fresh range of `counter`."""
        z = self.sizes
        body = TEMPLATES / "pod.json"

        def ours():
            start = next(counter) * 10_000_000
            return self.http_load(host.port, [f"1 POST {POD_PATH} @{body}"], c, z.duration,
                                  z.warmup, host.pid, extra=["--start-index", start])
        return ours

    def s_create_etcd3(self):
        """CREATE pods (etcd3 backend) vs raw etcd puts at the same value size and concurrency."""
        self.need("etcd")
        z = self.sizes
        etcd = Etcd(self, "create")
        plain = host = None
        try:
            plain = Etcd(self, "create-defaults", tuned=False)
            host = Host(self, "create-etcd3", "etcd3", etcd=etcd).wait_ready()
            value = self.stored_pod_value(host, "etcd-value.json")
            counter = iter(range(10**9))
            c = z.create_connections
            ours = self.create_load(host, counter, c)

            def raw(op, on=etcd, watch=False):
                def run():
                    start = next(counter) * 10_000_000
                    r = self.loadgen("etcd", "--endpoint", on.endpoint, "--op", op,
                                     "--concurrency", c, "--duration", z.duration, "--warmup",
                                     z.warmup, "--value-file", value, "--start-index", start,
                                     "--key", "/bench/pods/default/bench-{{n}}",
                                     *(["--watch", "/bench/"] if watch else []))
                    if watch and r.get("watch_events", 0) < r.get("ok", 0):
                        raise RuntimeError(f"etcd txn + watch: {r.get('watch_events', 0)} events "
                                           f"for {r.get('ok', 0)} writes")
                    return r
                return run
            # The Put is the reference, on the tuned etcd and on one at etcd's defaults: the
            # better of the two counts. The Txn (put if the key is absent: the write a create
            # makes, as kube-apiserver's) shows what etcd allows a create; with a watch on the
            # keys (as every API server's watch cache keeps one, prev_kv), what it allows an API
            # server.
            res = self.alternate("CREATE etcd3", {
                "apiserver": ours, "etcd put": raw("put"),
                "etcd put, defaults": raw("put", on=plain), "etcd txn": raw("txn"),
                "etcd txn + watch": raw("txn", watch=True)})
        finally:
            for p in (host, etcd, plain):
                if p:
                    p.stop()
        best = res["best"]
        o, t, tw = best["apiserver"], best["etcd txn"], best["etcd txn + watch"]
        tuned, plain_put = best["etcd put"], best["etcd put, defaults"]
        e = max(tuned, plain_put, key=lambda r: r["rps"])
        which = "tuned" if e is tuned else "defaults"
        self.raw["create_etcd3"] = {"value_bytes": value.stat().st_size, **res}
        sc = f"CREATE pods, etcd3 backend, {c} conns"
        self.add(Row(sc, "creates/s", o["rps"], "req/s",
                     f"raw etcd Put (gRPC), same value size; etcd {which}", e["rps"],
                     ratio(o["rps"], e["rps"]), ">= 0.7", check(ratio(o["rps"], e["rps"]), ">=", 0.7),
                     short="CREATE etcd3 vs etcd put"))
        self.add(Row(sc, "p99 latency", o["latency"]["p99_ms"], "ms", "etcd Put",
                     e["latency"]["p99_ms"], ratio(o["latency"]["p99_ms"], e["latency"]["p99_ms"])))
        self.add(Row(sc, "raw etcd Put, etcd at its defaults (for scale)", plain_put["rps"],
                     "req/s", "raw etcd Put, tuned etcd", tuned["rps"],
                     ratio(plain_put["rps"], tuned["rps"])))
        for name, r in (("raw etcd Txn, put if absent (for scale)", t),
                        ("raw etcd Txn with a prev_kv watch on the keys (for scale)", tw)):
            over = ratio(o["rps"], r["rps"])
            self.add(Row(sc, name, r["rps"], "req/s", "raw etcd Put", e["rps"],
                         ratio(r["rps"], e["rps"]),
                         note=f"creates/s over it: {over:.2f}" if over else ""))
        self.plot("create-etcd3", f"CREATE pods (etcd3) vs raw etcd Put and Txn, {c} in flight",
                  {"apiserver-host create": o["latency"], "etcd Put": e["latency"],
                   "etcd Txn": t["latency"], "etcd Txn + watch": tw["latency"]})

    def s_create_sqlite(self):
        """CREATE pods (sqlite, durable) vs raw SQLite inserts with the same durability."""
        z = self.sizes
        host = Host(self, "create-sqlite", "sqlite").wait_ready()
        try:
            value = self.stored_pod_value(host, "sqlite-value.json")
            counter = iter(range(10**9))
            c = z.create_connections
            ours = self.create_load(host, counter, c)

            def ref():
                db = self.tmp / f"raw-{next(counter)}.db"
                return self.loadgen("sqlite", "--db", db, "--concurrency", c, "--duration",
                                    z.duration, "--warmup", z.warmup, "--value-file", value)
            res = self.alternate("CREATE sqlite", {"apiserver": ours, "raw sqlite": ref})
        finally:
            host.stop()
        o, s = res["best"]["apiserver"], res["best"]["raw sqlite"]
        self.raw["create_sqlite"] = {"value_bytes": value.stat().st_size, **res}
        sc = f"CREATE pods, sqlite backend (durable), {c} conns"
        self.add(Row(sc, "creates/s", o["rps"], "req/s",
                     "raw SQLite inserts, WAL + synchronous=FULL, group commit", s["rps"],
                     ratio(o["rps"], s["rps"]), ">= 0.5",
                     check(ratio(o["rps"], s["rps"]), ">=", 0.5),
                     f"raw: {s['mean_batch']:.1f} inserts per commit", short="CREATE sqlite vs raw"))
        self.add(Row(sc, "p99 latency", o["latency"]["p99_ms"], "ms", "raw SQLite",
                     s["latency"]["p99_ms"], ratio(o["latency"]["p99_ms"], s["latency"]["p99_ms"])))
        self.plot("create-sqlite", f"CREATE pods (sqlite) vs raw SQLite inserts, {c} writers",
                  {"apiserver-host create": o["latency"], "raw SQLite": s["latency"]})

    def watch_load(self, port: int, n: int, server_pid: int) -> dict:
        """`loadgen watch`: n watchers on pods and the updates at the scenario's rate."""
        z = self.sizes
        log(f"  {n} watchers, {z.watch_rate:.0f} updates/s")
        return self.loadgen(
            "watch", "--port", port, "--watchers", n, "--rate", z.watch_rate,
            "--objects", z.watch_objects, "--object-path", f"{POD_PATH}/bench-w-{{{{n}}}}",
            "--body-file", TEMPLATES / "watch-update.json", "--warmup",
            min(2.0, z.warmup + 1), "--duration", z.watch_duration,
            "--threads", 1 if n <= 1000 else 2, server_pid=server_pid)

    def watch_run(self, n: int) -> dict:
        """One WATCH fan-out run on a fresh host: n watchers (0: the updates alone). Also
        records the size of an event line as the host writes it (`event_bytes`)."""
        z = self.sizes
        host = Host(self, f"watch-{n}", "memory").wait_ready()
        try:
            self.populate(host, z.watch_objects, TEMPLATES / "watch-create.json",
                          name="watched pods")
            # Warm the server up (allocator, caches) before the baseline RSS is taken.
            self.http_load(host.port, [f"1 GET {POD_PATH}/bench-w-0"], 4, 1, 0)
            r = self.watch_load(host.port, n, host.pid)
            st, obj = http("GET", f"{host.url}{POD_PATH}/bench-w-0")
            if st != 200:
                raise RuntimeError(f"GET of a watched pod: HTTP {st}")
            r["event_bytes"] = len(obj) + len(b'{"type":"MODIFIED","object":}\n')
            return r
        finally:
            host.stop()

    def raw_fanout_run(self, n: int, event_bytes: int) -> dict:
        """The same watches and updates against `loadgen fanout-server`, the least a server can
        do for them (no JSON, no cache, no handler chain: each update's body goes out to every
        watch as an event line of the host's size), on as many I/O threads as the host has."""
        work = self.tmp / f"raw-fanout-{n}"
        work.mkdir(parents=True, exist_ok=True)
        proc = Proc("raw fan-out", [str(self.loadgen_bin), "fanout-server", "--port", "0",
                                    "--threads", str(os.cpu_count() or 2), "--event-bytes",
                                    str(event_bytes)], work / "out.log")
        try:
            port = wait_until(lambda: proc.log_port(RAW_PORT_RE), 30, "the raw fan-out's port",
                              proc)
            log(f"  the raw fan-out, {event_bytes}-byte events:")
            return self.watch_load(port, n, proc.pid)
        finally:
            proc.stop()

    def s_watch(self):
        """WATCH fan-out: N watchers on pods, updates at a fixed rate; delivery p99, memory."""
        z = self.sizes
        # The same updates without watchers: what the server's RSS grows by anyway (the watch
        # cache's history of the updated objects, allocator arenas), so that memory per watcher
        # counts what the watchers add.
        base = self.watch_run(0)
        self.raw["watch_0"] = base
        base_growth = base["server"].get("rss_growth_end_kib")
        for n in z.watch_sizes:
            r = self.watch_run(n)
            self.raw[f"watch_{n}"] = r
            if r["established"] and r["updates_in_window"] and not r["events_delivered"]:
                # Not a threshold: no event at all means the load generator or the server is
                # broken, in quick mode too.
                raise RuntimeError(f"{n} watchers: no event of the {r['updates_in_window']} "
                                   f"updates in the window was delivered")
            d = r["delivery"]
            frac = r["delivered_fraction"]
            srv = r["server"]
            sc = f"WATCH fan-out, {n} watchers, {z.watch_rate:.0f} updates/s"
            lost = frac < 0.999
            note = (f"{100 * frac:.1f}% of {r['events_expected']:,} events delivered "
                    f"({r['updates_in_window']} of {r['updates_due_in_window']} updates applied in "
                    f"the window, update p99 {r['update_latency']['p99_ms']} ms, writer send lag "
                    f"p99 {r['send_lag']['p99_ms']} ms); {r['ended_early']} watches ended early; "
                    f"CPU in {z.watch_duration:.0f}s: server {srv['cpu_s']:.1f}s, "
                    f"loadgen {r['loadgen_cpu_s']:.1f}s")
            p99 = d["p99_ms"] if d["count"] else None
            judged = n == 1000 or (self.quick and n == z.watch_sizes[0])
            met = ((not lost) and check(p99, "<=", 20.0)) if judged else None
            # Where the machine's limit is: the same watches and updates against the least a
            # server can do for them, right after (the fan-out's nginx).
            rawf = self.raw_fanout_run(n, r["event_bytes"]) if judged else None
            raw_p99 = rawf["delivery"]["p99_ms"] if rawf and rawf["delivery"]["count"] else None
            if rawf:
                self.raw[f"watch_{n}_raw_fanout"] = rawf
                note += f"; the raw fan-out in the same run: p99 {raw_p99} ms"
            self.add(Row(sc, "p99 delivery (from the update's due time)", p99, "ms",
                         "target" if judged else "", 20.0 if judged else None,
                         ratio(p99, 20.0) if judged else None, "<= 20 ms" if judged else "",
                         met, note))
            if rawf:
                rd = rawf["delivery"]
                self.add(Row(sc, "p99 delivery, the raw fan-out (loadgen fanout-server; for "
                             "scale)", raw_p99, "ms", "apiserver-host's p99", p99,
                             ratio(raw_p99, p99),
                             note=(f"p50 {rd['p50_ms']} ms, p90 {rd['p90_ms']} ms; "
                                   f"{100 * rawf['delivered_fraction']:.1f}% delivered; "
                                   f"{r['event_bytes']}-byte events; CPU in "
                                   f"{z.watch_duration:.0f}s: server "
                                   f"{rawf['server']['cpu_s']:.1f}s, loadgen "
                                   f"{rawf['loadgen_cpu_s']:.1f}s")))
            idle = srv.get("kib_per_watcher_established")
            raw_busy = srv.get("kib_per_watcher_end")
            growth = srv.get("rss_growth_end_kib")
            busy = ((growth - base_growth) / r["established"]
                    if growth is not None and base_growth is not None and r["established"]
                    else None)
            self.add(Row(sc, "server RSS per watcher, streams open", idle, "KiB", "target", 16.0,
                         ratio(idle, 16.0), "<= 16 KiB", check(idle, "<=", 16.0),
                         f"RSS {srv['rss_before_kib'] / 1024:.0f} MiB before, "
                         f"{srv['rss_established_kib'] / 1024:.0f} MiB with the streams open"))
            self.add(Row(sc, "server RSS per watcher, end of the update window", busy, "KiB",
                         "target", 16.0, ratio(busy, 16.0), "<= 16 KiB", check(busy, "<=", 16.0),
                         f"RSS {srv['rss_end_kib'] / 1024:.0f} MiB (queued events included), "
                         f"grown by {growth / 1024:.0f} MiB; the same updates without watchers "
                         f"grew it by {base_growth / 1024:.0f} MiB, which is subtracted "
                         f"({raw_busy:.1f} KiB per watcher without subtracting)"
                         if busy is not None else "RSS not readable"))
            self.plot(f"watch-{n}", f"WATCH, {n} watchers, {z.watch_rate:.0f} updates/s "
                      f"(open loop; from each update's due time)",
                      {"event delivery": d, "update (PUT) response": r["update_latency"],
                       **({"raw fan-out, event delivery": rawf["delivery"]} if rawf else {})})

    def s_memory_start(self):
        """Memory per stored pod (100,000 pods) and start to ready with them (sqlite)."""
        z = self.sizes
        data = self.tmp / "memstart-data"
        host = Host(self, "memory", "sqlite", data_dir=data).wait_ready()
        try:
            self.http_load(host.port, [f"1 GET {POD_PATH}"], 2, 1, 0)  # warm up
            time.sleep(0.5)
            rss0 = rss_kib(host.pid)
            pop = self.populate(host, z.memory_pods, TEMPLATES / "pod.json")
            time.sleep(2)  # let the watch cache catch up
            # The pods' JSON: the server's own encoding of each (the LIST's items).
            st, body = http("GET", host.url + POD_PATH, timeout=300)
            items = json.loads(body)["items"]
            json_bytes = sum(len(json.dumps(i, separators=(",", ":")).encode()) for i in items)
            rss1 = rss_kib(host.pid)
        finally:
            host.stop()
        growth = (rss1 - rss0) * 1024
        self.raw["memory"] = {"pods": len(items), "json_bytes": json_bytes, "rss_before_kib": rss0,
                              "rss_after_kib": rss1, "populate": pop}
        sc = f"memory per stored pod, {len(items)} pods (sqlite)"
        self.add(Row(sc, "RSS growth", growth / 2**20, "MiB", "the pods' JSON", json_bytes / 2**20,
                     ratio(growth, json_bytes), "<= 2x", check(ratio(growth, json_bytes), "<=", 2.0),
                     f"{growth / max(1, len(items)):.0f} B per pod vs {json_bytes / max(1, len(items)):.0f} B JSON"
                     f"; populated at {pop['rps']:.0f}/s"))

        # Start to ready with the same data: exec to the first /readyz 200.
        times = []
        for i in range(1 if self.quick else 3):
            port = free_port()
            h = Host(self, f"start-{i}", "sqlite", data_dir=data, port=port)
            try:
                h.wait_ready(timeout=300)
                times.append(time.monotonic() - h.t_exec)
                rss_ready = rss_kib(h.pid)
                st, body = http("GET", h.url + POD_PATH + "?limit=1", timeout=60)
                if st != 200:
                    raise RuntimeError(f"list after start: HTTP {st}")
            finally:
                h.stop()
        best = min(times)
        self.raw["start"] = {"pods": len(items), "seconds": times, "rss_ready_kib": rss_ready}
        after = (rss_ready - rss0) * 1024
        self.add(Row(f"memory per stored pod, {len(items)} pods (sqlite)",
                     "RSS after a restart (watch cache filled from the database)", after / 2**20,
                     "MiB", "the pods' JSON", json_bytes / 2**20, ratio(after, json_bytes), "<= 2x",
                     check(ratio(after, json_bytes), "<=", 2.0),
                     f"{after / max(1, len(items)):.0f} B per pod; RSS {rss_ready / 1024:.0f} MiB "
                     f"when ready vs {rss0 / 1024:.0f} MiB for an empty server"))
        sc = f"start to ready, {len(items)} pods stored (sqlite)"
        self.add(Row(sc, "exec to /readyz 200", best, "s", "target", 2.0, ratio(best, 2.0),
                     "<= 2 s", check(best, "<=", 2.0),
                     f"runs: {', '.join(f'{t:.2f}' for t in times)} s; RSS when ready "
                     f"{rss_ready / 1024:.0f} MiB"))

    def profile(self, host: Host, url: str, connections: int, name: str = "get",
                headers: tuple = ()) -> None:
        """perf record of the server (software clock: no PMU in this VM) during a wrk run of
        `url` (results/<stamp>-<name>.perf.txt)."""
        if not self.tools.get("perf") or not self.tools.get("wrk"):
            return
        out = self.results_dir / f"{self.stamp}-{name}.perf.data"
        log(f"  perf record of {host.name} during {name} (10 s)")
        rec = subprocess.Popen([self.tools["perf"], "record", "-e", "cpu-clock", "-F", "999", "-g",
                                "-p", str(host.pid), "-o", str(out), "--", "sleep", "10"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               preexec_fn=_die_with_parent)
        self.wrk(url, connections, 11, headers)
        rec.wait(timeout=60)
        rep = subprocess.run([self.tools["perf"], "report", "-i", str(out), "--stdio", "--no-children",
                              "--percent-limit", "0.8", "-g", "none", "--sort", "dso,sym"],
                             capture_output=True, text=True, timeout=300)
        (self.results_dir / f"{self.stamp}-{name}.perf.txt").write_text(rep.stdout)
        self.raw[f"{name}_perf"] = str(self.results_dir / f"{self.stamp}-{name}.perf.txt")

    # -- the run ---------------------------------------------------------------------------

    SCENARIOS = {
        "get": s_get,
        "https": s_https,
        "proxy": s_proxy,
        "list": s_list,
        "create-memory": s_create_memory,
        "create-etcd3": s_create_etcd3,
        "create-sqlite": s_create_sqlite,
        "watch": s_watch,
        "memory": s_memory_start,
    }

    def run(self, names: list[str]) -> int:
        failed = 0
        started = time.monotonic()
        self.machine = machine_info()
        for name in names:
            t0 = time.monotonic()
            log(f"scenario {name} (load average {' '.join(map(str, loadavg()))})")
            try:
                self.SCENARIOS[name](self)
                self.status[name] = "ok"
            except Skip as e:
                self.status[name] = f"skipped: {e}"
                log(f"  skipped: {e}")
            except Interrupted:
                self.status[name] = "interrupted"
                raise
            except Exception as e:  # noqa: BLE001 - report it and go on with the others
                failed += 1
                self.status[name] = f"failed: {e}"
                log(f"  FAILED: {e}")
            finally:
                Proc.stop_all()
            log(f"  {name}: {time.monotonic() - t0:.1f}s")
        self.elapsed = time.monotonic() - started
        return failed

    def write(self) -> tuple[Path, Path]:
        base = self.results_dir / self.stamp
        report = {
            "timestamp": self.stamp, "quick": self.quick, "elapsed_s": round(self.elapsed, 1),
            "machine": self.machine, "loadavg_end": loadavg(), "status": self.status,
            "rows": [r.__dict__ for r in self.rows], "raw": self.raw,
            "command": " ".join(sys.argv),
        }
        jpath = base.with_suffix(".json")
        # Paths in reports are relative to the repository, so that reports can be shared.
        jpath.write_text(json.dumps(report, indent=1).replace(str(REPO) + "/", "./"))
        plots = make_plots(self, base) if self.tools.get("gnuplot") else []
        mpath = base.with_suffix(".md")
        mpath.write_text(markdown(report, plots, self.results_dir))
        return jpath, mpath


class Skip(Exception):
    pass


def machine_info() -> dict:
    def cmd(*a):
        try:
            return subprocess.run(a, capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""
    model = ""
    for line in cmd("lscpu").splitlines():
        if line.startswith("Model name:"):
            model = line.split(":", 1)[1].strip()
    git = cmd("git", "-C", str(REPO), "rev-parse", "--short", "HEAD")
    dirty = bool(cmd("git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"))
    return {"nproc": os.cpu_count(), "cpu_model": model, "kernel": cmd("uname", "-r"),
            "memory_kib": int(Path("/proc/meminfo").read_text().split()[1]),
            "uptime": cmd("uptime"), "git": git + ("-dirty" if dirty else ""),
            "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            "versions": {"nginx": cmd("nginx", "-v") or subprocess.run(
                ["sh", "-c", "nginx -v 2>&1"], capture_output=True, text=True).stdout.strip(),
                "etcd": (cmd("etcd", "--version").splitlines() or [""])[0],
                "wrk": (subprocess.run(["sh", "-c", "wrk -v 2>&1 | head -1"], capture_output=True,
                                       text=True).stdout.strip())}}


def fmt(v, unit="") -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        if abs(v) >= 1000:
            s = f"{v:,.0f}"
        elif abs(v) >= 100:
            s = f"{v:.0f}"
        elif abs(v) >= 10:
            s = f"{v:.1f}"
        else:
            s = f"{v:.2f}"
    else:
        s = str(v)
    return f"{s} {unit}".strip()


def markdown(report: dict, plots: list[Path], rel_to: Path) -> str:
    m = report["machine"]
    out = [f"# Benchmark {report['timestamp']}{' (quick: no thresholds)' if report['quick'] else ''}",
           "",
           f"- date: {m['date']}; commit {m['git']}; {report['elapsed_s']} s",
           f"- machine: {m['nproc']} cores ({m['cpu_model']}), kernel {m['kernel']}",
           f"- load at start: `{m['uptime']}`; at end: {report['loadavg_end']}",
           f"- {m['versions'].get('nginx', '')}; {m['versions'].get('etcd', '')}; "
           f"{m['versions'].get('wrk', '')}",
           "",
           "| scenario | figure | ours | reference | ref. figure | ratio | target | met? | notes |",
           "|---|---|---|---|---|---|---|---|---|"]
    for r in report["rows"]:
        met = {True: "yes", False: "**no**", None: "—"}[r["met"]]
        rat = "—" if r["ratio"] is None else f"{r['ratio']:.2f}"
        ref_unit = r["unit"] if r["reference"] is not None else ""
        out.append(f"| {r['scenario']} | {r['figure']} | {fmt(r['ours'], r['unit'])} | "
                   f"{r['reference_name'] or '—'} | {fmt(r['reference'], ref_unit)} | {rat} | "
                   f"{r['target'] or '—'} | {met} | {r['note']} |")
    out += ["", "Ratio: ours / reference (for latency and memory, lower is better; for the "
            "rows whose reference is a target, ours / target).", "", "## Scenarios", ""]
    for k, v in report["status"].items():
        out.append(f"- {k}: {v}")
    if plots:
        out += ["", "## Latency plots", ""]
        for p in plots:
            out.append(f"![{p.stem}]({p.name})")
    return "\n".join(out) + "\n"


def make_plots(bench: Bench, base: Path) -> list[Path]:
    made = []
    for p in bench.plots:
        if not p["series"]:
            continue
        dat = base.parent / f"{base.name}-{p['name']}.dat"
        blocks, names = [], []
        for label, spec in p["series"].items():
            rows = [(q, ms) for q, ms in spec if q < 100 and ms is not None]
            rows.append((99.999, [ms for q, ms in spec if q == 100][0] if any(q == 100 for q, _ in spec)
                         else rows[-1][1]))
            blocks.append("\n".join(f"{1 / (1 - q / 100):.6g} {max(ms, 0.001):.6g} {q}"
                                    for q, ms in rows))
            names.append(label)
        dat.write_text("\n\n\n".join(blocks) + "\n")
        for term, ext in (("pngcairo size 900,540 font 'sans,10'", "png"),
                          ("svg size 900,540 font 'sans,10' dynamic", "svg")):
            out = base.parent / f"{base.name}-{p['name']}.{ext}"
            plot_cmds = ", ".join(f"'{dat}' index {i} using 1:2 with linespoints lw 2 title '{n}'"
                                  for i, n in enumerate(names))
            script = f"""
set terminal {term}
set output '{out}'
set title "{p['title']}"
set logscale x
set logscale y
set xlabel 'percentile'
set ylabel 'latency (ms)'
set xtics ('0%%' 1, '50%%' 2, '90%%' 10, '99%%' 100, '99.9%%' 1000, '99.99%%' 10000, '99.999%%' 100000)
set grid
set key top left
plot {plot_cmds}
"""
            r = subprocess.run([bench.tools["gnuplot"]], input=script, text=True,
                               capture_output=True, timeout=60)
            if r.returncode != 0:
                log(f"gnuplot failed for {p['name']}: {r.stderr.strip()}")
                break
            if ext == "png":
                made.append(out)
    # Ratios against their targets.
    rows = [r for r in bench.rows if r.target.startswith(">=") and r.ratio is not None]
    if rows:
        dat = base.parent / f"{base.name}-ratios.dat"
        dat.write_text("\n".join(f'"{r.short or r.scenario.split(",")[0]}" {r.ratio:.4f} {r.target.split()[1]}'
                                 for r in rows) + "\n")
        out = base.parent / f"{base.name}-ratios.png"
        script = f"""
set terminal pngcairo size 900,480 font 'sans,10'
set output '{out}'
set title 'Throughput as a fraction of the reference (bars) and the target (marks)'
set style fill solid 0.6
set boxwidth 0.6
set yrange [0:*]
set grid ytics
set xtics rotate by -20
plot '{dat}' using 0:2:xtic(1) with boxes title 'ours / reference', \\
     '' using 0:3 with points pt 7 ps 2 title 'target'
"""
        r = subprocess.run([bench.tools["gnuplot"]], input=script, text=True, capture_output=True,
                           timeout=60)
        if r.returncode == 0:
            made.append(out)
    return made


def main() -> int:
    ap = argparse.ArgumentParser(description="apiserver-host benchmarks (use bench/run.sh)")
    ap.add_argument("scenarios", nargs="*", help=f"any of {', '.join(Bench.SCENARIOS)} (default all)")
    ap.add_argument("--quick", action="store_true", help="every scenario briefly, no thresholds")
    ap.add_argument("--build-dir", default=str(REPO / "build-bench"))
    ap.add_argument("--results-dir", default=str(BENCH / "results"))
    ap.add_argument("--tmp-dir", default="", help="where servers keep data (default: build dir)")
    ap.add_argument("--duration", type=float, default=0, help="seconds measured per side")
    ap.add_argument("--perf", action="store_true", help="perf record the server during GET")
    ap.add_argument("--keep-tmp", action="store_true", help="keep logs and data of the run")
    ap.add_argument("--check", action="store_true",
                    help="only check the arguments (bench/run.sh does, before it installs or builds)")
    args = ap.parse_args()
    names = args.scenarios or list(Bench.SCENARIOS)
    unknown = [n for n in names if n not in Bench.SCENARIOS]
    if unknown:
        ap.error(f"unknown scenario(s) {', '.join(unknown)}; known: {', '.join(Bench.SCENARIOS)}")
    if args.check:
        return 0
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, _on_signal)
    bench = Bench(args)
    for t in ("apiserver-host", "loadgen"):
        b = bench.build_dir / "bin" / t
        if not b.exists():
            log(f"{b} is missing: build first (bench/run.sh builds)")
            return 2
    log(f"results: {bench.results_dir}/{bench.stamp}.*; work dir {bench.tmp}")
    failed = 0
    try:
        failed = bench.run(names)
    except Interrupted as e:
        log(f"interrupted ({e}); stopping everything")
        failed = 1
        bench.elapsed = 0
    finally:
        for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(s, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean-up short
        Proc.stop_all()
        try:
            j, m = bench.write()
            log(f"wrote {j} and {m}")
            print(m.read_text())
        finally:
            if not args.keep_tmp:
                shutil.rmtree(bench.tmp, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
