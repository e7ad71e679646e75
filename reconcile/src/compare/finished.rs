//! Judging a finished saga (failed, cancelled, booked) by its objects past
//! the grace period: what each standing allows, and the amounts and
//! identities a booking's capture, order and record must share.

use uuid::Uuid;

use autobook_contracts::money::Money;
use autobook_orchestrator::money::{MoneyRecord, Standing};
use autobook_workers::providers::{DuffelOrder, PaymentIntent};

use super::Group;
use super::findings::Findings;
use crate::finding::FindingClass;
use crate::observed::{Observed, received, refunded_minor};

pub(super) fn judge(
    record: &MoneyRecord,
    group: &Group<'_>,
    observed: &Observed,
    out: &mut Findings,
) {
    let saga = record.saga_id;
    match &record.standing {
        Standing::Open { .. } | Standing::Aborted => {}
        Standing::Failed => {
            for intent in group.captures() {
                out.capture_on_compensated(saga, intent, "failed");
            }
            for order in group.live_orders() {
                out.order_on_compensated(saga, order, "failed");
            }
        }
        Standing::Cancelled {
            charged,
            refunded,
            booking,
        } => {
            for order in group.live_orders() {
                out.order_on_compensated(saga, order, "cancelled");
            }
            let captures = group.captures();
            let Some(charged) = charged else {
                for intent in captures {
                    out.capture_on_compensated(saga, intent, "cancelled without a charge");
                }
                return;
            };
            let booked_intent = booking
                .as_ref()
                .and_then(|b| observed.intents.get(&b.payment_intent_id));
            match captures.as_slice() {
                [] if booked_intent.is_some() => out.mismatch(
                    saga,
                    format!("recorded a charge of {charged}; the providers show no capture"),
                ),
                [] => {}
                [intent] => {
                    let refunded = refunded.map_or(0, |m| m.amount_minor);
                    check_charge(saga, intent, charged, refunded, observed, out);
                }
                many => out.double_capture(saga, many),
            }
        }
        Standing::Booked {
            payment_intent_id,
            order_id,
            captured,
            order_amount,
        } => {
            let booking = Booked {
                payment_intent_id,
                order_id,
                captured: *captured,
                order_amount: *order_amount,
            };
            judge_booked(saga, &booking, group, observed, out);
        }
    }
}

/// A booked saga's record.
struct Booked<'a> {
    payment_intent_id: &'a str,
    order_id: &'a str,
    captured: Money,
    order_amount: Money,
}

fn judge_booked(
    saga: Uuid,
    booking: &Booked<'_>,
    group: &Group<'_>,
    observed: &Observed,
    out: &mut Findings,
) {
    let captures = group.captures();
    let orders = group.live_orders();
    if captures.len() > 1 {
        out.double_capture(saga, &captures);
    }
    if orders.len() > 1 {
        let ids: Vec<&str> = orders.iter().map(|o| o.id.as_str()).collect();
        out.push(
            FindingClass::DoubleOrder,
            saga.to_string(),
            Some(saga),
            None,
            format!("{} live orders: {}", orders.len(), ids.join(", ")),
        );
    }
    // Absence counts only when the recorded object was read by id.
    let no_capture =
        captures.is_empty() && observed.intents.contains_key(booking.payment_intent_id);
    let no_order = orders.is_empty() && observed.orders.contains_key(booking.order_id);
    match (captures.as_slice(), orders.as_slice()) {
        ([], [_, ..]) if no_capture => {
            for order in &orders {
                out.push(
                    FindingClass::OrderWithoutCapture,
                    order.id.clone(),
                    Some(saga),
                    Some(order.total),
                    format!(
                        "live order {} ({}) of a booked saga; {} is not captured",
                        order.id, order.total, booking.payment_intent_id
                    ),
                );
            }
        }
        ([_, ..], []) if no_order => {
            for intent in &captures {
                out.push(
                    FindingClass::CaptureWithoutOrder,
                    intent.id.clone(),
                    Some(saga),
                    Some(received(intent)),
                    format!(
                        "{} captured {} for a booked saga whose order {} is not live",
                        intent.id,
                        received(intent),
                        booking.order_id
                    ),
                );
            }
        }
        ([], []) if no_capture && no_order => out.mismatch(
            saga,
            format!(
                "recorded a booking ({} captured, order {}); the providers show neither a capture nor a live order",
                booking.captured, booking.order_id
            ),
        ),
        ([intent], [order]) => check_booking(saga, booking, intent, order, observed, out),
        _ => {}
    }
}

/// One capture and one live order: they and the record must agree.
fn check_booking(
    saga: Uuid,
    booking: &Booked<'_>,
    intent: &PaymentIntent,
    order: &DuffelOrder,
    observed: &Observed,
    out: &mut Findings,
) {
    let taken = received(intent);
    let mut differences = Vec::new();
    if intent.id != booking.payment_intent_id {
        differences.push(format!(
            "the capture is on {}, the saga recorded {}",
            intent.id, booking.payment_intent_id
        ));
    }
    if order.id != booking.order_id {
        differences.push(format!(
            "the live order is {}, the saga recorded {}",
            order.id, booking.order_id
        ));
    }
    if taken != booking.captured {
        differences.push(format!(
            "captured {taken}, the saga recorded {}",
            booking.captured
        ));
    }
    if order.total != booking.order_amount {
        differences.push(format!(
            "the order totals {}, the saga recorded {}",
            order.total, booking.order_amount
        ));
    }
    if order.total != taken {
        differences.push(format!(
            "the order totals {}, captured {taken}",
            order.total
        ));
    }
    if let Some(refunds) = observed.refunds.get(&intent.id) {
        let refunded = refunded_minor(refunds);
        if refunded != 0 {
            differences.push(format!(
                "{} refunded on a booking that was not cancelled",
                Money::new(refunded, taken.currency)
            ));
        }
    }
    if !differences.is_empty() {
        out.mismatch(saga, differences.join("; "));
    }
}

/// A cancelled saga's one capture against what it recorded charged and
/// refunded (refunds judged only when all of the intent's are known).
fn check_charge(
    saga: Uuid,
    intent: &PaymentIntent,
    charged: &Money,
    refunded_minor_recorded: i64,
    observed: &Observed,
    out: &mut Findings,
) {
    let taken = received(intent);
    let mut differences = Vec::new();
    if taken != *charged {
        differences.push(format!("captured {taken}, the saga recorded {charged}"));
    }
    if let Some(refunds) = observed.refunds.get(&intent.id) {
        let refunded = refunded_minor(refunds);
        if refunded != refunded_minor_recorded {
            differences.push(format!(
                "refunded {}, the saga recorded {}",
                Money::new(refunded, taken.currency),
                Money::new(refunded_minor_recorded, taken.currency)
            ));
        }
    }
    if !differences.is_empty() {
        out.mismatch(saga, differences.join("; "));
    }
}
