//! The README and `docs/` against the code, both ways:
//!
//! - every `AUTOBOOK_…` environment variable the non-test source reads is
//!   in `docs/configuration.md` (with every variable a flag of the binary
//!   reads), and every one named in the README or `docs/` exists in the code;
//! - `docs/commands.md` is the binary's clap command tree: every command
//!   path and long flag, written out by this test (regenerate with
//!   `AUTOBOOK_UPDATE_DOCS=1 cargo test -p autobook --test docs_match_code`);
//! - every `autobook <command> --flag` written in the README or `docs/`
//!   names a command and flags that exist.
//!
//! It also checks the links between the pages: each names a file that
//! exists and, with an anchor, a heading of that page.

mod docs_check;

use std::collections::BTreeSet;

use docs_check::written::{Finding, written_commands};
use docs_check::{
    commands_page, configured, documented_variables, pages, read, repo_root, variables_in_code,
    variables_in_sources,
};

#[test]
fn every_variable_the_code_reads_is_in_the_configuration_page() {
    let page = read("docs/configuration.md");
    let missing: Vec<String> = variables_in_code()
        .into_iter()
        .chain(docs_check::flag_variables())
        .filter(|name| !configured(name, &page))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    assert!(
        missing.is_empty(),
        "read by the code but not in docs/configuration.md: {missing:?}"
    );
}

#[test]
fn every_documented_variable_exists() {
    let known = variables_in_sources();
    let unknown: Vec<String> = pages()
        .iter()
        .flat_map(|(page, text)| {
            documented_variables(text)
                .into_iter()
                .filter(|name| !configured(name, &known))
                .map(move |name| format!("{page}: {name}"))
        })
        .collect();
    assert!(
        unknown.is_empty(),
        "documented but read nowhere in the code: {unknown:?}"
    );
}

#[test]
fn the_commands_page_is_the_command_tree() {
    let path = repo_root().join("docs/commands.md");
    let page = read("docs/commands.md");
    let (intro, written) = page
        .split_once(docs_check::MARKER)
        .unwrap_or_else(|| panic!("docs/commands.md lost its marker: {}", docs_check::MARKER));
    let expected = commands_page();
    if std::env::var_os("AUTOBOOK_UPDATE_DOCS").is_some() {
        let text = format!("{intro}{}\n{expected}", docs_check::MARKER);
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{path:?}: {e}"));
        return;
    }
    let missing = docs_check::missing_from_commands_page(written);
    assert!(
        missing.is_empty(),
        "commands or flags missing from docs/commands.md: {missing:?}"
    );
    assert!(
        written.strip_prefix('\n') == Some(expected.as_str()),
        "docs/commands.md differs from the command tree; regenerate with \
         AUTOBOOK_UPDATE_DOCS=1 cargo test -p autobook --test docs_match_code"
    );
}

#[test]
fn every_written_command_exists() {
    let findings: Vec<String> = pages()
        .iter()
        .flat_map(|(page, text)| {
            written_commands(text)
                .into_iter()
                .map(move |finding| format!("{page}: {finding}"))
        })
        .collect();
    assert!(
        findings.is_empty(),
        "commands written in the docs that the binary does not have: {findings:?}"
    );
}

#[test]
fn every_link_between_the_pages_leads_somewhere() {
    let broken: Vec<String> = pages()
        .iter()
        .flat_map(|(page, text)| docs_check::links::broken(page, text))
        .collect();
    assert!(broken.is_empty(), "broken links: {broken:?}");
}

#[test]
fn the_checks_find_what_does_not_exist() {
    // Made up here, so that no source file names it.
    let made_up = ["AUTOBOOK", "NO_SUCH_SETTING"].join("_");
    let text = format!(
        "Set `{made_up}=1`, run `autobook demo --trips 5 --no-such-flag`,\n\
         ```sh\nautobook ops saga frobnicate 01937a2e\nautobook orchestrator --prefetch 8\n```\n"
    );
    assert!(documented_variables(&text).contains(&made_up));
    assert!(!configured(&made_up, &variables_in_sources()));
    assert_eq!(
        written_commands(&text),
        vec![
            Finding::UnknownFlag {
                command: "autobook demo".into(),
                flag: "--no-such-flag".into()
            },
            Finding::UnknownCommand {
                command: "autobook ops saga".into(),
                word: "frobnicate".into()
            },
        ]
    );
    assert!(configured(
        "AUTOBOOK_BROKER_PASSWORD_OPS",
        "AUTOBOOK_BROKER_PASSWORD_<ROLE>"
    ));
    assert!(!configured("AUTOBOOK_PREFETCH_MAX", "AUTOBOOK_PREFETCH"));
    let in_a_test = ["AUTOBOOK", "READ_BY_A_TEST"].join("_");
    let source = format!(
        "let a = 1;\n#[cfg(test)]\nmod tests;\nlet b = \"{made_up}\";\n\
         #[cfg(test)]\nmod more {{\n    let c = \"{in_a_test}\";\n}}\n"
    );
    let code = documented_variables(&docs_check::without_tests(&source));
    assert!(code.contains(&made_up) && !code.contains(&in_a_test));
    assert_eq!(
        docs_check::links::broken(
            "docs/README.md",
            "[a](saga.md#the-saga) [b](nowhere.md) [c](saga.md#no-such-heading) [d](../README.md)"
        ),
        vec![
            "docs/README.md: nowhere.md (no such file)".to_owned(),
            "docs/README.md: saga.md#no-such-heading (no such heading)".to_owned(),
        ]
    );
    assert_eq!(
        docs_check::links::anchor("Personal data at rest"),
        "personal-data-at-rest"
    );
    assert_eq!(
        docs_check::links::anchor("Travellers' data: export, erasure, retention"),
        "travellers-data-export-erasure-retention"
    );
    let without_flag = commands_page().replace("| `--prefetch ", "| `--prefech ");
    assert!(
        docs_check::missing_from_commands_page(&without_flag)
            .iter()
            .any(|missing| missing.ends_with("--prefetch"))
    );
}
