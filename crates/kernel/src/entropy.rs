//! Randomness as a port: identifiers and secret tokens come from here, so domain
//! services stay deterministic under test.

use uuid::Uuid;

/// A source of cryptographically secure random bytes.
pub trait Entropy: Send + Sync + 'static {
    /// 32 random bytes. Implementations MUST use a CSPRNG in production.
    fn bytes32(&self) -> [u8; 32];

    /// A random (version 4) UUID built from this source.
    fn new_id(&self) -> Uuid {
        let b = self.bytes32();
        let mut id = [0u8; 16];
        id.copy_from_slice(&b[..16]);
        uuid::Builder::from_random_bytes(id).into_uuid()
    }
}

impl<E: Entropy> Entropy for std::sync::Arc<E> {
    fn bytes32(&self) -> [u8; 32] {
        (**self).bytes32()
    }
}

#[cfg(feature = "testkit")]
mod seeded {
    use super::Entropy;
    use std::sync::atomic::{AtomicU64, Ordering};

    /// Deterministic, non-secret bytes for tests (a splitmix64 sequence).
    #[derive(Debug, Default)]
    pub struct SeededEntropy(AtomicU64);

    impl SeededEntropy {
        pub fn new(seed: u64) -> Self {
            Self(AtomicU64::new(seed))
        }
    }

    impl Entropy for SeededEntropy {
        fn bytes32(&self) -> [u8; 32] {
            let mut out = [0u8; 32];
            for chunk in out.chunks_mut(8) {
                let mut z =
                    self.0.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed).wrapping_add(0x9E37_79B9_7F4A_7C15);
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                z ^= z >> 31;
                chunk.copy_from_slice(&z.to_be_bytes());
            }
            out
        }
    }
}

#[cfg(feature = "testkit")]
pub use seeded::SeededEntropy;
