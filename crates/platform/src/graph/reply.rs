//! What a Graph handler returns, and how errors become Graph error responses.

use axum::http::StatusCode;
use serde_json::Value;
use wamm_store::StoreError;
use wamm_wire::GraphError;

/// A successful Graph answer.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The JSON body.
    pub body: Value,
    /// The business object the call was about, for `x-business-use-case-usage`.
    pub business_object: Option<String>,
    /// Headers the answer carries beyond Graph's usual ones (Insights' throttle headers).
    pub headers: Vec<(&'static str, String)>,
}

impl Reply {
    /// A reply with a body.
    pub fn json(body: Value) -> Self {
        Self {
            body,
            business_object: None,
            headers: Vec::new(),
        }
    }

    /// Adds a header (it replaces a usual header of the same name).
    #[must_use]
    pub fn header(mut self, name: &'static str, value: String) -> Self {
        self.headers.push((name, value));
        self
    }

    /// Marks the business object the call used.
    #[must_use]
    pub fn about(mut self, object_id: impl std::fmt::Display) -> Self {
        self.business_object = Some(object_id.to_string());
        self
    }

    /// `{"success": true}`.
    pub fn success() -> Self {
        Self::json(serde_json::json!({"success": true}))
    }
}

/// A failed Graph call: either an answer Graph would give, or a failure of ours.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A Graph error the client sees as is.
    #[error("{0}")]
    Graph(#[from] GraphError),
    /// A storage failure: logged once, answered as Graph's unknown error.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<crate::usecase::Error> for ApiError {
    fn from(e: crate::usecase::Error) -> Self {
        match e {
            crate::usecase::Error::Refused(g) => Self::Graph(g),
            crate::usecase::Error::Store(s) => Self::Store(s),
        }
    }
}

impl ApiError {
    /// The Graph error the client sees.
    pub fn to_graph(&self) -> GraphError {
        match self {
            Self::Graph(e) => e.clone(),
            Self::Store(_) => GraphError::unknown(),
        }
    }
}

/// The HTTP status of a Graph error.
pub fn status_of(err: &GraphError) -> StatusCode {
    StatusCode::from_u16(err.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// Result type of Graph handlers.
pub type ApiResult<T = Reply> = Result<T, ApiError>;
