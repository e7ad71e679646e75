//! Identifiers drawn from a provider's seeded RNG (so a seed replays the
//! same ids), and a stable hash for deterministic per-route seeds.

use rand::Rng;
use rand::rngs::StdRng;

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const UPPER_ALNUM: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

fn draw_chars(rng: &mut StdRng, alphabet: &[u8], len: usize) -> String {
    (0..len)
        .map(|_| char::from(alphabet[rng.random_range(0..alphabet.len())]))
        .collect()
}

/// A Duffel-style id: `off_0000` followed by 18 base62 characters.
pub(crate) fn duffel_id(rng: &mut StdRng, prefix: &str) -> String {
    format!("{prefix}_0000{}", draw_chars(rng, BASE62, 18))
}

/// A Stripe-style id: `pi_3` followed by 23 base62 characters.
pub(crate) fn stripe_id(rng: &mut StdRng, prefix: &str) -> String {
    format!("{prefix}_3{}", draw_chars(rng, BASE62, 23))
}

/// A random secret suffix (client secrets, client keys).
pub(crate) fn secret(rng: &mut StdRng, len: usize) -> String {
    draw_chars(rng, BASE62, len)
}

/// A version-4 UUID from the RNG (email ids).
pub(crate) fn uuid(rng: &mut StdRng) -> uuid::Uuid {
    uuid::Builder::from_random_bytes(rng.random()).into_uuid()
}

/// A six-character airline booking reference (PNR).
pub(crate) fn booking_reference(rng: &mut StdRng) -> String {
    draw_chars(rng, UPPER_ALNUM, 6)
}

/// A 13-digit electronic ticket number.
pub(crate) fn ticket_number(rng: &mut StdRng) -> String {
    format!(
        "{:013}",
        rng.random_range(1_000_000_000_000_u64..10_000_000_000_000)
    )
}

/// FNV-1a over the parts, separated: stable across runs and Rust versions.
pub(crate) fn stable_hash(parts: &[&str]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.bytes().chain(std::iter::once(0x1f)) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    hash
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    #[test]
    fn ids_have_provider_shapes() {
        let mut rng = StdRng::seed_from_u64(1);
        let offer = duffel_id(&mut rng, "off");
        assert!(
            offer.starts_with("off_0000") && offer.len() == 26,
            "{offer}"
        );
        let intent = stripe_id(&mut rng, "pi");
        assert!(intent.starts_with("pi_3") && intent.len() == 27, "{intent}");
        let pnr = booking_reference(&mut rng);
        assert!(
            pnr.len() == 6
                && pnr
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        );
        assert_eq!(ticket_number(&mut rng).len(), 13);
        assert_eq!(uuid(&mut rng).get_version_num(), 4);
    }

    #[test]
    fn same_seed_same_ids_and_stable_hash() {
        let mut a = StdRng::seed_from_u64(9);
        let mut b = StdRng::seed_from_u64(9);
        assert_eq!(duffel_id(&mut a, "orq"), duffel_id(&mut b, "orq"));
        assert_eq!(stable_hash(&["JFK", "LHR"]), stable_hash(&["JFK", "LHR"]));
        assert_ne!(stable_hash(&["JF", "KLHR"]), stable_hash(&["JFK", "LHR"]));
    }
}
