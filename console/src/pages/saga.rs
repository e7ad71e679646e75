//! `GET /sagas/{id}`: one saga: its facts and phase, its trip (without
//! personal data), its money next to what the reconciliation job saw at
//! the providers, its timeline from the audit trail, what is in flight
//! (outbox, timers), its provider calls, and the actions an operator may
//! take. `POST .../request` retries, aborts or cancels it (as `autobook
//! ops saga`); `POST .../reveal` shows a supervisor the traveller's
//! personal data, recorded.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use uuid::Uuid;

use autobook_contracts::trip::TripRequest;
use autobook_ops::saga::{self as ops_saga, OperatorAction, RequestResult, SagaReport};
use autobook_orchestrator::money::{self, Standing};
use autobook_orchestrator::store::load_saga;
use autobook_reconcile::history;

use crate::actions::{self, Outcome};
use crate::auth::Person;
use crate::extract::{Fields, Id, QueryOf};
use crate::page::{
    Chrome, PageError, after_action, duration_ms, maybe_time, minor_amount, render, time,
};
use crate::pages::Done;
use crate::pages::{ActionRow, Fact, fact};
use crate::state::Shared;

pub struct Step {
    pub version: i64,
    pub at: String,
    pub message_type: String,
    pub message_id: String,
    pub from: String,
    pub to: String,
    pub effects: Vec<String>,
    pub note: String,
}

pub struct Call {
    pub key: String,
    pub step: String,
    pub outcome: String,
    pub fence: i32,
    pub claimed: String,
    pub latency: String,
}

pub struct FindingView {
    pub class: String,
    pub subject: String,
    pub amount: String,
    pub action: String,
    pub detail: String,
    pub seen: String,
    pub resolved: String,
}

#[derive(Template)]
#[template(path = "saga.html")]
struct SagaPage {
    chrome: Chrome,
    id: String,
    status: String,
    terminal: bool,
    facts: Vec<Fact>,
    trip: Vec<Fact>,
    money: Vec<Fact>,
    findings: Vec<FindingView>,
    releases: Vec<Fact>,
    last_run: String,
    timeline: Vec<Step>,
    in_flight: Vec<Fact>,
    calls: Vec<Call>,
    dead_letters: i64,
    personal: Option<Vec<Fact>>,
    actions: Vec<ActionRow>,
}

fn trip_facts(trip: &TripRequest) -> Vec<Fact> {
    let cabin = serde_json::to_value(trip.cabin_class)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    vec![
        fact(
            "route",
            format!("{} → {}", trip.origin.as_str(), trip.destination.as_str()),
        ),
        fact("departure", trip.departure_date.to_string()),
        fact(
            "return",
            trip.return_date
                .map_or_else(|| "one way".to_owned(), |d| d.to_string()),
        ),
        fact("cabin", cabin),
        fact("passengers", trip.passengers.len().to_string()),
        fact("most the traveller pays", trip.max_price.to_string()),
    ]
}

/// The traveller's personal data, for a supervisor who asked.
fn personal_facts(trip: &TripRequest) -> Vec<Fact> {
    let mut out = vec![fact("contact email", trip.contact_email.expose())];
    for (i, p) in trip.passengers.iter().enumerate() {
        let n = i + 1;
        out.push(fact_owned(
            format!("passenger {n}"),
            format!("{} {}", p.given_name.expose(), p.family_name.expose()),
        ));
        out.push(fact_owned(
            format!("passenger {n} born"),
            p.born_on.to_string(),
        ));
        out.push(fact_owned(
            format!("passenger {n} email"),
            p.email.expose().to_owned(),
        ));
        out.push(fact_owned(
            format!("passenger {n} phone"),
            p.phone_number.expose().to_owned(),
        ));
    }
    out
}

fn fact_owned(name: String, value: String) -> Fact {
    Fact { name, value }
}

