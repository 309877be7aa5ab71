//! Wiring: open the store, build the router, serve until stopped.

use std::net::SocketAddr;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use wamm_store::StoreError;

use crate::config::PlatformConfig;
use crate::handle::Handle;
use crate::state::AppState;
use crate::{console, control, dashboard, embedded_signup, graph, requests_page, wa_manager};

/// Why the platform could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The database could not be opened or migrated.
    #[error("database: {0}")]
    Store(#[from] StoreError),
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
}

/// The HTTP application: console, control API, and Graph for everything else.
///
/// The console, the pages and the control API sit behind [`crate::site::guard`] (Host,
/// cross-site and CSRF rules); Graph routes authenticate every call with a token instead.
pub fn router(state: AppState) -> Router {
    let guarded = Router::new()
        .route("/", get(console::page))
        .route("/_wamm/console", get(console::page))
        .route("/_wamm/apps/{id}", get(dashboard::page))
        .route(
            "/_wamm/apps/{id}/webhooks",
            axum::routing::post(dashboard::save),
        )
        .route("/_wamm/businesses/{id}/requests", get(requests_page::page))
        .route(
            "/_wamm/businesses/{id}/requests/{request}/accept",
            axum::routing::post(requests_page::accept_form),
        )
        .route(
            "/_wamm/businesses/{id}/requests/{request}/reject",
            axum::routing::post(requests_page::reject_form),
        )
        .route(
            "/_wamm/businesses/{id}/whatsapp-manager",
            get(wa_manager::page),
        )
        .route(
            "/_wamm/businesses/{id}/whatsapp-manager/accept-terms",
            axum::routing::post(wa_manager::accept_terms),
        )
        .route(
            "/_wamm/businesses/{id}/whatsapp-manager/disconnect",
            axum::routing::post(wa_manager::disconnect),
        )
        .route(
            "/_wamm/apps/{id}/mm/{step}",
            axum::routing::post(dashboard::mm_step),
        )
        .route(
            "/_wamm/apps/{id}/mm/review/{permission}/{decision}",
            axum::routing::post(dashboard::review_decision),
        )
        .route("/en_US/sdk.js", get(embedded_signup::sdk_js))
        .route("/sdk.js", get(embedded_signup::sdk_js))
        .route("/dialog/oauth", get(embedded_signup::dialog))
        .route("/{version}/dialog/oauth", get(embedded_signup::dialog))
        .route(
            "/_wamm/embedded-signup",
            axum::routing::post(embedded_signup::step),
        )
        .route(
            "/_wamm/apps/{id}/login-configs",
            axum::routing::post(dashboard::add_login_config),
        )
        .route(
            "/_wamm/apps/{id}/embedded-signup",
            get(embedded_signup::sample),
        )
        .nest("/_wamm", control::router())
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::site::guard,
        ));
    Router::new()
        .merge(guarded)
        .fallback(graph::dispatch)
        .layer(DefaultBodyLimit::max(graph::MAX_BODY_BYTES))
        .layer(middleware::from_fn(log_request))
        .with_state(state)
}

/// Logs each request once, at the boundary. Only the path is logged, never the query string:
/// Graph clients put `access_token` and `appsecret_proof` there.
async fn log_request(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let started = std::time::Instant::now();
    let response = next.run(req).await;
    tracing::debug!(
        http.method = %method,
        http.path = %path,
        http.status = response.status().as_u16(),
        latency_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
        "request"
    );
    response
}

/// A running platform.
#[derive(Debug)]
pub struct Running {
    /// The bound address.
    pub addr: SocketAddr,
    handle: Handle,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
    background: Vec<JoinHandle<()>>,
}

impl Running {
    /// `http://addr`, the base URL Graph clients use.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The handle on this platform: worlds, tokens, the clock.
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Stops serving and waits for in-flight requests to finish.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
        for task in &self.background {
            task.abort();
        }
    }

    /// Waits until the server ends (it does not end on its own: accept errors are waited out).
    pub async fn wait(mut self) -> std::io::Result<()> {
        let result = (&mut self.task).await.map_err(std::io::Error::other);
        for task in &self.background {
            task.abort();
        }
        result
    }
}

/// Whether an address is reachable from other machines (anything but loopback).
fn exposed(addr: SocketAddr) -> bool {
    !addr.ip().to_canonical().is_loopback()
}

/// Opens the store, restores state and starts serving.
pub async fn start(config: PlatformConfig) -> Result<Running, StartError> {
    let store = wamm_store::connect(&config.database_url).await?;
    let state = AppState::new(store, config.clone()).await?;
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|source| StartError::Bind {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| StartError::Bind {
        addr: config.listen,
        source,
    })?;
    let (tx, rx) = oneshot::channel::<()>();
    if exposed(addr) {
        tracing::warn!(
            %addr,
            "listening beyond this machine: the control API under /_wamm/ has no \
             authentication, so anyone who can reach {addr} can replace the world, move the \
             clock and mint tokens"
        );
    }
    let app = router(state.clone());
    let task = tokio::spawn(crate::connections::serve(
        listener,
        app,
        config.connections,
        rx,
    ));
    // Replicas sharing a database follow each other's clock moves and world loads (the rate
    // card is the one world setting a process keeps in memory).
    let follower = state.clone();
    let clock_task = tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_millis(500));
        loop {
            tick.tick().await;
            if let Err(e) = follower.sync_clock().await {
                tracing::warn!(error = %e, "could not read the shared clock");
            }
            if let Err(e) = follower.refresh_rates().await {
                tracing::warn!(error = %e, "could not read the rate card");
            }
        }
    });
    // Work due on the platform clock: reminders to admins, MM API setups completing, message
    // steps.
    let scheduler = state.clone();
    let scheduler_task = tokio::spawn(async move {
        // A send takes its immediate steps itself; later ones wait at most a tick.
        let mut tick = tokio::time::interval(std::time::Duration::from_millis(100));
        loop {
            tick.tick().await;
            crate::usecase::schedule::run_due_work(&scheduler).await;
        }
    });
    let mut background = vec![clock_task, scheduler_task];
    if state.config.webhooks.dispatch {
        background.push(tokio::spawn(crate::webhooks::dispatcher::run(
            state.platform.clone(),
        )));
    }
    tracing::info!(%addr, backend = %state.store.backend(), "wamm platform listening");
    Ok(Running {
        addr,
        handle: Handle::new(state),
        stop: Some(tx),
        task,
        background,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_addresses_are_private() {
        let exposed = |text: &str| exposed(text.parse().expect("address"));
        assert!(!exposed("127.0.0.1:8080"));
        assert!(!exposed("[::1]:8080"));
        assert!(!exposed("[::ffff:127.0.0.1]:8080"));
        assert!(exposed("0.0.0.0:8080"));
        assert!(exposed("[::]:8080"));
        assert!(exposed("192.168.1.10:8080"));
    }
}
