//! A device's points as they arrive (`GET /api/live/{id}`, or a share link's, Server-Sent Events), for the
//! dashboard's live windows: drawn without re-reading. The browser's `EventSource`
//! reconnects by itself; while it is not connected the caller polls instead.

use crate::models::LivePoint;
use leptos::prelude::*;
use send_wrapper::SendWrapper;
use wasm_bindgen::prelude::*;

/// Points kept at most (a 5-minute window of a fast device); older ones go first.
const KEPT: usize = 20_000;

/// What a live stream gave: the points since it opened, and whether it is connected.
#[derive(Clone, Copy)]
pub struct LiveFeed {
    pub points: RwSignal<Vec<LivePoint>>,
    pub connected: RwSignal<bool>,
}

/// Follows `device` while `on` holds, from the browser (nothing on the server); the points
/// start empty each time either changes.
pub fn use_live(device: Signal<String>, on: Signal<bool>) -> LiveFeed {
    use_stream(
        Signal::derive(move || format!("/api/live/{}", device.get())),
        on,
    )
}

/// Follows the stream at `path` (`/api/live/<id>`, or a share link's
/// `/share/<token>/live/<id>`) while `on` holds.
pub fn use_stream(path: Signal<String>, on: Signal<bool>) -> LiveFeed {
    let feed = LiveFeed {
        points: RwSignal::new(Vec::new()),
        connected: RwSignal::new(false),
    };
    Effect::new(move |_| {
        let (path, on) = (path.get(), on.get());
        feed.points.set(Vec::new());
        feed.connected.set(false);
        if on {
            // The browser has one thread: the cleanup runs where the stream was opened.
            if let Some(stream) = open(&path, feed).map(SendWrapper::new) {
                on_cleanup(move || stream.take().close());
            }
        }
    });
    feed
}

/// An open `EventSource` and the callbacks it calls, closed and let go together.
struct Stream {
    source: web_sys::EventSource,
    _callbacks: Vec<Closure<dyn FnMut(web_sys::MessageEvent)>>,
}

impl Stream {
    fn close(self) {
        self.source.close();
    }
}

fn open(path: &str, feed: LiveFeed) -> Option<Stream> {
    let source = web_sys::EventSource::new(path).ok()?;
    let on_points = Closure::<dyn FnMut(_)>::new(move |e: web_sys::MessageEvent| {
        let Some(text) = e.data().as_string() else {
            return;
        };
        feed.points.update(|points| {
            points.extend(text.lines().filter_map(LivePoint::parse_line));
            if points.len() > KEPT {
                points.drain(..points.len() - KEPT);
            }
        });
    });
    let on_open =
        Closure::<dyn FnMut(_)>::new(move |_: web_sys::MessageEvent| feed.connected.set(true));
    let on_error =
        Closure::<dyn FnMut(_)>::new(move |_: web_sys::MessageEvent| feed.connected.set(false));
    source
        .add_event_listener_with_callback("points", on_points.as_ref().unchecked_ref())
        .ok()?;
    source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    Some(Stream {
        source,
        _callbacks: vec![on_points, on_open, on_error],
    })
}
