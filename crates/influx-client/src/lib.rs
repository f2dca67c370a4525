//! Typed InfluxDB v2 client (work in progress: see issue 4).
