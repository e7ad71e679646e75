//! Bad input on every queue is dead-lettered with its reason, never
//! dropped and never fatal; good messages keep flowing.

use serde_json::{Value, json};
use uuid::Uuid;

use autobook_contracts::{Envelope, QueueRole};
use autobook_orchestrator::saga::Phase;
use autobook_tests::trips::{trip, trip_json};
use autobook_tests::{TestSystem, spawn};

/// A routing key bound to each queue.
fn route(system: &TestSystem, role: QueueRole) -> (String, &'static str) {
    match role {
        QueueRole::Orchestrator => (system.topology.events_exchange(), "trip.requested"),
        QueueRole::Search => (system.topology.commands_exchange(), "search.offers"),
        QueueRole::Payment => (system.topology.commands_exchange(), "payment.authorize"),
        QueueRole::Order => (system.topology.commands_exchange(), "order.create"),
        QueueRole::Notify => (system.topology.commands_exchange(), "notification.send"),
    }
}

fn wire(message_type: &str, payload: Value) -> Value {
    json!({
        "message_id": Uuid::now_v7(),
        "saga_id": Uuid::now_v7(),
        "message_type": message_type,
        "schema_version": 1,
        "occurred_at": "2026-11-21T12:00:00Z",
        "payload": payload,
    })
}

#[tokio::test]
async fn malformed_messages_on_every_queue_are_dead_lettered_with_their_reason() {
    let system = spawn().await;
    for role in QueueRole::ALL {
        let (exchange, key) = route(&system, *role);
        system
            .publish_raw(&exchange, key, b"{\"message_id\": oops")
            .await;
        let dead = system.dead_letter(*role).await;
        assert_eq!(dead.code, "not_json", "{role:?}: {}", dead.reason);
        assert_eq!(dead.source, system.topology.queue(*role));
        assert_eq!(
            dead.body, b"{\"message_id\": oops",
            "the original body is kept"
        );
    }
    // Good messages still flow.
    let id = system.submit(trip()).await;
    assert!(matches!(
        system.finished(id).await.saga.phase,
        Phase::Booked { .. }
    ));
    system.teardown().await;
}

#[tokio::test]
async fn unknown_types_newer_versions_and_bad_payloads_are_typed_dead_letters() {
    let system = spawn().await;
    let events = system.topology.events_exchange();
    let cases = [
        (wire("trip.teleported", json!({})), "unknown_message_type"),
        (
            {
                let mut w = wire("trip.requested", trip_json());
                w["schema_version"] = 9.into();
                w
            },
            "unsupported_schema_version",
        ),
        (
            wire("trip.requested", json!({"origin": "JFK"})),
            "invalid_payload",
        ),
        (
            {
                let mut w = wire("trip.requested", trip_json());
                w["message_id"] = json!(Uuid::new_v4());
                w
            },
            "invalid_envelope",
        ),
    ];
    for (body, code) in cases {
        system
            .publish_raw(
                &events,
                "trip.requested",
                &serde_json::to_vec(&body).unwrap(),
            )
            .await;
        let dead = system.dead_letter(QueueRole::Orchestrator).await;
        assert_eq!(dead.code, code, "{}", dead.reason);
        assert!(!dead.reason.is_empty());
    }
    system.teardown().await;
}

#[tokio::test]
async fn invalid_trips_and_hostile_strings_are_refused_with_a_reason_and_no_personal_data() {
    let system = spawn().await;
    let events = system.topology.events_exchange();
    let mut past = trip_json();
    past["departure_date"] = json!("2020-01-01");
    system
        .publish_raw(
            &events,
            "trip.requested",
            &serde_json::to_vec(&wire("trip.requested", past)).unwrap(),
        )
        .await;
    let dead = system.dead_letter(QueueRole::Orchestrator).await;
    assert_eq!(dead.code, "invalid_trip");
    assert!(dead.reason.contains("before today"), "{}", dead.reason);

    let mut hostile = trip_json();
    hostile["passengers"][0]["family_name"] = json!("<script>alert('Earhart')</script>");
    hostile["contact_email"] = json!("amelia@example.com\r\nBcc: everyone@example.com");
    system
        .publish_raw(
            &events,
            "trip.requested",
            &serde_json::to_vec(&wire("trip.requested", hostile)).unwrap(),
        )
        .await;
    let dead = system.dead_letter(QueueRole::Orchestrator).await;
    assert_eq!(dead.code, "invalid_payload");
    assert!(
        !dead.reason.contains("Earhart") && !dead.reason.contains("amelia"),
        "{}",
        dead.reason
    );
    let stored = autobook_orchestrator::admin::figures::saga_ids(&system.stack().pool)
        .await
        .unwrap();
    assert_eq!(stored.len(), 0, "nothing invalid is stored");
    system.teardown().await;
}

#[tokio::test]
async fn events_for_unknown_sagas_and_commands_on_the_wrong_queue_are_dead_lettered() {
    let system = spawn().await;
    let key = autobook_contracts::IdempotencyKey::derive(
        Uuid::now_v7(),
        autobook_contracts::Step::Search,
        1,
    );
    let orphan = Envelope::new(
        Uuid::now_v7(),
        autobook_contracts::events::SearchFailed {
            idempotency_key: key.clone(),
            detail: "x".into(),
        },
    );
    system
        .publish_raw(
            &system.topology.events_exchange(),
            "search.failed",
            &orphan.encode(),
        )
        .await;
    assert_eq!(
        system.dead_letter(QueueRole::Orchestrator).await.code,
        "unknown_saga"
    );

    let search = autobook_contracts::commands::SearchOffers {
        idempotency_key: key,
        origin: autobook_contracts::codes::PlaceCode::parse("JFK").unwrap(),
        destination: autobook_contracts::codes::PlaceCode::parse("LAX").unwrap(),
        departure_date: chrono::Utc::now().date_naive() + chrono::Days::new(30),
        return_date: None,
        passenger_ages: vec![30],
        cabin_class: autobook_contracts::trip::CabinClass::Economy,
        max_connections: 1,
    };
    let misrouted = Envelope::new(Uuid::now_v7(), search);
    system
        .publish_raw(
            &system.topology.commands_exchange(),
            "payment.authorize",
            &misrouted.encode(),
        )
        .await;
    let dead = system.dead_letter(QueueRole::Payment).await;
    assert_eq!(dead.code, "wrong_queue", "{}", dead.reason);
    assert_eq!(
        system.ledger().offer_requests,
        0,
        "a misrouted command is not performed"
    );
    system.teardown().await;
}
