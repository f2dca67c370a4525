//! The application before and after InfluxDB first answers. The server listens at once;
//! until a background task has connected (see the server's start-up), everything that needs
//! InfluxDB answers [`Error::Unavailable`] with the reason, and health says what to fix.

use crate::{Backend, Error};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

/// Shared by the whole server: the backend once connected, and why not until then.
pub struct Service {
    backend: OnceLock<Arc<Backend>>,
    /// The last attempt's failure, in words a user can act on.
    waiting: Mutex<String>,
    /// When the server started, for its uptime.
    pub started: Instant,
    /// The bridge to a fleet's MQTT broker, if there is one.
    bridge: Mutex<Option<iot_models::BridgeState>>,
}

impl Default for Service {
    fn default() -> Self {
        Service {
            backend: OnceLock::new(),
            waiting: Mutex::new("connecting to InfluxDB".into()),
            started: Instant::now(),
            bridge: Mutex::new(None),
        }
    }
}

impl Service {
    /// The MQTT bridge's state now.
    pub fn set_bridge(&self, state: iot_models::BridgeState) {
        *self.bridge.lock().unwrap_or_else(|e| e.into_inner()) = Some(state);
    }

    pub fn bridge(&self) -> Option<iot_models::BridgeState> {
        self.bridge
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// A service already connected (tests and tools that connect first).
    pub fn connected(backend: Arc<Backend>) -> Service {
        let service = Service::default();
        service.connect(backend);
        service
    }

    /// The backend, or why there is none yet.
    pub fn backend(&self) -> Result<Arc<Backend>, Error> {
        self.backend
            .get()
            .cloned()
            .ok_or_else(|| Error::Unavailable(self.waiting_for()))
    }

    /// The backend, if connected.
    pub fn get(&self) -> Option<&Arc<Backend>> {
        self.backend.get()
    }

    /// Why the service is not connected yet.
    pub fn waiting_for(&self) -> String {
        self.waiting
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Records why the latest attempt to connect failed.
    pub fn not_yet(&self, reason: impl Into<String>) {
        *self.waiting.lock().unwrap_or_else(|e| e.into_inner()) = reason.into();
    }

    /// Connected: from now on every request gets the backend. Only the first call counts.
    pub fn connect(&self, backend: Arc<Backend>) {
        let _ = self.backend.set(backend);
    }
}
