//! Values bound to their place: a copy elsewhere does not open; values
//! sealed before places existed open, are refused on demand, and are
//! re-sealed with their place.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::json;

use super::*;

/// A value sealed as the previous format did (`pii:v1`, no place): AES-GCM
/// under `kid`'s key with `pii:v1:<kid>` as associated data.
fn sealed_v1(keyring: &Keyring, kid: &str, plaintext: &str) -> String {
    let env = keyring.expose_env_value();
    let key = env
        .split(',')
        .find_map(|entry| entry.strip_prefix(&format!("{kid}:")))
        .unwrap();
    let key: [u8; 32] = STANDARD.decode(key).unwrap().try_into().unwrap();
    let cipher = Aes256Gcm::new(&Key::<Aes256Gcm>::from(key));
    let nonce = [7u8; 12];
    let aad = format!("pii:v1:{kid}");
    let sealed = cipher
        .encrypt(
            &Nonce::from(nonce),
            Payload {
                msg: plaintext.as_bytes(),
                aad: aad.as_bytes(),
            },
        )
        .unwrap();
    let bytes = [&nonce[..], &sealed].concat();
    format!("pii:v1:{kid}:{}", URL_SAFE_NO_PAD.encode(bytes))
}

#[test]
fn a_value_opens_only_at_its_table_field_and_row() {
    let k1 = ring("k1");
    let victim = Place::passenger("saga-a", 0);
    let sealed = k1.seal_str("Amelia", &victim, "given_name");
    assert_eq!(
        k1.open_str(&sealed, &victim, "given_name").unwrap(),
        "Amelia"
    );
    let elsewhere = [
        (Place::passenger("saga-b", 0), "given_name"),
        (Place::passenger("saga-a", 1), "given_name"),
        (Place::passenger("saga-a", 0), "family_name"),
        (Place::saga("saga-a"), "given_name"),
        (Place::message("saga-a"), "given_name"),
    ];
    for (place, field) in &elsewhere {
        assert_eq!(
            k1.open_str(&sealed, place, field),
            Err(VaultError::Misplaced {
                kid: "k1".into(),
                table: place.table(),
                field,
            }),
            "{place:?} {field}"
        );
    }
    let error = k1
        .open_str(&sealed, &elsewhere[0].0, "given_name")
        .unwrap_err()
        .to_string();
    assert!(error.contains("passengers.given_name"), "{error}");
    assert!(!error.contains("saga-b"), "the row is not quoted: {error}");
    assert!(!error.contains("Amelia"), "{error}");
}

#[test]
fn a_blob_opens_only_at_its_place() {
    let k1 = ring("k1");
    let sealed = k1.seal_bytes(b"{\"a\":1}", &Place::dead_letter("d1"), "body");
    assert_eq!(
        k1.open_bytes(&sealed, &Place::dead_letter("d1"), "body")
            .unwrap()
            .as_ref(),
        b"{\"a\":1}"
    );
    for (place, field) in [
        (Place::dead_letter("d2"), "body"),
        (Place::outbox("d1"), "body"),
        (Place::dead_letter("d1"), "reply"),
    ] {
        assert!(
            matches!(
                k1.open_bytes(&sealed, &place, field),
                Err(VaultError::Misplaced { .. })
            ),
            "{place:?} {field}"
        );
    }
}

#[test]
fn a_document_value_copied_into_another_row_or_key_does_not_open() {
    let k1 = ring("k1");
    let victim = k1.seal_json(
        &json!({"trip": {"contact_email": "v@example.com"}}),
        &Place::saga("a"),
    );
    let mut thief = k1.seal_json(
        &json!({"trip": {"contact_email": "t@example.com"}}),
        &Place::saga("b"),
    );
    thief["trip"]["contact_email"] = victim["trip"]["contact_email"].clone();
    assert_eq!(
        k1.open_json(thief, &Place::saga("b")),
        Err(VaultError::Misplaced {
            kid: "k1".into(),
            table: "sagas",
            field: "contact_email"
        })
    );
    // Within a row, a value moved to another field does not open either.
    let mut swapped = k1.seal_json(
        &json!({"given_name": "Amelia", "family_name": "Earhart"}),
        &Place::saga("a"),
    );
    swapped["family_name"] = swapped["given_name"].clone();
    assert!(matches!(
        k1.open_json(swapped, &Place::saga("a")),
        Err(VaultError::Misplaced {
            field: "family_name",
            ..
        })
    ));
}

