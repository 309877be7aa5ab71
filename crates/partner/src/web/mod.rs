//! The orchestrator's pages and JSON: the live funnel dashboard, `GET /api/status`,
//! `POST /api/send`, and the partner's Embedded Signup page (`/signup`).

mod charts;
mod dashboard;
pub mod send_api;
pub mod signup_page;

pub use dashboard::{DashboardState, current, router, system_now};
