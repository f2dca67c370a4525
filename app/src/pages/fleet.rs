//! The fleet at a glance, on the Overview and Health pages: how many devices are in each
//! status, and the ones that went stale or offline most recently.

use crate::api::list_devices;
use crate::components::{format_age, show, Loading};
use crate::models::{DeviceStatus, DeviceSummary};
use leptos::prelude::*;

/// How many late devices are listed.
const LATE_LISTED: usize = 5;

const STATUSES: [DeviceStatus; 5] = [
    DeviceStatus::Online,
    DeviceStatus::Stale,
    DeviceStatus::Offline,
    DeviceStatus::NeverSeen,
    DeviceStatus::Removed,
];

/// Stale and offline devices, the most recently seen first: the ones that just went quiet.
fn recently_late(devices: &[DeviceSummary]) -> Vec<&DeviceSummary> {
    let mut late: Vec<&DeviceSummary> = devices
        .iter()
        .filter(|d| matches!(d.status, DeviceStatus::Stale | DeviceStatus::Offline))
        .collect();
    late.sort_by(|a, b| b.last_seen.cmp(&a.last_seen));
    late.truncate(LATE_LISTED);
    late
}

#[component]
pub fn FleetStatus() -> impl IntoView {
    let devices = Resource::new(|| (), |_| list_devices());
    view! {
        <section class="card">
            <h2>"Devices"</h2>
            <Transition fallback=Loading>
                {move || devices.get().map(|r| show(r, |list| {
                    let late: Vec<DeviceSummary> = recently_late(&list).into_iter().cloned().collect();
                    view! {
                        <div class="status-counts" data-testid="status-counts">
                            {STATUSES.into_iter().map(|status| {
                                let n = list.iter().filter(|d| d.status == status).count();
                                view! {
                                    <div class="status-count">
                                        <span class="count">{n}</span>
                                        <span class=status.badge()>{status.label()}</span>
                                    </div>
                                }
                            }).collect_view()}
                        </div>
                        {(!late.is_empty()).then(|| view! {
                            <h3>"Recently late"</h3>
                            <ul class="late" data-testid="recently-late">
                                {late.into_iter().map(|d| view! {
                                    <li>
                                        <a href=format!("/devices/{}", d.id)>{d.id.clone()}</a>
                                        " " <span class=d.status.badge()>{d.status.label()}</span>
                                        " last seen " {d.seen_ago_seconds.map(format_age).unwrap_or_default()}
                                    </li>
                                }).collect_view()}
                            </ul>
                        })}
                    }.into_any()
                }))}
            </Transition>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(id: &str, status: DeviceStatus, last_seen: Option<&str>) -> DeviceSummary {
        DeviceSummary {
            id: id.into(),
            key: None,
            created_at: None,
            updated_at: None,
            last_seen: last_seen.map(String::from),
            seen_ago_seconds: None,
            removed: status == DeviceStatus::Removed,
            status,
        }
    }

    #[test]
    fn the_devices_that_went_quiet_last_come_first() {
        let list = [
            device("a", DeviceStatus::Offline, Some("2026-11-01T00:00:00Z")),
            device("b", DeviceStatus::Online, Some("2026-11-28T00:00:00Z")),
            device("c", DeviceStatus::Stale, Some("2026-11-27T23:00:00Z")),
            device("d", DeviceStatus::NeverSeen, None),
        ];
        let ids: Vec<&str> = recently_late(&list).iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids, ["c", "a"]);
    }
}
