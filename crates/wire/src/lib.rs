//! The Graph API wire contract, as Meta speaks it.
//!
//! Everything here is pure: types and functions that both the platform and the partner toolkit
//! need to agree on byte for byte (error objects, object IDs, `fields=` selections, cursor
//! paging, `filtering=` clauses, `appsecret_proof`, `X-Hub-Signature-256`, the ASCII-only
//! JSON that signed webhook bodies are written in, and the webhook payloads themselves).
//! Nothing in this crate does I/O, so it can be tested exhaustively with unit and property
//! tests.

pub mod error;
pub mod fields;
pub mod filtering;
pub mod ids;
pub mod json;
pub mod paging;
pub mod proof;
pub mod signature;
pub mod version;
pub mod webhooks;

pub use error::{ErrorData, GraphError, GraphErrorBody};
pub use fields::{FieldSelection, FieldsError};
pub use filtering::{Filter, FilterError, FilterOperator};
pub use ids::{IdParseError, ObjectId};
pub use paging::{Cursor, CursorError, Page, PageRequest, Paging, PagingCursors};
pub use version::GraphVersion;
