//! Generated values: IDs, secrets and tokens, and token hashing.

use sha2::{Digest, Sha256};

/// Supplies generated values; the platform implements it (seeded or random).
pub trait Mint {
    /// A fresh Graph object ID.
    fn next_id(&mut self) -> u64;
    /// A new app secret (32 lowercase hex characters).
    fn new_secret(&mut self) -> String;
    /// A new plain access token.
    fn new_token(&mut self) -> String;
}

/// A deterministic [`Mint`] counting up from a start value: for tests and reproducible demos.
///
/// IDs are `start`, `start + 1`, …; secrets and tokens derive from a separate counter, so the
/// same calls in the same order always produce the same values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeqMint {
    next_id: u64,
    next_secret: u64,
}

impl SeqMint {
    /// A mint whose first ID is `start`.
    pub const fn new(start: u64) -> Self {
        Self {
            next_id: start,
            next_secret: 1,
        }
    }

    fn counter(&mut self) -> u64 {
        let n = self.next_secret;
        self.next_secret = self.next_secret.wrapping_add(1);
        n
    }
}

impl Default for SeqMint {
    fn default() -> Self {
        Self::new(100_000_000_000_001)
    }
}

impl Mint for SeqMint {
    fn next_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1);
        id
    }

    fn new_secret(&mut self) -> String {
        let n = self.counter();
        format!("{n:032x}")
    }

    fn new_token(&mut self) -> String {
        let n = self.counter();
        format!("EAAWAMMTEST{n:020}")
    }
}

/// Lowercase hex SHA-256 of a plain token: what `TokenRecord.hash` stores.
pub fn hash_token(plain: &str) -> String {
    hex::encode(Sha256::digest(plain.as_bytes()))
}

/// A template namespace (`8_4_4_4_12` lowercase hex) derived from a minted secret.
/// A new template namespace in Meta's format (`xxxxxxxx_xxxx_xxxx_xxxx_xxxxxxxxxxxx`).
pub fn namespace(mint: &mut dyn Mint) -> String {
    let digest = hex::encode(Sha256::digest(mint.new_secret().as_bytes()));
    let (a, rest) = digest.split_at(8);
    let (b, rest) = rest.split_at(4);
    let (c, rest) = rest.split_at(4);
    let (d, rest) = rest.split_at(4);
    let (e, _) = rest.split_at(12);
    format!("{a}_{b}_{c}_{d}_{e}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_tokens_as_lowercase_hex_sha256() {
        assert_eq!(
            hash_token("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn seq_mint_is_deterministic_and_namespaces_have_the_graph_shape() {
        let mut a = SeqMint::new(7);
        let mut b = SeqMint::new(7);
        assert_eq!(a.next_id(), 7);
        assert_eq!(a.next_id(), 8);
        assert_eq!(a.new_secret().len(), 32);
        assert!(a.new_token().len() >= 16);
        let ns = namespace(&mut b);
        assert_eq!(ns, namespace(&mut SeqMint::new(7)));
        let parts: Vec<usize> = ns.split('_').map(str::len).collect();
        assert_eq!(parts, [8, 4, 4, 4, 12]);
        assert!(
            ns.bytes()
                .all(|c| c == b'_' || c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
        );
    }
}
