//! The PostgreSQL provider: changes made on other connections reach the
//! cached reader through NOTIFY (its fallback poll is set far too slow to
//! be what delivers them) or, without a notification, through the poll;
//! overrides, the kill switch and the audit.

use std::time::Duration;

use autobook_contracts::codes::UserId;
use autobook_flags::postgres::{
    ChangeNote, PgFlagReader, ReaderConfig, clear_pipeline_override, history, read_values,
    set_kill_switch, set_pipeline,
};
use autobook_flags::{DenyReason, FlagDecision, FlagSource};

use crate::database::TestDatabase;

/// Long enough for a loaded machine; far shorter than the fallback poll.
const SEEN_WITHIN: Duration = Duration::from_secs(3);

fn notify_only() -> ReaderConfig {
    ReaderConfig {
        poll_interval: Duration::from_secs(60),
        staleness: Duration::from_secs(300),
    }
}

fn note(reason: &str) -> ChangeNote {
    ChangeNote::new("ana", reason).unwrap()
}

fn user(id: &str) -> UserId {
    UserId::parse(id).unwrap()
}

/// Waits until `reader` gives `wanted` for `user_id`; the last answer if not.
async fn until_decision(
    reader: &PgFlagReader,
    user_id: &str,
    wanted: FlagDecision,
) -> Result<(), String> {
    let seen = reader
        .wait_until(SEEN_WITHIN, |r| {
            (r.evaluate(user_id).ok() == Some(wanted)).then_some(())
        })
        .await;
    seen.ok_or_else(|| format!("{user_id}: still {:?}", reader.evaluate(user_id)))
}

#[tokio::test]
async fn changes_from_other_connections_reach_the_reader_through_notify() {
    let db = TestDatabase::new("notify").await;
    let reader = PgFlagReader::start(db.pool(2).await, notify_only());
    assert!(reader.wait_until_read(Duration::from_secs(10)).await);
    let ops = db.pool(2).await;

    let initially = reader.evaluate("usr_1").unwrap();
    set_kill_switch(&ops, true, &note("incident"))
        .await
        .unwrap();
    let thrown = until_decision(
        &reader,
        "usr_1",
        FlagDecision::Denied(DenyReason::KillSwitch),
    )
    .await;
    set_kill_switch(&ops, false, &note("resolved"))
        .await
        .unwrap();
    let released = until_decision(&reader, "usr_1", FlagDecision::Allowed).await;
    // By hand, without the ops functions: the table's trigger announces it.
    sqlx::query(
        "UPDATE feature_flags SET enabled = false WHERE name = 'auto_booking_pipeline_enabled'",
    )
    .execute(&ops)
    .await
    .unwrap();
    let by_hand = until_decision(
        &reader,
        "usr_1",
        FlagDecision::Denied(DenyReason::PipelineDisabled),
    )
    .await;

    reader.stop().await;
    ops.close().await;
    db.drop_now().await;
    assert_eq!(
        initially,
        FlagDecision::Allowed,
        "migrated defaults let money move"
    );
    thrown.unwrap();
    released.unwrap();
    by_hand.unwrap();
}

#[tokio::test]
async fn the_poll_catches_a_change_that_sent_no_notification() {
    let db = TestDatabase::new("poll").await;
    let reader = PgFlagReader::start(
        db.pool(2).await,
        ReaderConfig {
            poll_interval: Duration::from_millis(200),
            staleness: Duration::from_secs(300),
        },
    );
    assert!(reader.wait_until_read(Duration::from_secs(10)).await);
    let ops = db.pool(1).await;
    // Triggers off for this transaction (as a replica applies changes): no
    // NOTIFY is sent, only the version moves.
    let mut tx = ops.begin().await.unwrap();
    for statement in [
        "SET LOCAL session_replication_role = replica",
        "UPDATE feature_flags SET enabled = true WHERE name = 'kill_switch'",
        "UPDATE feature_flag_version SET version = version + 1",
    ] {
        sqlx::query(statement).execute(&mut *tx).await.unwrap();
    }
    tx.commit().await.unwrap();
    let seen = until_decision(
        &reader,
        "usr_1",
        FlagDecision::Denied(DenyReason::KillSwitch),
    )
    .await;

    reader.stop().await;
    ops.close().await;
    db.drop_now().await;
    seen.unwrap();
}

