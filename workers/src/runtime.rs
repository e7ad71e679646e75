//! Runs worker roles: one consumer per command queue, each with its own
//! prefetch limit, sharing one confirm channel for replies.

use crate::pruning::{CallPruning, run_call_pruning};
use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use autobook_broker::consumer::ConsumerOptions;
use autobook_broker::{Broker, BrokerError, Publisher, run_consumer};
use autobook_contracts::QueueRole;
use autobook_flags::FlagSource;
use autobook_throttle::Throttle;
use autobook_vault::Keyring;

use crate::notify::NotifyService;
use crate::order::OrderService;
use crate::payment::PaymentService;
use crate::providers::{
    DuffelClient, EmailClient, Provider, ProviderConfig, ProviderError, RateLimits, StripeClient,
};
use crate::search::SearchService;
use crate::worker::retry::{Caller, RetryPolicy};
use crate::worker::{CommandHandler, Service};

/// A worker role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WorkerKind {
    Search,
    Payment,
    Order,
    Notify,
}

impl WorkerKind {
    pub const ALL: &'static [WorkerKind] = &[
        WorkerKind::Search,
        WorkerKind::Payment,
        WorkerKind::Order,
        WorkerKind::Notify,
    ];

    pub fn queue(&self) -> QueueRole {
        match self {
            WorkerKind::Search => QueueRole::Search,
            WorkerKind::Payment => QueueRole::Payment,
            WorkerKind::Order => QueueRole::Order,
            WorkerKind::Notify => QueueRole::Notify,
        }
    }
}

/// Worker settings.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    pub duffel: ProviderConfig,
    pub stripe: ProviderConfig,
    pub email: ProviderConfig,
    pub email_from: String,
    /// Commands handled concurrently per queue.
    pub prefetch: u16,
    pub retry: RetryPolicy,
    /// The shared rate limit on provider calls.
    pub throttle: Throttle<RateLimits>,
    pub supplier_timeout: Duration,
    /// Pages of recent orders scanned when an order is looked up.
    pub order_lookup_pages: u32,
    /// Names this instance in the broker (consumer tags).
    pub instance: String,
    /// How long completed provider calls are kept.
    pub pruning: CallPruning,
}

#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error(transparent)]
    Broker(#[from] BrokerError),
    #[error("provider client: {0}")]
    Provider(#[from] Box<ProviderError>),
}

/// Runs the given roles until `shutdown`, then drains them. The payment
/// and order workers ask `flags` before every call that moves money;
/// `vault` seals the replies kept in the call ledger, and the personal
/// fields of the bodies they publish and receive.
pub async fn run(
    kinds: &[WorkerKind],
    pool: PgPool,
    broker: Broker,
    vault: Keyring,
    config: WorkerConfig,
    flags: Arc<dyn FlagSource>,
    shutdown: CancellationToken,
) -> Result<(), WorkerError> {
    let broker = broker.with_vault(vault.clone());
    let launcher = Launcher {
        pool,
        vault,
        publisher: Publisher::open(&broker).await?.with_origin("worker"),
        broker,
        shutdown: shutdown.clone(),
    };
    let mut consumers = JoinSet::new();
    for kind in kinds {
        crate::metric_definitions::register_series(kind.queue());
        let options = ConsumerOptions {
            queue: kind.queue(),
            prefetch: config.prefetch,
            consumer_tag: format!("{}-{}", config.instance, kind.queue().as_str()),
        };
        match kind {
            WorkerKind::Search => launcher.spawn(
                &mut consumers,
                options,
                SearchService {
                    duffel: DuffelClient::new(config.duffel.clone()).map_err(Box::new)?,
                    caller: config.caller(Provider::Duffel),
                    supplier_timeout: config.supplier_timeout,
                },
            ),
            WorkerKind::Payment => launcher.spawn(
                &mut consumers,
                options,
                PaymentService {
                    stripe: StripeClient::new(config.stripe.clone()).map_err(Box::new)?,
                    caller: config.caller(Provider::Stripe),
                    flags: flags.clone(),
                },
            ),
            WorkerKind::Order => launcher.spawn(
                &mut consumers,
                options,
                OrderService {
                    duffel: DuffelClient::new(config.duffel.clone()).map_err(Box::new)?,
                    caller: config.caller(Provider::Duffel),
                    lookup_pages: config.order_lookup_pages,
                    flags: flags.clone(),
                },
            ),
            WorkerKind::Notify => launcher.spawn(
                &mut consumers,
                options,
                NotifyService {
                    email: EmailClient::new(config.email.clone()).map_err(Box::new)?,
                    caller: config.caller(Provider::Email),
                    from: config.email_from.clone(),
                },
            ),
        }
    }
    let pruner = tokio::spawn(run_call_pruning(
        launcher.pool.clone(),
        config.pruning.clone(),
        shutdown.clone(),
    ));
    let mut first_error = None;
    while let Some(joined) = consumers.join_next().await {
        if let Ok(Err(error)) = joined {
            tracing::error!(%error, "a worker consumer stopped");
            shutdown.cancel();
            first_error = first_error.or(Some(error));
        }
    }
    // Each deletion is one statement: stopping between two loses nothing.
    pruner.abort();
    first_error.map_or(Ok(()), |e| Err(e.into()))
}

/// What every consumer of this process shares.
struct Launcher {
    pool: PgPool,
    vault: Keyring,
    publisher: Publisher,
    broker: Broker,
    shutdown: CancellationToken,
}

impl Launcher {
    /// Starts the consumer loop of one service's queue.
    fn spawn<S: Service>(
        &self,
        consumers: &mut JoinSet<Result<(), BrokerError>>,
        options: ConsumerOptions,
        service: S,
    ) {
        let handler = Arc::new(CommandHandler::new(
            self.pool.clone(),
            self.publisher.clone(),
            self.vault.clone(),
            service,
        ));
        let (broker, publisher, shutdown) = (
            self.broker.clone(),
            self.publisher.clone(),
            self.shutdown.clone(),
        );
        consumers.spawn(async move {
            run_consumer(&broker, publisher, options, handler, shutdown).await
        });
    }
}

impl WorkerConfig {
    /// How services call `provider`: this config's retries and rate limit.
    pub fn caller(&self, provider: Provider) -> Caller {
        Caller {
            provider,
            policy: self.retry.clone(),
            throttle: self.throttle.clone(),
        }
    }
}
