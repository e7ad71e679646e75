//! The executor: applies one message to its saga in one PostgreSQL
//! transaction.
//!
//! The transaction records the message id in the inbox (a duplicate stops
//! here), reads the saga, runs the pure decision, writes the new state with
//! optimistic concurrency on `version`, appends the audit row, and writes
//! every effect: commands to the outbox (each recorded as sent in
//! `saga_commands`), timers to `saga_timers`. A worker's reply whose cause is
//! not one of the saga's commands for its step is rejected before the
//! decision ([`saga::causation`]). If another
//! writer changed the saga first, the whole transaction is retried on the
//! fresh state. The reads are one statement and the writes another
//! ([`step`]), so a message costs three round trips and a commit. Nothing
//! is published here: the relay does that after commit, woken in-process
//! ([`with_relay_wake`](SagaStore::with_relay_wake)) or, for a store without
//! a relay in its process, by a NOTIFY in the transaction.

mod causes;
mod error;
pub mod projections;
mod rows;
mod step;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use autobook_flags::FlagSource;
use autobook_vault::Keyring;
use tracing::field::Empty;

use autobook_contracts::{Envelope, Message};

use crate::relay::RelayWake;
use crate::saga::{self, Decision, Policy, Saga};
use crate::saga_metrics;

pub use causes::cause_of;
pub use error::StoreError;
pub(crate) use rows::insert_outbox as enqueue;
pub use rows::open_state as decode_state;
pub(crate) use rows::open_state_json;
pub use rows::{SagaRow, load_saga};

/// Attempts at applying a message when other writers keep winning.
const MAX_CONTENTION_RETRIES: usize = 8;

/// NOTIFY channel that wakes the outbox relay (the relay's own name).
pub use crate::relay::OUTBOX_CHANNEL;

/// NOTIFY channel announcing a saga that reached a terminal status; the
/// payload is the saga id.
pub const SAGA_FINISHED_CHANNEL: &str = "autobook_saga_finished";

/// NOTIFY channel announcing a saga that started waiting on something
/// outside the system (watching for a price, paused by the flags); the
/// payload is the saga id.
pub const SAGA_WAITING_CHANNEL: &str = "autobook_saga_waiting";

/// The codes the store itself refuses a message with (besides the
/// decision's and the causation check's): the metrics create a series for
/// each at start-up.
pub const REFUSAL_CODES: &[&str] = &[INVALID_TRIP, UNKNOWN_SAGA, CORRUPT_SAGA_STATE];
const INVALID_TRIP: &str = "invalid_trip";
const UNKNOWN_SAGA: &str = "unknown_saga";
const CORRUPT_SAGA_STATE: &str = "corrupt_saga_state";

