//! Refunds (`RefundPayment`): money back to the traveller's card after a
//! captured booking was cancelled. Never gated by the flags.
//!
//! The refund is created with the command's key as `Idempotency-Key` and
//! in `metadata[idempotency_key]`. A refund is a new object, so the key is
//! what keeps it single: a lost answer, or a takeover of the call, is
//! settled by listing the payment intent's refunds (a consistent read) and
//! taking the one made under the key, and another generation of the key
//! is used only when a 5xx ended the request and the list proves no
//! refund was made (see [`super::keyed`]). If nothing can settle it, the
//! reply is `StepOutcomeUnknown` and the saga asks again later. A refund
//! Stripe refuses is `RefundFailed`, which may change when the saga tries
//! the compensation again; one of an intent Stripe does not know is
//! `RefundFailed` for good.

use std::collections::BTreeMap;

use autobook_contracts::commands::RefundPayment;
use autobook_contracts::events::{PaymentRefunded, RefundFailed};
use autobook_contracts::{Envelope, Step};

use super::keyed::{self, Keyed, Read};
use super::{PaymentService, replies};
use crate::providers::stripe::ListFilter;
use crate::providers::{NewRefund, Refund};
use crate::worker::retry::Repeatable;
use crate::worker::{Attempt, Failure, Reply};

/// Metadata key holding our idempotency key on Stripe refunds.
pub const METADATA_KEY: &str = "idempotency_key";

/// Pages of 100 refunds of one payment intent read at most.
const REFUND_PAGES: u32 = 10;

impl PaymentService {
    pub(super) async fn refund(
        &self,
        envelope: &Envelope,
        c: &RefundPayment,
        attempt: Attempt,
    ) -> Result<Reply, Failure> {
        if attempt.look_up_first {
            match self.find_refund(c).await? {
                Read::Settled(found) => return Ok(refunded(c, &found)),
                Read::NotApplied => {}
                Read::Unsettled => {
                    return Ok(replies::unknown_detail(
                        c.idempotency_key.clone(),
                        Step::Refund,
                        "the payment intent's refunds could not all be listed",
                    ));
                }
            }
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
        let created = keyed::effect(
            c.idempotency_key.as_str(),
            |key| {
                let new = &new;
                async move {
                    self.caller
                        .call(Repeatable::ByIdempotencyKey, || {
                            self.stripe.create_refund(new, &key)
                        })
                        .await
                }
            },
            || self.find_refund(c),
        )
        .await?;
        match created {
            Keyed::Done(refund) => Ok(refund_result(c, &refund)),
            Keyed::Refused(error) if replies::is_missing(&error) => {
                Ok(Reply::settled(RefundFailed {
                    idempotency_key: c.idempotency_key.clone(),
                    payment_intent_id: c.payment_intent_id.clone(),
                    detail: "the payment intent does not exist at Stripe".into(),
                    permanent: true,
                }))
            }
            // Refused: perhaps because an earlier attempt refunded already.
            Keyed::Refused(error) => Ok(match self.find_refund(c).await? {
                Read::Settled(found) => refunded(c, &found),
                Read::NotApplied | Read::Unsettled => Reply::unknown(RefundFailed {
                    idempotency_key: c.idempotency_key.clone(),
                    payment_intent_id: c.payment_intent_id.clone(),
                    detail: error.to_string(),
                    permanent: false,
                }),
            }),
            Keyed::Unknown(error) => Ok(replies::unknown(
                c.idempotency_key.clone(),
                Step::Refund,
                &error,
            )),
            Keyed::Unavailable(error) => Err(Failure::unresolved(&error)),
        }
    }

    /// The refund made under the command's key, read from the payment
    /// intent's refunds (a list: consistent).
    async fn find_refund(&self, c: &RefundPayment) -> Result<Read<Refund>, Failure> {
        let filter = ListFilter {
            payment_intent: Some(c.payment_intent_id.clone()),
            ..ListFilter::default()
        };
        let listed = self
            .caller
            .call(Repeatable::ByIdempotencyKey, || {
                self.stripe.list_refunds_filtered(&filter, REFUND_PAGES)
            })
            .await
            .map_err(|e| Failure::unresolved(&e))?;
        Ok(match made_under(listed.items, c.idempotency_key.as_str()) {
            Some(found) => Read::Settled(found),
            None if listed.complete => Read::NotApplied,
            None => Read::Unsettled,
        })
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
            permanent: false,
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
