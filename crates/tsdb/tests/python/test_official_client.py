"""The Python tutorial's own calls through the official influxdb-client, against tsdb."""
from datetime import datetime, timedelta, timezone

from influxdb_client import BucketRetentionRules, InfluxDBClient, Permission, PermissionResource, Point
from influxdb_client.client.query_api import QueryOptions
from influxdb_client.client.write_api import SYNCHRONOUS
from influxdb_client.domain.call_expression import CallExpression
from influxdb_client.domain.identifier import Identifier
from influxdb_client.rest import ApiException
import pytest


def test_health_ping_version(client):
    health = client.health()
    assert health.status == "pass"
    assert health.name == "influxdb"
    assert health.message == "ready for queries and writes"
    assert client.ping() is True
    assert client.version().startswith("v2")
    assert client.build().lower() == "oss"


def test_registry_write_and_last(client):
    """create_device() and get_device() of the tutorial."""
    buckets_api = client.buckets_api()
    org = client.organizations_api().find_organizations(org="my-org")[0]
    buckets_api.create_bucket(bucket_name="iot_center_devices", org_id=org.id)
    write_api = client.write_api(write_options=SYNCHRONOUS)
    for device_id in ["dev-1", "dev-2"]:
        point = Point("deviceauth").tag("deviceId", device_id) \
            .field("key", f"fake_auth_id_{device_id}").field("token", f"fake_auth_token_{device_id}")
        assert write_api.write(bucket="iot_center_devices", record=point) is None

    flux = ('from(bucket: "iot_center_devices") |> range(start: 0) '
            '|> filter(fn: (r) => r._measurement == "deviceauth" and r.deviceId == "dev-2" and r._field != "token") '
            '|> last()')
    results = [(record.get_field(), record.get_value())
               for table in client.query_api().query(flux) for record in table.records]
    assert results == [("key", "fake_auth_id_dev-2")]


def test_telemetry_write_and_get_measurements(client):
    """write_measurements() and get_measurements() of the tutorial (with its `device` tag)."""
    write_api = client.write_api(write_options=SYNCHRONOUS)
    now = datetime.now(timezone.utc)
    for minutes, temperature in [(2, 20.5), (1, 21.5)]:
        point = Point("environment").tag("device", "dev-9").tag("TemperatureSensor", "virtual_bme280") \
            .field("Temperature", temperature).field("Humidity", 40.0).field("Lat", 50.08).field("Lon", 14.42) \
            .time(now - timedelta(minutes=minutes))
        write_api.write(bucket="my-bucket", record=point)

    flux = ('from(bucket: "my-bucket") |> range(start: 0) '
            '|> filter(fn: (r) => r._measurement == "environment" and r.device == "dev-9") |> last()')
    tables = client.query_api().query(flux)
    values = {table.records[0].values["_field"]: table.records[0].values["_value"] for table in tables}
    assert values == {"Temperature": 21.5, "Humidity": 40.0, "Lat": 50.08, "Lon": 14.42}
    record = tables[0].records[0]
    assert record.get_measurement() == "environment"
    assert record.values["device"] == "dev-9"
    assert abs((record.get_time() - (now - timedelta(minutes=1))).total_seconds()) < 0.001

    # The data-frame-free streaming reader and pivoted output parse too.
    pivot = flux.replace("|> last()", '|> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")')
    rows = list(client.query_api().query_stream(pivot))
    assert [r["Temperature"] for r in rows] == [20.5, 21.5]


def test_find_bucket_and_create_authorization(client):
    """create_authorization() of the tutorial, with the bucket looked up by name."""
    bucket = client.buckets_api().find_bucket_by_name("my-bucket")
    assert bucket is not None and bucket.name == "my-bucket"
    assert client.buckets_api().find_bucket_by_name("no-such-bucket") is None

    resource = PermissionResource(org_id=bucket.org_id, type="buckets", id=bucket.id)
    permissions = [Permission(action="write", resource=resource)]
    auth = client.authorizations_api().create_authorization(org_id=bucket.org_id, permissions=permissions)
    assert auth.token and auth.status == "active"
    assert auth.permissions[0].resource.id == bucket.id

    # The new token writes that bucket and nothing else; it cannot read.
    with InfluxDBClient(url=client.url, token=auth.token, org="my-org") as device:
        device.write_api(write_options=SYNCHRONOUS).write("my-bucket", record="m,clientId=x v=1")
        with pytest.raises(ApiException) as denied:
            device.query_api().query('from(bucket: "my-bucket") |> range(start: -1h)')
        assert denied.value.status == 403


def test_bucket_with_retention(client):
    org = client.organizations_api().find_organizations(org="my-org")[0]
    rules = BucketRetentionRules(type="expire", every_seconds=3600)
    created = client.buckets_api().create_bucket(bucket_name="hourly", retention_rules=rules, org_id=org.id)
    assert created.retention_rules[0].every_seconds == 3600
    client.buckets_api().delete_bucket(created)
    assert client.buckets_api().find_bucket_by_name("hourly") is None


