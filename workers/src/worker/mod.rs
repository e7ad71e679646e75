//! The command-handling core shared by every worker.
//!
//! For each command: check it belongs to this queue, claim its idempotency
//! key in the provider-call ledger, perform it through a [`Service`], store
//! the reply, publish the reply with a confirm, and only then ack. A
//! duplicate replays the stored reply; a call the provider could not
//! settle is requeued (and looked up when it comes back), never guessed.

pub mod calls;
pub mod retry;
pub mod throttle;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;

use autobook_broker::{DeliveryContext, Disposition, Handler, Publisher};
use autobook_contracts::{Envelope, Message, MessageType, QueueRole};

use crate::metric_definitions::DUPLICATE_COMMANDS;
use calls::Claim;

/// The answer to a command.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub message: Message,
    /// The reply admits the outcome is unknown; a later command may look again.
    pub outcome_unknown: bool,
}

impl Reply {
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
    Unresolved {
        detail: String,
        retry_after: Duration,
    },
    /// This service does not handle that message type.
    #[error("{0} is not handled here")]
    Unsupported(MessageType),
}

impl Failure {
    /// The provider left the call unsettled; try again after a pause.
    pub fn unresolved(error: &crate::providers::ProviderError) -> Self {
        Failure::Unresolved {
            detail: error.to_string(),
            retry_after: Duration::from_secs(2),
        }
    }
}

/// A worker's provider logic.
pub trait Service: Send + Sync + 'static {
    /// The queue this service consumes.
    const QUEUE: QueueRole;

    /// Performs the command. `look_up_first`: an earlier attempt may have
    /// taken effect; establish its result before acting again.
    fn perform(
        &self,
        command: &Envelope,
        look_up_first: bool,
    ) -> impl Future<Output = Result<Reply, Failure>> + Send;
}

/// Adapts a [`Service`] to the broker's consumer loop.
pub struct CommandHandler<S> {
    pool: PgPool,
    publisher: Publisher,
    service: Arc<S>,
}

impl<S: Service> CommandHandler<S> {
    pub fn new(pool: PgPool, publisher: Publisher, service: S) -> Self {
        CommandHandler {
            pool,
            publisher,
            service: Arc::new(service),
        }
    }

    async fn publish(&self, reply: &Envelope) -> Disposition {
        match self.publisher.publish(reply).await {
            Ok(()) => Disposition::Ack,
            Err(error) => {
                // The reply is stored: the redelivered command replays it.
                tracing::warn!(saga_id = %reply.saga_id, %error, "reply not confirmed; requeueing the command");
                Disposition::Requeue {
                    after: Duration::from_secs(1),
                }
            }
        }
    }
}

impl<S: Service> Handler for CommandHandler<S> {
    #[tracing::instrument(skip_all, fields(saga_id = %envelope.saga_id, message_type = %envelope.message_type()))]
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
                tracing::warn!(%error, "cannot claim the call; requeueing");
                return Disposition::Requeue {
                    after: Duration::from_secs(1),
                };
            }
        };
        match claim {
            Claim::Replay(stored) => match Envelope::decode(&stored) {
                Ok(reply) => {
                    metrics::counter!(DUPLICATE_COMMANDS, "queue" => S::QUEUE.as_str(), "handling" => "replayed").increment(1);
                    self.publish(&reply).await
                }
                Err(error) => {
                    Disposition::dead_letter("stored_reply_unreadable", error.to_string())
                }
            },
            Claim::Busy => {
                metrics::counter!(DUPLICATE_COMMANDS, "queue" => S::QUEUE.as_str(), "handling" => "in_flight").increment(1);
                tracing::info!(idempotency_key = %key, "duplicate of a call in flight elsewhere; its owner replies");
                Disposition::Ack
            }
            Claim::Owned {
                fence,
                look_up_first,
            } => match self.service.perform(&envelope, look_up_first).await {
                Ok(reply) => {
                    let reply_envelope = Envelope::caused_by(&envelope, reply.message);
                    match calls::complete(
                        &self.pool,
                        &key,
                        fence,
                        &reply_envelope,
                        reply.outcome_unknown,
                    )
                    .await
                    {
                        Ok(true) => self.publish(&reply_envelope).await,
                        Ok(false) => Disposition::Ack,
                        Err(error) => {
                            tracing::warn!(%error, "cannot store the reply; requeueing");
                            Disposition::Requeue {
                                after: Duration::from_secs(1),
                            }
                        }
                    }
                }
                Err(Failure::Unresolved {
                    detail,
                    retry_after,
                }) => {
                    tracing::warn!(idempotency_key = %key, %detail, "call unresolved; will look it up again");
                    Disposition::Requeue { after: retry_after }
                }
                Err(Failure::Unsupported(t)) => Disposition::dead_letter(
                    "unsupported_message_type",
                    format!("{t} is not handled here"),
                ),
            },
        }
    }
}
