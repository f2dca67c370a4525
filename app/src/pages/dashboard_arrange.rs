//! Arranging a dashboard's cells by hand: drag a cell by its bar to move it and by its
//! corner to resize it, add, duplicate, change and delete cells, undo. What is arranged is
//! the editor's JSON (`text`), so the two ways of editing are one: a change here rewrites
//! the text, and a text that does not read as a dashboard cannot be arranged until fixed.

use crate::models::{
    CellDevices, CellKind, CellSpec, DashboardSpec, FieldName, CHART_FIELDS, GRID_COLUMNS,
    MAX_HEIGHT, POSITION_FIELDS,
};
use leptos::ev;
use leptos::prelude::*;

/// A grid row's height and the gap between cells, in pixels (as the CSS draws them).
const ROW_PX: f64 = 70.0;
const GAP_PX: f64 = 14.0;

#[derive(Clone, Copy, PartialEq)]
enum Grip {
    Move,
    Resize,
}

/// A drag in progress: which cell, by which grip, from where (pixels), from what place.
#[derive(Clone, Copy)]
struct Drag {
    cell: usize,
    grip: Grip,
    from: (f64, f64),
    column_px: f64,
}

#[component]
pub fn Arrange(
    text: ReadSignal<String>,
    set_text: WriteSignal<String>,
    /// The fields new cells may show.
    fields: Vec<String>,
) -> impl IntoView {
    let spec = Memo::new(move |_| serde_json::from_str::<DashboardSpec>(&text.get()).ok());
    let history = RwSignal::new(Vec::<String>::new());
    let selected = RwSignal::new(None::<usize>);
    let drag = RwSignal::new(None::<Drag>);
    // Where the dragged cell would land now: its index and its new place.
    let preview = RwSignal::new(None::<(usize, CellSpec)>);
    let (refused, set_refused) = signal(None::<String>);
    let board = NodeRef::<leptos::html::Div>::new();

    // Every change goes through here: checked like a save, remembered for undo.
    let change = move |f: &dyn Fn(&mut DashboardSpec)| {
        let Some(mut next) = spec.get_untracked() else {
            return;
        };
        f(&mut next);
        match next.check() {
            Err(e) => set_refused.set(Some(e)),
            Ok(()) => {
                set_refused.set(None);
                history.update(|h| h.push(text.get_untracked()));
                set_text.set(serde_json::to_string_pretty(&next).unwrap_or_default());
            }
        }
    };

    let moved = move |e: ev::PointerEvent| {
        let (Some(d), Some(s)) = (drag.get_untracked(), spec.get_untracked()) else {
            return;
        };
        let Some(cell) = s.cells.get(d.cell).cloned() else {
            return;
        };
        let dx = ((e.client_x() as f64 - d.from.0) / d.column_px).round() as i32;
        let dy = ((e.client_y() as f64 - d.from.1) / (ROW_PX + GAP_PX)).round() as i32;
        let mut next = cell.clone();
        match d.grip {
            Grip::Move => {
                next.x = (i32::from(cell.x) + dx).clamp(0, i32::from(GRID_COLUMNS - cell.w)) as u8;
                next.y = (i32::from(cell.y) + dy).max(0) as u16;
            }
            Grip::Resize => {
                next.w = (i32::from(cell.w) + dx).clamp(1, i32::from(GRID_COLUMNS - cell.x)) as u8;
                next.h = (i32::from(cell.h) + dy).clamp(1, i32::from(MAX_HEIGHT)) as u8;
            }
        }
        preview.set(Some((d.cell, next)));
    };
    let dropped = move |_: ev::PointerEvent| {
        if drag.get_untracked().is_none() {
            return;
        }
        drag.set(None);
        if let Some((i, placed)) = preview.get_untracked() {
            change(&|s| s.cells[i] = placed.clone());
        }
        preview.set(None);
    };
    let listeners = [
        window_event_listener(ev::pointermove, moved),
        window_event_listener(ev::pointerup, dropped),
    ];
    on_cleanup(move || listeners.into_iter().for_each(|l| l.remove()));

    let grab = move |cell: usize, grip: Grip| {
        move |e: ev::PointerEvent| {
            e.prevent_default();
            let width = board
                .get_untracked()
                .map_or(1200.0, |b| b.get_bounding_client_rect().width());
            let column_px = (width + GAP_PX) / f64::from(GRID_COLUMNS);
            selected.set(Some(cell));
            drag.set(Some(Drag {
                cell,
                grip,
                from: (e.client_x() as f64, e.client_y() as f64),
                column_px,
            }));
        }
    };

    let cells = move || {
        let Some(s) = spec.get() else {
            return view! { <p class="banner warn">"The JSON above does not read as a dashboard: fix it to arrange the cells."</p> }.into_any();
        };
        let rows = s
            .cells
            .iter()
            .map(|c| c.y + u16::from(c.h))
            .max()
            .unwrap_or(0)
            + 2;
        let shown = preview.get();
        let items = s
            .cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let c = match &shown {
                    Some((j, placed)) if *j == i => placed.clone(),
                    _ => c.clone(),
                };
                let style = format!(
                    "grid-column: {} / span {}; grid-row: {} / span {};",
                    c.x + 1,
                    c.w,
                    c.y + 1,
                    c.h
                );
                let label = describe(&c);
                view! {
                    <div class="cell arrange-cell" class:selected=move || selected.get() == Some(i) style=style data-testid="arrange-cell">
                        <div class="arrange-bar" on:pointerdown=grab(i, Grip::Move) title="Drag to move">
                            <span>{label}</span>
                        </div>
                        <div class="arrange-actions">
                            <button title="Duplicate" aria-label="Duplicate" on:click=move |_| change(&|s| duplicate(s, i))>"copy"</button>
                            <button title="Delete" aria-label="Delete" on:click=move |_| { selected.set(None); change(&|s| { s.cells.remove(i); }) }>"✕"</button>
                        </div>
                        <div class="arrange-resize" on:pointerdown=grab(i, Grip::Resize) title="Drag to resize" data-testid="resize"></div>
                    </div>
                }
            })
            .collect_view();
        view! {
            <div class="board arranging" node_ref=board data-testid="arrange-board"
                style=format!("grid-template-rows: repeat({rows}, {ROW_PX}px);")>
                {items}
            </div>
        }
        .into_any()
    };

    view! {
        <div class="arrange" data-testid="arrange">
            <div class="inline-form">
                <AddCell fields add=Callback::new(move |cell: CellSpec| change(&|s| place_below(s, cell.clone())))/>
                <button class="secondary" disabled=move || history.read().is_empty()
                    on:click=move |_| if let Some(last) = history.try_update(|h| h.pop()).flatten() { set_text.set(last); }>
                    "Undo"
                </button>
            </div>
            {move || refused.get().map(|e| view! { <p class="banner warn" role="alert">{e}</p> })}
            {cells}
            {move || selected.get().and_then(|i| spec.get().and_then(|s| s.cells.get(i).cloned()).map(|c| view! {
                <CellForm cell=c apply=Callback::new(move |c: CellSpec| change(&|s| s.cells[i] = c.clone()))/>
            }))}
        </div>
    }
}

