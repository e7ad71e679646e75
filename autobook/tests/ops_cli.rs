//! `autobook ops` as a separate process of the real binary, configured
//! through the environment: it migrates a fresh database, prints JSON for
//! scripts, and refuses bad input with a non-zero exit. The flag commands'
//! changes reach a running flag reader through NOTIFY.

#![allow(clippy::unwrap_used)]

use std::process::{Command, Output};
use std::time::Duration;

use uuid::Uuid;

use autobook_flags::postgres::{PgFlagReader, ReaderConfig};
use autobook_flags::{DenyReason, FlagDecision, FlagSource};
use autobook_orchestrator::testing::passengers::{self, StoredPassenger};
use autobook_orchestrator::testing::records::{self, PlantedErasure};
use autobook_orchestrator::testing::sagas::{self, PlantedSaga};
use autobook_roles::services;
use autobook_vault::Keyring;

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

fn ops(database_url: &str, args: &[&str]) -> Output {
    ops_with(database_url, args, &[])
}

fn ops_with(database_url: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_autobook"));
    command
        .arg("ops")
        .args(args)
        .env("DATABASE_URL", database_url)
        .env_remove("AUTOBOOK_NAMESPACE")
        .env_remove("AUTOBOOK_FLAGS")
        .env_remove("LAUNCHDARKLY_SDK_KEY")
        .env_remove("AUTOBOOK_DATA_KEYS");
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().unwrap()
}

fn json_of(output: &Output) -> serde_json::Value {
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "stdout: {stdout}\nstderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
}

