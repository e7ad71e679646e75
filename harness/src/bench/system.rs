//! The system under measurement: every role as its own process of this
//! binary (one orchestrator, one of each worker), configured only through
//! the environment like the chaos runner's children, so each process's
//! CPU time can be read on its own; and the trip workload that submits
//! trips through the broker and learns of finished sagas by NOTIFY.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, bail};
use backon::{ExponentialBuilder, Retryable};
use chrono::{DateTime, Utc};
use lapin::options::QueueDeclareOptions;
use lapin::types::FieldTable;
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio::sync::mpsc;
use tokio::time::Instant;
use uuid::Uuid;

use autobook_broker::{Broker, Publisher};
use autobook_contracts::trip::TripRequest;
use autobook_contracts::{Envelope, QueueRole};
use autobook_orchestrator::store::SAGA_FINISHED_CHANNEL;

use super::driver::Workload;
use crate::chaos::children::{Launcher, Process, Slot, terminate};

/// Children get this long to drain after SIGTERM.
const STOP_GRACE: Duration = Duration::from_secs(20);
/// Longest wait for every role to consume from its queue.
const READY_TIMEOUT: Duration = Duration::from_secs(90);
/// How often in-flight sagas are checked in the database, in case a
/// notification was missed (the listener's connection dropped).
const RESYNC_EVERY: Duration = Duration::from_secs(1);

/// The role processes of a run.
pub struct Roles {
    launcher: Launcher,
    running: Vec<(Slot, Process)>,
}

impl Roles {
    /// Starts one orchestrator and one of each worker.
    pub fn start(launcher: Launcher) -> anyhow::Result<Roles> {
        let mut roles = Roles {
            launcher,
            running: Vec::new(),
        };
        for slot in Slot::all(1, 1) {
            roles.spawn(slot)?;
        }
        Ok(roles)
    }

    fn spawn(&mut self, slot: Slot) -> anyhow::Result<()> {
        let log = slot.log_file(&self.launcher.log_dir);
        let process = Process::spawn(&mut self.launcher.command(&slot.args(), &log)?)
            .with_context(|| format!("starting {}", slot.name()))?;
        self.running.push((slot, process));
        Ok(())
    }

    /// (role, pid) of every running child.
    pub fn pids(&self) -> Vec<(String, u32)> {
        self.running
            .iter()
            .map(|(slot, process)| (slot.role.to_owned(), process.id()))
            .collect()
    }

    /// The orchestrator's pid.
    pub fn orchestrator(&self) -> Option<u32> {
        self.running
            .iter()
            .find(|(slot, _)| slot.role == "orchestrator")
            .map(|(_, process)| process.id())
    }

    /// Stops the orchestrator (graceful drain) and starts a fresh one.
    pub async fn restart_orchestrator(&mut self) -> anyhow::Result<()> {
        if let Some(index) = self
            .running
            .iter()
            .position(|(slot, _)| slot.role == "orchestrator")
        {
            let (slot, mut process) = self.running.remove(index);
            let pid = process.id();
            terminate(&mut process, pid, STOP_GRACE).await;
            self.spawn(slot)?;
        }
        Ok(())
    }

    /// Fails, naming the log, if a child has exited.
    pub fn check_running(&mut self) -> anyhow::Result<()> {
        for (slot, process) in &mut self.running {
            if process.has_exited() {
                bail!(
                    "{} exited during the bench; see {}",
                    slot.name(),
                    slot.log_file(&self.launcher.log_dir).display()
                );
            }
        }
        Ok(())
    }

    /// SIGTERM every child and wait for the drains; false if one was not graceful.
    pub async fn stop(mut self) -> bool {
        let mut graceful = true;
        for (_, process) in &mut self.running {
            let pid = process.id();
            graceful &= terminate(process, pid, STOP_GRACE).await.1;
        }
        graceful
    }

    pub fn log_dir(&self) -> &Path {
        &self.launcher.log_dir
    }
}

