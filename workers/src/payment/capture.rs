//! Captures (`CapturePayment`) and releases (`VoidHold`, and the worker's
//! own releases of holds it must not keep) of a PaymentIntent whose id
//! the saga holds.
//!
//! The intent itself de-duplicates both: it is captured or canceled at
//! most once. A lost answer is settled by retrieving the intent (see
//! [`super::keyed`]); a takeover retrieves it first. An intent Stripe does
//! not know (404 `resource_missing`) is a permanent answer: a capture
//! fails (the saga compensates), a release fails for good (an operator
//! looks), and neither is retried as if Stripe were down.

use autobook_contracts::Step;
use autobook_contracts::commands::{CapturePayment, VoidHold};

use super::keyed::{self, Keyed, Read};
use super::{PaymentService, replies};
use crate::providers::{CancellationReason, PaymentIntent, PaymentIntentStatus, ProviderError};
use crate::worker::gate;
use crate::worker::retry::Repeatable;
use crate::worker::{Attempt, Failure, Reply};

/// How a release ended.
pub(super) enum Released {
    /// The intent is canceled (now or before).
    Done(PaymentIntent),
    /// The intent is in a state that cannot be canceled (captured, say).
    NotCancelable(PaymentIntent),
    Missing,
    Unknown(ProviderError),
}

impl PaymentService {
    pub(super) async fn capture(
        &self,
        c: &CapturePayment,
        attempt: Attempt,
    ) -> Result<Reply, Failure> {
        let id = c.payment_intent_id.as_str();
        if attempt.look_up_first {
            // An earlier attempt may have captured: the intent's state says.
            match self.retrieve_or_missing(id).await? {
                None => return Ok(missing_capture(c)),
                Some(intent) if intent.status != PaymentIntentStatus::RequiresCapture => {
                    return Ok(replies::capture_result(c, &intent));
                }
                Some(_) => {}
            }
        }
        gate::check(self.flags.as_ref(), &c.user_id, Step::Capture)?;
        let captured = keyed::effect(
            c.idempotency_key.as_str(),
            |key| async move {
                self.caller
                    .call(Repeatable::ByIdempotencyKey, || {
                        self.stripe.capture_payment_intent(id, Some(c.amount), &key)
                    })
                    .await
                    .map(Some)
            },
            || async {
                Ok(match self.retrieve_or_missing(id).await? {
                    Some(intent) if intent.status == PaymentIntentStatus::RequiresCapture => {
                        Read::NotApplied
                    }
                    Some(intent) => Read::Settled(Some(intent)),
                    None => Read::Settled(None),
                })
            },
        );
        match captured.await? {
            Keyed::Done(Some(intent)) => Ok(replies::capture_result(c, &intent)),
            Keyed::Done(None) => Ok(missing_capture(c)),
            Keyed::Refused(error) if replies::is_missing(&error) => Ok(missing_capture(c)),
            // Refused (already captured, canceled, lapsed): the intent says what is true.
            Keyed::Refused(_) => match self.retrieve_or_missing(id).await? {
                Some(intent) => Ok(replies::capture_result(c, &intent)),
                None => Ok(missing_capture(c)),
            },
            Keyed::Unknown(error) => Ok(replies::unknown(
                c.idempotency_key.clone(),
                Step::Capture,
                &error,
            )),
            Keyed::Unavailable(error) => Err(Failure::unresolved(&error)),
        }
    }

    pub(super) async fn void(&self, c: &VoidHold, attempt: Attempt) -> Result<Reply, Failure> {
        let id = c.payment_intent_id.as_str();
        if attempt.look_up_first {
            match self.retrieve_or_missing(id).await? {
                None => return Ok(replies::void_missing(c)),
                Some(intent) if intent.status == PaymentIntentStatus::Canceled => {
                    return Ok(replies::void_result(c, &intent));
                }
                Some(_) => {}
            }
        }
        match self
            .release(
                id,
                CancellationReason::Abandoned,
                c.idempotency_key.as_str(),
            )
            .await?
        {
            Released::Done(intent) | Released::NotCancelable(intent) => {
                Ok(replies::void_result(c, &intent))
            }
            Released::Missing => Ok(replies::void_missing(c)),
            Released::Unknown(error) => Ok(replies::unknown(
                c.idempotency_key.clone(),
                Step::Void,
                &error,
            )),
        }
    }

    /// Releases a hold the worker must not keep (a duplicate, a card that
    /// needs the traveller); anything but a release is unresolved.
    pub(super) async fn cancel(
        &self,
        id: &str,
        reason: CancellationReason,
        key: &str,
    ) -> Result<(), Failure> {
        match self.release(id, reason, key).await? {
            Released::Done(_) | Released::Missing => Ok(()),
            Released::NotCancelable(intent) => Err(Failure::Unresolved {
                detail: format!(
                    "payment intent {} is {} and cannot be released",
                    intent.id,
                    intent.status.as_str()
                ),
            }),
            Released::Unknown(error) => Err(Failure::unresolved(&error)),
        }
    }

    /// Cancels the intent under `key`, settling a lost answer by
    /// retrieving it.
    async fn release(
        &self,
        id: &str,
        reason: CancellationReason,
        key: &str,
    ) -> Result<Released, Failure> {
        let canceled = keyed::effect(
            key,
            |key| async move {
                self.caller
                    .call(Repeatable::ByIdempotencyKey, || {
                        self.stripe.cancel_payment_intent(id, reason, &key)
                    })
                    .await
                    .map(Some)
            },
            || async {
                Ok(match self.retrieve_or_missing(id).await? {
                    Some(intent) if cancelable(&intent) => Read::NotApplied,
                    Some(intent) => Read::Settled(Some(intent)),
                    None => Read::Settled(None),
                })
            },
        );
        Ok(match canceled.await? {
            Keyed::Done(Some(intent)) => settled_release(intent),
            Keyed::Done(None) => Released::Missing,
            Keyed::Refused(error) if replies::is_missing(&error) => Released::Missing,
            // Stripe refuses to cancel an intent that is already canceled
            // (or captured): the intent says which.
            Keyed::Refused(error) => match self.retrieve_or_missing(id).await? {
                Some(intent) if cancelable(&intent) => Released::Unknown(error),
                Some(intent) => settled_release(intent),
                None => Released::Missing,
            },
            Keyed::Unknown(error) => Released::Unknown(error),
            Keyed::Unavailable(error) => return Err(Failure::unresolved(&error)),
        })
    }
}

fn settled_release(intent: PaymentIntent) -> Released {
    if intent.status == PaymentIntentStatus::Canceled {
        Released::Done(intent)
    } else {
        Released::NotCancelable(intent)
    }
}

/// Stripe can still cancel the intent (nothing captured, not canceled).
fn cancelable(intent: &PaymentIntent) -> bool {
    match intent.status {
        PaymentIntentStatus::RequiresPaymentMethod
        | PaymentIntentStatus::RequiresConfirmation
        | PaymentIntentStatus::RequiresAction
        | PaymentIntentStatus::Processing
        | PaymentIntentStatus::RequiresCapture => true,
        PaymentIntentStatus::Canceled
        | PaymentIntentStatus::Succeeded
        | PaymentIntentStatus::Other(_) => false,
    }
}

fn missing_capture(c: &CapturePayment) -> Reply {
    replies::capture_failed(c, "the payment intent does not exist at Stripe")
}