fn text_of(output: &Output) -> (bool, String, String) {
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

async fn fresh_database(label: &str) -> (String, String, String) {
    let server = env_or(
        "DATABASE_URL",
        "postgres://postgres:postgres@127.0.0.1:5432/autobook",
    );
    let database = format!(
        "autobook_test_{label}_{}",
        &Uuid::new_v4().simple().to_string()[..12]
    );
    let database_url = services::recreate_database(&server, &database)
        .await
        .unwrap();
    (server, database, database_url)
}

/// Whether the reader gives `wanted` within 3 s (its fallback poll is a
/// minute away: only NOTIFY can deliver it in time).
async fn reader_sees(reader: &PgFlagReader, user_id: &str, wanted: FlagDecision) -> bool {
    reader
        .wait_until(Duration::from_secs(3), |r| {
            (r.evaluate(user_id).ok() == Some(wanted)).then_some(())
        })
        .await
        .is_some()
}

#[tokio::test]
async fn ops_flags_throw_and_release_the_kill_switch_and_set_one_users_pipeline() {
    let (server, database, url) = fresh_database("ops_flags").await;
    let initially = ops(&url, &["flags", "get", "--json"]);
    let pool = autobook_orchestrator::db::connect(&url, 2).await.unwrap();
    let reader = PgFlagReader::start(
        pool.clone(),
        ReaderConfig {
            poll_interval: Duration::from_secs(60),
            staleness: Duration::from_secs(300),
        },
    );
    let reader_ready = reader.wait_until_read(Duration::from_secs(10)).await;
    let killed = FlagDecision::Denied(DenyReason::KillSwitch);
    let pipeline_off = FlagDecision::Denied(DenyReason::PipelineDisabled);

    let thrown = ops(
        &url,
        &[
            "flags",
            "set",
            "kill-switch",
            "on",
            "--by",
            "ana",
            "--reason",
            "Stripe incident",
            "--json",
        ],
    );
    let reader_saw_thrown = reader_sees(&reader, "usr_1", killed).await;
    let while_thrown = ops(&url, &["flags", "get", "--user", "usr_1", "--json"]);
    let released = ops(
        &url,
        &[
            "flags",
            "set",
            "kill-switch",
            "off",
            "--by",
            "bo",
            "--reason",
            "Stripe is back",
        ],
    );
    let reader_saw_released = reader_sees(&reader, "usr_1", FlagDecision::Allowed).await;
    let opted_out = ops(
        &url,
        &[
            "flags",
            "set",
            "pipeline",
            "off",
            "--user",
            "usr_1",
            "--by",
            "ana",
            "--reason",
            "asked to stop",
        ],
    );
    let reader_saw_override = reader_sees(&reader, "usr_1", pipeline_off).await;
    let reader_others_allowed = reader.evaluate("usr_2").ok();
    let user_1 = ops(&url, &["flags", "get", "--user", "usr_1", "--json"]);
    let user_1_text = ops(&url, &["flags", "get", "--user", "usr_1"]);
    let user_2 = ops(&url, &["flags", "get", "--user", "usr_2", "--json"]);
    let back_to_default = ops(
        &url,
        &[
            "flags", "set", "pipeline", "default", "--user", "usr_1", "--by", "ana", "--reason",
            "resumed", "--json",
        ],
    );
    let reader_saw_default = reader_sees(&reader, "usr_1", FlagDecision::Allowed).await;

    let no_reason = ops(&url, &["flags", "set", "kill-switch", "on", "--by", "ana"]);
    let blank_reason = ops(
        &url,
        &[
            "flags",
            "set",
            "kill-switch",
            "on",
            "--by",
            "ana",
            "--reason",
            " ",
        ],
    );
    let default_for_all = ops(
        &url,
        &[
            "flags", "set", "pipeline", "default", "--by", "ana", "--reason", "x",
        ],
    );
    let bad_user = ops(&url, &["flags", "get", "--user", "someone@example.com"]);
    let launchdarkly_set = ops_with(
        &url,
        &[
            "flags",
            "set",
            "kill-switch",
            "on",
            "--by",
            "ana",
            "--reason",
            "x",
        ],
        &[("AUTOBOOK_FLAGS", "launchdarkly")],
    );
    let still_released = ops(&url, &["flags", "get", "--json"]);
    reader.stop().await;
    pool.close().await;
    services::drop_database(&server, &database).await.unwrap();

    let initially = json_of(&initially);
    assert_eq!(initially["decision"], "allowed", "{initially}");
    assert_eq!(initially["money_may_move"], true);
    assert_eq!(initially["values"]["kill_switch"]["enabled"], false);
    assert_eq!(initially["values"]["pipeline_default"]["enabled"], true);
    assert!(reader_ready);

    let thrown = json_of(&thrown);
    assert_eq!(thrown["change"]["flag"], "kill_switch");
    assert_eq!(thrown["change"]["old_enabled"], false);
    assert_eq!(thrown["change"]["new_enabled"], true);
    assert!(reader_saw_thrown, "the reader saw the switch thrown");
    let while_thrown = json_of(&while_thrown);
    assert_eq!(while_thrown["decision"], "denied");
    assert_eq!(while_thrown["reason"], "kill_switch");
    assert_eq!(while_thrown["values"]["kill_switch"]["updated_by"], "ana");
    assert_eq!(
        while_thrown["values"]["kill_switch"]["reason"],
        "Stripe incident"
    );

    let (ok, stdout, stderr) = text_of(&released);
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("kill_switch for everyone: on -> off, by bo"),
        "{stdout}"
    );
    assert!(reader_saw_released, "the reader saw the switch released");

    let (ok, stdout, stderr) = text_of(&opted_out);
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("auto_booking_pipeline_enabled for usr_1: (none) -> off"),
        "{stdout}"
    );
    assert!(reader_saw_override, "the reader saw the user's override");
    assert_eq!(reader_others_allowed, Some(FlagDecision::Allowed));
    let user_1 = json_of(&user_1);
    assert_eq!(user_1["reason"], "pipeline_disabled", "{user_1}");
    assert_eq!(user_1["values"]["pipeline_override"]["enabled"], false);
    assert_eq!(user_1["history"][0]["reason"], "asked to stop");
    let (ok, stdout, _) = text_of(&user_1_text);
    assert!(ok);
    assert!(
        stdout.contains("denied: pipeline_disabled (user usr_1)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Stripe is back") && stdout.contains("asked to stop"),
        "{stdout}"
    );
    let user_2 = json_of(&user_2);
    assert_eq!(user_2["decision"], "allowed", "{user_2}");
    assert!(user_2["values"]["pipeline_override"].is_null());
    let back_to_default = json_of(&back_to_default);
    assert_eq!(
        back_to_default["change"]["new_enabled"],
        serde_json::Value::Null
    );
    assert!(reader_saw_default, "the reader saw the override removed");

    let refusals = [
        (&no_reason, "--reason"),
        (&blank_reason, "reason (--reason) is required"),
        (&default_for_all, "say which user"),
        (&bad_user, "invalid user id"),
        (&launchdarkly_set, "change them there"),
    ];
    for (output, complaint) in refusals {
        let (ok, _, stderr) = text_of(output);
        assert!(!ok, "refused: {complaint}");
        assert!(stderr.contains(complaint), "{complaint:?} in {stderr}");
    }
    let still_released = json_of(&still_released);
    assert_eq!(
        still_released["values"]["kill_switch"]["enabled"], false,
        "refusals changed nothing"
    );
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
    // A reader that goes away before the output is written (`| head`).
    let mut closed = Command::new(env!("CARGO_BIN_EXE_autobook"));
    closed
        .args(["ops", "saga", "list", "--state", "stuck", "--json"])
        .env("DATABASE_URL", &database_url)
        .env_remove("AUTOBOOK_NAMESPACE")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = closed.spawn().unwrap();
    drop(child.stdout.take());
    let closed = child.wait_with_output().unwrap();
    services::drop_database(&server, &database).await.unwrap();

    let complaint = String::from_utf8_lossy(&closed.stderr);
    assert!(
        closed.status.success() && !complaint.contains("panicked"),
        "a closed stdout ends the output quietly: {complaint}"
    );

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

