//! `autobook ops keys`: the keys travellers' personal data is sealed under.
//!
//! - `status`: per table, how many rows hold values sealed under each key
//!   id, how many still hold plaintext personal data, and how many hold
//!   values sealed without their place (`pii:v1`);
//! - `rotate`: re-seals under the active key (the first of
//!   `AUTOBOOK_DATA_KEYS`), each for its place, every value sealed under
//!   another key or without place, and seals leftover plaintext, across
//!   `sagas`, `passengers`, `outbox`, `dead_letters` and `provider_calls`.
//!   Each owner re-seals its own columns: the orchestrator's
//!   [`admin::keys`](autobook_orchestrator::admin::keys), the workers'
//!   [`admin`](autobook_workers::admin) for provider-call replies.
//!   It opens unplaced values whatever `AUTOBOOK_DATA_UNPLACED` says: it is
//!   what places them.
//!
//! Rotating a key: give every role `AUTOBOOK_DATA_KEYS=new:…,old:…` (they
//! seal under `new`, open both), run `rotate` until it reports nothing
//! left, check `status`, then drop `old`. `rotate` runs beside the live
//! system: each batch is one short transaction, a row that changed
//! meanwhile is skipped and visited again in the next pass, and running it
//! again changes nothing.

use std::fmt::Write as _;

use serde::Serialize;
use sqlx::PgPool;

use autobook_vault::{Keyring, Unplaced};

use super::output::{Render, table};
use autobook_orchestrator::admin::keys::SealedTable;
use autobook_vault::place::tables::PROVIDER_CALLS;
use autobook_workers::admin as ledger;

pub use autobook_vault::rotation::{Census, Pass};

/// Passes over a table while rows keep changing under the rotation.
const MAX_PASSES: u32 = 5;

/// `keys status`.
#[derive(Debug, Clone, Serialize)]
pub struct KeyStatus {
    pub tables: Vec<TableCensus>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TableCensus {
    pub table: &'static str,
    #[serde(flatten)]
    pub census: Census,
}

impl KeyStatus {
    /// Rows of `table` holding values sealed under `kid`.
    pub fn sealed_under(&self, table: &str, kid: &str) -> u64 {
        self.tables
            .iter()
            .find(|t| t.table == table)
            .and_then(|t| t.census.kids.get(kid).copied())
            .unwrap_or(0)
    }

    /// Rows, in every table, holding values sealed under `kid`.
    pub fn total_under(&self, kid: &str) -> u64 {
        self.tables
            .iter()
            .map(|t| self.sealed_under(t.table, kid))
            .sum()
    }

    /// Rows, in every table, holding plaintext personal data.
    pub fn plaintext(&self) -> u64 {
        self.tables.iter().map(|t| t.census.plaintext).sum()
    }

    /// Rows, in every table, holding values sealed without their place.
    pub fn unplaced(&self) -> u64 {
        self.tables.iter().map(|t| t.census.unplaced).sum()
    }
}

impl Render for KeyStatus {
    fn render(&self) -> String {
        let rows: Vec<Vec<String>> = self
            .tables
            .iter()
            .map(|t| {
                let keys = t
                    .census
                    .kids
                    .iter()
                    .map(|(kid, n)| format!("{kid}={n}"))
                    .collect::<Vec<_>>()
                    .join(" ");
                vec![
                    t.table.to_owned(),
                    t.census.rows.to_string(),
                    t.census.plaintext.to_string(),
                    t.census.unplaced.to_string(),
                    if keys.is_empty() { "-".into() } else { keys },
                ]
            })
            .collect();
        table(
            &["TABLE", "ROWS", "PLAINTEXT", "UNPLACED", "ROWS BY KEY ID"],
            &rows,
        )
    }
}

/// Counts, per table, the rows under each key id (no key needed: key ids
/// are read from the sealed values' tags).
pub async fn status(pool: &PgPool, batch: i64) -> anyhow::Result<KeyStatus> {
    let batch = batch.max(1);
    let mut tables = Vec::new();
    for sealed in SealedTable::ALL {
        tables.push(TableCensus {
            table: sealed.name(),
            census: sealed.census(pool, batch).await?,
        });
    }
    tables.push(TableCensus {
        table: PROVIDER_CALLS,
        census: ledger::census_replies(pool, batch).await?,
    });
    Ok(KeyStatus { tables })
}

/// `keys rotate`.
#[derive(Debug, Clone, Serialize)]
pub struct RotationSummary {
    pub active_kid: String,
    pub tables: Vec<TableRotation>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TableRotation {
    pub table: &'static str,
    pub passes: u32,
    /// Over every pass.
    #[serde(flatten)]
    pub total: Pass,
    /// Rows that were still changing after the last pass.
    pub left_changing: u64,
}

impl RotationSummary {
    /// Rows left not under the active key: unreadable, or still changing.
    pub fn left(&self) -> u64 {
        self.tables
            .iter()
            .map(|t| t.total.unreadable + t.left_changing)
            .sum()
    }
}

impl Render for RotationSummary {
    fn render(&self) -> String {
        let rows: Vec<Vec<String>> = self
            .tables
            .iter()
            .map(|t| {
                vec![
                    t.table.to_owned(),
                    t.total.visited.to_string(),
                    t.total.resealed.to_string(),
                    t.left_changing.to_string(),
                    t.total.unreadable.to_string(),
                    t.passes.to_string(),
                ]
            })
            .collect();
        let mut out = format!("re-sealing under key id {}\n", self.active_kid);
        out.push_str(&table(
            &[
                "TABLE",
                "VISITED",
                "RESEALED",
                "STILL CHANGING",
                "UNREADABLE",
                "PASSES",
            ],
            &rows,
        ));
        let left = self.left();
        if left > 0 {
            let _ = writeln!(
                out,
                "{left} row(s) not under {}: run again (changing rows), or add the missing key (unreadable rows)",
                self.active_kid
            );
        }
        out
    }
}

/// Re-seals, table by table, every value not under the active key, in
/// batches of `batch` rows, passing over a table again while rows changed
/// under it (at most a few passes).
pub async fn rotate(pool: &PgPool, vault: &Keyring, batch: i64) -> anyhow::Result<RotationSummary> {
    let batch = batch.max(1);
    // Placing the values sealed without place is part of the work.
    let vault = &vault.clone().with_unplaced(Unplaced::Open);
    let mut tables = Vec::new();
    for sealed in SealedTable::ALL {
        tables.push(repeat(sealed.name(), || sealed.reseal(pool, vault, batch)).await?);
    }
    tables.push(
        repeat(PROVIDER_CALLS, || {
            ledger::reseal_replies(pool, vault, batch)
        })
        .await?,
    );
    Ok(RotationSummary {
        active_kid: vault.active_kid().to_owned(),
        tables,
    })
}

async fn repeat<F, Fut>(table: &'static str, mut pass: F) -> anyhow::Result<TableRotation>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Pass, sqlx::Error>>,
{
    let mut total = Pass::default();
    let mut passes = 0;
    loop {
        let this = pass().await?;
        passes += 1;
        total.visited += this.visited;
        total.resealed += this.resealed;
        total.changed += this.changed;
        // Unreadable rows are the same rows on every pass: the last count.
        total.unreadable = this.unreadable;
        if this.changed == 0 || passes >= MAX_PASSES {
            return Ok(TableRotation {
                table,
                passes,
                total,
                left_changing: this.changed,
            });
        }
    }
}
