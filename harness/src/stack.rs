//! The whole system in one process: the sandbox, the orchestrator and
//! every worker, against real PostgreSQL and RabbitMQ. The demo runs it;
//! the integration tests start one per test (own database, own namespace).
//! Each role runs in a `role` span of its own, as it would in a process of
//! its own: a message's spans are linked to its publisher's only through
//! the trace context in the AMQP headers. Each role also connects to the
//! broker as its own identity (one connection per identity, shared by its
//! instances), exactly as separate processes would.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use sqlx::PgPool;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;
use uuid::Uuid;

use autobook_broker::{Broker, BrokerAccess, MessageKeys, Publisher};
use autobook_contracts::senders::Identity;
use autobook_contracts::trip::TripRequest;
use autobook_contracts::{Envelope, Topology};
use autobook_flags::{FlagConfig, FlagSource};
use autobook_orchestrator::clock::Clock;
use autobook_orchestrator::runtime::OrchestratorConfig;
use autobook_sandbox::{Ports, RunningSandbox, SandboxConfig};
use autobook_throttle::{RateLimit, Throttle};
use autobook_vault::Keyring;
use autobook_workers::WorkerKind;
use autobook_workers::providers::RateLimits;
use autobook_workers::providers::{ApiKey, ProviderConfig};
use autobook_workers::worker::retry::RetryPolicy;

use autobook_gateway::{Gateway, GatewayConfig};
use autobook_roles::broker_access::worker_identity;

/// How to start a stack.
#[derive(Debug, Clone)]
pub struct StackConfig {
    /// A database that exists (it is migrated here).
    pub database_url: String,
    /// The broker, each identity's password and the message keys.
    pub broker: BrokerAccess,
    pub topology: Topology,
    pub sandbox: SandboxConfig,
    pub orchestrator: OrchestratorConfig,
    /// Orchestrator instances (competing consumers).
    pub orchestrators: usize,
    /// Instances of every worker.
    pub worker_instances: usize,
    pub worker_prefetch: u16,
    pub retry: RetryPolicy,
    /// Per-request timeout of provider calls.
    pub provider_timeout: std::time::Duration,
    /// Redis for the shared provider rate limit; None: no limit.
    pub redis_url: Option<String>,
    pub rate_limits: RateLimits,
    pub db_pool: u32,
    /// Test switch: publish every message twice.
    pub duplicate_deliveries: bool,
    /// Where the feature flags come from (default: the flag tables of
    /// `database_url`).
    pub flags: FlagConfig,
    /// The workers started with the stack (default: all of them); the rest
    /// can be started later with [`Stack::start_workers`].
    pub worker_kinds: Vec<WorkerKind>,
    /// A separate database holding the flag tables, instead of
    /// `database_url`. Unreachable, the flags deny until they are read.
    pub flags_database_url: Option<String>,
    /// The keys personal data is sealed under (default: one random key,
    /// which lives as long as this config).
    pub vault: Keyring,
    /// How long the workers keep completed provider calls.
    pub call_pruning: autobook_workers::pruning::CallPruning,
    /// The HTTP gateway, served with the stack when set
    /// ([`Stack::gateway_url`]); it judges dates by the stack's clock.
    pub gateway: Option<GatewayConfig>,
}

impl StackConfig {
    /// The database the flags are read from.
    pub fn flag_store_url(&self) -> &str {
        self.flags_database_url
            .as_deref()
            .unwrap_or(&self.database_url)
    }

    pub fn new(database_url: String, broker: BrokerAccess, topology: Topology) -> Self {
        StackConfig {
            database_url,
            broker,
            topology,
            sandbox: SandboxConfig::default(),
            orchestrator: OrchestratorConfig::default(),
            orchestrators: 1,
            worker_instances: 1,
            worker_prefetch: 32,
            retry: RetryPolicy::default(),
            provider_timeout: std::time::Duration::from_secs(10),
            redis_url: None,
            // The sandbox, not a real provider, is on the other end.
            rate_limits: RateLimits {
                duffel: RateLimit::new(2000.0, 200),
                stripe: RateLimit::new(2000.0, 200),
                email: RateLimit::new(2000.0, 200),
                fallback_share: RateLimits::DEFAULT_FALLBACK_SHARE,
            },
            db_pool: 20,
            duplicate_deliveries: false,
            flags: FlagConfig::default(),
            flags_database_url: None,
            call_pruning: Default::default(),
            worker_kinds: WorkerKind::ALL.to_vec(),
            vault: Keyring::generate("local").expect("\"local\" is a valid key id"),
            gateway: None,
        }
    }
}

