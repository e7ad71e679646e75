//! The order worker: creates and cancels airline orders through Duffel.
//!
//! Duffel has no idempotency header, so our key travels in the order's
//! metadata. A create that times out or fails with a 5xx may still have
//! made the order: it is looked up by that key (a bounded scan of the
//! order list, a consistent read) before any new attempt, and if it cannot
//! be settled (the scan stopped before the end, or Duffel did not answer)
//! the reply says so (`unknown`) instead of guessing.
//!
//! Creating an order commits the traveller's money: right before the first
//! create the flags are asked for the trip's user, and a denial defers the
//! step without calling Duffel (see [`crate::worker::gate`]). A look-up of
//! an earlier attempt's order comes first; cancellations are never gated.

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::sync::Arc;

use autobook_contracts::commands::{CancelOrder, CreateOrder};
use autobook_contracts::events::{
    CancelFailed, OrderCancelled, OrderCreated, OrderFailed, OrderFailureReason, StepOutcomeUnknown,
};
use autobook_contracts::{Envelope, Message, QueueRole, Step};
use autobook_flags::FlagSource;

use crate::providers::duffel::OrderLookup;
use crate::providers::{DuffelClient, DuffelOrder, ErrorClass, NewOrder, ProviderError};
use crate::worker::gate;
use crate::worker::retry::{Caller, Repeatable};
use crate::worker::{Attempt, Failure, Reply, Service};

/// Metadata key holding our idempotency key on Duffel orders.
pub const METADATA_KEY: &str = "idempotency_key";

/// Create attempts whose outcome stayed unknown before the reply says so.
const UNKNOWN_ATTEMPTS: usize = 3;

pub struct OrderService {
    pub duffel: DuffelClient,
    pub caller: Caller,
    /// Pages of recent orders scanned when looking an order up.
    pub lookup_pages: u32,
    /// Asked before every order is created.
    pub flags: Arc<dyn FlagSource>,
}

impl Service for OrderService {
    const QUEUE: QueueRole = QueueRole::Order;

    async fn perform(&self, command: &Envelope, attempt: Attempt) -> Result<Reply, Failure> {
        match &command.message {
            Message::CreateOrder(c) => self.create(command, c, attempt.look_up_first).await,
            Message::CancelOrder(c) => self.cancel(c).await,
            other => Err(Failure::Unsupported(other.message_type())),
        }
    }
}

impl OrderService {
    async fn create(
        &self,
        envelope: &Envelope,
        c: &CreateOrder,
        look_up_first: bool,
    ) -> Result<Reply, Failure> {
        if look_up_first {
            match self.look_up(c).await? {
                OrderLookup::Found(order) => return Ok(created(c, order)),
                OrderLookup::Absent => {}
                OrderLookup::Incomplete => return Ok(incomplete_look_up(c)),
            }
        }
        gate::check(self.flags.as_ref(), &c.user_id, Step::Order)?;
        let metadata = BTreeMap::from([
            (METADATA_KEY.to_owned(), c.idempotency_key.to_string()),
            ("saga_id".to_owned(), envelope.saga_id.to_string()),
        ]);
        let order = NewOrder {
            offer_id: &c.offer_id,
            amount: c.amount,
            passengers: &c.passengers,
            identity_documents_required: c.identity_documents_required,
            metadata,
        };
        for _ in 0..UNKNOWN_ATTEMPTS {
            match self
                .caller
                .call(Repeatable::No, || self.duffel.create_order(&order))
                .await
            {
                Ok(made) => return Ok(created(c, made)),
                Err(error) => match error.class() {
                    ErrorClass::Permanent => return Ok(refused(c, &error)),
                    ErrorClass::Retryable => return Err(Failure::unresolved(&error)),
                    ErrorClass::OutcomeUnknown => {
                        tracing::warn!(%error, "order outcome unknown; looking it up");
                        match self.look_up(c).await? {
                            OrderLookup::Found(found) => return Ok(created(c, found)),
                            OrderLookup::Absent => {}
                            OrderLookup::Incomplete => return Ok(incomplete_look_up(c)),
                        }
                    }
                },
            }
        }
        Ok(Reply::unknown(StepOutcomeUnknown {
            idempotency_key: c.idempotency_key.clone(),
            step: Step::Order,
            detail: "the airline did not answer clearly and no order was found".into(),
        }))
    }

    async fn look_up(&self, c: &CreateOrder) -> Result<OrderLookup, Failure> {
        self.caller
            .call(Repeatable::ByIdempotencyKey, || {
                self.duffel.find_order_by_metadata(
                    METADATA_KEY,
                    c.idempotency_key.as_str(),
                    self.lookup_pages,
                )
            })
            .await
            .map_err(|e| Failure::unresolved(&e))
    }

    async fn cancel(&self, c: &CancelOrder) -> Result<Reply, Failure> {
        match self
            .caller
            .call(Repeatable::ByIdempotencyKey, || {
                self.duffel.cancel_order(&c.order_id)
            })
            .await
        {
            Ok(cancellation) => Ok(Reply::settled(OrderCancelled {
                idempotency_key: c.idempotency_key.clone(),
                order_id: c.order_id.clone(),
                refund: cancellation.refund,
            })),
            // Failed compensations are tried again by the saga: the reply may change.
            Err(error) if error.class() == ErrorClass::Permanent => {
                Ok(Reply::unknown(CancelFailed {
                    idempotency_key: c.idempotency_key.clone(),
                    order_id: c.order_id.clone(),
                    detail: error.to_string(),
                }))
            }
            Err(error) if error.class() == ErrorClass::OutcomeUnknown => Ok(
                Reply::outcome_unknown(&c.idempotency_key, Step::Cancel, &error),
            ),
            Err(error) => Err(Failure::unresolved(&error)),
        }
    }
}

/// The scan of the orders stopped before the end: nothing is proven, the
/// saga asks again later.
fn incomplete_look_up(c: &CreateOrder) -> Reply {
    Reply::unknown(StepOutcomeUnknown {
        idempotency_key: c.idempotency_key.clone(),
        step: Step::Order,
        detail: "the orders could not all be scanned for this one".into(),
    })
}

fn created(c: &CreateOrder, order: DuffelOrder) -> Reply {
    Reply::settled(OrderCreated {
        idempotency_key: c.idempotency_key.clone(),
        order_id: order.id,
        booking_reference: order.booking_reference,
        amount: order.total,
    })
}

/// A definite refusal, with the reason the saga acts on.
fn refused(c: &CreateOrder, error: &ProviderError) -> Reply {
    let code = match error {
        ProviderError::Rejected { code, .. } => code.as_deref(),
        _ => None,
    };
    let reason = match code {
        Some("offer_no_longer_available" | "offer_expired" | "offer_not_found") => {
            OrderFailureReason::OfferExpired
        }
        Some("price_changed") => OrderFailureReason::PriceChanged,
        _ => OrderFailureReason::Permanent,
    };
    Reply::settled(OrderFailed {
        idempotency_key: c.idempotency_key.clone(),
        reason,
        detail: error.to_string(),
    })
}
