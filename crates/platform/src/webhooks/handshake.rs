//! Meta's verification handshake: before a callback is used, Meta sends
//! `GET callback?hub.mode=subscribe&hub.challenge=…&hub.verify_token=…` and the endpoint must
//! answer 200 with the challenge as its whole body.

use super::outbound::{Outbound, OutboundError};

/// Why a callback failed verification.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandshakeError {
    /// The endpoint could not be reached or answered too late.
    #[error("{0}")]
    Unreachable(#[from] OutboundError),
    /// The endpoint answered with a non-200 status.
    #[error("the callback answered HTTP {0}")]
    Status(u16),
    /// The endpoint answered 200 without echoing the challenge.
    #[error(
        "response does not match challenge, expected value=\"{expected}\", received=\"{received}\""
    )]
    Mismatch {
        /// The challenge sent.
        expected: String,
        /// What came back (cut short).
        received: String,
    },
}

fn challenge() -> String {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).expect("invariant: the OS provides randomness");
    (u64::from_le_bytes(bytes) % 10_000_000_000).to_string()
}

/// Runs the handshake against `callback` with `verify_token`.
pub async fn verify(
    outbound: &Outbound,
    callback: &str,
    verify_token: &str,
) -> Result<(), HandshakeError> {
    let challenge = challenge();
    let answer = outbound
        .get(
            callback,
            &[
                ("hub.mode", "subscribe"),
                ("hub.challenge", &challenge),
                ("hub.verify_token", verify_token),
            ],
        )
        .await?;
    if answer.status != 200 {
        return Err(HandshakeError::Status(answer.status));
    }
    let received = String::from_utf8_lossy(&answer.body);
    if received.trim() == challenge {
        Ok(())
    } else {
        Err(HandshakeError::Mismatch {
            expected: challenge,
            received: received.chars().take(100).collect(),
        })
    }
}
