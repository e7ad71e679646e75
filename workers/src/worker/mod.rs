//! The command-handling core shared by every worker.
//!
//! For each command: check it belongs to this queue, claim its idempotency
//! key in the provider-call ledger, perform it through a [`Service`], store
//! the reply, publish the reply with a confirm, and only then ack. A
//! duplicate replays the stored reply; a call the provider could not
//! settle is requeued (and looked up when it comes back), never guessed.
//! A call that would move money while the flags deny it is not made: the
//! claim is released and a `StepDeferred` reply is published, not stored
//! (see [`gate`] for where the gate stands and why).
//! A command is performed in a `perform` span under the consumer's
//! `handle` span; provider calls are its children, and the reply carries
//! its trace context.

pub mod attempt;
pub mod calls;
pub mod gate;
pub mod retry;

use std::future::Future;
use std::sync::Arc;

use sqlx::PgPool;

use autobook_broker::propagation;
use autobook_broker::{DeliveryContext, Disposition, Handler, Publisher};
use autobook_contracts::{Envelope, Message, MessageType, QueueRole};
use autobook_vault::{Keyring, Place};

use crate::metric_definitions::{DEFERRED_STEPS, DUPLICATE_COMMANDS, GAVE_UP_COMMANDS};
pub use attempt::{Attempt, EffectLog};
use calls::Claim;
use gate::Deferral;

/// The answer to a command.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub message: Message,
    /// The reply may change: the outcome was unknown, or a compensation
    /// failed and will be tried again. A later command for the same key is
    /// performed again (looking first) instead of replaying this reply.
    pub outcome_unknown: bool,
}

impl Reply {
    /// A provider call that may have taken effect and could not be looked
    /// up: the saga waits and asks again, and the worker then looks first.
    pub fn outcome_unknown(
        key: &autobook_contracts::IdempotencyKey,
        step: autobook_contracts::Step,
        error: &crate::providers::ProviderError,
    ) -> Self {
        Reply::unknown(autobook_contracts::events::StepOutcomeUnknown {
            idempotency_key: key.clone(),
            step,
            detail: error.to_string(),
        })
    }

    pub fn settled(message: impl Into<Message>) -> Self {
        Reply {
            message: message.into(),
            outcome_unknown: false,
        }
    }

    pub fn unknown(message: impl Into<Message>) -> Self {
        Reply {
            message: message.into(),
            outcome_unknown: true,
        }
    }
}

/// Why a command produced no reply.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Failure {
    /// The provider could not be reached or left the outcome open even after
    /// retries: handle the command again later (looking the result up).
    #[error("unresolved: {detail}")]
    Unresolved { detail: String },
    /// This service does not handle that message type.
    #[error("{0} is not handled here")]
    Unsupported(MessageType),
    /// The flags deny moving money for the trip's user: nothing was sent.
    /// The answer is a `StepDeferred` that is published but not stored.
    #[error("{} deferred by the flags: {}", .0.step.as_str(), .0.reason)]
    Deferred(Deferral),
    /// Another attempt took the call over meanwhile: it answers, this one
    /// stops without a reply.
    #[error("the call was taken over by another attempt")]
    Superseded,
}

impl From<Deferral> for Failure {
    fn from(deferral: Deferral) -> Self {
        Failure::Deferred(deferral)
    }
}

impl Failure {
    /// The provider left the call unsettled; try again after a pause.
    pub fn unresolved(error: &crate::providers::ProviderError) -> Self {
        Failure::Unresolved {
            detail: error.to_string(),
        }
    }
}

/// A worker's provider logic.
pub trait Service: Send + Sync + 'static {
    /// The queue this service consumes.
    const QUEUE: QueueRole;

    /// Performs the command.
    fn perform(
        &self,
        command: &Envelope,
        attempt: Attempt,
    ) -> impl Future<Output = Result<Reply, Failure>> + Send;
}

/// Adapts a [`Service`] to the broker's consumer loop.
pub struct CommandHandler<S> {
    pool: PgPool,
    publisher: Publisher,
    /// Seals the replies stored in the call ledger.
    vault: Keyring,
    service: Arc<S>,
}

impl<S: Service> CommandHandler<S> {
    pub fn new(pool: PgPool, publisher: Publisher, vault: Keyring, service: S) -> Self {
        CommandHandler {
            pool,
            publisher,
            vault,
            service: Arc::new(service),
        }
    }

