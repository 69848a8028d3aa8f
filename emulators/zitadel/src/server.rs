//! The HTTP server: routes (§13 REST paths), the per-RPC middleware (call counting, latency,
//! instance check, faults, authentication) and a hyper connection loop that can drop a connection after
//! a request was applied (the lost-response fault).

use std::collections::BTreeMap;
use std::future::pending;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{FromRequestParts, Path, Request, State};
use axum::handler::Handler;
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tower::Service;

use crate::auth::{authenticate, instance_matches};
use crate::errors::{ApiError, GrpcCode, instance_not_found};
use crate::faults::FaultAction;
use crate::handlers::{AppState, codes, create, credentials, list, metadata, token, update, users};

/// RPC name of the token endpoint (for faults and call counts).
pub const TOKEN_RPC: &str = "Token";
/// RPC name of CreateUser, which its handler counts for the user it creates.
pub const CREATE_USER_RPC: &str = "CreateUser";

/// Lets a handler ask its connection task to close the TCP connection without answering.
#[derive(Clone, Default)]
struct ConnectionKill(Arc<Notify>);

/// Builds the router: every route is wrapped in [`rpc_middleware`] under its RPC name.
pub fn router(shared: AppState) -> Router {
    let rpc = |name: &'static str| from_fn_with_state((shared.clone(), name), rpc_middleware);
    let user = "/v2/users/{user_id}";
    Router::new()
        .route(
            "/v2/users/new",
            post(create::create_user.layer(rpc(CREATE_USER_RPC))),
        )
        .route("/v2/users", post(list::list_users.layer(rpc("ListUsers"))))
        .route(
            "/v2/users/keys/search",
            post(credentials::list_keys.layer(rpc("ListKeys"))),
        )
        .route(
            "/v2/users/pats/search",
            post(credentials::list_pats.layer(rpc("ListPersonalAccessTokens"))),
        )
        .route(
            user,
            get(users::get_user.layer(rpc("GetUserByID")))
                .patch(update::update_user.layer(rpc("UpdateUser")))
                .delete(users::delete_user.layer(rpc("DeleteUser"))),
        )
        .route(
            &format!("{user}/deactivate"),
            post(users::deactivate_user.layer(rpc("DeactivateUser"))),
        )
        .route(
            &format!("{user}/reactivate"),
            post(users::reactivate_user.layer(rpc("ReactivateUser"))),
        )
        .route(
            &format!("{user}/lock"),
            post(users::lock_user.layer(rpc("LockUser"))),
        )
        .route(
            &format!("{user}/unlock"),
            post(users::unlock_user.layer(rpc("UnlockUser"))),
        )
        .route(
            &format!("{user}/metadata"),
            post(metadata::set_metadata.layer(rpc("SetUserMetadata")))
                .delete(metadata::delete_metadata.layer(rpc("DeleteUserMetadata"))),
        )
        .route(
            &format!("{user}/metadata/search"),
            post(metadata::list_metadata.layer(rpc("ListUserMetadata"))),
        )
        .route(
            &format!("{user}/email/send"),
            post(codes::send_email_code.layer(rpc("SendEmailCode"))),
        )
        .route(
            &format!("{user}/email/resend"),
            post(codes::resend_email_code.layer(rpc("ResendEmailCode"))),
        )
        .route(
            &format!("{user}/phone/resend"),
            post(codes::resend_phone_code.layer(rpc("ResendPhoneCode"))),
        )
        .route(
            &format!("{user}/invite_code"),
            post(codes::create_invite_code.layer(rpc("CreateInviteCode"))),
        )
        .route(
            &format!("{user}/passkeys/registration_link"),
            post(codes::create_passkey_link.layer(rpc("CreatePasskeyRegistrationLink"))),
        )
        .route(
            &format!("{user}/secret"),
            post(credentials::add_secret.layer(rpc("AddSecret")))
                .delete(credentials::remove_secret.layer(rpc("RemoveSecret"))),
        )
        .route(
            &format!("{user}/keys"),
            post(credentials::add_key.layer(rpc("AddKey"))),
        )
        .route(
            &format!("{user}/keys/{{key_id}}"),
            delete(credentials::remove_key.layer(rpc("RemoveKey"))),
        )
        .route(
            &format!("{user}/pats"),
            post(credentials::add_pat.layer(rpc("AddPersonalAccessToken"))),
        )
        .route(
            &format!("{user}/pats/{{token_id}}"),
            delete(credentials::remove_pat.layer(rpc("RemovePersonalAccessToken"))),
        )
        .route("/oauth/v2/token", post(token::token.layer(rpc(TOKEN_RPC))))
        .fallback(|| async { ApiError::routing(GrpcCode::NotFound, "Not Found") })
        // grpc-gateway answers 405 but with gRPC code 12 (Unimplemented, normally HTTP 501) in the body.
        .method_not_allowed_fallback(|| async {
            let body = ApiError::routing(GrpcCode::Unimplemented, "Method Not Allowed").body();
            (StatusCode::METHOD_NOT_ALLOWED, axum::Json(body))
        })
        .with_state(shared)
}

