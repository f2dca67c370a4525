"""Dashboards users build (issue #28), whole pages under load: a dashboard of 12 cells over
7 days for one device, and one over 24 h for 50 devices.

    cargo build --release -p server --bin iot-center
    python3 server/benches/dashboards.py                # from the repository root

Starts the release `iot-center` on a fresh embedded store, registers 50 devices in bulk,
writes a day of 1-minute points for each through the gateway with their own tokens (and 7
days for the first), saves the two dashboards over the JSON API, then for each page: 20
requests one at a time (the first, before anything was read, and the median; the whole page
as a browser gets it) and
`wrk -t2 -c16 -d10s --latency` (`WRK_THREADS`, `WRK_SECONDS`).
"""

import json, os, statistics, sys, time, urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pages_vs_flask import day_of_points, request, start_server, wait_for, wrk  # noqa: E402

WEB, STORE = 18811, 18812
DEVICES = [f"dash-{n:02}" for n in range(50)]
FIELDS = ["Temperature", "Humidity", "Pressure", "CO2"]


def cells(devices):
    """12 cells: a chart, a value and (for two fields) a gauge per field, a table, a note."""
    out = []
    for i, field in enumerate(FIELDS):
        out.append({"x": (i % 2) * 6, "y": (i // 2) * 4, "w": 6, "h": 4, "type": "line",
                    "fields": [field], "devices": devices})
        out.append({"x": i * 3, "y": 8, "w": 3, "h": 2, "type": "value", "field": field, "devices": devices})
    out.append({"x": 0, "y": 10, "w": 3, "h": 2, "type": "gauge", "field": "CO2", "min": 400, "max": 2000})
    out.append({"x": 3, "y": 10, "w": 3, "h": 2, "type": "gauge", "field": "Humidity", "min": 0, "max": 100})
    out.append({"x": 6, "y": 10, "w": 6, "h": 4, "type": "table", "fields": FIELDS, "devices": "all"})
    out.append({"x": 0, "y": 12, "w": 6, "h": 2, "type": "note", "text": "Greenhouse north"})
    return out


def once(url, token):
    """20 whole requests, one at a time: the first (nothing read yet) and the median (ms),
    and the page's size."""
    times, size = [], 0
    for _ in range(20):
        started = time.perf_counter()
        size = len(request(url, token)[1])
        times.append((time.perf_counter() - started) * 1000)
    return times[0], statistics.median(times), size


def main():
    _, admin, server, web = start_server(WEB, STORE)
    try:
        wait_for(f"{web}/ready")
        _, body = request(f"{web}/api/devices", admin, json.dumps(DEVICES).encode())
        tokens = {t["id"]: t["token"] for t in json.loads(body)["registered"]}
        for device in DEVICES:
            for day in range(7 if device == DEVICES[0] else 1):
                r = urllib.request.Request(f"{web}/api/v2/write?bucket=iot_center&precision=s",
                                           day_of_points(device, day), {"authorization": f"Token {tokens[device]}"})
                assert urllib.request.urlopen(r, timeout=60).status == 204
        boards = [
            ("12 cells, 7 days, one device", {"device": DEVICES[0]}, "7d", "picked"),
            ("12 cells, 24 h, 50 devices", {"prefix": "dash-"}, "1d", "all"),
        ]
        print(f"\nwrk -t{os.environ.get('WRK_THREADS', '2')} -c16 -d{os.environ.get('WRK_SECONDS', '10')}s\n")
        print("| dashboard | first request | one at a time (median of 20) | under 16 connections |\n|---|---|---|---|")
        for label, devices, range_, per_cell in boards:
            spec = {"title": label, "devices": devices, "range": range_, "cells": cells(per_cell)}
            _, body = request(f"{web}/api/dashboards", admin, json.dumps(spec).encode())
            page = f"{web}/dashboards/{json.loads(body)['id']}"
            first, median, size = once(page, admin)
            rate, p50, p99 = wrk(page, admin)
            print(f"| {label} | {first:.1f} ms | {median:.1f} ms, {size / 1024:.0f} KB | "
                  f"{rate:,.0f} req/s, p50 {p50:.1f}, p99 {p99:.1f} ms |", flush=True)
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
