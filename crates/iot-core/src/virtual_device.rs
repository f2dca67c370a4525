//! Built-in virtual devices: plausible readings for any moment (the tutorial's `Sensor`,
//! done right: daily curves with noise, latitude written as `Lat`).

use crate::layout::{TELEMETRY_MEASUREMENT, WRITTEN_DEVICE_TAG};
use chrono::{DateTime, Timelike, Utc};
use influx_client::Point;
use iot_models::DeviceId;
use rand::Rng;
use std::f64::consts::PI;

/// One device's readings at one time.
#[derive(Clone, Debug, PartialEq)]
pub struct Reading {
    pub temperature: f64,
    pub humidity: f64,
    pub pressure: f64,
    pub co2: i64,
    pub tvoc: i64,
    pub lat: f64,
    pub lon: f64,
}

/// A stable per-device number in [0, 1), so each device has its own climate and place.
fn device_seed(id: &DeviceId) -> f64 {
    let hash = id.as_str().bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    });
    (hash % 10_000) as f64 / 10_000.0
}

/// Readings at `time`: temperature peaks mid-afternoon, humidity opposite, CO2 and TVOC
/// rise in working hours; `noise` in [-1, 1] draws add a little jitter.
pub fn reading(
    id: &DeviceId,
    time: DateTime<Utc>,
    home: (f64, f64),
    rng: &mut impl Rng,
) -> Reading {
    let seed = device_seed(id);
    let hour = time.hour() as f64 + time.minute() as f64 / 60.0;
    let day_curve = (2.0 * PI * (hour - 9.0) / 24.0).sin(); // +1 at 15:00, −1 at 03:00
    let busy = if (8.0..18.0).contains(&hour) {
        (PI * (hour - 8.0) / 10.0).sin()
    } else {
        0.0
    };
    let days = time.timestamp() as f64 / 86_400.0;
    let mut noise = |scale: f64| rng.random_range(-1.0..=1.0) * scale;
    Reading {
        temperature: round(19.0 + seed * 4.0 + 4.0 * day_curve + noise(0.3), 2),
        humidity: round(
            (55.0 - seed * 10.0 - 12.0 * day_curve + noise(1.0)).clamp(0.0, 100.0),
            2,
        ),
        pressure: round(
            1013.0 + 6.0 * (2.0 * PI * days / 5.0 + seed * 7.0).sin() + noise(0.4),
            2,
        ),
        co2: (420.0 + 500.0 * busy + noise(25.0)).round() as i64,
        tvoc: (80.0 + 220.0 * busy + noise(15.0)).round().max(0.0) as i64,
        lat: round(home.0 + (seed - 0.5) * 0.05 + noise(0.0002), 6),
        lon: round(
            home.1
                + (device_seed(&DeviceId::parse(&format!("{id}x")).unwrap_or_else(|_| id.clone()))
                    - 0.5)
                    * 0.08
                + noise(0.0002),
            6,
        ),
    }
}

fn round(v: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (v * f).round() / f
}

/// The point a virtual device writes, tagged as the reference devices tag theirs.
pub fn point(id: &DeviceId, time: DateTime<Utc>, r: &Reading) -> Point {
    Point::new(TELEMETRY_MEASUREMENT)
        .tag(WRITTEN_DEVICE_TAG, id.as_str())
        .tag("TemperatureSensor", "virtual_bme280")
        .tag("HumiditySensor", "virtual_bme280")
        .tag("PressureSensor", "virtual_bme280")
        .tag("CO2Sensor", "virtual_CCS811")
        .tag("TVOCSensor", "virtual_CCS811")
        .tag("GPSSensor", "virtual_gps")
        .field("Temperature", r.temperature)
        .field("Humidity", r.humidity)
        .field("Pressure", r.pressure)
        .field("CO2", r.co2)
        .field("TVOC", r.tvoc)
        .field("Lat", r.lat)
        .field("Lon", r.lon)
        .time(time.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn afternoons_are_warmer_than_nights_and_values_are_plausible() {
        let id = DeviceId::parse("virtual-1").unwrap();
        let mut rng = rand::rng();
        let home = (50.0873254, 14.4071543);
        let night = reading(
            &id,
            Utc.with_ymd_and_hms(2026, 6, 1, 3, 0, 0).unwrap(),
            home,
            &mut rng,
        );
        let afternoon = reading(
            &id,
            Utc.with_ymd_and_hms(2026, 6, 1, 15, 0, 0).unwrap(),
            home,
            &mut rng,
        );
        assert!(
            afternoon.temperature > night.temperature + 5.0,
            "{afternoon:?} vs {night:?}"
        );
        assert!(afternoon.co2 > night.co2);
        for r in [&night, &afternoon] {
            assert!((0.0..=100.0).contains(&r.humidity));
            assert!((990.0..1040.0).contains(&r.pressure));
            assert!(
                (r.lat - home.0).abs() < 0.05 && (r.lon - home.1).abs() < 0.05,
                "{r:?}"
            );
        }
    }

    #[test]
    fn latitude_is_written_as_lat() {
        let id = DeviceId::parse("virtual-1").unwrap();
        let r = Reading {
            temperature: 1.0,
            humidity: 2.0,
            pressure: 3.0,
            co2: 4,
            tvoc: 5,
            lat: 50.1,
            lon: 14.4,
        };
        let lp = String::from_utf8(influx_client_line(&point(
            &id,
            Utc.timestamp_opt(60, 0).unwrap(),
            &r,
        )))
        .unwrap();
        assert!(lp.contains("Lat=50.1,Lon=14.4"), "{lp}");
        assert!(
            lp.starts_with("environment,CO2Sensor=virtual_CCS811,GPSSensor=virtual_gps"),
            "{lp}"
        );
        assert!(
            lp.contains("clientId=virtual-1") && lp.trim_end().ends_with(" 60"),
            "{lp}"
        );
    }

    fn influx_client_line(p: &Point) -> Vec<u8> {
        influx_client::to_line_protocol(std::slice::from_ref(p)).unwrap()
    }
}