/// What the saga's own records say of its money.
fn money_facts(standing: &Standing) -> Vec<Fact> {
    let join = |set: &std::collections::BTreeSet<String>| {
        if set.is_empty() {
            "none".to_owned()
        } else {
            set.iter().cloned().collect::<Vec<_>>().join(", ")
        }
    };
    match standing {
        Standing::Open {
            intents,
            orders,
            pending_keys,
        } => vec![
            fact("standing", "open: a step is in flight or waits"),
            fact("payment intents held or counted on", join(intents)),
            fact("airline orders counted on", join(orders)),
            fact("step keys pending", join(pending_keys)),
        ],
        Standing::Booked {
            payment_intent_id,
            order_id,
            captured,
            order_amount,
        } => vec![
            fact("standing", "booked"),
            fact("captured", format!("{captured} on {payment_intent_id}")),
            fact("order", format!("{order_id} ({order_amount})")),
        ],
        Standing::Failed => vec![fact(
            "standing",
            "failed: nothing may be held, captured or ticketed",
        )],
        Standing::Cancelled {
            charged,
            refunded,
            booking,
        } => vec![
            fact("standing", "cancelled by the traveller"),
            fact(
                "charged",
                charged
                    .as_ref()
                    .map_or_else(|| "nothing".to_owned(), ToString::to_string),
            ),
            fact(
                "refunded",
                refunded
                    .as_ref()
                    .map_or_else(|| "nothing".to_owned(), ToString::to_string),
            ),
            fact(
                "booking",
                booking.as_ref().map_or_else(
                    || "none".to_owned(),
                    |b| format!("{} / {}", b.payment_intent_id, b.order_id),
                ),
            ),
        ],
        Standing::Aborted => vec![fact(
            "standing",
            "aborted by an operator, who settled its money by hand",
        )],
    }
}

async fn saga_page(
    console: &Shared,
    person: &Person,
    id: Uuid,
    done: Option<Uuid>,
    reveal: bool,
) -> Result<Response, PageError> {
    let chrome = Chrome::new(console, person, "sagas", done).await?;
    let pool = &console.pool;
    let Some(report): Option<SagaReport> = ops_saga::show(pool, &console.vault, id).await? else {
        return Err(PageError::not_found("there is no saga with this id"));
    };
    let row = load_saga(pool, &console.vault, id)
        .await
        .map_err(|e| PageError::Internal(format!("reading the saga: {e}")))?
        .ok_or_else(|| PageError::not_found("there is no saga with this id"))?;
    let records = money::records_of(pool, &console.vault, &[id])
        .await
        .map_err(|e| PageError::Internal(format!("reading the saga's money: {e}")))?;
    let money = match records.records.first() {
        Some(record) => money_facts(&record.standing),
        None => vec![fact("standing", "the saga's state could not be read")],
    };
    let findings = history::findings_of_saga(pool, id).await?;
    let releases = history::releases_of_saga(pool, id).await?;
    let last_run = history::last_runs(pool, 1).await?.into_iter().next();

    let mut facts = vec![
        fact("traveller (pseudonymous)", report.user_id.clone()),
        fact("version", report.version.to_string()),
        fact("search round", report.epoch.to_string()),
        fact("started", time(report.created_at)),
        fact("last change", time(report.updated_at)),
        fact("finished", maybe_time(report.completed_at)),
    ];
    facts.extend(report.details.iter().map(|d| fact(d.name, d.value.clone())));
    let mut in_flight: Vec<Fact> = report
        .pending
        .outbox
        .iter()
        .map(|m| {
            fact_owned(
                format!("command not yet published ({})", time(m.created_at)),
                format!("{} {}", m.message_type, m.message_id),
            )
        })
        .collect();
    in_flight.extend(report.pending.timers.iter().map(|t| {
        let kind = t
            .timer
            .get("kind")
            .and_then(|k| k.as_str())
            .map_or_else(|| t.timer.to_string(), str::to_owned);
        fact_owned(format!("timer due {}", time(t.due_at)), kind)
    }));
    let calls = report
        .pending
        .provider_calls
        .iter()
        .map(|c| Call {
            key: c.idempotency_key.clone(),
            step: c.step.clone(),
            outcome: match (c.status.as_str(), c.outcome_unknown) {
                (_, true) => "outcome unknown".to_owned(),
                (status, false) => status.replace('_', " "),
            },
            fence: c.fence,
            claimed: time(c.claimed_at),
            latency: c.completed_at.map_or_else(
                || "–".to_owned(),
                |done| duration_ms((done - c.claimed_at).num_milliseconds() as f64),
            ),
        })
        .collect();
    let timeline = report
        .history
        .iter()
        .map(|h| Step {
            version: h.version,
            at: time(h.recorded_at),
            message_type: h.message_type.clone(),
            message_id: h.message_id.to_string(),
            from: h.from_status.clone().unwrap_or_else(|| "–".to_owned()),
            to: h.to_status.clone(),
            effects: h.effects.clone(),
            note: h.note.clone().unwrap_or_default(),
        })
        .collect();
    let target = format!("saga:{id}");
    let recorded = actions::latest(pool, Some(&target), 20).await?;
    render(&SagaPage {
        chrome,
        id: id.to_string(),
        status: report.status.clone(),
        terminal: report.terminal,
        facts,
        trip: trip_facts(&row.saga.trip),
        money,
        findings: findings
            .iter()
            .map(|f| FindingView {
                class: f.finding.class.clone(),
                subject: f.finding.subject.clone(),
                amount: minor_amount(f.finding.amount_minor, f.finding.currency.as_deref()),
                action: f.finding.action.clone(),
                detail: f.finding.detail.clone(),
                seen: format!(
                    "{} – {}",
                    time(f.finding.first_seen),
                    time(f.finding.last_seen)
                ),
                resolved: maybe_time(f.resolved_at),
            })
            .collect(),
        releases: releases
            .iter()
            .map(|r| {
                fact_owned(
                    format!("hold {} released by {}", r.payment_intent_id, r.released_by),
                    format!(
                        "{} at {}",
                        minor_amount(Some(r.amount_minor), Some(&r.currency)),
                        maybe_time(r.released_at)
                    ),
                )
            })
            .collect(),
        last_run: last_run.map_or_else(
            || "The reconciliation job has not run yet.".to_owned(),
            |run| {
                format!(
                    "The last reconciliation run finished {} ({}).",
                    time(run.finished_at),
                    run.outcome
                )
            },
        ),
        timeline,
        in_flight,
        calls,
        dead_letters: report.pending.dead_letters,
        personal: reveal.then(|| personal_facts(&row.saga.trip)),
        actions: recorded.iter().map(ActionRow::from).collect(),
    })
}

