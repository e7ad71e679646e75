//! A traveller's whole life cycle through the gateway, against the real
//! system: file a trip, watch it while no fare fits, book it when one does,
//! read it back, export everything, erase everything.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use uuid::Uuid;

use autobook_orchestrator::privacy::PseudonymKey;
use autobook_orchestrator::saga::WatchPolicy;
use autobook_orchestrator::testing::records;
use autobook_sandbox::FaultScript;
use autobook_tests::gateway::{spawn_gateway_with, token, trip_body};

const HOUR: Duration = Duration::from_secs(3600);
const USER: &str = "usr_lifecycle";

#[tokio::test]
async fn file_watch_book_export_and_erase() {
    let key = PseudonymKey::generate();
    let orchestrator_key = key.clone();
    let system = spawn_gateway_with(|config| {
        config.orchestrator.erasure.key = orchestrator_key;
        config.orchestrator.policy.watch = Some(WatchPolicy {
            interval: HOUR,
            min_interval: Duration::from_secs(60),
            tighten_within: Duration::ZERO,
            jitter: 0.0,
            max_watch: None,
        });
    })
    .await;
    let api = system.api();
    let me = token(USER);
    // Fares at three times the usual for the first search, then a third.
    system.script(FaultScript {
        prices: vec![3.0, 0.3],
        ..FaultScript::default()
    });
    let mut body = trip_body();
    body["max_price"]["amount_minor"] = 40_000.into();
    body["passengers"][0]["given_name"] = "Ottoline".into();
    body["passengers"][0]["family_name"] = "Blackwood".into();
    body["passengers"][0]["email"] = "ottoline@lifecycle.example".into();
    body["contact_email"] = "ottoline@lifecycle.example".into();
    body["passengers"][0]["phone_number"] = "+14155550177".into();
    body["passengers"][0]["born_on"] = "1979-11-02".into();

    // File.
    let filed = api.submit(&me, &body).await;
    assert_eq!(filed.status, StatusCode::ACCEPTED, "{}", filed.text);
    let trip_id: Uuid = filed.body["trip_id"].as_str().unwrap().parse().unwrap();
    let path = format!("/v1/trip-requests/{trip_id}");

    // Watch: no fare within 400 USD at three times the price.
    system
        .until(trip_id, "watching", |row| row.status == "watching")
        .await;
    let seen = api.get(&path, &me).await;
    assert_eq!(seen.status, StatusCode::OK, "{}", seen.text);
    assert_eq!(seen.body["status"], "watching");
    assert!(system.ledger().payment_intents.is_empty());

    // Book: an hour on, fares are a third.
    system.stack().advance_clock(HOUR);
    assert_eq!(system.finished(trip_id).await.status, "booked");
    let seen = api.get(&path, &me).await;
    assert_eq!(seen.body["status"], "booked", "{}", seen.text);
    let booking_id = seen.body["booking_id"]
        .as_str()
        .expect("a booking id")
        .to_owned();
    let booking = api.get(&format!("/v1/bookings/{booking_id}"), &me).await;
    assert_eq!(booking.status, StatusCode::OK, "{}", booking.text);
    let pnr = booking.body["booking_reference"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(!pnr.is_empty());
    // The sandbox's Stripe told the gateway about the hold and the capture;
    // the events reached the saga (and changed nothing).
    assert!(
        system
            .stack()
            .sandbox
            .webhooks_settled(Duration::from_secs(15))
            .await
    );
    let events = autobook_gateway::testing::recorded_for_saga(&system.stack().pool, trip_id)
        .await
        .unwrap();
    assert!(events >= 2, "webhooks recorded: {events}");
    // Someone else sees none of it.
    let stranger = token("usr_someone_else");
    assert_eq!(
        api.get(&path, &stranger).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        api.get(&format!("/v1/bookings/{booking_id}"), &stranger)
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // Export: the trip, its passengers in clear for their owner, the booking.
    let export = api.get("/v1/me/export", &me).await;
    assert_eq!(export.status, StatusCode::OK, "{}", export.text);
    let trips = export.body["trips"].as_array().unwrap();
    assert_eq!(trips.len(), 1);
    let trip = &trips[0];
    assert_eq!(trip["trip_id"], Value::from(trip_id.to_string()));
    assert_eq!(trip["passengers"][0]["given_name"], "Ottoline");
    assert_eq!(trip["passengers"][0]["born_on"], "1979-11-02");
    assert_eq!(
        trip["request"]["contact_email"],
        "ottoline@lifecycle.example"
    );
    assert_eq!(
        trip["booking"]["booking_reference"],
        Value::from(pnr.clone())
    );
    assert!(trip["history"].as_array().unwrap().len() >= 4);

    // Erase.
    let erased = api
        .send(api.client.delete(api.url("/v1/me")).bearer_auth(&me))
        .await;
    assert_eq!(erased.status, StatusCode::ACCEPTED, "{}", erased.text);
    let erasure: Uuid = erased.body["erasure_id"].as_str().unwrap().parse().unwrap();
    autobook_tests::erasure_completed(&system.stack().pool, erasure).await;
    let export = api.get("/v1/me/export", &me).await;
    assert_eq!(export.status, StatusCode::OK);
    assert_eq!(export.body["trips"].as_array().map(Vec::len), Some(0));
    assert_eq!(api.get(&path, &me).await.status, StatusCode::NOT_FOUND);
    // The flight stays booked with the airline; our financial record stays.
    let ledger = system.ledger();
    assert!(ledger.orders.iter().all(|o| !o.cancelled));
    let kept = records::booking_of_saga(&system.stack().pool, trip_id)
        .await
        .unwrap();
    let kept = (kept.booking_reference, kept.user_id);
    assert_eq!(kept.0, pnr);
    // Kept under the keyed pseudonym, which without the key says nothing
    // of whose it is, and which no token may claim.
    assert_eq!(kept.1, key.pseudonym(USER));
    let plain = autobook_orchestrator::privacy::subject_of(USER);
    assert!(!kept.1.contains(&plain[..16]), "{}", kept.1);
    let subject = records::erasure(&system.stack().pool, erasure)
        .await
        .unwrap()
        .subject;
    assert_eq!(subject, key.subject(USER));
    let as_pseudonym = api.get("/v1/me/export", &token(&kept.1)).await;
    assert_eq!(
        as_pseudonym.status,
        StatusCode::UNAUTHORIZED,
        "{}",
        as_pseudonym.text
    );
    assert_eq!(as_pseudonym.code(), "pseudonym_subject");
    let booking_path = format!("/v1/bookings/{}", booking_id_of(&system, trip_id).await);
    assert_eq!(
        api.get(&booking_path, &token(&kept.1)).await.status,
        StatusCode::UNAUTHORIZED
    );
    let everything = autobook_tests::dump_tables(&system.stack().pool).await;
    for value in [
        "Ottoline",
        "Blackwood",
        "ottoline@lifecycle.example",
        "+14155550177",
        "1979-11-02",
        USER,
    ] {
        assert!(!everything.contains(value), "{value} is still stored");
    }
    system.teardown().await;
}

async fn booking_id_of(system: &autobook_tests::TestSystem, trip_id: Uuid) -> Uuid {
    records::booking_of_saga(&system.stack().pool, trip_id)
        .await
        .unwrap()
        .id
}
