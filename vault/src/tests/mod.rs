use std::borrow::Cow;

use autobook_contracts::personal::erased;
use autobook_contracts::trip::TripRequest;
use serde_json::{Value, json};

use super::*;

mod envelope;
mod places;

fn ring(kid: &str) -> Keyring {
    Keyring::generate(kid).unwrap()
}

/// The place most tests seal text at.
fn here() -> Place {
    Place::passenger("s1", 0)
}

const FIELD: &str = "given_name";

/// What a value that does not open at [`here`] gives.
fn misplaced(kid: &str) -> VaultError {
    VaultError::Misplaced {
        kid: kid.into(),
        table: "passengers",
        field: FIELD,
    }
}

#[test]
fn text_round_trips_and_is_tagged_with_the_active_key() {
    let k1 = ring("k1");
    let sealed = k1.seal_str("Amelia", &here(), FIELD);
    assert!(sealed.starts_with("pii:v2:k1:"), "{sealed}");
    assert!(!sealed.contains("Amelia"));
    assert!(is_sealed(&sealed));
    assert_eq!(sealed_kid(&sealed), Some("k1"));
    assert_eq!(k1.open_str(&sealed, &here(), FIELD).unwrap(), "Amelia");
    assert_ne!(
        k1.seal_str("Amelia", &here(), FIELD),
        sealed,
        "fresh nonce each time"
    );
    assert_eq!(k1.open_str("", &here(), FIELD).unwrap(), "");
    assert_eq!(
        k1.open_str(&k1.seal_str("", &here(), FIELD), &here(), FIELD)
            .unwrap(),
        ""
    );
}

#[test]
fn text_that_is_not_sealed_passes_through() {
    let k1 = ring("k1");
    assert_eq!(
        k1.open_str(erased::NAME, &here(), FIELD).unwrap(),
        erased::NAME
    );
    assert!(!is_sealed("Amelia"));
    assert_eq!(sealed_kid("Amelia"), None);
}

#[test]
fn tampering_is_detected() {
    let k1 = ring("k1");
    let sealed = k1.seal_str("amelia@example.com", &here(), FIELD);
    // Flip one character of the ciphertext.
    let mut chars: Vec<char> = sealed.chars().collect();
    let last = chars.len() - 5;
    chars[last] = if chars[last] == 'A' { 'B' } else { 'A' };
    let tampered: String = chars.into_iter().collect();
    assert_eq!(k1.open_str(&tampered, &here(), FIELD), Err(misplaced("k1")));
    // Moving a value under another key id breaks the associated data.
    let k1_also_k2 = Keyring::parse(&k1.expose_env_value().replacen("k1:", "k2:", 1)).unwrap();
    let moved = sealed.replacen("pii:v2:k1:", "pii:v2:k2:", 1);
    assert_eq!(
        k1_also_k2.open_str(&moved, &here(), FIELD),
        Err(misplaced("k2"))
    );
    assert!(matches!(
        k1.open_str("pii:v2:k1:***", &here(), FIELD),
        Err(VaultError::Malformed(_))
    ));
    assert!(matches!(
        k1.open_str("pii:v2:k1:AAAA", &here(), FIELD),
        Err(VaultError::Malformed(_))
    ));
    assert!(matches!(
        k1.open_str("pii:v2:nokid", &here(), FIELD),
        Err(VaultError::Malformed(_))
    ));
    assert!(matches!(
        k1.open_str("pii:v2:bad kid:AAAA", &here(), FIELD),
        Err(VaultError::Malformed(_))
    ));
}

#[test]
fn a_different_key_under_the_same_id_fails_and_an_unknown_id_is_named() {
    let sealed = ring("k1").seal_str("Amelia", &here(), FIELD);
    assert_eq!(
        ring("k1").open_str(&sealed, &here(), FIELD),
        Err(misplaced("k1"))
    );
    assert_eq!(
        ring("k2").open_str(&sealed, &here(), FIELD),
        Err(VaultError::UnknownKey { kid: "k1".into() })
    );
}