/// A cell in a few words: its type and what it shows.
fn describe(c: &CellSpec) -> String {
    let fields: Vec<&str> = c.kind.fields().iter().map(|f| f.as_str()).collect();
    let kind = c.kind.name();
    match (&c.title, fields.is_empty()) {
        (Some(t), _) => format!("{kind} · {t}"),
        (None, true) => kind.to_string(),
        (None, false) => format!("{kind} · {}", fields.join(", ")),
    }
}

/// A copy of cell `i`, below everything.
fn duplicate(s: &mut DashboardSpec, i: usize) {
    if let Some(copy) = s.cells.get(i).cloned() {
        place_below(s, copy);
    }
}

/// Adds `cell` at the left, under the lowest cell.
fn place_below(s: &mut DashboardSpec, mut cell: CellSpec) {
    cell.x = 0;
    cell.y = s
        .cells
        .iter()
        .map(|c| c.y + u16::from(c.h))
        .max()
        .unwrap_or(0);
    s.cells.push(cell);
}

/// A new drawing cell's picture, to change in the JSON: its field's value on a panel.
const STARTER_DRAWING: &str = r##"<svg viewBox="0 0 200 100"><rect x="4" y="4" width="192" height="92" rx="10" fill="#eef3fb" stroke="#2f6fde" stroke-width="2"/><text x="100" y="62" font-size="32" text-anchor="middle" fill="#1c2a44">{value}</text></svg>"##;

