//! Message bodies: personal fields sealed for their message before
//! publishing, opened after receiving; plaintext, misplaced or unplaced
//! personal fields refused with their path and without their value.

use autobook_contracts::Envelope;
use autobook_contracts::commands::SendNotification;
use autobook_contracts::trip::TripRequest;
use serde_json::{Value, json};
use uuid::Uuid;

use super::*;

fn trip_body() -> Vec<u8> {
    let trip: TripRequest = serde_json::from_value(trip()).unwrap();
    Envelope::new(Uuid::now_v7(), trip).encode()
}

fn as_json(body: &[u8]) -> Value {
    serde_json::from_slice(body).unwrap()
}

#[test]
fn a_trip_request_travels_sealed_and_opens_back_to_the_same_envelope() {
    let k1 = ring("k1");
    let body = trip_body();
    assert!(!travels_sealed(&body));
    let sealed = k1.seal_envelope(&body).into_owned();
    let text = String::from_utf8(sealed.clone()).unwrap();
    for pii in PLAINTEXT {
        assert!(!text.contains(pii), "{pii} in {text}");
    }
    assert!(travels_sealed(&sealed));
    let wire = as_json(&sealed);
    assert_eq!(wire["payload"]["origin"], "LHR", "the rest stays readable");
    assert!(
        wire["payload"]["passengers"][0]["given_name"]
            .as_str()
            .unwrap()
            .starts_with("pii:v2:k1:")
    );
    assert_eq!(
        k1.seal_envelope(&sealed).as_ref(),
        sealed.as_slice(),
        "not sealed twice"
    );
    let opened = k1.open_envelope(&sealed).unwrap();
    assert_eq!(
        Envelope::decode(&opened).unwrap(),
        Envelope::decode(&body).unwrap()
    );
}

#[test]
fn an_email_recipient_is_personal_and_a_body_without_personal_data_is_left_alone() {
    let k1 = ring("k1");
    let notify: SendNotification = serde_json::from_value(json!({
        "idempotency_key": format!("{}:notify:1", Uuid::now_v7()),
        "to": "amelia@example.com",
        "content": {"kind": "booking_failed", "reason": {"code": "search_failed"},
                    "origin": "LHR", "destination": "JFK", "departure_date": "2027-03-14"}
    }))
    .unwrap();
    let body = Envelope::new(Uuid::now_v7(), notify).encode();
    let sealed = k1.seal_envelope(&body).into_owned();
    assert!(!String::from_utf8_lossy(&sealed).contains("amelia"));
    assert_eq!(
        Envelope::decode(&k1.open_envelope(&sealed).unwrap()).unwrap(),
        Envelope::decode(&body).unwrap()
    );
    // `to` is personal only at the payload's top level.
    let other = json!({"message_id": "m", "payload": {"window": {"to": "12:00"}}, "to": "x"});
    let other = serde_json::to_vec(&other).unwrap();
    assert!(matches!(
        k1.seal_envelope(&other),
        std::borrow::Cow::Borrowed(_)
    ));
    assert!(travels_sealed(&other));
    assert!(matches!(
        k1.open_envelope(&other).unwrap(),
        std::borrow::Cow::Borrowed(_)
    ));
}