def test_delete_api(client):
    write_api = client.write_api(write_options=SYNCHRONOUS)
    write_api.write("my-bucket", record=[f"h2o,location=coyote_creek level={i} {i}" for i in range(1, 13)])
    write_api.write("my-bucket", record=["h2o,location=santa_monica level=1 5"])
    client.delete_api().delete("1970-01-01T00:00:00.000000001Z", "1970-01-01T00:00:00.000000012Z",
                               'location="coyote_creek"', bucket="my-bucket", org="my-org")
    tables = client.query_api().query(
        'from(bucket: "my-bucket") |> range(start: 0, stop: 1) |> filter(fn: (r) => r._measurement == "h2o")')
    assert [(r.values["location"], r.get_value()) for t in tables for r in t.records] == [("santa_monica", 1.0)]


def test_errors_reach_the_client(client):
    write_api = client.write_api(write_options=SYNCHRONOUS)
    with pytest.raises(ApiException) as bad_line:
        write_api.write("my-bucket", record="h2o_feet,location=coyote_creek level\\")
    assert bad_line.value.status == 400
    assert "unable to parse" in bad_line.value.body and "invalid field format" in bad_line.value.body
    with pytest.raises(ApiException) as bad_flux:
        client.query_api().query('from(bucket: "my-bucket") |> range(start: -1h) |> nope()')
    assert bad_flux.value.status == 400
    assert client.query_api().query('from(bucket: "my-bucket") |> range(start: -1s) |> filter(fn: (r) => r._measurement == "empty")') == []


def test_paging_iterators_end(client):
    """find_buckets_iter pages with `after` and stops when a page says there is no next."""
    org = client.organizations_api().find_organizations(org="my-org")[0]
    names = {f"paged-{n:02}" for n in range(7)}
    for name in names:
        client.buckets_api().create_bucket(bucket_name=name, org_id=org.id)
    seen = [b.name for b in client.buckets_api().find_buckets_iter(limit=3)]
    assert names <= set(seen)
    assert len(seen) == len(set(seen)), "no bucket comes twice"
    every = client.buckets_api().find_buckets(limit=100).buckets
    assert sorted(seen) == sorted(b.name for b in every)
    for name in names:
        client.buckets_api().delete_bucket(client.buckets_api().find_bucket_by_name(name))


def test_query_params_as_the_client_sends_them(client):
    """params become `option` statements of AST nodes: a negated duration, a time, a call."""
    write_api = client.write_api(write_options=SYNCHRONOUS)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    write_api.write("my-bucket", record=Point("params").tag("host", "a").field("v", 1.5).time(now))
    flux = ('from(bucket: "my-bucket") |> range(start: since, stop: until) '
            '|> filter(fn: (r) => r._measurement == "params" and r.host == host and r._value > low)')
    for params in [
        {"since": timedelta(hours=-1), "until": now + timedelta(seconds=1), "host": "a", "low": 1.0},
        {"since": now - timedelta(minutes=1), "until": CallExpression(type="CallExpression",
                                                                     callee=Identifier(type="Identifier", name="now")),
         "host": "a", "low": 1},
    ]:
        tables = client.query_api().query(flux, params=params)
        assert [r.get_value() for t in tables for r in t.records] == [1.5], params


def test_profiler_tables_come_with_the_result(client):
    write_api = client.write_api(write_options=SYNCHRONOUS)
    write_api.write("my-bucket", record="prof,host=a v=1 1\nprof,host=a v=2 2")
    seen = []
    query_api = client.query_api(query_options=QueryOptions(profilers=["query", "operator"],
                                                            profiler_callback=seen.append))
    tables = query_api.query('from(bucket: "my-bucket") |> range(start: 0, stop: 3) '
                             '|> filter(fn: (r) => r._measurement == "prof") |> sum()')
    assert [r.get_value() for t in tables for r in t.records] == [3.0], "profiler tables are not data"
    measurements = [r.get_measurement() for r in seen]
    assert "profiler/query" in measurements and "profiler/operator" in measurements
    query = next(r for r in seen if r.get_measurement() == "profiler/query")
    assert query["TotalDuration"] >= query["ExecuteDuration"] > 0
    assert query["influxdb/scanned-values"] == 2
    operators = {r["Label"]: r["Count"] for r in seen if r.get_measurement() == "profiler/operator"}
    assert operators["sum"] == 1 and operators["filter"] == 1


def test_gzip_writes_and_queries_end_whole(server):
    """`enable_gzip=True`: the client gzips its writes and asks for gzip answers, which must
    arrive whole however many chunks the CSV takes, errors included."""
    with InfluxDBClient(url=server, token="my-token", org="my-org", enable_gzip=True) as c:
        lines = [f"gzip_m,t=a f={i} {1_700_000_000 + i}" for i in range(3_000)]
        c.write_api(write_options=SYNCHRONOUS).write("my-bucket", "my-org", lines, write_precision="s")
        tables = c.query_api().query(
            'from(bucket: "my-bucket") |> range(start: 0) |> filter(fn: (r) => r._measurement == "gzip_m")')
        assert sum(len(t.records) for t in tables) == 3_000
        with pytest.raises(ApiException) as e:
            c.query_api().query('from(bucket: "nothere") |> range(start: 0)')
        assert e.value.status == 404
