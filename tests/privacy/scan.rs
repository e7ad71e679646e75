//! Looking for personal values in captured text. The search ignores case;
//! a needle that starts or ends with a digit matches only where no other
//! digit touches it (so a compact birth date is not "found" inside a long
//! number such as a duration in nanoseconds).

/// A string whose presence would be a leak, and what it is.
#[derive(Debug, Clone)]
pub struct Needle {
    pub what: &'static str,
    lowered: String,
}

impl Needle {
    pub fn new(what: &'static str, text: &str) -> Needle {
        Needle {
            what,
            lowered: text.to_lowercase(),
        }
    }

    /// Whether the needle occurs in `haystack`, already lowercased.
    fn occurs_in(&self, haystack: &str) -> bool {
        let needle = self.lowered.as_str();
        if needle.is_empty() {
            return false;
        }
        let digit_at = |text: &str, index: Option<usize>| {
            index.is_some_and(|i| text.as_bytes().get(i).is_some_and(u8::is_ascii_digit))
        };
        let starts_with_digit = needle.starts_with(|c: char| c.is_ascii_digit());
        let ends_with_digit = needle.ends_with(|c: char| c.is_ascii_digit());
        haystack.match_indices(needle).any(|(start, _)| {
            let digit_before = digit_at(haystack, start.checked_sub(1));
            let digit_after = digit_at(haystack, Some(start + needle.len()));
            let glued = (starts_with_digit && digit_before) || (ends_with_digit && digit_after);
            !glued
        })
    }
}

/// One captured piece of text: where it came from, and the text.
#[derive(Debug, Clone)]
pub struct Piece {
    pub place: String,
    pub text: String,
}

impl Piece {
    pub fn new(place: impl Into<String>, text: impl Into<String>) -> Piece {
        Piece {
            place: place.into(),
            text: text.into(),
        }
    }
}

/// A needle found in a piece.
#[derive(Debug, Clone)]
pub struct Hit {
    pub what: &'static str,
    pub needle: String,
    pub place: String,
    pub text: String,
}

/// Every needle found in every piece.
pub fn find(pieces: &[Piece], needles: &[Needle]) -> Vec<Hit> {
    let mut hits = Vec::new();
    for piece in pieces {
        let lowered = piece.text.to_lowercase();
        for needle in needles {
            if needle.occurs_in(&lowered) {
                hits.push(Hit {
                    what: needle.what,
                    needle: needle.lowered.clone(),
                    place: piece.place.clone(),
                    text: piece.text.clone(),
                });
            }
        }
    }
    hits
}

/// Whether any piece holds `text` (case-sensitive), for what must be there.
pub fn holds(pieces: &[Piece], text: &str) -> bool {
    pieces.iter().any(|piece| piece.text.contains(text))
}

#[test]
fn a_needle_is_found_in_any_case_and_digits_only_on_their_own() {
    let pieces = [
        Piece::new("log", r#"{"fields":{"name":"QWERTYUIOPAS"}}"#),
        Piece::new("span", "busy_ns=3198707245"),
        Piece::new("metric", r#"x{born="19870724"} 1"#),
    ];
    let name = Needle::new("given name", "Qwertyuiopas");
    let born = Needle::new("birth date", "19870724");
    let hits = find(&pieces, &[name, born]);
    let places: Vec<(&str, &str)> = hits.iter().map(|h| (h.what, h.place.as_str())).collect();
    assert_eq!(places, [("given name", "log"), ("birth date", "metric")]);
    assert!(find(&pieces, &[Needle::new("email", "")]).is_empty());
}
