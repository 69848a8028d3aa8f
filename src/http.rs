//! The operator's own HTTP endpoints: `/metrics`, `/healthz` and `/readyz`.

use std::{
    future::Future,
    io,
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
};

use axum::{
    Router,
    extract::State,
    http::{StatusCode, header},
    response::IntoResponse,
    routing::get,
};
use tokio::net::TcpListener;

use crate::metrics::Metrics;

/// Content type of the OpenMetrics text exposition format.
pub const OPENMETRICS_CONTENT_TYPE: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Readiness flag shared between the operator and `/readyz`; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Health {
    ready: Arc<AtomicBool>,
}

impl Health {
    /// A handle that starts not ready.
    pub fn new() -> Self {
        Self::default()
    }

    /// Marks the operator ready (e.g. caches synced) or not (e.g. shutting down).
    pub fn set_ready(&self, ready: bool) {
        self.ready.store(ready, Ordering::Release);
    }

    /// Whether `/readyz` answers 200.
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }
}

/// Why the HTTP server failed.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The listen address could not be bound (in use, no permission, ...).
    #[error("cannot listen on {addr}")]
    Bind {
        /// The requested address.
        addr: SocketAddr,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// The bound socket has no local address (should not happen for TCP).
    #[error("cannot read the local address of the HTTP listener")]
    LocalAddr(#[source] io::Error),
    /// Accepting or serving connections failed.
    #[error("the HTTP server failed")]
    Serve(#[source] io::Error),
}

/// A bound, not yet serving HTTP server.
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
    router: Router,
}

#[derive(Clone)]
struct AppState {
    metrics: Metrics,
    health: Health,
}

/// Binds `addr` (port 0 picks a free port) and returns the actual address with the server.
///
/// # Errors
/// [`HttpError::Bind`] when the address cannot be bound.
pub async fn bind(
    addr: SocketAddr,
    metrics: Metrics,
    health: Health,
) -> Result<(SocketAddr, Server), HttpError> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| HttpError::Bind { addr, source })?;
    let local = listener.local_addr().map_err(HttpError::LocalAddr)?;
    let router = Router::new()
        .route("/metrics", get(metrics_handler))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(AppState { metrics, health });
    Ok((local, Server { listener, router }))
}

/// Binds `addr` and serves until `shutdown` completes.
///
/// # Errors
/// [`HttpError`] when binding or serving fails.
pub async fn serve(
    addr: SocketAddr,
    metrics: Metrics,
    health: Health,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), HttpError> {
    let (_, server) = bind(addr, metrics, health).await?;
    server.serve(shutdown).await
}

impl Server {
    /// Serves requests until `shutdown` completes, then finishes in-flight requests.
    ///
    /// # Errors
    /// [`HttpError::Serve`] when accepting connections fails.
    pub async fn serve(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), HttpError> {
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown)
            .await
            .map_err(HttpError::Serve)
    }
}

async fn metrics_handler(State(state): State<AppState>) -> impl IntoResponse {
    match state.metrics.encode() {
        Ok(text) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, OPENMETRICS_CONTENT_TYPE)],
            text,
        )
            .into_response(),
        Err(error) => {
            // A scrape without half-written samples: Prometheus then marks the target down.
            tracing::error!(%error, "encoding metrics failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "encoding metrics failed").into_response()
        }
    }
}

/// Liveness: answering at all is the signal.
async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    if state.health.is_ready() {
        (StatusCode::OK, "ok")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not ready")
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::{sync::oneshot, task::JoinHandle};

    use super::*;

    const TEST_TIMEOUT: Duration = Duration::from_secs(5);

    /// A server on a free loopback port, stopped when dropped via its shutdown channel.
    struct TestServer {
        base: String,
        client: reqwest::Client,
        health: Health,
        metrics: Metrics,
        stop: Option<oneshot::Sender<()>>,
        task: JoinHandle<Result<(), HttpError>>,
    }

    impl TestServer {
        async fn start() -> Self {
            let metrics = Metrics::new();
            let health = Health::new();
            let (addr, server) = bind(
                "127.0.0.1:0".parse().unwrap(),
                metrics.clone(),
                health.clone(),
            )
            .await
            .unwrap();
            let (stop, stopped) = oneshot::channel::<()>();
            let task = tokio::spawn(server.serve(async {
                let _ = stopped.await;
            }));
            // No proxy: a proxy from the environment must not intercept loopback requests.
            let client = reqwest::Client::builder().no_proxy().build().unwrap();
            Self {
                base: format!("http://{addr}"),
                client,
                health,
                metrics,
                stop: Some(stop),
                task,
            }
        }

        async fn get(&self, path: &str) -> reqwest::Response {
            tokio::time::timeout(
                TEST_TIMEOUT,
                self.client.get(format!("{}{path}", self.base)).send(),
            )
            .await
            .expect("request timed out")
            .unwrap()
        }

        async fn stop(mut self) -> Result<(), HttpError> {
            if let Some(stop) = self.stop.take() {
                let _ = stop.send(());
            }
            tokio::time::timeout(TEST_TIMEOUT, &mut self.task)
                .await
                .expect("server did not stop")
                .unwrap()
        }
    }

    #[tokio::test]
    async fn healthz_answers_ok_while_the_process_runs() {
        let server = TestServer::start().await;
        let response = server.get("/healthz").await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.text().await.unwrap(), "ok");
    }

    #[tokio::test]
    async fn readyz_is_unavailable_until_marked_ready_and_again_after() {
        let server = TestServer::start().await;
        assert_eq!(
            server.get("/readyz").await.status(),
            StatusCode::SERVICE_UNAVAILABLE
        );
        server.health.set_ready(true);
        assert_eq!(server.get("/readyz").await.status(), StatusCode::OK);
        server.health.set_ready(false);
        assert_eq!(
            server.get("/readyz").await.status(),
            StatusCode::SERVICE_UNAVAILABLE
        );
    }

    #[tokio::test]
    async fn metrics_are_served_as_openmetrics_text() {
        let server = TestServer::start().await;
        server.metrics.set_leader(true);
        let response = server.get("/metrics").await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            OPENMETRICS_CONTENT_TYPE
        );
        let body = response.text().await.unwrap();
        assert!(
            body.lines().any(|l| l == "zitadel_user_operator_leader 1"),
            "{body}"
        );
        assert!(body.ends_with("# EOF\n"));
    }

    #[tokio::test]
    async fn unknown_paths_are_not_found() {
        let server = TestServer::start().await;
        assert_eq!(server.get("/nope").await.status(), StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn the_server_stops_when_shutdown_completes() {
        let server = TestServer::start().await;
        let request = server.client.get(format!("{}/healthz", server.base));
        server.stop().await.unwrap();
        assert!(request.send().await.is_err());
    }

    #[tokio::test]
    async fn binding_a_taken_address_names_the_address() {
        let server = TestServer::start().await;
        let taken: SocketAddr = server.base.trim_start_matches("http://").parse().unwrap();
        let error = bind(taken, Metrics::new(), Health::new())
            .await
            .unwrap_err();
        assert!(matches!(error, HttpError::Bind { addr, .. } if addr == taken));
        assert!(error.to_string().contains(&taken.to_string()));
    }
}