#[test]
fn plaintext_of_any_type_at_a_personal_field_is_refused_by_path() {
    let k1 = ring("k1");
    let sealed = as_json(&k1.seal_envelope(&trip_body()));
    let cases = [
        (
            "/payload/passengers/1/family_name",
            json!("Noonan"),
            "payload.passengers[1].family_name",
        ),
        (
            "/payload/passengers/0/phone_number",
            json!(14155550177u64),
            "payload.passengers[0].phone_number",
        ),
        (
            "/payload/passengers/0/born_on",
            json!(true),
            "payload.passengers[0].born_on",
        ),
        (
            "/payload/contact_email",
            json!(null),
            "payload.contact_email",
        ),
        (
            "/payload/passengers/1/identity_document/unique_identifier",
            json!(["K12345678"]),
            "payload.passengers[1].identity_document.unique_identifier",
        ),
        (
            "/payload/passengers/0/email",
            json!({"a": "amelia@example.com"}),
            "payload.passengers[0].email",
        ),
        // An erasure placeholder is plaintext too on the broker.
        (
            "/payload/passengers/0/given_name",
            json!("Erased"),
            "payload.passengers[0].given_name",
        ),
    ];
    for (pointer, value, path) in cases {
        let mut body = sealed.clone();
        *body.pointer_mut(pointer).unwrap() = value.clone();
        assert!(!travels_sealed(&serde_json::to_vec(&body).unwrap()));
        let error = k1
            .open_envelope(&serde_json::to_vec(&body).unwrap())
            .unwrap_err();
        assert_eq!(
            error,
            BodyError::Unsealed { path: path.into() },
            "{pointer}"
        );
        assert_eq!(error.code(), "unsealed_personal_data");
        let text = error.to_string();
        assert!(text.starts_with(path), "{text}");
        for quoted in [
            "Noonan",
            "14155550177",
            "true",
            "K12345678",
            "amelia",
            "Erased",
        ] {
            assert!(!text.contains(quoted), "{quoted} in {text}");
        }
    }
    // A hostile key on the way is not quoted either.
    let mut body = sealed.clone();
    body["payload"]["Amelia Earhart"] = json!({"given_name": "Amelia"});
    let text = k1
        .open_envelope(&serde_json::to_vec(&body).unwrap())
        .unwrap_err()
        .to_string();
    assert!(text.starts_with("payload.….given_name"), "{text}");
    assert!(!text.contains("Amelia"), "{text}");
}

#[test]
fn a_value_sealed_for_another_message_or_without_place_is_refused() {
    let k1 = ring("k1");
    let first = as_json(&k1.seal_envelope(&trip_body()));
    let mut second = as_json(&k1.seal_envelope(&trip_body()));
    second["payload"]["contact_email"] = first["payload"]["contact_email"].clone();
    let error = k1
        .open_envelope(&serde_json::to_vec(&second).unwrap())
        .unwrap_err();
    assert!(
        matches!(&error, BodyError::Unopenable { path, source: VaultError::Misplaced { table: "message", field: "contact_email", .. } } if path == "payload.contact_email"),
        "{error:?}"
    );
    assert_eq!(error.code(), "unopenable_personal_data");
    // Re-labelled with another message id: nothing opens.
    let mut relabelled = first.clone();
    relabelled["message_id"] = json!(Uuid::now_v7().to_string());
    assert!(
        k1.open_envelope(&serde_json::to_vec(&relabelled).unwrap())
            .is_err()
    );
    // A value sealed at rest (for a saga row) does not open in a message.
    let mut from_rest = first.clone();
    from_rest["payload"]["contact_email"] =
        json!(k1.seal_str("x@example.com", &Place::saga("s"), "contact_email"));
    assert!(
        k1.open_envelope(&serde_json::to_vec(&from_rest).unwrap())
            .is_err()
    );
    // Sealed without place (the old format): refused on the broker whatever
    // the keyring's policy.
    let mut unplaced = first.clone();
    unplaced["payload"]["contact_email"] = json!(format!(
        "pii:v1:k1:{}",
        first["payload"]["contact_email"]
            .as_str()
            .unwrap()
            .split(':')
            .nth(3)
            .unwrap()
    ));
    assert_eq!(
        k1.open_envelope(&serde_json::to_vec(&unplaced).unwrap()),
        Err(BodyError::Unplaced {
            path: "payload.contact_email".into()
        })
    );
    // Under a key this keyring lacks.
    let k2 = ring("k2");
    let error = k2
        .open_envelope(&serde_json::to_vec(&first).unwrap())
        .unwrap_err();
    assert!(
        matches!(
            error,
            BodyError::Unopenable {
                source: VaultError::UnknownKey { .. },
                ..
            }
        ),
        "{error:?}"
    );
}

#[test]
fn bodies_that_are_not_envelopes_are_left_to_the_decoder() {
    let k1 = ring("k1");
    for body in [&b"{not json"[..], b"[1,2]", b"\"Amelia\"", b""] {
        assert_eq!(k1.seal_envelope(body).as_ref(), body);
        assert_eq!(k1.open_envelope(body).unwrap().as_ref(), body);
        assert!(!travels_sealed(body));
    }
}
