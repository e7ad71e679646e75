//! Holds (`AuthorizePayment`): a manual-capture PaymentIntent created
//! unconfirmed, its id recorded, then confirmed by id.
//!
//! An unconfirmed intent holds no money, so creating it needs no flag
//! check and a duplicate of it would cost nothing; only the confirmation
//! places the hold, and a PaymentIntent can hold money at most once, so
//! the hold is bound to the one intent whose id the call recorded:
//!
//! 1. The intent: the one recorded by an earlier attempt (retrieved by
//!    id); or, on a takeover that recorded none, the one listed (a
//!    consistent read, never search) with our key in its metadata among
//!    the intents created since the call was first claimed; or a new one,
//!    created under the step's key (see [`super::keyed`] for when a lost
//!    answer may lead to another key).
//! 2. Its id is recorded in the provider-call ledger before anything else.
//! 3. The flags are asked, then the intent is confirmed by id under
//!    `<key>:confirm:<intent>`; a lost answer is settled by retrieving the
//!    intent.
//!
//! A confirmation that needs the traveller (3-D Secure, `requires_action`)
//! cannot be completed by an unattended booking: the intent is canceled
//! and the payment reported declined (`authentication_required`), so the
//! saga fails cleanly and tells the traveller.

use std::collections::BTreeMap;

use autobook_contracts::commands::AuthorizePayment;
use autobook_contracts::stripe_webhook::{IDEMPOTENCY_KEY_METADATA, SAGA_ID_METADATA};
use autobook_contracts::{Envelope, Step};

use super::keyed::{self, Keyed, Read};
use super::{PaymentService, replies};
use crate::providers::stripe::ListFilter;
use crate::providers::{CancellationReason, NewPaymentIntent, PaymentIntent, PaymentIntentStatus};
use crate::worker::gate;
use crate::worker::retry::Repeatable;
use crate::worker::{Attempt, Failure, Reply};

/// Pages of 100 intents listed when looking for the intent of a call.
pub const LOOKUP_PAGES: u32 = 20;

/// How far before the call's first claim an intent made for it may have
/// been created (clocks differ).
const CLOCK_MARGIN_SECS: i64 = 600;

/// Where the search for the call's intent ended.
enum Found {
    Intent(PaymentIntent),
    None,
    /// The listing did not reach the end of the window.
    Unsettled,
}

impl PaymentService {
    pub(super) async fn authorize(
        &self,
        envelope: &Envelope,
        c: &AuthorizePayment,
        mut attempt: Attempt,
    ) -> Result<Reply, Failure> {
        let intent = match attempt.recorded.clone() {
            Some(id) => self.retrieve(&id).await?,
            None => {
                let found = if attempt.look_up_first {
                    self.find_intent(c, &attempt).await?
                } else {
                    Found::None
                };
                match found {
                    Found::Intent(intent) => intent,
                    Found::Unsettled => {
                        return Ok(replies::unknown_detail(
                            c.idempotency_key.clone(),
                            Step::Authorize,
                            "the intents created for the hold could not all be listed",
                        ));
                    }
                    Found::None => {
                        // Nothing was made for this step yet: ask the flags
                        // before calling Stripe at all.
                        gate::check(self.flags.as_ref(), &c.user_id, Step::Authorize)?;
                        match self.create_intent(envelope, c, &attempt).await? {
                            Ok(intent) => {
                                autobook_broker::crash::point("payment.after_create");
                                intent
                            }
                            Err(reply) => return Ok(reply),
                        }
                    }
                }
            }
        };
        attempt.record(&intent.id).await?;
        autobook_broker::crash::point("payment.after_record");
        self.to_hold(c, intent).await
    }

