//! Reconciliation: does what the sagas believe match what the providers
//! did? Every capture must belong to a booked saga and match its order to
//! the cent; every hold must be captured or released; no order may exist
//! without its capture; nothing may happen twice.
//!
//! Pure: it compares saga records with a ledger snapshot, a witness only a
//! local run has. The production job, which reads the providers through
//! their APIs, is the crate `autobook-reconcile`; [`job`] wires it here.

pub mod job;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use uuid::Uuid;

use autobook_orchestrator::saga::Phase;
use autobook_sandbox::{Ledger, LedgerOrder, LedgerPaymentIntent};

/// One disagreement between our records and the providers'.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mismatch {
    pub saga_id: Option<Uuid>,
    pub kind: &'static str,
    pub detail: String,
}

/// The verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub ok: bool,
    pub mismatches: Vec<Mismatch>,
}

/// Compares every saga with the ledger. Ledger entries that name no saga
/// of `sagas` are mismatches too: the run must account for every effect.
pub fn reconcile(sagas: &[(Uuid, Phase)], ledger: &Ledger) -> Report {
    let mut mismatches = Vec::new();
    let known: BTreeSet<Uuid> = sagas.iter().map(|(id, _)| *id).collect();
    let intents = by_saga(
        &ledger.payment_intents,
        |i| &i.metadata,
        &known,
        "payment intent",
        &mut mismatches,
    );
    let orders = by_saga(
        &ledger.orders,
        |o| &o.metadata,
        &known,
        "order",
        &mut mismatches,
    );
    for (id, phase) in sagas {
        let intents = intents.get(id).map(Vec::as_slice).unwrap_or_default();
        let orders = orders.get(id).map(Vec::as_slice).unwrap_or_default();
        check_saga(*id, phase, intents, orders, &mut mismatches);
    }
    Report {
        ok: mismatches.is_empty(),
        mismatches,
    }
}

fn by_saga<'a, T>(
    items: &'a [T],
    metadata: impl Fn(&T) -> &BTreeMap<String, String>,
    known: &BTreeSet<Uuid>,
    what: &str,
    mismatches: &mut Vec<Mismatch>,
) -> BTreeMap<Uuid, Vec<&'a T>> {
    let mut grouped: BTreeMap<Uuid, Vec<&T>> = BTreeMap::new();
    for item in items {
        match metadata(item)
            .get("saga_id")
            .and_then(|s| Uuid::parse_str(s).ok())
        {
            Some(id) if known.contains(&id) => grouped.entry(id).or_default().push(item),
            Some(id) => mismatches.push(mismatch(
                Some(id),
                "effect_of_unknown_saga",
                format!("a {what} names a saga with no record"),
            )),
            None => mismatches.push(mismatch(
                None,
                "unattributed_effect",
                format!("a {what} carries no saga_id"),
            )),
        }
    }
    grouped
}

fn check_saga(
    id: Uuid,
    phase: &Phase,
    intents: &[&LedgerPaymentIntent],
    orders: &[&LedgerOrder],
    out: &mut Vec<Mismatch>,
) {
    let held: Vec<_> = intents
        .iter()
        .filter(|i| i.status == "requires_capture")
        .collect();
    let captured: Vec<_> = intents.iter().filter(|i| i.amount_received > 0).collect();
    let live: Vec<_> = orders.iter().filter(|o| !o.cancelled).collect();
    let mut report =
        |kind: &'static str, detail: String| out.push(mismatch(Some(id), kind, detail));
    for intent in &held {
        report(
            "hold_left_behind",
            format!(
                "{} still holds {} {}",
                intent.id, intent.amount_capturable, intent.currency
            ),
        );
    }
    match phase {
        Phase::Booked { booking, .. } => {
            match captured.as_slice() {
                [] => report("booked_without_capture", "no captured payment".into()),
                [one] => {
                    let net = one.amount_received - one.amount_refunded;
                    let same_currency = one
                        .currency
                        .eq_ignore_ascii_case(booking.captured.currency.as_str());
                    if one.id != booking.payment_intent_id
                        || net != booking.captured.amount_minor
                        || !same_currency
                    {
                        report(
                            "capture_mismatch",
                            format!(
                                "{} captured {net} {}, saga recorded {}",
                                one.id, one.currency, booking.captured
                            ),
                        );
                    }
                }
                many => report("double_charge", format!("{} captured payments", many.len())),
            }
            match live.as_slice() {
                [] => report("booked_without_order", "no live airline order".into()),
                [order] => {
                    let captured_total: i64 = captured
                        .iter()
                        .map(|i| i.amount_received - i.amount_refunded)
                        .sum();
                    if order.id != booking.order.order_id || order.total_amount != captured_total {
                        report(
                            "order_mismatch",
                            format!(
                                "order {} totals {}, captured {captured_total}",
                                order.id, order.total_amount
                            ),
                        );
                    }
                }
                many => report("duplicate_order", format!("{} live orders", many.len())),
            }
        }
        Phase::Failed { reason, .. } => {
            if !captured.is_empty() {
                report(
                    "charged_without_booking",
                    format!(
                        "failed ({}) but {} captured payment(s)",
                        reason.code(),
                        captured.len()
                    ),
                );
            }
            if !live.is_empty() {
                report(
                    "ticket_without_payment",
                    format!(
                        "failed ({}) but {} live order(s)",
                        reason.code(),
                        live.len()
                    ),
                );
            }
        }
        Phase::Cancelled {
            charged, refunded, ..
        } => {
            if !live.is_empty() {
                report(
                    "ticket_after_cancellation",
                    format!("cancelled but {} live order(s)", live.len()),
                );
            }
            let received: i64 = captured.iter().map(|i| i.amount_received).sum();
            let returned: i64 = captured.iter().map(|i| i.amount_refunded).sum();
            let charged_minor = charged.map_or(0, |m| m.amount_minor);
            let refunded_minor = refunded.map_or(0, |m| m.amount_minor);
            if received != charged_minor || returned != refunded_minor {
                report(
                    "cancellation_money_mismatch",
                    format!(
                        "captured {received} and refunded {returned}, saga recorded charged {charged_minor} and refunded {refunded_minor}"
                    ),
                );
            }
        }
        Phase::Stuck { problem, .. } => report("stuck", problem.clone()),
        Phase::Aborted { problem, .. } => report("aborted", problem.clone()),
        open => report("not_finished", format!("saga still {}", open.status())),
    }
}

fn mismatch(saga_id: Option<Uuid>, kind: &'static str, detail: String) -> Mismatch {
    Mismatch {
        saga_id,
        kind,
        detail,
    }
}

#[cfg(test)]
mod tests;
