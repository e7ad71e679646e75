//! The vault at the broker boundary: a publisher seals the personal fields
//! of every body before sending it, a consumer opens them before decoding
//! (refusing plaintext ones), and a dead letter whose body cannot travel as
//! it is (plaintext personal fields, or not an envelope at all) is copied
//! sealed whole, for its dead-letter id. A broker given no keyring
//! ([`crate::Broker::with_vault`]) passes bodies as they are.

use std::borrow::Cow;

use autobook_vault::{BodyError, Keyring, Place, travels_sealed};

/// The body to publish.
pub(crate) fn outgoing<'a>(vault: Option<&Keyring>, body: &'a [u8]) -> Cow<'a, [u8]> {
    match vault {
        Some(vault) => vault.seal_envelope(body),
        None => Cow::Borrowed(body),
    }
}

/// The body to decode.
pub(crate) fn incoming<'a>(
    vault: Option<&Keyring>,
    body: &'a [u8],
) -> Result<Cow<'a, [u8]>, BodyError> {
    match vault {
        Some(vault) => vault.open_envelope(body),
        None => Ok(Cow::Borrowed(body)),
    }
}

/// The body of the dead-letter copy of a delivery.
pub(crate) fn dead_letter_copy<'a>(
    vault: Option<&Keyring>,
    body: &'a [u8],
    dead_letter_id: &str,
) -> Cow<'a, [u8]> {
    match vault {
        Some(vault) if !travels_sealed(body) => {
            Cow::Owned(vault.seal_bytes(body, &Place::dead_letter(dead_letter_id), "body"))
        }
        _ => Cow::Borrowed(body),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use autobook_vault::is_sealed_blob;

    use super::*;

    const PLAIN: &[u8] = br#"{"message_id":"m1","payload":{"to":"amelia@example.com"}}"#;

    #[test]
    fn without_a_keyring_bodies_pass_as_they_are() {
        assert_eq!(outgoing(None, PLAIN).as_ref(), PLAIN);
        assert_eq!(incoming(None, PLAIN).unwrap().as_ref(), PLAIN);
        assert_eq!(dead_letter_copy(None, PLAIN, "d1").as_ref(), PLAIN);
    }

    #[test]
    fn with_a_keyring_bodies_go_sealed_and_come_back_opened() {
        let vault = Keyring::generate("k1").unwrap();
        let sent = outgoing(Some(&vault), PLAIN).into_owned();
        assert!(!String::from_utf8_lossy(&sent).contains("amelia"));
        let received = incoming(Some(&vault), &sent).unwrap();
        assert!(String::from_utf8_lossy(&received).contains("amelia@example.com"));
        let refused = incoming(Some(&vault), PLAIN).unwrap_err();
        assert_eq!(refused.code(), "unsealed_personal_data");
    }

    #[test]
    fn a_dead_letter_that_cannot_travel_as_it_is_goes_sealed_whole_for_its_id() {
        let vault = Keyring::generate("k1").unwrap();
        let sealed = outgoing(Some(&vault), PLAIN).into_owned();
        assert_eq!(
            dead_letter_copy(Some(&vault), &sealed, "d1").as_ref(),
            sealed.as_slice(),
            "sealed fields travel as they are"
        );
        for body in [PLAIN, b"{not json".as_slice()] {
            let copy = dead_letter_copy(Some(&vault), body, "d1").into_owned();
            assert!(is_sealed_blob(&copy));
            let place = Place::dead_letter("d1");
            assert_eq!(
                vault.open_bytes(&copy, &place, "body").unwrap().as_ref(),
                body
            );
            assert!(
                vault
                    .open_bytes(&copy, &Place::dead_letter("d2"), "body")
                    .is_err()
            );
        }
    }
}
