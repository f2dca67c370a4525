//! Flux, table-driven: line protocol in, a query, the exact CSV InfluxDB 2.7 answers.
//! `now` is 2024-01-01T00:00:00Z; ranges are given in Unix seconds.

mod common;

use common::{start, TOKEN};

const DATA: &str = "\
environment,clientId=a Temperature=20,CO2=400i 0
environment,clientId=a Temperature=22,CO2=420i 60
environment,clientId=a Temperature=24,CO2=440i 120
environment,clientId=b Temperature=18 60
environment,device=c Temperature=30 90
";

const FROM: &str = "from(bucket: \"my-bucket\") |> range(start: 0, stop: 180)";
const T: &str = "filter(fn: (r) => r._field == \"Temperature\")";

/// (name, query after `FROM |> `, expected plain CSV)
const CASES: &[(&str, &str, &str)] = &[
    ("range_filter", r#"filter(fn: (r) => r.clientId == "b")"#, ",result,table,_start,_stop,_time,_value,_field,_measurement,clientId\r\n,_result,0,1970-01-01T00:00:00Z,1970-01-01T00:03:00Z,1970-01-01T00:01:00Z,18,Temperature,environment,b\r\n\r\n"),
    ("regex_and_exists", r#"filter(fn: (r) => r._field =~ /^Temp/ and exists r.device)"#, ",result,table,_start,_stop,_time,_value,_field,_measurement,device\r\n,_result,0,1970-01-01T00:00:00Z,1970-01-01T00:03:00Z,1970-01-01T00:01:30Z,30,Temperature,environment,c\r\n\r\n"),
    // A tag a series lacks is null: neither `==` nor `!=` holds for it.
    ("filter_ne_skips_series_without_the_tag", r#"filter(fn: (r) => r.clientId != "a")"#, ",result,table,_start,_stop,_time,_value,_field,_measurement,clientId\r\n,_result,0,1970-01-01T00:00:00Z,1970-01-01T00:03:00Z,1970-01-01T00:01:00Z,18,Temperature,environment,b\r\n\r\n"),
    ("filter_or_across_tags", r#"filter(fn: (r) => r["device"] == "c" or "b" == r.clientId)"#, ",result,table,_start,_stop,_time,_value,_field,_measurement,clientId\r\n,_result,0,1970-01-01T00:00:00Z,1970-01-01T00:03:00Z,1970-01-01T00:01:00Z,18,Temperature,environment,b\r\n\r\n,result,table,_start,_stop,_time,_value,_field,_measurement,device\r\n,_result,1,1970-01-01T00:00:00Z,1970-01-01T00:03:00Z,1970-01-01T00:01:30Z,30,Temperature,environment,c\r\n\r\n"),
    ("last", r#"$T |> last()"#, ",result,table,_start,_stop,_time,_value,_field,_measurement,clientId\r\n,_result,0,1970-01-01T00:00:00Z,1970-01-01T00:03:00Z,1970-01-01T00:02:00Z,24,Temperature,environment,a\r\n,_result,1,1970-01-01T00:00:00Z,1970-01-01T00:03:00Z,1970-01-01T00:01:00Z,18,Temperature,environment,b\r\n\r\n,result,table,_start,_stop,_time,_value,_field,_measurement,device\r\n,_result,2,1970-01-01T00:00:00Z,1970-01-01T00:03:00Z,1970-01-01T00:01:30Z,30,Temperature,environment,c\r\n\r\n"),
    ("first", r#"$T |> first()"#, ",result,table,_start,_stop,_time,_value,_field,_measurement,clientId\r\n,_result,0,1970-01-01T00:00:00Z,1970-01-01T00:03:00Z,1970-01-01T00:00:00Z,20,Temperature,environment,a\r\n,_result,1,1970-01-01T00:00:00Z,1970-01-01T00:03:00Z,1970-01-01T00:01:00Z,18,Temperature,environment,b\r\n\r\n,result,table,_start,_stop,_time,_value,_field,_measurement,device\r\n,_result,2,1970-01-01T00:00:00Z,1970-01-01T00:03:00Z,1970-01-01T00:01:30Z,30,Temperature,environment,c\r\n\r\n"),
    ("min_max", r#"$T |> max()"#, ",result,table,_start,_stop,_time,_value,_field,_measurement,clientId\r\n,_result,0,1970-01-01T00:00:00Z,1970-01-01T00:03:00Z,1970-01-01T00:02:00Z,24,Temperature,environment,a\r\n,_result,1,1970-01-01T00:00:00Z,1970-01-01T00:03:00Z,1970-01-01T00:01:00Z,18,Temperature,environment,b\r\n\r\n,result,table,_start,_stop,_time,_value,_field,_measurement,device\r\n,_result,2,1970-01-01T00:00:00Z,1970-01-01T00:03:00Z,1970-01-01T00:01:30Z,30,Temperature,environment,c\r\n\r\n"),
    ("count", r#"count()"#, ",result,table,_start,_stop,_value,_field,_measurement,clientId\r\n,_result,0,1970-01-01T00:00:00Z,1970-01-01T00:03:00Z,3,CO2,environment,a\r\n,_result,1,1970-01-01T00:00:00Z,1970-01-01T00:03:00Z,3,Temperature,environment,a\r\n,_result,2,1970-01-01T00:00:00Z,1970-01-01T00:03:00Z,1,Temperature,environment,b\r\n\r\n,result,table,_start,_stop,_value,_field,_measurement,device\r\n,_result,3,1970-01-01T00:00:00Z,1970-01-01T00:03:00Z,1,Temperature,environment,c\r\n\r\n"),
    ("mean", r#"$T |> mean()"#, ",result,table,_start,_stop,_value,_field,_measurement,clientId\r\n,_result,0,1970-01-01T00:00:00Z,1970-01-01T00:03:00Z,22,Temperature,environment,a\r\n,_result,1,1970-01-01T00:00:00Z,1970-01-01T00:03:00Z,18,Temperature,environment,b\r\n\r\n,result,table,_start,_stop,_value,_field,_measurement,device\r\n,_result,2,1970-01-01T00:00:00Z,1970-01-01T00:03:00Z,30,Temperature,environment,c\r\n\r\n"),
    ("sum_int", r#"filter(fn: (r) => r._field == "CO2") |> sum()"#, ",result,table,_start,_stop,_value,_field,_measurement,clientId\r\n,_result,0,1970-01-01T00:00:00Z,1970-01-01T00:03:00Z,1260,CO2,environment,a\r\n\r\n"),
    ("aggregate_window_mean", r#"filter(fn: (r) => r.clientId == "a" and r._field == "Temperature") |> aggregateWindow(every: 1m, fn: mean)"#, ",result,table,_start,_stop,_time,_value,_field,_measurement,clientId\r\n,_result,0,1970-01-01T00:00:00Z,1970-01-01T00:03:00Z,1970-01-01T00:01:00Z,20,Temperature,environment,a\r\n,_result,0,1970-01-01T00:00:00Z,1970-01-01T00:03:00Z,1970-01-01T00:02:00Z,22,Temperature,environment,a\r\n,_result,0,1970-01-01T00:00:00Z,1970-01-01T00:03:00Z,1970-01-01T00:03:00Z,24,Temperature,environment,a\r\n\r\n"),
    (
        "aggregate_window_in_the_store_with_offset",
        r#"filter(fn: (r) => r.clientId == "a" and r._field == "CO2") |> aggregateWindow(every: 2m, offset: 1m, fn: sum, createEmpty: false)"#,
        ",result,table,_start,_stop,_time,_value,_field,_measurement,clientId\r\n,_result,0,1970-01-01T00:00:00Z,1970-01-01T00:03:00Z,1970-01-01T00:01:00Z,400,CO2,environment,a\r\n,_result,0,1970-01-01T00:00:00Z,1970-01-01T00:03:00Z,1970-01-01T00:03:00Z,860,CO2,environment,a\r\n\r\n",
    ),
    (
        "aggregate_window_after_a_row_filter",
        r#"filter(fn: (r) => r.clientId == "a" and r._field == "Temperature" and r._value > 20.0) |> aggregateWindow(every: 1m, fn: mean)"#,
        ",result,table,_start,_stop,_time,_value,_field,_measurement,clientId\r\n,_result,0,1970-01-01T00:00:00Z,1970-01-01T00:03:00Z,1970-01-01T00:01:00Z,,Temperature,environment,a\r\n,_result,0,1970-01-01T00:00:00Z,1970-01-01T00:03:00Z,1970-01-01T00:02:00Z,22,Temperature,environment,a\r\n,_result,0,1970-01-01T00:00:00Z,1970-01-01T00:03:00Z,1970-01-01T00:03:00Z,24,Temperature,environment,a\r\n\r\n",
    ),
    (
        "aggregate_window_with_a_user_function",
        r#"filter(fn: (r) => r.clientId == "a" and r._field == "CO2") |> aggregateWindow(every: 2m, fn: (column, tables=<-) => tables |> max(column: column))"#,
        ",result,table,_start,_stop,_time,_value,_field,_measurement,clientId\r\n,_result,0,1970-01-01T00:00:00Z,1970-01-01T00:03:00Z,1970-01-01T00:02:00Z,420,CO2,environment,a\r\n,_result,0,1970-01-01T00:00:00Z,1970-01-01T00:03:00Z,1970-01-01T00:03:00Z,440,CO2,environment,a\r\n\r\n",
    ),
    ("aggregate_window_no_empty", r#"filter(fn: (r) => r.clientId == "b") |> aggregateWindow(every: 1m, fn: mean, createEmpty: false)"#, ",result,table,_start,_stop,_time,_value,_field,_measurement,clientId\r\n,_result,0,1970-01-01T00:00:00Z,1970-01-01T00:03:00Z,1970-01-01T00:02:00Z,18,Temperature,environment,b\r\n\r\n"),
    ("aggregate_window_count_empty", r#"filter(fn: (r) => r.clientId == "b") |> aggregateWindow(every: 1m, fn: count)"#, ",result,table,_start,_stop,_time,_value,_field,_measurement,clientId\r\n,_result,0,1970-01-01T00:00:00Z,1970-01-01T00:03:00Z,1970-01-01T00:01:00Z,0,Temperature,environment,b\r\n,_result,0,1970-01-01T00:00:00Z,1970-01-01T00:03:00Z,1970-01-01T00:02:00Z,1,Temperature,environment,b\r\n,_result,0,1970-01-01T00:00:00Z,1970-01-01T00:03:00Z,1970-01-01T00:03:00Z,0,Temperature,environment,b\r\n\r\n"),
    ("aggregate_window_offset", r#"filter(fn: (r) => r.clientId == "a" and r._field == "CO2") |> aggregateWindow(every: 2m, offset: 1m, fn: max)"#, ",result,table,_start,_stop,_time,_value,_field,_measurement,clientId\r\n,_result,0,1970-01-01T00:00:00Z,1970-01-01T00:03:00Z,1970-01-01T00:01:00Z,400,CO2,environment,a\r\n,_result,0,1970-01-01T00:00:00Z,1970-01-01T00:03:00Z,1970-01-01T00:03:00Z,440,CO2,environment,a\r\n\r\n"),
    ("window_then_first", r#"filter(fn: (r) => r.clientId == "a" and r._field == "CO2") |> window(every: 2m) |> first()"#, ",result,table,_start,_stop,_time,_value,_field,_measurement,clientId\r\n,_result,0,1970-01-01T00:00:00Z,1970-01-01T00:02:00Z,1970-01-01T00:00:00Z,400,CO2,environment,a\r\n,_result,1,1970-01-01T00:02:00Z,1970-01-01T00:03:00Z,1970-01-01T00:02:00Z,440,CO2,environment,a\r\n\r\n"),
    ("pivot", r#"filter(fn: (r) => r.clientId == "a") |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")"#, ",result,table,_start,_stop,_time,_measurement,clientId,CO2,Temperature\r\n,_result,0,1970-01-01T00:00:00Z,1970-01-01T00:03:00Z,1970-01-01T00:00:00Z,environment,a,400,20\r\n,_result,0,1970-01-01T00:00:00Z,1970-01-01T00:03:00Z,1970-01-01T00:01:00Z,environment,a,420,22\r\n,_result,0,1970-01-01T00:00:00Z,1970-01-01T00:03:00Z,1970-01-01T00:02:00Z,environment,a,440,24\r\n\r\n"),
    ("group_sort_limit", r#"$T |> group() |> sort(columns: ["_value"], desc: true) |> limit(n: 2)"#, ",result,table,_start,_stop,_time,_value,_field,_measurement,clientId,device\r\n,_result,0,1970-01-01T00:00:00Z,1970-01-01T00:03:00Z,1970-01-01T00:01:30Z,30,Temperature,environment,,c\r\n,_result,0,1970-01-01T00:00:00Z,1970-01-01T00:03:00Z,1970-01-01T00:02:00Z,24,Temperature,environment,a,\r\n\r\n"),
    ("group_by_keep", r#"$T |> group(columns: ["clientId"]) |> keep(columns: ["clientId", "_value"])"#, ",result,table,_value,clientId\r\n,_result,0,20,a\r\n,_result,0,22,a\r\n,_result,0,24,a\r\n,_result,1,18,b\r\n,_result,2,30,\r\n\r\n"),
    // Fields of two types, grouped apart: one table each, no schema collision.
    ("group_by_field_of_two_types", r#"filter(fn: (r) => r.clientId == "a") |> group(columns: ["_field"]) |> max() |> keep(columns: ["_time", "_value", "_field"])"#, ",result,table,_time,_value,_field\r\n,_result,0,1970-01-01T00:02:00Z,440,CO2\r\n\r\n,result,table,_time,_value,_field\r\n,_result,1,1970-01-01T00:02:00Z,24,Temperature\r\n\r\n"),
    ("drop_rename", r#"filter(fn: (r) => r.clientId == "b") |> drop(columns: ["_start", "_stop"]) |> rename(columns: {_value: "celsius"})"#, ",result,table,_time,celsius,_field,_measurement,clientId\r\n,_result,0,1970-01-01T00:01:00Z,18,Temperature,environment,b\r\n\r\n"),
    ("distinct", r#"$T |> group() |> distinct(column: "clientId")"#, ",result,table,_value\r\n,_result,0,a\r\n,_result,0,b\r\n,_result,0,\r\n\r\n"),
    ("map_record", r#"filter(fn: (r) => r.clientId == "b") |> map(fn: (r) => ({time: r._time, f: r._value * 9.0 / 5.0 + 32.0}))"#, ",result,table,f,time\r\n,_result,0,64.4,1970-01-01T00:01:00Z\r\n\r\n"),
    ("map_with", r#"filter(fn: (r) => r.clientId == "b") |> map(fn: (r) => ({r with _value: r._value + 1.0, note: "id-${r.clientId}"}))"#, ",result,table,_field,_measurement,_start,_stop,_time,_value,clientId,note\r\n,_result,0,Temperature,environment,1970-01-01T00:00:00Z,1970-01-01T00:03:00Z,1970-01-01T00:01:00Z,19,b,id-b\r\n\r\n"),
    ("fill_previous", r#"filter(fn: (r) => r.clientId == "b") |> aggregateWindow(every: 1m, fn: mean) |> fill(usePrevious: true)"#, ",result,table,_start,_stop,_time,_value,_field,_measurement,clientId\r\n,_result,0,1970-01-01T00:00:00Z,1970-01-01T00:03:00Z,1970-01-01T00:01:00Z,,Temperature,environment,b\r\n,_result,0,1970-01-01T00:00:00Z,1970-01-01T00:03:00Z,1970-01-01T00:02:00Z,18,Temperature,environment,b\r\n,_result,0,1970-01-01T00:00:00Z,1970-01-01T00:03:00Z,1970-01-01T00:03:00Z,18,Temperature,environment,b\r\n\r\n"),
    ("conditional", r#"filter(fn: (r) => r.clientId == "a" and r._field == "CO2") |> map(fn: (r) => ({_time: r._time, level: if r._value > 410 then "high" else "ok"}))"#, ",result,table,_time,level\r\n,_result,0,1970-01-01T00:00:00Z,ok\r\n,_result,0,1970-01-01T00:01:00Z,high\r\n,_result,0,1970-01-01T00:02:00Z,high\r\n\r\n"),
];

#[tokio::test]
async fn flux_cases() {
    let s = start().await;
    assert_eq!(s.write(DATA, TOKEN).await.status(), 204);
    let mut failures = Vec::new();
    for (name, query, want) in CASES {
        let query = query.replace("$T", T);
        let got = s.query_plain(&format!("{FROM} |> {query}")).await;
        if got != *want {
            failures.push(format!(
                "--- {name}\nquery: {query}\nwant: {want:?}\ngot:  {got:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Whole queries: several results, `buckets()`, the `schema` package.
const PROGRAMS: &[(&str, &str, &str)] = &[
    (
        "two_yields",
        "data = from(bucket: \"my-bucket\") |> range(start: 0, stop: 180) |> filter(fn: (r) => r.clientId == \"b\") |> keep(columns: [\"_value\"])
         data |> yield(name: \"raw\")
         data |> count() |> yield(name: \"n\")",
        ",result,table,_value\r\n,raw,0,18\r\n\r\n,result,table,_value\r\n,n,0,1\r\n\r\n",
    ),
    (
        "schema_tag_values",
        "import \"influxdata/influxdb/schema\"\nschema.tagValues(bucket: \"my-bucket\", tag: \"clientId\", start: 0)",
        ",result,table,_value\r\n,_result,0,a\r\n,_result,0,b\r\n\r\n",
    ),
    (
        "schema_measurements_and_fields",
        "import \"influxdata/influxdb/schema\"\nschema.fieldKeys(bucket: \"my-bucket\", start: 0, predicate: (r) => r.clientId == \"a\")",
        ",result,table,_value\r\n,_result,0,CO2\r\n,_result,0,Temperature\r\n\r\n",
    ),
    (
        "schema_tag_keys",
        "import \"influxdata/influxdb/schema\"\nschema.tagKeys(bucket: \"my-bucket\", start: 0)",
        ",result,table,_value\r\n,_result,0,_field\r\n,_result,0,_measurement\r\n,_result,0,clientId\r\n,_result,0,device\r\n\r\n",
    ),
    (
        "no_data_in_range",
        "from(bucket: \"my-bucket\") |> range(start: -1h)",
        "\r\n",
    ),
    (
        "variables_functions_and_now",
        "hot = (tables=<-, limit) => tables |> filter(fn: (r) => r._value > limit)
         from(bucket: \"my-bucket\") |> range(start: 0, stop: now()) |> filter(fn: (r) => r._field == \"Temperature\") |> hot(limit: 23.0) |> keep(columns: [\"_value\", \"_stop\"])",
        ",result,table,_stop,_value\r\n,_result,0,2024-01-01T00:00:00Z,24\r\n,_result,1,2024-01-01T00:00:00Z,30\r\n\r\n",
    ),
];

#[tokio::test]
async fn flux_programs() {
    let s = start().await;
    assert_eq!(s.write(DATA, TOKEN).await.status(), 204);
    let mut failures = Vec::new();
    for (name, query, want) in PROGRAMS {
        let got = s.query_plain(query).await;
        if got != *want {
            failures.push(format!("--- {name}\nwant: {want:?}\ngot:  {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn buckets_lists_what_the_token_may_read() {
    let s = start().await;
    let csv = s
        .query_plain("buckets() |> keep(columns: [\"name\"]) |> sort(columns: [\"name\"])")
        .await;
    assert_eq!(csv, ",result,table,name\r\n,_result,0,_monitoring\r\n,_result,0,_tasks\r\n,_result,0,my-bucket\r\n\r\n");
}

#[tokio::test]
async fn one_table_of_two_types_is_a_schema_collision() {
    let s = start().await;
    assert_eq!(s.write(DATA, TOKEN).await.status(), 204);
    let flux = format!("{FROM} |> filter(fn: (r) => r.clientId == \"a\") |> group()");
    let r = s
        .post("/api/v2/query?org=my-org", TOKEN)
        .json(&serde_json::json!({"query": flux, "now": "2024-01-01T00:00:00Z"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body = r.text().await.unwrap();
    assert!(
        body.contains(r#"schema collision detected: column \"_value\" is both of type"#),
        "{body}"
    );
}
