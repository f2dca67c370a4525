"""Resident memory of iot-center during the sign-in and connection floods of issue #26.

Usage: python3 server/benches/floods.py target/release/iot-center (from the repository root).
"""
import concurrent.futures, http.client, socket, subprocess, sys, tempfile, time, urllib.parse, os

BIN = sys.argv[1]
port, store = 18771, 18772
data = tempfile.mkdtemp()
p = subprocess.run([BIN, "--config", "/nonexistent.ini", "--data-dir", data, "user", "add", "alice", "--role", "admin"],
                   input=b"alice-password\n", capture_output=True)
assert p.returncode == 0, p.stderr
srv = subprocess.Popen([BIN, "--listen", f"127.0.0.1:{port}", "--tsdb-listen", f"127.0.0.1:{store}",
                        "--config", "/nonexistent.ini", "--data-dir", data], cwd="/work/main",
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
def rss():
    for line in open(f"/proc/{srv.pid}/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) // 1024
def get(path, timeout=5):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    t = time.time(); c.request("GET", path); r = c.getresponse(); r.read(); return r.status, time.time() - t
for _ in range(200):
    try:
        if get("/ready")[0] == 200: break
    except Exception: pass
    time.sleep(0.1)
def login(name, password="wrong-password-x"):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    body = urllib.parse.urlencode({"username": name, "password": password, "next": "/"})
    c.request("POST", "/login", body, {"content-type": "application/x-www-form-urlencoded", "x-forwarded-for": name})
    r = c.getresponse(); r.read(); return r.status
print(f"ready RSS {rss()} MB"); time.sleep(5); base = rss(); print(f"idle RSS after 5 s {base} MB")
for i in range(12):
    login(f"seq-{i}"); print(f"after sequential sign-in {i+1}: {rss()} MB")
login("alice", "alice-password"); print(f"after alice: {rss()} MB")
(srv.terminate(), sys.exit(0)) if os.environ.get("SEQ_ONLY") else None
peak = base; statuses = {}
with concurrent.futures.ThreadPoolExecutor(48) as pool:
    futs = [pool.submit(login, f"unknown-{i}") for i in range(96)]
    while not all(f.done() for f in futs):
        peak = max(peak, rss()); time.sleep(0.02)
    for f in futs: statuses[f.result()] = statuses.get(f.result(), 0) + 1
print(f"96 sign-ins, 48 at once: statuses {statuses}, peak RSS {peak} MB (+{peak-base}), health {get('/api/health')}")
# 1,500 half-sent requests
before = rss()
socks = []
for _ in range(1500):
    s = socket.create_connection(("127.0.0.1", port)); s.send(b"GET /api/hea"); socks.append(s)
time.sleep(1)
print(f"1,500 half-sent requests: RSS {rss()} MB (+{rss()-before}), health {get('/api/health')}")
time.sleep(11)
closed = 0
for s in socks:
    s.settimeout(0.5)
    try:
        while s.recv(1024):  # a 408 may come before the close
            pass
        closed += 1
    except ConnectionResetError:
        closed += 1
    except socket.timeout:
        pass
print(f"after 11 s: {closed}/1500 closed by the server, RSS {rss()} MB")
srv.terminate(); srv.wait()
