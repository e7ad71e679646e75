//! Shared by the process-level suites: a fresh database, namespace and
//! in-process sandbox, and role processes of the real binary configured
//! only through the environment.

#![allow(dead_code)]

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use uuid::Uuid;

use autobook_broker::{Broker, BrokerAccess, MessageKeys, Publisher};
use autobook_contracts::fixtures;
use autobook_contracts::senders::Identity;
use autobook_contracts::{Envelope, Topology};
use autobook_harness::reconcile::reconcile;
use autobook_orchestrator::store::load_saga;
use autobook_orchestrator::watch::until_finished;
use autobook_roles::services;
use autobook_sandbox::{Ports, RunningSandbox, SandboxConfig};
use autobook_vault::Keyring;

/// The roles' erasure pseudonym key (base64 of 32 bytes).
const TEST_PSEUDONYM_KEY: &str = "YXV0b2Jvb2stdGVzdC1wc2V1ZG9ueW0ta2V5LTAwMzI=";

pub fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

/// The first line of `stream` (a child's stdout or stderr) containing
/// `marker`, once it is written; the rest is read and dropped so that the
/// child never blocks on a full pipe.
pub fn first_line_with(
    stream: impl std::io::Read + Send + 'static,
    marker: &'static str,
) -> tokio::sync::oneshot::Receiver<String> {
    use std::io::BufRead;
    let (found, line) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let mut found = Some(found);
        for text in std::io::BufReader::new(stream)
            .lines()
            .map_while(Result::ok)
        {
            if text.contains(marker)
                && let Some(found) = found.take()
            {
                let _ = found.send(text);
            }
        }
    });
    line
}

/// The `n`th trip of a run: the shared sample trip from SFO, for a user,
/// a destination and a departure of its own.
pub fn trip(n: usize) -> autobook_contracts::trip::TripRequest {
    let destinations = ["SEA", "LAX", "ORD", "BOS", "DEN", "MIA", "ATL", "JFK"];
    fixtures::trip_with(|t| {
        t["user_id"] = format!("usr_proc_{n}").into();
        t["origin"] = "SFO".into();
        t["destination"] = destinations[n % destinations.len()].into();
        t["departure_date"] = serde_json::json!(fixtures::days_ahead(30 + (n % 200) as u64));
    })
}

/// One role process; killed when dropped.
pub struct Role(tokio::process::Child);

impl Role {
    /// Waits (at most `timeout`) for the process to end on its own.
    pub async fn exited(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        tokio::time::timeout(timeout, self.0.wait())
            .await
            .ok()
            .map(Result::unwrap)
    }
}

/// A fresh system: database, namespace, sandbox; roles started on demand.
pub struct System {
    pub server: String,
    pub database: String,
    pub database_url: String,
    pub amqp_url: String,
    pub namespace: String,
    pub sandbox: RunningSandbox,
    /// The broker, each identity's password and this system's message keys.
    pub access: BrokerAccess,
    /// The operators' connection (declares and removes the topology).
    pub broker: Broker,
    /// Publishes trip requests as a foreign gateway (the publisher identity).
    pub publisher: Publisher,
    submitter: Broker,
    pub pool: sqlx::PgPool,
    /// The roles' keyring (`AUTOBOOK_DATA_KEYS`).
    pub vault: Keyring,
    pub ops_ports: std::collections::HashMap<String, u16>,
}

