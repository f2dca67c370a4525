"""Starts a fresh `tsdb` (the binary in TSDB_BIN) on a free loopback port, onboarded as the
official client's own test scripts do: my-user / my-org / my-bucket / token my-token."""
import os
import socket
import subprocess
import tempfile
import time
import urllib.request
import json

import pytest
from influxdb_client import InfluxDBClient


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server():
    binary = os.environ.get("TSDB_BIN", "target/debug/tsdb")
    port = free_port()
    data = tempfile.mkdtemp(prefix="tsdb-conformance-")
    proc = subprocess.Popen([binary, "--http-bind-address", f"127.0.0.1:{port}", "--data-dir", data])
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{url}/health", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    body = json.dumps({"username": "my-user", "password": "my-password", "org": "my-org",
                       "bucket": "my-bucket", "token": "my-token"}).encode()
    urllib.request.urlopen(urllib.request.Request(f"{url}/api/v2/setup", data=body,
                                                  headers={"Content-Type": "application/json"}))
    yield url
    proc.kill()
    proc.wait()


@pytest.fixture()
def client(server):
    with InfluxDBClient(url=server, token="my-token", org="my-org") as c:
        yield c
