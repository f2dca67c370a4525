//! Embedded InfluxDB-v2-compatible time-series store (work in progress: see issue 3).
