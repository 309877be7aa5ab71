//! The partner client crate from the outside: the Graph client against a mock Graph server
//! (error decoding, retries and back-off), and the webhook receiver (handshake, signatures,
//! typed events).

mod graph;
mod receiver;