#[test]
fn rotation_opens_old_values_and_seals_under_the_new_key() {
    let k1 = ring("k1");
    let k2 = ring("k2");
    let old = k1.seal_str("+14155550100", &here(), FIELD);
    let rotating = Keyring::parse(&format!(
        "{},{}",
        k2.expose_env_value(),
        k1.expose_env_value()
    ))
    .unwrap();
    assert_eq!(rotating.active_kid(), "k2");
    assert_eq!(rotating.kids().collect::<Vec<_>>(), ["k2", "k1"]);
    assert_eq!(
        rotating.open_str(&old, &here(), FIELD).unwrap(),
        "+14155550100"
    );
    let resealed = rotating.reseal_str(&old, &here(), FIELD).unwrap().unwrap();
    assert_eq!(sealed_kid(&resealed), Some("k2"));
    assert_eq!(
        rotating.reseal_str(&resealed, &here(), FIELD).unwrap(),
        None,
        "already current"
    );
    assert_eq!(
        k2.open_str(&resealed, &here(), FIELD).unwrap(),
        "+14155550100"
    );
    assert_eq!(
        rotating
            .reseal_str("plain", &here(), FIELD)
            .unwrap()
            .map(|s| k2.open_str(&s, &here(), FIELD).unwrap()),
        Some("plain".into())
    );
    assert_eq!(
        rotating.reseal_str(erased::NAME, &here(), FIELD).unwrap(),
        None,
        "placeholders stay"
    );
    // followed_by gives the same keyring.
    let same = k2.followed_by(&k1).followed_by(&k2);
    assert_eq!(same.expose_env_value(), rotating.expose_env_value());
}

#[test]
fn bytes_round_trip_pass_through_and_rotate() {
    let k1 = ring("k1");
    let body = br#"{"payload":{"to":"amelia@example.com"}}"#;
    let sealed = k1.seal_bytes(body, &Place::outbox("m1"), "body");
    assert!(sealed.starts_with(b"\0pii:v2:k1:"));
    assert!(sealed.starts_with(&blob_prefix("k1")));
    assert!(!sealed.windows(7).any(|w| w == b"example"));
    assert_eq!(blob_kid(&sealed), Some("k1"));
    assert!(is_sealed_blob(&sealed));
    assert_eq!(
        k1.open_bytes(&sealed, &Place::outbox("m1"), "body")
            .unwrap()
            .as_ref(),
        body
    );
    assert!(
        matches!(k1.open_bytes(body, &Place::outbox("m1"), "body").unwrap(), Cow::Borrowed(b) if b == body)
    );
    assert_eq!(blob_kid(body), None);

    let mut tampered = sealed.clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    assert_eq!(
        k1.open_bytes(&tampered, &Place::outbox("m1"), "body"),
        Err(VaultError::Misplaced {
            kid: "k1".into(),
            table: "outbox",
            field: "body"
        })
    );
    assert!(matches!(
        k1.open_bytes(b"\0pii:v2:k1", &Place::outbox("m1"), "body"),
        Err(VaultError::Malformed(_))
    ));
    assert!(matches!(
        k1.open_bytes(b"\0pii:v2:k1:short", &Place::outbox("m1"), "body"),
        Err(VaultError::Malformed(_))
    ));

    let k2 = ring("k2");
    let rotating = k2.followed_by(&k1);
    let resealed = rotating
        .reseal_bytes(&sealed, &Place::outbox("m1"), "body")
        .unwrap()
        .unwrap();
    assert_eq!(blob_kid(&resealed), Some("k2"));
    assert_eq!(
        rotating
            .reseal_bytes(&resealed, &Place::outbox("m1"), "body")
            .unwrap(),
        None
    );
    assert_eq!(
        k2.open_bytes(&resealed, &Place::outbox("m1"), "body")
            .unwrap()
            .as_ref(),
        body
    );
    let from_plain = rotating
        .reseal_bytes(body, &Place::outbox("m1"), "body")
        .unwrap()
        .unwrap();
    assert_eq!(
        k2.open_bytes(&from_plain, &Place::outbox("m1"), "body")
            .unwrap()
            .as_ref(),
        body
    );
}

