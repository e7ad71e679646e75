//! The cached PostgreSQL reader: evaluations answer from memory, and a
//! background task keeps that memory current. It listens on
//! [`FLAGS_CHANGED_CHANNEL`] (a change is seen as soon as it commits) and
//! also checks the version every `poll_interval`, which renews the copy and
//! catches anything a lost listener connection missed. When the store has
//! not answered for longer than `staleness`, evaluations fail (and so deny).

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use sqlx::PgPool;
use sqlx::postgres::{PgListener, PgNotification};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::snapshot::Cache;
use super::store::{FLAGS_CHANGED_CHANNEL, load_snapshot, version};
use crate::decision::FlagDecision;
use crate::error::FlagError;
use crate::source::{FlagSource, Refreshes};

/// How often the reader checks the store, and how old a copy may get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReaderConfig {
    /// Pause between version checks (the fallback when notifications are
    /// lost); also the time limit of each read.
    pub poll_interval: Duration,
    /// A copy the store has not confirmed for this long is not used.
    pub staleness: Duration,
}

impl Default for ReaderConfig {
    fn default() -> Self {
        ReaderConfig {
            poll_interval: Duration::from_secs(1),
            staleness: Duration::from_secs(5),
        }
    }
}

/// The PostgreSQL provider. Needs a pool of at least two connections: the
/// listener keeps one.
pub struct PgFlagReader {
    cache: Arc<RwLock<Cache>>,
    staleness: Duration,
    refreshes: watch::Receiver<Refreshes>,
    cancel: CancellationToken,
    task: Option<JoinHandle<()>>,
}

impl PgFlagReader {
    /// Starts the background task on the current tokio runtime. Returns at
    /// once; until the first read every evaluation fails with
    /// [`FlagError::NotLoaded`].
    pub fn start(pool: PgPool, config: ReaderConfig) -> PgFlagReader {
        let cache = Arc::new(RwLock::new(Cache::default()));
        let (refreshes_tx, refreshes) = watch::channel(Refreshes::default());
        let cancel = CancellationToken::new();
        let task = tokio::spawn(
            Refresher {
                pool,
                cache: cache.clone(),
                config,
                refreshes: refreshes_tx,
                healthy: None,
            }
            .run(cancel.clone()),
        );
        PgFlagReader {
            cache,
            staleness: config.staleness,
            refreshes,
            cancel,
            task: Some(task),
        }
    }

    /// Waits until the store has been read once, at most `timeout`; false
    /// if it was not.
    pub async fn wait_until_read(&self, timeout: Duration) -> bool {
        let mut refreshes = self.refreshes.clone();
        tokio::time::timeout(timeout, refreshes.wait_for(|r| r.succeeded > 0))
            .await
            .is_ok_and(|waited| waited.is_ok())
    }

