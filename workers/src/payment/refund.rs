//! Refunds (`RefundPayment`): money back to the traveller's card after a
//! captured booking was cancelled. Never gated by the flags.
//!
//! The refund is created with the attempt's provider key as
//! `Idempotency-Key` (the command's key on the first attempt) and the
//! command's key in `metadata[idempotency_key]`. An answer that stays
//! unknown after the retries, or a takeover of the call, is settled by
//! listing the payment intent's refunds and taking the one made under the
//! key; a refund is created (again) only when none was. If the look-up
//! cannot settle it either, the reply is `StepOutcomeUnknown` and the saga
//! asks again later. A refund Stripe refuses is `RefundFailed`, which may
//! change when the saga tries the compensation again.

use std::collections::BTreeMap;

use autobook_contracts::commands::RefundPayment;
use autobook_contracts::events::{PaymentRefunded, RefundFailed};
use autobook_contracts::{Envelope, Step};

use super::PaymentService;
use crate::providers::{ErrorClass, NewRefund, Refund};
use crate::worker::retry::Repeatable;
use crate::worker::{Attempt, Failure, Reply};

/// Metadata key holding our idempotency key on Stripe refunds.
pub const METADATA_KEY: &str = "idempotency_key";

impl PaymentService {
    pub(super) async fn refund(
        &self,
        envelope: &Envelope,
        c: &RefundPayment,
        attempt: Attempt,
    ) -> Result<Reply, Failure> {
        if attempt.look_up_first
            && let Some(found) = self.find_refund(c).await?
        {
            return Ok(refunded(c, &found));
        }
        let new = NewRefund {
            payment_intent: c.payment_intent_id.clone(),
            amount: Some(c.amount),
            reason: None,
            metadata: BTreeMap::from([
                (METADATA_KEY.to_owned(), c.idempotency_key.to_string()),
                ("saga_id".to_owned(), envelope.saga_id.to_string()),
            ]),
        };
        let key = attempt.provider_key(c.idempotency_key.as_str());
        let created = self
            .caller
            .call(Repeatable::ByIdempotencyKey, || {
                self.stripe.create_refund(&new, &key)
            })
            .await;
        let error = match created {
            Ok(refund) => return Ok(refund_result(c, &refund)),
            Err(error) => error,
        };
        match error.class() {
            ErrorClass::Retryable => Err(Failure::unresolved(&error)),
            // Refused: perhaps because an earlier attempt refunded already.
            ErrorClass::Permanent => Ok(match self.find_refund(c).await? {
                Some(found) => refunded(c, &found),
                None => Reply::unknown(RefundFailed {
                    idempotency_key: c.idempotency_key.clone(),
                    payment_intent_id: c.payment_intent_id.clone(),
                    detail: error.to_string(),
                }),
            }),
            ErrorClass::OutcomeUnknown => {
                tracing::warn!(%error, "refund outcome unknown; looking it up");
                Ok(match self.find_refund(c).await? {
                    Some(found) => refunded(c, &found),
                    None => Reply::outcome_unknown(&c.idempotency_key, Step::Refund, &error),
                })
            }
        }
    }

    /// The refund made under the command's key, if any went through.
    async fn find_refund(&self, c: &RefundPayment) -> Result<Option<Refund>, Failure> {
        let refunds = self
            .caller
            .call(Repeatable::ByIdempotencyKey, || {
                self.stripe.list_refunds(&c.payment_intent_id)
            })
            .await
            .map_err(|e| Failure::unresolved(&e))?;
        Ok(made_under(refunds, c.idempotency_key.as_str()))
    }
}

/// The refund an earlier attempt made under `key`, if it went through or
/// is on its way; failed and canceled ones gave nothing back and do not
/// count.
pub fn made_under(refunds: Vec<Refund>, key: &str) -> Option<Refund> {
    refunds.into_iter().find(|refund| {
        refund.metadata.get(METADATA_KEY).map(String::as_str) == Some(key)
            && !refund.did_not_happen()
    })
}

fn refund_result(c: &RefundPayment, refund: &Refund) -> Reply {
    if refund.did_not_happen() {
        Reply::unknown(RefundFailed {
            idempotency_key: c.idempotency_key.clone(),
            payment_intent_id: c.payment_intent_id.clone(),
            detail: format!("refund {} is {}", refund.id, refund.status),
        })
    } else {
        refunded(c, refund)
    }
}

fn refunded(c: &RefundPayment, refund: &Refund) -> Reply {
    Reply::settled(PaymentRefunded {
        idempotency_key: c.idempotency_key.clone(),
        refund_id: refund.id.clone(),
        amount: refund.amount,
    })
}
