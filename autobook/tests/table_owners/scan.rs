//! What `table_owners` reads: the tables the migrations and the code
//! create, every Rust
//! file of every workspace member, the string literals of a file and the
//! table each names in SQL (after `FROM`, `INTO`, `UPDATE`, `JOIN`,
//! `TABLE`, `ON` or `REFERENCES`, in any case).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path:?}: {e}"))
}

/// The workspace's members, read from the root `Cargo.toml` (so a new
/// crate is checked too): each is a directory of the repository.
pub fn members() -> Vec<String> {
    let manifest = read(&repo_root().join("Cargo.toml"));
    let members = manifest
        .lines()
        .find(|line| line.trim_start().starts_with("members"))
        .expect("the workspace's members");
    let members: Vec<String> = members
        .split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect();
    assert!(members.len() > 5, "the workspace's members: {members:?}");
    members
}

/// The name of every table a migration creates.
pub fn migrated_tables() -> BTreeSet<String> {
    let dir = repo_root().join("migrations");
    let mut tables = BTreeSet::new();
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{dir:?}: {e}"));
    for entry in entries.filter_map(|entry| entry.ok()) {
        tables.extend(created_tables(&read(&entry.path())));
    }
    assert!(tables.len() > 10, "tables found in migrations/: {tables:?}");
    tables
}

/// The name of every table (not a temporary one) that SQL in a string
/// literal of a workspace member's code creates.
pub fn tables_created_in_code() -> BTreeSet<String> {
    let mut tables = BTreeSet::new();
    for member in members() {
        for (_, text) in rust_files(&member) {
            for (start, end) in string_literals(&text) {
                tables.extend(created_tables(&text[start..end]));
            }
        }
    }
    tables
}

/// The tables `CREATE [UNLOGGED] TABLE [IF NOT EXISTS] <name>` in `sql`
/// creates.
fn created_tables(sql: &str) -> BTreeSet<String> {
    let words = words(sql);
    let mut tables = BTreeSet::new();
    for (i, (word, _)) in words.iter().enumerate() {
        if !word.eq_ignore_ascii_case("create") {
            continue;
        }
        let rest = &words[i + 1..];
        let Some(at) = rest
            .iter()
            .take(2)
            .position(|(w, _)| w.eq_ignore_ascii_case("table"))
        else {
            continue;
        };
        let temporary = rest[..at]
            .iter()
            .any(|(w, _)| w.eq_ignore_ascii_case("temp") || w.eq_ignore_ascii_case("temporary"));
        let name = rest[at + 1..]
            .iter()
            .find(|(w, _)| !BETWEEN.iter().any(|b| w.eq_ignore_ascii_case(b)));
        if let (false, Some((name, _))) = (temporary, name) {
            tables.insert(name.to_ascii_lowercase());
        }
    }
    tables
}

/// Every `.rs` file under `member` (but its build output), with its path
/// from the repository's root.
pub fn rust_files(member: &str) -> Vec<(String, String)> {
    let mut files = Vec::new();
    collect(&repo_root().join(member), &mut files);
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let text = read(&path);
            let relative = path
                .strip_prefix(repo_root())
                .unwrap_or(&path)
                .to_string_lossy()
                .into_owned();
            (relative, text)
        })
        .collect()
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(|entry| entry.ok()) {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|name| name != "target") {
                collect(&path, out);
            }
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

/// The words of `text` (runs of letters, digits and `_`) with their byte
/// offsets.
fn words(text: &str) -> Vec<(&str, usize)> {
    let mut words = Vec::new();
    let mut start = None;
    for (at, c) in text.char_indices().chain([(text.len(), ' ')]) {
        let inside = c.is_ascii_alphanumeric() || c == '_';
        match (inside, start) {
            (true, None) => start = Some(at),
            (false, Some(from)) => {
                words.push((&text[from..at], from));
                start = None;
            }
            _ => {}
        }
    }
    words
}

/// The byte ranges of the string literals of Rust source `text` (plain,
/// byte and raw), comments and character literals skipped.
pub fn string_literals(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut literals = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        match bytes[at] {
            b'/' if bytes.get(at + 1) == Some(&b'/') => {
                at = text[at..].find('\n').map_or(bytes.len(), |end| at + end);
            }
            b'/' if bytes.get(at + 1) == Some(&b'*') => {
                at = text[at + 2..]
                    .find("*/")
                    .map_or(bytes.len(), |end| at + 2 + end + 2);
            }
            b'r' if !joined(bytes, at) && matches!(bytes.get(at + 1), Some(b'"' | b'#')) => {
                let hashes = bytes[at + 1..].iter().take_while(|b| **b == b'#').count();
                let open = at + 1 + hashes;
                if bytes.get(open) != Some(&b'"') {
                    at += 1;
                    continue;
                }
                let close = format!("\"{}", "#".repeat(hashes));
                let end = text[open + 1..]
                    .find(&close)
                    .map_or(bytes.len(), |end| open + 1 + end);
                literals.push((open + 1, end));
                at = end + close.len();
            }
            b'"' => {
                let mut end = at + 1;
                while end < bytes.len() && bytes[end] != b'"' {
                    end += if bytes[end] == b'\\' { 2 } else { 1 };
                }
                literals.push((at + 1, end.min(bytes.len())));
                at = end + 1;
            }
            b'\'' => {
                // A character literal ('"', '\'', '\u{..}'), or a lifetime.
                let rest = &text[at + 1..];
                // The length of what stands between the quotes.
                let char_end = if let Some(escaped) = rest.strip_prefix('\\') {
                    escaped
                        .get(1..)
                        .and_then(|r| r.find('\''))
                        .map(|end| end + 2)
                } else {
                    rest.chars()
                        .next()
                        .filter(|c| rest[c.len_utf8()..].starts_with('\''))
                        .map(char::len_utf8)
                };
                at += char_end.map_or(1, |end| end + 2);
            }
            _ => at += 1,
        }
    }
    literals
}

/// Whether the byte before `at` continues an identifier (`for` is not a
/// raw string's `r`).
fn joined(bytes: &[u8], at: usize) -> bool {
    at > 0 && (bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_')
}

/// Words after which SQL names a table.
const KEYWORDS: [&str; 7] = [
    "from",
    "into",
    "update",
    "join",
    "table",
    "on",
    "references",
];

/// Words that may stand between such a keyword and the table.
const BETWEEN: [&str; 5] = ["only", "if", "not", "exists", "public"];

/// Each table of `tables` that SQL in a string literal of `text` names,
/// with the line it is named on.
pub fn tables_named(text: &str, tables: &BTreeSet<String>) -> Vec<(usize, String)> {
    let mut named = Vec::new();
    for (start, end) in string_literals(text) {
        let words = words(&text[start..end]);
        for (i, (word, _)) in words.iter().enumerate() {
            if !KEYWORDS.iter().any(|k| word.eq_ignore_ascii_case(k)) {
                continue;
            }
            let next = words[i + 1..]
                .iter()
                .find(|(w, _)| !BETWEEN.iter().any(|b| w.eq_ignore_ascii_case(b)));
            if let Some((table, offset)) = next {
                let table = table.to_ascii_lowercase();
                if tables.contains(&table) {
                    let line = text[..start + offset].matches('\n').count() + 1;
                    named.push((line, table));
                }
            }
        }
    }
    named
}
