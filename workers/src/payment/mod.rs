//! The payment worker: holds ([`authorize`]), captures and releases
//! ([`capture`]) and refunds ([`refund`]), through Stripe.
//!
//! No money step depends on an eventually consistent read: every unknown
//! outcome is settled by retrieving an object whose id we hold, or by a
//! list endpoint, never by Stripe's search index (which lags writes by up
//! to a minute). [`keyed`] holds the rule for idempotency keys: a key that
//! moves money is never varied unless a consistent read proves the earlier
//! key's effect does not exist.
//!
//! A hold and a capture move money: right before the call that would
//! place or take it, the flags are asked for the trip's user, and a denial
//! defers the step without calling Stripe (see [`crate::worker::gate`]).
//! Creating an unconfirmed intent moves nothing and is not gated; voids
//! and refunds give money back and are never gated.

pub mod authorize;
pub mod capture;
pub mod keyed;
pub mod refund;
pub mod replies;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use autobook_contracts::{Envelope, Message, QueueRole};
use autobook_flags::FlagSource;

use crate::providers::{PaymentIntent, StripeClient};
use crate::worker::retry::{Caller, Repeatable};
use crate::worker::{Attempt, Failure, Reply, Service};

pub struct PaymentService {
    pub stripe: StripeClient,
    pub caller: Caller,
    /// Asked before every hold and capture.
    pub flags: Arc<dyn FlagSource>,
}

impl Service for PaymentService {
    const QUEUE: QueueRole = QueueRole::Payment;

    async fn perform(&self, command: &Envelope, attempt: Attempt) -> Result<Reply, Failure> {
        match &command.message {
            Message::AuthorizePayment(c) => self.authorize(command, c, attempt).await,
            Message::CapturePayment(c) => self.capture(c, attempt).await,
            Message::VoidHold(c) => self.void(c, attempt).await,
            Message::RefundPayment(c) => self.refund(command, c, attempt).await,
            other => Err(Failure::Unsupported(other.message_type())),
        }
    }
}

impl PaymentService {
    /// The intent as Stripe holds it now (a consistent read).
    async fn retrieve(&self, id: &str) -> Result<PaymentIntent, Failure> {
        self.caller
            .call(Repeatable::ByIdempotencyKey, || {
                self.stripe.retrieve_payment_intent(id)
            })
            .await
            .map_err(|e| Failure::unresolved(&e))
    }

    /// The intent, or None when Stripe says it does not exist.
    async fn retrieve_or_missing(&self, id: &str) -> Result<Option<PaymentIntent>, Failure> {
        match self
            .caller
            .call(Repeatable::ByIdempotencyKey, || {
                self.stripe.retrieve_payment_intent(id)
            })
            .await
        {
            Ok(intent) => Ok(Some(intent)),
            Err(error) if replies::is_missing(&error) => Ok(None),
            Err(error) => Err(Failure::unresolved(&error)),
        }
    }
}
