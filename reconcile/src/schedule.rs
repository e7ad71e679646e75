//! Running the job as a production role: every interval, one instance at a
//! time. The instance that takes the Redis lease ([`LEASE`]) runs; the
//! others skip that round. The lease is renewed while the run lasts, its
//! fencing token guards the run's writes, and it is given up at the end.
//! Redis down means no lease and no run (a round counted `skipped`).

use std::time::Duration;

use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

use autobook_workers::lease::{Lease, Leases};

use crate::error::JobError;
use crate::gather::EventSource;
use crate::job::{Guard, Job, counted};
use crate::report::{Outcome, Report};

/// The name of the job's lease.
pub const LEASE: &str = crate::store::FENCE;

/// How long the lease lasts unless renewed (a third of it between renewals).
pub const LEASE_TTL: Duration = Duration::from_secs(120);

/// Runs once holding the lease; None when another instance holds it or
/// Redis cannot be asked (nothing was read).
pub async fn run_leased<E: EventSource>(
    job: &Job<E>,
    leases: &Leases,
) -> Option<Result<Report, JobError>> {
    let Some(lease) = leases
        .acquire(LEASE, &job.settings.instance, LEASE_TTL)
        .await
    else {
        tracing::info!("another instance holds the reconciliation lease; this round is skipped");
        counted(Outcome::Skipped);
        return None;
    };
    let guard = Guard {
        leases,
        lease: &lease,
    };
    let result = tokio::select! {
        result = job.run_once(Some(guard)) => result,
        () = keep(leases, &lease) => {
            tracing::warn!("the reconciliation lease was lost; the run is abandoned");
            counted(Outcome::Failed);
            Err(JobError::LeaseLost)
        }
    };
    leases.release(&lease).await;
    Some(result)
}

/// Renews `lease` until a renewal fails.
async fn keep(leases: &Leases, lease: &Lease) {
    let mut renewals = tokio::time::interval(LEASE_TTL / 3);
    renewals.tick().await;
    loop {
        renewals.tick().await;
        if !leases.renew(lease, LEASE_TTL).await {
            return;
        }
    }
}

/// Runs the job every `interval` (the first run at once) until `shutdown`;
/// a run under way finishes first. With `leases`, one instance at a time.
pub async fn run_every<E: EventSource>(
    job: &Job<E>,
    leases: Option<&Leases>,
    interval: Duration,
    shutdown: CancellationToken,
) {
    let mut rounds = tokio::time::interval(interval.max(Duration::from_secs(1)));
    rounds.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = rounds.tick() => {}
            () = shutdown.cancelled() => return,
        }
        // Errors are logged and counted by the run itself.
        let _ = match leases {
            Some(leases) => run_leased(job, leases).await,
            None => Some(job.run_once(None).await),
        };
    }
}
