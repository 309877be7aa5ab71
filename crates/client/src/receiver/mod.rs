//! The partner's webhook receiver: Meta's verification handshake, `X-Hub-Signature-256`
//! checked in constant time against the raw body, and Meta's envelope parsed into typed
//! events, leniently.
