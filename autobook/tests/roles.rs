//! The roles run as separate processes of the real binary, configured only
//! through the environment, and book a trip together; each serves its ops
//! endpoints, and their metrics show the booking.

#![allow(clippy::unwrap_used)]

#[path = "support/scrape.rs"]
mod scrape;

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use uuid::Uuid;

use autobook_broker::{BrokerAccess, MessageKeys, Publisher};
use autobook_contracts::fixtures;
use autobook_contracts::senders::Identity;
use autobook_contracts::{Envelope, Topology};
use autobook_orchestrator::watch::until_finished;
use autobook_roles::services;
use autobook_vault::Keyring;
use scrape::Check;

/// The roles' erasure pseudonym key (base64 of 32 bytes).
const TEST_PSEUDONYM_KEY: &str = "YXV0b2Jvb2stdGVzdC1wc2V1ZG9ueW0ta2V5LTAwMzI=";

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Children are killed when the test ends, however it ends.
struct Processes(Vec<Child>);

impl Drop for Processes {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The shared sample trip, from SFO to SEA 45 days ahead, for the
/// caller of the gateway's token (`usr_roles`).
fn trip() -> autobook_contracts::trip::TripRequest {
    fixtures::trip_with(|t| {
        t["user_id"] = "usr_roles".into();
        t["origin"] = "SFO".into();
        t["destination"] = "SEA".into();
        t["departure_date"] = serde_json::json!(fixtures::days_ahead(45));
    })
}

/// One test's roles: a database, a namespace, sandbox ports and keys of
/// their own; [`Roles::command`] starts the binary configured for them.
struct Roles {
    server: String,
    database: String,
    database_url: String,
    namespace: String,
    amqp_url: String,
    /// Sandbox ports: admin, Duffel, Stripe, email.
    ports: [u16; 4],
    vault: Keyring,
    /// The broker as the roles reach it, with this test's message keys.
    access: BrokerAccess,
}

impl Roles {
    fn new(label: &str) -> Roles {
        let id = &Uuid::new_v4().simple().to_string()[..12];
        let server = env_or(
            "DATABASE_URL",
            "postgres://postgres:postgres@127.0.0.1:5432/autobook",
        );
        let database = format!("autobook_test_{label}_{id}");
        Roles {
            database_url: services::replace_database(&server, &database),
            server,
            database,
            namespace: format!("t-{label}-{id}"),
            amqp_url: env_or("AMQP_URL", "amqp://127.0.0.1:5672/%2f"),
            ports: [free_port(), free_port(), free_port(), free_port()],
            vault: Keyring::generate("k1").unwrap(),
            access: BrokerAccess::new(
                &env_or("AMQP_URL", "amqp://127.0.0.1:5672/%2f"),
                MessageKeys::generate("m1").unwrap(),
            )
            .unwrap()
            .with_passwords_from(|name| std::env::var(name).ok()),
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_autobook"));
        command
            .args(args)
            .env("DATABASE_URL", &self.database_url)
            .env("AMQP_URL", &self.amqp_url)
            .env("AUTOBOOK_NAMESPACE", &self.namespace)
            .env(
                "DUFFEL_BASE_URL",
                format!("http://127.0.0.1:{}", self.ports[1]),
            )
            .env(
                "STRIPE_BASE_URL",
                format!("http://127.0.0.1:{}", self.ports[2]),
            )
            .env(
                "EMAIL_BASE_URL",
                format!("http://127.0.0.1:{}", self.ports[3]),
            )
            .env("AUTOBOOK_DATA_KEYS", self.vault.expose_env_value())
            .env("AUTOBOOK_PSEUDONYM_KEY", TEST_PSEUDONYM_KEY)
            .env(
                "AUTOBOOK_MESSAGE_KEYS",
                self.access.keys().expose_env_value(),
            )
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        command
    }

    /// `autobook sandbox` on this test's ports.
    fn sandbox(&self) -> Command {
        let [admin, duffel, stripe, email] = self.ports.map(|p| p.to_string());
        self.command(&[
            "sandbox",
            "--admin-port",
            &admin,
            "--duffel-port",
            &duffel,
            "--stripe-port",
            &stripe,
            "--email-port",
            &email,
        ])
    }

    fn admin_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.ports[0])
    }

