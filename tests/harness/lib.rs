//! Test harness: one whole system per test, against the real PostgreSQL
//! and RabbitMQ, with the sandbox as the providers.
//!
//! Each test gets a fresh database (`autobook_test_<id>`) and its own broker
//! namespace (`t-<id>`), so tests run in parallel and leave nothing behind:
//! [`TestSystem::teardown`] stops the roles and removes both, and a system
//! dropped by a failing test is cleaned up on a helper thread. Every role
//! connects as its own broker identity (`infra/rabbitmq-users.sh` creates
//! them), and each system signs its messages with keys of its own.

#![allow(clippy::unwrap_used)]

pub mod broker;
pub mod broker_files;
pub mod commands;
pub mod console;
pub mod control;
pub mod database;
pub mod forger;
pub mod gateway;
pub mod hostile_stream;
pub mod legacy;
pub mod people;
pub mod tables;
pub mod trips;
pub mod webdriver;

use std::time::Duration;

use uuid::Uuid;

use autobook_broker::{BrokerAccess, MessageKeys};
use autobook_contracts::Topology;
use autobook_contracts::senders::Identity;
use autobook_contracts::trip::TripRequest;
use autobook_harness::stack::{Stack, StackConfig};
use autobook_orchestrator::store::{SagaRow, load_saga};
use autobook_orchestrator::testing::{self, announce as inbox_announce};
use autobook_orchestrator::watch::until_finished;
use autobook_roles::services;
use autobook_sandbox::{FaultScript, Faults, Ledger, SandboxConfig};
use autobook_workers::worker::retry::RetryPolicy;
pub use tables::{dump_tables, erasure_completed, listen_archive, until_archived};

/// PostgreSQL server used by tests (`DATABASE_URL`, default: local).
pub fn database_url() -> String {
    std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres:postgres@127.0.0.1:5432/autobook".into())
}

/// RabbitMQ used by tests (`AMQP_URL`, default: local).
pub fn amqp_url() -> String {
    std::env::var("AMQP_URL").unwrap_or_else(|_| "amqp://127.0.0.1:5672/%2f".into())
}

/// The broker as tests reach it: every identity with its password
/// (`AUTOBOOK_BROKER_PASSWORD_<ROLE>`, else the local one), and a fresh
/// message key.
pub fn broker_access() -> BrokerAccess {
    BrokerAccess::new(&amqp_url(), MessageKeys::generate("test").unwrap())
        .unwrap()
        .with_passwords_from(|name| std::env::var(name).ok())
}

/// Redis used by tests (`REDIS_URL`, default: local).
pub fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// A running system owned by one test.
pub struct TestSystem {
    stack: Option<Stack>,
    pub database: String,
    pub database_url: String,
    pub topology: Topology,
}

/// Starts a system with no injected faults.
pub async fn spawn() -> TestSystem {
    spawn_with(|_| {}).await
}

/// Starts a system after `configure` adjusted its settings.
pub async fn spawn_with(configure: impl FnOnce(&mut StackConfig)) -> TestSystem {
    init_logging();
    let id = Uuid::new_v4().simple().to_string();
    let database = format!("autobook_test_{}", &id[..16]);
    let database_url = services::recreate_database(&database_url(), &database)
        .await
        .unwrap();
    let topology = Topology::new(&format!("t-{}", &id[..16]))
        .unwrap()
        .with_queue_expiry(600_000);
    let mut config = StackConfig::new(database_url.clone(), broker_access(), topology.clone());
    config.sandbox = SandboxConfig {
        faults: Faults::default(),
        ..SandboxConfig::default()
    };
    config.retry = RetryPolicy {
        retries: 4,
        min_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(50),
        ..RetryPolicy::default()
    };
    config.orchestrator.policy.recheck_delay = Duration::from_millis(100);
    config.orchestrator.policy.compensation_retry_delay = Duration::from_millis(100);
    config.orchestrator.policy.max_retry_delay = Duration::from_millis(400);
    // Trips with no acceptable offer fail at once unless a test watches them.
    config.orchestrator.policy.watch = None;
    config.db_pool = 8;
    config.redis_url = Some(redis_url());
    // Tests read the dead-letter queues themselves (`TestSystem::dead_letter`);
    // the ops suite turns the archiver back on.
    config.orchestrator.archive_dead_letters = false;
    configure(&mut config);
    let stack = Stack::start(config).await.unwrap();
    TestSystem {
        stack: Some(stack),
        database,
        database_url,
        topology,
    }
}

impl TestSystem {
    pub fn stack(&self) -> &Stack {
        self.stack.as_ref().unwrap()
    }

    /// Publishes a trip request through the broker; returns its saga id.
    pub async fn submit(&self, trip: TripRequest) -> Uuid {
        let saga_id = Uuid::now_v7();
        self.stack().submit(saga_id, trip).await.unwrap();
        saga_id
    }

    /// Publishes the traveller's cancellation of the trip.
    pub async fn cancel(&self, saga_id: Uuid) {
        self.cancel_envelope(saga_id).await;
    }

