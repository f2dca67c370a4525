"""The tutorial's IoT Center (../shared/reference/python-iot-tutorial.md), as its pages are
written: Flask and Jinja, a new InfluxDBClient per request, one Flux query per page, the
records rendered into a table. It reads the same store as the Rust app, so
`pages_vs_flask.py` can load both in one run.

Changed from the tutorial only where the store's layout says so: telemetry is tagged
`clientId` (the reference IoT Center's tag) where the tutorial writes `device`, and the
settings come from the environment instead of `config.ini`. Compare and Map are not in the
tutorial; they are written the same way (one query, a table).
"""

import os

from flask import Flask, render_template, request
from influxdb_client import InfluxDBClient
from influxdb_client.client.query_api import QueryApi

app = Flask(__name__)

URL, TOKEN, ORG = os.environ["INFLUX_URL"], os.environ["INFLUX_TOKEN"], os.environ["INFLUX_ORG"]
BUCKET, BUCKET_AUTH = os.environ["INFLUX_BUCKET"], os.environ["INFLUX_BUCKET_AUTH"]
RANGES = {"1h": "-1h", "1d": "-1d", "7d": "-7d"}


def query(flux):
    influxdb_client = InfluxDBClient(url=URL, token=TOKEN, org=ORG)
    query_api = QueryApi(influxdb_client)
    response = query_api.query(flux)
    influxdb_client.close()
    return [record.values for table in response for record in table.records]


def get_devices():
    flux_query = f'from(bucket: "{BUCKET_AUTH}") ' \
                 f'|> range(start: 0) ' \
                 f'|> filter(fn: (r) => r._measurement == "deviceauth" and r._field != "token") ' \
                 f'|> last()'
    devices = {}
    for r in query(flux_query):
        devices.setdefault(r["deviceId"], {})[r["_field"]] = r["_value"]
    return sorted(devices.items())


def get_device(device_id):
    device_filter = f'r.deviceId == "{device_id}" and r._field != "token"'
    flux_query = f'from(bucket: "{BUCKET_AUTH}") ' \
                 f'|> range(start: 0) ' \
                 f'|> filter(fn: (r) => r._measurement == "deviceauth" and {device_filter}) ' \
                 f'|> last()'
    return [(r["_field"], r["_value"]) for r in query(flux_query)]


def get_measurements(device_id):
    device_filter = f'r.clientId == "{device_id}"'
    flux_query = f'from(bucket: "{BUCKET}") ' \
                 f'|> range(start: 0) ' \
                 f'|> filter(fn: (r) => r._measurement == "environment" and {device_filter}) ' \
                 f'|> last()'
    return query(flux_query)


@app.route("/devices")
def devices():
    return render_template("devices.html", devices=get_devices())


@app.route("/devices/<device_id>")
def device(device_id):
    return render_template("device.html", device_id=device_id, device=get_device(device_id),
                           data=get_measurements(device_id))


@app.route("/data")
def data():
    device_id = request.args.get("device", "")
    start = RANGES.get(request.args.get("range", "1h"), "-1h")
    flux_query = f'from(bucket: "{BUCKET}") ' \
                 f'|> range(start: {start}) ' \
                 f'|> filter(fn: (r) => r._measurement == "environment" and r.clientId == "{device_id}") ' \
                 f'|> sort(columns: ["_time"], desc: true) |> limit(n: 20)'
    # Fields of different types cannot share a table: the newest 20 of each, merged here.
    records = sorted(query(flux_query), key=lambda r: r["_time"], reverse=True)[:20]
    return render_template("data.html", device_id=device_id, data=records)


@app.route("/compare")
def compare():
    ids = [d for d in request.args.get("devices", "").split(",") if d]
    field = request.args.get("field", "Temperature")
    start = RANGES.get(request.args.get("range", "1h"), "-1h")
    device_filter = " or ".join(f'r.clientId == "{d}"' for d in ids) or "false"
    flux_query = f'from(bucket: "{BUCKET}") ' \
                 f'|> range(start: {start}) ' \
                 f'|> filter(fn: (r) => r._measurement == "environment" and r._field == "{field}") ' \
                 f'|> filter(fn: (r) => {device_filter}) ' \
                 f'|> aggregateWindow(every: 5m, fn: mean, createEmpty: false)'
    return render_template("compare.html", field=field, data=query(flux_query))


@app.route("/map")
def map_page():
    flux_query = f'from(bucket: "{BUCKET}") ' \
                 f'|> range(start: -30d) ' \
                 f'|> filter(fn: (r) => r._measurement == "environment" and (r._field == "Lat" or r._field == "Lon")) ' \
                 f'|> last()'
    return render_template("map.html", data=query(flux_query))
