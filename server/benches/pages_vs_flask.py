"""IoT Center's pages against the tutorial's Flask app under gunicorn, in one run, reading
one store; then a fleet of 100,000 devices (issue #30).

    cargo build --release -p server --bin iot-center
    python3 server/benches/pages_vs_flask.py            # from the repository root

Needs `wrk` (Debian) and a Python with flask, gunicorn and influxdb-client (the script
makes one in /tmp/flaskenv when it is missing). It starts the release `iot-center` on a
fresh embedded store, registers 20 devices in bulk and writes a day of 1-minute points for
each through the gateway with their own tokens, starts the Flask app (4 gunicorn workers)
on the same store with the operator token, and loads each page of both with
`wrk -t2 -c16 -d10s --latency` (`WRK_THREADS`, `WRK_SECONDS`). Then it registers devices in bulk up to 100,000 and
measures the device list page, `/api/devices` and the server's memory (`FLEET`, default
100000; `ONLY_FLEET=1` skips the pages).
"""

import hashlib, json, math, os, random, re, subprocess, sys, tempfile, time, urllib.request

BIN = os.path.abspath(os.environ.get("IOT_CENTER_BIN", "target/release/iot-center"))
FLASK_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "flask_tutorial")
VENV = os.environ.get("FLASK_VENV", "/tmp/flaskenv")
WEB, STORE, FLASK = 18801, 18802, 18803
DEVICES = [f"dev-{n:02}" for n in range(20)]
FLEET = int(os.environ.get("FLEET", "100000"))
SECONDS = os.environ.get("WRK_SECONDS", "10")
THREADS = os.environ.get("WRK_THREADS", "2")


def request(url, token=None, body=None, content_type="application/json"):
    headers = {"authorization": f"Bearer {token}"} if token else {}
    if body is not None:
        headers["content-type"] = content_type
    r = urllib.request.urlopen(urllib.request.Request(url, body, headers), timeout=120)
    return r.status, r.read()


def wait_for(url):
    for _ in range(300):
        try:
            if request(url)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    sys.exit(f"{url} never answered")


def wrk(url, token=None, connections=16, threads=THREADS, script=None):
    """Requests per second and p50/p99 in ms, from wrk's report."""
    args = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{SECONDS}s", "--latency", url]
    if token:
        args[1:1] = ["-H", f"Authorization: Bearer {token}"]
    if script:
        args[1:1] = ["-s", script]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    unit = {"us": 0.001, "ms": 1.0, "s": 1000.0}

    def percentile(p):
        value, u = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)$", out, re.M).groups()
        return float(value) * unit[u]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    assert errors is None, f"{url}: {errors.group(0)}"
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    return rate, percentile(50), percentile(99)


def rss_mb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024


def day_of_points(device, day=0):
    """A day of 1-minute points (`day` days back), as the Write page's virtual device writes them."""
    now = int(time.time()) // 60 * 60 - day * 86_400
    rnd = random.Random(f"{device} {day}")
    lines = []
    for i in range(1440):
        t = now - (1440 - i) * 60
        w = math.sin(i / 1440 * 2 * math.pi)
        lines.append(
            f"environment,clientId={device},TemperatureSensor=virtual_bme280,HumiditySensor=virtual_bme280,"
            f"PressureSensor=virtual_bme280,CO2Sensor=virtual_CCS811,TVOCSensor=virtual_CCS811,GPSSensor=virtual_gps "
            f"Temperature={20 + 5 * w + rnd.random():.2f},Humidity={50 + 10 * w:.2f},Pressure={1010 + rnd.random():.2f},"
            f"CO2={400 + 200 * rnd.random():.0f}i,TVOC={100 + 50 * rnd.random():.0f}i,"
            f"Lat={50.08 + 0.01 * w:.5f},Lon={14.42 + 0.01 * w:.5f} {t}"
        )
    return "\n".join(lines).encode()


def flask_env():
    if not os.path.exists(f"{VENV}/bin/gunicorn"):
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
        subprocess.run([f"{VENV}/bin/pip", "install", "--quiet", "flask", "gunicorn", "influxdb-client==1.50.0"], check=True)
    return f"{VENV}/bin/gunicorn"


def start_server(web, store):
    """The release `iot-center` on a fresh data dir and embedded store, MQTT off: (its data
    dir, an admin API token, the process, its URL)."""
    data = tempfile.mkdtemp()
    admin = subprocess.run([BIN, "--config", "/nonexistent.ini", "--data-dir", data, "token", "add", "bench", "--role", "admin"],
                           capture_output=True, text=True, check=True).stdout.strip()
    env = dict(os.environ, RUST_LOG="warn", MQTT_LISTEN="off")
    server = subprocess.Popen([BIN, "--config", "/nonexistent.ini", "--data-dir", data, "--listen", f"127.0.0.1:{web}",
                               "--tsdb-listen", f"127.0.0.1:{store}"], env=env, cwd=os.getcwd())
    return data, admin, server, f"http://127.0.0.1:{web}"


