//! Sealed values bound to their place: a value copied with plain SQL into
//! another traveller's row (a passenger column, a field of the saga's
//! state, a dead letter's body, a provider call's stored reply) opens
//! nowhere: the export refuses to show it, the saga will not load, the
//! dead letter cannot be shown or replayed, the stored reply is not
//! replayed. Values sealed before values had places still open, are
//! refused on demand, and a rotation places them.

use chrono::Utc;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use autobook_contracts::codes::UserId;
use autobook_contracts::trip::TripRequest;
use autobook_gateway::privacy::PrivacyError;
use autobook_ops::dlq::{self, ReplayOutcome, Selection};
use autobook_ops::keys;
use autobook_orchestrator::store::{StoreError, load_saga};
use autobook_orchestrator::testing::{dead_letters, outbox, passengers, sagas};
use autobook_tests::gateway::{spawn_gateway, token, trip_body};
use autobook_tests::legacy::{seal_bytes_v1, seal_json_v1, seal_str_v1};
use autobook_tests::people::Person;
use autobook_tests::trips::trip_json;
use autobook_tests::{listen_archive, spawn_with, until_archived};
use autobook_vault::{Keyring, Place, Unplaced, VaultError};

fn trip_of(person: &Person, edit: impl FnOnce(&mut Value)) -> TripRequest {
    let mut trip = trip_json();
    person.write_into(&mut trip);
    edit(&mut trip);
    serde_json::from_value(trip).unwrap()
}

/// Files `person`'s trip through the gateway as `user`; its id once booked.
async fn booked_through_gateway(
    system: &autobook_tests::TestSystem,
    user: &str,
    person: &Person,
) -> Uuid {
    let mut body = trip_body();
    person.write_into(&mut body);
    let filed = system.api().submit(&token(user), &body).await;
    assert_eq!(filed.status, StatusCode::ACCEPTED, "{}", filed.text);
    let id: Uuid = filed.body["trip_id"].as_str().unwrap().parse().unwrap();
    assert_eq!(system.finished(id).await.status, "booked");
    id
}

#[tokio::test]
async fn a_travellers_value_copied_into_another_travellers_rows_opens_nowhere() {
    let system = spawn_gateway().await;
    let (pool, vault) = (system.stack().pool.clone(), system.stack().vault.clone());
    let api = system.api();
    let (victim, thief) = (Person::new(), Person::new());
    let victims = booked_through_gateway(&system, "usr_victim", &victim).await;
    let thiefs = booked_through_gateway(&system, "usr_thief", &thief).await;
    let export = || async { api.get("/v1/me/export", &token("usr_thief")).await };
    let before = export().await;
    assert_eq!(before.status, StatusCode::OK, "{}", before.text);
    assert!(before.text.contains(&thief.given_name));
    assert!(!before.text.contains(&victim.given_name));

    // The victim's given name copied into the thief's passenger row.
    let original = passengers::given_name(&pool, thiefs, 0).await.unwrap();
    let copied = passengers::given_name(&pool, victims, 0).await.unwrap();
    passengers::overwrite_given_name(&pool, thiefs, 0, &copied)
        .await
        .unwrap();
    let refused = export().await;
    assert_ne!(refused.status, StatusCode::OK, "{}", refused.text);
    assert!(
        !refused.text.contains(&victim.given_name),
        "{}",
        refused.text
    );
    let thief_id = UserId::parse("usr_thief").unwrap();
    let error = autobook_gateway::privacy::export(&pool, &vault, &thief_id, Utc::now())
        .await
        .unwrap_err();
    assert!(
        matches!(
            &error,
            PrivacyError::Sealed(VaultError::Misplaced {
                table: "passengers",
                field: "given_name",
                ..
            })
        ),
        "{error:?}"
    );
    assert!(!error.to_string().contains(&victim.given_name));
    passengers::overwrite_given_name(&pool, thiefs, 0, &original)
        .await
        .unwrap();
    assert_eq!(
        export().await.status,
        StatusCode::OK,
        "back in place, it opens"
    );

    // The victim's contact address copied into the thief's saga state.
    sagas::transplant_state_value(&pool, thiefs, victims, &["trip", "contact_email"])
        .await
        .unwrap();
    let loaded = load_saga(&pool, &vault, thiefs).await;
    assert!(
        matches!(
            &loaded,
            Err(StoreError::Sealed {
                source: VaultError::Misplaced {
                    table: "sagas",
                    field: "contact_email",
                    ..
                },
                ..
            })
        ),
        "{loaded:?}"
    );
    let refused = export().await;
    assert_ne!(refused.status, StatusCode::OK);
    assert!(!refused.text.contains(&victim.contact_email));
    // The victim's own export is untouched.
    let theirs = api.get("/v1/me/export", &token("usr_victim")).await;
    assert_eq!(theirs.status, StatusCode::OK);
    assert!(theirs.text.contains(&victim.contact_email));
    system.teardown().await;
}

