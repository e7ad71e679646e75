//! Offers that do not answer the trip: another route, another day.

use chrono::Duration;

use autobook_contracts::codes::PlaceCode;
use autobook_contracts::offer::OfferSummary;

use super::fixtures::{offer, trip};
use crate::saga::offer_match::{Mismatch, check};

fn place(code: &str) -> PlaceCode {
    PlaceCode::parse(code).unwrap()
}

/// The fixture offer (JFK-LAX on the trip's date) flying `from`-`to`.
fn flying(from: &str, to: &str) -> OfferSummary {
    let mut offer = offer("off_1", 30000, 330, 0);
    offer.slices[0].origin = place(from);
    offer.slices[0].destination = place(to);
    offer
}

#[test]
fn an_offer_for_the_trip_answers_it() {
    assert_eq!(check(&offer("off_1", 30000, 330, 0), &trip()), Ok(()));
}

#[test]
fn an_offer_elsewhere_does_not() {
    let trip = trip();
    assert_eq!(
        check(&flying("JFK", "JFK"), &trip),
        Err(Mismatch::Route),
        "origin = destination"
    );
    assert_eq!(check(&flying("JFK", "SFO"), &trip), Err(Mismatch::Route));
    assert_eq!(check(&flying("EWR", "LAX"), &trip), Err(Mismatch::Route));
    assert_eq!(check(&flying("LAX", "JFK"), &trip), Err(Mismatch::Route));
}

#[test]
fn a_city_code_takes_any_of_its_airports() {
    let mut trip = trip();
    trip.origin = place("NYC");
    assert_eq!(check(&flying("EWR", "LAX"), &trip), Ok(()));
    assert_eq!(check(&flying("LGA", "LAX"), &trip), Ok(()));
    assert_eq!(check(&flying("BOS", "LAX"), &trip), Err(Mismatch::Route));
}

#[test]
fn another_day_does_not_answer() {
    let trip = trip();
    let mut late = offer("off_1", 30000, 330, 0);
    late.slices[0].departing_at += Duration::days(1);
    assert_eq!(check(&late, &trip), Err(Mismatch::Date));
    let mut early = offer("off_1", 30000, 330, 0);
    early.slices[0].departing_at -= Duration::minutes(9 * 60);
    assert_eq!(
        check(&early, &trip),
        Err(Mismatch::Date),
        "23:30 the evening before"
    );
}

#[test]
fn a_round_trip_needs_the_way_back_on_the_return_date() {
    let mut trip = trip();
    let back_on = trip.departure_date + Duration::days(7);
    trip.return_date = Some(back_on);
    let one_way = offer("off_1", 30000, 330, 0);
    assert_eq!(check(&one_way, &trip), Err(Mismatch::Slices));

    let mut round = one_way.clone();
    let mut back = round.slices[0].clone();
    back.origin = place("LAX");
    back.destination = place("JFK");
    back.departing_at = back_on.and_hms_opt(10, 0, 0).unwrap();
    round.slices.push(back);
    assert_eq!(check(&round, &trip), Ok(()));

    let mut back_late = round.clone();
    back_late.slices[1].departing_at += Duration::days(1);
    assert_eq!(check(&back_late, &trip), Err(Mismatch::Date));

    let mut back_elsewhere = round.clone();
    back_elsewhere.slices[1].destination = place("LAX");
    assert_eq!(check(&back_elsewhere, &trip), Err(Mismatch::Route));

    let mut one_way_trip = trip.clone();
    one_way_trip.return_date = None;
    assert_eq!(check(&round, &one_way_trip), Err(Mismatch::Slices));
}
