//! The webhook receiver: handshake, signatures, typed events.
