//! The Graph API surface.
//!
//! Every path that is not the console or the control API lands in [`dispatch`]: it strips the
//! version prefix (answering unknown versions as Graph does), parses parameters, authenticates,
//! finds the object the path names and hands over to the node's handler. Every answer, success
//! or error, carries Graph's headers (`facebook-api-version`, `x-fb-trace-id`,
//! `x-fb-request-id`, usage headers).

pub mod access;
pub mod ads;
pub mod analytics;
pub mod assigned;
pub mod auth;
pub mod business;
pub mod business_tokens;
pub mod catalogue;
pub mod clients;
pub mod insights;
pub mod intent;
pub mod lists;
pub mod messages;
pub mod numbers;
pub mod objects;
pub mod phone;
pub mod pixels;
pub mod render;
pub mod reply;
pub mod request;
pub mod routes;
pub mod solutions;
pub mod subscriptions;
pub mod template;
pub mod tokens;
pub mod usage;
pub mod waba;

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, HeaderValue, Method, Uri, header};
use axum::response::{IntoResponse, Response};
use wamm_wire::{GraphError, GraphVersion};

use self::auth::{Caller, authenticate};
use self::objects::Target;
use self::reply::{ApiError, ApiResult, Reply, status_of};
use self::request::{GraphRequest, Params};
use self::routes::{Ctx, Handler, Route};
use crate::config::VersionOutcome;
use crate::mint::Minter;
use crate::state::AppState;

/// Largest request body accepted on Graph routes (Graph's own limit for JSON bodies is far
/// below what any MM API call needs).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Splits the version off the path. Unversioned calls are served at the oldest version, and
/// calls to expired versions are upgraded, as Graph does.
fn split_version(
    state: &AppState,
    segments: &[String],
) -> Result<(GraphVersion, Vec<String>), GraphError> {
    let policy = &state.config.versions;
    let Some(first) = segments.first() else {
        return Ok((policy.oldest(), Vec::new()));
    };
    if !first.starts_with('v') || first.parse::<wamm_wire::ids::ObjectId>().is_ok() {
        return Ok((policy.oldest(), segments.to_vec()));
    }
    match first.parse::<GraphVersion>() {
        Ok(requested) => match policy.resolve(requested) {
            VersionOutcome::Serve(v) | VersionOutcome::Upgrade(v) => {
                Ok((v, segments[1..].to_vec()))
            }
            VersionOutcome::Unknown => Err(GraphError::invalid_parameter(format!(
                "Unknown Graph API version {requested}. The latest available version is {}.",
                policy.newest()
            ))),
        },
        // A word like "vacation" is an object alias, not a version: let the object lookup answer.
        Err(()) if first.contains('.') => Err(GraphError::new(
            400,
            wamm_wire::error::kind::OAUTH,
            wamm_wire::error::code::INVALID_PARAMETER,
            "Invalid version format. Use format like 'v23.0'",
        )),
        Err(()) => Ok((policy.oldest(), segments.to_vec())),
    }
}

fn origin(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}")
}

/// Handles every Graph request.
pub async fn dispatch(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if method == Method::OPTIONS {
        return preflight(&headers);
    }
    let trace = Minter::trace_id();
    let segments: Vec<String> = uri
        .path()
        .split('/')
        .filter(|s| !s.is_empty())
        .map(percent_decode)
        .collect();
    let mut version = state.config.versions.oldest();
    let mut app_usage = None;
    let origin = origin(&headers);
    let outcome: ApiResult = async {
        let (v, path) = split_version(&state, &segments)?;
        version = v;
        let body = body.map_err(|rejection| {
            let status = rejection.status().as_u16();
            GraphError::new(
                status,
                wamm_wire::error::kind::OAUTH,
                100,
                "(#100) The request body could not be read or is too large",
            )
        })?;
        let params = Params::parse(uri.query(), &headers, &body)?;
        let req = GraphRequest {
            method,
            version: v,
            path,
            params,
            headers,
            origin,
            trace: trace.clone(),
        };
        route(&state, &req, &mut app_usage).await
    }
    .await;
    let mut response = respond(&state, outcome, version, &trace, app_usage.as_deref());
    // Graph serves browsers on any origin: the token, not the origin, authorises a call.
    response.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    response
}

