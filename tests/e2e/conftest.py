"""Fixtures for the kubectl end-to-end suite (see README.md).

* ``server``: a module-scoped apiserver-host with the default configuration.
* ``start_server(config, name)``: more servers, stopped after the test.
* ``start_module_server(config, name)``: the same, stopped after the module's last test.
* ``manifests(name, text)``: write a manifest file into the test's temp dir.
* A failing test gets the log of every server still running attached to its report
  (section "apiserver log: ...").
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import e2e_server
from e2e_server import LIVE_SERVERS, ApiServer, host_binary, server_config, stop_servers


# ---- fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="session", autouse=True)
def suite_backend(tmp_path_factory):
    """With APISERVER_E2E_BACKEND=etcd3, one real etcd serves every server of the session."""
    if e2e_server.BACKEND != "etcd3":
        yield None
        return
    from etcd_process import Etcd

    etcd = Etcd(tmp_path_factory.mktemp("suite-etcd")).start()
    e2e_server.ETCD_URL = etcd.url
    yield etcd
    etcd.stop()


@pytest.fixture(scope="session")
def binary() -> Path:
    b = host_binary()
    if not (b.is_file() and os.access(b, os.X_OK)):
        pytest.fail(f"apiserver-host binary not found at {b}: build it, or set APISERVER_HOST_BINARY",
                    pytrace=False)
    if shutil.which("kubectl") is None:
        pytest.fail("kubectl is not on PATH", pytrace=False)
    return b


def _start(binary: Path, tmp_path_factory, config: dict, name: str) -> ApiServer:
    workdir = tmp_path_factory.mktemp(name)
    return ApiServer(binary, workdir, config, name=name).start()


@pytest.fixture(scope="module")
def server(binary, tmp_path_factory, request):
    """A server with the default configuration, shared by the tests of one module."""
    srv = _start(binary, tmp_path_factory, server_config(), f"srv-{request.module.__name__}")
    yield srv
    stop_servers(srv)


def _server_starter(binary, tmp_path_factory):
    started: list[ApiServer] = []

    def start(config: dict | None = None, name: str = "srv") -> ApiServer:
        srv = _start(binary, tmp_path_factory, config if config is not None else server_config(), name)
        started.append(srv)
        return srv

    return start, started


@pytest.fixture
def start_server(binary, tmp_path_factory):
    """start_server(config=None, name=...) -> a running ApiServer, stopped after the test."""
    start, started = _server_starter(binary, tmp_path_factory)
    yield start
    stop_servers(*started)


@pytest.fixture(scope="module")
def start_module_server(binary, tmp_path_factory):
    """start_module_server(config=None, name=...) -> a running ApiServer, stopped after the module."""
    start, started = _server_starter(binary, tmp_path_factory)
    yield start
    stop_servers(*started)


@pytest.fixture
def manifests(tmp_path):
    """manifests(name, yaml_text) -> path of a manifest file in the test's temp dir."""

    def write(name: str, text: str) -> Path:
        p = tmp_path / name
        p.write_text(text)
        return p

    return write


# ---- attach server logs to failures --------------------------------------------------------


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed and not hasattr(rep, "wasxfail"):
        for srv in list(LIVE_SERVERS):
            rep.sections.append((f"apiserver log: {srv.name} {srv.url if srv.port else ''}",
                                 srv.log_tail()))
