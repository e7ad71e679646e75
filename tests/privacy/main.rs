//! No personal data in logs, metrics or traces. One mixed run of the whole
//! system (the demo's `mixed` trips and faults, bookings that succeed,
//! fail, are compensated, retried and cancelled, and hostile messages that
//! are dead-lettered) is captured at its most verbose: every JSON log line
//! with autobook's crates at TRACE, every exported span with its attributes
//! and events, every metric line. Its travellers' names, email addresses,
//! phone numbers, passport numbers and birth dates are random strings made
//! for the run; none may appear anywhere in what was captured.
//!
//! The test can fail: planted values are found in each capture through the
//! same pipeline and scan, and the captures hold the run's saga ids, its
//! debug lines and its metrics.
//!
//! Its own binary: the subscriber and the metrics recorder are global.

#![allow(clippy::unwrap_used)]

mod capture;
mod hostile;
mod scan;
mod travellers;

use std::collections::BTreeMap;

use chrono::Utc;
use serde_json::Value;
use uuid::Uuid;

use autobook_contracts::trip::TripRequest;
use autobook_harness::demo::args::Scenario;
use autobook_harness::demo::trips::{Intent, generate};
use autobook_sandbox::{
    AuthorizationFault, CancellationFault, CaptureFault, EmailFault, FaultScript, Faults,
    OrderFault, RefundFault, VoidFault,
};
use autobook_tests::{TestSystem, spawn_with};

use capture::{Capture, Captured};
use scan::{Needle, Piece, find, holds};
use travellers::Traveller;

const SEED: u64 = 2611;

/// How many trips of each kind the run submits (besides the cancelled one).
const MIX: &[(Intent, usize)] = &[
    (Intent::Book, 14),
    (Intent::DeclinedCard, 2),
    (Intent::InsufficientFunds, 2),
    (Intent::PriceTooLow, 2),
];

/// The run's people: whose data must not leak.
#[derive(Default)]
struct People {
    travellers: Vec<Traveller>,
    contact_emails: Vec<String>,
}

impl People {
    fn needles(&self) -> Vec<Needle> {
        let mut needles: Vec<Needle> = self
            .travellers
            .iter()
            .flat_map(Traveller::needles)
            .collect();
        for email in &self.contact_emails {
            needles.push(Needle::new("contact email", email));
            if let Some((local, _)) = email.split_once('@') {
                needles.push(Needle::new("contact email local part", local));
            }
        }
        needles
    }

    /// A generated trip with its passengers and contact replaced by new people.
    fn take_over(&mut self, trip: TripRequest) -> TripRequest {
        let mut value = serde_json::to_value(&trip).unwrap();
        let passengers = value["passengers"].as_array_mut().unwrap();
        for (passenger, old) in passengers.iter_mut().zip(&trip.passengers) {
            let traveller = Traveller::born_by(old.born_on);
            traveller.write_over(passenger);
            self.travellers.push(traveller);
        }
        let contact = travellers::email();
        value["contact_email"] = Value::from(contact.clone());
        self.contact_emails.push(contact);
        serde_json::from_value(value).unwrap()
    }
}

/// The demo's mixed trips, [`MIX`] of them, taken over by new people.
fn mixed_trips(people: &mut People) -> Vec<(Intent, TripRequest)> {
    let mut wanted: BTreeMap<String, usize> = MIX
        .iter()
        .map(|(intent, n)| (format!("{intent:?}"), *n))
        .collect();
    let today = Utc::now().date_naive();
    let mut trips = Vec::new();
    for (intent, trip) in generate(400, Scenario::Mixed, SEED, today) {
        if let Some(left) = wanted.get_mut(&format!("{intent:?}"))
            && *left > 0
        {
            *left -= 1;
            trips.push((intent, people.take_over(trip)));
        }
    }
    assert!(
        wanted.values().all(|n| *n == 0),
        "not enough trips: {wanted:?}"
    );
    trips
}

/// Books one trip (every call forced clean) and has the traveller cancel
/// it: the airline order is cancelled and the money refunded.
async fn book_and_cancel(system: &TestSystem, trip: TripRequest) -> Uuid {
    system.script(FaultScript {
        orders: vec![OrderFault::Ok],
        authorizations: vec![AuthorizationFault::Ok],
        captures: vec![CaptureFault::Ok],
        cancellations: vec![CancellationFault::Ok, CancellationFault::Ok],
        refunds: vec![RefundFault::Ok],
        emails: vec![EmailFault::Ok, EmailFault::Ok],
        ..FaultScript::default()
    });
    let id = system.submit(trip).await;
    let booked = system.finished(id).await;
    assert_eq!(booked.status, "booked", "{:?}", booked.saga.phase);
    system.cancel(id).await;
    system.reaches(id, "cancelled").await;
    id
}

/// Faults met by the first calls of the mixed trips, besides the
/// scenario's random ones: a refused and a repriced order, a lapsed hold
/// at capture (both compensated), a rejected email, and transient errors
/// from Stripe and the email API. (Not from Duffel: the sandbox answers a
/// scripted order 429 with the reset of Duffel's minute window, which
/// holds every Duffel call for up to a minute.)
fn scripted_faults() -> FaultScript {
    FaultScript {
        orders: vec![OrderFault::Rejected, OrderFault::PriceChanged],
        authorizations: vec![AuthorizationFault::Transient],
        captures: vec![CaptureFault::Lapsed, CaptureFault::Transient],
        voids: vec![VoidFault::Transient],
        emails: vec![EmailFault::Rejected, EmailFault::Transient],
        ..FaultScript::default()
    }
}

