//! How `autobook ops` prints: aligned text tables for people, one JSON
//! document for scripts (`--json`). Everything here is pure formatting.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

/// A report that can print itself for people.
pub trait Render {
    fn render(&self) -> String;
}

/// Prints `report` as JSON or as text.
pub fn emit<T: Serialize + Render>(report: &T, json: bool) -> anyhow::Result<()> {
    let mut text = if json {
        serde_json::to_string_pretty(report)?
    } else {
        report.render()
    };
    if !text.ends_with('\n') {
        text.push('\n');
    }
    write_out(&text)
}

/// Writes to stdout. A reader that stopped reading (`| head`) is not an
/// error worth a panic or a message: the output simply ends there.
fn write_out(text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// A timestamp to the millisecond, in UTC.
pub fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// `text` cut to at most `max` characters, marked with an ellipsis.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// A single line: control characters (newlines included) become spaces.
pub fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// A message body for reading: UTF-8 (invalid bytes replaced), cut after
/// `limit` bytes with a note of how much was left out.
pub fn body_text(body: &[u8], limit: usize) -> String {
    let shown = &body[..body.len().min(limit)];
    let mut text = String::from_utf8_lossy(shown).into_owned();
    if body.len() > limit {
        text.push_str(&format!("… ({} more bytes)", body.len() - limit));
    }
    text
}

/// Columns padded to their widest cell; the last column is not padded.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let columns = headers.len();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate().take(columns) {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut out = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                out.push_str(cell);
            } else {
                let pad = widths[i].saturating_sub(cell.chars().count());
                out.push_str(cell);
                out.push_str(&" ".repeat(pad + 2));
            }
        }
        out.trim_end().to_owned() + "\n"
    };
    let mut out = line(headers.to_vec());
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_their_columns() {
        let rendered = table(
            &["ID", "STATUS", "NOTE"],
            &[
                vec!["a".into(), "stuck".into(), "x y".into()],
                vec!["abcdef".into(), "booked".into(), String::new()],
            ],
        );
        assert_eq!(
            rendered,
            "ID      STATUS  NOTE\na       stuck   x y\nabcdef  booked\n"
        );
    }

    #[test]
    fn bodies_are_shown_lossily_and_cut() {
        assert_eq!(body_text(b"{\"a\":1}", 100), "{\"a\":1}");
        assert_eq!(body_text(b"abc\xffdef", 100), "abc\u{fffd}def");
        assert_eq!(body_text(b"abcdefgh", 3), "abc… (5 more bytes)");
    }

    #[test]
    fn text_is_truncated_and_kept_on_one_line() {
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abc", 4), "abc");
        assert_eq!(one_line("a\nb\tc"), "a b c");
    }
}