/// A running system.
pub struct Stack {
    pub sandbox: RunningSandbox,
    pub pool: PgPool,
    /// The operators' connection (the ops identity), which declared the
    /// topology: look at queues through it.
    pub broker: Broker,
    /// Publishes as ops (replays of dead letters, commands).
    pub publisher: Publisher,
    /// Publishes as the gateway ([`Stack::submit`], [`Stack::cancel`]).
    gateway_publisher: Publisher,
    /// Every role's connection, by identity.
    brokers: BTreeMap<Identity, Broker>,
    /// Connections opened by [`Stack::publisher_as`], closed at the stop.
    extra: Mutex<Vec<Broker>>,
    access: BrokerAccess,
    /// The feature flags, opened once: the workers ask them before every
    /// call that moves money; give the same source to any other role.
    pub flags: Arc<dyn FlagSource>,
    /// The orchestrators' clock; [`Stack::advance_clock`] moves it together
    /// with the sandbox's.
    pub clock: Clock,
    /// The keyring every role seals personal data with: open what they
    /// stored with it.
    pub vault: Keyring,
    shutdown: CancellationToken,
    roles: JoinSet<anyhow::Result<()>>,
    /// The workers started with the stack.
    first_workers: Option<Workers>,
    /// How [`Stack::start_workers`] starts workers.
    workers: autobook_workers::WorkerConfig,
    worker_instances: usize,
    gateway_url: Option<String>,
}

impl Stack {
    /// Starts the sandbox, migrates the database, declares the topology and
    /// starts the roles.
    pub async fn start(config: StackConfig) -> anyhow::Result<Stack> {
        let sandbox = autobook_sandbox::start(config.sandbox.clone(), Ports::ephemeral())
            .await
            .context("starting the sandbox")?;
        let pool = autobook_orchestrator::db::connect(&config.database_url, config.db_pool)
            .await
            .context("connecting to PostgreSQL")?;
        autobook_orchestrator::db::migrate(&pool)
            .await
            .context("migrating")?;
        let mut brokers = BTreeMap::new();
        for identity in Identity::ALL {
            let broker = config
                .broker
                .connect(
                    *identity,
                    &format!("autobook-stack-{identity}"),
                    config.topology.clone(),
                )
                .await
                .with_context(|| format!("connecting to RabbitMQ as {}", identity.user()))?
                .with_duplicate_deliveries(config.duplicate_deliveries)
                .with_vault(config.vault.clone());
            brokers.insert(*identity, broker);
        }
        let connection = |identity: Identity| brokers[&identity].clone();
        let broker = connection(Identity::Ops);
        autobook_broker::declare::declare_topology(&broker)
            .await
            .context("declaring the topology")?;
        let publisher = Publisher::open(&broker).await?;
        let gateway_publisher = Publisher::open(&connection(Identity::Gateway))
            .await?
            .with_origin("submitter");
        let flags =
            autobook_roles::flag_store::open(&config.flags, config.flag_store_url()).await?;
        let throttle = match &config.redis_url {
            Some(url) => Throttle::redis(url, config.topology.namespace(), config.rate_limits)
                .context("REDIS_URL")?,
            None => Throttle::disabled(),
        };
        let clock = config.orchestrator.clock.clone();
        let shutdown = CancellationToken::new();
        let mut roles = JoinSet::new();
        for n in 0..config.orchestrators.max(1) {
            let orchestrator = OrchestratorConfig {
                instance: format!("orchestrator-{n}"),
                ..config.orchestrator.clone()
            };
            let (pool, shutdown) = (pool.clone(), shutdown.clone());
            let broker = connection(Identity::Orchestrator);
            let (flags, vault) = (flags.clone(), config.vault.clone());
            let span = tracing::info_span!("role", role = "orchestrator", instance = n);
            roles.spawn(
                async move {
                    Ok(autobook_orchestrator::runtime::run(
                        pool,
                        broker,
                        flags,
                        vault,
                        orchestrator,
                        shutdown,
                    )
                    .await?)
                }
                .instrument(span),
            );
        }
        let gateway_url = match &config.gateway {
            Some(gateway) => {
                let gateway_broker = connection(Identity::Gateway);
                let url = start_gateway(
                    gateway,
                    &config,
                    &pool,
                    &gateway_broker,
                    &shutdown,
                    &mut roles,
                )
                .await?;
                // The sandbox's Stripe sends its webhooks to the gateway.
                if let Some(secret) = &gateway.stripe_webhook_secret {
                    sandbox.set_webhook_endpoint(Some(autobook_sandbox::WebhookEndpoint {
                        url: format!("{url}{}", autobook_gateway::webhooks::PATH),
                        secret: secret.clone(),
                    }));
                }
                Some(url)
            }
            None => None,
        };
        let workers = worker_config(&sandbox, &config, throttle.clone(), "worker".into());
        let mut stack = Stack {
            sandbox,
            pool,
            broker,
            publisher,
            gateway_publisher,
            brokers,
            extra: Mutex::new(Vec::new()),
            access: config.broker.clone(),
            flags,
            clock,
            vault: config.vault.clone(),
            shutdown,
            roles,
            workers,
            worker_instances: config.worker_instances.max(1),
            first_workers: None,
            gateway_url,
        };
        stack.first_workers = Some(stack.start_workers(&config.worker_kinds));
        Ok(stack)
    }