/// Values planted through the real pipeline: `shown` once in a log event,
/// a span attribute, a span event and a metric label; `hidden` only inside
/// a trip request logged with `Debug` (redacted).
fn plant(shown: &Traveller, hidden: &TripRequest) {
    let span = tracing::info_span!(target: "autobook::canary", "canary", email = %shown.email);
    let _entered = span.enter();
    tracing::info!(
        target: "autobook::canary",
        given_name = shown.given_name.as_str(),
        born = %shown.born_on.format("%d/%m/%Y"),
        trip = ?hidden,
        "planted"
    );
    metrics::counter!("autobook_canary_total", "phone" => shown.phone_number.clone()).increment(1);
}

/// What a finding looks like in a failure message.
fn show(hits: &[scan::Hit]) -> String {
    hits.iter()
        .take(20)
        .map(|h| format!("{} {:?} in {}: {}", h.what, h.needle, h.place, h.text))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mixed_run_leaks_no_personal_data_into_logs_spans_or_metrics() {
    let capture = Capture::install();
    let system = spawn_with(|config| {
        config.sandbox.faults = Faults {
            // Some throttling, so retried calls are in the metrics.
            rate_limited_rate: 0.03,
            ..Faults::scenario("mixed").unwrap()
        };
    })
    .await;
    let mut people = People::default();
    let mut trips = mixed_trips(&mut people);

    // A booking the traveller cancels.
    let (_, cancelled) = trips.remove(0);
    let cancelled = book_and_cancel(&system, cancelled).await;

    // The mixed trips, all at once.
    system.script(scripted_faults());
    let mut sagas = Vec::new();
    for (intent, trip) in trips {
        sagas.push((intent, system.submit(trip).await));
    }
    let mut statuses: BTreeMap<String, usize> = BTreeMap::new();
    for (intent, id) in &sagas {
        let row = system.finished(*id).await;
        if *intent != Intent::Book {
            assert_eq!(row.status, "failed", "{intent:?}: {:?}", row.saga.phase);
        }
        *statuses.entry(row.status).or_default() += 1;
    }
    assert!(
        statuses.get("booked").is_some_and(|n| *n >= 5),
        "{statuses:?}"
    );

    // Hostile messages carrying personal data, each dead-lettered.
    let reasons = hostile::send_all(&system, &mut people).await;

    // The personal data did reach the providers.
    let ledger = system.ledger();
    let emailed = |to: &String| ledger.emails.iter().any(|e| e.to.contains(to));
    assert!(
        emailed(&people.contact_emails[0]),
        "the cancelled trip's emails"
    );
    let reached = people
        .contact_emails
        .iter()
        .filter(|to| emailed(to))
        .count();
    assert!(reached > sagas.len() / 2, "{reached} contacts were emailed");
    let shown = Traveller::born_in(1980);
    let mut hidden_people = People::default();
    let (_, hidden) = mixed_trips(&mut hidden_people).remove(0);
    plant(&shown, &hidden);
    system.teardown().await;
    let captured = capture.collect();

    assert_captured_the_run(&captured, cancelled, &sagas);
    assert_planted_values_are_found(&captured, &shown);
    let redacted = find(&captured.all(), &hidden_people.needles());
    assert!(
        redacted.is_empty(),
        "Debug is not redacted:\n{}",
        show(&redacted)
    );

    let mut everything = captured.all();
    everything.extend(reasons);
    let leaks = find(&everything, &people.needles());
    assert!(
        leaks.is_empty(),
        "{} leaks of personal data, the first:\n{}",
        leaks.len(),
        show(&leaks)
    );
}

/// The captures are not empty: they hold the run.
fn assert_captured_the_run(captured: &Captured, cancelled: Uuid, sagas: &[(Intent, Uuid)]) {
    assert!(
        captured.logs.len() > 100,
        "{} log lines",
        captured.logs.len()
    );
    assert!(captured.span_count > 100, "{} spans", captured.span_count);
    assert!(captured.event_count > 0, "no span events");
    for id in sagas.iter().map(|(_, id)| *id).chain([cancelled]) {
        let id = id.to_string();
        assert!(holds(&captured.logs, &id), "saga {id} in no log line");
        assert!(holds(&captured.spans, &id), "saga {id} in no span");
    }
    for (pieces, text) in [
        (&captured.logs, "saga moved"),
        (&captured.logs, "\"level\":\"DEBUG\""),
        (&captured.spans, "message_type=trip.cancel_requested"),
        (&captured.metrics, "autobook_sagas_started_total"),
        (&captured.metrics, "autobook_compensations_started_total"),
        (&captured.metrics, "outcome=\"retryable\""),
        (&captured.metrics, "code=\"invalid_trip\""),
        (&captured.metrics, "code=\"wrong_queue\""),
    ] {
        assert!(holds(pieces, text), "{text} was not captured");
    }
}

/// The scan finds what was planted, in every capture.
fn assert_planted_values_are_found(captured: &Captured, shown: &Traveller) {
    let needles = shown.needles();
    let found =
        |pieces: &[Piece], what: &str| find(pieces, &needles).iter().any(|hit| hit.what == what);
    assert!(found(&captured.logs, "given name"));
    assert!(found(&captured.logs, "birth date"));
    assert!(found(&captured.logs, "email"));
    assert!(found(&captured.spans, "email"));
    assert!(found(&captured.spans, "given name"));
    assert!(found(&captured.metrics, "phone number"));
    assert!(found(&captured.metrics, "phone digits"));
}
