"""The official InfluxDB Python client, configured only with what `/api/env` gives a device,
writes through IoT Center's gateway; the operator then finds the points in the store."""
import pytest
from influxdb_client import InfluxDBClient, Point, WritePrecision
from influxdb_client.client.write_api import SYNCHRONOUS, WriteOptions
from influxdb_client.rest import ApiException


def values_of(iot_center, device_id):
    with InfluxDBClient(url=iot_center.store, token=iot_center.operator_token(), org="iot-center") as op:
        tables = op.query_api().query(
            f'from(bucket: "iot_center") |> range(start: 0) |> filter(fn: (r) => r.clientId == "{device_id}")')
        return [record.get_value() for table in tables for record in table.records]


def test_write_api_writes_through_the_gateway(iot_center):
    env = iot_center.env("py-device-1")
    assert env["influx_url"] == iot_center.url
    bucket, org = env["influx_bucket"], env["influx_org"]
    with InfluxDBClient(url=env["influx_url"], token=env["influx_token"], org=org) as client:
        assert client.ping()
        assert client.health().status == "pass"
        write = client.write_api(write_options=SYNCHRONOUS)
        write.write(bucket, org, Point("environment").tag("clientId", "py-device-1").field("Temperature", 21.5))
        # A line without the device's id gets it.
        write.write(bucket, org, "environment Humidity=40.5")
        write.write(bucket, org, [{"measurement": "environment", "fields": {"CO2": 612}, "time": 1_700_000_000}],
                    write_precision=WritePrecision.S)
        # Another device's id, or IoT Center's own measurements: refused, nothing written.
        for refused in ["environment,clientId=py-device-2 Temperature=99", 'alerts,rule=r state="firing"']:
            with pytest.raises(ApiException) as e:
                write.write(bucket, org, refused)
            assert e.value.status == 403
        with pytest.raises(ApiException) as e:
            write.write("iot_center_devices", org, "environment Temperature=1")
        assert e.value.status == 404
        # The token reads nothing: it is no InfluxDB token.
        with pytest.raises(ApiException) as e:
            client.query_api().query('from(bucket: "iot_center") |> range(start: -1h)')
        assert e.value.status == 401
    assert sorted(values_of(iot_center, "py-device-1")) == [21.5, 40.5, 612]


def test_batching_write_api_with_gzip_loses_nothing(iot_center):
    env = iot_center.env("py-device-3")
    bucket, org = env["influx_bucket"], env["influx_org"]
    lines = [f"environment Temperature={i} {1_700_000_000 + i}" for i in range(2_000)]
    with InfluxDBClient(url=env["influx_url"], token=env["influx_token"], org=org, enable_gzip=True) as client:
        with client.write_api(write_options=WriteOptions(batch_size=500, flush_interval=200)) as write:
            write.write(bucket, org, lines, write_precision=WritePrecision.S)
    assert len(values_of(iot_center, "py-device-3")) == 2_000
