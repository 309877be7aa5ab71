//! `X-Hub-Signature-256`: how Meta signs webhook deliveries.
//!
//! The header value is `sha256=` followed by the lowercase hex HMAC-SHA256 of the raw request
//! body, keyed by the app secret. Receivers must verify over the exact bytes received, before
//! any JSON parsing, and compare in constant time.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The header name Meta uses.
pub const HEADER: &str = "X-Hub-Signature-256";
const PREFIX: &str = "sha256=";

fn mac(app_secret: &str, body: &[u8]) -> Hmac<Sha256> {
    let mut m = Hmac::<Sha256>::new_from_slice(app_secret.as_bytes())
        .expect("invariant: HMAC takes any key length");
    m.update(body);
    m
}

/// The full header value for `body`: `sha256=<hex>`.
pub fn sign(app_secret: &str, body: &[u8]) -> String {
    format!(
        "{PREFIX}{}",
        hex::encode(mac(app_secret, body).finalize().into_bytes())
    )
}

/// Why a signature header was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The header does not start with `sha256=` followed by hex.
    #[error("signature header is not of the form sha256=<hex>")]
    Malformed,
    /// The digest does not match the body.
    #[error("signature does not match the body")]
    Mismatch,
}

/// Verifies a header value against the raw body, in constant time.
pub fn verify(app_secret: &str, body: &[u8], header_value: &str) -> Result<(), SignatureError> {
    let hex_digest = header_value
        .trim()
        .strip_prefix(PREFIX)
        .ok_or(SignatureError::Malformed)?;
    let digest = hex::decode(hex_digest).map_err(|_| SignatureError::Malformed)?;
    mac(app_secret, body)
        .verify_slice(&digest)
        .map_err(|_| SignatureError::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn signs_with_prefix_and_verifies() {
        let body = br#"{"object":"whatsapp_business_account","entry":[]}"#;
        let header = sign("app-secret", body);
        assert!(header.starts_with("sha256="));
        assert_eq!(header.len(), 7 + 64);
        assert_eq!(verify("app-secret", body, &header), Ok(()));
        assert_eq!(
            verify("other", body, &header),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify("app-secret", b"{}", &header),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify("app-secret", body, "sha1=abcd"),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify("app-secret", body, "sha256=xyz"),
            Err(SignatureError::Malformed)
        );
    }

    proptest! {
        #[test]
        fn any_flipped_byte_is_detected(body in proptest::collection::vec(any::<u8>(), 1..256), at in any::<usize>()) {
            let header = sign("k", &body);
            let mut tampered = body;
            let i = at % tampered.len();
            tampered[i] ^= 0x01;
            prop_assert_eq!(verify("k", &tampered, &header), Err(SignatureError::Mismatch));
        }
    }
}
