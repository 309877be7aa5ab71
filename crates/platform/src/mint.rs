//! Generated values: Graph object IDs, access tokens, app secrets, trace IDs.
//!
//! IDs come from a counter kept in the store (so several replicas never collide) mapped through
//! a seed-derived bijection onto 15-digit numbers, which look like Meta's and never repeat.
//! Tokens and secrets are random, or derived from the seed when one is given so that a run can
//! be reproduced exactly.

use std::sync::Arc;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use wamm_domain::{Timestamp, TokenKind, TokenRecord};
use wamm_store::{Store, StoreError};
use wamm_wire::ids::AppId;

const ID_BASE: u64 = 100_000_000_000_000;
const ID_SPACE: u64 = 900_000_000_000_000;
const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// Letters and digits for `bytes`, one character per byte: the shape of Graph's tokens and IDs.
pub(crate) fn base62(bytes: impl IntoIterator<Item = u8>) -> String {
    bytes
        .into_iter()
        .map(|b| char::from(ALPHABET[usize::from(b) % ALPHABET.len()]))
        .collect()
}

/// A new message ID in Meta's shape: `wamid.` and an opaque base64-like body.
pub fn wamid(mint: &mut impl wamm_world::Mint, to: &str) -> String {
    let token = mint.new_token();
    format!("wamid.HBgL{to}FQIAERgS{}", &token[4..36])
}

/// Counters reserved from the store at a time: most blocks are then served from memory, so
/// a send does not write to the database just to number itself.
const RESERVE_CHUNK: i64 = 1024;

/// Where generated values come from.
#[derive(Clone)]
pub struct Minter {
    store: Arc<dyn Store>,
    keys: Keys,
    /// Reserved counters not handed out yet: `next..end`.
    pool: Arc<tokio::sync::Mutex<(i64, i64)>>,
}

impl std::fmt::Debug for Minter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Minter")
            .field("seeded", &self.keys.seeded)
            .finish_non_exhaustive()
    }
}

/// The pure part of the minter: the seed-derived key and the ID permutation.
#[derive(Clone)]
struct Keys {
    key: [u8; 32],
    seeded: bool,
    mul: u64,
    add: u64,
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

impl Minter {
    /// A minter over `store`; `seed` makes every value reproducible.
    pub fn new(store: Arc<dyn Store>, seed: Option<u64>) -> Self {
        Self {
            store,
            keys: Keys::new(seed),
            pool: Arc::new(tokio::sync::Mutex::new((0, 0))),
        }
    }

    /// Hands out a block of `n` values and returns a synchronous minter over it. Counters come
    /// from a chunk this process reserved in the store (replicas reserve disjoint chunks; what
    /// a stopped process had not handed out is simply never used).
    pub async fn block(&self, n: usize) -> Result<Block, StoreError> {
        let n = i64::try_from(n.max(1)).unwrap_or(i64::MAX);
        let mut pool = self.pool.lock().await;
        if pool.1 - pool.0 < n {
            let size = n.max(RESERVE_CHUNK);
            let start = self.store.reserve("mint_counter", size).await?;
            *pool = (start, start.saturating_add(size));
        }
        let start = pool.0;
        pool.0 += n;
        Ok(Block {
            keys: self.keys.clone(),
            next: start,
            end: start.saturating_add(n),
        })
    }

