//! xorshift64*: a deterministic random source, so that one seed always
//! gives the same stream.

use uuid::Uuid;

/// xorshift64*: deterministic, good enough to pick mutations.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| (self.next_u64() >> 24) as u8).collect()
    }

    pub fn uuid_v4(&mut self) -> Uuid {
        let bytes: [u8; 16] = self.bytes(16).try_into().unwrap();
        uuid::Builder::from_random_bytes(bytes).into_uuid()
    }

    pub fn uuid_v7(&mut self) -> Uuid {
        let random: [u8; 10] = self.bytes(10).try_into().unwrap();
        let millis = 1_790_000_000_000 + self.next_u64() % 10_000_000_000;
        uuid::Builder::from_unix_timestamp_millis(millis, &random).into_uuid()
    }
}