    /// Waits until `check` gives `Some` for this reader, looking again after
    /// every refresh (a change announced or polled, or a failed read that
    /// may have made the copy stale), at most `timeout`; `None` if it never
    /// did.
    pub async fn wait_until<T>(
        &self,
        timeout: Duration,
        mut check: impl FnMut(&Self) -> Option<T>,
    ) -> Option<T> {
        let mut refreshes = self.refreshes.clone();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            refreshes.borrow_and_update();
            if let Some(found) = check(self) {
                return Some(found);
            }
            match tokio::time::timeout_at(deadline, refreshes.changed()).await {
                Ok(Ok(())) => {}
                // Timed out, or the refresher has stopped: one last look.
                _ => return check(self),
            }
        }
    }

    /// Stops the background task and waits for it.
    pub async fn stop(mut self) {
        self.cancel.cancel();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for PgFlagReader {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

impl FlagSource for PgFlagReader {
    fn evaluate(&self, user_id: &str) -> Result<FlagDecision, FlagError> {
        let cache = self
            .cache
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        cache.evaluate(user_id, Instant::now(), self.staleness)
    }

    fn provider(&self) -> &'static str {
        "postgres"
    }

    fn refreshes(&self) -> Option<watch::Receiver<Refreshes>> {
        Some(self.refreshes.clone())
    }
}

/// Why the refresher woke up.
enum Wake {
    Poll,
    Notified(Result<Option<PgNotification>, sqlx::Error>),
}

struct Refresher {
    pool: PgPool,
    cache: Arc<RwLock<Cache>>,
    config: ReaderConfig,
    refreshes: watch::Sender<Refreshes>,
    /// Whether the last read succeeded (`None` before the first), so that
    /// only changes of health are logged.
    healthy: Option<bool>,
}

impl Refresher {
    async fn run(mut self, cancel: CancellationToken) {
        let mut listener: Option<PgListener> = None;
        let mut next_listen = tokio::time::Instant::now();
        loop {
            let now = tokio::time::Instant::now();
            if listener.is_none() && now >= next_listen {
                // Listening before reading, so a change in between is not missed.
                listener = self.listen().await;
                next_listen = now + self.config.poll_interval;
            }
            self.refresh().await;
            let next_poll = tokio::time::Instant::now() + self.config.poll_interval;
            let wake = tokio::select! {
                () = cancel.cancelled() => return,
                () = tokio::time::sleep_until(next_poll) => Wake::Poll,
                received = next_notification(&mut listener) => Wake::Notified(received),
            };
            match wake {
                Wake::Poll | Wake::Notified(Ok(Some(_))) => {}
                // The connection was lost; the listener reconnects by itself
                // and the read below catches what was missed meanwhile.
                Wake::Notified(Ok(None)) => {}
                Wake::Notified(Err(error)) => {
                    tracing::debug!(%error, "flag change listener failed; reconnecting");
                    listener = None;
                }
            }
        }
    }

    async fn listen(&self) -> Option<PgListener> {
        let attempt = async {
            let mut listener = PgListener::connect_with(&self.pool).await?;
            listener.listen(FLAGS_CHANGED_CHANNEL).await?;
            Ok::<_, sqlx::Error>(listener)
        };
        match tokio::time::timeout(self.config.poll_interval, attempt).await {
            Ok(Ok(listener)) => Some(listener),
            Ok(Err(error)) => {
                tracing::debug!(%error, "cannot listen for flag changes; polling");
                None
            }
            Err(_) => None,
        }
    }

    /// Checks the version; reads everything when it changed.
    async fn refresh(&mut self) {
        let started = Instant::now();
        let held = self.cache_read().version();
        let read = async {
            let current = version(&self.pool).await?;
            if Some(current) == held {
                return Ok(None);
            }
            load_snapshot(&self.pool).await.map(Some)
        };
        let outcome = match tokio::time::timeout(self.config.poll_interval, read).await {
            Ok(outcome) => outcome,
            Err(_) => Err(FlagError::ReadTimedOut(self.config.poll_interval)),
        };
        match outcome {
            Ok(snapshot) => {
                {
                    let mut cache = self.cache_write();
                    match snapshot {
                        Some(snapshot) => cache.replace(snapshot, started),
                        None => cache.confirm(started),
                    }
                }
                self.refreshes.send_modify(|r| {
                    r.attempted += 1;
                    r.succeeded += 1;
                });
                if self.healthy != Some(true) {
                    tracing::info!("flags read from PostgreSQL");
                }
                self.healthy = Some(true);
            }
            Err(error) => {
                self.refreshes.send_modify(|r| r.attempted += 1);
                if self.healthy != Some(false) {
                    tracing::warn!(
                        %error,
                        staleness_ms = self.config.staleness.as_millis() as u64,
                        "cannot read the flags; decisions deny once the copy is stale"
                    );
                }
                self.healthy = Some(false);
            }
        }
    }

    fn cache_read(&self) -> std::sync::RwLockReadGuard<'_, Cache> {
        self.cache
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn cache_write(&self) -> std::sync::RwLockWriteGuard<'_, Cache> {
        self.cache
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

async fn next_notification(
    listener: &mut Option<PgListener>,
) -> Result<Option<PgNotification>, sqlx::Error> {
    match listener {
        Some(listener) => listener.try_recv().await,
        None => std::future::pending().await,
    }
}