/// Waits until every queue of the system has a consumer (every role is up).
pub async fn wait_until_consuming(broker: &Broker) -> anyhow::Result<()> {
    let deadline = Instant::now() + READY_TIMEOUT;
    let topology = broker.topology().clone();
    loop {
        let channel = broker.channel().await?;
        let mut waiting = Vec::new();
        for role in QueueRole::ALL {
            let queue = topology.queue(*role);
            let options = QueueDeclareOptions {
                passive: true,
                ..QueueDeclareOptions::default()
            };
            let declared = channel
                .queue_declare(queue.clone().into(), options, FieldTable::default())
                .await
                .with_context(|| format!("looking at queue {queue}"))?;
            if declared.consumer_count() == 0 {
                waiting.push(queue);
            }
        }
        let _ = channel.close(200, "checked".into()).await;
        if waiting.is_empty() {
            return Ok(());
        }
        if Instant::now() >= deadline {
            bail!(
                "no consumer on {} after {READY_TIMEOUT:?}",
                waiting.join(", ")
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Submits trips through the broker as a gateway would, and hears of
/// finished sagas on the finished-saga channel.
pub struct TripWorkload {
    pool: PgPool,
    publisher: Publisher,
    listener: PgListener,
    trips: Vec<TripRequest>,
    next_trip: usize,
    /// Submission time of every saga started, taken before the publish.
    pub submitted: HashMap<Uuid, DateTime<Utc>>,
    in_flight: HashSet<Uuid>,
    failures: (
        mpsc::UnboundedSender<String>,
        mpsc::UnboundedReceiver<String>,
    ),
    last_resync: Instant,
}

impl TripWorkload {
    /// `trips` are used in turn (again from the first when all were used).
    pub async fn new(
        pool: PgPool,
        publisher: Publisher,
        trips: Vec<TripRequest>,
    ) -> anyhow::Result<TripWorkload> {
        anyhow::ensure!(!trips.is_empty(), "no trips to submit");
        let mut listener = PgListener::connect_with(&pool).await?;
        listener.listen(SAGA_FINISHED_CHANNEL).await?;
        Ok(TripWorkload {
            pool,
            publisher,
            listener,
            trips,
            next_trip: 0,
            submitted: HashMap::new(),
            in_flight: HashSet::new(),
            failures: mpsc::unbounded_channel(),
            last_resync: Instant::now(),
        })
    }

    /// Sagas submitted within `[from, to]`.
    pub fn submitted_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> HashMap<Uuid, DateTime<Utc>> {
        self.submitted
            .iter()
            .filter(|(_, at)| **at >= from && **at <= to)
            .map(|(id, at)| (*id, *at))
            .collect()
    }

    fn take(&mut self, id: Uuid) -> usize {
        usize::from(self.in_flight.remove(&id))
    }

    /// In-flight sagas the database says are finished (missed notifications).
    async fn resync(&mut self) -> anyhow::Result<usize> {
        self.last_resync = Instant::now();
        let ids: Vec<Uuid> = self.in_flight.iter().copied().collect();
        let done = autobook_orchestrator::admin::figures::finished_among(&self.pool, &ids).await?;
        Ok(done.into_iter().map(|id| self.take(id)).sum())
    }
}

impl Workload for TripWorkload {
    async fn start(&mut self) -> anyhow::Result<()> {
        let trip = self.trips[self.next_trip % self.trips.len()].clone();
        self.next_trip += 1;
        let saga_id = Uuid::now_v7();
        self.submitted.insert(saga_id, Utc::now());
        self.in_flight.insert(saga_id);
        let envelope = Envelope::new(saga_id, trip);
        let publisher = self.publisher.clone();
        let failures = self.failures.0.clone();
        // Publishing in the background keeps the confirm's round trip out
        // of the pacing loop; the same envelope is retried (the
        // orchestrator de-duplicates by message id).
        tokio::spawn(async move {
            let retries = ExponentialBuilder::default()
                .with_min_delay(Duration::from_millis(100))
                .with_max_delay(Duration::from_secs(2))
                .with_max_times(10);
            if let Err(error) = (|| publisher.publish(&envelope)).retry(retries).await {
                let _ = failures.send(format!("a trip could not be published: {error}"));
            }
        });
        Ok(())
    }

    async fn finished(&mut self) -> anyhow::Result<usize> {
        loop {
            if let Ok(failure) = self.failures.1.try_recv() {
                bail!(failure);
            }
            let mut count = 0;
            let wake = self.last_resync + RESYNC_EVERY;
            match tokio::time::timeout_at(wake, self.listener.recv()).await {
                Ok(Ok(notification)) => {
                    if let Ok(id) = notification.payload().parse::<Uuid>() {
                        count += self.take(id);
                    }
                    while let Some(more) = self.listener.next_buffered() {
                        if let Ok(id) = more.payload().parse::<Uuid>() {
                            count += self.take(id);
                        }
                    }
                }
                Ok(Err(error)) => {
                    // The listener reconnects on its next receive; the
                    // resync finds what was announced meanwhile.
                    tracing::warn!(%error, "finished-saga listener failed");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    count += self.resync().await.unwrap_or(0);
                }
                Err(_) => count += self.resync().await?,
            }
            if Instant::now() >= self.last_resync + RESYNC_EVERY {
                count += self.resync().await?;
            }
            if count > 0 {
                return Ok(count);
            }
        }
    }
}
