//! The orchestrator's pages and JSON: the live funnel dashboard and `GET /api/status`.

mod dashboard;

pub use dashboard::{DashboardState, current, router, system_now};
