//! Making interpolated strings safe: HTML escaping for the HTML body, and
//! control-character removal for the subject and the text body.

/// Escapes `& < > " '` and replaces control characters (a line break in a
/// value must not break the layout either).
pub fn escape_html(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len() + 8);
    for c in raw.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// One line of plain text: control characters (line breaks included)
/// become spaces, so a value cannot forge lines or headers.
pub fn single_line(raw: &str) -> String {
    raw.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}
