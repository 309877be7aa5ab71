//! The orchestrator from the outside.

mod stage;
