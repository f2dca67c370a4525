"""Starts a fresh `iot-center` (the binary in IOT_CENTER_BIN) with its embedded store on free
loopback ports, devices registering themselves as the reference's do."""
import json
import os
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class IotCenter:
    def __init__(self, url, store, data):
        self.url, self.store, self.data = url, store, data

    def env(self, device_id):
        """What `GET /api/env/<id>` gives a device (registering it)."""
        with urllib.request.urlopen(f"{self.url}/api/env/{device_id}") as r:
            return json.load(r)

    def operator_token(self):
        return (Path(self.data) / "operator-token").read_text().strip()


@pytest.fixture(scope="session")
def iot_center():
    binary = os.environ.get("IOT_CENTER_BIN", str(REPO / "target/debug/iot-center"))
    port, store = free_port(), free_port()
    data = tempfile.mkdtemp(prefix="iot-center-gateway-")
    env = dict(os.environ, DEVICE_REGISTRATION="open")
    env.pop("INFLUX_URL", None)
    proc = subprocess.Popen(
        [binary, "--listen", f"127.0.0.1:{port}", "--tsdb-listen", f"127.0.0.1:{store}",
         "--config", "/nonexistent.ini", "--data-dir", data],
        cwd=REPO, env=env)
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            with urllib.request.urlopen(f"{url}/ready", timeout=1) as r:
                if r.status == 200:
                    break
        except OSError:
            time.sleep(0.1)
    else:
        proc.kill()
        raise RuntimeError("iot-center did not become ready")
    yield IotCenter(url, f"http://127.0.0.1:{store}", data)
    proc.kill()
    proc.wait()
