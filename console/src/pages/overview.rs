//! `GET /`: the funnel (open sagas by status, finished ones of the last
//! hour), throughput and latency of the last hour, dead letters, outbox
//! lag, reconciliation mismatches and the kill switch.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use chrono::{Duration, Utc};

use autobook_orchestrator::admin::overview;
use autobook_reconcile::history;

use crate::auth::Person;
use crate::extract::QueryOf;
use crate::page::{Chrome, PageError, duration_ms, maybe_time, render};
use crate::pages::Done;
use crate::state::Shared;

/// A figure on a card.
pub struct Card {
    pub label: String,
    pub value: String,
    /// "", "ok", "warn" or "bad".
    pub tone: &'static str,
    pub link: Option<String>,
}

fn card(label: &str, value: impl ToString, tone: &'static str, link: Option<String>) -> Card {
    Card {
        label: label.to_owned(),
        value: value.to_string(),
        tone,
        link,
    }
}

fn sagas_in(status: &str) -> Option<String> {
    Some(format!("/sagas?status={status}"))
}

/// One bucket of the completions chart.
pub struct Bucket {
    pub label: String,
    pub count: i64,
    pub width: i64,
}

#[derive(Template)]
#[template(path = "overview.html")]
struct OverviewPage {
    chrome: Chrome,
    funnel: Vec<Card>,
    open: Vec<Card>,
    health: Vec<Card>,
    buckets: Vec<Bucket>,
    throughput: String,
    latency: String,
    kill_switch_on: bool,
    money_may_move: bool,
    last_run: String,
}

/// `GET /`.
pub async fn page(
    State(console): State<Shared>,
    person: Person,
    QueryOf(params): QueryOf<Done>,
) -> Result<Response, PageError> {
    let chrome = Chrome::new(&console, &person, "overview", params.done).await?;
    let now = Utc::now();
    let window = Duration::hours(1);
    let figures = overview::overview(&console.pool, now, window).await?;
    let flags = autobook_ops::flags::get(&console.pool, None).await?;
    let kill_switch_on = flags.values.as_ref().is_some_and(|v| v.kill_switch.enabled);
    let findings: i64 = history::open_counts(&console.pool).await?.values().sum();
    let last_run = history::last_runs(&console.pool, 1)
        .await?
        .into_iter()
        .next();

    let finished = |status: &str| figures.finished.get(status).copied().unwrap_or(0);
    let open = |status: &str| figures.open.get(status).copied().unwrap_or(0);
    let funnel = vec![
        card(
            "started in the last hour",
            figures.started,
            "",
            Some("/sagas".into()),
        ),
        card(
            "booked in the last hour",
            finished("booked"),
            "ok",
            sagas_in("booked"),
        ),
        card(
            "failed in the last hour",
            finished("failed"),
            if finished("failed") > 0 { "warn" } else { "" },
            sagas_in("failed"),
        ),
        card(
            "cancelled in the last hour",
            finished("cancelled"),
            "",
            sagas_in("cancelled"),
        ),
        card("watching now", open("watching"), "", sagas_in("watching")),
        card(
            "paused now",
            open("paused"),
            if open("paused") > 0 { "warn" } else { "" },
            sagas_in("paused"),
        ),
        card(
            "stuck now",
            figures.stuck,
            if figures.stuck > 0 { "bad" } else { "" },
            Some("/stuck".into()),
        ),
    ];
    let open_cards = figures
        .open
        .iter()
        .filter(|(status, _)| !matches!(status.as_str(), "watching" | "paused"))
        .map(|(status, n)| card(&status.replace('_', " "), n, "", sagas_in(status)))
        .collect();
    let health = vec![
        card(
            "dead letters waiting",
            figures.dead_letters,
            if figures.dead_letters > 0 {
                "bad"
            } else {
                "ok"
            },
            Some("/dead-letters".into()),
        ),
        card("outbox backlog", figures.outbox_backlog, "", None),
        card(
            "oldest unpublished",
            format!("{:.1} s", figures.outbox_oldest_secs),
            if figures.outbox_oldest_secs > 30.0 {
                "bad"
            } else {
                ""
            },
            None,
        ),
        card(
            "reconciliation mismatches",
            findings,
            if findings > 0 { "bad" } else { "ok" },
            Some("/reconciliation".into()),
        ),
    ];
    let most = figures
        .completions
        .iter()
        .copied()
        .max()
        .unwrap_or(0)
        .max(1);
    let bucket_minutes = window.num_minutes() / overview::BUCKETS;
    let buckets = figures
        .completions
        .iter()
        .enumerate()
        .map(|(i, count)| {
            let start = now - window + Duration::minutes(bucket_minutes * i as i64);
            Bucket {
                label: start.format("%H:%M").to_string(),
                count: *count,
                width: count * 300 / most,
            }
        })
        .collect();
    let latency = match (figures.latency_p50_ms, figures.latency_p99_ms) {
        (Some(p50), Some(p99)) => format!("p50 {} · p99 {}", duration_ms(p50), duration_ms(p99)),
        _ => "no saga finished in the last hour".to_owned(),
    };
    render(&OverviewPage {
        chrome,
        funnel,
        open: open_cards,
        health,
        buckets,
        throughput: format!("{:.2} sagas/s", figures.throughput()),
        latency,
        kill_switch_on,
        money_may_move: flags.money_may_move,
        last_run: match last_run {
            Some(run) => format!(
                "{}: {} ({} finding(s), {} released)",
                maybe_time(Some(run.finished_at)),
                run.outcome,
                run.findings,
                run.released
            ),
            None => "no run recorded yet".to_owned(),
        },
    })
}
