//! Made-up travellers whose every personal value (names, birth date, email
//! addresses, phone number, passport number and expiry) is random text
//! found nowhere else, so finding one somewhere can only mean it leaked
//! there. Each knows the strings such a leak would show.

use chrono::{Days, NaiveDate, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

/// One made-up traveller.
#[derive(Debug, Clone)]
pub struct Person {
    pub given_name: String,
    pub family_name: String,
    pub born_on: String,
    pub email: String,
    pub phone_number: String,
    pub passport: String,
    pub passport_expires: String,
    pub contact_email: String,
}

fn random() -> [u8; 16] {
    *Uuid::new_v4().as_bytes()
}

fn letters(n: usize) -> String {
    random()[..n]
        .iter()
        .map(|b| char::from(b'a' + b % 26))
        .collect()
}

fn digits(n: usize) -> String {
    random()[..n]
        .iter()
        .map(|b| char::from(b'0' + b % 10))
        .collect()
}

fn name() -> String {
    let mut name = letters(12);
    name[..1].make_ascii_uppercase();
    name
}

/// A random day within the `days` days after `start`.
fn day(start: NaiveDate, days: u64) -> String {
    let offset = u64::from(u16::from_le_bytes([random()[0], random()[1]])) % days;
    start
        .checked_add_days(Days::new(offset))
        .unwrap()
        .to_string()
}

impl Person {
    pub fn new() -> Person {
        let passport: String = random()[..9]
            .iter()
            .map(|b| char::from(b'A' + b % 26))
            .collect();
        let expiry_from = Utc::now()
            .date_naive()
            .checked_add_days(Days::new(3_650))
            .unwrap();
        Person {
            given_name: name(),
            family_name: name(),
            // Before 1950: no other suite's travellers are born then.
            born_on: day(NaiveDate::from_ymd_opt(1931, 1, 1).unwrap(), 6_900),
            email: format!("{}@{}.example", letters(10), letters(8)),
            phone_number: format!("+1415{}", digits(7)),
            passport: format!("P{passport}"),
            passport_expires: day(expiry_from, 3_000),
            contact_email: format!("{}@{}.example", letters(10), letters(8)),
        }
    }

    /// Writes this traveller into a trip request (JSON): the first
    /// passenger, with a passport, and the contact address.
    pub fn write_into(&self, trip: &mut Value) {
        trip["passengers"][0] = json!({
            "title": "ms", "gender": "f",
            "given_name": self.given_name, "family_name": self.family_name,
            "born_on": self.born_on, "email": self.email, "phone_number": self.phone_number,
            "identity_document": {"type": "passport", "unique_identifier": self.passport,
                                  "issuing_country_code": "CA", "expires_on": self.passport_expires}
        });
        trip["contact_email"] = json!(self.contact_email);
    }

    /// What a leak of this traveller would show, and what each one is.
    pub fn needles(&self) -> Vec<(&'static str, String)> {
        vec![
            ("given name", self.given_name.clone()),
            ("family name", self.family_name.clone()),
            ("birth date", self.born_on.clone()),
            ("email", self.email.clone()),
            ("phone number", self.phone_number.clone()),
            ("passport number", self.passport.clone()),
            ("passport expiry", self.passport_expires.clone()),
            ("contact email", self.contact_email.clone()),
        ]
    }
}

impl Default for Person {
    fn default() -> Self {
        Person::new()
    }
}
