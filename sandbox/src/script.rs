//! Scripted faults: per operation, a FIFO of forced outcomes that is
//! consumed before any rate applies.
//!
//! Each entry is used by the next request that reaches that operation (after
//! authentication, validation and idempotency replay). An entry replaces the
//! rate draws for that request; `ok` forces a clean run.
//! `timeout_after_effect` and `server_error_after_effect` apply the effect,
//! then lose the answer: it is held back by `timeout_delay`, or a 500 is
//! answered in its place (stored under the idempotency key where the
//! provider has one); see [`LosesAnswer`].
//!
//! | queue | consumed by |
//! |---|---|
//! | `orders` | `POST /air/orders` |
//! | `cancellations` | `POST /air/order_cancellations` and `.../actions/confirm` |
//! | `creations` | Stripe create without `confirm=true` |
//! | `authorizations` | Stripe confirm (and create with `confirm=true`) |
//! | `captures` | Stripe capture |
//! | `voids` | Stripe cancel |
//! | `refunds` | Stripe `POST /v1/refunds` |
//! | `emails` | `POST /emails` |
//! | `prices` | `POST /air/offer_requests` (every valid search, offers or not) |
//! | `searches` | `POST /air/offer_requests` (every valid search, offers or not) |
//!
//! `prices` are not faults but fare multipliers: the n-th search after they
//! were queued has every offer's fare multiplied by the n-th (1.4 = 40%
//! dearer, 0.7 = 30% cheaper), on top of the usual drift or price motion;
//! once they are used up fares are back to normal.

use std::collections::VecDeque;

use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};

use crate::faults::{AnswerLoss, Faults};

/// Forced outcomes, appended to the running queues by
/// `RunningSandbox::push_script` or `POST /faults/script`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaultScript {
    pub orders: Vec<OrderFault>,
    pub captures: Vec<CaptureFault>,
    pub creations: Vec<CreationFault>,
    pub authorizations: Vec<AuthorizationFault>,
    pub voids: Vec<VoidFault>,
    pub refunds: Vec<RefundFault>,
    pub cancellations: Vec<CancellationFault>,
    pub emails: Vec<EmailFault>,
    /// Fare multipliers of the next searches, one per search, in order;
    /// each must be finite and above zero.
    pub prices: Vec<f64>,
    /// How the suppliers answer the next searches, one per search.
    pub searches: Vec<SearchFault>,
}

/// A script that cannot be queued.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScriptError {
    #[error("prices[{index}] must be a finite multiplier above 0")]
    PriceMultiplier { index: usize },
}

impl FaultScript {
    /// Checks that every price multiplier is finite and positive.
    pub fn validate(&self) -> Result<(), ScriptError> {
        match self.prices.iter().position(|m| !m.is_finite() || *m <= 0.0) {
            Some(index) => Err(ScriptError::PriceMultiplier { index }),
            None => Ok(()),
        }
    }
}

/// Forced outcome of one order creation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderFault {
    Ok,
    /// The offer turns expired for good.
    OfferExpired,
    /// The offer's price rises 3-15%.
    PriceChanged,
    /// The airline refuses the offer for good.
    Rejected,
    /// The order is created, then the answer is delayed.
    TimeoutAfterEffect,
    /// The order is created, then a 500 is answered.
    ServerErrorAfterEffect,
    /// 503 or 429 before anything happens.
    Transient,
}

/// Forced outcome of one capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaptureFault {
    Ok,
    /// The hold has lapsed: the intent is canceled and the capture fails.
    Lapsed,
    Transient,
    TimeoutAfterEffect,
    /// The capture is made, then a 500 is answered (stored under the key).
    ServerErrorAfterEffect,
}

/// Forced outcome of one payment intent creation without `confirm=true`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CreationFault {
    Ok,
    Transient,
    /// The intent is created, then the answer is delayed.
    TimeoutAfterEffect,
    /// The intent is created, then a 500 is answered (stored under the key).
    ServerErrorAfterEffect,
}

/// Forced outcome of one confirmation (authorization hold).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthorizationFault {
    Ok,
    Transient,
    TimeoutAfterEffect,
    /// The hold is placed, then the answer is a 500 (stored under the key).
    ServerErrorAfterEffect,
}

/// Forced outcome of one payment intent cancellation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VoidFault {
    Ok,
    Transient,
    /// The intent is canceled, then the answer is delayed.
    TimeoutAfterEffect,
    /// The intent is canceled, then a 500 is answered (stored under the key).
    ServerErrorAfterEffect,
}

/// Forced outcome of one refund.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundFault {
    Ok,
    /// 503 or 429 before anything happens.
    Transient,
    /// A 500 before anything happens: not stored under the idempotency
    /// key, so nothing was refunded and asking again runs afresh.
    ServerError,
    /// The refund is made, then the answer is delayed.
    TimeoutAfterEffect,
    /// The refund is made, then the answer is a 500 (stored under the key).
    ServerErrorAfterEffect,
}