/// `GET /sagas/{id}`.
pub async fn page(
    State(console): State<Shared>,
    person: Person,
    Id(id): Id,
    QueryOf(params): QueryOf<Done>,
) -> Result<Response, PageError> {
    saga_page(&console, &person, id, params.done, false).await
}

#[derive(Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    pub csrf: String,
    pub action_id: Uuid,
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub reason: String,
}

fn operator_action(name: &str) -> Result<OperatorAction, PageError> {
    match name {
        "retry" => Ok(OperatorAction::Retry),
        "abort" => Ok(OperatorAction::Abort),
        "cancel" => Ok(OperatorAction::Cancel),
        _ => Err(PageError::bad_request("action: retry, abort or cancel")),
    }
}

fn action_name(action: OperatorAction) -> &'static str {
    match action {
        OperatorAction::Retry => "retry",
        OperatorAction::Abort => "abort",
        OperatorAction::Cancel => "cancel",
    }
}

/// `POST /sagas/{id}/request`: retry, abort or cancel, as `autobook ops saga`.
pub async fn request(
    State(console): State<Shared>,
    person: Person,
    Id(id): Id,
    Fields(form): Fields<ActionForm>,
) -> Result<Response, PageError> {
    person.may_act(&console, &form.csrf)?;
    let action = operator_action(&form.action)?;
    let reason = ops_saga::check_reason(&form.reason).map_err(|_| {
        PageError::bad_request("reason: say why (it is kept in the saga's history)")
    })?;
    let target = format!("saga:{id}");
    let name = format!("saga.{}", action_name(action));
    let record = person.request(form.action_id, &name, &target, &reason);
    actions::once(&console.pool, &record, || async {
        match ops_saga::request(
            &console.pool,
            &console.vault,
            id,
            action,
            &person.user,
            &reason,
        )
        .await
        {
            Ok(done) => match done.result {
                RequestResult::Applied { from, to, version } => Outcome::ok(format!(
                    "{} applied by {}: {from} → {to} (version {version})",
                    action_name(action),
                    person.user
                )),
                RequestResult::Refused(refusal) => Outcome::refused(format!(
                    "{} refused ({}): {}",
                    action_name(action),
                    refusal.code,
                    refusal.reason
                )),
            },
            Err(error) => Outcome::refused(format!("{} failed: {error:#}", action_name(action))),
        }
    })
    .await?;
    Ok(after_action(&format!("/sagas/{id}"), form.action_id))
}

#[derive(Deserialize)]
pub struct RevealForm {
    #[serde(default)]
    pub csrf: String,
    pub action_id: Uuid,
    #[serde(default)]
    pub reason: String,
}

/// `POST /sagas/{id}/reveal`: the traveller's personal data, for a
/// supervisor, with the reveal recorded.
pub async fn reveal(
    State(console): State<Shared>,
    person: Person,
    Id(id): Id,
    Fields(form): Fields<RevealForm>,
) -> Result<Response, PageError> {
    person.may_reveal(&console, &form.csrf)?;
    let reason = ops_saga::check_reason(&form.reason)
        .map_err(|_| PageError::bad_request("reason: say why you need the traveller's data"))?;
    let target = format!("saga:{id}");
    let record = person.request(
        form.action_id,
        "saga.reveal_personal_data",
        &target,
        &reason,
    );
    actions::once(&console.pool, &record, || async {
        tracing::info!(saga_id = %id, "console: personal data revealed");
        Outcome::ok(format!("personal data shown to {}", person.user))
    })
    .await?;
    saga_page(&console, &person, id, Some(form.action_id), true).await
}
