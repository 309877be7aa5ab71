//! The Graph client against a mock Graph server.
