//! The platform's HTTP suite: a real server on a real socket, on SQLite and on PostgreSQL,
//! driven through every Graph endpoint and error path it serves, plus the control API and the
//! console. Every Graph answer is checked against Meta's OpenAPI spec (`conformance`).

mod support;

mod analytics;
mod authz;
mod browser;
mod business;
mod conformance;
mod connections;
mod control;
mod conventions;
mod conversions;
mod embedded_signup;
mod fields;
mod history;
mod insights;
mod numbers;
mod onboarding;
mod sending;
mod solutions;
mod templates;
mod tokens;
mod waba;
mod webhook_payloads;
mod webhooks;