    /// Removes the database and the namespace.
    async fn clean_up(self) {
        let namespace = Topology::new(&self.namespace).unwrap();
        if let Ok(broker) = self
            .access
            .connect(Identity::Ops, "roles-test-cleanup", namespace)
            .await
        {
            let _ = autobook_broker::declare::delete_topology(&broker).await;
            broker.close().await;
        }
        services::drop_database(&self.server, &self.database)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn separate_role_processes_book_a_trip() {
    let roles = Roles::new("roles");
    let (database_url, access, namespace, vault) = (
        roles.database_url.clone(),
        roles.access.clone(),
        roles.namespace.clone(),
        roles.vault.clone(),
    );
    let admin = roles.ports[0];
    let ops = format!("127.0.0.1:{}", free_port());
    let worker_ops = format!("127.0.0.1:{}", free_port());
    let sandbox_ops = format!("127.0.0.1:{}", free_port());
    let run = |args: &[&str]| roles.command(args);

    let migrated = run(&["migrate"]).status().unwrap();
    assert!(migrated.success(), "autobook migrate failed");
    let _processes = Processes(vec![
        roles
            .sandbox()
            .env("AUTOBOOK_OPS_ADDR", &sandbox_ops)
            .spawn()
            .unwrap(),
        run(&["orchestrator"])
            .env("AUTOBOOK_OPS_ADDR", &ops)
            .env("AUTOBOOK_METRICS_INTERVAL_MS", "200")
            .spawn()
            .unwrap(),
        run(&["worker", "all"])
            .env("AUTOBOOK_OPS_ADDR", &worker_ops)
            .spawn()
            .unwrap(),
    ]);

    // A foreign gateway's trip request (the publisher identity).
    let broker = access
        .connect(
            Identity::Publisher,
            "roles-test",
            Topology::new(&namespace).unwrap(),
        )
        .await
        .unwrap()
        .with_vault(vault.clone());
    let publisher = Publisher::open(&broker).await.unwrap();
    let saga_id = Uuid::now_v7();
    publisher
        .publish(&Envelope::new(saga_id, trip()))
        .await
        .unwrap();

    let pool = autobook_orchestrator::db::connect(&database_url, 2)
        .await
        .unwrap();
    let finished = until_finished(&pool, &vault, saga_id, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(finished.map(|row| row.status).as_deref(), Some("booked"));
    let ledger: serde_json::Value = reqwest::get(format!("http://127.0.0.1:{admin}/ledger"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ledger["orders"].as_array().unwrap().len(), 1);
    assert_eq!(ledger["payment_intents"][0]["status"], "succeeded");

    let ready = reqwest::get(format!("http://{ops}/ready")).await.unwrap();
    assert_eq!(ready.status(), reqwest::StatusCode::OK);
    let ready: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(ready, serde_json::json!({"database": true, "broker": true}));
    check_orchestrator_metrics(&ops).await;
    check_worker_metrics(&worker_ops).await;
    let sandbox_health = reqwest::get(format!("http://{sandbox_ops}/health"))
        .await
        .unwrap();
    assert_eq!(sandbox_health.status(), reqwest::StatusCode::OK);
    // The sandbox has no database and no broker, and says none.
    let sandbox_ready = reqwest::get(format!("http://{sandbox_ops}/ready"))
        .await
        .unwrap();
    assert_eq!(sandbox_ready.status(), reqwest::StatusCode::OK);
    let sandbox_ready: serde_json::Value = sandbox_ready.json().await.unwrap();
    assert_eq!(sandbox_ready, serde_json::json!({}));
    check_sandbox_metrics(&sandbox_ops).await;

    pool.close().await;
    drop(_processes);
    broker.close().await;
    roles.clean_up().await;
}

/// The sandbox's page counts the requests it answered (the booking's
/// search, hold, order, capture and email at least) and shows every fault
/// kind, at zero when none was injected.
async fn check_sandbox_metrics(ops: &str) {
    let page = scrape::fetch(ops).await;
    let samples = scrape::parse(&page);
    for provider in ["duffel", "stripe", "email"] {
        let answered = scrape::value(
            &samples,
            "autobook_sandbox_requests_total",
            &[("provider", provider), ("status", "2xx")],
        );
        assert!(answered.unwrap_or(0.0) >= 1.0, "{provider}: {page}");
    }
    let kinds = samples
        .iter()
        .filter(|sample| sample.name == "autobook_sandbox_faults_injected_total")
        .count();
    assert!(kinds >= 15, "every fault kind, zeros included: {page}");
}

/// The orchestrator's page shows the booked saga: started, finished, each
/// step's and the whole saga's duration, the outbox publishing, and the
/// sampled gauges (the workers consuming every queue, nothing stuck).
async fn check_orchestrator_metrics(ops: &str) {
    let checks = [
        Check::Equals("autobook_sagas_started_total", &[], 1.0),
        Check::Equals(
            "autobook_sagas_finished_total",
            &[("status", "booked")],
            1.0,
        ),
        Check::Equals(
            "autobook_sagas_finished_total",
            &[("status", "failed")],
            0.0,
        ),
        // The funnel: every status is there from the start, entered or not.
        Check::Equals(
            "autobook_saga_status_entered_total",
            &[("status", "booked")],
            1.0,
        ),
        Check::Equals(
            "autobook_saga_status_entered_total",
            &[("status", "paused")],
            0.0,
        ),
        Check::Equals("autobook_sagas_stuck_total", &[("step", "ordering")], 0.0),
        Check::Equals(
            "autobook_saga_events_rejected_total",
            &[("code", "unknown_cause")],
            0.0,
        ),
        Check::Equals(
            "autobook_saga_duration_seconds_count",
            &[("outcome", "booked")],
            1.0,
        ),
        Check::Positive(
            "autobook_saga_duration_seconds_sum",
            &[("outcome", "booked")],
        ),
        Check::Equals(
            "autobook_saga_step_duration_seconds_count",
            &[("step", "searching")],
            1.0,
        ),
        Check::Equals(
            "autobook_saga_step_duration_seconds_count",
            &[("step", "capturing")],
            1.0,
        ),
        Check::Equals(
            "autobook_saga_step_duration_seconds_count",
            &[("step", "notifying")],
            1.0,
        ),
        Check::Positive("autobook_outbox_publish_delay_seconds_count", &[]),
        Check::Positive("autobook_outbox_published_total", &[]),
        Check::Positive(
            "autobook_messages_consumed_total",
            &[("queue", "orchestrator"), ("disposition", "ack")],
        ),
        Check::Equals(
            "autobook_compensations_started_total",
            &[("compensation", "void_hold")],
            0.0,
        ),
        Check::Equals("autobook_sagas", &[("status", "stuck")], 0.0),
        Check::Equals("autobook_sagas", &[("status", "searching")], 0.0),
        Check::Equals("autobook_outbox_backlog", &[], 0.0),
        Check::Present("autobook_outbox_oldest_age_seconds", &[]),
        Check::Equals(
            "autobook_dead_letters_pending",
            &[("queue", "payment")],
            0.0,
        ),
        Check::Present(
            "autobook_queue_messages_ready",
            &[("queue", "payment"), ("kind", "work")],
        ),
        Check::Present(
            "autobook_queue_messages_ready",
            &[("queue", "payment"), ("kind", "retry")],
        ),
        Check::Positive("autobook_queue_consumers", &[("queue", "payment")]),
        Check::Positive("autobook_queue_consumers", &[("queue", "orchestrator")]),
    ];
    let (failed, page) = scrape::until(ops, Duration::from_secs(15), &checks).await;
    assert!(failed.is_empty(), "failed: {failed:#?}\n{page}");
    assert_eq!(
        scrape::declared_type(&page, "autobook_saga_step_duration_seconds"),
        Some("histogram"),
        "latencies are histograms, which aggregate across instances"
    );
}

/// The workers' page shows the provider calls of the booking.
async fn check_worker_metrics(ops: &str) {
    let checks = [
        Check::Positive(
            "autobook_provider_requests_total",
            &[("provider", "stripe"), ("status", "2xx"), ("outcome", "ok")],
        ),
        Check::Positive(
            "autobook_provider_requests_total",
            &[("provider", "duffel"), ("operation", "create_order")],
        ),
        Check::Positive(
            "autobook_provider_requests_total",
            &[("provider", "email"), ("operation", "send_email")],
        ),
        Check::Positive(
            "autobook_provider_request_duration_seconds_count",
            &[("provider", "duffel"), ("operation", "search")],
        ),
        Check::Positive(
            "autobook_messages_consumed_total",
            &[("queue", "payment"), ("disposition", "ack")],
        ),
    ];
    let (failed, page) = scrape::until(ops, Duration::from_secs(15), &checks).await;
    assert!(failed.is_empty(), "failed: {failed:#?}\n{page}");
    assert_eq!(
        scrape::declared_type(&page, "autobook_provider_request_duration_seconds"),
        Some("histogram")
    );
}

/// A signal that `child` wrote a stderr line containing `marker` (its
/// log). The rest of its stderr is read and dropped, so it never blocks.
fn logs(child: &mut Child, marker: &'static str) -> tokio::sync::oneshot::Receiver<()> {
    use std::io::BufRead;
    let stderr = child.stderr.take().expect("stderr is piped");
    let (seen, signal) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let mut seen = Some(seen);
        for line in std::io::BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if line.contains(marker)
                && let Some(seen) = seen.take()
            {
                let _ = seen.send(());
            }
        }
    });
    signal
}

#[tokio::test]
async fn a_gateway_process_takes_a_trip_and_the_sandboxs_signed_webhooks() {
    let roles = Roles::new("gw");
    let gateway = format!("127.0.0.1:{}", free_port());
    let token_secret = "roles-test-token-secret-of-at-least-32-bytes";
    let webhook_secret = "whsec_roles_test";
    let migrated = roles.command(&["migrate"]).status().unwrap();
    assert!(migrated.success(), "autobook migrate failed");
    // Each stored event is announced, so the test waits for the rows.
    let pool = autobook_orchestrator::db::connect(&roles.database_url, 4)
        .await
        .unwrap();
    autobook_gateway::testing::announce_recorded_events(&pool)
        .await
        .unwrap();
    let mut recorded_events = sqlx::postgres::PgListener::connect(&roles.database_url)
        .await
        .unwrap();
    recorded_events
        .listen(autobook_gateway::testing::WEBHOOK_RECORDED_CHANNEL)
        .await
        .unwrap();
    let mut gateway_process = roles
        .command(&["gateway"])
        .env("AUTOBOOK_GATEWAY_ADDR", &gateway)
        .env("AUTOBOOK_JWT_HS256_SECRET", token_secret)
        .env("AUTOBOOK_STRIPE_WEBHOOK_SECRET", webhook_secret)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let listening = logs(&mut gateway_process, "gateway listening");
    let processes = Processes(vec![
        roles
            .sandbox()
            .env(
                "AUTOBOOK_SANDBOX_WEBHOOK_URL",
                format!("http://{gateway}/v1/webhooks/stripe"),
            )
            .env("AUTOBOOK_STRIPE_WEBHOOK_SECRET", webhook_secret)
            .spawn()
            .unwrap(),
        roles.command(&["orchestrator"]).spawn().unwrap(),
        roles.command(&["worker", "all"]).spawn().unwrap(),
        gateway_process,
    ]);
    assert!(
        tokio::time::timeout(Duration::from_secs(30), listening)
            .await
            .is_ok_and(|seen| seen.is_ok()),
        "the gateway did not start listening within 30 s"
    );

    let now = chrono::Utc::now().timestamp();
    let token = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &serde_json::json!({"sub": "usr_roles", "iat": now, "exp": now + 600}),
        &jsonwebtoken::EncodingKey::from_secret(token_secret.as_bytes()),
    )
    .unwrap();
    let mut body = serde_json::to_value(trip()).unwrap();
    body.as_object_mut().unwrap().remove("user_id");
    let client = reqwest::Client::new();
    let accepted = client
        .post(format!("http://{gateway}/v1/trip-requests"))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), reqwest::StatusCode::ACCEPTED);
    let accepted: serde_json::Value = accepted.json().await.unwrap();
    let trip_id: Uuid = accepted["trip_id"].as_str().unwrap().parse().unwrap();

    let finished = until_finished(&pool, &roles.vault, trip_id, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(finished.map(|row| row.status).as_deref(), Some("booked"));
    let shown: serde_json::Value = client
        .get(format!("http://{gateway}/v1/trip-requests/{trip_id}"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(shown["status"], "booked", "{shown}");
    // Every event the sandbox made for the booking (the hold, the capture)
    // reaches the gateway and is recorded.
    let ledger: serde_json::Value = reqwest::get(format!("{}/ledger", roles.admin_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let sent = ledger["webhooks"].as_array().map_or(0, Vec::len);
    assert!(sent >= 2, "the hold and the capture were reported: {sent}");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let recorded = autobook_gateway::webhooks::recent::recorded_count(&pool)
            .await
            .unwrap();
        if recorded as usize >= sent {
            assert_eq!(recorded as usize, sent, "every signed event taken in once");
            break;
        }
        assert!(
            tokio::time::timeout_at(deadline, recorded_events.recv())
                .await
                .is_ok(),
            "{recorded} of {sent} webhooks recorded within 30 s"
        );
    }

    pool.close().await;
    drop(processes);
    roles.clean_up().await;
}

/// The orchestrator erases travellers: it does not start without the key
/// their pseudonyms are keyed with, and a bad key is refused unechoed.
#[test]
fn the_orchestrator_needs_the_pseudonym_key_and_never_echoes_it() {
    let vault = Keyring::generate("k1").unwrap();
    let run = |key: Option<&str>| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_autobook"));
        command
            .arg("orchestrator")
            .env("AUTOBOOK_DATA_KEYS", vault.expose_env_value())
            .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
            .env_remove("AUTOBOOK_PSEUDONYM_KEY")
            .stdout(Stdio::null());
        if let Some(key) = key {
            command.env("AUTOBOOK_PSEUDONYM_KEY", key);
        }
        let output = command.output().unwrap();
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let (ok, stderr) = run(None);
    assert!(
        !ok && stderr.contains("AUTOBOOK_PSEUDONYM_KEY is not set"),
        "{stderr}"
    );
    let (ok, stderr) = run(Some("c2VjcmV0LXRvby1zaG9ydA=="));
    assert!(!ok && stderr.contains("at least 32 bytes"), "{stderr}");
    assert!(!stderr.contains("c2VjcmV0LXRvby1zaG9ydA"), "{stderr}");
    let (ok, stderr) = run(Some("secret pseudonym key!!"));
    assert!(!ok && stderr.contains("not base64"), "{stderr}");
    assert!(!stderr.contains("secret pseudonym"), "{stderr}");
}
