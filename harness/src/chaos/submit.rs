//! Submits the trips of a chaos run through the broker, paced over the
//! first part of the period, as a gateway would. The broker may be down
//! (it restarts once during the run): a publish that fails or hangs is
//! retried with the same envelope (same `message_id`, so the orchestrator
//! de-duplicates a copy that did get through), on a fresh connection if
//! need be, until it is confirmed or [`GIVE_UP_AFTER`] passes.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::time::Instant;
use tracing::Instrument;
use uuid::Uuid;

use autobook_broker::{Broker, BrokerAccess, Publisher};
use autobook_contracts::senders::Identity;
use autobook_contracts::trip::TripRequest;
use autobook_contracts::{Envelope, Topology};
use autobook_vault::Keyring;

use super::schedule::submit_offset;

/// A trip that is still unconfirmed after this long (or this long after
/// the chaos period) is given up; it counts as lost, never hidden.
pub const GIVE_UP_AFTER: Duration = Duration::from_secs(120);
/// Longest wait for one publish (and its confirm), or for a connection.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
const RETRY_PAUSE: Duration = Duration::from_millis(300);

/// What the submitter shares with the rest of the run while it works.
#[derive(Debug, Default)]
pub struct Progress {
    /// Trips confirmed by the broker so far.
    pub confirmed: AtomicUsize,
    /// Confirmation time of every confirmed trip.
    pub submitted_at: Mutex<HashMap<Uuid, DateTime<Utc>>>,
}

/// How the submission went.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Sagas whose trip was never confirmed by the broker.
    pub unconfirmed: Vec<Uuid>,
    /// Publishes that failed and were retried.
    pub retried_publishes: usize,
    /// Connections opened after the first.
    pub reconnects: usize,
}

/// Publishes `trips[i]` as saga `i` at its paced offset from `epoch`, its
/// personal fields sealed with `vault`.
pub async fn submit_all(
    access: BrokerAccess,
    topology: Topology,
    vault: Keyring,
    trips: Vec<(Uuid, TripRequest)>,
    duration: Duration,
    epoch: Instant,
    progress: Arc<Progress>,
) -> Outcome {
    let mut outcome = Outcome::default();
    let mut connection: Option<(Broker, Publisher)> = None;
    let total = trips.len();
    for (index, (saga_id, trip)) in trips.into_iter().enumerate() {
        tokio::time::sleep_until(epoch + submit_offset(index, total, duration)).await;
        let mut envelope = Envelope::new(saga_id, trip);
        let span = autobook_broker::spans::submitting(&mut envelope);
        // Per trip, and overall: a broker that never comes back ends the
        // submission soon after the chaos period instead of trip by trip.
        let deadline = (Instant::now() + GIVE_UP_AFTER).min(epoch + duration + GIVE_UP_AFTER);
        let mut confirmed = false;
        while Instant::now() < deadline {
            if connection.is_none()
                && let Ok(Ok(broker)) = tokio::time::timeout(
                    ATTEMPT_TIMEOUT,
                    access.connect(
                        Identity::Publisher,
                        "autobook-chaos-submitter",
                        topology.clone(),
                    ),
                )
                .await
            {
                let broker = broker.with_vault(vault.clone());
                match tokio::time::timeout(ATTEMPT_TIMEOUT, Publisher::open(&broker)).await {
                    Ok(Ok(publisher)) => {
                        connection = Some((broker, publisher.with_origin("submitter")))
                    }
                    _ => close(&broker).await,
                }
            }
            if let Some((broker, publisher)) = &connection {
                let publish = publisher.publish(&envelope).instrument(span.clone());
                match tokio::time::timeout(ATTEMPT_TIMEOUT, publish).await {
                    Ok(Ok(())) => {
                        confirmed = true;
                        break;
                    }
                    _ => {
                        outcome.retried_publishes += 1;
                        // Start over on a fresh connection: the old one may
                        // be recovering, or dead.
                        close(broker).await;
                        connection = None;
                        outcome.reconnects += 1;
                    }
                }
            }
            tokio::time::sleep(RETRY_PAUSE).await;
        }
        if confirmed {
            progress
                .submitted_at
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(saga_id, Utc::now());
            progress.confirmed.fetch_add(1, Ordering::Relaxed);
        } else {
            outcome.unconfirmed.push(saga_id);
        }
    }
    if let Some((broker, _)) = connection {
        close(&broker).await;
    }
    outcome
}

/// Closes a connection without hanging on a broker that is down.
async fn close(broker: &Broker) {
    let _ = tokio::time::timeout(Duration::from_secs(2), broker.close()).await;
}
