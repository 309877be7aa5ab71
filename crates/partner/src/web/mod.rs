//! The orchestrator's pages and JSON: the live funnel dashboard, `GET /api/status`, and
//! `POST /api/send`.

mod dashboard;
pub mod send_api;

pub use dashboard::{DashboardState, current, router, system_now};