fn trip() -> Value {
    json!({
        "user_id": "usr_1",
        "origin": "LHR", "destination": "JFK",
        "departure_date": "2027-03-14",
        "passengers": [{
            "title": "ms", "gender": "f", "given_name": "Amelia", "family_name": "Earhart",
            "born_on": "1987-07-24", "email": "amelia@example.com", "phone_number": "+14155550100"
        }, {
            "title": "mr", "gender": "m", "given_name": "Fred", "family_name": "Noonan",
            "born_on": "1893-04-04", "email": "fred@example.com", "phone_number": "+14155550101",
            "identity_document": {"type": "passport", "unique_identifier": "K12345678",
                                  "issuing_country_code": "NZ", "expires_on": "2031-05-20"}
        }],
        "cabin_class": "economy",
        "max_price": {"amount_minor": 90000, "currency": "GBP"},
        "payment": {"payment_method": "pm_card_visa"},
        "contact_email": "amelia@example.com"
    })
}

const PLAINTEXT: &[&str] = &[
    "Amelia",
    "Earhart",
    "1987-07-24",
    "amelia@example.com",
    "+14155550100",
    "Fred",
    "Noonan",
    "1893-04-04",
    "fred@example.com",
    "+14155550101",
    "K12345678",
    "2031-05-20",
];

#[test]
fn json_seals_personal_fields_anywhere_and_opens_back() {
    let k1 = ring("k1");
    let saga = json!({"id": "s1", "trip": trip(), "phase": {"status": "searching"}});
    let sealed = k1.seal_json(&saga, &Place::saga("s1"));
    let text = sealed.to_string();
    for pii in PLAINTEXT {
        assert!(!text.contains(pii), "{pii} in {text}");
    }
    assert_eq!(sealed["trip"]["origin"], "LHR", "other fields stay");
    assert_eq!(sealed["trip"]["passengers"][1]["title"], "mr");
    let document = &sealed["trip"]["passengers"][1]["identity_document"];
    assert_eq!(document["type"], "passport", "the kind of document stays");
    for field in ["unique_identifier", "issuing_country_code", "expires_on"] {
        assert!(
            document[field].as_str().unwrap().starts_with("pii:v2:k1:"),
            "{field} is sealed"
        );
    }
    assert_eq!(json_kids(&sealed).into_iter().collect::<Vec<_>>(), ["k1"]);
    assert!(!json_holds_plaintext_pii(&sealed));
    assert!(json_holds_plaintext_pii(&saga));
    assert_eq!(
        k1.seal_json(&sealed, &Place::saga("s1")),
        sealed,
        "sealed values are not sealed twice"
    );
    assert_eq!(
        k1.open_json(sealed.clone(), &Place::saga("s1")).unwrap(),
        saga
    );
    assert_eq!(
        k1.reseal_json(sealed.clone(), &Place::saga("s1")).unwrap(),
        None
    );

    let k2 = ring("k2");
    let rotating = k2.followed_by(&k1);
    let resealed = rotating
        .reseal_json(sealed, &Place::saga("s1"))
        .unwrap()
        .unwrap();
    assert_eq!(json_kids(&resealed).into_iter().collect::<Vec<_>>(), ["k2"]);
    assert_eq!(k2.open_json(resealed, &Place::saga("s1")).unwrap(), saga);
    let from_plain = rotating
        .reseal_json(saga.clone(), &Place::saga("s1"))
        .unwrap()
        .unwrap();
    assert_eq!(k2.open_json(from_plain, &Place::saga("s1")).unwrap(), saga);
}

