//! The annotated-CSV reader against response shapes real InfluxDB servers send, restated as
//! vectors (CRLF as the server writes them; LF as hand-edited fixtures have them).

use influx_client::{AnnotatedCsvReader, Error, FluxValue, Record};

fn read(csv: &str) -> Result<Vec<Record>, Error> {
    AnnotatedCsvReader::new(csv.as_bytes()).collect()
}

#[test]
fn the_empty_body() {
    assert!(read("\r\n").unwrap().is_empty());
    assert!(read("").unwrap().is_empty());
}

#[test]
fn two_schemas_in_one_response() {
    let csv = "#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,double,string,string,string\r\n\
#group,false,false,true,true,false,false,true,true,true\r\n\
#default,_result,,,,,,,,\r\n\
,result,table,_start,_stop,_time,_value,_field,_measurement,host\r\n\
,,0,2020-02-17T22:19:49.747562847Z,2020-02-18T22:19:49.747562847Z,2020-02-18T10:34:08.135814545Z,1.4,f,test,A\r\n\
,,0,2020-02-17T22:19:49.747562847Z,2020-02-18T22:19:49.747562847Z,2020-02-18T22:08:44.850214724Z,6.6,f,test,A\r\n\
\r\n\
#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,long,string,string,string\r\n\
#group,false,false,true,true,false,false,true,true,true\r\n\
#default,_result,,,,,,,,\r\n\
,result,table,_start,_stop,_time,_value,_field,_measurement,host\r\n\
,,1,2020-02-17T22:19:49.747562847Z,2020-02-18T22:19:49.747562847Z,2020-02-18T10:34:08.135814545Z,4,i,test,B\r\n\
\r\n";
    let records = read(csv).unwrap();
    assert_eq!(records.len(), 3);
    assert_eq!(records[1].value(), Some(&FluxValue::Double(6.6)));
    assert_eq!(records[2].value(), Some(&FluxValue::Long(4)));
    assert_eq!(records[2].table(), 1);
    assert_eq!(records[2].result(), "_result");
    assert_eq!(
        records[0].time().unwrap().timestamp_subsec_nanos(),
        135_814_545
    );
    assert!(records[0].is_group_key("host") && !records[0].is_group_key("_value"));
}

#[test]
fn empty_tables_take_their_key_from_default() {
    let csv = "#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,string,double\n\
#group,false,false,true,true,true,false\n\
#default,_result,0,2020-01-01T00:00:00Z,2020-01-02T00:00:00Z,cpu,\n\
,result,table,_start,_stop,_field,_value\n\
\n\
#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,string,double\n\
#group,false,false,true,true,true,false\n\
#default,_result,,,,,\n\
,result,table,_start,_stop,_field,_value\n\
,,1,2020-01-01T00:00:00Z,2020-01-02T00:00:00Z,mem,\n";
    let records = read(csv).unwrap();
    assert_eq!(records.len(), 1, "an empty table has no records");
    assert_eq!(records[0].field(), Some("mem"));
    assert_eq!(
        records[0].value(),
        Some(&FluxValue::Null),
        "a null cell stays null"
    );
}

#[test]
fn aggregate_window_and_pivot_output() {
    let csv = "#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,string,string,double,double\r\n\
#group,false,false,true,true,false,true,true,false,false\r\n\
#default,_result,,,,,,,,\r\n\
,result,table,_start,_stop,_time,_measurement,host,available,free\r\n\
,,0,2021-01-01T00:00:00Z,2021-01-01T01:00:00Z,2021-01-01T00:15:00Z,mem,h1,,7.5\r\n\
,,0,2021-01-01T00:00:00Z,2021-01-01T01:00:00Z,2021-01-01T00:30:00Z,mem,h1,12,+Inf\r\n\
\r\n";
    let r = read(csv).unwrap();
    assert_eq!(r[0].get("available"), Some(&FluxValue::Null));
    assert_eq!(
        r[1].get("available").and_then(FluxValue::as_f64),
        Some(12.0)
    );
    assert_eq!(r[1].get("free"), Some(&FluxValue::Double(f64::INFINITY)));
    assert_eq!(r[1].get("missing"), None);
}

