//! Messages that are refused and dead-lettered while carrying personal
//! data: a trip departing in the past, personal values wrapped in markup
//! or header injection, personal values in the wrong field (where serde
//! quotes what it refused), as numbers and as keys, and an order command
//! on the payment queue.

use serde_json::{Value, json};
use uuid::Uuid;

use autobook_contracts::commands::CreateOrder;
use autobook_contracts::trip::TripRequest;
use autobook_contracts::{Envelope, IdempotencyKey, QueueRole, Step};
use autobook_tests::TestSystem;
use autobook_tests::trips::trip_json;

use crate::People;
use crate::scan::Piece;
use crate::travellers::{self, Traveller};

/// A valid trip request (JSON) of a new traveller, with a new contact.
fn trip_of(people: &mut People) -> Value {
    let traveller = Traveller::born_in(1975);
    let mut trip = trip_json();
    traveller.write_over(&mut trip["passengers"][0]);
    let contact = travellers::email();
    trip["contact_email"] = json!(contact);
    people.travellers.push(traveller);
    people.contact_emails.push(contact);
    trip
}

/// The wire JSON of a trip request for `trip`.
fn requested(trip: Value) -> Value {
    let trip: TripRequest = serde_json::from_value(trip).unwrap();
    serde_json::from_slice(&Envelope::new(Uuid::now_v7(), trip).encode()).unwrap()
}

/// A trip request whose payload `edit` spoiled.
fn spoiled(people: &mut People, edit: impl FnOnce(&mut Value, &Traveller)) -> Value {
    let mut wire = requested(trip_of(people));
    let traveller = people.travellers.last().unwrap().clone();
    edit(&mut wire["payload"], &traveller);
    wire
}

/// An order for a new traveller, sent where orders are not taken.
fn misrouted_order(people: &mut People) -> Value {
    let trip = trip_of(people);
    let saga_id = Uuid::now_v7();
    let order: CreateOrder = serde_json::from_value(json!({
        "idempotency_key": IdempotencyKey::derive(saga_id, Step::Order, 1),
        "user_id": "usr_test",
        "offer_id": "off_0000000000000000000000",
        "amount": {"amount_minor": 20_000, "currency": "USD"},
        "passengers": [{"passenger_id": "pas_0000000000000000000001", "details": trip["passengers"][0]}],
    }))
    .unwrap();
    serde_json::from_slice(&Envelope::new(saga_id, order).encode()).unwrap()
}

/// Sends each hostile message, checks it is dead-lettered with the
/// expected code, and returns the reasons given (to be scanned too).
pub async fn send_all(system: &TestSystem, people: &mut People) -> Vec<Piece> {
    let events = system.topology.events_exchange();
    let commands = system.topology.commands_exchange();
    let mut past = trip_of(people);
    past["departure_date"] = json!("2020-01-01");
    let cases = [
        (requested(past), "invalid_trip"),
        (
            spoiled(people, |trip, t| {
                trip["passengers"][0]["family_name"] =
                    json!(format!("<script>alert('{}')</script>", t.family_name));
                trip["contact_email"] = json!(format!("{}\r\nBcc: everyone@example.com", t.email));
            }),
            "invalid_payload",
        ),
        (
            spoiled(people, |trip, t| {
                trip["passengers"][0]["title"] = json!(t.given_name)
            }),
            "invalid_payload",
        ),
        (
            spoiled(people, |trip, t| {
                trip["passengers"][0]["gender"] = json!(t.email)
            }),
            "invalid_payload",
        ),
        (
            spoiled(people, |trip, t| {
                trip["passengers"][0]["born_on"] =
                    json!(t.born_on.format("%B %-d, %Y").to_string());
            }),
            "invalid_payload",
        ),
        // Personal data of other JSON types: numbers, booleans, keys.
        (
            spoiled(people, |trip, t| {
                let digits: String = t
                    .phone_number
                    .chars()
                    .filter(char::is_ascii_digit)
                    .collect();
                trip["passengers"][0]["phone_number"] = json!(digits.parse::<u64>().unwrap());
            }),
            // A personal field that is not a string cannot travel sealed:
            // refused for that, by its path.
            "unsealed_personal_data",
        ),
        (
            spoiled(people, |trip, t| {
                let born: u64 = t.born_on.format("%Y%m%d").to_string().parse().unwrap();
                trip["passengers"][0]["born_on"] = json!(born);
                trip["passengers"][0]["given_name"] = json!(true);
            }),
            "unsealed_personal_data",
        ),
        (
            spoiled(people, |trip, t| {
                trip["passengers"][0][t.email.as_str()] = json!(t.family_name);
            }),
            "invalid_payload",
        ),
        (
            spoiled(people, |trip, t| {
                trip[t.given_name.as_str()] = json!({ t.family_name.as_str(): true });
            }),
            "invalid_payload",
        ),
    ];
    let mut reasons = Vec::new();
    for (wire, code) in cases {
        let body = serde_json::to_vec(&wire).unwrap();
        system.publish_raw(&events, "trip.requested", &body).await;
        let dead = system.dead_letter(QueueRole::Orchestrator).await;
        assert_eq!(dead.code, code, "{}", dead.reason);
        reasons.push(Piece::new(
            format!("dead letter reason ({code})"),
            dead.reason,
        ));
    }
    let body = serde_json::to_vec(&misrouted_order(people)).unwrap();
    system
        .publish_raw(&commands, "payment.authorize", &body)
        .await;
    let dead = system.dead_letter(QueueRole::Payment).await;
    assert_eq!(dead.code, "wrong_queue", "{}", dead.reason);
    reasons.push(Piece::new("dead letter reason (wrong_queue)", dead.reason));
    reasons
}