/// Counts an API request as in flight (from its fault delay on) until dropped, also when the
/// client gives up and the handler is cancelled.
struct InFlight(AppState);

impl InFlight {
    fn enter(shared: &AppState) -> Self {
        let mut state = shared.lock();
        state.in_flight += 1;
        state.peak_in_flight = state.peak_in_flight.max(state.in_flight);
        Self(shared.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.lock().in_flight -= 1;
    }
}

/// Runs around every RPC: count (per RPC, and per user when the path names one), wait the
/// configured latency, check the instance, apply a queued fault, authenticate.
async fn rpc_middleware(
    State((shared, rpc)): State<(AppState, &'static str)>,
    request: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = request.into_parts();
    // Routes without a `{user_id}` have no such parameter; routing already matched, so the
    // extraction does not fail for the routes of this router.
    let path_user = Path::<BTreeMap<String, String>>::from_request_parts(&mut parts, &())
        .await
        .ok()
        .and_then(|Path(mut params)| params.remove("user_id"));
    let mut request = Request::from_parts(parts, body);
    let (latency, instance_ok, fault) = {
        let mut state = shared.lock();
        *state.calls.entry(rpc.to_owned()).or_default() += 1;
        if let Some(user_id) = &path_user {
            state.count_user_call(user_id, rpc);
        }
        let instance_ok =
            instance_matches(shared.config.instance_domain.as_deref(), request.headers());
        let fault = instance_ok.then(|| state.faults.take(rpc)).flatten();
        (state.latency, instance_ok, fault)
    };
    let _in_flight = (rpc != TOKEN_RPC).then(|| InFlight::enter(&shared));
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    if !instance_ok {
        return instance_not_found().into_response();
    }
    let mut drop_after_apply = false;
    match fault {
        Some(FaultAction::Fail(code)) => return injected_failure(rpc, code),
        Some(FaultAction::RateLimited(retry_after)) => return rate_limited(retry_after),
        Some(FaultAction::Latency(delay)) => tokio::time::sleep(delay).await,
        Some(FaultAction::Hang) => pending::<()>().await,
        Some(FaultAction::DropAfterApply) => drop_after_apply = true,
        None => {}
    }
    if rpc != TOKEN_RPC {
        match authenticate(&shared.lock(), request.headers()) {
            Ok(caller) => request.extensions_mut().insert(caller),
            Err(error) => return error.into_response(),
        };
    }
    let kill = request.extensions().get::<ConnectionKill>().cloned();
    let response = next.run(request).await;
    match kill {
        Some(ConnectionKill(notify)) if drop_after_apply => {
            // The change is applied; now lose the response: the connection task drops the socket
            // while this handler never finishes.
            notify.notify_one();
            pending().await
        }
        _ => response,
    }
}

fn injected_failure(rpc: &str, code: GrpcCode) -> Response {
    if rpc == TOKEN_RPC {
        let body =
            serde_json::json!({"error": "server_error", "error_description": "injected fault"});
        return (code.http_status(), axum::Json(body)).into_response();
    }
    ApiError::zitadel(code, "EMU-fault1", "Errors.Emulator.InjectedFault").into_response()
}

fn rate_limited(retry_after: Duration) -> Response {
    let seconds = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
    let mut response = ApiError::zitadel(
        GrpcCode::ResourceExhausted,
        "QUOTA-vjAy8",
        "Errors.Quota.Requests.Exhausted",
    )
    .into_response();
    response
        .headers_mut()
        .insert(RETRY_AFTER, HeaderValue::from(seconds));
    response
}

/// Accepts connections until `shutdown` fires (or its sender is dropped); each connection is
/// served by hyper on its own task and closed on shutdown too.
pub async fn serve(listener: TcpListener, router: Router, shutdown: watch::Receiver<()>) {
    let mut stop = shutdown.clone();
    loop {
        let stream = tokio::select! {
            _ = stop.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    tracing::warn!(%error, "accept failed");
                    // Back off briefly so a persistent error (e.g. no file descriptors) cannot spin.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        let kill = ConnectionKill::default();
        let service = hyper::service::service_fn({
            let router = router.clone();
            let kill = kill.clone();
            move |mut request: hyper::Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(kill.clone());
                router.clone().call(request)
            }
        });
        let mut stop_connection = shutdown.clone();
        tokio::spawn(async move {
            let connection = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                biased;
                () = kill.0.notified() => tracing::debug!("connection dropped after apply (injected fault)"),
                _ = stop_connection.changed() => {}
                result = connection => {
                    if let Err(error) = result {
                        tracing::debug!(%error, "connection ended with an error");
                    }
                }
            }
        });
    }
}
