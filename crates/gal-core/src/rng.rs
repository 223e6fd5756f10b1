//! The provably fair random stream.
//!
//! The stream of a round is `HMAC-SHA256(key = server_seed, message =
//! "{client_seed}:{nonce}:{block}")` for `block = 0, 1, 2, …`, concatenated. A uniform
//! integer in `[0, n)` takes the next 4 bytes as a big-endian `u32` `x`, accepts it when
//! `x < 2^32 - (2^32 mod n)` and returns `x mod n`; otherwise it discards those 4 bytes
//! and draws again. Nothing else touches the bytes.

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;

const TWO_POW_32: u64 = 1 << 32;

/// The secret half of a seed pair: 32 bytes from the OS CSPRNG.
#[derive(Clone, PartialEq, Eq)]
pub struct ServerSeed([u8; 32]);

impl ServerSeed {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Parses the 64-hex-digit form (as revealed).
    pub fn from_hex(hex_seed: &str) -> Option<Self> {
        let bytes: [u8; 32] = hex::decode(hex_seed).ok()?.try_into().ok()?;
        Some(Self(bytes))
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// `hex(SHA-256(server_seed))`: the commitment shown before any round.
    pub fn hash(&self) -> String {
        hex::encode(Sha256::digest(self.0))
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for ServerSeed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ServerSeed(hash {})", self.hash())
    }
}

/// The player's half of a seed pair: 1–64 printable ASCII characters without `:`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct ClientSeed(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("client_seed must be 1 to 64 printable ASCII characters, without ':'")]
pub struct ClientSeedError;

impl ClientSeed {
    pub fn parse(raw: &str) -> Result<Self, ClientSeedError> {
        let ok = !raw.is_empty() && raw.len() <= 64 && raw.bytes().all(|b| (0x20..0x7f).contains(&b) && b != b':');
        if ok { Ok(Self(raw.to_owned())) } else { Err(ClientSeedError) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One uniform draw a game made: a value in `[0, n)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draw {
    pub n: u64,
    pub value: u64,
}

/// The random stream of one round, recording every draw.
pub struct RandomStream {
    mac: Hmac<Sha256>,
    prefix: String,
    block: u64,
    buf: [u8; 32],
    pos: usize,
    draws: Vec<Draw>,
}

impl RandomStream {
    pub fn new(server_seed: &ServerSeed, client_seed: &ClientSeed, nonce: u64) -> Self {
        // HMAC accepts keys of any length; 32 bytes never fails.
        let mac = <Hmac<Sha256> as Mac>::new_from_slice(server_seed.as_bytes()).unwrap_or_else(|_| unreachable!());
        Self {
            mac,
            prefix: format!("{}:{nonce}:", client_seed.as_str()),
            block: 0,
            buf: [0; 32],
            pos: 32,
            draws: Vec::new(),
        }
    }

    fn next_u32(&mut self) -> u32 {
        if self.pos == 32 {
            let mut mac = self.mac.clone();
            mac.update(self.prefix.as_bytes());
            mac.update(self.block.to_string().as_bytes());
            self.buf.copy_from_slice(&mac.finalize().into_bytes());
            self.block += 1;
            self.pos = 0;
        }
        let x = u32::from_be_bytes([
            self.buf[self.pos],
            self.buf[self.pos + 1],
            self.buf[self.pos + 2],
            self.buf[self.pos + 3],
        ]);
        self.pos += 4;
        x
    }

    /// A uniform integer in `[0, n)`, `1 <= n <= 2^32`, without modulo bias.
    pub fn uniform(&mut self, n: u64) -> u64 {
        assert!((1..=TWO_POW_32).contains(&n), "uniform({n}) out of range");
        let limit = TWO_POW_32 - TWO_POW_32 % n;
        let value = loop {
            let x = u64::from(self.next_u32());
            if x < limit {
                break x % n;
            }
        };
        self.draws.push(Draw { n, value });
        value
    }

    pub fn draws(&self) -> &[Draw] {
        &self.draws
    }

    pub fn into_draws(self) -> Vec<Draw> {
        self.draws
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed() -> ServerSeed {
        ServerSeed::from_bytes(std::array::from_fn(|i| i as u8))
    }

    #[test]
    fn first_block_is_the_hmac_of_the_documented_message() {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(seed().as_bytes()).unwrap();
        mac.update(b"player-seed:7:0");
        let block = mac.finalize().into_bytes();
        let mut s = RandomStream::new(&seed(), &ClientSeed::parse("player-seed").unwrap(), 7);
        let first = u64::from(u32::from_be_bytes([block[0], block[1], block[2], block[3]]));
        assert_eq!(s.uniform(1 << 32), first);
        assert_eq!(s.draws(), &[Draw { n: 1 << 32, value: first }]);
    }

    #[test]
    fn the_stream_continues_into_the_next_block() {
        let cs = ClientSeed::parse("c").unwrap();
        let mut a = RandomStream::new(&seed(), &cs, 0);
        let all: Vec<u64> = (0..20).map(|_| a.uniform(1 << 32)).collect();
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(seed().as_bytes()).unwrap();
        mac.update(b"c:0:2");
        let block2 = mac.finalize().into_bytes();
        assert_eq!(all[16], u64::from(u32::from_be_bytes([block2[0], block2[1], block2[2], block2[3]])));
    }

    #[test]
    fn rejection_sampling_discards_the_biased_tail() {
        // n = 3 * 2^30 + 1: the limit is 2^32 - (2^32 mod n) = n, so any x >= n is discarded.
        let n = 3 * (1u64 << 30) + 1;
        let cs = ClientSeed::parse("c").unwrap();
        let mut raw = RandomStream::new(&seed(), &cs, 1);
        let mut s = RandomStream::new(&seed(), &cs, 1);
        for _ in 0..50 {
            let v = s.uniform(n);
            let expected = loop {
                let x = raw.uniform(1 << 32);
                if x < n {
                    break x;
                }
            };
            assert_eq!(v, expected);
        }
    }

    #[test]
    fn seeds_and_commitments() {
        let s = seed();
        assert_eq!(ServerSeed::from_hex(&s.to_hex()), Some(s.clone()));
        assert_eq!(s.hash(), hex::encode(Sha256::digest(s.as_bytes())));
        assert!(
            ClientSeed::parse("").is_err()
                && ClientSeed::parse("a:b").is_err()
                && ClientSeed::parse(&"x".repeat(65)).is_err()
        );
        assert!(ClientSeed::parse("lucky seed 42").is_ok());
        assert!(!format!("{s:?}").contains(&s.to_hex()));
    }
}
