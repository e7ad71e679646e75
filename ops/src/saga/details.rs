//! A saga's phase and audit effects in words, for `ops saga show`: what
//! an operator needs (the problem of a stuck saga, the step an unknown
//! outcome waits on, the hold and the order), never the traveller's
//! personal data.

use serde::Serialize;
use serde_json::Value;

use autobook_orchestrator::saga::Phase;
use autobook_orchestrator::saga::state::{AfterRelease, Hold, OrderRef, Outcome};

use crate::output::one_line;

/// One line of a saga's phase, for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Detail {
    pub name: &'static str,
    pub value: String,
}

fn detail(name: &'static str, value: impl Into<String>) -> Detail {
    Detail {
        name,
        value: value.into(),
    }
}

fn hold_text(hold: &Hold) -> String {
    format!("{} ({})", hold.payment_intent_id, hold.amount)
}

fn order_text(order: &OrderRef) -> String {
    format!(
        "{} booking reference {} ({})",
        order.order_id, order.booking_reference, order.amount
    )
}

fn code_of<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(Value::Object(fields)) => fields
            .get("code")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_owned(),
        _ => "?".to_owned(),
    }
}

/// What a phase holds that an operator needs: the problem of a stuck
/// saga, the step an unknown outcome waits on, the key a step waits on,
/// the hold and the order. Never the traveller's personal data.
pub fn phase_details(phase: &Phase) -> Vec<Detail> {
    let mut out = Vec::new();
    if let Some(key) = phase.pending_key()
        && !matches!(phase, Phase::OutcomeUnknown { .. })
    {
        out.push(detail("waiting on", key.as_str()));
    }
    match phase {
        Phase::Searching { .. } => {}
        Phase::Watching { next_search_at, .. } => {
            out.push(detail("next search", next_search_at.to_rfc3339()));
        }
        Phase::Paused { waiting, reason } => {
            out.push(detail("paused before", waiting.status()));
            out.push(detail("because", reason.clone()));
        }
        Phase::CancellingBooking { booking, .. } => {
            out.push(detail("order", order_text(&booking.order)));
            out.push(detail("captured", booking.captured.to_string()));
        }
        Phase::Refunding {
            booking, amount, ..
        } => {
            out.push(detail("order", order_text(&booking.order)));
            out.push(detail(
                "refunding",
                format!(
                    "{amount} of {} on {}",
                    booking.captured, booking.payment_intent_id
                ),
            ));
        }
        Phase::Cancelled {
            booking_reference,
            charged,
            refunded,
            notified,
        } => {
            if let Some(reference) = booking_reference {
                out.push(detail("cancelled booking", reference.clone()));
            }
            let money = |m: &Option<autobook_contracts::Money>| {
                m.map_or("nothing".to_owned(), |m| m.to_string())
            };
            out.push(detail("charged", money(charged)));
            out.push(detail("refunded", money(refunded)));
            out.push(detail("notified", notified.to_string()));
        }
        Phase::Authorizing { offer, .. } => {
            out.push(detail(
                "offer",
                format!("{} ({})", offer.offer_id, offer.total),
            ));
        }
        Phase::Ordering { offer, hold, .. } => {
            out.push(detail(
                "offer",
                format!("{} ({})", offer.offer_id, offer.total),
            ));
            out.push(detail("hold", hold_text(hold)));
        }
        Phase::Capturing { hold, order, .. } => {
            out.push(detail("hold", hold_text(hold)));
            out.push(detail("order", order_text(order)));
        }
        Phase::ReleasingHold { hold, then, .. } => {
            out.push(detail("hold", hold_text(hold)));
            let then = match then {
                AfterRelease::Research => "search again".to_owned(),
                AfterRelease::Fail { reason } => format!("fail ({})", code_of(reason)),
                AfterRelease::Cancelled => "cancelled by the traveller".to_owned(),
            };
            out.push(detail("then", then));
        }
        Phase::CancellingOrder {
            hold,
            order,
            reason,
            ..
        } => {
            out.push(detail("hold", hold_text(hold)));
            out.push(detail("order", order_text(order)));
            out.push(detail("because", code_of(reason)));
        }
        Phase::Notifying { outcome, .. } => {
            let outcome = match outcome {
                Outcome::Booked { booking } => {
                    format!("booked ({})", booking.order.booking_reference)
                }
                Outcome::Failed { reason } => format!("failed ({})", code_of(reason)),
                Outcome::Cancelled { .. } => "cancelled".to_owned(),
            };
            out.push(detail("telling the traveller", outcome));
        }
        Phase::Booked { booking, notified } => {
            out.push(detail("order", order_text(&booking.order)));
            out.push(detail(
                "captured",
                format!("{} on {}", booking.captured, booking.payment_intent_id),
            ));
            out.push(detail("notified", notified.to_string()));
        }
        Phase::Failed { reason, notified } => {
            out.push(detail("reason", code_of(reason)));
            out.push(detail("notified", notified.to_string()));
        }
        Phase::OutcomeUnknown {
            waiting,
            detail: why,
        } => {
            let key = waiting
                .pending_key()
                .map_or(String::new(), |k| format!(" ({k})"));
            out.push(detail("waiting step", format!("{}{key}", waiting.status())));
            out.push(detail("detail", why.clone()));
        }
        Phase::Stuck {
            problem,
            hold,
            order,
            resume,
        } => {
            out.push(detail("problem", problem.clone()));
            if let Some(hold) = hold {
                out.push(detail("hold", hold_text(hold)));
            }
            if let Some(order) = order {
                out.push(detail("order", order_text(order)));
            }
            let resume = match resume.as_deref() {
                Some(phase) => {
                    let key = phase
                        .pending_key()
                        .map_or(String::new(), |k| format!(" ({k})"));
                    format!("{}{key}", phase.status())
                }
                None => "nothing to retry: abort it".to_owned(),
            };
            out.push(detail("retry resumes", resume));
        }
        Phase::Aborted {
            problem,
            operator,
            reason,
        } => {
            out.push(detail("problem", problem.clone()));
            out.push(detail("aborted by", operator.clone()));
            out.push(detail("reason", reason.clone()));
        }
    }
    out
}

