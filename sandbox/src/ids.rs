//! Identifiers: drawn from a provider's seeded RNG (so a seed replays the
//! same draws) and marked with the sandbox start's [`Instance`] (so two
//! starts never hand out the same id), and a stable hash for deterministic
//! per-route seeds.
//!
//! The instance mark replaces the first characters of what was drawn; the
//! number of draws does not change, so offers, prices and fault draws stay
//! those of the seed whatever the instance.

use rand::Rng;
use rand::rngs::StdRng;

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const UPPER_ALNUM: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// Characters of a Stripe or Duffel id given to the instance mark.
const MARK_CHARS: usize = 6;
/// Bytes of an email UUID given to the instance mark.
const MARK_BYTES: usize = 4;

fn draw_chars(rng: &mut StdRng, alphabet: &[u8], len: usize) -> String {
    (0..len)
        .map(|_| char::from(alphabet[rng.random_range(0..alphabet.len())]))
        .collect()
}

/// One start of a sandbox: a value (random from the OS, or fixed for a
/// test) mixed into every id it hands out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Instance {
    /// Hash of the instance value: the source of every mark.
    key: u64,
}

impl Instance {
    pub(crate) fn new(value: u64) -> Self {
        Instance {
            key: stable_hash(&[&value.to_string(), "instance"]),
        }
    }

    /// A value from the operating system's randomness.
    pub(crate) fn random_value() -> u64 {
        rand::rng().random()
    }

    /// The instance's mark: `len` characters of `alphabet`.
    fn mark(&self, alphabet: &[u8], len: usize) -> String {
        let base = alphabet.len() as u64;
        let mut rest = self.key;
        (0..len)
            .map(|_| {
                let index = usize::try_from(rest % base).unwrap_or(0);
                rest /= base;
                char::from(alphabet[index])
            })
            .collect()
    }

    /// `drawn` with its first characters replaced by the mark.
    fn marked(&self, drawn: &str) -> String {
        let mark = self.mark(BASE62, MARK_CHARS);
        let rest: String = drawn.chars().skip(MARK_CHARS).collect();
        format!("{mark}{rest}")
    }

    /// A Duffel-style id: `off_0000` followed by 18 base62 characters.
    pub(crate) fn duffel_id(&self, rng: &mut StdRng, prefix: &str) -> String {
        let drawn = draw_chars(rng, BASE62, 18);
        format!("{prefix}_0000{}", self.marked(&drawn))
    }

    /// A Stripe-style id: `pi_3` followed by 23 base62 characters.
    pub(crate) fn stripe_id(&self, rng: &mut StdRng, prefix: &str) -> String {
        let drawn = draw_chars(rng, BASE62, 23);
        format!("{prefix}_3{}", self.marked(&drawn))
    }

    /// A version-4 UUID (email ids).
    pub(crate) fn uuid(&self, rng: &mut StdRng) -> uuid::Uuid {
        let mut bytes: [u8; 16] = rng.random();
        bytes[..MARK_BYTES].copy_from_slice(&self.key.to_be_bytes()[..MARK_BYTES]);
        uuid::Builder::from_random_bytes(bytes).into_uuid()
    }

    /// A six-character airline booking reference (PNR), each character
    /// shifted by the instance.
    pub(crate) fn booking_reference(&self, rng: &mut StdRng) -> String {
        let base = UPPER_ALNUM.len();
        let shifts = self.key.to_be_bytes();
        (0..6)
            .map(|position| {
                let drawn = rng.random_range(0..base);
                let shifted = (drawn + usize::from(shifts[position])) % base;
                char::from(UPPER_ALNUM[shifted])
            })
            .collect()
    }

    /// A 13-digit electronic ticket number, shifted by the instance.
    pub(crate) fn ticket_number(&self, rng: &mut StdRng) -> String {
        const LOW: u64 = 1_000_000_000_000;
        const SPAN: u64 = 9_000_000_000_000;
        let drawn = rng.random_range(0..SPAN);
        format!("{:013}", LOW + (drawn + self.key % SPAN) % SPAN)
    }
}

/// A random secret suffix (client secrets, client keys).
pub(crate) fn secret(rng: &mut StdRng, len: usize) -> String {
    draw_chars(rng, BASE62, len)
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
        let instance = Instance::new(3);
        let offer = instance.duffel_id(&mut rng, "off");
        assert!(
            offer.starts_with("off_0000") && offer.len() == 26,
            "{offer}"
        );
        let intent = instance.stripe_id(&mut rng, "pi");
        assert!(intent.starts_with("pi_3") && intent.len() == 27, "{intent}");
        let pnr = instance.booking_reference(&mut rng);
        assert!(
            pnr.len() == 6
                && pnr
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        );
        assert_eq!(instance.ticket_number(&mut rng).len(), 13);
        assert_eq!(instance.uuid(&mut rng).get_version_num(), 4);
    }

    #[test]
    fn same_seed_same_draws_and_stable_hash() {
        let instance = Instance::new(5);
        let mut a = StdRng::seed_from_u64(9);
        let mut b = StdRng::seed_from_u64(9);
        assert_eq!(
            instance.duffel_id(&mut a, "orq"),
            instance.duffel_id(&mut b, "orq")
        );
        assert_eq!(stable_hash(&["JFK", "LHR"]), stable_hash(&["JFK", "LHR"]));
        assert_ne!(stable_hash(&["JF", "KLHR"]), stable_hash(&["JFK", "LHR"]));
    }

    #[test]
    fn another_instance_marks_the_same_draws_differently() {
        let (one, two) = (Instance::new(1), Instance::new(2));
        let mut a = StdRng::seed_from_u64(9);
        let mut b = StdRng::seed_from_u64(9);
        let (x, y) = (one.stripe_id(&mut a, "evt"), two.stripe_id(&mut b, "evt"));
        assert_ne!(x, y);
        assert_eq!(
            x["evt_3".len() + MARK_CHARS..],
            y["evt_3".len() + MARK_CHARS..],
            "same draws"
        );
        assert_ne!(one.uuid(&mut a), two.uuid(&mut b));
        // Both streams are still in step: the next draws agree.
        assert_eq!(a.random::<u64>(), b.random::<u64>());
    }
}
