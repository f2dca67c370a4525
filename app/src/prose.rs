//! Short texts written as a little Markdown — paragraphs, `- ` lists, `**strong**`,
//! `*emphasis*` and `` `code` `` — drawn as text nodes, never as HTML: dashboard notes and
//! the pages' help.

use leptos::prelude::*;

/// Paragraphs (split at blank lines) and lists (every line of a block starts with `- `).
pub fn prose(text: &str) -> AnyView {
    text.split("\n\n")
        .filter(|block| !block.trim().is_empty())
        .map(|block| {
            let lines: Vec<&str> = block.lines().collect();
            if lines.iter().all(|l| l.starts_with("- ")) {
                let items = lines.iter().map(|l| view! { <li>{inline(&l[2..])}</li> });
                view! { <ul>{items.collect_view()}</ul> }.into_any()
            } else {
                view! { <p>{inline(&lines.join(" "))}</p> }.into_any()
            }
        })
        .collect_view()
        .into_any()
}

/// A line's marks: `**strong**`, `*emphasis*`, `` `code` ``; a mark that is not closed is
/// text.
fn inline(line: &str) -> AnyView {
    let mut parts = Vec::new();
    let mut rest = line;
    while !rest.is_empty() {
        let next = ["**", "*", "`"]
            .iter()
            .filter_map(|m| rest.find(m).map(|i| (i, *m)))
            .min_by_key(|(i, m)| (*i, usize::MAX - m.len()));
        let Some((at, mark)) = next else {
            parts.push(rest.to_string().into_any());
            break;
        };
        let after = &rest[at + mark.len()..];
        let Some(end) = after.find(mark) else {
            parts.push(rest.to_string().into_any());
            break;
        };
        parts.push(rest[..at].to_string().into_any());
        let inner = after[..end].to_string();
        parts.push(match mark {
            "**" => view! { <strong>{inner}</strong> }.into_any(),
            "*" => view! { <em>{inner}</em> }.into_any(),
            _ => view! { <code>{inner}</code> }.into_any(),
        });
        rest = &after[end + mark.len()..];
    }
    parts.into_iter().collect_view().into_any()
}
