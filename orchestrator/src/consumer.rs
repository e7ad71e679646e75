//! The orchestrator's event consumer: applies each event through the
//! executor and acks only after the transaction commits.

use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};

use autobook_broker::{DeliveryContext, Disposition, Handler};
use autobook_contracts::Envelope;

use crate::clock::Clock;
use crate::metric_definitions::{INBOX_DUPLICATES, SAGA_EVENTS_REJECTED};
use crate::store::{Handled, SagaStore, StoreError};

/// The code of a message dead-lettered because the store failed in a way
/// retrying cannot mend (an unreadable state).
pub const STORE_ERROR: &str = "store_error";

/// Every code the orchestrator counts a refused or ignored event under
/// (`SAGA_EVENTS_REJECTED`).
pub fn rejection_codes() -> impl Iterator<Item = &'static str> {
    crate::saga::DecideError::CODES
        .iter()
        .chain(crate::saga::causation::CauseError::CODES)
        .chain(crate::store::REFUSAL_CODES)
        .chain([STORE_ERROR].iter())
        .copied()
}

/// Creates the rejection counter at zero for every code, so rates and
/// alerts see a code's first event. Call when an orchestrator starts.
pub fn register_rejection_series() {
    for code in rejection_codes() {
        metrics::counter!(SAGA_EVENTS_REJECTED, "code" => code).increment(0);
    }
}

/// Applies events to sagas.
pub struct EventHandler {
    store: SagaStore,
    clock: Clock,
}

impl EventHandler {
    /// Decisions take their `now` from `clock`.
    pub fn new(store: SagaStore, clock: Clock) -> Self {
        EventHandler { store, clock }
    }
}

impl Handler for EventHandler {
    async fn handle(&self, envelope: Envelope, _context: DeliveryContext) -> Disposition {
        let attempt = || async { self.store.handle(&envelope, self.clock.now()).await };
        let retries = ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(20))
            .with_max_delay(Duration::from_millis(500))
            .with_max_times(4);
        match attempt.retry(retries).when(StoreError::retryable).await {
            Ok(Handled::Applied { from, to }) => {
                tracing::debug!(saga_id = %envelope.saga_id, from = from.unwrap_or("new"), to, "saga moved");
                Disposition::Ack
            }
            Ok(Handled::Duplicate) => {
                metrics::counter!(INBOX_DUPLICATES, "message_type" => envelope.message_type().as_str()).increment(1);
                tracing::debug!(saga_id = %envelope.saga_id, message_id = %envelope.message_id, "duplicate ignored");
                Disposition::Ack
            }
            Ok(Handled::Rejected { code, reason }) => {
                metrics::counter!(SAGA_EVENTS_REJECTED, "code" => code).increment(1);
                Disposition::dead_letter(code, reason)
            }
            Ok(Handled::NotYet { reason }) => {
                tracing::debug!(saga_id = %envelope.saga_id, %reason, "early; retrying later");
                Disposition::retry("saga_not_started", reason)
            }
            Ok(Handled::Ignored { code, reason }) => {
                // Expected, not an error: our own timer for a step the saga
                // has left, a second cancel, a resume another one beat.
                metrics::counter!(SAGA_EVENTS_REJECTED, "code" => code).increment(1);
                tracing::debug!(saga_id = %envelope.saga_id, %reason, "ignored");
                Disposition::Ack
            }
            Err(error) if error.retryable() => {
                let reason = match self.store.refusal(&error).await {
                    Some(refusal) => refusal,
                    None => error.to_string(),
                };
                tracing::warn!(saga_id = %envelope.saga_id, error = %reason, "could not apply event; retrying later");
                Disposition::retry("store_unavailable", reason)
            }
            Err(error) => {
                metrics::counter!(SAGA_EVENTS_REJECTED, "code" => STORE_ERROR).increment(1);
                Disposition::dead_letter(STORE_ERROR, error.to_string())
            }
        }
    }
}
