//! What `docs_match_code` reads: the pages, the source trees, the binary's
//! clap command tree; how it finds variables in text, and writes the
//! commands page. Written commands are checked in [`written`], links in
//! [`links`].

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use clap::{ArgAction, Command, CommandFactory};

use autobook::cli::Cli;

pub mod links;
pub mod written;

/// Everything after this line of `docs/commands.md` is written by the test.
pub const MARKER: &str = "<!-- Everything below is written from the binary's command tree by \
                          autobook/tests/docs_match_code.rs; do not edit it by hand. -->";

/// The crates whose `src/` trees are the code: the workspace's members
/// (read from the root `Cargo.toml`, so a new crate is checked too) but the
/// `tests/` package, which is test code only.
fn crates() -> Vec<String> {
    let manifest = read("Cargo.toml");
    let members = manifest
        .lines()
        .find(|line| line.trim_start().starts_with("members"))
        .expect("the workspace's members");
    let crates: Vec<String> = members
        .split('"')
        .skip(1)
        .step_by(2)
        .filter(|name| *name != "tests")
        .map(str::to_owned)
        .collect();
    assert!(crates.len() > 5, "the workspace's members: {crates:?}");
    crates
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub fn read(path: &str) -> String {
    let path = repo_root().join(path);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"))
}

/// The README and every page of `docs/`, by name.
pub fn pages() -> Vec<(String, String)> {
    let mut names = vec!["README.md".to_owned()];
    let mut docs: Vec<String> = std::fs::read_dir(repo_root().join("docs"))
        .unwrap_or_else(|e| panic!("docs/: {e}"))
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".md"))
        .map(|name| format!("docs/{name}"))
        .collect();
    docs.sort();
    names.extend(docs);
    names
        .into_iter()
        .map(|name| {
            let text = read(&name);
            (name, text)
        })
        .collect()
}

