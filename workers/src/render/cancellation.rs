//! The "your trip is cancelled" email: what was cancelled, what was
//! charged and what goes back to the card under the fare's conditions.

use autobook_contracts::Money;
use autobook_contracts::codes::PlaceCode;
use chrono::NaiveDate;

use super::escape::single_line;
use super::format;
use super::{HtmlPage, RenderedEmail, TextBody};

/// The facts of a cancelled trip.
pub struct Cancellation<'a> {
    pub origin: &'a PlaceCode,
    pub destination: &'a PlaceCode,
    pub departure_date: NaiveDate,
    pub booking_reference: Option<&'a str>,
    pub charged: Option<Money>,
    pub refunded: Option<Money>,
}

/// What happened to the traveller's money, in one sentence.
fn money_sentence(cancellation: &Cancellation<'_>) -> String {
    match (cancellation.charged, cancellation.refunded) {
        (None, _) => {
            "Nothing was charged to your card, and any hold on it has been released.".to_owned()
        }
        (Some(charged), Some(refunded)) if refunded == charged => {
            format!("The full amount of {charged} is being refunded to your card.")
        }
        (Some(charged), Some(refunded)) if refunded.amount_minor > 0 => format!(
            "Under the fare's conditions {refunded} of the {charged} paid is being refunded to your card."
        ),
        (Some(charged), _) => format!(
            "The fare's conditions allow no refund, so the {charged} paid cannot be returned."
        ),
    }
}

pub fn render(cancellation: &Cancellation<'_>) -> RenderedEmail {
    let subject = single_line(&format!(
        "Your trip {} to {} is cancelled",
        cancellation.origin, cancellation.destination
    ));
    let mut facts = vec![
        ("From", format::place(cancellation.origin)),
        ("To", format::place(cancellation.destination)),
        ("Departure date", format::date(cancellation.departure_date)),
    ];
    if let Some(reference) = cancellation.booking_reference {
        facts.push(("Cancelled booking", single_line(reference)));
    }
    let money = money_sentence(cancellation);
    let closing = "As you asked, autobook will not book this trip.";

    let mut html = HtmlPage::new(&subject);
    let mut text = TextBody::default();
    html.heading("Your trip is cancelled");
    text.line("Your trip is cancelled");
    text.blank();
    html.table(&facts);
    text.table(&facts);
    html.paragraph(&money);
    text.blank();
    text.line(&money);
    html.paragraph(closing);
    text.blank();
    text.line(closing);
    RenderedEmail {
        subject,
        html: html.finish(),
        text: text.finish(),
    }
}
