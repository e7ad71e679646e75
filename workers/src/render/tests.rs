//! Rendering tests: subjects, bodies, and hostile strings.

use autobook_contracts::codes::PlaceCode;
use autobook_contracts::notification::{FailureReason, NotificationContent};
use autobook_contracts::offer::OfferSlice;
use autobook_contracts::{Currency, Money};
use chrono::{NaiveDate, NaiveDateTime};

use super::escape::{escape_html, single_line};
use super::{format, render};

fn at(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap()
}

fn slice(
    from: &str,
    to: &str,
    departs: &str,
    arrives: &str,
    minutes: u32,
    flights: &[&str],
) -> OfferSlice {
    OfferSlice {
        origin: PlaceCode::parse(from).unwrap(),
        destination: PlaceCode::parse(to).unwrap(),
        departing_at: at(departs),
        arriving_at: at(arrives),
        duration_minutes: minutes,
        stops: (flights.len() - 1) as u8,
        flights: flights.iter().map(|f| f.to_string()).collect(),
    }
}

fn confirmed(reference: &str, airline: &str, itinerary: Vec<OfferSlice>) -> NotificationContent {
    NotificationContent::BookingConfirmed {
        booking_reference: reference.into(),
        airline_name: airline.into(),
        total: Money::new(35_130, Currency::USD),
        passenger_count: 2,
        itinerary,
    }
}

fn round_trip() -> Vec<OfferSlice> {
    vec![
        slice(
            "JFK",
            "LAX",
            "2027-03-14 08:05",
            "2027-03-14 11:31",
            386,
            &["AA1"],
        ),
        slice(
            "LAX",
            "JFK",
            "2027-03-21 22:15",
            "2027-03-22 09:40",
            625,
            &["AA2403", "BA117"],
        ),
    ]
}

#[test]
fn confirmation_has_every_booking_fact() {
    let email = render(&confirmed("RZPNX8", "American Airlines", round_trip()));
    assert_eq!(email.subject, "Your flight is booked: JFK to LAX (RZPNX8)");
    for body in [&email.text, &email.html] {
        for fact in [
            "RZPNX8",
            "American Airlines",
            "351.30 USD",
            "2 passengers",
            "Outbound: JFK (New York) to LAX (Los Angeles)",
            "Return: LAX (Los Angeles) to JFK (New York)",
            "Sun 14 Mar 2027, 08:05",
            "Sun 14 Mar 2027, 11:31",
            "Mon 22 Mar 2027, 09:40",
            "6h 26m",
            "10h 25m",
            "non-stop",
            "1 stop",
            "AA2403, BA117",
        ] {
            assert!(body.contains(fact), "missing {fact:?} in:\n{body}");
        }
    }
    assert!(
        email.text.contains("Booking reference: RZPNX8\n"),
        "{}",
        email.text
    );
    assert!(email.html.starts_with("<!DOCTYPE html>") && email.html.ends_with("</html>\n"));
}

#[test]
fn one_way_and_empty_itineraries() {
    let one_way = render(&confirmed(
        "ABC123",
        "Duffel Airways",
        round_trip()[..1].to_vec(),
    ));
    assert!(
        one_way
            .text
            .contains("Flight: JFK (New York) to LAX (Los Angeles)")
    );
    assert!(!one_way.text.contains("Return"));
    let empty = render(&confirmed("ABC123", "Duffel Airways", vec![]));
    assert_eq!(empty.subject, "Your flight is booked (ABC123)");
}

#[test]
fn hostile_strings_are_escaped() {
    let mut itinerary = round_trip();
    itinerary[0].flights = vec!["<b>AA1</b>".into()];
    let email = render(&confirmed(
        "<script>alert(\"pnr\")</script>\nBcc: victim@example.com",
        "Evil & \"Co\" <img src=x onerror=alert(1)> 'quoted'",
        itinerary,
    ));
    for raw in ["<script", "<img", "<b>", "\"Co\"", "'quoted'"] {
        assert!(!email.html.contains(raw), "{raw} in html");
    }
    for escaped in [
        "&lt;script&gt;alert(&quot;pnr&quot;)&lt;/script&gt;",
        "Evil &amp; &quot;Co&quot; &lt;img src=x onerror=alert(1)&gt; &#39;quoted&#39;",
        "&lt;b&gt;AA1&lt;/b&gt;",
    ] {
        assert!(email.html.contains(escaped), "{escaped} missing");
    }
    assert!(!email.subject.contains('\n'));
    assert!(
        email.text.lines().all(|line| !line.starts_with("Bcc:")),
        "{}",
        email.text
    );
}