/// A new cell of a type, for a field.
#[component]
fn AddCell(fields: Vec<String>, add: Callback<CellSpec>) -> impl IntoView {
    let (kind, set_kind) = signal("line".to_string());
    let (field, set_field) = signal(CHART_FIELDS[0].to_string());
    let make = move || {
        let field = FieldName::parse(&field.get_untracked()).ok()?;
        let (w, h, kind) = match kind.get_untracked().as_str() {
            "line" => (
                6,
                4,
                CellKind::Line {
                    fields: vec![field],
                },
            ),
            "gauge" => (
                3,
                2,
                CellKind::Gauge {
                    field,
                    min: 0.0,
                    max: 100.0,
                    bands: vec![],
                },
            ),
            "value" => (3, 2, CellKind::Value { field }),
            "geo" => (
                6,
                4,
                CellKind::Geo {
                    lat: FieldName::parse(POSITION_FIELDS[0]).ok()?,
                    lon: FieldName::parse(POSITION_FIELDS[1]).ok()?,
                },
            ),
            "table" => (
                6,
                3,
                CellKind::Table {
                    fields: vec![field],
                },
            ),
            "stats" => (
                6,
                3,
                CellKind::Stats {
                    fields: vec![field],
                },
            ),
            "svg" => (
                4,
                3,
                CellKind::Svg {
                    svg: STARTER_DRAWING.into(),
                    fields: vec![field],
                },
            ),
            _ => (
                6,
                1,
                CellKind::Note {
                    text: "A note.".into(),
                },
            ),
        };
        Some(CellSpec {
            x: 0,
            y: 0,
            w,
            h,
            title: None,
            devices: CellDevices::Picked,
            kind,
        })
    };
    view! {
        <label class="field-pair">"Add"
            <select aria-label="Cell type" on:change=move |ev| set_kind.set(event_target_value(&ev))>
                {["line", "value", "gauge", "table", "stats", "svg", "note", "geo"].map(|k| view! { <option value=k>{k}</option> })}
            </select>
        </label>
        <label class="field-pair">"of"
            <select aria-label="Cell field" on:change=move |ev| set_field.set(event_target_value(&ev))>
                {fields.into_iter().map(|f| { let label = f.clone(); view! { <option value=f>{label}</option> } }).collect_view()}
            </select>
        </label>
        <button class="secondary" on:click=move |_| if let Some(cell) = make() { add.run(cell) }>"Add cell"</button>
    }
}

/// The selected cell's title, fields and devices.
#[component]
fn CellForm(cell: CellSpec, apply: Callback<CellSpec>) -> impl IntoView {
    let (title, set_title) = signal(cell.title.clone().unwrap_or_default());
    let fields_text = cell
        .kind
        .fields()
        .iter()
        .map(|f| f.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let (fields, set_fields) = signal(fields_text);
    let (all, set_all) = signal(cell.devices == CellDevices::All);
    let has_fields = !cell.kind.fields().is_empty();
    let (error, set_error) = signal(None::<String>);
    let save = move |_| {
        let mut c = cell.clone();
        let t = title.get_untracked();
        c.title = (!t.trim().is_empty()).then(|| t.trim().to_string());
        let parsed: Result<Vec<FieldName>, String> = fields
            .get_untracked()
            .split(',')
            .map(str::trim)
            .filter(|f| !f.is_empty())
            .map(FieldName::parse)
            .collect();
        let parsed = match parsed {
            Ok(p) => p,
            Err(e) => return set_error.set(Some(e)),
        };
        match (&mut c.kind, parsed.first()) {
            (
                CellKind::Line { fields }
                | CellKind::Table { fields }
                | CellKind::Stats { fields }
                | CellKind::Svg { fields, .. },
                _,
            ) => *fields = parsed.clone(),
            (CellKind::Gauge { field, .. } | CellKind::Value { field }, Some(first)) => {
                *field = first.clone()
            }
            _ => {}
        }
        if !matches!(c.devices, CellDevices::List(_)) {
            c.devices = if all.get_untracked() {
                CellDevices::All
            } else {
                CellDevices::Picked
            };
        }
        set_error.set(None);
        apply.run(c);
    };
    view! {
        <div class="stacked-form cell-form" data-testid="cell-form">
            <label for="cell-title">"Title"</label>
            <input id="cell-title" prop:value=title on:input=move |ev| set_title.set(event_target_value(&ev))/>
            {has_fields.then(|| view! {
                <label for="cell-fields">"Fields"</label>
                <input id="cell-fields" prop:value=fields on:input=move |ev| set_fields.set(event_target_value(&ev))/>
            })}
            <label for="cell-all">"Every device of the dashboard"</label>
            <input id="cell-all" type="checkbox" prop:checked=all on:change=move |ev| set_all.set(event_target_checked(&ev))/>
            <button class="secondary" on:click=save>"Apply to cell"</button>
            {move || error.get().map(|e| view! { <p class="banner warn">{e}</p> })}
        </div>
    }
}
