//! Commands written in the pages' code: each `autobook …` invocation must
//! name commands and flags the binary has.

use std::fmt;

use clap::Command;

use super::command_tree;

/// A command written in the docs that the binary does not have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    UnknownCommand { command: String, word: String },
    UnknownFlag { command: String, flag: String },
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Finding::UnknownCommand { command, word } => {
                write!(f, "`{command}` has no command `{word}`")
            }
            Finding::UnknownFlag { command, flag } => write!(f, "`{command}` has no flag `{flag}`"),
        }
    }
}

/// The code in `text`: each line of a fenced block (without its `#`
/// comment), and each inline span of a paragraph (spans may wrap).
fn code_fragments(text: &str) -> Vec<String> {
    let mut fragments = Vec::new();
    let mut fenced = false;
    let mut paragraph = String::new();
    let flush = |paragraph: &mut String, fragments: &mut Vec<String>| {
        fragments.extend(paragraph.split('`').skip(1).step_by(2).map(str::to_owned));
        paragraph.clear();
    };
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            flush(&mut paragraph, &mut fragments);
            fenced = !fenced;
        } else if fenced {
            fragments.push(line.split(" #").next().unwrap_or_default().to_owned());
        } else if line.trim().is_empty() {
            flush(&mut paragraph, &mut fragments);
        } else {
            paragraph.push_str(line);
            paragraph.push(' ');
        }
    }
    flush(&mut paragraph, &mut fragments);
    fragments
}

/// Each `autobook …` invocation in `fragment`, up to the next one or a
/// `&&`/`;` (`cargo run -p autobook -- x` counts as `autobook x`).
fn invocations(fragment: &str) -> Vec<String> {
    let fragment = fragment.replace("-p autobook -- ", "autobook ");
    let mut starts = Vec::new();
    for (at, _) in fragment.match_indices("autobook ") {
        let before = fragment[..at].chars().next_back();
        let joined = before.is_some_and(|c| c.is_ascii_alphanumeric() || "/-_.:<".contains(c));
        if !joined && !fragment[..at].ends_with("-p ") {
            starts.push(at + "autobook ".len());
        }
    }
    starts
        .iter()
        .map(|&start| {
            let rest = &fragment[start..];
            let end = ["autobook ", "&&", ";"]
                .iter()
                .filter_map(|stop| rest.find(stop))
                .min()
                .unwrap_or(rest.len());
            rest[..end].to_owned()
        })
        .collect()
}

fn check_invocation(words: &str, findings: &mut Vec<Finding>) {
    let root = command_tree();
    let mut command = &root;
    let mut path = vec!["autobook".to_owned()];
    let mut in_arguments = false;
    for token in words.split_whitespace() {
        let token = token.trim_matches(|c: char| "[](){}\"',".contains(c));
        if let Some(flag) = token.strip_prefix("--") {
            let name = flag.split('=').next().unwrap_or_default();
            let known = name.is_empty()
                || command
                    .get_arguments()
                    .any(|arg| arg.get_long() == Some(name));
            if !known {
                findings.push(Finding::UnknownFlag {
                    command: path.join(" "),
                    flag: format!("--{name}"),
                });
            }
            continue;
        }
        if in_arguments || token.starts_with('-') || token.is_empty() {
            continue;
        }
        let alternatives: Vec<&str> = token.split('|').filter(|a| !a.is_empty()).collect();
        let subcommands: Vec<&Command> = alternatives
            .iter()
            .filter_map(|a| command.find_subcommand(a))
            .collect();
        if !alternatives.is_empty() && subcommands.len() == alternatives.len() {
            path.push(subcommands[0].get_name().to_owned());
            command = subcommands[0];
            continue;
        }
        let word = token.starts_with(|c: char| c.is_ascii_lowercase())
            && token.chars().all(|c| c.is_ascii_lowercase() || c == '-');
        let takes_positionals = command.get_positionals().next().is_some();
        if word && command.has_subcommands() && !takes_positionals {
            findings.push(Finding::UnknownCommand {
                command: path.join(" "),
                word: token.to_owned(),
            });
        }
        in_arguments = true;
    }
}

/// Every `autobook …` command in the code of `text` that names a command
/// or flag the binary does not have.
pub fn written_commands(text: &str) -> Vec<Finding> {
    let mut findings = Vec::new();
    for fragment in code_fragments(text) {
        for words in invocations(&fragment) {
            check_invocation(&words, &mut findings);
        }
    }
    findings
}