/// A CORS preflight, answered as Graph does: any origin, Graph's methods, the headers asked.
fn preflight(headers: &HeaderMap) -> Response {
    let mut response = axum::http::StatusCode::NO_CONTENT.into_response();
    let h = response.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST, DELETE"),
    );
    let asked = headers
        .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
        .cloned()
        .unwrap_or_else(|| HeaderValue::from_static("authorization, content-type"));
    h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, asked);
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("86400"),
    );
    response
}

fn percent_decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    let hex = |b: u8| {
        char::from(b)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
    };
    while i < bytes.len() {
        if let (b'%', Some(hi), Some(lo)) = (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            out.push(hi * 16 + lo);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn route(state: &AppState, req: &GraphRequest, app_usage: &mut Option<String>) -> ApiResult {
    let path: Vec<&str> = req.path.iter().map(String::as_str).collect();
    let table = routes::table();
    // A path on no object: the table names it whole (`me`, `oauth/access_token`).
    let whole = path.join("/");
    let on_root: Vec<&Route> = table
        .iter()
        .filter(|r| r.serves(None, Some(&whole)))
        .collect();
    if !on_root.is_empty() {
        let route = pick(&on_root, req, &whole)?;
        if let Handler::Public(handler) = route.handler {
            return handler(state, req).await;
        }
        let caller = authenticated(state, req, app_usage).await?;
        let ctx = Ctx {
            state,
            req,
            caller: &caller,
        };
        return match route.handler {
            Handler::Root(handler) => handler(ctx).await,
            _ => Err(GraphError::unknown_path(&format!("/{whole}")).into()),
        };
    }
    let caller = authenticated(state, req, app_usage).await?;
    let (id, edge) = match path.as_slice() {
        [] => return Err(GraphError::unsupported_request(req.method_name(), "").into()),
        [id] => (*id, None),
        [id, edge] => (*id, Some(*edge)),
        [_, _, rest @ ..] => {
            return Err(GraphError::unknown_path(&format!("/{}", rest.join("/"))).into());
        }
    };
    let unknown = || GraphError::unsupported_request(req.method_name(), id);
    let object = objects::resolve(state, id).await?.ok_or_else(unknown)?;
    let target = Target::load(state, object).await?.ok_or_else(unknown)?;
    let served: Vec<&Route> = table
        .iter()
        .filter(|r| r.serves(Some(target.kind()), edge))
        .collect();
    if served.is_empty() {
        return Err(match edge {
            Some(edge) => GraphError::unknown_path(&format!("/{edge}")),
            None => unknown(),
        }
        .into());
    }
    let route = pick(&served, req, id)?;
    access::authorize(state, req, &caller, route.access, &target, route.fields).await?;
    let ctx = Ctx {
        state,
        req,
        caller: &caller,
    };
    match (route.handler, &target) {
        (Handler::Business(h), Target::Business(b)) => h(ctx, b).await,
        (Handler::Waba(h), Target::Waba(w)) => h(ctx, w).await,
        (Handler::Phone(h), Target::Phone(p, w)) => h(ctx, p, w).await,
        (Handler::Template(h), Target::Template(t, w)) => h(ctx, t, w).await,
        (Handler::SystemUser(h), Target::SystemUser(u)) => h(ctx, u).await,
        (Handler::App(h), Target::App(a)) => h(ctx, a).await,
        (Handler::Solution(h), Target::Solution(s)) => h(ctx, s).await,
        (Handler::MigrationIntent(h), Target::MigrationIntent(m)) => h(ctx, m).await,
        (
            Handler::AdAccount(h) | Handler::Campaign(h) | Handler::Adset(h) | Handler::Ad(h),
            Target::Ad(a),
        ) => h(ctx, a).await,
        (Handler::ReportRun(h), Target::ReportRun(r, a)) => h(ctx, r, a).await,
        (Handler::Pixel(h), Target::Pixel(p)) => h(ctx, p).await,
        // `serves` matched the node, so the handler fits it.
        _ => Err(unknown().into()),
    }
}

/// The route among `candidates` (one path) that serves the request's method; another method
/// is answered as Graph does, as an unsupported request on the object.
fn pick<'r>(candidates: &[&'r Route], req: &GraphRequest, id: &str) -> ApiResult<&'r Route> {
    candidates
        .iter()
        .copied()
        .find(|r| r.method == req.method)
        .ok_or_else(|| GraphError::unsupported_request(req.method_name(), id).into())
}