#[tokio::test]
async fn key_commands_count_without_keys_and_never_echo_a_bad_keyring() {
    let (server, database, database_url) = fresh_database("keys").await;
    let status = ops(&database_url, &["keys", "status", "--json"]);
    let without = ops(&database_url, &["keys", "rotate"]);
    let secret = "k1:c2VjcmV0LWJ1dC10b28tc2hvcnQ=";
    let malformed = ops_with(
        &database_url,
        &["keys", "rotate"],
        &[("AUTOBOOK_DATA_KEYS", secret)],
    );
    let key = Keyring::generate("k1").unwrap().expose_env_value();
    let rotated = ops_with(
        &database_url,
        &["keys", "rotate", "--json"],
        &[("AUTOBOOK_DATA_KEYS", &key)],
    );
    let strange = ops_with(
        &database_url,
        &["keys", "rotate"],
        &[
            ("AUTOBOOK_DATA_KEYS", &key),
            ("AUTOBOOK_DATA_UNPLACED", "sometimes"),
        ],
    );
    // A role refuses to start without the keys, before connecting anywhere.
    let orchestrator = Command::new(env!("CARGO_BIN_EXE_autobook"))
        .arg("orchestrator")
        .env("DATABASE_URL", &database_url)
        .env_remove("AUTOBOOK_DATA_KEYS")
        .output()
        .unwrap();
    services::drop_database(&server, &database).await.unwrap();

    let status = json_of(&status);
    let tables = status["tables"].as_array().unwrap();
    let names: Vec<&str> = tables
        .iter()
        .map(|t| t["table"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "sagas",
            "passengers",
            "outbox",
            "dead_letters",
            "provider_calls"
        ]
    );
    assert!(
        tables
            .iter()
            .all(|t| t["rows"] == 0 && t["plaintext"] == 0 && t["unplaced"] == 0)
    );

    let (ok, _, stderr) = text_of(&without);
    assert!(
        !ok && stderr.contains("AUTOBOOK_DATA_KEYS is not set"),
        "{stderr}"
    );
    let (ok, stdout, stderr) = text_of(&malformed);
    assert!(!ok && stderr.contains("not base64 of 32 bytes"), "{stderr}");
    assert!(
        !stderr.contains("c2VjcmV0") && !stdout.contains("c2VjcmV0"),
        "{stderr}"
    );
    let rotated = json_of(&rotated);
    assert_eq!(rotated["active_kid"], "k1");
    let (ok, _, stderr) = text_of(&strange);
    assert!(
        !ok && stderr.contains("AUTOBOOK_DATA_UNPLACED") && stderr.contains("open or refuse"),
        "{stderr}"
    );
    let (ok, _, stderr) = text_of(&orchestrator);
    assert!(!ok && stderr.contains("AUTOBOOK_DATA_KEYS"), "{stderr}");
}

