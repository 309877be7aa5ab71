//! Business tokens at rest: sealed with XChaCha20-Poly1305 under a key from configuration, bound
//! to the row they belong to, and never printed.
//!
//! A sealed value reads `v1.<key id>.<base64url(nonce ‖ ciphertext)>`. The key id travels with
//! it, so keys rotate without a flag day: configure a new current key and keep the old ones as
//! previous keys; values sealed under an old key still open, [`Vault::needs_resealing`] finds
//! them, and resealing moves them to the current key. Once none is left, drop the old key.
//!
//! The associated data (the WABA or business the token belongs to) is authenticated with the
//! value: a sealed token copied onto another row does not open there.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

/// The format tag of sealed values.
const VERSION: &str = "v1";
/// Bytes of a key.
const KEY_LEN: usize = 32;
/// Bytes of an `XChaCha20` nonce: random nonces this long never repeat in practice.
const NONCE_LEN: usize = 24;

/// What can go wrong with keys and sealed values. Messages never include key material or
/// plaintext.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VaultError {
    /// A key in configuration is not `<id>:<base64 of 32 bytes>`.
    #[error("a token key must read <id>:<base64 of 32 bytes> ({0})")]
    BadKey(&'static str),
    /// Two configured keys share an id.
    #[error("two token keys share the id {0:?}")]
    DuplicateKeyId(String),
    /// The value was not sealed by this format.
    #[error("not a sealed value")]
    Malformed,
    /// The value names a key that is not configured.
    #[error("the value was sealed under key {0:?}, which is not configured")]
    UnknownKey(String),
    /// The value was altered, or belongs to another row.
    #[error("the sealed value does not open: altered, or sealed for another row")]
    Rejected,
}

/// A configured key.
#[derive(Clone)]
pub struct Key {
    id: String,
    cipher: XChaCha20Poly1305,
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl Key {
    /// Parses `<id>:<base64 of 32 bytes>` (standard or URL-safe alphabet, padded or not). The
    /// id is short text without dots or colons.
    pub fn parse(text: &str) -> Result<Self, VaultError> {
        let (id, material) = text
            .trim()
            .split_once(':')
            .ok_or(VaultError::BadKey("no ':' after the id"))?;
        if id.is_empty()
            || id.len() > 32
            || !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(VaultError::BadKey(
                "the id must be 1 to 32 letters, digits, '-' or '_'",
            ));
        }
        let bytes = decode_any(material).ok_or(VaultError::BadKey("the key is not base64"))?;
        let bytes: [u8; KEY_LEN] = bytes
            .try_into()
            .map_err(|_| VaultError::BadKey("the key must be 32 bytes"))?;
        Ok(Self {
            id: id.to_owned(),
            cipher: XChaCha20Poly1305::new(&bytes.into()),
        })
    }

    /// A new random key with this id, in the form [`Key::parse`] reads (for `keygen`).
    pub fn generate(id: &str) -> Result<(Self, String), VaultError> {
        let mut bytes = [0u8; KEY_LEN];
        getrandom::fill(&mut bytes).map_err(|_| VaultError::BadKey("no randomness"))?;
        let text = format!("{id}:{}", URL_SAFE_NO_PAD.encode(bytes));
        Ok((Self::parse(&text)?, text))
    }

    /// The key's id.
    pub fn id(&self) -> &str {
        &self.id
    }
}

/// Base64 in any of the usual alphabets and paddings.
fn decode_any(text: &str) -> Option<Vec<u8>> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE};
    let text = text.trim();
    [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(text).ok())
}

/// A secret in memory: it prints as `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps `text`.
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// The secret itself, for the one place that needs it (an `Authorization` header).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Seals and opens values under the current key and any previous ones.
#[derive(Debug, Clone)]
pub struct Vault {
    current: Key,
    previous: Vec<Key>,
}

impl Vault {
    /// A vault sealing under `current` and also opening values sealed under `previous`.
    pub fn new(current: Key, previous: Vec<Key>) -> Result<Self, VaultError> {
        let mut seen = vec![current.id.as_str()];
        for key in &previous {
            if seen.contains(&key.id.as_str()) {
                return Err(VaultError::DuplicateKeyId(key.id.clone()));
            }
            seen.push(&key.id);
        }
        Ok(Self { current, previous })
    }

    /// Seals `secret` for the row `bound_to`.
    pub fn seal(&self, secret: &Secret, bound_to: &str) -> Result<String, VaultError> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|_| VaultError::Rejected)?;
        let sealed = self
            .current
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: secret.expose().as_bytes(),
                    aad: bound_to.as_bytes(),
                },
            )
            .map_err(|_| VaultError::Rejected)?;
        let mut body = Vec::with_capacity(NONCE_LEN + sealed.len());
        body.extend_from_slice(&nonce);
        body.extend_from_slice(&sealed);
        Ok(format!(
            "{VERSION}.{}.{}",
            self.current.id,
            URL_SAFE_NO_PAD.encode(body)
        ))
    }

    /// Opens a value sealed for the row `bound_to`.
    pub fn open(&self, sealed: &str, bound_to: &str) -> Result<Secret, VaultError> {
        let (key_id, body) = parts(sealed)?;
        let key = self.key(key_id)?;
        if body.len() <= NONCE_LEN {
            return Err(VaultError::Malformed);
        }
        let (nonce, ciphertext) = body.split_at(NONCE_LEN);
        let plain = key
            .cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: bound_to.as_bytes(),
                },
            )
            .map_err(|_| VaultError::Rejected)?;
        String::from_utf8(plain)
            .map(Secret)
            .map_err(|_| VaultError::Rejected)
    }

    /// Whether `sealed` was sealed under a key other than the current one.
    pub fn needs_resealing(&self, sealed: &str) -> bool {
        parts(sealed).is_ok_and(|(id, _)| id != self.current.id)
    }

    /// Opens `sealed` and seals it again under the current key.
    pub fn reseal(&self, sealed: &str, bound_to: &str) -> Result<String, VaultError> {
        self.seal(&self.open(sealed, bound_to)?, bound_to)
    }

    fn key(&self, id: &str) -> Result<&Key, VaultError> {
        std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|k| k.id == id)
            .ok_or_else(|| VaultError::UnknownKey(id.to_owned()))
    }
}

