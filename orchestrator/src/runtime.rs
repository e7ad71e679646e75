//! Runs the orchestrator role: event consumer, outbox relay, timers, the
//! resumer, the dead-letter archiver, erasures, retention, pruning and the gauge
//! sampler, until shutdown; then drains in-flight events.

use std::sync::Arc;

use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use autobook_broker::consumer::ConsumerOptions;
use autobook_broker::{Broker, BrokerError, Publisher, run_consumer};
use autobook_contracts::QueueRole;

use autobook_flags::FlagSource;
use autobook_vault::Keyring;

use crate::clock::Clock;
use crate::consumer::EventHandler;
use crate::dead_letters::{ArchiverConfig, run_archiver};
use crate::privacy::erasure::{ErasureConfig, run_erasures};
use crate::privacy::retention::{RetentionConfig, run_retention};
use crate::pruning::{PruneConfig, run_pruning};
use crate::relay::{RelayConfig, RelayWake, run_relay};
use crate::resumer::{ResumerConfig, run_resumer};
use crate::saga::Policy;
use crate::sampler::{SamplerConfig, run_sampler};
use crate::store::SagaStore;
use crate::timers::{TimerConfig, run_timers};

/// Orchestrator settings.
#[derive(Debug, Clone)]
pub struct OrchestratorConfig {
    /// Events handled concurrently.
    pub prefetch: u16,
    pub relay: RelayConfig,
    pub timers: TimerConfig,
    pub sampler: SamplerConfig,
    pub policy: Policy,
    pub resumer: ResumerConfig,
    /// Where decisions and timers take the time from.
    pub clock: Clock,
    /// Names this instance in the broker (consumer tag).
    pub instance: String,
    /// Move dead letters from the broker's dead-letter queues into the
    /// `dead_letters` table, where `autobook ops dlq` works on them.
    pub archive_dead_letters: bool,
    /// How pending erasures are carried out.
    pub erasure: ErasureConfig,
    /// Retention limits of offers and personal data.
    pub retention: RetentionConfig,
    /// How long published outbox rows and inbox ids are kept.
    pub pruning: PruneConfig,
}

impl Default for OrchestratorConfig {
    fn default() -> Self {
        OrchestratorConfig {
            prefetch: 64,
            relay: RelayConfig::default(),
            timers: TimerConfig::default(),
            sampler: SamplerConfig::default(),
            policy: Policy::default(),
            resumer: ResumerConfig::default(),
            clock: Clock::system(),
            instance: format!("orchestrator-{}", std::process::id()),
            archive_dead_letters: true,
            erasure: ErasureConfig::default(),
            retention: RetentionConfig::default(),
            pruning: PruneConfig::default(),
        }
    }
}

/// Runs until `shutdown` is cancelled. The topology must be declared.
/// `flags` admits arriving trips and resumes paused sagas; `vault` seals
/// the personal data the orchestrator stores (states, outbox, dead letters).
pub async fn run(
    pool: PgPool,
    broker: Broker,
    flags: Arc<dyn FlagSource>,
    vault: Keyring,
    config: OrchestratorConfig,
    shutdown: CancellationToken,
) -> Result<(), BrokerError> {
    // Bodies travel with their personal fields sealed.
    let broker = broker.with_vault(vault.clone());
    let publisher = Publisher::open(&broker).await?;
    crate::metric_definitions::register_series();
    crate::consumer::register_rejection_series();
    let wake = RelayWake::new();
    let relay = tokio::spawn(run_relay(
        pool.clone(),
        publisher.clone().with_origin("relay"),
        vault.clone(),
        config.relay.clone(),
        wake.clone(),
        shutdown.clone(),
    ));
    let timers = tokio::spawn(run_timers(
        pool.clone(),
        vault.clone(),
        config.clock.clone(),
        config.timers.clone(),
        shutdown.clone(),
    ));
    let resumer = tokio::spawn(run_resumer(
        pool.clone(),
        vault.clone(),
        flags.clone(),
        config.resumer.clone(),
        shutdown.clone(),
    ));
    let erasures = tokio::spawn(run_erasures(
        pool.clone(),
        vault.clone(),
        config.erasure.clone(),
        shutdown.clone(),
    ));
    let retention = tokio::spawn(run_retention(
        pool.clone(),
        config.clock.clone(),
        config.retention.clone(),
        shutdown.clone(),
    ));
    let pruning = tokio::spawn(run_pruning(
        pool.clone(),
        config.clock.clone(),
        config.pruning.clone(),
        shutdown.clone(),
    ));
    let sampler = tokio::spawn(run_sampler(
        pool.clone(),
        broker.clone(),
        config.sampler.clone(),
        shutdown.clone(),
    ));
    let archiver = config.archive_dead_letters.then(|| {
        let archiver = ArchiverConfig {
            consumer_tag: format!("{}-archiver", config.instance),
            ..ArchiverConfig::default()
        };
        tokio::spawn(run_archiver(
            pool.clone(),
            broker.clone(),
            vault.clone(),
            archiver,
            shutdown.clone(),
        ))
    });
    let handler = Arc::new(EventHandler::new(
        SagaStore::new(pool, config.policy.clone(), vault)
            .with_flags(flags)
            .with_relay_wake(wake),
        config.clock.clone(),
    ));
    let options = ConsumerOptions {
        queue: QueueRole::Orchestrator,
        prefetch: config.prefetch,
        consumer_tag: config.instance.clone(),
    };
    let consumed = run_consumer(&broker, publisher, options, handler, shutdown.clone()).await;
    shutdown.cancel();
    let _ = relay.await;
    let _ = timers.await;
    let _ = resumer.await;
    let _ = sampler.await;
    let _ = erasures.await;
    let _ = retention.await;
    let _ = pruning.await;
    if let Some(archiver) = archiver {
        let _ = archiver.await;
    }
    consumed
}