/// One effect of an audit row, in words ("send payment.void").
pub fn effect_text(effect: &Value) -> String {
    if let Some(sent) = effect.get("send").and_then(Value::as_str) {
        return format!("send {sent}");
    }
    if let Some(timer) = effect.get("schedule") {
        let kind = timer
            .get("timer")
            .and_then(|t| t.get("kind"))
            .or_else(|| timer.get("kind"))
            .and_then(Value::as_str)
            .unwrap_or("timer");
        let after = effect.get("after_ms").and_then(Value::as_u64).unwrap_or(0);
        return format!("timer {kind} in {after} ms");
    }
    one_line(&effect.to_string())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use autobook_contracts::money::{Currency, Money};
    use autobook_contracts::{IdempotencyKey, Step};
    use uuid::Uuid;

    use super::*;

    fn hold() -> Hold {
        Hold {
            payment_intent_id: "pi_1".into(),
            amount: Money::new(12_345, Currency::USD),
        }
    }

    #[test]
    fn a_stuck_phase_shows_its_problem_and_what_a_retry_resumes() {
        let key = IdempotencyKey::derive(Uuid::now_v7(), Step::Void, 1);
        let phase = Phase::Stuck {
            problem: "hold could not be released after 2 attempts".into(),
            hold: Some(hold()),
            order: None,
            resume: Some(Box::new(Phase::ReleasingHold {
                key: key.clone(),
                hold: hold(),
                then: AfterRelease::Research,
            })),
        };
        let details = phase_details(&phase);
        let find = |name| {
            details
                .iter()
                .find(|d| d.name == name)
                .map(|d| d.value.clone())
        };
        assert_eq!(
            find("problem").as_deref(),
            Some("hold could not be released after 2 attempts")
        );
        assert_eq!(find("hold").as_deref(), Some("pi_1 (123.45 USD)"));
        assert_eq!(
            find("retry resumes"),
            Some(format!("releasing_hold ({key})"))
        );
        assert_eq!(find("waiting on"), None, "a stuck saga waits on nobody");
    }

    #[test]
    fn an_unknown_outcome_shows_the_step_it_waits_on() {
        let key = IdempotencyKey::derive(Uuid::now_v7(), Step::Void, 1);
        let phase = Phase::OutcomeUnknown {
            waiting: Box::new(Phase::ReleasingHold {
                key: key.clone(),
                hold: hold(),
                then: AfterRelease::Research,
            }),
            detail: "timed out".into(),
        };
        let details = phase_details(&phase);
        assert_eq!(details[0].name, "waiting step");
        assert_eq!(details[0].value, format!("releasing_hold ({key})"));
        assert_eq!(details[1].value, "timed out");
    }

    #[test]
    fn audit_effects_read_as_words() {
        let send = serde_json::json!({"send": "payment.void", "idempotency_key": "k"});
        assert_eq!(effect_text(&send), "send payment.void");
        let timer = serde_json::json!({
            "schedule": {"timer": {"kind": "retry_compensation", "idempotency_key": "k"}},
            "after_ms": 100
        });
        assert_eq!(effect_text(&timer), "timer retry_compensation in 100 ms");
    }
}