    /// The intents created for this call, found by listing those created
    /// since it was first claimed (a consistent read). More than one (an
    /// earlier key's object and a later one's) should not happen; the one
    /// holding money wins and other holds are released.
    async fn find_intent(&self, c: &AuthorizePayment, attempt: &Attempt) -> Result<Found, Failure> {
        let filter = ListFilter {
            created_from: Some(attempt.since.timestamp() - CLOCK_MARGIN_SECS),
            customer: c.customer.as_ref().map(ToString::to_string),
            ..ListFilter::default()
        };
        let listed = self
            .caller
            .call(Repeatable::ByIdempotencyKey, || {
                self.stripe.list_payment_intents(&filter, LOOKUP_PAGES)
            })
            .await
            .map_err(|e| Failure::unresolved(&e))?;
        let key = c.idempotency_key.as_str();
        let mut ours: Vec<PaymentIntent> = listed
            .items
            .into_iter()
            .filter(|intent| {
                intent
                    .metadata
                    .get(IDEMPOTENCY_KEY_METADATA)
                    .map(String::as_str)
                    == Some(key)
            })
            .collect();
        if ours.is_empty() {
            return Ok(if listed.complete {
                Found::None
            } else {
                Found::Unsettled
            });
        }
        ours.sort_by_key(|intent| intent.status != PaymentIntentStatus::RequiresCapture);
        let chosen = ours.remove(0);
        for extra in ours
            .iter()
            .filter(|intent| intent.status == PaymentIntentStatus::RequiresCapture)
        {
            tracing::error!(payment_intent_id = %extra.id, "a second hold for one step; releasing it");
            self.cancel(
                &extra.id,
                CancellationReason::Duplicate,
                &format!("{key}:duplicate:{}", extra.id),
            )
            .await?;
        }
        Ok(Found::Intent(chosen))
    }

    /// Creates the unconfirmed intent under the step's key.
    async fn create_intent(
        &self,
        envelope: &Envelope,
        c: &AuthorizePayment,
        attempt: &Attempt,
    ) -> Result<Result<PaymentIntent, Reply>, Failure> {
        let key = c.idempotency_key.as_str();
        let new = NewPaymentIntent {
            amount: c.amount,
            payment_method: c.payment_method.to_string(),
            customer: c.customer.as_ref().map(ToString::to_string),
            description: c.description.clone(),
            metadata: BTreeMap::from([
                // Names the saga in the webhook events Stripe sends about it.
                (SAGA_ID_METADATA.to_owned(), envelope.saga_id.to_string()),
                (IDEMPOTENCY_KEY_METADATA.to_owned(), key.to_owned()),
            ]),
        };
        let created = keyed::effect(
            key,
            |key| {
                let new = &new;
                async move {
                    self.caller
                        .call(Repeatable::ByIdempotencyKey, || {
                            self.stripe.create_payment_intent(new, &key)
                        })
                        .await
                }
            },
            || async {
                Ok(match self.find_intent(c, attempt).await? {
                    Found::Intent(intent) => Read::Settled(intent),
                    Found::None => Read::NotApplied,
                    Found::Unsettled => Read::Unsettled,
                })
            },
        )
        .await?;
        Ok(match created {
            Keyed::Done(intent) => Ok(intent),
            Keyed::Refused(error) => Err(replies::authorization_refused(c, None, &error)),
            Keyed::Unknown(error) => Err(replies::unknown(
                c.idempotency_key.clone(),
                Step::Authorize,
                &error,
            )),
            Keyed::Unavailable(error) => return Err(Failure::unresolved(&error)),
        })
    }