#[tokio::test]
async fn a_user_override_beats_the_default_and_the_kill_switch_beats_both() {
    let db = TestDatabase::new("override").await;
    let reader = PgFlagReader::start(db.pool(2).await, notify_only());
    assert!(reader.wait_until_read(Duration::from_secs(10)).await);
    let ops = db.pool(2).await;
    let (vip, other) = (user("usr_vip"), user("usr_other"));
    let pipeline_off = FlagDecision::Denied(DenyReason::PipelineDisabled);
    let mut outcomes = Vec::new();

    // The pipeline off for everyone, on for one user.
    set_pipeline(&ops, None, false, &note("pause rollout"))
        .await
        .unwrap();
    set_pipeline(&ops, Some(&vip), true, &note("beta user"))
        .await
        .unwrap();
    outcomes.push(until_decision(&reader, "usr_vip", FlagDecision::Allowed).await);
    outcomes.push(until_decision(&reader, "usr_other", pipeline_off).await);
    let raw_vip = read_values(&ops, Some(vip.as_str())).await.unwrap();
    let raw_other = read_values(&ops, Some(other.as_str())).await.unwrap();

    // On for everyone, off for the other user.
    set_pipeline(&ops, None, true, &note("rollout"))
        .await
        .unwrap();
    set_pipeline(&ops, Some(&other), false, &note("opted out"))
        .await
        .unwrap();
    outcomes.push(until_decision(&reader, "usr_other", pipeline_off).await);
    outcomes.push(until_decision(&reader, "usr_someone", FlagDecision::Allowed).await);

    // The kill switch stops even users switched on.
    set_kill_switch(&ops, true, &note("incident"))
        .await
        .unwrap();
    let killed = FlagDecision::Denied(DenyReason::KillSwitch);
    outcomes.push(until_decision(&reader, "usr_vip", killed).await);
    outcomes.push(until_decision(&reader, "usr_someone", killed).await);
    set_kill_switch(&ops, false, &note("resolved"))
        .await
        .unwrap();

    // Without the override the default applies again.
    let cleared = clear_pipeline_override(&ops, &other, &note("opt-out ended"))
        .await
        .unwrap();
    let cleared_again = clear_pipeline_override(&ops, &other, &note("twice"))
        .await
        .unwrap();
    outcomes.push(until_decision(&reader, "usr_other", FlagDecision::Allowed).await);

    reader.stop().await;
    ops.close().await;
    db.drop_now().await;
    for outcome in outcomes {
        outcome.unwrap();
    }
    assert_eq!(raw_vip.decision(), FlagDecision::Allowed);
    assert!(!raw_vip.pipeline_default.enabled);
    assert_eq!(
        raw_vip.pipeline_override.as_ref().unwrap().value.reason,
        "beta user"
    );
    assert_eq!(raw_other.decision(), pipeline_off);
    assert!(raw_other.pipeline_override.is_none());
    let cleared = cleared.expect("the override existed");
    assert_eq!(
        (cleared.old_enabled, cleared.new_enabled),
        (Some(false), None)
    );
    assert!(cleared_again.is_none(), "nothing left to clear");
}

#[tokio::test]
async fn every_change_is_audited_with_who_why_and_the_old_value() {
    let db = TestDatabase::new("audit").await;
    let ops = db.pool(2).await;
    set_kill_switch(
        &ops,
        true,
        &ChangeNote::new("ana", "Stripe incident").unwrap(),
    )
    .await
    .unwrap();
    set_kill_switch(
        &ops,
        false,
        &ChangeNote::new("bo", "Stripe is back").unwrap(),
    )
    .await
    .unwrap();
    set_pipeline(&ops, Some(&user("usr_a")), false, &note("asked to stop"))
        .await
        .unwrap();
    set_pipeline(&ops, Some(&user("usr_b")), false, &note("other user"))
        .await
        .unwrap();
    let for_a = history(&ops, Some("usr_a"), 10).await.unwrap();
    let raw = read_values(&ops, None).await.unwrap();
    ops.close().await;
    db.drop_now().await;

    let summary: Vec<_> = for_a
        .iter()
        .map(|c| {
            (
                c.flag.as_str(),
                c.user_id.as_deref(),
                c.old_enabled,
                c.new_enabled,
                c.changed_by.as_str(),
                c.reason.as_str(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                "auto_booking_pipeline_enabled",
                Some("usr_a"),
                None,
                Some(false),
                "ana",
                "asked to stop"
            ),
            (
                "kill_switch",
                None,
                Some(true),
                Some(false),
                "bo",
                "Stripe is back"
            ),
            (
                "kill_switch",
                None,
                Some(false),
                Some(true),
                "ana",
                "Stripe incident"
            ),
        ],
        "newest first, the user's and the global changes only"
    );
    assert!(!raw.kill_switch.enabled);
    assert_eq!(raw.kill_switch.updated_by, "bo");
    assert_eq!(raw.kill_switch.reason, "Stripe is back");
}
