//! `appsecret_proof`: the lowercase hex HMAC-SHA256 of an access token, keyed by the app secret.
//!
//! Graph accepts the proof beside `access_token` and, when an app turns on "Require App
//! Secret", refuses server calls without it. Verification compares in constant time.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

fn mac(app_secret: &str) -> HmacSha256 {
    // HMAC accepts keys of any length, so this cannot fail.
    HmacSha256::new_from_slice(app_secret.as_bytes()).expect("invariant: HMAC takes any key length")
}

/// Computes `appsecret_proof` for `access_token` under `app_secret`.
pub fn appsecret_proof(app_secret: &str, access_token: &str) -> String {
    let mut m = mac(app_secret);
    m.update(access_token.as_bytes());
    hex::encode(m.finalize().into_bytes())
}

/// Checks a presented proof in constant time. Upper-case hex is accepted, as Graph does.
pub fn verify_appsecret_proof(app_secret: &str, access_token: &str, presented: &str) -> bool {
    let Ok(bytes) = hex::decode(presented.trim()) else {
        return false;
    };
    let mut m = mac(app_secret);
    m.update(access_token.as_bytes());
    m.verify_slice(&bytes).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn matches_a_known_vector() {
        // HMAC-SHA256(key="key", msg="The quick brown fox jumps over the lazy dog"), RFC-style vector.
        assert_eq!(
            appsecret_proof("key", "The quick brown fox jumps over the lazy dog"),
            "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
        );
    }

    #[test]
    fn rejects_wrong_or_malformed_proofs() {
        let good = appsecret_proof("s3cret", "EAAtoken");
        assert!(verify_appsecret_proof("s3cret", "EAAtoken", &good));
        assert!(verify_appsecret_proof(
            "s3cret",
            "EAAtoken",
            &good.to_uppercase()
        ));
        assert!(!verify_appsecret_proof("other", "EAAtoken", &good));
        assert!(!verify_appsecret_proof("s3cret", "EAAtoken2", &good));
        assert!(!verify_appsecret_proof("s3cret", "EAAtoken", "zz"));
        assert!(!verify_appsecret_proof("s3cret", "EAAtoken", &good[..10]));
    }

    proptest! {
        #[test]
        fn every_computed_proof_verifies(secret in ".{0,40}", token in ".{0,80}") {
            let proof = appsecret_proof(&secret, &token);
            prop_assert_eq!(proof.len(), 64);
            prop_assert!(verify_appsecret_proof(&secret, &token, &proof));
        }
    }
}