    /// Takes the recorded intent the rest of the way to a hold, or reports
    /// what became of it.
    async fn to_hold(&self, c: &AuthorizePayment, intent: PaymentIntent) -> Result<Reply, Failure> {
        match intent.status {
            PaymentIntentStatus::RequiresCapture => Ok(replies::authorized(c, &intent)),
            // A card declined at an earlier confirmation: that answer stands.
            PaymentIntentStatus::RequiresPaymentMethod if intent.last_decline_code.is_some() => {
                Ok(replies::declined_from_intent(c, &intent))
            }
            PaymentIntentStatus::RequiresConfirmation
            | PaymentIntentStatus::RequiresPaymentMethod => {
                gate::check(self.flags.as_ref(), &c.user_id, Step::Authorize)?;
                self.confirm(c, intent).await
            }
            PaymentIntentStatus::RequiresAction => self.give_up_authentication(c, intent).await,
            PaymentIntentStatus::Canceled => Ok(replies::payment_failed(
                c,
                "the payment intent was canceled",
            )),
            // Money taken at once, or a state this worker does not know: an
            // operator must look, never a guess.
            PaymentIntentStatus::Processing
            | PaymentIntentStatus::Succeeded
            | PaymentIntentStatus::Other(_) => Ok(replies::unknown_detail(
                c.idempotency_key.clone(),
                Step::Authorize,
                &format!("payment intent {} is {}", intent.id, intent.status.as_str()),
            )),
        }
    }

    /// Confirms the intent by id: the call that places the hold.
    async fn confirm(&self, c: &AuthorizePayment, intent: PaymentIntent) -> Result<Reply, Failure> {
        let base = format!("{}:confirm:{}", c.idempotency_key, intent.id);
        let id = intent.id.as_str();
        let confirmed = keyed::effect(
            &base,
            |key| async move {
                self.caller
                    .call(Repeatable::ByIdempotencyKey, || {
                        self.stripe.confirm_payment_intent(id, &key)
                    })
                    .await
            },
            || async {
                let current = self.retrieve(id).await?;
                Ok(if confirmation_pending(&current) {
                    Read::NotApplied
                } else {
                    Read::Settled(current)
                })
            },
        )
        .await?;
        match confirmed {
            Keyed::Done(current) if confirmation_pending(&current) => Ok(replies::unknown_detail(
                c.idempotency_key.clone(),
                Step::Authorize,
                &format!("payment intent {id} is still {}", current.status.as_str()),
            )),
            Keyed::Done(current) => Box::pin(self.to_hold(c, current)).await,
            Keyed::Refused(error) if replies::is_card_error(&error) => Ok(
                replies::authorization_refused(c, Some(id.to_owned()), &error),
            ),
            // Refused for the intent's state (confirmed meanwhile, say):
            // the intent says what is true.
            Keyed::Refused(error) => {
                let current = self.retrieve(id).await?;
                if confirmation_pending(&current) {
                    Ok(replies::authorization_refused(
                        c,
                        Some(id.to_owned()),
                        &error,
                    ))
                } else {
                    Box::pin(self.to_hold(c, current)).await
                }
            }
            Keyed::Unknown(error) => Ok(replies::unknown(
                c.idempotency_key.clone(),
                Step::Authorize,
                &error,
            )),
            Keyed::Unavailable(error) => Err(Failure::unresolved(&error)),
        }
    }

    /// The card asks for the traveller (3-D Secure): release the intent
    /// and report the payment declined.
    async fn give_up_authentication(
        &self,
        c: &AuthorizePayment,
        intent: PaymentIntent,
    ) -> Result<Reply, Failure> {
        let key = format!("{}:abandon:{}", c.idempotency_key, intent.id);
        self.cancel(&intent.id, CancellationReason::Abandoned, &key)
            .await?;
        Ok(replies::authentication_required(c, &intent))
    }
}

/// Still waiting for a confirmation that would place the hold (and not
/// declined by an earlier one).
fn confirmation_pending(intent: &PaymentIntent) -> bool {
    match intent.status {
        PaymentIntentStatus::RequiresConfirmation => true,
        PaymentIntentStatus::RequiresPaymentMethod => intent.last_decline_code.is_none(),
        PaymentIntentStatus::RequiresAction
        | PaymentIntentStatus::Processing
        | PaymentIntentStatus::RequiresCapture
        | PaymentIntentStatus::Canceled
        | PaymentIntentStatus::Succeeded
        | PaymentIntentStatus::Other(_) => false,
    }
}