#[tokio::test]
async fn ops_privacy_lists_erasures_and_sweeps_retention_once() {
    let (server, database, database_url) = fresh_database("privacy").await;
    let empty = json_of(&ops(&database_url, &["privacy", "erasures", "--json"]));
    assert_eq!(empty["erasures"], serde_json::json!([]));

    // A finished trip that flew 100 days ago, its offer expired 40 days ago,
    // and a completed erasure.
    let pool = autobook_orchestrator::db::connect(&database_url, 2)
        .await
        .unwrap();
    let saga = Uuid::now_v7();
    let booked = PlantedSaga {
        id: saga,
        user_id: "usr_ops",
        status: "booked",
        terminal: true,
        state: serde_json::json!({"trip": {"user_id": "usr_ops", "contact_email": "pii:v1:k:x"}}),
        version: 3,
    };
    sagas::plant(&pool, &booked).await.unwrap();
    let passenger = StoredPassenger {
        saga_id: saga,
        position: 0,
        user_id: "usr_ops".into(),
        given_name: "pii:v1:k:a".into(),
        family_name: "pii:v1:k:b".into(),
        born_on: "pii:v1:k:c".into(),
        email: "pii:v1:k:d".into(),
        phone_number: "pii:v1:k:e".into(),
        travel_ends_on: chrono::Utc::now().date_naive() - chrono::Days::new(100),
    };
    passengers::plant(&pool, &passenger).await.unwrap();
    let forty_days = 40.0 * 24.0 * 3600.0;
    records::plant_offer(&pool, saga, "off_1", "usr_ops", 100, -forty_days)
        .await
        .unwrap();
    let done = PlantedErasure {
        id: Uuid::now_v7(),
        subject: "feedbeef",
        user_id: None,
        status: "completed",
        completed_now: true,
        sagas_erased: 2,
    };
    records::plant_erasure(&pool, &done).await.unwrap();

    let retention = [
        "privacy",
        "retention",
        "--offer-retention-days",
        "30",
        "--personal-data-days",
        "90",
        "--json",
    ];
    let swept = json_of(&ops(&database_url, &retention));
    let again = json_of(&ops(&database_url, &retention));
    let listed = json_of(&ops(&database_url, &["privacy", "erasures", "--json"]));
    let text = text_of(&ops(&database_url, &["privacy", "erasures"]));
    let state = sagas::raw_state(&pool, saga).await.unwrap();
    pool.close().await;
    services::drop_database(&server, &database).await.unwrap();

    assert_eq!(swept["offers_deleted"], 1, "{swept}");
    assert_eq!(swept["trips_scrubbed"], 1, "{swept}");
    assert_eq!(again["offers_deleted"], 0, "{again}");
    assert_eq!(again["trips_scrubbed"], 0, "{again}");
    assert_eq!(
        state["trip"]["contact_email"],
        autobook_contracts::personal::erased::EMAIL
    );
    assert_eq!(
        state["trip"]["user_id"], "usr_ops",
        "retention keeps the user"
    );
    let erasures = listed["erasures"].as_array().unwrap();
    assert_eq!(erasures.len(), 1);
    assert_eq!(erasures[0]["subject"], "feedbeef");
    assert_eq!(erasures[0]["sagas_erased"], 2);
    assert!(erasures[0].get("user_id").is_none(), "{listed}");
    assert!(text.0 && text.1.contains("completed"), "{text:?}");
}