/// Forced outcome of one Duffel cancellation call (create or confirm).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CancellationFault {
    Ok,
    Transient,
    /// The quote is made (create) or the order cancelled (confirm), then
    /// the answer is delayed.
    TimeoutAfterEffect,
    /// The quote is made or the order cancelled, then a 500 is answered.
    ServerErrorAfterEffect,
}

/// Forced outcome of one email.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmailFault {
    Ok,
    /// 422 "recipient rejected", stored under the idempotency key.
    Rejected,
    Transient,
    /// The email is sent, then the answer is delayed.
    TimeoutAfterEffect,
    /// The email is sent, then a 500 is answered (stored under the key).
    ServerErrorAfterEffect,
}

/// What a scripted entry does to the answer of an applied effect.
pub(crate) trait LosesAnswer: Copy {
    fn answer_loss(self) -> Option<AnswerLoss>;
}

/// How the answer to an effect just applied is lost: as the scripted entry
/// says, or drawn from the rates when none is queued.
pub(crate) fn answer_loss<F: LosesAnswer>(
    scripted: Option<F>,
    faults: &Faults,
    rng: &mut StdRng,
) -> Option<AnswerLoss> {
    match scripted {
        Some(fault) => fault.answer_loss(),
        None => faults.draw_answer_loss(rng),
    }
}

impl LosesAnswer for OrderFault {
    fn answer_loss(self) -> Option<AnswerLoss> {
        match self {
            OrderFault::TimeoutAfterEffect => Some(AnswerLoss::Timeout),
            OrderFault::ServerErrorAfterEffect => Some(AnswerLoss::ServerError),
            OrderFault::Ok
            | OrderFault::OfferExpired
            | OrderFault::PriceChanged
            | OrderFault::Rejected
            | OrderFault::Transient => None,
        }
    }
}

impl LosesAnswer for CaptureFault {
    fn answer_loss(self) -> Option<AnswerLoss> {
        match self {
            CaptureFault::TimeoutAfterEffect => Some(AnswerLoss::Timeout),
            CaptureFault::ServerErrorAfterEffect => Some(AnswerLoss::ServerError),
            CaptureFault::Ok | CaptureFault::Lapsed | CaptureFault::Transient => None,
        }
    }
}

impl LosesAnswer for CreationFault {
    fn answer_loss(self) -> Option<AnswerLoss> {
        match self {
            CreationFault::TimeoutAfterEffect => Some(AnswerLoss::Timeout),
            CreationFault::ServerErrorAfterEffect => Some(AnswerLoss::ServerError),
            CreationFault::Ok | CreationFault::Transient => None,
        }
    }
}

impl LosesAnswer for AuthorizationFault {
    fn answer_loss(self) -> Option<AnswerLoss> {
        match self {
            AuthorizationFault::TimeoutAfterEffect => Some(AnswerLoss::Timeout),
            AuthorizationFault::ServerErrorAfterEffect => Some(AnswerLoss::ServerError),
            AuthorizationFault::Ok | AuthorizationFault::Transient => None,
        }
    }
}

impl LosesAnswer for VoidFault {
    fn answer_loss(self) -> Option<AnswerLoss> {
        match self {
            VoidFault::TimeoutAfterEffect => Some(AnswerLoss::Timeout),
            VoidFault::ServerErrorAfterEffect => Some(AnswerLoss::ServerError),
            VoidFault::Ok | VoidFault::Transient => None,
        }
    }
}

impl LosesAnswer for RefundFault {
    fn answer_loss(self) -> Option<AnswerLoss> {
        match self {
            RefundFault::TimeoutAfterEffect => Some(AnswerLoss::Timeout),
            RefundFault::ServerErrorAfterEffect => Some(AnswerLoss::ServerError),
            RefundFault::Ok | RefundFault::Transient | RefundFault::ServerError => None,
        }
    }
}

impl LosesAnswer for CancellationFault {
    fn answer_loss(self) -> Option<AnswerLoss> {
        match self {
            CancellationFault::TimeoutAfterEffect => Some(AnswerLoss::Timeout),
            CancellationFault::ServerErrorAfterEffect => Some(AnswerLoss::ServerError),
            CancellationFault::Ok | CancellationFault::Transient => None,
        }
    }
}

impl LosesAnswer for EmailFault {
    fn answer_loss(self) -> Option<AnswerLoss> {
        match self {
            EmailFault::TimeoutAfterEffect => Some(AnswerLoss::Timeout),
            EmailFault::ServerErrorAfterEffect => Some(AnswerLoss::ServerError),
            EmailFault::Ok | EmailFault::Rejected | EmailFault::Transient => None,
        }
    }
}

/// Forced answer of one search (offer request).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SearchFault {
    Ok,
    /// Every offer of the search is answered for another route: its
    /// outbound slice lands back where it left (LHR-LHR for LHR-JFK).
    WrongRoute,
}

