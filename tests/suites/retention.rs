//! Retention against the real system: offers deleted some time after they
//! expired, a finished trip's personal data scrubbed some days after its
//! last flight; batched, idempotent, and nothing touched before its time.

use std::time::Duration;

use chrono::{Days, Utc};

use autobook_orchestrator::privacy::retention::{RetentionConfig, sweep};
use autobook_orchestrator::testing::{passengers, records, sagas};
use autobook_tests::spawn;
use autobook_tests::trips::trip_with;

#[tokio::test]
async fn retention_scrubs_after_travel_and_deletes_old_offers_in_idempotent_batches() {
    let system = spawn().await;
    let pool = system.stack().pool.clone();
    let today = Utc::now().date_naive();
    // Three trips that fly in 10 days, one that flies in 200.
    let mut soon = Vec::new();
    for n in 0..3 {
        let id = system
            .submit(trip_with(|value| {
                value["user_id"] = format!("usr_retention_{n}").into();
                value["departure_date"] = serde_json::json!(today + Days::new(10));
                value["passengers"][0]["given_name"] = "Perpetua".into();
            }))
            .await;
        soon.push(id);
    }
    let later = system
        .submit(trip_with(|value| {
            value["departure_date"] = serde_json::json!(today + Days::new(200));
        }))
        .await;
    for id in soon.iter().chain([&later]) {
        assert_eq!(system.finished(*id).await.status, "booked");
    }
    let offers = records::offers_count(&pool).await.unwrap();
    assert_eq!(offers, 4, "each booking recorded the offer it took");
    let passengers_left = || async { passengers::unerased_count(&pool).await.unwrap() };
    assert_eq!(passengers_left().await, 4);

    let config = RetentionConfig {
        offer_retention: Duration::from_secs(7 * 24 * 3600),
        personal_data_days: 30,
        batch_size: 2,
        ..RetentionConfig::default()
    };
    // Today nothing is due.
    let swept = sweep(&pool, Utc::now(), &config).await.unwrap();
    assert_eq!((swept.offers_deleted, swept.trips_scrubbed), (0, 0));

    // 60 days on: the offers (expired within the hour of booking) are past
    // their week, and the trips that flew 50 days ago past their 30 days.
    let later_on = Utc::now() + chrono::Duration::days(60);
    let swept = sweep(&pool, later_on, &config).await.unwrap();
    assert_eq!(swept.offers_deleted, 4);
    assert_eq!(swept.trips_scrubbed, 3);
    assert!(swept.batches >= 4, "batches of two: {swept:?}");
    assert_eq!(
        passengers_left().await,
        1,
        "the trip not yet flown keeps its data"
    );
    for id in &soon {
        let row = system.saga(*id).await.unwrap();
        assert_eq!(row.status, "booked", "the booking itself is kept");
        let passenger = &row.saga.trip.passengers[0];
        assert_eq!(
            passenger.given_name.expose(),
            autobook_contracts::personal::erased::NAME
        );
        let booking = records::bookings_of_saga_count(&pool, *id).await.unwrap();
        assert_eq!(booking, 1, "the financial record stays");
    }
    let untouched = system.saga(later).await.unwrap();
    assert_eq!(
        untouched.saga.trip.passengers[0].given_name.expose(),
        "Amelia"
    );
    let stored = sagas::raw_states_text(&pool, &soon).await.unwrap();
    assert!(!stored.contains("pii:v1:"), "no sealed personal data left");

    // A second sweep finds nothing more to do.
    let again = sweep(&pool, later_on, &config).await.unwrap();
    assert_eq!((again.offers_deleted, again.trips_scrubbed), (0, 0));
    system.teardown().await;
}
