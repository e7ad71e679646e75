//! No personal data on the broker: every personal field of a message body
//! travels sealed for its message. While messages full of travellers wait
//! (orders and emails not taken, trip requests tapped, a refused trip in
//! its dead-letter queue), RabbitMQ's files hold none of their data; a
//! value planted in plaintext is found there, so the scan can fail. A trip
//! sent with plaintext personal fields is refused by path (the value quoted
//! nowhere), its dead letter goes out sealed whole, and an operator's
//! replay sends it back sealed.

use serde_json::{Value, json};
use uuid::Uuid;

use autobook_contracts::trip::TripRequest;
use autobook_contracts::{Envelope, QueueRole};
use autobook_ops::dlq::{self, ReplayOutcome, Selection};
use autobook_tests::broker_files::{data_dir, find};
use autobook_tests::people::Person;
use autobook_tests::trips::trip_json;
use autobook_tests::{listen_archive, spawn, spawn_with, until_archived};
use autobook_vault::is_sealed_blob;
use autobook_workers::WorkerKind;

fn trip_of(person: &Person, edit: impl FnOnce(&mut Value)) -> TripRequest {
    let mut trip = trip_json();
    person.write_into(&mut trip);
    edit(&mut trip);
    serde_json::from_value(trip).unwrap()
}

fn lowercase(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).to_lowercase()
}

/// The needles of `person` found in `text` (lowercase).
fn leaks(person: &Person, text: &str) -> Vec<&'static str> {
    person
        .needles()
        .into_iter()
        .filter(|(_, needle)| text.contains(&needle.to_lowercase()))
        .map(|(what, _)| what)
        .collect()
}

#[tokio::test]
async fn while_messages_wait_rabbitmqs_files_hold_no_travellers_data() {
    // Orders and emails are not taken: their commands wait in their queues.
    let system = spawn_with(|config| {
        config.worker_kinds = vec![WorkerKind::Search, WorkerKind::Payment];
    })
    .await;
    let topology = system.topology.clone();
    let requests = system
        .tap(
            "trip-requests",
            &topology.events_exchange(),
            "trip.requested",
        )
        .await;
    let (booking, declined, refused) = (Person::new(), Person::new(), Person::new());
    system.submit(trip_of(&booking, |_| {})).await;
    system
        .submit(trip_of(&declined, |t| {
            t["payment"]["payment_method"] = json!("pm_card_chargeDeclined");
        }))
        .await;
    system
        .submit(trip_of(&refused, |t| {
            t["departure_date"] = json!("2020-01-01")
        }))
        .await;
    // The three requests (passengers, passports, contacts), an order
    // (passengers and passport), an email (its recipient), and the refused
    // request's dead letter, all waiting.
    system.until_waiting(&requests, 3).await;
    system
        .until_waiting(&topology.queue(QueueRole::Order), 1)
        .await;
    system
        .until_waiting(&topology.queue(QueueRole::Notify), 1)
        .await;
    system
        .until_waiting(&topology.dead_letter_queue(QueueRole::Orchestrator), 1)
        .await;

    // Planted: a value published in plaintext, waiting beside them.
    let planted = Person::new();
    let body = json!({"message_id": Uuid::now_v7(), "payload": {"given_name": planted.given_name}});
    system
        .publish_plain("", &requests, &serde_json::to_vec(&body).unwrap())
        .await;
    system.until_waiting(&requests, 4).await;

    let dir = data_dir();
    let needles: Vec<_> = [&booking, &declined, &refused]
        .iter()
        .flat_map(|person| person.needles())
        .collect();
    let found = find(&dir, &needles);
    assert!(
        found.is_empty(),
        "travellers' data in RabbitMQ's files: {found:?}"
    );
    let found = find(&dir, &[("planted", planted.given_name.clone())]);
    assert!(
        !found.is_empty(),
        "a value waiting in plaintext is found in {dir:?} (the scan works)"
    );
    system.teardown().await;
}