/// The running queues.
#[derive(Debug, Default)]
pub(crate) struct ScriptQueues {
    orders: VecDeque<OrderFault>,
    captures: VecDeque<CaptureFault>,
    creations: VecDeque<CreationFault>,
    authorizations: VecDeque<AuthorizationFault>,
    voids: VecDeque<VoidFault>,
    refunds: VecDeque<RefundFault>,
    cancellations: VecDeque<CancellationFault>,
    emails: VecDeque<EmailFault>,
    prices: VecDeque<f64>,
    searches: VecDeque<SearchFault>,
}

impl ScriptQueues {
    pub(crate) fn append(&mut self, script: FaultScript) {
        self.orders.extend(script.orders);
        self.captures.extend(script.captures);
        self.creations.extend(script.creations);
        self.authorizations.extend(script.authorizations);
        self.voids.extend(script.voids);
        self.refunds.extend(script.refunds);
        self.cancellations.extend(script.cancellations);
        self.emails.extend(script.emails);
        self.prices.extend(script.prices);
        self.searches.extend(script.searches);
    }

    /// What is still queued, in order.
    pub(crate) fn remaining(&self) -> FaultScript {
        FaultScript {
            orders: self.orders.iter().copied().collect(),
            captures: self.captures.iter().copied().collect(),
            creations: self.creations.iter().copied().collect(),
            authorizations: self.authorizations.iter().copied().collect(),
            voids: self.voids.iter().copied().collect(),
            refunds: self.refunds.iter().copied().collect(),
            cancellations: self.cancellations.iter().copied().collect(),
            emails: self.emails.iter().copied().collect(),
            prices: self.prices.iter().copied().collect(),
            searches: self.searches.iter().copied().collect(),
        }
    }

    pub(crate) fn next_order(&mut self) -> Option<OrderFault> {
        self.orders.pop_front()
    }

    pub(crate) fn next_capture(&mut self) -> Option<CaptureFault> {
        self.captures.pop_front()
    }

    pub(crate) fn next_creation(&mut self) -> Option<CreationFault> {
        self.creations.pop_front()
    }

    pub(crate) fn next_authorization(&mut self) -> Option<AuthorizationFault> {
        self.authorizations.pop_front()
    }

    pub(crate) fn next_void(&mut self) -> Option<VoidFault> {
        self.voids.pop_front()
    }

    pub(crate) fn next_refund(&mut self) -> Option<RefundFault> {
        self.refunds.pop_front()
    }

    pub(crate) fn next_cancellation(&mut self) -> Option<CancellationFault> {
        self.cancellations.pop_front()
    }

    pub(crate) fn next_email(&mut self) -> Option<EmailFault> {
        self.emails.pop_front()
    }

    /// The fare multiplier of this search, if one is queued.
    pub(crate) fn next_price(&mut self) -> Option<f64> {
        self.prices.pop_front()
    }

    /// How the suppliers answer this search, if an entry is queued.
    pub(crate) fn next_search(&mut self) -> Option<SearchFault> {
        self.searches.pop_front()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_parse_from_json_and_queue_in_order() {
        let script: FaultScript = serde_json::from_str(
            r#"{"orders":["price_changed","ok"],"captures":["lapsed"],"emails":["rejected"]}"#,
        )
        .unwrap();
        let mut queues = ScriptQueues::default();
        queues.append(script.clone());
        queues.append(FaultScript {
            orders: vec![OrderFault::Transient],
            ..FaultScript::default()
        });
        assert_eq!(queues.next_order(), Some(OrderFault::PriceChanged));
        assert_eq!(
            queues.remaining().orders,
            vec![OrderFault::Ok, OrderFault::Transient]
        );
        assert_eq!(queues.next_capture(), Some(CaptureFault::Lapsed));
        assert_eq!(queues.next_capture(), None);
        assert!(serde_json::from_str::<FaultScript>(r#"{"orders":["boom"]}"#).is_err());
    }

    #[test]
    fn price_multipliers_queue_in_order_and_must_be_positive() {
        let script: FaultScript = serde_json::from_str(r#"{"prices":[1.4,1.4,0.7]}"#).unwrap();
        script.validate().unwrap();
        let mut queues = ScriptQueues::default();
        queues.append(script);
        assert_eq!(queues.next_price(), Some(1.4));
        assert_eq!(queues.remaining().prices, vec![1.4, 0.7]);
        assert_eq!(queues.next_price(), Some(1.4));
        assert_eq!(queues.next_price(), Some(0.7));
        assert_eq!(queues.next_price(), None);
        for bad in [0.0, -1.0, f64::INFINITY, f64::NAN] {
            let script = FaultScript {
                prices: vec![1.0, bad],
                ..FaultScript::default()
            };
            assert_eq!(
                script.validate(),
                Err(ScriptError::PriceMultiplier { index: 1 })
            );
        }
    }
}
