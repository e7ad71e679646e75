//! Links between the pages: a relative link names a file that exists, and
//! its `#anchor` a heading of that page (GitHub's anchors: lowercase,
//! punctuation dropped, spaces as hyphens, repeats numbered).

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

use super::repo_root;

/// The anchor GitHub gives a heading.
pub fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The anchors of a page's headings (outside code blocks).
pub fn anchors(text: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        let hashes = line.chars().take_while(|c| *c == '#').count();
        if fenced || !(1..=6).contains(&hashes) || !line[hashes..].starts_with(' ') {
            continue;
        }
        let base = anchor(&line[hashes..]);
        let mut name = base.clone();
        let mut n = 0;
        while seen.contains(&name) {
            n += 1;
            name = format!("{base}-{n}");
        }
        seen.insert(name);
    }
    seen
}

/// The targets of the Markdown links in `text`: `[...](target)`.
fn targets(text: &str) -> Vec<&str> {
    text.match_indices("](")
        .filter_map(|(at, _)| {
            let rest = &text[at + 2..];
            rest.find(')').map(|end| &rest[..end])
        })
        .filter(|target| !target.contains(char::is_whitespace))
        .collect()
}

fn normal(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// Each link of `page` (a path from the repository's root) whose file or
/// heading does not exist.
pub fn broken(page: &str, text: &str) -> Vec<String> {
    let root = repo_root();
    let here = Path::new(page).parent().unwrap_or(Path::new(""));
    let mut broken = Vec::new();
    for target in targets(text) {
        if target.contains("://") || target.starts_with("mailto:") {
            continue;
        }
        let (path, fragment) = target.split_once('#').unwrap_or((target, ""));
        let file = if path.is_empty() {
            PathBuf::from(page)
        } else {
            normal(&here.join(path))
        };
        let full = root.join(&file);
        if !full.exists() {
            broken.push(format!("{page}: {target} (no such file)"));
            continue;
        }
        let is_page = file.extension().is_some_and(|ext| ext == "md");
        if fragment.is_empty() || !is_page {
            continue;
        }
        let text = std::fs::read_to_string(&full).unwrap_or_default();
        if !anchors(&text).contains(fragment) {
            broken.push(format!("{page}: {target} (no such heading)"));
        }
    }
    broken
}
