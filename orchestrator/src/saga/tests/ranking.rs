//! Offer filters and the weighted ranking.

use chrono::{Duration, NaiveTime};

use autobook_contracts::codes::AirlineCode;
use autobook_contracts::money::{Currency, Money};
use autobook_contracts::trip::{CabinClass, TimeWindow};

use super::fixtures::*;
use crate::saga::offer_match::Mismatch;
use crate::saga::policy::RankingWeights;
use crate::saga::ranking::{Verdict, acceptable, judge, select, sift};

#[test]
fn the_default_weights_are_the_products() {
    let w = RankingWeights::default();
    assert_eq!((w.price, w.duration, w.stops), (0.60, 0.25, 0.15));
}

#[test]
fn price_dominates_but_a_much_shorter_trip_can_win() {
    let trip = trip();
    // Cheapest by a little, but far longer and with stops: loses.
    let slow = offer("off_slow", 30000, 700, 2);
    let quick = offer("off_quick", 31000, 330, 0);
    assert_eq!(
        select(&[slow.clone(), quick.clone()], &trip, now(), &policy())
            .unwrap()
            .offer_id,
        "off_quick"
    );
    // Cheapest by a lot: wins despite being slower.
    let cheap_slow = offer("off_cheap_slow", 15000, 700, 1);
    assert_eq!(
        select(&[cheap_slow, quick], &trip, now(), &policy())
            .unwrap()
            .offer_id,
        "off_cheap_slow"
    );
}

#[test]
fn ties_break_by_price_then_id() {
    let trip = trip();
    let a = offer("off_b", 30000, 330, 0);
    let b = offer("off_a", 30000, 330, 0);
    assert_eq!(
        select(&[a, b], &trip, now(), &policy()).unwrap().offer_id,
        "off_a"
    );
}

#[test]
fn each_condition_filters() {
    let base = offer("off", 30000, 330, 1);
    let mut trip = trip();
    assert!(acceptable(&base, &trip, now(), &policy()));

    let mut over = base.clone();
    over.total = usd(60001);
    assert!(!acceptable(&over, &trip, now(), &policy()), "max price");

    let mut foreign = base.clone();
    foreign.total = Money::new(30000, Currency::EUR);
    assert!(!acceptable(&foreign, &trip, now(), &policy()), "currency");

    let mut expiring = base.clone();
    expiring.expires_at = now() + Duration::seconds(30);
    assert!(
        !acceptable(&expiring, &trip, now(), &policy()),
        "about to expire"
    );

    let mut business = base.clone();
    business.cabin_class = CabinClass::Business;
    assert!(!acceptable(&business, &trip, now(), &policy()), "cabin");

    let mut short = base.clone();
    short.passenger_ids.pop();
    assert!(
        !acceptable(&short, &trip, now(), &policy()),
        "passenger count"
    );

    trip.max_stops = Some(0);
    assert!(!acceptable(&base, &trip, now(), &policy()), "non-stop only");
    trip.max_stops = None;

    trip.departure_window = Some(TimeWindow {
        earliest: NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
        latest: NaiveTime::from_hms_opt(21, 0, 0).unwrap(),
    });
    assert!(
        !acceptable(&base, &trip, now(), &policy()),
        "departs 08:30, window from 09:00"
    );
    trip.departure_window = None;

    trip.airlines = vec![AirlineCode::parse("DL").unwrap()];
    assert!(!acceptable(&base, &trip, now(), &policy()), "airline");
    trip.airlines.push(AirlineCode::parse("AA").unwrap());
    assert!(acceptable(&base, &trip, now(), &policy()));

    trip.return_date = Some(trip.departure_date + Duration::days(7));
    assert!(
        !acceptable(&base, &trip, now(), &policy()),
        "a round trip needs two slices"
    );
}

#[test]
fn nothing_acceptable_selects_nothing() {
    assert!(select(&[], &trip(), now(), &policy()).is_none());
}

#[test]
fn a_wrong_trip_is_judged_before_the_conditions_and_documents_after_them() {
    let trip = trip();
    let mut elsewhere_and_dear = offer("off", 99999, 330, 0);
    elsewhere_and_dear.slices[0].destination = elsewhere_and_dear.slices[0].origin.clone();
    assert_eq!(
        judge(&elsewhere_and_dear, &trip, now(), &policy()),
        Verdict::WrongTrip(Mismatch::Route)
    );
    let mut dear_with_documents = offer("off", 99999, 330, 0);
    dear_with_documents.identity_documents_required = true;
    assert_eq!(
        judge(&dear_with_documents, &trip, now(), &policy()),
        Verdict::OutsideConditions
    );
    let mut with_documents = offer("off", 30000, 330, 0);
    with_documents.identity_documents_required = true;
    assert_eq!(
        judge(&with_documents, &trip, now(), &policy()),
        Verdict::NeedsDocuments
    );
    let offers = [
        elsewhere_and_dear,
        dear_with_documents,
        with_documents,
        offer("off_ok", 30000, 330, 0),
    ];
    let sifted = sift(&offers, &trip, now(), &policy());
    assert_eq!(
        (
            sifted.acceptable.len(),
            sifted.wrong_trip,
            sifted.outside_conditions,
            sifted.needing_documents
        ),
        (1, 1, 1, 1)
    );
}
