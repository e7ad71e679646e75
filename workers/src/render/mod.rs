//! Rendering notification content into an email (subject, HTML and text).
//!
//! Every interpolated value passes through [`escape`]: the HTML builder
//! ([`HtmlPage`]) escapes all text it is given, and the subject and the
//! text body drop control characters. The content holds no personal data
//! by design (no names, no addresses).

pub mod cancellation;
pub mod confirmation;
pub mod escape;
pub mod failure;
pub mod format;

use autobook_contracts::notification::NotificationContent;

use escape::{escape_html, single_line};

/// A ready-to-send email body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedEmail {
    pub subject: String,
    pub html: String,
    pub text: String,
}

/// Renders the email for a notification.
pub fn render(content: &NotificationContent) -> RenderedEmail {
    match content {
        NotificationContent::BookingConfirmed {
            booking_reference,
            airline_name,
            total,
            passenger_count,
            itinerary,
        } => confirmation::render(&confirmation::Booking {
            booking_reference,
            airline_name,
            total: *total,
            passenger_count: *passenger_count,
            itinerary,
        }),
        NotificationContent::BookingFailed {
            reason,
            origin,
            destination,
            departure_date,
        } => failure::render(&failure::Failure {
            reason,
            origin,
            destination,
            departure_date: *departure_date,
        }),
        NotificationContent::TripCancelled {
            origin,
            destination,
            departure_date,
            booking_reference,
            charged,
            refunded,
        } => cancellation::render(&cancellation::Cancellation {
            origin,
            destination,
            departure_date: *departure_date,
            booking_reference: booking_reference.as_deref(),
            charged: *charged,
            refunded: *refunded,
        }),
    }
}

/// An HTML document whose text is escaped as it is added.
pub struct HtmlPage {
    out: String,
}

impl HtmlPage {
    pub fn new(title: &str) -> Self {
        let mut out = String::with_capacity(2048);
        out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        out.push_str(&format!("<title>{}</title>\n</head>\n", escape_html(title)));
        out.push_str(
            "<body style=\"margin:0;padding:24px;font-family:Arial,Helvetica,sans-serif;color:#1a1a1a;line-height:1.5;\">\n",
        );
        HtmlPage { out }
    }

    pub fn heading(&mut self, text: &str) {
        self.out.push_str(&format!(
            "<h1 style=\"font-size:22px;margin:0 0 16px;\">{}</h1>\n",
            escape_html(text)
        ));
    }

    pub fn subheading(&mut self, text: &str) {
        self.out.push_str(&format!(
            "<h2 style=\"font-size:17px;margin:24px 0 8px;\">{}</h2>\n",
            escape_html(text)
        ));
    }

    pub fn paragraph(&mut self, text: &str) {
        self.out.push_str(&format!(
            "<p style=\"margin:0 0 12px;\">{}</p>\n",
            escape_html(text)
        ));
    }

    /// A two-column table of labels and values.
    pub fn table(&mut self, rows: &[(&str, String)]) {
        self.out.push_str(
            "<table role=\"presentation\" style=\"border-collapse:collapse;margin:0 0 12px;\">\n",
        );
        for (label, value) in rows {
            self.out.push_str(&format!(
                "<tr><th align=\"left\" style=\"padding:4px 16px 4px 0;font-weight:normal;color:#555;\">{}</th><td style=\"padding:4px 0;\"><strong>{}</strong></td></tr>\n",
                escape_html(label),
                escape_html(value)
            ));
        }
        self.out.push_str("</table>\n");
    }

    pub fn finish(mut self) -> String {
        self.out.push_str("</body>\n</html>\n");
        self.out
    }
}

/// A plain-text body; each added line is made a single line.
#[derive(Default)]
pub struct TextBody {
    lines: Vec<String>,
}

impl TextBody {
    pub fn line(&mut self, text: &str) {
        self.lines.push(single_line(text));
    }

    pub fn blank(&mut self) {
        self.lines.push(String::new());
    }

    /// "Label: value" lines.
    pub fn table(&mut self, rows: &[(&str, String)]) {
        for (label, value) in rows {
            self.line(&format!("{label}: {value}"));
        }
    }

    pub fn finish(self) -> String {
        let mut text = self.lines.join("\n");
        text.push('\n');
        text
    }
}

#[cfg(test)]
mod tests;
