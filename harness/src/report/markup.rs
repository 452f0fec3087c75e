//! Escaping for HTML, SVG and XML text and attributes (one function: the same five characters
//! matter in all three), and the small text helpers the page needs.

use std::fmt::Write;

/// Escapes `&`, `<`, `>`, `"` and `'`, and drops characters XML 1.0 forbids (control characters
/// other than tab, newline and carriage return), so any history text is safe in a page or JUnit.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    push_escaped(&mut out, text);
    out
}

/// [`escape`] appending to `out`.
pub fn push_escaped(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
}

/// At most `max` bytes of `text` (cut at a character boundary), with a note of what was cut.
pub fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!(
        "{}… ({} more bytes; see results.json)",
        &text[..end],
        text.len() - end
    )
}

/// At most `max` bytes of `text`, ending in `…` when cut (labels).
pub fn clip(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// A JSON value in one short line (strings without quotes), cut to `max` bytes.
pub fn short_json(value: &serde_json::Value, max: usize) -> String {
    match value {
        serde_json::Value::String(s) => clip(s, max),
        serde_json::Value::Null => "null".into(),
        v => clip(&v.to_string(), max),
    }
}

/// Nanoseconds as a readable duration (`850 µs`, `12.3 ms`, `4.56 s`).
pub fn duration(ns: f64) -> String {
    let mut s = String::new();
    if ns < 1e3 {
        let _ = write!(s, "{ns:.0} ns");
    } else if ns < 1e6 {
        let _ = write!(s, "{:.0} µs", ns / 1e3);
    } else if ns < 1e9 {
        let _ = write!(s, "{:.1} ms", ns / 1e6);
    } else {
        let _ = write!(s, "{:.2} s", ns / 1e9);
    }
    s
}

/// A byte count as `123 B`, `4.5 kB`, `6.7 MB`.
pub fn bytes(n: u64) -> String {
    if n < 1000 {
        format!("{n} B")
    } else if n < 1_000_000 {
        format!("{:.1} kB", n as f64 / 1e3)
    } else {
        format!("{:.1} MB", n as f64 / 1e6)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_drops_forbidden_characters() {
        assert_eq!(
            escape("<a href=\"x\">'&'</a>\u{1}\n"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;\n"
        );
    }

    #[test]
    fn truncates_at_character_boundaries() {
        assert_eq!(truncate("abc", 5), "abc");
        let t = truncate("ééé", 3);
        assert!(t.starts_with("é…"), "{t}");
        assert_eq!(short_json(&serde_json::json!([1, 2, 3]), 4), "[1,2…");
        assert_eq!(duration(12_300_000.0), "12.3 ms");
        assert_eq!(bytes(4500), "4.5 kB");
    }
}