#[test]
fn unplaced_values_open_by_default_are_refused_on_demand_and_reseal_with_their_place() {
    let k1 = ring("k1");
    let old = sealed_v1(&k1, "k1", "Amelia");
    assert!(is_unplaced(&old) && is_sealed(&old));
    assert_eq!(sealed_kid(&old), Some("k1"));
    // Without a place, it opens wherever it is (what placing fixes).
    assert_eq!(k1.unplaced(), Unplaced::Open);
    for place in [Place::saga("a"), Place::saga("b")] {
        assert_eq!(k1.open_str(&old, &place, "given_name").unwrap(), "Amelia");
    }
    let strict = k1.clone().with_unplaced(Unplaced::Refuse);
    assert_eq!(
        strict.open_str(&old, &Place::saga("a"), "given_name"),
        Err(VaultError::Unplaced { kid: "k1".into() })
    );
    let document = json!({"passengers": [{"given_name": old.clone()}]});
    assert!(json_holds_unplaced(&document));
    assert!(matches!(
        strict.open_json(document.clone(), &Place::saga("a")),
        Err(VaultError::Unplaced { .. })
    ));

    // Re-sealing places it, under the same key: then only its row opens it.
    let placed = k1
        .reseal_str(&old, &Place::saga("a"), "given_name")
        .unwrap()
        .unwrap();
    assert!(placed.starts_with("pii:v2:k1:") && !is_unplaced(&placed));
    assert_eq!(
        strict
            .open_str(&placed, &Place::saga("a"), "given_name")
            .unwrap(),
        "Amelia"
    );
    assert!(
        strict
            .open_str(&placed, &Place::saga("b"), "given_name")
            .is_err()
    );
    let resealed = k1
        .reseal_json(document, &Place::saga("a"))
        .unwrap()
        .unwrap();
    assert!(!json_holds_unplaced(&resealed));
    assert_eq!(
        strict.open_json(resealed, &Place::saga("a")).unwrap(),
        json!({"passengers": [{"given_name": "Amelia"}]})
    );
    // A v1 tag cannot be put on a v2 value (the tag is associated data).
    let relabelled = placed.replacen("pii:v2:", "pii:v1:", 1);
    assert_eq!(
        k1.open_str(&relabelled, &Place::saga("a"), "given_name"),
        Err(VaultError::Authentication { kid: "k1".into() })
    );
}

#[test]
fn unplaced_blobs_open_by_default_and_are_refused_on_demand() {
    let k1 = ring("k1");
    // The same cipher layout as text, with the blob header as associated data.
    let env = k1.expose_env_value();
    let key: [u8; 32] = STANDARD
        .decode(env.strip_prefix("k1:").unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    let cipher = Aes256Gcm::new(&Key::<Aes256Gcm>::from(key));
    let nonce = [9u8; 12];
    let sealed = cipher
        .encrypt(
            &Nonce::from(nonce),
            Payload {
                msg: b"{\"a\":1}",
                aad: b"\0pii:v1:k1",
            },
        )
        .unwrap();
    let blob = [b"\0pii:v1:k1:".as_slice(), &nonce, &sealed].concat();
    assert!(
        is_unplaced_blob(&blob)
            && !is_unplaced_blob(&k1.seal_bytes(b"x", &Place::outbox("m"), "body"))
    );
    assert_eq!(blob_kid(&blob), Some("k1"));
    let place = Place::outbox("m");
    assert_eq!(
        k1.open_bytes(&blob, &place, "body").unwrap().as_ref(),
        b"{\"a\":1}"
    );
    assert_eq!(
        k1.clone()
            .with_unplaced(Unplaced::Refuse)
            .open_bytes(&blob, &place, "body"),
        Err(VaultError::Unplaced { kid: "k1".into() })
    );
    let placed = k1.reseal_bytes(&blob, &place, "body").unwrap().unwrap();
    assert!(placed.starts_with(&blob_prefix("k1")));
    assert_eq!(k1.reseal_bytes(&placed, &place, "body").unwrap(), None);
}

#[test]
fn the_unplaced_policy_is_read_strictly() {
    assert_eq!(Unplaced::parse("open"), Some(Unplaced::Open));
    assert_eq!(Unplaced::parse(" refuse "), Some(Unplaced::Refuse));
    assert_eq!(Unplaced::parse("yes"), None);
    let shown = format!("{:?}", ring("k1").with_unplaced(Unplaced::Refuse));
    assert!(shown.contains("refuse"), "{shown}");
}
