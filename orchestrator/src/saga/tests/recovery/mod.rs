//! Recovery: steps whose outcome is unknown (re-checked with the same
//! command and key, with doubling pauses, until the saga is stuck), failed
//! compensations (retried, then stuck), and what an operator can do with a
//! stuck saga (retry with fresh budgets, or abort). The shared samples are
//! here; the tests sit by theme in the modules below.

mod bugs;
mod compensations;
mod operators;
mod stored;
mod unknown_outcomes;

use std::time::Duration;

use autobook_contracts::events::*;
use autobook_contracts::notification::FailureReason;
use autobook_contracts::{Message, MessageType, Step};

use super::fixtures::*;
use crate::saga::state::{AfterRelease, Hold, OrderRef, Outcome, Phase, Saga};
use crate::saga::{Admission, DecideError, Decision, Effect, Policy, start, steps};

const DETAIL: &str = "provider timed out";

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn hold() -> Hold {
    Hold {
        payment_intent_id: "pi_1".into(),
        amount: usd(40000),
    }
}

fn order_ref() -> OrderRef {
    OrderRef {
        order_id: "ord_1".into(),
        booking_reference: "RZPNX8".into(),
        amount: usd(40000),
    }
}

/// A phase that waits on a worker, the decision that entered it (whose
/// only effect is the command it sent) and what it holds at the providers.
struct Waiting {
    status: &'static str,
    step: Step,
    entry: Decision,
    hold: Option<Hold>,
    order: Option<OrderRef>,
}

fn waiting_phases() -> Vec<Waiting> {
    let w = |status, step, entry, hold, order| Waiting {
        status,
        step,
        entry,
        hold,
        order,
    };
    vec![
        w(
            "searching",
            Step::Search,
            start(
                saga_id(),
                trip(),
                now(),
                &Policy::default(),
                &Admission::Open,
            )
            .unwrap(),
            None,
            None,
        ),
        w(
            "authorizing",
            Step::Authorize,
            enter_authorizing(),
            None,
            None,
        ),
        w(
            "ordering",
            Step::Order,
            enter_ordering(),
            Some(hold()),
            None,
        ),
        w(
            "capturing",
            Step::Capture,
            enter_capturing(),
            Some(hold()),
            Some(order_ref()),
        ),
        w(
            "releasing_hold",
            Step::Void,
            enter_releasing_hold(),
            Some(hold()),
            None,
        ),
        w(
            "cancelling_order",
            Step::Cancel,
            enter_cancelling_order(),
            Some(hold()),
            Some(order_ref()),
        ),
        w(
            "notifying",
            Step::Notify,
            enter_notifying_booked(),
            None,
            None,
        ),
        w(
            "notifying",
            Step::Notify,
            enter_notifying_failed(),
            None,
            None,
        ),
    ]
}

/// The only effect of the decision, a timer.
fn scheduled(decision: &Decision) -> (SagaTimer, Duration) {
    match decision.effects.as_slice() {
        [Effect::Schedule { timer, after }] => (timer.clone(), *after),
        other => panic!("expected one timer, got {other:?}"),
    }
}

/// A saga in `outcome_unknown` while waiting on `saga`'s step.
fn outcome_unknown(saga: &Saga, step: Step) -> Saga {
    apply(saga, unknown(pending(saga), step)).saga
}

/// The stuck saga that exhausting the re-checks of `saga`'s step leads to.
fn stuck_by_rechecks(saga: &Saga, step: Step) -> Saga {
    let mut saga = saga.clone();
    saga.rechecks = policy().max_rechecks;
    let stuck = apply(&saga, unknown(pending(&saga), step)).saga;
    assert_eq!(status(&stuck), "stuck");
    stuck
}

fn void_failed() -> VoidFailed {
    VoidFailed {
        idempotency_key: key(Step::Void, 1),
        payment_intent_id: "pi_1".into(),
        detail: "stripe 503".into(),
        permanent: false,
    }
}

fn cancel_failed() -> CancelFailed {
    CancelFailed {
        idempotency_key: key(Step::Cancel, 1),
        order_id: "ord_1".into(),
        detail: "duffel 503".into(),
    }
}
