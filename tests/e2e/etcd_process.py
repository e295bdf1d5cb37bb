"""A real etcd (Debian's etcd-server) on free loopback ports, for the storage tests."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

ETCD = shutil.which("etcd") or "/usr/bin/etcd"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Etcd:
    """One etcd member in `workdir`; start() waits until it is healthy, stop() always stops it."""

    def __init__(self, workdir: Path, name: str = "etcd"):
        self.workdir = workdir
        self.name = name
        self.proc: subprocess.Popen | None = None
        self._pick_ports()

    def _pick_ports(self) -> None:
        self.client_port = free_port()
        self.peer_port = free_port()
        self.url = f"http://127.0.0.1:{self.client_port}"

    def start(self) -> "Etcd":
        # A port from free_port() is free only until somebody binds it: a test running in
        # parallel may take it first, and its etcd would then answer for ours. A start whose etcd
        # exits or is answered by another process tries again on new ports.
        for attempt in range(3):
            if attempt > 0:  # a fresh member on new ports
                self._pick_ports()
                shutil.rmtree(self.workdir / f"{self.name}.data", ignore_errors=True)
            if self._start_once():
                return self
        raise RuntimeError("etcd did not become healthy (3 attempts): "
                           + (self.workdir / f"{self.name}.log").read_text()[-2000:])

    def _start_once(self) -> bool:
        data = self.workdir / f"{self.name}.data"
        log = open(self.workdir / f"{self.name}.log", "wb")
        peer = f"http://127.0.0.1:{self.peer_port}"
        self.proc = subprocess.Popen(
            [ETCD, "--name", self.name, "--data-dir", str(data),
             "--listen-client-urls", self.url, "--advertise-client-urls", self.url,
             "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
             "--initial-cluster", f"{self.name}={peer}"],
            stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=1) as r:
                    healthy = b'"health":"true"' in r.read()
                # Healthy, and ours: the members listed there include our peer address.
                if healthy:
                    members = urllib.request.Request(self.url + "/v3/cluster/member/list",
                                                     data=b"{}", method="POST")
                    with urllib.request.urlopen(members, timeout=1) as r:
                        if f'"{peer}"'.encode() in r.read():
                            return True
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        return False

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
