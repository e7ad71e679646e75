//! One run of the job, start to end:
//!
//! 1. our records: every saga still open or updated within the window
//!    (read first, so that a saga seen finished finished before the
//!    providers were read);
//! 2. the providers' objects: listings by creation window, the intents
//!    named by recent webhook events ([`crate::gather::list`]);
//! 3. the records of the sagas those objects name that step 1 did not read
//!    (a saga with no record is a finding);
//! 4. the objects finished records name that no listing showed, by id
//!    ([`crate::gather::look_up`]);
//! 5. the comparison ([`crate::compare`]), then the releases of orphaned
//!    holds ([`crate::release`]) unless the run is read-only;
//! 6. the run and its findings recorded (fenced by the lease's token),
//!    the metrics updated.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use sqlx::PgPool;
use uuid::Uuid;

use autobook_orchestrator::clock::Clock;
use autobook_orchestrator::money::{records_of, records_since};
use autobook_vault::Keyring;
use autobook_workers::lease::{Lease, Leases};

use crate::compare::{Judgement, Release, compare, counted_intents};
use crate::error::JobError;
use crate::finding::{Action, FindingClass, Handled};
use crate::gather::{self, EventSource, Limits, Listing};
use crate::history;
use crate::metric_definitions::{FINDINGS, INCOMPLETE_LISTINGS, LAST_SUCCESS, RUN_SECONDS, RUNS};
use crate::observed::{Judging, Ours, saga_named};
use crate::providers::Providers;
use crate::release::{ReleaseOutcome, Repair};
use crate::report::{Outcome, Released, Report};
use crate::store::{self, RunRow};

/// How the job runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Provider objects created this long before a run are read.
    pub window: Duration,
    /// Objects younger than this are not judged.
    pub grace: Duration,
    pub limits: Limits,
    /// Release orphaned holds (false: report only).
    pub repair: bool,
    /// Who runs, for the audit and the runs table.
    pub instance: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            window: Duration::from_secs(48 * 3600),
            grace: Duration::from_secs(15 * 60),
            limits: Limits::default(),
            repair: true,
            instance: "reconcile".to_owned(),
        }
    }
}

/// The job: where it reads, and how.
pub struct Job<E> {
    pub pool: PgPool,
    /// Opens the sagas' stored states (they seal personal data).
    pub vault: Keyring,
    pub providers: Providers,
    pub events: E,
    pub clock: Clock,
    pub settings: Settings,
}

/// The lease a run holds, checked before each release and fencing the
/// run's writes.
#[derive(Debug, Clone, Copy)]
pub struct Guard<'a> {
    pub leases: &'a Leases,
    pub lease: &'a Lease,
}

impl<E: EventSource> Job<E> {
    /// Runs once and records the outcome in the metrics, whatever it is.
    pub async fn run_once(&self, guard: Option<Guard<'_>>) -> Result<Report, JobError> {
        let timer = Instant::now();
        let result = self.run(guard).await;
        metrics::histogram!(RUN_SECONDS).record(timer.elapsed().as_secs_f64());
        match &result {
            Ok(report) => self.observe(report).await,
            Err(error) => {
                tracing::error!(%error, "reconciliation run failed");
                counted(Outcome::Failed);
            }
        }
        result
    }

    async fn run(&self, guard: Option<Guard<'_>>) -> Result<Report, JobError> {
        let settings = &self.settings;
        let run_id = Uuid::now_v7();
        let started_at = self.clock.now();
        let window = chrono::Duration::from_std(settings.window).unwrap_or(chrono::Duration::MAX);
        let window_start = started_at.checked_sub_signed(window).unwrap_or(started_at);
        let mut ours = Ours::default();
        ours.add(records_since(&self.pool, &self.vault, window_start).await?);
        let named = self
            .events
            .intents_since(window_start, settings.limits.max_webhook_intents)
            .await?;
        let mut gathered =
            gather::list(&self.providers, window_start, &settings.limits, named).await;
        let unread: Vec<Uuid> = named_sagas(&gathered.observed)
            .into_iter()
            .filter(|saga| !ours.knows(saga))
            .collect();
        ours.add(records_of(&self.pool, &self.vault, &unread).await?);
        gather::look_up(&self.providers, &mut gathered, &ours, &settings.limits).await;
        gathered.examined.sagas = ours.records.len() + ours.unreadable.len();
        let judging = Judging {
            now: started_at,
            grace: settings.grace,
        };
        let judgement = compare(&gathered.observed, &ours, &judging);
        let (findings, released) = self
            .repair(judgement, &ours, &judging, guard, run_id)
            .await?;
        let incomplete: Vec<Listing> = gathered.incomplete.into_iter().collect();
        let outcome = Outcome::of(incomplete.is_empty(), findings.len());
        let finished_at = self.clock.now();
        if let Some(guard) = guard
            && !guard.leases.is_current(guard.lease).await
        {
            return Err(JobError::LeaseLost);
        }
        let row = RunRow {
            id: run_id,
            instance: &settings.instance,
            started_at,
            finished_at,
            window_start,
            outcome,
            incomplete: &incomplete,
            findings: &findings,
            released: released.len(),
        };
        store::record_run(&self.pool, &row, guard.map(|g| g.lease.token_i64())).await?;
        Ok(Report {
            ok: outcome == Outcome::Ok,
            outcome,
            run_id,
            started_at,
            finished_at,
            window_start,
            grace_secs: settings.grace.as_secs(),
            repair: settings.repair,
            incomplete,
            counts: Report::count(&findings),
            findings,
            released,
            examined: gathered.examined,
        })
    }

