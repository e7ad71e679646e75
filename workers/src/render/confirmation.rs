//! The "your flight is booked" email.

use autobook_contracts::Money;
use autobook_contracts::offer::OfferSlice;

use super::escape::single_line;
use super::format;
use super::{HtmlPage, RenderedEmail, TextBody};

/// The facts of a confirmed booking.
pub struct Booking<'a> {
    pub booking_reference: &'a str,
    pub airline_name: &'a str,
    pub total: Money,
    pub passenger_count: u8,
    pub itinerary: &'a [OfferSlice],
}

pub fn render(booking: &Booking<'_>) -> RenderedEmail {
    let subject = single_line(&subject(booking));
    let summary = [
        ("Booking reference", booking.booking_reference.to_owned()),
        ("Airline", booking.airline_name.to_owned()),
        ("Total paid", booking.total.to_string()),
        ("Travellers", format::passengers(booking.passenger_count)),
    ];
    let intro = "Your trip is booked and paid. Keep your booking reference: the airline asks for it at check-in.";
    let note = "All times are local to each airport.";

    let mut html = HtmlPage::new(&subject);
    let mut text = TextBody::default();
    html.heading("Your flight is booked");
    text.line("Your flight is booked");
    text.blank();
    html.paragraph(intro);
    text.line(intro);
    text.blank();
    html.table(&summary);
    text.table(&summary);
    let count = booking.itinerary.len();
    for (index, slice) in booking.itinerary.iter().enumerate() {
        let title = format!(
            "{}: {} to {}",
            format::slice_label(index, count),
            format::place(&slice.origin),
            format::place(&slice.destination)
        );
        let rows = slice_rows(slice);
        html.subheading(&title);
        html.table(&rows);
        text.blank();
        text.line(&title);
        text.table(&rows);
    }
    html.paragraph(note);
    text.blank();
    text.line(note);
    RenderedEmail {
        subject,
        html: html.finish(),
        text: text.finish(),
    }
}

/// "Your flight is booked: JFK to LAX (RZPNX8)", from the outbound slice.
fn subject(booking: &Booking<'_>) -> String {
    match booking.itinerary.first() {
        Some(outbound) => format!(
            "Your flight is booked: {} to {} ({})",
            outbound.origin, outbound.destination, booking.booking_reference
        ),
        None => format!("Your flight is booked ({})", booking.booking_reference),
    }
}

fn slice_rows(slice: &OfferSlice) -> [(&'static str, String); 5] {
    [
        ("Departs", format::date_time(slice.departing_at)),
        ("Arrives", format::date_time(slice.arriving_at)),
        ("Duration", format::duration(slice.duration_minutes)),
        ("Stops", format::stops(slice.stops)),
        ("Flights", slice.flights.join(", ")),
    ]
}
