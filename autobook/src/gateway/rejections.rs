//! Why a trip request body was refused, per field: serde's messages made
//! safe to return, and the contract's validation errors placed on the field
//! they are about.
//!
//! serde quotes the offending input in some messages (`invalid type:
//! string "..."`, `unknown variant `...``), and the codes of the contract
//! quote theirs (`invalid place code "..."`). A rejection goes back to the
//! client and may be logged, so every quoted input is taken out: the
//! message says what was expected, the field says where.

use autobook_contracts::trip::TripValidationError;

/// Longest field path returned; keys of a hostile body can be long.
const MAX_FIELD_CHARS: usize = 120;

/// A deserialization message with any quoted input removed.
pub fn describe_serde_error(message: &str) -> String {
    let message = strip_position(message);
    for prefix in ["invalid type: ", "invalid value: ", "invalid length "] {
        if let Some(rest) = message.strip_prefix(prefix)
            && let Some(at) = rest.rfind(", expected ")
        {
            let kind = rest[..at].split([' ', '`']).next().unwrap_or_default();
            let label = prefix.trim_end_matches([' ', ':']);
            return format!("{label}: {kind}{}", &rest[at..]);
        }
    }
    if let Some(rest) = message.strip_prefix("unknown variant ") {
        return match rest.rfind("`, expected ") {
            Some(at) => format!("unknown value{}", &rest[at + 1..]),
            None => "unknown value".to_owned(),
        };
    }
    if message.starts_with("unknown field ") {
        return "unknown field".to_owned();
    }
    strip_quoted(message)
}

/// `message` without serde_json's " at line L column C" suffix.
fn strip_position(message: &str) -> &str {
    match message.rfind(" at line ") {
        Some(at) if message[at..].contains(" column ") => &message[..at],
        _ => message,
    }
}

/// Removes every `"..."` segment (a `{:?}`-quoted input, escapes included)
/// and the space before it.
fn strip_quoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut chars = message.chars();
    while let Some(c) = chars.next() {
        if c != '"' {
            out.push(c);
            continue;
        }
        if out.ends_with(' ') {
            out.pop();
        }
        let mut escaped = false;
        for inner in chars.by_ref() {
            match (escaped, inner) {
                (false, '\\') => escaped = true,
                (false, '"') => break,
                _ => escaped = false,
            }
        }
    }
    out
}

/// A field path from serde_path_to_error's segments, keys cut short.
pub fn field_path(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.extend(key.chars().take(MAX_FIELD_CHARS).map(printable));
            }
            Segment::Enum { .. } | Segment::Unknown => {}
        }
    }
    out.chars().take(MAX_FIELD_CHARS).collect()
}

fn printable(c: char) -> char {
    if c.is_control() { '?' } else { c }
}

/// The field a validation error is about, and its code.
pub fn validation_field(error: &TripValidationError) -> (&'static str, String) {
    use TripValidationError as E;
    match error {
        E::UnknownPlace { field, .. } => ("unknown_place", (*field).to_owned()),
        E::SameOriginAndDestination(_) => ("same_origin_and_destination", "destination".into()),
        E::DepartureInPast { .. } => ("date_in_past", "departure_date".into()),
        E::DepartureTooFarAhead { .. } => ("date_too_far_ahead", "departure_date".into()),
        E::BookByOutOfRange { .. } => ("book_by_out_of_range", "book_by".into()),
        E::ReturnBeforeDeparture { .. } => ("return_before_departure", "return_date".into()),
        E::PassengerCount(_) => ("passenger_count", "passengers".into()),
        E::BornAfterDeparture(n) => ("born_after_departure", born_on(*n)),
        E::ImplausibleAge(n) => ("implausible_age", born_on(*n)),
        E::NoAdult => ("no_adult", "passengers".into()),
        E::TooManyInfants => ("too_many_infants", "passengers".into()),
        E::DocumentExpired(n) => ("document_expired", document_field(*n, "expires_on")),
        E::DocumentCountry(n) => (
            "unknown_issuing_country",
            document_field(*n, "issuing_country_code"),
        ),
        E::NonPositiveMaxPrice(_) => ("non_positive_price", "max_price.amount_minor".into()),
        E::MaxStops(_) => ("max_stops", "max_stops".into()),
        E::EmptyDepartureWindow => ("empty_departure_window", "departure_window".into()),
        E::UnknownAirline(_) => ("unknown_airline", "airlines".into()),
        E::DuplicateAirline(_) => ("duplicate_airline", "airlines".into()),
    }
}

/// The birth date of passenger `n` (counted from 1).
fn born_on(n: usize) -> String {
    format!("passengers[{}].born_on", n.saturating_sub(1))
}

/// A field of passenger `n`'s identity document (`n` counted from 1).
fn document_field(n: usize, field: &str) -> String {
    format!(
        "passengers[{}].identity_document.{field}",
        n.saturating_sub(1)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_messages_lose_the_quoted_input() {
        let cases = [
            (
                r#"invalid type: string "<script>", expected u8"#,
                "invalid type: string, expected u8",
            ),
            (
                "invalid value: integer `-5`, expected u8",
                "invalid value: integer, expected u8",
            ),
            (
                "unknown variant `'; DROP TABLE x;--`, expected one of `first`, `economy`",
                "unknown value, expected one of `first`, `economy`",
            ),
            (
                "unknown variant `a`, expected `b`, expected one of `m`, `f`",
                "unknown value, expected one of `m`, `f`",
            ),
            (
                r#"invalid place code "<scr\"ipt>": three uppercase letters"#,
                "invalid place code: three uppercase letters",
            ),
            ("missing field `origin`", "missing field `origin`"),
            ("unknown field `hack`, expected one of `a`", "unknown field"),
            ("expected value at line 1 column 7", "expected value"),
            (
                "name must be 1 to 50 letters, spaces, hyphens, apostrophes or periods",
                "name must be 1 to 50 letters, spaces, hyphens, apostrophes or periods",
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(describe_serde_error(input), expected, "{input}");
        }
    }

    #[test]
    fn every_validation_error_names_a_field() {
        use chrono::NaiveDate;
        let day = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
        assert_eq!(
            validation_field(&TripValidationError::ImplausibleAge(2)).1,
            "passengers[1].born_on"
        );
        assert_eq!(
            validation_field(&TripValidationError::DocumentExpired(1)),
            (
                "document_expired",
                "passengers[0].identity_document.expires_on".to_owned()
            )
        );
        assert_eq!(
            validation_field(&TripValidationError::DocumentCountry(3)).1,
            "passengers[2].identity_document.issuing_country_code"
        );
        assert_eq!(
            validation_field(&TripValidationError::TooManyInfants).1,
            "passengers"
        );
        assert_eq!(
            validation_field(&TripValidationError::DepartureInPast {
                date: day,
                today: day
            }),
            ("date_in_past", "departure_date".to_owned())
        );
        assert_eq!(
            validation_field(&TripValidationError::UnknownPlace {
                field: "destination",
                code: "ZZZ".into()
            })
            .1,
            "destination"
        );
    }
}
