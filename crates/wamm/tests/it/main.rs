//! End to end: the `wamm` binary and the platform over a real socket, driven by our own
//! typed client exactly as a partner would drive Graph.

mod cli;
mod client;
mod descriptors;
mod funnel;
mod partner;
mod sending;
mod signup;
mod support;
mod webhooks;
