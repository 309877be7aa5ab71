//! End to end: the `wamm` binary and the platform over a real socket, driven by our own
//! typed client exactly as a partner would drive Graph, and by unchanged third-party Graph
//! clients with only their base URL switched.

mod bench;
mod cli;
mod client;
mod descriptors;
mod funnel;
mod metrics;
mod partner;
mod partner_metrics;
mod real_clients;
mod real_clients_js;
mod sending;
mod signup;
mod support;
mod webhooks;