def seed(web, admin):
    """Registers the 20 devices at `web` and writes a day of points for each through its
    gateway, with the devices' own tokens."""
    _, body = request(f"{web}/api/devices", admin, json.dumps(DEVICES).encode())
    tokens = {t["id"]: t["token"] for t in json.loads(body)["registered"]}
    for device in DEVICES:
        r = urllib.request.Request(f"{web}/api/v2/write?bucket=iot_center&precision=s", day_of_points(device),
                                   {"authorization": f"Token {tokens[device]}"})
        assert urllib.request.urlopen(r, timeout=60).status == 204


def main():
    data, admin, server, web = start_server(WEB, STORE)
    gunicorn = None
    try:
        wait_for(f"{web}/ready")
        seed(web, admin)
        operator = open(os.path.join(data, "operator-token")).read().strip()
        flask = dict(os.environ, INFLUX_URL=f"http://127.0.0.1:{STORE}", INFLUX_TOKEN=operator, INFLUX_ORG="iot-center",
                     INFLUX_BUCKET="iot_center", INFLUX_BUCKET_AUTH="iot_center_devices")
        gunicorn = subprocess.Popen([flask_env(), "-w", "4", "-b", f"127.0.0.1:{FLASK}", "--log-level", "warning", "app:app"],
                                    cwd=FLASK_DIR, env=flask)
        wait_for(f"http://127.0.0.1:{FLASK}/devices")

        pages = [
            ("device list", "/devices", "/devices"),
            ("device page", "/devices/dev-01", "/devices/dev-01"),
            ("Query data, 1 h", "/data?device=dev-01&range=1h", "/data?device=dev-01&range=1h"),
            ("Query data, 24 h", "/data?device=dev-01&range=1d", "/data?device=dev-01&range=1d"),
            ("Compare, 3 devices, 1 h", "/compare?devices=dev-01,dev-02,dev-03&field=Temperature&range=1h",
             "/compare?devices=dev-01,dev-02,dev-03&field=Temperature&range=1h"),
            ("Map", "/map", "/map"),
        ]
        if os.environ.get("ONLY_FLEET"):
            pages = []
        print(f"\n20 devices, a day of 1-minute points each; wrk -t{THREADS} -c16 -d{SECONDS}s\n")
        print("| page | IoT Center | gunicorn, 4 workers | ratio |\n|---|---|---|---|")
        for label, ours, theirs in pages:
            size = len(request(f"{web}{ours}", admin)[1])
            a = wrk(f"{web}{ours}", admin)
            flask_size = len(request(f"http://127.0.0.1:{FLASK}{theirs}")[1])
            b = wrk(f"http://127.0.0.1:{FLASK}{theirs}")
            print(f"| {label} | {a[0]:,.0f} req/s, p50 {a[1]:.1f}, p99 {a[2]:.1f} ms ({size / 1024:.1f} KB) "
                  f"| {b[0]:,.0f} req/s, p50 {b[1]:.1f}, p99 {b[2]:.1f} ms ({flask_size / 1024:.1f} KB) | {a[0] / b[0]:.1f}× |",
                  flush=True)
        gunicorn.terminate()
        gunicorn.wait()
        gunicorn = None

        print(f"\nA fleet of {FLEET:,} devices, registered in bulk (POST /api/devices, 10,000 a request, ids in no order)\n")
        registered, rates = len(DEVICES), []
        while registered < FLEET:
            # Ids in no order, as a fleet's MAC-derived ids arrive.
            batch = [f"fleet-{hashlib.sha1(str(n).encode()).hexdigest()[:12]}"
                     for n in range(registered, min(registered + 10_000, FLEET))]
            started = time.perf_counter()
            _, body = request(f"{web}/api/devices", admin, json.dumps(batch).encode())
            rates.append(len(batch) / (time.perf_counter() - started))
            assert len(json.loads(body)["registered"]) == len(batch)
            registered += len(batch)
        print("registrations/s, each 10,000: " + ", ".join(f"{r:,.0f}" for r in rates))
        print(f"resident memory: {rss_mb(server.pid):.0f} MB")
        time.sleep(35)  # looks of the fleet index and a trim of the heap come and go
        print(f"resident memory 35 s later: {rss_mb(server.pid):.0f} MB")
        for label, path in [("device list, first page", "/devices"), ("device list, page 500", "/devices?page=500"),
                            ("device list, offline filter", "/devices?status=offline"), ("overview", "/")]:
            started = time.perf_counter()
            size = len(request(f"{web}{path}", admin)[1])
            once = (time.perf_counter() - started) * 1000
            rate, p50, p99 = wrk(f"{web}{path}", admin)
            print(f"{label}: one request {once:.1f} ms, {size / 1024:.1f} KB; "
                  f"under 16 connections {rate:,.0f} req/s, p50 {p50:.1f}, p99 {p99:.1f} ms", flush=True)
        for path in ["/api/devices", "/api/devices?limit=1000", "/api/devices?limit=1000&after=fleet-8"]:
            started = time.perf_counter()
            _, body = request(f"{web}{path}", admin)
            took = (time.perf_counter() - started) * 1000
            print(f"{path}: {took:.0f} ms, {len(body) / 1024:,.0f} KB, {len(json.loads(body)):,} devices")
        print(f"resident memory after: {rss_mb(server.pid):.0f} MB")
    finally:
        if gunicorn:
            gunicorn.terminate()
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
