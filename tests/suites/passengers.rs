//! Passengers an airline order must describe: an infant on an adult's lap,
//! and identity documents for the offers that require them (booked with
//! them, left out with a clear reason without them).

use std::time::Duration;

use chrono::{Days, NaiveDate, Utc};
use serde_json::{Value, json};

use autobook_contracts::codes::PlaceCode;
use autobook_contracts::commands::SearchOffers;
use autobook_contracts::notification::FailureReason;
use autobook_contracts::trip::{CabinClass, TripRequest};
use autobook_contracts::{IdempotencyKey, Step};
use autobook_orchestrator::saga::Phase;
use autobook_tests::trips::trip_json;
use autobook_tests::{TestSystem, spawn};
use autobook_workers::providers::{ApiKey, DuffelClient, ProviderConfig};

fn departure(trip: &Value) -> NaiveDate {
    serde_json::from_value(trip["departure_date"].clone()).unwrap()
}

/// The harness's traveller as a second passenger, with another birth date.
fn companion(born_on: NaiveDate) -> Value {
    let mut passenger = trip_json()["passengers"][0].clone();
    passenger["given_name"] = json!("Grace");
    passenger["born_on"] = json!(born_on);
    passenger
}

fn passport(number: &str) -> Value {
    json!({"type": "passport", "unique_identifier": number,
           "issuing_country_code": "US", "expires_on": "2040-01-31"})
}

#[tokio::test]
async fn an_infant_is_booked_on_an_adults_lap() {
    let system = spawn().await;
    let mut trip = trip_json();
    let infant_born = Utc::now()
        .date_naive()
        .checked_sub_days(Days::new(200))
        .unwrap();
    trip["passengers"]
        .as_array_mut()
        .unwrap()
        .push(companion(infant_born));
    let trip: TripRequest = serde_json::from_value(trip).unwrap();
    assert!(trip.passengers[1].is_infant_on(trip.departure_date));
    let id = system.submit(trip).await;
    let row = system.finished(id).await;
    let Phase::Booked { booking, .. } = &row.saga.phase else {
        panic!("not booked: {:?}", row.saga.phase)
    };
    let (adult, infant) = (
        &booking.offer.passenger_ids[0],
        &booking.offer.passenger_ids[1],
    );

    let ledger = system.ledger();
    let [order] = ledger.orders.as_slice() else {
        panic!("{:?}", ledger.orders)
    };
    assert_eq!(order.id, booking.order.order_id);
    let on_order: Vec<_> = ledger
        .order_passengers
        .iter()
        .filter(|p| p.order_id == order.id)
        .map(|p| {
            (
                p.passenger_id.as_str(),
                p.passenger_type.as_str(),
                p.infant_passenger_id.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        on_order,
        [
            (adult.as_str(), "adult", Some(infant.as_str())),
            (infant.as_str(), "infant_without_seat", None),
        ],
        "the infant travels on the adult's lap"
    );
    let segments: u64 = booking
        .offer
        .slices
        .iter()
        .map(|s| u64::from(s.stops) + 1)
        .sum();
    assert_eq!(
        ledger.seats_sold, segments,
        "one seat per flight: the adult's"
    );
    system.teardown().await;
}

/// An airline whose JFK-LHR offers on `date` require identity documents,
/// asked of the system's own sandbox with our Duffel client.
async fn airline_requiring_documents(system: &TestSystem, date: NaiveDate) -> String {
    let config = ProviderConfig::new(
        &system.stack().sandbox.duffel_url,
        ApiKey::new("duffel_test"),
    );
    let client = DuffelClient::new(config).unwrap();
    let search = SearchOffers {
        idempotency_key: IdempotencyKey::derive(uuid::Uuid::now_v7(), Step::Search, 1),
        origin: PlaceCode::parse("JFK").unwrap(),
        destination: PlaceCode::parse("LHR").unwrap(),
        departure_date: date,
        return_date: None,
        passenger_ages: vec![39],
        cabin_class: CabinClass::Economy,
        max_connections: 2,
    };
    let found = client
        .search(&search, Duration::from_secs(5))
        .await
        .unwrap();
    let owner = found
        .offers
        .iter()
        .find(|offer| offer.identity_documents_required)
        .expect("an airline on JFK-LHR requires documents")
        .owner
        .to_string();
    assert!(autobook_sandbox::identity_documents_required(
        &owner, "JFK", "LHR"
    ));
    owner
}

/// A JFK-LHR trip for two adults on `airline` only, with passports or not.
fn transatlantic(airline: &str, with_documents: bool) -> TripRequest {
    let mut trip = trip_json();
    trip["destination"] = json!("LHR");
    trip["airlines"] = json!([airline]);
    trip["max_price"] = json!({"amount_minor": 5_000_000, "currency": "USD"});
    trip["passengers"]
        .as_array_mut()
        .unwrap()
        .push(companion(NaiveDate::from_ymd_opt(1990, 5, 17).unwrap()));
    if with_documents {
        for (n, passenger) in trip["passengers"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .enumerate()
        {
            passenger["identity_document"] = passport(&format!("P{n:08}"));
        }
    }
    serde_json::from_value(trip).unwrap()
}

#[tokio::test]
async fn an_offer_requiring_documents_is_booked_with_every_passengers_passport() {
    let system = spawn().await;
    let airline = airline_requiring_documents(&system, departure(&trip_json())).await;
    let id = system.submit(transatlantic(&airline, true)).await;
    let row = system.finished(id).await;
    let Phase::Booked { booking, .. } = &row.saga.phase else {
        panic!("not booked: {:?}", row.saga.phase)
    };
    assert!(booking.offer.identity_documents_required);
    assert_eq!(booking.offer.owner.as_str(), airline);
    let ledger = system.ledger();
    let [order] = ledger.orders.as_slice() else {
        panic!("{:?}", ledger.orders)
    };
    let documented: Vec<bool> = ledger
        .order_passengers
        .iter()
        .filter(|p| p.order_id == order.id)
        .map(|p| p.identity_document)
        .collect();
    assert_eq!(documented, [true, true]);
    system.teardown().await;
}

#[tokio::test]
async fn without_documents_the_offer_is_left_out_and_the_traveller_told_why() {
    let system = spawn().await;
    let airline = airline_requiring_documents(&system, departure(&trip_json())).await;
    let id = system.submit(transatlantic(&airline, false)).await;
    let row = system.finished(id).await;
    let Phase::Failed {
        reason: FailureReason::IdentityDocumentsRequired { offers_seen },
        notified: true,
    } = &row.saga.phase
    else {
        panic!(
            "expected a failure for want of documents: {:?}",
            row.saga.phase
        )
    };
    assert!(*offers_seen > 0);
    let ledger = system.ledger();
    assert!(ledger.payment_intents.is_empty(), "no money moved");
    assert!(ledger.orders.is_empty());
    let [email] = ledger.emails.as_slice() else {
        panic!("one email expected")
    };
    assert!(email.subject.starts_with("We could not book"));
    assert!(
        FailureReason::IdentityDocumentsRequired { offers_seen: 1 }
            .describe()
            .contains("passport details")
    );
    system.teardown().await;
}