    /// Like [`TestSystem::cancel`], returning what was published.
    pub async fn cancel_envelope(&self, saga_id: Uuid) -> autobook_contracts::Envelope {
        self.stack().cancel(saga_id).await.unwrap()
    }

    /// Waits (at most 15 s) until the orchestrator has handled `message_id`:
    /// its row is in the inbox. The orchestrator announces no inbox rows, so
    /// the test database gets a trigger that does.
    pub async fn handled(&self, message_id: Uuid) {
        let pool = &self.stack().pool;
        inbox_announce::inbox_rows(pool).await.unwrap();
        let mut listener = sqlx::postgres::PgListener::connect_with(pool)
            .await
            .unwrap();
        listener
            .listen(inbox_announce::INBOX_CHANNEL)
            .await
            .unwrap();
        let in_inbox = || async { testing::inbox::holds(pool, message_id).await.unwrap() };
        if in_inbox().await {
            return;
        }
        let wanted = message_id.to_string();
        let waited = tokio::time::timeout(Duration::from_secs(15), async {
            while let Ok(notification) = listener.recv().await {
                if notification.payload() == wanted {
                    return;
                }
            }
        })
        .await;
        assert!(
            waited.is_ok() && in_inbox().await,
            "message {message_id} was not handled within 15 s"
        );
    }

    /// Waits (at most 30 s) until the saga's status is `status`, one of the
    /// statuses the orchestrator announces (waiting ones: watching, paused;
    /// terminal ones).
    pub async fn reaches(&self, id: Uuid, status: &str) -> SagaRow {
        self.until(id, status, |row| row.status == status).await
    }

    /// Waits (at most 30 s) until the saga's row satisfies `done`, checked
    /// whenever the orchestrator announces a waiting or terminal status.
    pub async fn until(&self, id: Uuid, what: &str, done: impl Fn(&SagaRow) -> bool) -> SagaRow {
        let status = what;
        let pool = &self.stack().pool;
        let mut listener = sqlx::postgres::PgListener::connect_with(pool)
            .await
            .unwrap();
        listener
            .listen_all([
                autobook_orchestrator::store::SAGA_WAITING_CHANNEL,
                autobook_orchestrator::store::SAGA_FINISHED_CHANNEL,
            ])
            .await
            .unwrap();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(row) = self.saga(id).await
                && done(&row)
            {
                return row;
            }
            let next = tokio::time::timeout_at(deadline, listener.recv()).await;
            if next.is_err() {
                let now = self.saga(id).await.map(|row| row.status);
                panic!("saga {id} did not reach {status} within 30 s; it is {now:?}");
            }
        }
    }

    pub async fn saga(&self, id: Uuid) -> Option<SagaRow> {
        load_saga(&self.stack().pool, &self.stack().vault, id)
            .await
            .unwrap()
    }

    /// Waits (at most 30 s) for the saga to reach a terminal status.
    pub async fn finished(&self, id: Uuid) -> SagaRow {
        let stack = self.stack();
        if let Some(row) = until_finished(&stack.pool, &stack.vault, id, Duration::from_secs(30))
            .await
            .unwrap()
        {
            return row;
        }
        let status = self.saga(id).await.map(|row| row.status);
        panic!("saga {id} did not finish within 30 s; its status is {status:?}");
    }

    pub fn ledger(&self) -> Ledger {
        self.stack().sandbox.ledger()
    }

    pub fn script(&self, script: FaultScript) {
        self.stack().sandbox.push_script(script);
    }

    /// Statuses the saga passed through, from its audit trail.
    pub async fn audit_statuses(&self, id: Uuid) -> Vec<String> {
        autobook_orchestrator::admin::sagas::history(&self.stack().pool, id)
            .await
            .unwrap()
            .into_iter()
            .map(|entry| entry.to_status)
            .collect()
    }

    /// Stops the roles and removes the database and the broker topology.
    pub async fn teardown(mut self) {
        let stack = self.stack.take().unwrap();
        stack.stop().await.unwrap();
        remove_topology(self.topology.clone()).await.unwrap();
        services::drop_database(&database_url(), &self.database)
            .await
            .unwrap();
    }
}

impl Drop for TestSystem {
    fn drop(&mut self) {
        if self.stack.is_none() {
            return;
        }
        // A failing test: remove its database and broker topology on a
        // thread of its own (this runtime may be shutting down).
        let (database, topology) = (self.database.clone(), self.topology.clone());
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            if let Ok(runtime) = runtime {
                runtime.block_on(async {
                    let _ = remove_topology(topology).await;
                    let _ = services::drop_database(&database_url(), &database).await;
                });
            }
        })
        .join();
    }
}

/// Deletes every queue and exchange of `topology`, on a connection of its
/// own (as ops).
pub async fn remove_topology(topology: Topology) -> anyhow::Result<()> {
    let broker = broker_access()
        .connect(Identity::Ops, "test-cleanup", topology)
        .await?;
    let deleted = autobook_broker::declare::delete_topology(&broker).await;
    broker.close().await;
    Ok(deleted?)
}

fn init_logging() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "error".into()),
        )
        .with_test_writer()
        .try_init();
}