    /// Starts `worker_instances` instances of the given workers (for a
    /// stack started without some of them), each kind on its identity's
    /// connection. They run until the stack stops, or until [`Workers::stop`].
    pub fn start_workers(&self, kinds: &[WorkerKind]) -> Workers {
        let stop = self.shutdown.child_token();
        let mut tasks = JoinSet::new();
        for n in 0..self.worker_instances {
            let workers = autobook_workers::WorkerConfig {
                instance: format!("worker-{n}-{}", uuid::Uuid::now_v7().simple()),
                ..self.workers.clone()
            };
            for kind in kinds {
                let (pool, broker, flags, vault, stop, workers) = (
                    self.pool.clone(),
                    self.brokers[&worker_identity(*kind)].clone(),
                    self.flags.clone(),
                    self.vault.clone(),
                    stop.clone(),
                    workers.clone(),
                );
                let kind = *kind;
                let span = tracing::info_span!("role", role = "worker", instance = n);
                tasks.spawn(
                    async move {
                        Ok(autobook_workers::run(
                            &[kind],
                            pool,
                            broker,
                            vault,
                            workers,
                            flags,
                            stop,
                        )
                        .await?)
                    }
                    .instrument(span),
                );
            }
        }
        Workers { stop, tasks }
    }

    /// The connection every role of `identity` in this stack uses.
    pub fn broker_of(&self, identity: Identity) -> &Broker {
        &self.brokers[&identity]
    }

    /// The broker access the stack's roles use (addresses, passwords, keys).
    pub fn broker_access(&self) -> &BrokerAccess {
        &self.access
    }

    /// The keys the stack's messages are signed with.
    pub fn message_keys(&self) -> &MessageKeys {
        self.access.keys()
    }

    /// A publisher on a new connection as `identity` (a test standing in
    /// for that role); closed when the stack stops.
    pub async fn publisher_as(&self, identity: Identity) -> anyhow::Result<Publisher> {
        let broker = self
            .access
            .connect(
                identity,
                "autobook-stack-extra",
                self.broker.topology().clone(),
            )
            .await?;
        let publisher = Publisher::open(&broker).await?;
        self.extra
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(broker);
        Ok(publisher)
    }

    /// The gateway's base URL (`http://127.0.0.1:<port>`), when the stack
    /// serves one ([`StackConfig::gateway`]).
    pub fn gateway_url(&self) -> Option<&str> {
        self.gateway_url.as_deref()
    }

    /// Moves time forward for the orchestrators and the sandbox together:
    /// timers that became due fire at once, offers and holds age.
    pub fn advance_clock(&self, by: std::time::Duration) {
        self.clock.advance(by);
        self.sandbox.advance_clock(by);
    }

