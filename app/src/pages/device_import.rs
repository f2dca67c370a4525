//! Registering a fleet from a CSV file on the Devices page: the file is read in the
//! browser into a box the operator can check or paste into, the server registers what it
//! names, and the new tokens are offered once as a CSV download.

use crate::api::ImportDevices;
use crate::components::ErrorBanner;
use crate::models::{BulkRegistration, MAX_BULK_CSV_BYTES, MAX_BULK_DEVICES};
use leptos::prelude::*;

#[component]
pub fn ImportForm(import: ServerAction<ImportDevices>) -> impl IntoView {
    let (csv, set_csv) = signal(String::new());
    let (problem, set_problem) = signal(None::<String>);
    let on_file = move |ev: leptos::ev::Event| {
        set_problem.set(None);
        if let Err(e) = read_file(&ev, set_csv) {
            set_problem.set(Some(e));
        }
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        import.dispatch(ImportDevices {
            csv: csv.get_untracked(),
        });
    };
    let too_big = move || csv.with(|c| c.len() > MAX_BULK_CSV_BYTES);
    view! {
        <section class="card">
            <h2>"Import devices"</h2>
            <p class="hint">{format!(
                "A CSV file whose first column is the device id (a header row is skipped), up to {} devices. Devices that already have a token keep it.",
                thousands(MAX_BULK_DEVICES)
            )}</p>
            <form class="stacked-form" on:submit=submit>
                <label for="import-file">"CSV file"</label>
                <input id="import-file" type="file" accept=".csv,text/csv,text/plain" on:change=on_file/>
                <label for="import-csv">"Ids to register"</label>
                <textarea
                    id="import-csv"
                    rows="4"
                    placeholder="deviceId\nESP32-A0B1C2D3E4F5\nESP32-A0B1C2D3E4F6"
                    prop:value=csv
                    on:input=move |ev| set_csv.set(event_target_value(&ev))
                ></textarea>
                <button type="submit" disabled=move || import.pending().get() || too_big() || csv.with(|c| c.trim().is_empty())>
                    "Import"
                </button>
            </form>
            {move || too_big().then(|| view! {
                <p class="field-error" role="alert">{format!("The file is over the {} KiB an import reads: split it.", MAX_BULK_CSV_BYTES / 1024)}</p>
            })}
            {move || problem.get().map(|p| view! { <p class="field-error" role="alert">{p}</p> })}
            {move || import.value().get().map(|outcome| match outcome {
                Ok(done) => view! { <Imported done/> }.into_any(),
                Err(e) => view! { <ErrorBanner error=e/> }.into_any(),
            })}
        </section>
    }
}

/// `10000` as `10,000`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// What an import did, with the new tokens as a download.
#[component]
fn Imported(done: BulkRegistration) -> impl IntoView {
    let (new, kept) = (done.registered.len(), done.existing.len());
    // Ids and tokens are URL-safe; only the CSV's commas and line ends need escaping.
    let href = format!(
        "data:text/csv;charset=utf-8,{}",
        done.tokens_csv().replace(',', "%2C").replace('\n', "%0A")
    );
    view! {
        <p class="answer ok" data-testid="import-result">
            {format!("Registered {} device{}", thousands(new), if new == 1 { "" } else { "s" })}
            {(kept > 0).then(|| format!("; {} already had a token and keep it", thousands(kept)))}
            "."
        </p>
        {(new > 0).then(|| view! {
            <p>
                <a class="button" href=href download="device-tokens.csv" data-testid="import-tokens">"Download the new tokens (CSV)"</a>
                <span class="hint">" Shown once here; a device's token is also on its page."</span>
            </p>
        })}
    }
}

/// Reads the chosen file into `into`, as text (in the browser: handlers never run on the
/// server).
fn read_file(ev: &leptos::ev::Event, into: WriteSignal<String>) -> Result<(), String> {
    use wasm_bindgen::{closure::Closure, JsCast};
    let input: web_sys::HtmlInputElement = event_target(ev);
    let Some(file) = input.files().and_then(|files| files.get(0)) else {
        return Ok(());
    };
    if file.size() > MAX_BULK_CSV_BYTES as f64 {
        return Err(format!(
            "{} is over the {} KiB an import reads: split it.",
            file.name(),
            MAX_BULK_CSV_BYTES / 1024
        ));
    }
    let reader =
        web_sys::FileReader::new().map_err(|_| "this browser cannot read files".to_string())?;
    let done = reader.clone();
    let onload = Closure::once_into_js(move || {
        if let Some(text) = done.result().ok().and_then(|r| r.as_string()) {
            into.set(text);
        }
    });
    reader.set_onload(Some(onload.unchecked_ref()));
    reader
        .read_as_text(&file)
        .map_err(|_| format!("{} could not be read", file.name()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands_are_grouped() {
        let cases = [
            (0, "0"),
            (999, "999"),
            (1000, "1,000"),
            (10000, "10,000"),
            (1234567, "1,234,567"),
        ];
        for (n, text) in cases {
            assert_eq!(super::thousands(n), text);
        }
    }
}