/// What became of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handled {
    /// The saga moved; its effects are in the outbox.
    Applied {
        from: Option<&'static str>,
        to: &'static str,
    },
    /// The message id was handled before; nothing was done.
    Duplicate,
    /// The message cannot apply to the saga; it should be dead-lettered.
    Rejected { code: &'static str, reason: String },
    /// The message is early (a cancel before its trip): retry it later;
    /// dead-lettered if it is still early when the retries run out.
    NotYet { reason: String },
    /// Expected and harmless, nothing to do: a timer for a step the saga
    /// has left, a second cancel, a resume that another one beat.
    Ignored { code: &'static str, reason: String },
}

/// Applies messages to sagas stored in PostgreSQL.
#[derive(Clone)]
pub struct SagaStore {
    pool: PgPool,
    policy: Policy,
    flags: Option<Arc<dyn FlagSource>>,
    /// Seals the personal data of states and outbox bodies.
    vault: Keyring,
    /// How the relay learns of new outbox rows.
    wake: Wake,
}

/// How the relay learns that a transaction wrote commands.
#[derive(Clone)]
enum Wake {
    /// A NOTIFY in the transaction: the relay is in another process.
    Notify,
    /// In-process, after commit: no NOTIFY, so the commit can share its
    /// WAL flush with others.
    Relay(RelayWake),
}

impl SagaStore {
    /// A store that admits every trip (no flags consulted), sealing
    /// personal data with `vault`.
    pub fn new(pool: PgPool, policy: Policy, vault: Keyring) -> Self {
        SagaStore {
            pool,
            policy,
            flags: None,
            vault,
            wake: Wake::Notify,
        }
    }

    /// Wake the relay of this process after each commit that wrote
    /// commands, instead of sending a NOTIFY in the transaction.
    pub fn with_relay_wake(mut self, wake: RelayWake) -> Self {
        self.wake = Wake::Relay(wake);
        self
    }

    /// Consult `flags` as each trip arrives: a trip the flags deny (or that
    /// arrives while they cannot be read) starts paused.
    pub fn with_flags(mut self, flags: Arc<dyn FlagSource>) -> Self {
        self.flags = Some(flags);
        self
    }

    /// Why the database could not be used, when `error` is a pool timeout
    /// because the server refuses new connections (see [`crate::db::refusal`]).
    pub async fn refusal(&self, error: &StoreError) -> Option<String> {
        match error {
            StoreError::Database(error) => crate::db::refusal(&self.pool, error).await,
            StoreError::Contention(_)
            | StoreError::CorruptState { .. }
            | StoreError::Sealed { .. } => None,
        }
    }

    fn admission(&self, trip: &autobook_contracts::trip::TripRequest) -> saga::Admission {
        let Some(flags) = &self.flags else {
            return saga::Admission::Open;
        };
        match flags.decide(trip.user_id.as_str()).deny_reason() {
            None => saga::Admission::Open,
            Some(reason) => saga::Admission::Paused {
                reason: reason.as_str().to_owned(),
            },
        }
    }

    /// Applies `envelope` to its saga, retrying on concurrent updates. The
    /// `apply` span records the saga step: the status it moved from and to.
    #[tracing::instrument(
        name = "apply",
        skip_all,
        fields(saga.from = Empty, saga.to = Empty, outcome = Empty)
    )]
    pub async fn handle(
        &self,
        envelope: &Envelope,
        now: DateTime<Utc>,
    ) -> Result<Handled, StoreError> {
        for _ in 0..MAX_CONTENTION_RETRIES {
            match self.try_handle(envelope, now).await? {
                Attempt::Done(handled) => {
                    record_step(&handled);
                    return Ok(handled);
                }
                Attempt::Conflict => tokio::task::yield_now().await,
            }
        }
        Err(StoreError::Contention(envelope.saga_id))
    }

    async fn try_handle(
        &self,
        envelope: &Envelope,
        now: DateTime<Utc>,
    ) -> Result<Attempt, StoreError> {
        let mut tx = self.pool.begin().await?;
        let with_cause = saga::causation::must_answer_a_command(envelope.message_type());
        let Some(step::Fresh {
            stored: current,
            cause,
        }) = step::read(&mut tx, envelope, with_cause, &self.vault).await?
        else {
            return Ok(Attempt::Done(Handled::Duplicate));
        };
        let timings = current.as_ref().map(|stored| stored.timings);
        let current = current.map(|stored| (stored.saga, stored.version));
        let (decision, previous) = match self.decide(envelope, current, cause.as_ref(), now) {
            Ok(found) => found,
            Err(ignored @ Handled::Ignored { .. }) => {
                // Handled, with nothing to do: remembered in the inbox so a
                // redelivery is a plain duplicate.
                tx.commit().await?;
                return Ok(Attempt::Done(ignored));
            }
            Err(rejected) => return Ok(Attempt::Done(rejected)),
        };
        let deadline = rows::DeadlineColumns::of(
            &saga::deadlines::after(
                previous.as_ref().map(|(saga, _)| saga),
                &decision,
                &self.policy.step_deadlines,
            ),
            now,
        );
        let from = previous.as_ref().map(|(saga, _)| saga.phase.status());
        let step = step::Step {
            cause: envelope,
            decision: &decision,
            expected: previous.as_ref().map(|(_, version)| *version),
            from,
            deadline: &deadline,
            now,
        };
        let written = step::write(&mut tx, &step, &self.vault).await?;
        if !written.saga {
            return Ok(Attempt::Conflict);
        }
        let sent = written.sent;
        if sent && matches!(self.wake, Wake::Notify) {
            rows::announce_outbox(&mut tx).await?;
        }
        let changes = projections::changes(
            previous.as_ref().map(|(saga, _)| &saga.phase),
            &decision.saga.phase,
        );
        projections::write(&mut tx, &decision.saga, &changes, &|value, place, field| {
            self.vault.seal_str(value, place, field)
        })
        .await?;
        if decision.saga.phase.is_terminal() {
            rows::announce(&mut tx, SAGA_FINISHED_CHANNEL, decision.saga.id).await?;
        } else if decision.saga.phase.is_waiting_outside()
            && from != Some(decision.saga.phase.status())
        {
            rows::announce(&mut tx, SAGA_WAITING_CHANNEL, decision.saga.id).await?;
        }
        autobook_broker::crash::point("orchestrator.before_commit");
        tx.commit().await?;
        autobook_broker::crash::point("orchestrator.after_commit");
        if let (true, Wake::Relay(wake)) = (sent, &self.wake) {
            wake.wake();
        }
        let to = decision.saga.phase.status();
        let before = previous
            .as_ref()
            .zip(timings)
            .map(|((saga, _), timings)| (&saga.phase, timings));
        saga_metrics::record(&saga_metrics::observe(
            before,
            &envelope.message,
            &decision.saga.phase,
        ));
        saga_metrics::record(&saga_metrics::mismatched_offers(
            &decision.saga.trip,
            &envelope.message,
        ));
        Ok(Attempt::Done(Handled::Applied { from, to }))
    }

    /// Runs the pure decision on the stored saga (or starts one). `cause`:
    /// what the records say of the cause of a worker's reply, checked
    /// before the decision.
    fn decide(
        &self,
        envelope: &Envelope,
        current: Option<(Result<Saga, StoreError>, i64)>,
        cause: Option<&saga::Cause>,
        now: DateTime<Utc>,
    ) -> Result<(Decision, Option<(Saga, i64)>), Handled> {
        match (current, &envelope.message) {
            (None, Message::TripRequested(trip)) => saga::start(
                envelope.saga_id,
                trip.clone(),
                now,
                &self.policy,
                &self.admission(trip),
            )
            .map(|decision| (decision, None))
            .map_err(|e| Handled::Rejected {
                code: INVALID_TRIP,
                // Named as in the message, as decoding errors are.
                reason: format!("invalid trip.requested payload: payload.{e}"),
            }),
            // A cancel that overtook its own trip request (they may be
            // handled concurrently): try again once the trip has arrived.
            (None, Message::TripCancelRequested(_)) => Err(Handled::NotYet {
                reason: format!("no saga {} yet to cancel", envelope.saga_id),
            }),
            (None, _) => Err(Handled::Rejected {
                code: UNKNOWN_SAGA,
                reason: format!(
                    "no saga {} for {}",
                    envelope.saga_id,
                    envelope.message_type()
                ),
            }),
            (Some((Err(corrupt), _)), _) => Err(Handled::Rejected {
                code: CORRUPT_SAGA_STATE,
                reason: corrupt.to_string(),
            }),
            (Some((Ok(saga), version)), message) => {
                if let Some(cause) = cause {
                    saga::causation::check(message, cause).map_err(|refused| {
                        Handled::Rejected {
                            code: refused.code(),
                            reason: refused.to_string(),
                        }
                    })?;
                }
                saga::decide(&saga, message, now, &self.policy)
                    .map(|decision| (decision, Some((saga, version))))
                    .map_err(|e| match e {
                        e if e.is_harmless() => Handled::Ignored {
                            code: e.code(),
                            reason: e.to_string(),
                        },
                        e => Handled::Rejected {
                            code: e.code(),
                            reason: e.to_string(),
                        },
                    })
            }
        }
    }
}

enum Attempt {
    Done(Handled),
    Conflict,
}

/// Puts the saga step on the current (`apply`) span.
fn record_step(handled: &Handled) {
    let span = tracing::Span::current();
    let outcome = match handled {
        Handled::Applied { from, to } => {
            span.record("saga.from", from.unwrap_or("new"));
            span.record("saga.to", *to);
            "applied"
        }
        Handled::Duplicate => "duplicate",
        Handled::Rejected { .. } => "rejected",
        Handled::Ignored { .. } => "ignored",
        Handled::NotYet { .. } => "not_yet",
    };
    span.record("outcome", outcome);
}