/// Authenticates the caller and counts the call against its app.
async fn authenticated(
    state: &AppState,
    req: &GraphRequest,
    app_usage: &mut Option<String>,
) -> ApiResult<Caller> {
    let caller = authenticate(state, req).await?;
    *app_usage = Some(
        state
            .usage
            .app_call(&caller.app.id.to_string(), state.clock.now().millis()),
    );
    Ok(caller)
}

fn respond(
    state: &AppState,
    outcome: ApiResult,
    version: GraphVersion,
    trace: &str,
    app_usage: Option<&str>,
) -> Response {
    let (status, body, business_object, extra) = match outcome {
        Ok(Reply {
            body,
            business_object,
            headers,
        }) => (axum::http::StatusCode::OK, body, business_object, headers),
        Err(err) => {
            if let ApiError::Store(e) = &err {
                tracing::error!(error = %e, fbtrace_id = trace, "storage failure on a Graph call");
            }
            let graph = err.to_graph().with_trace(trace);
            (status_of(&graph), graph.to_json(), None, Vec::new())
        }
    };
    let mut response = graph_response(status, body, trace);
    let h = response.headers_mut();
    let mut put = |name: &'static str, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            h.insert(name, v);
        }
    };
    put("facebook-api-version", &version.to_string());
    if let Some(usage) = app_usage {
        put("x-app-usage", usage);
    }
    if let Some(object) = business_object {
        let value = state.usage.business_call(
            &object,
            "whatsapp_business_management",
            state.clock.now().millis(),
        );
        put("x-business-use-case-usage", &value);
    }
    for (name, value) in &extra {
        put(name, value);
    }
    if status == axum::http::StatusCode::UNAUTHORIZED {
        put(
            "www-authenticate",
            "OAuth \"Facebook Platform\" \"invalid_token\" \"Invalid OAuth access token\"",
        );
    }
    response
}

/// A Graph error answered before any route runs (the request was refused at the connection):
/// Graph's body and headers, without a version, since none was read.
pub fn error_response(err: GraphError) -> Response {
    let trace = Minter::trace_id();
    let graph = err.with_trace(trace.as_str());
    graph_response(status_of(&graph), graph.to_json(), &trace)
}

/// A JSON body with the headers every Graph answer carries.
fn graph_response(
    status: axum::http::StatusCode,
    body: serde_json::Value,
    trace: &str,
) -> Response {
    let mut response = (status, axum::Json(body)).into_response();
    let h = response.headers_mut();
    let mut put = |name: &'static str, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            h.insert(name, v);
        }
    };
    put("content-type", "application/json; charset=UTF-8");
    put("x-fb-trace-id", trace);
    put("x-fb-request-id", &format!("A{}", Minter::trace_id()));
    put("x-fb-rev", "1019544279");
    put(
        "cache-control",
        "private, no-cache, no-store, must-revalidate",
    );
    put("access-control-allow-origin", "*");
    response
}
