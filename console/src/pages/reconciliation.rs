//! `GET /reconciliation`: the reconciliation job's open mismatches, each
//! with its saga (linked, with the saga's status) and the provider object
//! behind it, the holds it released, and its last runs.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use chrono::{Duration, Utc};

use autobook_reconcile::history;

use crate::auth::Person;
use crate::extract::QueryOf;
use crate::page::{Chrome, PageError, maybe_time, minor_amount, render, time};
use crate::pages::Done;
use crate::state::Shared;

/// Findings listed at most.
const SHOWN: i64 = 200;

pub struct FindingRow {
    pub class: String,
    pub subject: String,
    pub provider: &'static str,
    pub saga: String,
    pub amount: String,
    pub action: String,
    pub first_seen: String,
    pub last_seen: String,
    pub detail: String,
}

pub struct RunRow {
    pub finished: String,
    pub instance: String,
    pub outcome: String,
    pub findings: i32,
    pub released: i32,
    pub incomplete: String,
}

pub struct ReleaseView {
    pub intent: String,
    pub saga: String,
    pub amount: String,
    pub released: String,
    pub by: String,
}

#[derive(Template)]
#[template(path = "reconciliation.html")]
struct ReconciliationPage {
    chrome: Chrome,
    findings: Vec<FindingRow>,
    runs: Vec<RunRow>,
    releases: Vec<ReleaseView>,
}

/// Which provider an object id belongs to, from its prefix.
pub fn provider_of(subject: &str) -> &'static str {
    if subject.starts_with("pi_") || subject.starts_with("re_") || subject.starts_with("ch_") {
        "Stripe"
    } else if subject.starts_with("ord_") {
        "Duffel"
    } else {
        "–"
    }
}

/// `GET /reconciliation`.
pub async fn page(
    State(console): State<Shared>,
    person: Person,
    QueryOf(params): QueryOf<Done>,
) -> Result<Response, PageError> {
    let chrome = Chrome::new(&console, &person, "reconciliation", params.done).await?;
    let pool = &console.pool;
    let findings = history::open_findings(pool, SHOWN).await?;
    let runs = history::last_runs(pool, 10).await?;
    let releases = history::releases_since(pool, Utc::now() - Duration::days(7), SHOWN).await?;
    render(&ReconciliationPage {
        chrome,
        findings: findings
            .iter()
            .map(|f| FindingRow {
                class: f.class.clone(),
                provider: provider_of(&f.subject),
                subject: f.subject.clone(),
                saga: f.saga_id.map(|s| s.to_string()).unwrap_or_default(),
                amount: minor_amount(f.amount_minor, f.currency.as_deref()),
                action: f.action.clone(),
                first_seen: time(f.first_seen),
                last_seen: time(f.last_seen),
                detail: f.detail.clone(),
            })
            .collect(),
        runs: runs
            .iter()
            .map(|r| RunRow {
                finished: time(r.finished_at),
                instance: r.instance.clone(),
                outcome: r.outcome.clone(),
                findings: r.findings,
                released: r.released,
                incomplete: r.incomplete.join(", "),
            })
            .collect(),
        releases: releases
            .iter()
            .map(|r| ReleaseView {
                intent: r.payment_intent_id.clone(),
                saga: r.saga_id.map(|s| s.to_string()).unwrap_or_default(),
                amount: minor_amount(Some(r.amount_minor), Some(&r.currency)),
                released: r.released_at.map_or_else(
                    || "asked, not confirmed".to_owned(),
                    |at| maybe_time(Some(at)),
                ),
                by: r.released_by.clone(),
            })
            .collect(),
    })
}
