//! `autobook console` as a process: it refuses settings nobody could sign
//! in with (naming the setting, never echoing a secret), and with local
//! logins it migrates its database, serves the sign-in page and the
//! console, and stops cleanly on SIGTERM.

#![allow(clippy::unwrap_used)]

mod support;

use std::process::{Command, Stdio};
use std::time::Duration;

use uuid::Uuid;

use autobook_broker::MessageKeys;
use autobook_roles::services;
use autobook_vault::Keyring;
use support::{env_or, first_line_with};

fn console(database_url: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_autobook"));
    command
        .arg("console")
        .env("DATABASE_URL", database_url)
        .env("AMQP_URL", env_or("AMQP_URL", "amqp://127.0.0.1:5672/%2f"))
        .env(
            "AUTOBOOK_DATA_KEYS",
            Keyring::generate("k1").unwrap().expose_env_value(),
        )
        .env(
            "AUTOBOOK_MESSAGE_KEYS",
            MessageKeys::generate("m1").unwrap().expose_env_value(),
        )
        .env("AUTOBOOK_CONSOLE_ADDR", "127.0.0.1:0")
        .env("AUTOBOOK_LOG_FORMAT", "json")
        .env_remove("AUTOBOOK_CONSOLE_USERS")
        .env_remove("AUTOBOOK_CONSOLE_PROXY_SECRET")
        .env_remove("AUTOBOOK_CONSOLE_SESSION_KEY")
        .stdout(Stdio::null());
    command
}

#[test]
fn the_console_refuses_settings_nobody_could_sign_in_with() {
    let run = |vars: &[(&str, &str)]| {
        let mut command = console("postgres://nobody@127.0.0.1:1/none");
        for (name, value) in vars {
            command.env(name, value);
        }
        let output = command.output().unwrap();
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let (ok, stderr) = run(&[]);
    assert!(!ok && stderr.contains("nobody could sign in"), "{stderr}");
    let (ok, stderr) = run(&[(
        "AUTOBOOK_CONSOLE_USERS",
        "ana:operator:hunter2hunter2,bob:admin:letmein-please",
    )]);
    assert!(
        !ok && stderr.contains("console user 2") && stderr.contains("role"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("hunter2") && !stderr.contains("letmein"),
        "{stderr}"
    );
    let (ok, stderr) = run(&[
        ("AUTOBOOK_CONSOLE_USERS", "ana:operator:hunter2hunter2"),
        ("AUTOBOOK_CONSOLE_SESSION_KEY", "too-short-key"),
    ]);
    assert!(
        !ok && stderr.contains("AUTOBOOK_CONSOLE_SESSION_KEY"),
        "{stderr}"
    );
    assert!(!stderr.contains("too-short-key"), "{stderr}");
}

#[tokio::test]
async fn the_console_serves_its_pages_and_stops_on_sigterm() {
    let server = env_or(
        "DATABASE_URL",
        "postgres://postgres:postgres@127.0.0.1:5432/autobook",
    );
    let database = format!(
        "autobook_test_console_{}",
        &Uuid::new_v4().simple().to_string()[..12]
    );
    let database_url = services::replace_database(&server, &database);
    let namespace = format!("t-console-{}", &Uuid::new_v4().simple().to_string()[..12]);
    let mut child = console(&database_url)
        .env("AUTOBOOK_NAMESPACE", &namespace)
        .env("AUTOBOOK_CONSOLE_USERS", "ana:operator:hunter2hunter2")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The console logs where it listens once it does (port 0: the system's pick).
    let listening = first_line_with(child.stderr.take().unwrap(), "console listening");
    let line = tokio::time::timeout(Duration::from_secs(60), listening)
        .await
        .expect("the console listened within a minute")
        .expect("the console ran until it listened");
    let logged: serde_json::Value = serde_json::from_str(&line).unwrap();
    let addr = logged["addr"].as_str().unwrap().to_owned();
    let client = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let base = format!("http://{addr}");
    let health = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert!(health.status().is_success());
    let login = client.get(format!("{base}/login")).send().await.unwrap();
    assert_eq!(login.status(), 200);
    assert!(login.text().await.unwrap().contains("id=\"sign-in\""));
    let overview = client.get(format!("{base}/")).send().await.unwrap();
    assert_eq!(overview.status(), 303, "not signed in: to the login page");

    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    services::drop_database(&server, &database).await.unwrap();
    let access = autobook_broker::BrokerAccess::new(
        &env_or("AMQP_URL", "amqp://127.0.0.1:5672/%2f"),
        MessageKeys::generate("m1").unwrap(),
    )
    .unwrap()
    .with_passwords_from(|name| std::env::var(name).ok());
    let broker = access
        .connect(
            autobook_contracts::senders::Identity::Ops,
            "console-test-cleanup",
            autobook_contracts::Topology::new(&namespace).unwrap(),
        )
        .await
        .unwrap();
    autobook_broker::declare::delete_topology(&broker)
        .await
        .unwrap();
    broker.close().await;
}
