"""IoT Center's own state on SQLite and on PostgreSQL, one instance and two, in one run
(issue #29).

    cargo build --release -p server --bin iot-center
    python3 server/benches/state_backends.py            # from the repository root, as root

Needs `wrk` and Debian's PostgreSQL (started here in a temporary directory as the
`postgres` user, on a loopback port). It starts the release `iot-center` with SQLite state
and its embedded store, registers 20 devices and writes a day of 1-minute points for each
through the gateway (as pages_vs_flask.py does), then two more instances with their state
in PostgreSQL, reading that same store by URL. Each page is loaded with
`wrk -t2 -c16 -d10s --latency`: on the SQLite instance, on one PostgreSQL instance, and on
both PostgreSQL instances at once (8 connections each, the rates added). Sign-ins (right
password, each a new session written to the state database) are loaded the same way.
"""

import os, subprocess, sys, tempfile, time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pages_vs_flask import BIN, seed, wait_for, wrk  # noqa: E402

SQLITE, STORE, PG_A, PG_B, POSTGRES = 18811, 18812, 18813, 18814, 18815
PASSWORD = "bench-password"


def postgres():
    """A throwaway PostgreSQL: (its process, a database URL)."""
    bin_dir = sorted(d for d in os.listdir("/usr/lib/postgresql"))[-1]
    bin_dir = f"/usr/lib/postgresql/{bin_dir}/bin"
    home = tempfile.mkdtemp(prefix="iot-bench-postgres-")
    subprocess.run(["chown", "postgres", home], check=True)
    as_postgres = ["runuser", "-u", "postgres", "--"]
    subprocess.run(as_postgres + [f"{bin_dir}/initdb", "-D", f"{home}/data", "-U", "iot", "--auth=trust"],
                   check=True, capture_output=True)
    process = subprocess.Popen(as_postgres + [f"{bin_dir}/postgres", "-D", f"{home}/data", "-h", "127.0.0.1",
                                              "-p", str(POSTGRES), "-k", home], stderr=subprocess.DEVNULL)
    for _ in range(100):
        if subprocess.run([f"{bin_dir}/pg_isready", "-h", "127.0.0.1", "-p", str(POSTGRES), "-q"]).returncode == 0:
            break
        time.sleep(0.1)
    subprocess.run([f"{bin_dir}/createdb", "-h", "127.0.0.1", "-p", str(POSTGRES), "-U", "iot", "bench"], check=True)
    return process, f"postgres://iot@127.0.0.1:{POSTGRES}/bench"


def cli(data, env, *args):
    return subprocess.run([BIN, "--config", "/nonexistent.ini", "--data-dir", data, *args], env=env, check=True,
                          capture_output=True, text=True, input=PASSWORD + "\n").stdout.strip()


def instance(port, env, *args):
    data = tempfile.mkdtemp()
    env = dict(os.environ, RUST_LOG="warn", MQTT_LISTEN="off", **env)
    admin = cli(data, env, "token", "add", f"bench-{port}", "--role", "admin")
    cli(data, env, "user", "add", f"user-{port}", "--role", "viewer")
    process = subprocess.Popen([BIN, "--config", "/nonexistent.ini", "--data-dir", data,
                                "--listen", f"127.0.0.1:{port}", *args], env=env)
    url = f"http://127.0.0.1:{port}"
    wait_for(f"{url}/ready")
    return process, url, admin, data


def both(urls_tokens, path):
    """wrk on several instances at once, 8 connections each: the rates added, the worst p99."""
    with ThreadPoolExecutor(len(urls_tokens)) as pool:
        runs = list(pool.map(lambda ut: wrk(f"{ut[0]}{path}", ut[1], connections=8, threads=1), urls_tokens))
    return sum(r[0] for r in runs), max(r[2] for r in runs)


def sign_ins(url, user):
    script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    script.write(f'wrk.method = "POST"\nwrk.body = "username={user}&password={PASSWORD}"\n'
                 'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n')
    script.close()
    return wrk(f"{url}/login", script=script.name)[0]


def main():
    pg, database = postgres()
    processes = [pg]
    try:
        p, sqlite, sqlite_admin, data = instance(SQLITE, {}, "--tsdb-listen", f"127.0.0.1:{STORE}")
        processes.append(p)
        seed(sqlite, sqlite_admin)
        remote = {"DATABASE_URL": database, "INFLUX_URL": f"http://127.0.0.1:{STORE}",
                  "INFLUX_TOKEN": open(os.path.join(data, "operator-token")).read().strip(), "INFLUX_ORG": "iot-center"}
        pa, a, admin_a, _ = instance(PG_A, remote)
        pb, b, admin_b, _ = instance(PG_B, remote)
        processes += [pa, pb]
        time.sleep(6)  # the PostgreSQL instances' fleet indexes know the devices

        print("\n20 devices, a day of 1-minute points each; wrk -c16 -d10s (two instances: 8 connections each)\n")
        print("| page | SQLite, one instance | PostgreSQL, one instance | PostgreSQL, two instances |")
        print("|---|---|---|---|")
        for label, path in [("device list", "/devices"), ("device page", "/devices/dev-01")]:
            s = wrk(f"{sqlite}{path}", sqlite_admin)
            p1 = wrk(f"{a}{path}", admin_a)
            p2 = both([(a, admin_a), (b, admin_b)], path)
            print(f"| {label} | {s[0]:,.0f} req/s, p99 {s[2]:.1f} ms | {p1[0]:,.0f} req/s, p99 {p1[2]:.1f} ms "
                  f"| {p2[0]:,.0f} req/s, p99 {p2[1]:.1f} ms |", flush=True)
        print(f"| sign-in (POST /login, right password) | {sign_ins(sqlite, f'user-{SQLITE}'):,.1f}/s "
              f"| {sign_ins(a, f'user-{PG_A}'):,.1f}/s | |", flush=True)
    finally:
        for p in reversed(processes):
            p.terminate()
            p.wait()


if __name__ == "__main__":
    main()