/// Every `AUTOBOOK_…` name in `text`, whole (`AUTOBOOK_PREFETCH` is not
/// in `AUTOBOOK_PREFETCH_MAX`). A name ending in `_` is a family
/// (`AUTOBOOK_BROKER_PASSWORD_<ROLE>`, `"AUTOBOOK_BROKER_PASSWORD_{}"`).
pub fn documented_variables(text: &str) -> BTreeSet<String> {
    const PREFIX: &str = "AUTOBOOK_";
    let bytes = text.as_bytes();
    let mut names = BTreeSet::new();
    let mut from = 0;
    while let Some(found) = text[from..].find(PREFIX) {
        let start = from + found;
        let mut end = start + PREFIX.len();
        while end < bytes.len()
            && (bytes[end].is_ascii_uppercase()
                || bytes[end].is_ascii_digit()
                || bytes[end] == b'_')
        {
            end += 1;
        }
        let joined =
            start > 0 && (bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_');
        if !joined && end > start + PREFIX.len() {
            names.insert(text[start..end].to_owned());
        }
        from = end;
    }
    names
}

/// Whether `name` is in `text`, itself or as a member of a family there.
/// A variable not of autobook's own (`DATABASE_URL`) must be in code quotes.
pub fn configured(name: &str, text: &str) -> bool {
    if !name.starts_with("AUTOBOOK_") {
        return text.contains(&format!("`{name}`"));
    }
    let names = documented_variables(text);
    names.contains(name)
        || names
            .iter()
            .any(|family| family.ends_with('_') && name.starts_with(family.as_str()))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(|entry| entry.ok()) {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

/// Every variable the non-test code names: each crate's `src/` without
/// its `tests` modules (`tests.rs`, `tests/` directories, and what follows
/// `#[cfg(test)]` in a file).
pub fn variables_in_code() -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for krate in crates() {
        let mut files = Vec::new();
        rust_files(&repo_root().join(krate).join("src"), &mut files);
        for file in files {
            let is_test = file.components().any(|c| c.as_os_str() == "tests")
                || file.file_name().is_some_and(|name| name == "tests.rs");
            if is_test {
                continue;
            }
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            names.extend(documented_variables(&without_tests(&text)));
        }
    }
    names
}

/// `text` without its test modules: `#[cfg(test)] mod x;` lines are
/// dropped (the module's file is skipped as a test file), and an inline
/// `#[cfg(test)] mod x { … }`, which closes a file, ends it.
pub fn without_tests(text: &str) -> String {
    let mut code = String::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.trim() != "#[cfg(test)]" {
            code.push_str(line);
            code.push('\n');
            continue;
        }
        match lines.next() {
            Some(item) if item.trim_end().ends_with(';') => {}
            _ => break,
        }
    }
    code
}

/// All source text a documented variable may be read in: every Rust file
/// of the workspace (tests included: some switches are theirs) and the
/// scripts of `infra/` and `.ci/`.
pub fn variables_in_sources() -> String {
    let root = repo_root();
    let mut files = Vec::new();
    for dir in crates().into_iter().chain(["tests".to_owned()]) {
        rust_files(&root.join(dir), &mut files);
    }
    for dir in ["infra", ".ci"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        files.extend(
            entries
                .filter_map(|entry| entry.ok())
                .map(|entry| entry.path())
                .filter(|path| path.is_file()),
        );
    }
    files
        .iter()
        .map(|file| std::fs::read_to_string(file).unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The binary's command tree, with global flags propagated.
pub fn command_tree() -> Command {
    let mut command = Cli::command();
    command.build();
    command
}

fn is_builtin(arg: &clap::Arg) -> bool {
    matches!(
        arg.get_action(),
        ArgAction::Help | ArgAction::HelpShort | ArgAction::HelpLong | ArgAction::Version
    )
}

/// A command, its path, and the ids of the global flags it inherits.
struct Node {
    path: Vec<String>,
    command: Command,
    inherited: BTreeSet<String>,
}

/// Each command with its path, depth first, without clap's `help`.
fn commands(
    command: &Command,
    path: Vec<String>,
    inherited: BTreeSet<String>,
    out: &mut Vec<Node>,
) {
    // After `build`, a command holds its ancestors' global flags too.
    let globals: BTreeSet<String> = command
        .get_arguments()
        .filter(|arg| arg.is_global_set())
        .map(|arg| arg.get_id().to_string())
        .collect();
    out.push(Node {
        path: path.clone(),
        command: command.clone(),
        inherited,
    });
    for sub in command
        .get_subcommands()
        .filter(|sub| sub.get_name() != "help")
    {
        let mut path = path.clone();
        path.push(sub.get_name().to_owned());
        commands(sub, path, globals.clone(), out);
    }
}

fn all_commands() -> Vec<Node> {
    let mut out = Vec::new();
    commands(
        &command_tree(),
        vec!["autobook".to_owned()],
        BTreeSet::new(),
        &mut out,
    );
    out
}

/// The arguments a command's section lists: its own, with the global ones
/// it defines but not those it inherits; never clap's `--help` and
/// `--version`.
fn own_arguments(node: &Node) -> Vec<&clap::Arg> {
    node.command
        .get_arguments()
        .filter(|arg| !is_builtin(arg) && !node.inherited.contains(arg.get_id().as_str()))
        .collect()
}

/// Every variable a flag of the binary reads.
pub fn flag_variables() -> BTreeSet<String> {
    all_commands()
        .iter()
        .flat_map(|node| {
            node.command
                .get_arguments()
                .filter_map(|arg| arg.get_env().map(|env| env.to_string_lossy().into_owned()))
                .collect::<Vec<_>>()
        })
        .collect()
}

fn cell(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
}

fn heading(path: &[String]) -> String {
    format!("## `{}`", path.join(" "))
}

fn argument_row(arg: &clap::Arg) -> String {
    let names = arg
        .get_value_names()
        .map(|names| {
            names
                .iter()
                .map(|n| format!("<{n}>"))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|| format!("<{}>", arg.get_id().as_str().to_uppercase()));
    let takes_value = !matches!(
        arg.get_action(),
        ArgAction::SetTrue | ArgAction::SetFalse | ArgAction::Count
    );
    let name = match arg.get_long() {
        Some(long) if takes_value => format!("`--{long} {names}`"),
        Some(long) => format!("`--{long}`"),
        None => format!("`{names}`"),
    };
    let env = arg
        .get_env()
        .map(|env| format!("`{}`", env.to_string_lossy()))
        .unwrap_or_default();
    let defaults: Vec<String> = arg
        .get_default_values()
        .iter()
        .map(|value| value.to_string_lossy().into_owned())
        .collect();
    let default = if arg.is_hide_default_value_set() && !defaults.is_empty() {
        "(not shown)".to_owned()
    } else if defaults.is_empty() || !takes_value {
        String::new()
    } else {
        format!("`{}`", defaults.join(","))
    };
    let mut meaning = arg
        .get_long_help()
        .or(arg.get_help())
        .map(|help| help.to_string())
        .unwrap_or_default();
    let values: Vec<String> = arg
        .get_possible_values()
        .iter()
        .filter(|value| !value.is_hide_set())
        .map(|value| format!("`{}`", value.get_name()))
        .collect();
    let sentence = |meaning: String| match meaning.trim_end() {
        "" => String::new(),
        text if text.ends_with(['.', ')']) => format!("{text} "),
        text => format!("{text}. "),
    };
    if takes_value && !values.is_empty() {
        meaning = format!("{}One of {}.", sentence(meaning), values.join(", "));
    }
    if arg.is_hide_set() {
        meaning = format!("{}Hidden from `--help`.", sentence(meaning));
    }
    format!("| {name} | {env} | {default} | {} |", cell(&meaning))
}

/// The reference part of `docs/commands.md`, as the command tree says.
pub fn commands_page() -> String {
    let mut out = String::new();
    for node in all_commands() {
        let command = &node.command;
        out.push('\n');
        out.push_str(&heading(&node.path));
        out.push_str("\n\n");
        if let Some(about) = command.get_long_about().or(command.get_about()) {
            out.push_str(&about.to_string());
            out.push_str("\n\n");
        }
        let subs: Vec<&Command> = command
            .get_subcommands()
            .filter(|sub| sub.get_name() != "help")
            .collect();
        if !subs.is_empty() {
            out.push_str("Commands: ");
            let names: Vec<String> = subs
                .iter()
                .map(|sub| format!("`{}`", sub.get_name()))
                .collect();
            out.push_str(&names.join(", "));
            out.push_str(".\n\n");
        }
        let arguments = own_arguments(&node);
        if !arguments.is_empty() {
            out.push_str(
                "| flag or argument | environment | default | meaning |\n|---|---|---|---|\n",
            );
            for arg in arguments {
                out.push_str(&argument_row(arg));
                out.push('\n');
            }
        }
    }
    out
}

/// Command paths and long flags of the tree that `page` lacks: each path
/// needs its heading, each flag its row in that section.
pub fn missing_from_commands_page(page: &str) -> Vec<String> {
    let mut missing = Vec::new();
    for node in all_commands() {
        let path = &node.path;
        let heading = heading(path);
        let Some(start) = page.lines().position(|line| line == heading) else {
            missing.push(path.join(" "));
            continue;
        };
        let section: Vec<&str> = page
            .lines()
            .skip(start + 1)
            .take_while(|line| !line.starts_with("## "))
            .collect();
        for arg in own_arguments(&node) {
            let Some(long) = arg.get_long() else { continue };
            let row = section.iter().any(|line| {
                line.starts_with(&format!("| `--{long}`"))
                    || line.starts_with(&format!("| `--{long} "))
            });
            if !row {
                missing.push(format!("{} --{long}", path.join(" ")));
            }
        }
    }
    missing
}