/// The key id and decoded body of a sealed value.
fn parts(sealed: &str) -> Result<(&str, Vec<u8>), VaultError> {
    let mut it = sealed.splitn(3, '.');
    let (Some(VERSION), Some(id), Some(body)) = (it.next(), it.next(), it.next()) else {
        return Err(VaultError::Malformed);
    };
    let body = URL_SAFE_NO_PAD
        .decode(body)
        .map_err(|_| VaultError::Malformed)?;
    Ok((id, body))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn key(id: &str) -> Key {
        Key::generate(id).expect("key").0
    }

    #[test]
    fn sealed_tokens_open_only_for_their_row() {
        let vault = Vault::new(key("k1"), vec![]).expect("vault");
        let token = Secret::new("EAAG-business-token");
        let sealed = vault.seal(&token, "waba:1").expect("seal");
        assert!(sealed.starts_with("v1.k1."), "{sealed}");
        assert!(!sealed.contains("EAAG"));
        assert_eq!(vault.open(&sealed, "waba:1"), Ok(token.clone()));
        assert_eq!(vault.open(&sealed, "waba:2"), Err(VaultError::Rejected));
        // Two seals of one token differ (random nonces).
        assert_ne!(vault.seal(&token, "waba:1").expect("seal"), sealed);
    }

    #[test]
    fn altered_or_foreign_values_are_refused() {
        let vault = Vault::new(key("k1"), vec![]).expect("vault");
        let sealed = vault.seal(&Secret::new("t"), "r").expect("seal");
        // Flip one bit of the ciphertext (decoded, so the text stays valid base64).
        let (head, body) = sealed.rsplit_once('.').expect("three parts");
        let mut bytes = URL_SAFE_NO_PAD.decode(body).expect("base64");
        bytes[NONCE_LEN] ^= 1;
        let altered = format!("{head}.{}", URL_SAFE_NO_PAD.encode(bytes));
        assert_eq!(vault.open(&altered, "r"), Err(VaultError::Rejected));
        assert_eq!(vault.open("plain", "r"), Err(VaultError::Malformed));
        assert_eq!(vault.open("v1.k1.AAAA", "r"), Err(VaultError::Malformed));
        let other = Vault::new(key("k2"), vec![]).expect("vault");
        assert_eq!(
            other.open(&sealed, "r"),
            Err(VaultError::UnknownKey("k1".into()))
        );
    }

    #[test]
    fn keys_rotate_without_a_flag_day() {
        let old = key("2025");
        let old_vault = Vault::new(old.clone(), vec![]).expect("vault");
        let sealed = old_vault.seal(&Secret::new("t"), "r").expect("seal");
        let vault = Vault::new(key("2026"), vec![old]).expect("vault");
        assert_eq!(vault.open(&sealed, "r"), Ok(Secret::new("t")));
        assert!(vault.needs_resealing(&sealed));
        let moved = vault.reseal(&sealed, "r").expect("reseal");
        assert!(moved.starts_with("v1.2026."));
        assert!(!vault.needs_resealing(&moved));
        assert_eq!(vault.open(&moved, "r"), Ok(Secret::new("t")));
    }

    #[test]
    fn keys_parse_strictly_and_never_print() {
        let (parsed, text) = Key::generate("main").expect("key");
        assert_eq!(Key::parse(&text).expect("parse").id(), "main");
        assert!(!format!("{parsed:?}").contains(text.split_once(':').expect("id").1));
        for bad in ["no-colon", ":AAAA", "a.b:AAAA", "k:not base64!", "k:AAAA"] {
            assert!(
                matches!(Key::parse(bad), Err(VaultError::BadKey(_))),
                "{bad}"
            );
        }
        let standard = format!(
            "k:{}",
            base64::engine::general_purpose::STANDARD.encode([7u8; 32])
        );
        assert!(Key::parse(&standard).is_ok());
        assert_eq!(
            Vault::new(key("a"), vec![key("a")]).err(),
            Some(VaultError::DuplicateKeyId("a".into()))
        );
        assert_eq!(format!("{:?}", Secret::new("EAAG")), "[redacted]");
    }

    proptest! {
        #[test]
        fn any_token_round_trips(token in ".{0,300}", row in "[a-z:0-9]{1,20}") {
            let vault = Vault::new(key("p"), vec![]).expect("vault");
            let sealed = vault.seal(&Secret::new(token.clone()), &row).expect("seal");
            prop_assert_eq!(vault.open(&sealed, &row), Ok(Secret::new(token)));
        }
    }
}