impl System {
    pub async fn new(label: &str, sandbox: SandboxConfig) -> System {
        let id = &Uuid::new_v4().simple().to_string()[..12];
        let server = env_or(
            "DATABASE_URL",
            "postgres://postgres:postgres@127.0.0.1:5432/autobook",
        );
        let database = format!("autobook_test_{label}_{id}");
        let database_url = services::recreate_database(&server, &database)
            .await
            .unwrap();
        let sandbox = autobook_sandbox::start(sandbox, Ports::ephemeral())
            .await
            .unwrap();
        let amqp_url = env_or("AMQP_URL", "amqp://127.0.0.1:5672/%2f");
        let namespace = format!("t-{label}-{id}");
        let pool = autobook_orchestrator::db::connect(&database_url, 2)
            .await
            .unwrap();
        let vault = Keyring::generate("k1").unwrap();
        let access = BrokerAccess::new(&amqp_url, MessageKeys::generate("m1").unwrap())
            .unwrap()
            .with_passwords_from(|name| std::env::var(name).ok());
        let topology = Topology::new(&namespace).unwrap();
        let broker = access
            .connect(Identity::Ops, "process-test", topology.clone())
            .await
            .unwrap()
            .with_vault(vault.clone());
        let submitter = access
            .connect(Identity::Publisher, "process-test-submitter", topology)
            .await
            .unwrap()
            .with_vault(vault.clone());
        let publisher = Publisher::open(&submitter).await.unwrap();
        let system = System {
            server,
            database,
            database_url,
            amqp_url,
            namespace,
            sandbox,
            access,
            broker,
            publisher,
            submitter,
            pool,
            vault,
            ops_ports: Default::default(),
        };
        assert!(system.command(&["migrate"]).status().unwrap().success());
        system
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_autobook"));
        command
            .args(args)
            .env("DATABASE_URL", &self.database_url)
            .env("AMQP_URL", &self.amqp_url)
            .env("AUTOBOOK_NAMESPACE", &self.namespace)
            .env("AUTOBOOK_DB_POOL", "4")
            .env("AUTOBOOK_NO_WATCH", "true")
            .env("AUTOBOOK_RETRY_DELAYS_MS", "100,300,1000,3000,5000,10000")
            .env("DUFFEL_BASE_URL", &self.sandbox.duffel_url)
            .env("STRIPE_BASE_URL", &self.sandbox.stripe_url)
            .env("EMAIL_BASE_URL", &self.sandbox.email_url)
            .env("AUTOBOOK_DATA_KEYS", self.vault.expose_env_value())
            .env("AUTOBOOK_PSEUDONYM_KEY", TEST_PSEUDONYM_KEY)
            .env(
                "AUTOBOOK_MESSAGE_KEYS",
                self.access.keys().expose_env_value(),
            )
            .env_remove("AUTOBOOK_CRASH_AT")
            .stdout(Stdio::null());
        // AUTOBOOK_TEST_ROLE_LOGS=<dir> keeps each role's log for a look
        // after a failure; otherwise role output is dropped.
        match std::env::var_os("AUTOBOOK_TEST_ROLE_LOGS") {
            Some(dir) => {
                let name = format!("{}-{}.log", self.namespace, args.join("-"));
                let file = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(std::path::Path::new(&dir).join(name))
                    .unwrap();
                command.stderr(file);
            }
            None => {
                command.stderr(Stdio::null());
            }
        }
        command
    }

    /// Starts a role; `extra` environment variables on top.
    pub fn start(&self, args: &[&str], extra: &[(&str, String)]) -> Role {
        let mut command = self.command(args);
        for (name, value) in extra {
            command.env(name, value);
        }
        Role(
            tokio::process::Command::from(command)
                .kill_on_drop(true)
                .spawn()
                .unwrap(),
        )
    }

    /// Publishes `n` trip requests; their saga ids.
    pub async fn submit(&self, n: usize) -> Vec<Uuid> {
        let mut ids = Vec::new();
        for i in 0..n {
            let saga_id = Uuid::now_v7();
            self.publisher
                .publish(&Envelope::new(saga_id, trip(i)))
                .await
                .unwrap();
            ids.push(saga_id);
        }
        ids
    }

    /// Waits for every saga to be booked, then reconciles with the ledger.
    pub async fn all_booked_and_reconciled(&self, ids: &[Uuid], context: &str) {
        let mut phases = Vec::new();
        for saga_id in ids {
            let row = self.finished(*saga_id, context).await;
            assert_eq!(row.status, "booked", "saga {saga_id} ({context})");
            let saga = load_saga(&self.pool, &self.vault, *saga_id)
                .await
                .unwrap()
                .unwrap();
            phases.push((*saga_id, saga.saga.phase));
        }
        let ledger = self.sandbox.ledger();
        let report = reconcile(&phases, &ledger);
        assert!(report.ok, "{context}: {:?}", report.mismatches);
        assert_eq!(
            ledger.orders.len(),
            ids.len(),
            "one order per trip ({context})"
        );
        assert_eq!(
            ledger.payment_intents.len(),
            ids.len(),
            "one payment intent per trip ({context})"
        );
    }

    /// Waits for a saga to finish. The test's own connections may be cut
    /// by an outage too: errors are retried until the deadline.
    pub async fn finished(
        &self,
        saga_id: Uuid,
        context: &str,
    ) -> autobook_orchestrator::store::SagaRow {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match until_finished(&self.pool, &self.vault, saga_id, left).await {
                Ok(Some(row)) => return row,
                Ok(None) => panic!("saga {saga_id} did not finish ({context})"),
                Err(error) if Instant::now() < deadline => {
                    eprintln!("waiting for saga {saga_id}: {error}; retrying");
                    // Waits for the database itself (bounded by the pool's acquire timeout).
                    let _ = self.pool.acquire().await;
                }
                Err(error) => panic!("saga {saga_id} ({context}): {error}"),
            }
        }
    }

    pub async fn teardown(self) {
        self.pool.close().await;
        let _ = autobook_broker::declare::delete_topology(&self.broker).await;
        self.broker.close().await;
        self.submitter.close().await;
        self.sandbox.shutdown().await;
        services::drop_database(&self.server, &self.database)
            .await
            .unwrap();
    }
}
