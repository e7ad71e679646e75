//! Counts of every fault the sandbox injected, by kind ([`FaultKind`]) and
//! by the call it hit, for the ledger's `injected` and `injected_by_call`.
//!
//! A call is named `"<api> <METHOD> <route>"` as the router matched it
//! (`"stripe POST /v1/payment_intents/{id}/confirm"`), or `"stripe
//! webhook"` for deliveries.

use crate::metric_definitions::FAULTS_INJECTED;
use std::collections::BTreeMap;
use std::sync::Mutex;

use crate::faults::{AnswerLoss, RequestDraw, Transient};
use crate::ledger::Ledger;
use crate::lock::locked;

/// The call name of webhook deliveries.
pub(crate) const WEBHOOK_CALL: &str = "stripe webhook";

/// Every kind of injected fault, with its name in the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum FaultKind {
    /// A 503 answered before any effect (rate or script).
    Transient,
    /// A 429 answered before any effect (rate or script; not the enforced
    /// rate limit, which the ledger's `traffic` counts).
    RateLimited,
    /// A request held `slow_delay` longer (the `slow_rate` fault).
    Slow,
    /// A 500 answered before any effect (scripted).
    ServerError,
    /// The effect applied, then a 500 answered.
    ServerErrorAfterEffect,
    /// The effect applied, then the answer held back by `timeout_delay`.
    TimeoutAfterEffect,
    /// An offer turned expired at order time.
    OfferExpired,
    /// An offer repriced at order time.
    PriceChanged,
    /// An offer refused by the airline at order time.
    OrderRejected,
    /// A hold made to have lapsed at capture time.
    CaptureLapsed,
    /// An email rejected.
    EmailRejected,
    /// A search answer the lag made differ from an up-to-date one.
    SearchLagged,
    /// A webhook delivery held back before its first attempt.
    WebhookDelayed,
    /// An event sent twice.
    WebhookDuplicated,
    /// An event delivered before an earlier event about the same object.
    WebhookReordered,
}

impl FaultKind {
    pub(crate) const ALL: [FaultKind; 15] = [
        FaultKind::Transient,
        FaultKind::RateLimited,
        FaultKind::Slow,
        FaultKind::ServerError,
        FaultKind::ServerErrorAfterEffect,
        FaultKind::TimeoutAfterEffect,
        FaultKind::OfferExpired,
        FaultKind::PriceChanged,
        FaultKind::OrderRejected,
        FaultKind::CaptureLapsed,
        FaultKind::EmailRejected,
        FaultKind::SearchLagged,
        FaultKind::WebhookDelayed,
        FaultKind::WebhookDuplicated,
        FaultKind::WebhookReordered,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            FaultKind::Transient => "transient",
            FaultKind::RateLimited => "rate_limited",
            FaultKind::Slow => "slow",
            FaultKind::ServerError => "server_error",
            FaultKind::ServerErrorAfterEffect => "server_error_after_effect",
            FaultKind::TimeoutAfterEffect => "timeout_after_effect",
            FaultKind::OfferExpired => "offer_expired",
            FaultKind::PriceChanged => "price_changed",
            FaultKind::OrderRejected => "order_rejected",
            FaultKind::CaptureLapsed => "capture_lapsed",
            FaultKind::EmailRejected => "email_rejected",
            FaultKind::SearchLagged => "search_lagged",
            FaultKind::WebhookDelayed => "webhook_delayed",
            FaultKind::WebhookDuplicated => "webhook_duplicated",
            FaultKind::WebhookReordered => "webhook_reordered",
        }
    }

    /// The kind of an injected error answered before any effect.
    pub(crate) fn of_transient(transient: Transient) -> FaultKind {
        match transient {
            Transient::RateLimited => FaultKind::RateLimited,
            Transient::Unavailable => FaultKind::Transient,
        }
    }

    /// The kind of a lost answer.
    pub(crate) fn of_loss(loss: AnswerLoss) -> FaultKind {
        match loss {
            AnswerLoss::ServerError => FaultKind::ServerErrorAfterEffect,
            AnswerLoss::Timeout => FaultKind::TimeoutAfterEffect,
        }
    }
}

/// Creates every fault kind's counter at zero, so a scrape shows each one
/// before its first injection.
pub(crate) fn register_series() {
    for kind in FaultKind::ALL {
        metrics::counter!(FAULTS_INJECTED, "kind" => kind.as_str()).increment(0);
    }
}

/// The counters, shared by every server.
#[derive(Debug, Default)]
pub(crate) struct Injections {
    counts: Mutex<BTreeMap<(String, FaultKind), u64>>,
}

impl Injections {
    /// Counts one fault of `kind` injected into `call`.
    pub(crate) fn count(&self, kind: FaultKind, call: &str) {
        metrics::counter!(FAULTS_INJECTED, "kind" => kind.as_str()).increment(1);
        *locked(&self.counts)
            .entry((call.to_owned(), kind))
            .or_insert(0) += 1;
    }

    /// Counts what a request met on arrival: slowness and an error before
    /// any effect.
    pub(crate) fn count_request(&self, draw: &RequestDraw, call: &str) {
        if draw.slow {
            self.count(FaultKind::Slow, call);
        }
        if let Some(transient) = draw.transient {
            self.count(FaultKind::of_transient(transient), call);
        }
    }

    /// Writes the totals by kind (every kind, zeros included) and by call.
    pub(crate) fn write_ledger(&self, ledger: &mut Ledger) {
        ledger.injected = FaultKind::ALL
            .iter()
            .map(|kind| (kind.as_str().to_owned(), 0))
            .collect();
        ledger.injected_by_call = BTreeMap::new();
        for ((call, kind), n) in locked(&self.counts).iter() {
            *ledger.injected.entry(kind.as_str().to_owned()).or_insert(0) += n;
            ledger
                .injected_by_call
                .entry(call.clone())
                .or_default()
                .insert(kind.as_str().to_owned(), *n);
        }
    }
}

/// The call name of a request: its API, method and matched route (the
/// path as sent when no route matched).
pub(crate) fn call_name(api: &str, request: &axum::extract::Request) -> String {
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or("(no route)", |path| path.as_str());
    format!("{api} {} {route}", request.method())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_by_kind_with_zeros_and_by_call() {
        let injections = Injections::default();
        injections.count(FaultKind::TimeoutAfterEffect, "email POST /emails");
        injections.count(FaultKind::TimeoutAfterEffect, "duffel POST /air/orders");
        injections.count_request(
            &RequestDraw {
                latency: std::time::Duration::ZERO,
                slow: true,
                transient: Some(Transient::RateLimited),
            },
            "email POST /emails",
        );
        let mut ledger = Ledger::default();
        injections.write_ledger(&mut ledger);
        assert_eq!(ledger.injected.len(), FaultKind::ALL.len());
        assert_eq!(ledger.injected["timeout_after_effect"], 2);
        assert_eq!(ledger.injected["rate_limited"], 1);
        assert_eq!(ledger.injected["webhook_reordered"], 0);
        let email = &ledger.injected_by_call["email POST /emails"];
        assert_eq!((email["slow"], email["timeout_after_effect"]), (1, 1));
    }

    #[test]
    fn names_are_distinct() {
        let names: std::collections::BTreeSet<&str> =
            FaultKind::ALL.iter().map(|kind| kind.as_str()).collect();
        assert_eq!(names.len(), FaultKind::ALL.len());
    }
}
