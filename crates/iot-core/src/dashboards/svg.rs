//! An SVG cell's drawing, sanitised before it is kept: the page inlines it, so only what
//! draws stays — shapes, text, gradients, groups — and nothing that runs or fetches:
//! no `<script>`, `<foreignObject>`, `<style>`, `<image>` or links, no `on…` handlers,
//! no reference outside the drawing (`href` and `url(…)` only to `#ids` in it).
//! Parsed with `roxmltree` (no DTDs, so no entities to expand), written back by hand: it
//! is a small writer, and what it writes is exactly what was allowed.

use std::fmt::Write;

const SVG_NS: &str = "http://www.w3.org/2000/svg";
const XLINK_NS: &str = "http://www.w3.org/1999/xlink";
/// Elements a drawing is made of, and nothing that runs, embeds or navigates.
const ELEMENTS: [&str; 24] = [
    "svg",
    "g",
    "defs",
    "symbol",
    "use",
    "title",
    "desc",
    "path",
    "rect",
    "circle",
    "ellipse",
    "line",
    "polyline",
    "polygon",
    "text",
    "tspan",
    "textPath",
    "linearGradient",
    "radialGradient",
    "stop",
    "clipPath",
    "mask",
    "pattern",
    "marker",
];
/// Nodes a drawing may have: beyond this it is not a cell's picture.
const MAX_NODES: u32 = 10_000;

/// The drawing with only what is allowed in it, or what makes it no drawing at all.
pub fn sanitise(markup: &str) -> Result<String, String> {
    let options = roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_NODES,
        ..roxmltree::ParsingOptions::default()
    };
    let doc = roxmltree::Document::parse_with_options(markup, options)
        .map_err(|e| format!("not an SVG drawing: {e}"))?;
    let root = doc.root_element();
    if !is_allowed(&root) || root.tag_name().name() != "svg" {
        return Err(format!(
            "not an SVG drawing: its root element is <{}>, not <svg>",
            root.tag_name().name()
        ));
    }
    let mut out = String::with_capacity(markup.len());
    write_element(&root, &mut out, true);
    Ok(out)
}

fn is_allowed(node: &roxmltree::Node) -> bool {
    let name = node.tag_name();
    matches!(name.namespace(), None | Some(SVG_NS)) && ELEMENTS.contains(&name.name())
}

fn write_element(node: &roxmltree::Node, out: &mut String, root: bool) {
    let name = node.tag_name().name();
    out.push('<');
    out.push_str(name);
    if root {
        let _ = write!(out, " xmlns=\"{SVG_NS}\"");
    }
    for a in node.attributes() {
        let (attribute, value) = (a.name(), a.value());
        let named = match a.namespace() {
            None => attribute.to_string(),
            Some(XLINK_NS) if attribute == "href" => "href".to_string(),
            Some(_) => continue,
        };
        if is_allowed_attribute(&named, value) {
            let _ = write!(out, " {named}=\"{}\"", escape(value));
        }
    }
    out.push('>');
    for child in node.children() {
        if child.is_element() && is_allowed(&child) {
            write_element(&child, out, false);
        } else if child.is_text() {
            out.push_str(&escape(child.text().unwrap_or_default()));
        }
    }
    let _ = write!(out, "</{name}>");
}

/// No handlers, no `xmlns` of its own (the root's is written), and nothing that points out
/// of the drawing.
fn is_allowed_attribute(name: &str, value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    let points_inside = || {
        lower.match_indices("url(").all(|(i, _)| {
            lower[i + 4..]
                .trim_start_matches(['\'', '"', ' '])
                .starts_with('#')
        })
    };
    !name.to_ascii_lowercase().starts_with("on")
        && !name.starts_with("xmlns")
        && (name != "href" || value.trim_start().starts_with('#'))
        && !lower.contains("javascript:")
        && !lower.contains("@import")
        && !lower.contains("expression(")
        && points_inside()
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_handlers_and_outside_references_are_removed() {
        let dirty = r##"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 100 50" onload="alert(1)">
            <script>alert(2)</script>
            <style>@import url(https://evil.example/x.css);</style>
            <foreignObject><div xmlns="http://www.w3.org/1999/xhtml">hi</div></foreignObject>
            <image href="https://evil.example/t.png"/>
            <a href="javascript:alert(3)"><text>link</text></a>
            <rect width="10" height="10" fill="url(#g)" onclick="alert(4)" style="fill: url(https://evil.example/p)"/>
            <use xlink:href="#dot"/><use href="https://evil.example/s.svg#x"/>
            <text x="5" y="40" ONMOUSEOVER="x()">{Temperature} &lt;°C&gt;</text>
        </svg>"##;
        let clean = sanitise(dirty).unwrap();
        for gone in [
            "script",
            "alert",
            "evil",
            "foreignObject",
            "style",
            "image",
            "<a",
            "link",
            "onclick",
            "ONMOUSEOVER",
        ] {
            assert!(!clean.contains(gone), "{gone} stayed in {clean}");
        }
        assert!(
            clean.starts_with(r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 50">"#),
            "{clean}"
        );
        assert!(
            clean.contains(r##"<rect width="10" height="10" fill="url(#g)"></rect>"##),
            "{clean}"
        );
        assert!(
            clean.contains(r##"<use href="#dot"></use><use></use>"##),
            "{clean}"
        );
        assert!(
            clean.contains(r#"<text x="5" y="40">{Temperature} &lt;°C&gt;</text>"#),
            "{clean}"
        );
        assert_eq!(
            sanitise(&clean).unwrap(),
            clean,
            "sanitising what is clean changes nothing"
        );
    }

    #[test]
    fn what_is_not_a_drawing_is_refused_with_the_reason() {
        assert!(sanitise("<svg><rect></svg>")
            .unwrap_err()
            .starts_with("not an SVG drawing: "));
        assert_eq!(
            sanitise("<html><svg/></html>").unwrap_err(),
            "not an SVG drawing: its root element is <html>, not <svg>"
        );
        let entities = r#"<!DOCTYPE svg [<!ENTITY a "aaaa">]><svg>&a;</svg>"#;
        assert!(
            sanitise(entities).is_err(),
            "no DTD, so no entity expansion"
        );
        let many = format!("<svg>{}</svg>", "<g/>".repeat(MAX_NODES as usize));
        assert!(
            sanitise(&many).unwrap_err().contains("nodes limit"),
            "{:?}",
            sanitise(&many)
        );
    }
}