#[test]
fn failure_notice_names_trip_reason_and_date() {
    let content = NotificationContent::BookingFailed {
        reason: FailureReason::PaymentDeclined {
            decline_code: Some("insufficient_funds".into()),
        },
        origin: PlaceCode::parse("NYC").unwrap(),
        destination: PlaceCode::parse("LAX").unwrap(),
        departure_date: NaiveDate::from_ymd_opt(2027, 3, 14).unwrap(),
    };
    let email = render(&content);
    assert_eq!(email.subject, "We could not book your trip NYC to LAX");
    for body in [&email.text, &email.html] {
        assert!(body.contains("Sun 14 Mar 2027"), "{body}");
        assert!(body.contains("NYC (New York)"), "{body}");
        assert!(body.contains("Your card was declined, so nothing was booked or charged."));
    }
}

#[test]
fn every_failure_reason_renders_its_sentence() {
    let reasons = [
        FailureReason::NoMatchingOffer { offers_seen: 12 },
        FailureReason::SearchFailed,
        FailureReason::PaymentDeclined { decline_code: None },
        FailureReason::PaymentFailed,
        FailureReason::OrderRejected,
        FailureReason::OffersKeptChanging { searches: 3 },
        FailureReason::CaptureFailed,
        FailureReason::IdentityDocumentsRequired { offers_seen: 4 },
        FailureReason::DeadlinePassed {
            searches: 9,
            cheapest_seen: None,
            identity_documents_needed: true,
        },
    ];
    for reason in reasons {
        let email = render(&NotificationContent::BookingFailed {
            reason: reason.clone(),
            origin: PlaceCode::parse("LHR").unwrap(),
            destination: PlaceCode::parse("DXB").unwrap(),
            departure_date: NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(),
        });
        assert!(email.text.contains(reason.describe()), "{}", reason.code());
        assert!(
            email.html.contains(&escape_html(reason.describe())),
            "{}",
            reason.code()
        );
    }
}

#[test]
fn a_failure_for_want_of_documents_says_so() {
    for reason in [
        FailureReason::IdentityDocumentsRequired { offers_seen: 4 },
        FailureReason::DeadlinePassed {
            searches: 9,
            cheapest_seen: None,
            identity_documents_needed: true,
        },
    ] {
        let email = render(&NotificationContent::BookingFailed {
            reason,
            origin: PlaceCode::parse("LHR").unwrap(),
            destination: PlaceCode::parse("JFK").unwrap(),
            departure_date: NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(),
        });
        assert!(email.text.contains("passport details"), "{}", email.text);
    }
    let plain = FailureReason::DeadlinePassed {
        searches: 9,
        cheapest_seen: None,
        identity_documents_needed: false,
    };
    assert!(!plain.describe().contains("passport"));
}

#[test]
fn escaping_and_formatting_helpers() {
    assert_eq!(
        escape_html("a&b<c>d\"e'f\u{0}"),
        "a&amp;b&lt;c&gt;d&quot;e&#39;f "
    );
    assert_eq!(single_line("a\r\nb\tc"), "a  b c");
    assert_eq!(format::duration(45), "45m");
    assert_eq!(format::duration(26 * 60), "26h 0m");
    assert_eq!(format::stops(2), "2 stops");
    assert_eq!(format::passengers(1), "1 passenger");
    assert_eq!(format::place(&PlaceCode::parse("ZZZ").unwrap()), "ZZZ");
    assert_eq!(format::slice_label(2, 3), "Flight 3");
}