    async fn publish(&self, reply: &Envelope) -> Disposition {
        match self.publisher.publish(reply).await {
            Ok(()) => Disposition::Ack,
            Err(error) => {
                // The reply is stored: the retried command replays it.
                tracing::warn!(saga_id = %reply.saga_id, %error, "reply not confirmed; retrying the command");
                Disposition::retry("reply_not_confirmed", error.to_string())
            }
        }
    }
}

impl<S: Service> Handler for CommandHandler<S> {
    #[tracing::instrument(name = "perform", skip_all, fields(worker = S::QUEUE.as_str(), claim = tracing::field::Empty))]
    async fn handle(&self, envelope: Envelope, context: DeliveryContext) -> Disposition {
        let message_type = envelope.message_type();
        if message_type.consumer() != S::QUEUE {
            return Disposition::dead_letter(
                "wrong_queue",
                format!("{message_type} does not belong on {}", S::QUEUE.as_str()),
            );
        }
        let Some(key) = envelope.message.idempotency_key().cloned() else {
            return Disposition::dead_letter(
                "missing_idempotency_key",
                format!("{message_type} carries no key"),
            );
        };
        let claim = match calls::claim(
            &self.pool,
            &key,
            &envelope,
            message_type.as_str(),
            context.redelivered,
        )
        .await
        {
            Ok(claim) => claim,
            Err(error) => {
                tracing::warn!(%error, "cannot claim the call; retrying later");
                return Disposition::retry("ledger_unavailable", error.to_string());
            }
        };
        tracing::Span::current().record("claim", claim.label());
        match claim {
            Claim::Replay(stored) => match self
                .vault
                .open_bytes(&stored, &Place::provider_call(key.as_str()), "reply")
                .map_err(|e| e.to_string())
                .and_then(|opened| Envelope::decode(&opened).map_err(|e| e.to_string()))
            {
                Ok(mut reply) => {
                    // Published again now, because of this command.
                    reply.trace = propagation::current_or(envelope.trace.child());
                    metrics::counter!(DUPLICATE_COMMANDS, "queue" => S::QUEUE.as_str(), "handling" => "replayed").increment(1);
                    self.publish(&reply).await
                }
                Err(error) => Disposition::dead_letter("stored_reply_unreadable", error),
            },
            Claim::Busy if context.earlier_attempts > 0 => {
                // Perhaps the owner's own message, sent to be retried after
                // it could not record that it let go (its database writes
                // failed): wait for the claim to be released or its lease
                // to run out. The header may be forged; waiting is harmless.
                metrics::counter!(DUPLICATE_COMMANDS, "queue" => S::QUEUE.as_str(), "handling" => "waiting").increment(1);
                tracing::info!(idempotency_key = %key, "retried command whose call is still claimed; waiting for the claim");
                Disposition::retry(
                    "claim_in_flight",
                    format!(
                        "{message_type} is claimed by a live attempt; waiting for its release or lease"
                    ),
                )
            }
            Claim::Busy => {
                metrics::counter!(DUPLICATE_COMMANDS, "queue" => S::QUEUE.as_str(), "handling" => "in_flight").increment(1);
                tracing::info!(idempotency_key = %key, "duplicate of a call in flight elsewhere; its owner replies");
                Disposition::Ack
            }
            Claim::Owned {
                fence,
                look_up_first,
                effect_ref,
                since,
            } => {
                autobook_broker::crash::point("worker.before_call");
                let log = Arc::new(LedgerLog {
                    pool: self.pool.clone(),
                    key: key.clone(),
                    fence,
                });
                let attempt = Attempt::new(look_up_first, fence, effect_ref, since, log);
                self.perform_owned(&envelope, &key, attempt, context.final_attempt)
                    .await
            }
        }
    }
}

