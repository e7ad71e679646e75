//! Travellers made up for one run: every name, email address, phone
//! number and passport number is random text found nowhere else, so finding one in the
//! telemetry can only mean it leaked there. Each traveller also knows the
//! strings a leak of its data would show up as (its needles).

use chrono::{Datelike, NaiveDate};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::scan::Needle;

/// One made-up traveller.
#[derive(Clone)]
pub struct Traveller {
    pub given_name: String,
    pub family_name: String,
    pub email: String,
    pub phone_number: String,
    pub born_on: NaiveDate,
    pub passport_number: String,
}

/// Random bytes, from a v4 UUID (122 random bits).
fn random_bytes() -> [u8; 16] {
    *Uuid::new_v4().as_bytes()
}

/// `n` (at most 16) random lowercase letters.
fn letters(n: usize) -> String {
    random_bytes()[..n]
        .iter()
        .map(|b| char::from(b'a' + b % 26))
        .collect()
}

/// `n` (at most 16) random digits, the first not zero.
fn digits(n: usize) -> String {
    random_bytes()[..n]
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let digit = if i == 0 { 1 + b % 9 } else { b % 10 };
            char::from(b'0' + digit)
        })
        .collect()
}

/// A name of twelve letters, capitalised as on a passport.
fn name() -> String {
    let mut name = letters(12);
    name[..1].make_ascii_uppercase();
    name
}

/// A random address: its local part and domain are both made up.
pub fn email() -> String {
    format!("{}.{}@{}.example", letters(8), letters(6), letters(10))
}

impl Traveller {
    /// A traveller born in `year` (kept from the trip it replaces, so the
    /// passenger stays an adult or a child).
    pub fn born_in(year: i32) -> Traveller {
        let [month, day, ..] = random_bytes();
        Traveller {
            given_name: name(),
            family_name: name(),
            email: email(),
            phone_number: format!("+44{}", digits(12)),
            born_on: NaiveDate::from_ymd_opt(
                year,
                1 + u32::from(month % 12),
                1 + u32::from(day % 28),
            )
            .unwrap(),
            passport_number: letters(12).to_ascii_uppercase(),
        }
    }

    /// A traveller born in the year of `born_on`, never later than it (so
    /// a passenger born before the trip's departure stays so).
    pub fn born_by(born_on: NaiveDate) -> Traveller {
        let traveller = Traveller::born_in(born_on.year());
        Traveller {
            born_on: traveller.born_on.min(born_on),
            ..traveller
        }
    }

    /// Writes this traveller's personal data over a passenger of a trip
    /// request (JSON), keeping title and gender, with a passport.
    pub fn write_over(&self, passenger: &mut Value) {
        passenger["given_name"] = json!(self.given_name);
        passenger["family_name"] = json!(self.family_name);
        passenger["email"] = json!(self.email);
        passenger["phone_number"] = json!(self.phone_number);
        passenger["born_on"] = json!(self.born_on);
        passenger["identity_document"] = json!({
            "type": "passport", "unique_identifier": self.passport_number,
            "issuing_country_code": "NZ", "expires_on": "2045-02-28"
        });
    }

    /// Every string that would show this traveller's data: the values as
    /// given, the email's local part, the phone number without its `+`
    /// and without its country code, and the birth date in the usual
    /// written forms.
    pub fn needles(&self) -> Vec<Needle> {
        let mut needles = vec![
            Needle::new("given name", &self.given_name),
            Needle::new("family name", &self.family_name),
            Needle::new("email", &self.email),
            Needle::new("phone number", &self.phone_number),
            Needle::new("passport number", &self.passport_number),
        ];
        if let Some((local, _)) = self.email.split_once('@') {
            needles.push(Needle::new("email local part", local));
        }
        let phone_digits = self.phone_number.trim_start_matches('+');
        needles.push(Needle::new("phone digits", phone_digits));
        needles.push(Needle::new("national phone number", &phone_digits[2..]));
        needles.extend(birth_date_needles(self.born_on));
        needles
    }
}

/// A date of birth as it may be written: ISO, compact, day or month first,
/// and in words.
pub fn birth_date_needles(date: NaiveDate) -> Vec<Needle> {
    let (d, m, y) = (date.day(), date.month(), date.year());
    let mut needles: Vec<Needle> = [
        date.format("%Y-%m-%d").to_string(),
        format!("{d:02}/{m:02}/{y}"),
        format!("{m:02}/{d:02}/{y}"),
        format!("{d}/{m}/{y}"),
        format!("{m}/{d}/{y}"),
        format!("{d:02}.{m:02}.{y}"),
        format!("{d:02}-{m:02}-{y}"),
        date.format("%B %-d, %Y").to_string(),
        date.format("%-d %B %Y").to_string(),
        date.format("%d %b %Y").to_string(),
        date.format("%b %-d, %Y").to_string(),
    ]
    .into_iter()
    .map(|written| Needle::new("birth date", &written))
    .collect();
    needles.push(Needle::new(
        "birth date",
        &date.format("%Y%m%d").to_string(),
    ));
    needles
}