#[tokio::test]
async fn plaintext_personal_fields_are_refused_by_path_and_their_dead_letter_is_sealed_whole() {
    let system = spawn().await;
    let events = system.topology.events_exchange();
    let person = Person::new();
    let envelope = Envelope::new(Uuid::now_v7(), trip_of(&person, |_| {}));
    let body = envelope.encode();
    system.publish_plain(&events, "trip.requested", &body).await;
    let dead = system.dead_letter(QueueRole::Orchestrator).await;
    assert_eq!(dead.code, "unsealed_personal_data", "{}", dead.reason);
    assert_eq!(
        dead.reason,
        "payload.contact_email is not sealed: personal fields travel sealed with the data keyring"
    );
    assert!(is_sealed_blob(&dead.copy), "the copy is sealed whole");
    assert_eq!(leaks(&person, &lowercase(&dead.copy)), Vec::<&str>::new());
    assert_eq!(dead.body, body, "opened, it is the message as it came");
    assert!(system.saga(envelope.saga_id).await.is_none());

    // A number where a phone number goes, every other field sealed: refused
    // by its path, the number quoted nowhere.
    let other = Person::new();
    let sealed = Envelope::new(Uuid::now_v7(), trip_of(&other, |_| {})).encode();
    let mut wire: Value =
        serde_json::from_slice(&system.stack().vault.seal_envelope(&sealed)).unwrap();
    wire["payload"]["passengers"][0]["phone_number"] = json!(14155550177u64);
    system
        .publish_plain(
            &events,
            "trip.requested",
            &serde_json::to_vec(&wire).unwrap(),
        )
        .await;
    let dead = system.dead_letter(QueueRole::Orchestrator).await;
    assert_eq!(dead.code, "unsealed_personal_data");
    assert!(
        dead.reason
            .starts_with("payload.passengers[0].phone_number "),
        "{}",
        dead.reason
    );
    assert!(!dead.reason.contains("14155550177"), "{}", dead.reason);
    assert!(is_sealed_blob(&dead.copy));
    assert!(!lowercase(&dead.copy).contains("14155550177"));
    system.teardown().await;
}

#[tokio::test]
async fn a_trip_refused_for_plaintext_is_archived_sealed_and_an_operator_replays_it_sealed() {
    let system = spawn_with(|config| config.orchestrator.archive_dead_letters = true).await;
    let pool = system.stack().pool.clone();
    let vault = system.stack().vault.clone();
    let mut archive = listen_archive(&pool).await;
    let person = Person::new();
    let envelope = Envelope::new(Uuid::now_v7(), trip_of(&person, |_| {}));
    system
        .publish_plain(
            &system.topology.events_exchange(),
            "trip.requested",
            &envelope.encode(),
        )
        .await;
    // Archived with its saga (read from the copy once opened) and nothing
    // of the traveller in the clear.
    let id = until_archived(&pool, &mut archive, envelope.saga_id).await;
    let row = autobook_orchestrator::testing::dead_letters::row_as_text(&pool, id)
        .await
        .unwrap();
    assert_eq!(leaks(&person, &row.to_lowercase()), Vec::<&str>::new());
    let detail = dlq::show(&pool, &vault, id).await.unwrap().unwrap();
    assert_eq!(detail.summary.code, "unsealed_personal_data");
    assert!(
        detail.body.contains(&person.given_name),
        "the operator reads it"
    );

    // Replayed: sealed on its way back (the orchestrator takes nothing
    // else), the trip books.
    let replay = dlq::replay(
        &pool,
        &vault,
        Some(&system.stack().publisher),
        &Selection::One(id),
        false,
        "ana",
    )
    .await
    .unwrap();
    assert!(
        matches!(replay.reports[0].outcome, ReplayOutcome::Replayed { .. }),
        "{replay:?}"
    );
    let row = system.finished(envelope.saga_id).await;
    assert_eq!(row.status, "booked");
    assert_eq!(
        row.saga.trip.passengers[0].given_name.expose(),
        person.given_name
    );
    assert_eq!(system.ledger().live_orders().count(), 1);
    drop(archive);
    system.teardown().await;
}