/// The stored reply of `saga`'s notification step, and that command's
/// outbox body opened.
async fn notify_call(pool: &PgPool, vault: &Keyring, saga: Uuid) -> (String, Vec<u8>) {
    let sent = outbox::of_type(pool, saga, "notification.send")
        .await
        .unwrap();
    let row = sent.first().expect("the saga sent its notification");
    let place = Place::outbox(row.message_id);
    let body = vault
        .open_bytes(&row.body, &place, "body")
        .unwrap()
        .into_owned();
    let envelope = autobook_contracts::Envelope::decode(&body).unwrap();
    let key = envelope
        .message
        .idempotency_key()
        .unwrap()
        .as_str()
        .to_owned();
    (key, body)
}

#[tokio::test]
async fn a_dead_letter_or_a_stored_reply_copied_into_another_row_does_not_open() {
    let system = spawn_with(|config| config.orchestrator.archive_dead_letters = true).await;
    let (pool, vault) = (system.stack().pool.clone(), system.stack().vault.clone());
    let mut archive = listen_archive(&pool).await;
    let (victim, thief) = (Person::new(), Person::new());
    let past = |t: &mut Value| t["departure_date"] = json!("2020-01-01");
    let victims = system.submit(trip_of(&victim, past)).await;
    let thiefs = system.submit(trip_of(&thief, past)).await;
    let victims_letter = until_archived(&pool, &mut archive, victims).await;
    let thiefs_letter = until_archived(&pool, &mut archive, thiefs).await;
    let shown = dlq::show(&pool, &vault, thiefs_letter)
        .await
        .unwrap()
        .unwrap();
    assert!(shown.body.contains(&thief.given_name));

    dead_letters::transplant_body(&pool, thiefs_letter, victims_letter)
        .await
        .unwrap();
    let error = format!(
        "{:#}",
        dlq::show(&pool, &vault, thiefs_letter).await.unwrap_err()
    );
    assert!(
        error.contains("does not open as dead_letters.body"),
        "{error}"
    );
    assert!(!error.contains(&victim.given_name), "{error}");
    let replay = dlq::replay(
        &pool,
        &vault,
        Some(&system.stack().publisher),
        &Selection::One(thiefs_letter),
        false,
        "ana",
    )
    .await
    .unwrap();
    let ReplayOutcome::Refused { reason } = &replay.reports[0].outcome else {
        panic!("{replay:?}")
    };
    assert!(
        reason.starts_with("cannot replay: ") && reason.contains("dead_letters.body"),
        "{reason}"
    );

    // The victim's stored email reply copied into the thief's call: a
    // duplicate of the thief's command finds it and does not replay it.
    let victims = system.submit(trip_of(&victim, |_| {})).await;
    let thiefs = system.submit(trip_of(&thief, |_| {})).await;
    assert_eq!(system.finished(victims).await.status, "booked");
    assert_eq!(system.finished(thiefs).await.status, "booked");
    let (victims_key, _) = notify_call(&pool, &vault, victims).await;
    let (thiefs_key, command) = notify_call(&pool, &vault, thiefs).await;
    autobook_workers::testing::transplant_reply(&pool, &thiefs_key, &victims_key)
        .await
        .unwrap();
    let emails = system.ledger().emails.len();
    system
        .publish_raw(
            &system.topology.commands_exchange(),
            "notification.send",
            &command,
        )
        .await;
    let letter = until_archived(&pool, &mut archive, thiefs).await;
    let summary = autobook_orchestrator::admin::dead_letters::fetch(&pool, letter)
        .await
        .unwrap()
        .expect("the dead letter is archived")
        .summary;
    let (code, reason) = (summary.code, summary.reason);
    assert_eq!(code, "stored_reply_unreadable", "{reason}");
    assert!(reason.contains("provider_calls.reply"), "{reason}");
    assert!(!reason.contains(&victim.contact_email), "{reason}");
    assert_eq!(system.ledger().emails.len(), emails, "no email sent again");
    drop(archive);
    system.teardown().await;
}