    /// A random trace ID like Graph's `fbtrace_id` (never seeded: it is per request).
    pub fn trace_id() -> String {
        let mut bytes = [0u8; 11];
        getrandom::fill(&mut bytes).expect("invariant: the OS provides randomness");
        base62(bytes)
    }
}

impl Keys {
    fn new(seed: Option<u64>) -> Self {
        let key: [u8; 32] = match seed {
            Some(seed) => Sha256::digest(format!("wamm-seed:{seed}")).into(),
            None => {
                let mut bytes = [0u8; 32];
                // Without OS randomness there is nothing safe to fall back to for tokens.
                getrandom::fill(&mut bytes).expect("invariant: the OS provides randomness");
                bytes
            }
        };
        let word = |i: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&key[i..i + 8]);
            u64::from_le_bytes(b)
        };
        let mut mul = word(0) % ID_SPACE;
        // A multiplier coprime with the space makes `counter -> id` a bijection.
        while mul < 2 || gcd(mul, ID_SPACE) != 1 {
            mul = (mul + 1) % ID_SPACE;
        }
        Self {
            key,
            seeded: seed.is_some(),
            mul,
            add: word(8) % ID_SPACE,
        }
    }

    fn id_for(&self, counter: i64) -> u64 {
        let c = u64::try_from(counter).unwrap_or(0) % ID_SPACE;
        let mixed =
            (u128::from(c) * u128::from(self.mul) + u128::from(self.add)) % u128::from(ID_SPACE);
        ID_BASE + u64::try_from(mixed).unwrap_or(0)
    }

    fn bytes_for(&self, label: &str, counter: i64, len: usize) -> Vec<u8> {
        if !self.seeded {
            let mut out = vec![0u8; len];
            getrandom::fill(&mut out).expect("invariant: the OS provides randomness");
            return out;
        }
        let mut out = Vec::with_capacity(len);
        let mut round = 0u32;
        while out.len() < len {
            let mut mac =
                Hmac::<Sha256>::new_from_slice(&self.key).expect("invariant: any key length");
            mac.update(format!("{label}:{counter}:{round}").as_bytes());
            out.extend_from_slice(&mac.finalize().into_bytes());
            round += 1;
        }
        out.truncate(len);
        out
    }

    fn text(&self, label: &str, counter: i64, len: usize) -> String {
        base62(self.bytes_for(label, counter, len))
    }
}

/// The stored record of a newly issued plain token: its hash and last four characters, never
/// the token itself.
pub fn token_record(plain: &str, kind: TokenKind, app: AppId, now: Timestamp) -> TokenRecord {
    let hint = plain
        .get(plain.len().saturating_sub(4)..)
        .unwrap_or_default()
        .to_owned();
    TokenRecord::new(wamm_world::hash_token(plain), hint, kind, app, now)
}

/// A reserved block of counter values, handing out IDs, secrets and tokens synchronously.
pub struct Block {
    keys: Keys,
    next: i64,
    end: i64,
}

impl Block {
    fn take(&mut self) -> i64 {
        // Callers size blocks from what they will mint; running past the end would reuse a
        // counter another block owns, so it is logged loudly.
        let c = self.next;
        self.next += 1;
        if c >= self.end {
            tracing::warn!(counter = c, "mint block exhausted; reserve larger blocks");
        }
        c
    }
}

impl wamm_world::Mint for Block {
    fn next_id(&mut self) -> u64 {
        let c = self.take();
        self.keys.id_for(c)
    }

    fn new_secret(&mut self) -> String {
        let c = self.take();
        hex::encode(self.keys.bytes_for("secret", c, 16))
    }

    fn new_token(&mut self) -> String {
        let c = self.take();
        format!("EAAW{}", self.keys.text("token", c, 120))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_fifteen_digits_distinct_and_seeded() {
        let k = Keys::new(Some(7));
        let ids: std::collections::HashSet<u64> = (0..10_000).map(|c| k.id_for(c)).collect();
        assert_eq!(ids.len(), 10_000);
        assert!(ids.iter().all(|id| id.to_string().len() == 15));
        let again = Keys::new(Some(7));
        assert_eq!(k.id_for(42), again.id_for(42));
        assert_ne!(k.id_for(42), Keys::new(Some(8)).id_for(42));
        assert_eq!(k.text("token", 3, 20), again.text("token", 3, 20));
        let unseeded = Keys::new(None);
        assert_ne!(
            unseeded.text("token", 3, 20),
            Keys::new(None).text("token", 3, 20)
        );
    }
}