#[test]
fn redacted_json_parses_as_a_trip_request_and_names_nobody() {
    let k1 = ring("k1");
    let sealed = k1.seal_json(&trip(), &Place::saga("s1"));
    let redacted = redact_json(sealed);
    let text = redacted.to_string();
    assert!(!text.contains("pii:v2:"), "{text}");
    for pii in PLAINTEXT {
        assert!(!text.contains(pii), "{pii} in {text}");
    }
    assert_eq!(redacted["passengers"][0]["email"], erased::EMAIL);
    assert_eq!(redacted["contact_email"], erased::EMAIL);
    assert_eq!(redacted["passengers"][1]["born_on"], erased::BORN_ON);
    let document = &redacted["passengers"][1]["identity_document"];
    assert_eq!(document["unique_identifier"], erased::DOCUMENT_NUMBER);
    assert_eq!(document["issuing_country_code"], erased::COUNTRY);
    assert_eq!(document["expires_on"], erased::EXPIRES_ON);
    assert!(
        !json_holds_plaintext_pii(&redacted),
        "placeholders are not personal data"
    );
    assert_eq!(
        k1.seal_json(&redacted, &Place::saga("s1")),
        redacted,
        "placeholders stay readable"
    );
    let parsed: Result<TripRequest, _> = serde_json::from_value(redacted);
    assert!(parsed.is_ok(), "{:?}", parsed.err());
}

#[test]
fn json_open_reports_a_tampered_value() {
    let k1 = ring("k1");
    let mut sealed = k1.seal_json(&trip(), &Place::saga("s1"));
    sealed["contact_email"] = json!(k1.seal_str("x", &here(), FIELD).replacen(
        "pii:v2:k1:",
        "pii:v2:k9:",
        1
    ));
    assert_eq!(
        k1.open_json(sealed, &Place::saga("s1")),
        Err(VaultError::UnknownKey { kid: "k9".into() })
    );
}

#[test]
fn keyrings_parse_strictly_and_never_show_key_bytes() {
    let k1 = ring("k1");
    let env = k1.expose_env_value();
    let (_, key) = env.split_once(':').unwrap();
    let parsed = Keyring::parse(&format!(" {env} , k-2_b:{} ", "A".repeat(43) + "=")).unwrap();
    assert_eq!(parsed.kids().collect::<Vec<_>>(), ["k1", "k-2_b"]);
    let shown = format!("{parsed:?} {k1:?}");
    assert!(!shown.contains(key), "{shown}");
    assert!(shown.contains("k1") && shown.contains("k-2_b"), "{shown}");
    let url_safe = key
        .replace('+', "-")
        .replace('/', "_")
        .trim_end_matches('=')
        .to_owned();
    let same = Keyring::parse(&format!("k1:{url_safe}")).unwrap();
    assert_eq!(
        same.open_str(&k1.seal_str("x", &here(), FIELD), &here(), FIELD)
            .unwrap(),
        "x"
    );

    assert_eq!(Keyring::parse("").unwrap_err(), KeyringError::Empty);
    assert_eq!(
        Keyring::parse("k1").unwrap_err(),
        KeyringError::NotAnEntry { position: 1 }
    );
    assert_eq!(
        Keyring::parse(&format!("{env},bad kid:{key}")).unwrap_err(),
        KeyringError::BadKeyId { position: 2 }
    );
    assert_eq!(
        Keyring::parse("k1:c2hvcnQ=").unwrap_err(),
        KeyringError::BadKey { kid: "k1".into() }
    );
    assert_eq!(
        Keyring::parse(&format!("{env},{env}")).unwrap_err(),
        KeyringError::DuplicateKeyId { kid: "k1".into() }
    );
    let long = "x".repeat(33);
    assert!(Keyring::generate(&long).is_err());
    assert!(Keyring::generate(&long[..32]).is_ok());
    let err = Keyring::parse(&format!("k1:{key}x"))
        .unwrap_err()
        .to_string();
    assert!(!err.contains(key), "{err}");
}
