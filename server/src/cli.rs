//! The command line; every option can also come from the environment.

use std::net::SocketAddr;

#[derive(Debug, clap::Parser)]
#[command(
    name = "iot-center",
    version,
    about = "IoT Center: devices, telemetry and health on InfluxDB"
)]
pub struct Cli {
    /// Address of the web server [default: site-addr of Leptos.toml, 127.0.0.1:5000]
    #[arg(long, env = "IOT_CENTER_LISTEN")]
    pub listen: Option<SocketAddr>,
}
