//! Hashing and a tiny PRNG: every "random" choice in a frame comes from here, so the same input always
//! draws the same picture (no thread RNG, no HashMap order, no clock).
use sha2::{Digest, Sha256};

/// A stable 64-bit seed from a tag and some fields. Parts are length-prefixed so `("ab", "c")` and
/// `("a", "bc")` differ.
pub(crate) fn hash64(tag: &str, parts: &[&[u8]]) -> u64 {
    let mut h = Sha256::new();
    h.update(b"storyloom.animatic\0");
    h.update((tag.len() as u64).to_le_bytes());
    h.update(tag.as_bytes());
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    let digest = h.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(first)
}

/// splitmix64: tiny, fast, and identical on every platform.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn from_parts(tag: &str, parts: &[&[u8]]) -> Self {
        Self(hash64(tag, parts))
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1), from 24 bits so the f32 is exact.
    pub(crate) fn unit(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }

    pub(crate) fn range(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * self.unit()
    }

    pub(crate) fn below(&mut self, n: u32) -> u32 {
        (self.next_u64() % u64::from(n.max(1))) as u32
    }

    pub(crate) fn chance(&mut self, p: f32) -> bool {
        self.unit() < p
    }
}
