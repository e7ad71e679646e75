//! Each table is named in SQL only by the crate that owns it, without
//! exception: every other crate, the test crates included, calls the
//! owner's typed functions (the test crates through the owners' `testing`
//! feature). The tables are those `migrations/` and the code create (the
//! harness's `bench_floor`; not temporary tables), and each must have an
//! owner below, so a new table forces the decision. Every Rust file of
//! every workspace member is scanned for string literals naming a table
//! after an SQL keyword; only hostile input the tests send, which no crate
//! runs, is let through.

#[path = "table_owners/scan.rs"]
mod scan;

use std::collections::BTreeSet;

/// Each table and the directory of the crate that owns it.
const OWNERS: &[(&str, &str)] = &[
    ("sagas", "orchestrator"),
    ("saga_audit", "orchestrator"),
    ("inbox", "orchestrator"),
    ("outbox", "orchestrator"),
    ("saga_timers", "orchestrator"),
    ("saga_commands", "orchestrator"),
    ("dead_letters", "orchestrator"),
    ("passengers", "orchestrator"),
    ("offers", "orchestrator"),
    ("bookings", "orchestrator"),
    ("erasures", "orchestrator"),
    ("provider_calls", "workers"),
    ("feature_flags", "flags"),
    ("feature_flag_user_overrides", "flags"),
    ("feature_flag_audit", "flags"),
    ("feature_flag_version", "flags"),
    ("reconciliation_runs", "reconcile"),
    ("reconciliation_findings", "reconcile"),
    ("reconciliation_releases", "reconcile"),
    ("reconciliation_fence", "reconcile"),
    ("trip_submissions", "orchestrator"),
    ("stripe_webhook_events", "gateway"),
    ("bench_floor", "harness"),
    ("console_actions", "console"),
];

/// Strings naming a table in SQL that no crate runs: hostile input the
/// tests send to the system, which must come back refused or be kept as
/// harmless text. (file, table)
const HOSTILE_INPUT: &[(&str, &str)] = &[
    ("contracts/src/personal.rs", "sagas"),
    ("gateway/src/trip_body/tests.rs", "sagas"),
    ("tests/harness/hostile_stream/payloads.rs", "sagas"),
    ("tests/harness/hostile_stream/payloads.rs", "dead_letters"),
    ("tests/harness/hostile_stream/generator.rs", "inbox"),
    ("tests/suites/gateway_hostile.rs", "sagas"),
    ("tests/suites/gateway_hostile.rs", "trip_submissions"),
];

fn owner(table: &str) -> Option<&'static str> {
    OWNERS
        .iter()
        .find(|(name, _)| *name == table)
        .map(|(_, owner)| *owner)
}

/// Every table: owned, or created without an owner yet.
fn tables() -> BTreeSet<String> {
    OWNERS
        .iter()
        .map(|(table, _)| (*table).to_owned())
        .chain(scan::migrated_tables())
        .chain(scan::tables_created_in_code())
        .collect()
}

#[test]
fn every_table_has_an_owner_that_is_a_workspace_member() {
    let members = scan::members();
    let created = scan::migrated_tables();
    assert!(
        created.contains("sagas"),
        "the migrations create the sagas: {created:?}"
    );
    let unowned: Vec<String> = created
        .into_iter()
        .chain(scan::tables_created_in_code())
        .filter(|table| owner(table).is_none())
        .collect();
    assert!(
        unowned.is_empty(),
        "tables created in migrations/ or the code with no owner in \
         autobook/tests/table_owners.rs: {unowned:?}"
    );
    for (table, owner) in OWNERS {
        assert!(
            members.iter().any(|m| m == owner),
            "{table}'s owner {owner} is not a workspace member"
        );
    }
}

#[test]
fn no_crate_but_its_owner_names_a_table_in_sql() {
    let tables = tables();
    let mut strays = Vec::new();
    let allowed: BTreeSet<(&'static str, &'static str)> = HOSTILE_INPUT.iter().copied().collect();
    let mut allowed_seen = BTreeSet::new();
    for member in scan::members() {
        for (path, text) in scan::rust_files(&member) {
            for (line, table) in scan::tables_named(&text, &tables) {
                if owner(&table) == Some(member.as_str()) {
                    continue;
                }
                let listed = allowed
                    .iter()
                    .find(|(file, named)| *file == path && *named == table);
                if let Some(&listed) = listed {
                    allowed_seen.insert(listed);
                    continue;
                }
                strays.push(format!(
                    "{path}:{line} names {table} (owned by {})",
                    owner(&table).unwrap_or("nobody")
                ));
            }
        }
    }
    assert!(
        strays.is_empty(),
        "SQL naming a table outside its owner; call the owner's typed functions \
         (its `testing` feature for tests) instead:\n{}",
        strays.join("\n")
    );
    let stale: Vec<_> = allowed.difference(&allowed_seen).collect();
    assert!(
        stale.is_empty(),
        "listed in HOSTILE_INPUT but no longer found: {stale:?}"
    );
}

#[test]
fn the_scan_finds_sql_in_every_kind_of_literal_and_nothing_else() {
    let tables: BTreeSet<String> = ["widgets".to_owned()].into();
    let source = [
        "// SELECT * FROM widgets in a comment\n",
        "let lifetime: &'static str = \"select id\\n   from widgets\";\n",
        "let quote = '\"'; let q = '\\''; let raw = r#\"UPDATE \"widgets\" SET x = 1\"#;\n",
        "let other = \"FROM widgets_archive\"; let prose = \"widgets FROM here\";\n",
        "let continued = \"DELETE FROM \\\n    widgets\"; /* INTO widgets */\n",
        "let trigger = \"AFTER INSERT ON widgets\"; let bytes = b\"INSERT INTO widgets\";\n",
    ]
    .concat();
    let named: Vec<usize> = scan::tables_named(&source, &tables)
        .into_iter()
        .map(|(line, _)| line)
        .collect();
    assert_eq!(named, vec![2, 3, 6, 7, 7], "{source}");
}