#[test]
fn every_datatype_and_quoting() {
    let csv = "#datatype,string,long,string,long,unsignedLong,double,boolean,dateTime:RFC3339Nano,duration,base64Binary\r\n\
#group,false,false,false,false,false,false,false,false,false,false\r\n\
#default,_result,,,,,,,,,\r\n\
,result,table,s,l,u,d,b,t,dur,bin\r\n\
,,0,\"a,\"\"quoted\"\"\r\nvalue\",-5,18446744073709551615,NaN,true,1970-01-01T00:00:01.5Z,1h30m,aGk=\r\n\r\n";
    let r = &read(csv).unwrap()[0];
    assert_eq!(
        r.get("s"),
        Some(&FluxValue::String("a,\"quoted\"\r\nvalue".into()))
    );
    assert_eq!(r.get("l"), Some(&FluxValue::Long(-5)));
    assert_eq!(r.get("u"), Some(&FluxValue::UnsignedLong(u64::MAX)));
    assert!(matches!(r.get("d"), Some(FluxValue::Double(v)) if v.is_nan()));
    assert_eq!(r.get("b"), Some(&FluxValue::Boolean(true)));
    assert_eq!(
        r.get("t")
            .and_then(FluxValue::as_time)
            .unwrap()
            .timestamp_millis(),
        1500
    );
    assert_eq!(r.get("dur"), Some(&FluxValue::Duration(5_400_000_000_000)));
    assert_eq!(r.get("bin"), Some(&FluxValue::Base64Binary(b"hi".to_vec())));
}

#[test]
fn the_error_table_is_an_error() {
    let csv = "#datatype,string,long,double\r\n#group,false,false,false\r\n#default,_result,,\r\n,result,table,_value\r\n,,0,1\r\n\r\n\r\n\
#datatype,string,string\r\n#group,true,true\r\n#default,,\r\n,error,reference\r\n,\"failed to read: boom\",\r\n";
    let mut reader = AnnotatedCsvReader::new(csv.as_bytes());
    assert!(
        reader.next().unwrap().is_ok(),
        "data before the error is read"
    );
    assert!(matches!(reader.next(), Some(Err(Error::Query(m))) if m == "failed to read: boom"));
    assert!(reader.next().is_none());
    // Errors with no data before them (Flux's own tests write it with annotations only).
    assert_eq!(
        read(",error,reference\n,query timeout,897\n")
            .unwrap_err()
            .to_string(),
        "query failed: query timeout"
    );
}

#[test]
fn plain_csv_without_annotations() {
    let r = read(",result,table,_value,host\r\n,_result,0,1,a\r\n,_result,1,2,b\r\n\r\n").unwrap();
    assert_eq!(r.len(), 2);
    assert_eq!(r[1].get("host"), Some(&FluxValue::String("b".into())));
    assert_eq!(r[1].table(), 1);
}

#[test]
fn malformed_input_is_an_error_not_a_panic() {
    assert_eq!(read("#datatype,string,long,nonsense\r\n#group,false,false,false\r\n#default,_result,,\r\n,result,table,x\r\n").unwrap_err().to_string(), "unexpected response from InfluxDB: unknown #datatype \"nonsense\"");
    assert_eq!(
        read("#datatype,string,long,long\r\n,result,table,x\r\n,,0,notanumber\r\n")
            .unwrap_err()
            .to_string(),
        "unexpected response from InfluxDB: \"notanumber\" is not a valid long"
    );
    assert_eq!(
        read("#datatype,string,long,long\r\n,result,table,x\r\n,,0,1,2,3\r\n")
            .unwrap_err()
            .to_string(),
        "unexpected response from InfluxDB: row has 6 cells, header has 4"
    );
}