    /// Publishes a trip request through the broker, as a gateway would,
    /// starting the booking's trace.
    pub async fn submit(&self, saga_id: Uuid, trip: TripRequest) -> anyhow::Result<Envelope> {
        let mut envelope = Envelope::new(saga_id, trip);
        let span = autobook_broker::spans::submitting(&mut envelope);
        self.gateway_publisher
            .publish(&envelope)
            .instrument(span)
            .await
            .context("publishing the trip request")?;
        Ok(envelope)
    }

    /// Publishes the traveller's cancellation of a trip.
    pub async fn cancel(&self, saga_id: Uuid) -> anyhow::Result<Envelope> {
        let envelope = Envelope::new(
            saga_id,
            autobook_contracts::events::TripCancelRequested {
                requested_by: "traveller".into(),
            },
        );
        self.gateway_publisher
            .publish(&envelope)
            .await
            .context("publishing the cancellation")?;
        Ok(envelope)
    }

    /// Stops every role (draining in-flight work) and the sandbox.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        let mut first_error = None;
        let mut roles = self.roles;
        if let Some(workers) = self.first_workers {
            let mut tasks = workers.tasks;
            while let Some(joined) = tasks.join_next().await {
                roles.spawn(async move { joined.map_err(anyhow::Error::from)? });
            }
        }
        while let Some(joined) = roles.join_next().await {
            match joined {
                Ok(Ok(())) => {}
                Ok(Err(error)) => first_error = first_error.or(Some(error)),
                Err(panic) => {
                    first_error = first_error.or(Some(anyhow::anyhow!("a role panicked: {panic}")))
                }
            }
        }
        // The flag reader's last holder: it stops.
        drop(self.flags);
        let extra = std::mem::take(
            &mut *self
                .extra
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        for broker in self.brokers.values().chain(&extra) {
            broker.close().await;
        }
        self.pool.close().await;
        self.sandbox.shutdown().await;
        first_error.map_or(Ok(()), Err)
    }
}

/// Binds the gateway's socket and serves it as one of the stack's roles;
/// returns its base URL.
async fn start_gateway(
    gateway: &GatewayConfig,
    config: &StackConfig,
    pool: &PgPool,
    broker: &Broker,
    shutdown: &CancellationToken,
    roles: &mut JoinSet<anyhow::Result<()>>,
) -> anyhow::Result<String> {
    let state = Gateway::new(
        gateway,
        pool.clone(),
        broker.clone(),
        config.orchestrator.clock.clone(),
        config.vault.clone(),
        config.topology.namespace(),
    )
    .await
    .context("starting the gateway")?;
    let listener = autobook_gateway::bind(gateway.addr).await?;
    let addr = listener.local_addr()?;
    let shutdown = shutdown.clone();
    roles.spawn(
        async move { Ok(autobook_gateway::serve(listener, state, shutdown).await?) }
            .instrument(tracing::info_span!("role", role = "gateway")),
    );
    Ok(format!("http://{addr}"))
}

fn worker_config(
    sandbox: &RunningSandbox,
    config: &StackConfig,
    throttle: Throttle<RateLimits>,
    instance: String,
) -> autobook_workers::WorkerConfig {
    let provider = |url: &str, key: &str| {
        let mut provider = ProviderConfig::new(url, ApiKey::new(key));
        provider.timeout = config.provider_timeout;
        provider
    };
    autobook_workers::WorkerConfig {
        duffel: provider(&sandbox.duffel_url, "duffel_test_sandbox"),
        stripe: provider(&sandbox.stripe_url, "sk_test_sandbox"),
        email: provider(&sandbox.email_url, "re_sandbox"),
        email_from: "autobook <bookings@autobook.example>".into(),
        prefetch: config.worker_prefetch,
        retry: config.retry.clone(),
        throttle,
        supplier_timeout: std::time::Duration::from_secs(10),
        order_lookup_pages: 50,
        instance,
        pruning: config.call_pruning.clone(),
    }
}

/// Workers started by [`Stack::start_workers`].
pub struct Workers {
    stop: CancellationToken,
    tasks: JoinSet<anyhow::Result<()>>,
}

impl Workers {
    /// Stops them, letting in-flight commands finish, and waits.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        self.stop.cancel();
        while let Some(joined) = self.tasks.join_next().await {
            joined??;
        }
        Ok(())
    }
}
