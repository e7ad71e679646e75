//! `autobook ops` as a separate process of the real binary, configured
//! through the environment: it migrates a fresh database, prints JSON for
//! scripts, and refuses bad input with a non-zero exit.

#![allow(clippy::unwrap_used)]

use std::process::{Command, Output};

use uuid::Uuid;

use autobook::services;

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

fn ops(database_url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_autobook"))
        .arg("ops")
        .args(args)
        .env("DATABASE_URL", database_url)
        .env_remove("AUTOBOOK_NAMESPACE")
        .output()
        .unwrap()
}

#[tokio::test]
async fn ops_lists_stuck_sagas_as_json_on_a_fresh_database() {
    let server = env_or(
        "DATABASE_URL",
        "postgres://postgres:postgres@127.0.0.1:5432/autobook",
    );
    let database = format!(
        "autobook_test_ops_{}",
        &Uuid::new_v4().simple().to_string()[..12]
    );
    let database_url = services::recreate_database(&server, &database)
        .await
        .unwrap();

    let listed = ops(
        &database_url,
        &["saga", "list", "--state", "stuck", "--json"],
    );
    let stdout = String::from_utf8_lossy(&listed.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&listed.stderr).into_owned();
    let bad = ops(&database_url, &["saga", "list", "--state", "needs_help"]);
    let purge = ops(&database_url, &["dlq", "purge", "--json"]);
    let dead_letters = ops(&database_url, &["dlq", "list", "--json"]);
    services::drop_database(&server, &database).await.unwrap();

    assert!(
        listed.status.success(),
        "stdout: {stdout}\nstderr: {stderr}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"));
    assert_eq!(json["status"], "stuck");
    assert_eq!(json["sagas"], serde_json::json!([]));

    assert!(!bad.status.success(), "an unknown status is refused");
    let complaint = String::from_utf8_lossy(&bad.stderr);
    assert!(
        complaint.contains("unknown saga status") && complaint.contains("stuck"),
        "{complaint}"
    );

    assert!(!purge.status.success(), "purging needs a selector");
    assert!(
        String::from_utf8_lossy(&purge.stderr).contains("say which dead letters"),
        "{}",
        String::from_utf8_lossy(&purge.stderr)
    );

    assert!(dead_letters.status.success());
    let json: serde_json::Value = serde_json::from_slice(&dead_letters.stdout).unwrap();
    assert_eq!(json["dead_letters"], serde_json::json!([]));
}