    /// Decides what is done about each finding: orphaned holds are released
    /// (when the run may), everything else waits for a person.
    async fn repair(
        &self,
        judgement: Judgement,
        ours: &Ours,
        judging: &Judging,
        guard: Option<Guard<'_>>,
        run_id: Uuid,
    ) -> Result<(Vec<Handled>, Vec<Released>), JobError> {
        let counted = counted_intents(ours);
        let repair = Repair {
            providers: &self.providers,
            pool: &self.pool,
            vault: &self.vault,
            by: &self.settings.instance,
            run_id,
        };
        let mut handled = Vec::new();
        let mut released = Vec::new();
        for finding in judgement.findings {
            let release = judgement
                .releases
                .iter()
                .find(|r| r.payment_intent_id == finding.subject);
            // Only an orphaned hold is repaired alone: a new class must
            // decide here.
            let repairable = match finding.class {
                FindingClass::OrphanHold => release,
                FindingClass::CaptureOnCompensatedSaga
                | FindingClass::OrderOnCompensatedSaga
                | FindingClass::OrderWithoutCapture
                | FindingClass::CaptureWithoutOrder
                | FindingClass::AmountMismatch
                | FindingClass::DoubleCapture
                | FindingClass::DoubleOrder
                | FindingClass::UnknownSaga
                | FindingClass::UnreadableSaga => None,
            };
            let action = match repairable {
                Some(release) => match self
                    .release(&repair, release, &counted, judging, guard)
                    .await?
                {
                    Some(ReleaseOutcome::Released(done)) => {
                        released.push(done);
                        Action::Released
                    }
                    Some(ReleaseOutcome::NoLongerOrphan) => continue,
                    Some(ReleaseOutcome::Failed) => Action::ReleaseFailed,
                    None => Action::ReadOnly,
                },
                None => Action::AwaitingOperator,
            };
            handled.push(Handled { finding, action });
        }
        Ok((handled, released))
    }

    /// Releases one hold, or None when this run may not release.
    async fn release(
        &self,
        repair: &Repair<'_>,
        release: &Release,
        counted: &BTreeSet<String>,
        judging: &Judging,
        guard: Option<Guard<'_>>,
    ) -> Result<Option<ReleaseOutcome>, JobError> {
        if !self.settings.repair {
            return Ok(None);
        }
        if let Some(guard) = guard
            && !guard.leases.is_current(guard.lease).await
        {
            return Err(JobError::LeaseLost);
        }
        Ok(Some(repair.release(release, counted, judging).await?))
    }

    /// The metrics after a run that recorded its findings.
    async fn observe(&self, report: &Report) {
        counted(report.outcome);
        for listing in &report.incomplete {
            metrics::counter!(INCOMPLETE_LISTINGS, "listing" => listing.as_str()).increment(1);
        }
        if report.incomplete.is_empty() {
            metrics::gauge!(LAST_SUCCESS).set(report.finished_at.timestamp() as f64);
        }
        match history::open_counts(&self.pool).await {
            Ok(counts) => {
                for (class, count) in counts {
                    metrics::gauge!(FINDINGS, "class" => class.as_str()).set(count as f64);
                }
            }
            Err(error) => tracing::warn!(%error, "the open findings could not be counted"),
        }
        tracing::info!(
            outcome = report.outcome.as_str(),
            findings = report.findings.len(),
            released = report.released.len(),
            "reconciliation run recorded"
        );
    }
}

/// Counts a run's outcome.
pub fn counted(outcome: Outcome) {
    metrics::counter!(RUNS, "outcome" => outcome.as_str()).increment(1);
}

/// Every saga the observed objects name.
fn named_sagas(observed: &crate::observed::Observed) -> BTreeSet<Uuid> {
    observed
        .intents
        .values()
        .map(|intent| &intent.metadata)
        .chain(observed.orders.values().map(|order| &order.metadata))
        .filter_map(saga_named)
        .collect()
}