#[tokio::test]
async fn values_sealed_without_place_open_until_refused_and_a_rotation_places_them() {
    let k1 = Keyring::generate("k1").unwrap();
    let system = spawn_with(|config| config.vault = k1.clone()).await;
    let pool = system.stack().pool.clone();
    let person = Person::new();
    let id = system.submit(trip_of(&person, |_| {})).await;
    let booked = system.finished(id).await;

    // Rewritten as earlier builds sealed them: no place.
    let state = sagas::raw_state(&pool, id).await.unwrap();
    let state = k1.open_json(state, &Place::saga(id)).unwrap();
    sagas::overwrite_state(&pool, id, &seal_json_v1(&k1, &state))
        .await
        .unwrap();
    let passenger = Place::passenger(id, 0);
    let given = passengers::given_name(&pool, id, 0).await.unwrap();
    let given = k1.open_str(&given, &passenger, "given_name").unwrap();
    passengers::overwrite_given_name(&pool, id, 0, &seal_str_v1(&k1, &given))
        .await
        .unwrap();
    let bodies = outbox::of_saga(&pool, id).await.unwrap();
    assert!(!bodies.is_empty(), "outbox");
    for message in bodies {
        let plain = k1
            .open_bytes(&message.body, &Place::outbox(message.message_id), "body")
            .unwrap();
        outbox::overwrite_body(&pool, message.message_id, &seal_bytes_v1(&k1, &plain))
            .await
            .unwrap();
    }
    let replies = autobook_workers::testing::replies_of_saga(&pool, id)
        .await
        .unwrap();
    assert!(!replies.is_empty(), "provider_calls");
    for (key, blob) in replies {
        let plain = k1
            .open_bytes(&blob, &Place::new("provider_calls", &key), "reply")
            .unwrap();
        autobook_workers::testing::overwrite_reply(&pool, &key, &seal_bytes_v1(&k1, &plain))
            .await
            .unwrap();
    }
    let status = keys::status(&pool, 10).await.unwrap();
    let unplaced = |status: &keys::KeyStatus, table: &str| {
        status
            .tables
            .iter()
            .find(|t| t.table == table)
            .unwrap()
            .census
            .unplaced
    };
    for table in ["sagas", "passengers", "outbox", "provider_calls"] {
        assert!(unplaced(&status, table) > 0, "{table}: {status:?}");
    }

    // They open by default; a keyring that refuses them does not open them.
    assert_eq!(
        load_saga(&pool, &k1, id).await.unwrap().unwrap().saga,
        booked.saga
    );
    let strict = k1.clone().with_unplaced(Unplaced::Refuse);
    assert!(matches!(
        load_saga(&pool, &strict, id).await,
        Err(StoreError::Sealed {
            source: VaultError::Unplaced { .. },
            ..
        })
    ));

    // A rotation (even under the strict keyring, same key) places them.
    let summary = keys::rotate(&pool, &strict, 2).await.unwrap();
    assert_eq!(summary.left(), 0, "{summary:?}");
    let status = keys::status(&pool, 10).await.unwrap();
    assert_eq!(status.unplaced(), 0, "{status:?}");
    assert_eq!(status.plaintext(), 0, "{status:?}");
    assert_eq!(
        load_saga(&pool, &strict, id).await.unwrap().unwrap().saga,
        booked.saga
    );
    let given = passengers::given_name(&pool, id, 0).await.unwrap();
    assert_eq!(
        strict.open_str(&given, &passenger, "given_name").unwrap(),
        person.given_name
    );
    assert!(
        strict
            .open_str(&given, &Place::passenger(id, 1), "given_name")
            .is_err()
    );
    system.teardown().await;
}