impl<S: Service> CommandHandler<S> {
    async fn perform_owned(
        &self,
        envelope: &Envelope,
        key: &autobook_contracts::IdempotencyKey,
        attempt: Attempt,
        final_attempt: bool,
    ) -> Disposition {
        let fence = attempt.fence;
        match self.service.perform(envelope, attempt).await {
            Ok(reply) => {
                autobook_broker::crash::point("worker.after_call");
                self.answer(envelope, key, fence, reply).await
            }
            Err(Failure::Unresolved { detail }) if final_attempt => {
                // No retry is left: tell the saga rather than go silent. It
                // asks again later, and the next attempt looks first.
                tracing::warn!(idempotency_key = %key, %detail, "call still unresolved after every retry; replying outcome unknown");
                metrics::counter!(GAVE_UP_COMMANDS, "queue" => S::QUEUE.as_str()).increment(1);
                let step = key.step().unwrap_or(autobook_contracts::Step::Search);
                let reply = Reply::unknown(autobook_contracts::events::StepOutcomeUnknown {
                    idempotency_key: key.clone(),
                    step,
                    detail: format!("gave up after every retry: {detail}"),
                });
                self.answer(envelope, key, fence, reply).await
            }
            Err(Failure::Unresolved { detail }) => {
                tracing::warn!(idempotency_key = %key, %detail, "call unresolved; will look it up again");
                if let Err(error) =
                    calls::patiently(|| calls::release(&self.pool, key, fence)).await
                {
                    // Left in flight: the claim's lease runs out and a retry takes over.
                    tracing::warn!(%error, "cannot release the claim");
                }
                Disposition::retry("provider_unavailable", detail)
            }
            Err(Failure::Superseded) => {
                tracing::info!(idempotency_key = %key, "call taken over by another attempt; it answers");
                Disposition::Ack
            }
            Err(Failure::Unsupported(t)) => Disposition::dead_letter(
                "unsupported_message_type",
                format!("{t} is not handled here"),
            ),
            Err(Failure::Deferred(deferral)) => self.defer(envelope, key, fence, deferral).await,
        }
    }

    /// Stores the reply under the claim, then publishes it; a claim taken
    /// over meanwhile stores nothing and publishes nothing.
    async fn answer(
        &self,
        envelope: &Envelope,
        key: &autobook_contracts::IdempotencyKey,
        fence: i32,
        reply: Reply,
    ) -> Disposition {
        let mut reply_envelope = Envelope::caused_by(envelope, reply.message);
        reply_envelope.trace = propagation::current_or(reply_envelope.trace);
        let stored = calls::patiently(|| {
            calls::complete(
                &self.pool,
                &self.vault,
                key,
                fence,
                &reply_envelope,
                reply.outcome_unknown,
            )
        })
        .await;
        match stored {
            Ok(true) => {
                autobook_broker::crash::point("worker.after_store");
                self.publish(&reply_envelope).await
            }
            Ok(false) => Disposition::Ack,
            Err(error) => {
                tracing::warn!(%error, "cannot store the reply; retrying later");
                // Let go, so that the retried command takes the call over
                // (looking first); if even that fails, its lease runs out.
                if let Err(error) = calls::release(&self.pool, key, fence).await {
                    tracing::warn!(%error, "cannot release the claim either");
                }
                Disposition::retry("ledger_unavailable", error.to_string())
            }
        }
    }

    /// Gives the key back untouched by a reply, so the same command can go
    /// ahead once the flags allow, then answers `StepDeferred`.
    async fn defer(
        &self,
        envelope: &Envelope,
        key: &autobook_contracts::IdempotencyKey,
        fence: i32,
        deferral: Deferral,
    ) -> Disposition {
        let (step, reason) = (deferral.step.as_str(), deferral.reason.as_str());
        match calls::patiently(|| calls::release(&self.pool, key, fence)).await {
            Ok(true) => {}
            // Taken over meanwhile: the new owner answers.
            Ok(false) => return Disposition::Ack,
            Err(error) => {
                // Still claimed: once its lease runs out the retried
                // delivery takes the claim over and asks the flags again.
                tracing::warn!(%error, "cannot release the claim of a deferred step; retrying later");
                return Disposition::retry("ledger_unavailable", error.to_string());
            }
        }
        tracing::info!(idempotency_key = %key, step, reason, "flags deny moving money; step deferred");
        metrics::counter!(DEFERRED_STEPS, "step" => step, "reason" => reason).increment(1);
        let mut reply = Envelope::caused_by(envelope, deferral.reply(key));
        reply.trace = propagation::current_or(reply.trace);
        self.publish(&reply).await
    }
}

/// Records provider objects in the provider-call ledger, fenced by the
/// claim that made them.
struct LedgerLog {
    pool: PgPool,
    key: autobook_contracts::IdempotencyKey,
    fence: i32,
}

impl EffectLog for LedgerLog {
    fn record<'a>(
        &'a self,
        reference: &'a str,
    ) -> std::pin::Pin<Box<dyn Future<Output = Result<bool, String>> + Send + 'a>> {
        Box::pin(async move {
            calls::record_effect(&self.pool, &self.key, self.fence, reference)
                .await
                .map_err(|error| error.to_string())
        })
    }
}
