//! The "we could not book your trip" email.

use autobook_contracts::codes::PlaceCode;
use autobook_contracts::notification::FailureReason;
use chrono::NaiveDate;

use super::escape::single_line;
use super::format;
use super::{HtmlPage, RenderedEmail, TextBody};

/// The facts of a failed booking.
pub struct Failure<'a> {
    pub reason: &'a FailureReason,
    pub origin: &'a PlaceCode,
    pub destination: &'a PlaceCode,
    pub departure_date: NaiveDate,
}

pub fn render(failure: &Failure<'_>) -> RenderedEmail {
    let subject = single_line(&format!(
        "We could not book your trip {} to {}",
        failure.origin, failure.destination
    ));
    let trip = [
        ("From", format::place(failure.origin)),
        ("To", format::place(failure.destination)),
        ("Departure date", format::date(failure.departure_date)),
    ];
    let reason = failure.reason.describe();
    let closing = "You can ask autobook to try again with other dates or conditions.";

    let mut html = HtmlPage::new(&subject);
    let mut text = TextBody::default();
    html.heading("We could not book your trip");
    text.line("We could not book your trip");
    text.blank();
    html.table(&trip);
    text.table(&trip);
    html.paragraph(reason);
    text.blank();
    text.line(reason);
    html.paragraph(closing);
    text.blank();
    text.line(closing);
    RenderedEmail {
        subject,
        html: html.finish(),
        text: text.finish(),
    }
}
