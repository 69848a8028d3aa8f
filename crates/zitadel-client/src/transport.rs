//! One API call: URL, headers, the rate limiter, deadline, the single retry after a 401,
//! decoding, observation.

use std::time::{Duration, Instant};

use jiff::Timestamp;
use reqwest::header::{ACCEPT, CONTENT_TYPE, RETRY_AFTER};
use reqwest::{Method, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::base_url::join_path;
use super::client::{INSTANCE_HOST_HEADER, ZitadelClient};
use super::error::{DecodeFailure, Error};
use super::limiter::Gate;
use super::rpc::Rpc;
use super::{error_body, retry_after};
use crate::sensitive::Sensitive;

/// What to call: the RPC (for errors and metrics), the method and the REST path (contract §13).
pub(crate) struct Endpoint<'a> {
    rpc: Rpc,
    method: Method,
    segments: Vec<&'a str>,
    /// Positions in `segments` that hold caller-supplied ids.
    id_positions: Vec<usize>,
    query: Vec<(&'static str, &'a str)>,
}

impl<'a> Endpoint<'a> {
    /// `/v2/users/<rest…>` where `rest` has no ids, e.g. `["new"]`.
    pub(crate) fn users(rpc: Rpc, method: Method, rest: &[&'a str]) -> Self {
        let mut segments = vec!["v2", "users"];
        segments.extend_from_slice(rest);
        Self {
            rpc,
            method,
            segments,
            id_positions: Vec::new(),
            query: Vec::new(),
        }
    }

    /// `/v2/users/{user_id}/<rest…>`.
    pub(crate) fn user(rpc: Rpc, method: Method, user_id: &'a str, rest: &[&'a str]) -> Self {
        let mut endpoint = Self::users(rpc, method, &[]);
        endpoint.push_id(user_id);
        endpoint.segments.extend_from_slice(rest);
        endpoint
    }

    /// Appends a caller-supplied id segment (e.g. a key id).
    pub(crate) fn id(mut self, id: &'a str) -> Self {
        self.push_id(id);
        self
    }

    /// Appends a query parameter (repeat the name for repeated fields).
    pub(crate) fn query(mut self, name: &'static str, value: &'a str) -> Self {
        self.query.push((name, value));
        self
    }

    fn push_id(&mut self, id: &'a str) {
        self.id_positions.push(self.segments.len());
        self.segments.push(id);
    }

    fn url(&self, base: &Url) -> Result<Url, Error> {
        // `.`/`..` would be dropped by URL normalisation and an empty id would address the
        // collection: either way a different resource than the caller meant.
        let bad_id = self
            .id_positions
            .iter()
            .any(|&i| matches!(self.segments[i], "" | "." | ".."));
        if bad_id {
            return Err(Error::InvalidRequest {
                rpc: self.rpc,
                reason: "an id is empty, \".\" or \"..\"",
            });
        }
        let mut url = join_path(base, &self.segments)?;
        if !self.query.is_empty() {
            url.query_pairs_mut().extend_pairs(&self.query);
        }
        Ok(url)
    }
}

/// The empty JSON object that body-less POST routes take (contract §5).
#[derive(Serialize)]
pub(crate) struct Empty {}

/// The `{}` body.
pub(crate) const EMPTY_BODY: Option<&Empty> = Some(&Empty {});
/// No body at all (DELETE routes: their fields travel in the path or query, contract §6).
pub(crate) const NO_BODY: Option<&Empty> = None;

struct RawResponse {
    status: u16,
    retry_after: Option<Duration>,
    body: Vec<u8>,
}

impl ZitadelClient {
    /// Performs the call and decodes a 2xx body into `R` (an empty body counts as `{}`).
    pub(crate) async fn call<B, R>(
        &self,
        endpoint: Endpoint<'_>,
        body: Option<&B>,
    ) -> Result<R, Error>
    where
        B: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        let rpc = endpoint.rpc;
        let gate = self.gate();
        self.observed(rpc, &gate, async {
            let response = self.exchange(&endpoint, body, &gate).await?;
            let json: &[u8] = if response.body.is_empty() {
                b"{}"
            } else {
                &response.body
            };
            serde_json::from_slice(json).map_err(|e| Error::Decode {
                rpc,
                status: response.status,
                failure: DecodeFailure::from_json(&e),
            })
        })
        .await
    }

    /// Performs the call and ignores the 2xx body (`{details}`-only responses).
    pub(crate) async fn call_unit<B>(
        &self,
        endpoint: Endpoint<'_>,
        body: Option<&B>,
    ) -> Result<(), Error>
    where
        B: Serialize + ?Sized,
    {
        let rpc = endpoint.rpc;
        let gate = self.gate();
        self.observed(rpc, &gate, async {
            self.exchange(&endpoint, body, &gate).await.map(drop)
        })
        .await
    }

    /// What every HTTP request of one call waits on and reports to.
    fn gate(&self) -> Gate<'_> {
        Gate::new(self.limiter.as_ref(), &*self.observer)
    }

    /// Reports the call to the observer, with its time less what it waited for the limiter.
    async fn observed<T>(
        &self,
        rpc: Rpc,
        gate: &Gate<'_>,
        call: impl Future<Output = Result<T, Error>>,
    ) -> Result<T, Error> {
        let started = Instant::now();
        let result = call.await;
        let outcome = match &result {
            Ok(_) => "ok",
            Err(e) => e.kind().as_str(),
        };
        let elapsed = started.elapsed().saturating_sub(gate.waited());
        self.observer.observe(rpc, outcome, elapsed);
        result
    }

    /// Sends the request; after a 401, refreshes the credential and retries once if that
    /// produced a different token. Returns the 2xx response or the decoded error; a throttled
    /// answer also pauses the rate limiter for every caller.
    async fn exchange<B>(
        &self,
        endpoint: &Endpoint<'_>,
        body: Option<&B>,
        gate: &Gate<'_>,
    ) -> Result<RawResponse, Error>
    where
        B: Serialize + ?Sized,
    {
        let rpc = endpoint.rpc;
        let url = endpoint.url(&self.inner.base_url)?;
        let body = body
            .map(serde_json::to_vec)
            .transpose()
            .map_err(|_| Error::InvalidRequest {
                rpc,
                reason: "the request cannot be serialised (an unknown enum value?)",
            })?;
        let auth = &self.inner.auth;
        let token = auth.token(gate).await?;
        let mut response = self
            .send(endpoint, &url, body.as_deref(), &token, gate)
            .await?;
        if response.status == 401
            && let Some(fresh) = auth.replace_rejected(&token, gate).await?
        {
            response = self
                .send(endpoint, &url, body.as_deref(), &fresh, gate)
                .await?;
        }
        if (200..300).contains(&response.status) {
            return Ok(response);
        }
        let error = Error::Api(error_body::decode(
            rpc,
            response.status,
            response.retry_after,
            &response.body,
        ));
        // ZITADEL's limits are per client IP (or per instance, for a quota or a blocked
        // instance), not per object: every other call would hit the same wall.
        if error.is_rate_limited() {
            gate.throttled(rpc, error.retry_after());
        }
        Err(error)
    }

    /// One HTTP exchange under the request deadline (headers and body), after its turn at the
    /// rate limiter: the wait is not part of the deadline, which bounds ZITADEL's answer.
    async fn send(
        &self,
        endpoint: &Endpoint<'_>,
        url: &Url,
        body: Option<&[u8]>,
        token: &Sensitive<String>,
        gate: &Gate<'_>,
    ) -> Result<RawResponse, Error> {
        let rpc = endpoint.rpc;
        // Held until the body is read (or the deadline passes): that is when ZITADEL is done.
        let _in_flight = gate.wait(rpc).await;
        let timeout = self.inner.request_timeout;
        let mut request = self
            .inner
            .http
            .request(endpoint.method.clone(), url.clone())
            .bearer_auth(token.expose())
            .header(ACCEPT, "application/json");
        if let Some(host) = &self.inner.instance_host {
            request = request.header(INSTANCE_HOST_HEADER, host.clone());
        }
        if let Some(body) = body {
            request = request
                .header(CONTENT_TYPE, "application/json")
                .body(body.to_vec());
        }
        let exchange = async {
            let response = request.send().await?;
            let status = response.status().as_u16();
            let retry_after = response
                .headers()
                .get(RETRY_AFTER)
                .and_then(|value| value.to_str().ok())
                .and_then(|value| retry_after::parse(value, Timestamp::now()));
            let body = response.bytes().await?.to_vec();
            Ok(RawResponse {
                status,
                retry_after,
                body,
            })
        };
        match tokio::time::timeout(timeout, exchange).await {
            Err(_elapsed) => Err(Error::Timeout { rpc, timeout }),
            Ok(result) => result.map_err(|source: reqwest::Error| Error::Transport {
                rpc,
                source: strip_query(source),
            }),
        }
    }
}

/// Query strings may carry values (metadata keys); errors keep only the path (ids).
fn strip_query(mut error: reqwest::Error) -> reqwest::Error {
    if let Some(url) = error.url_mut() {
        url.set_query(None);
    }
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("http://127.0.0.1:1/").unwrap()
    }

    #[test]
    fn user_paths_follow_the_contract_table() {
        let endpoint = Endpoint::user(Rpc::RemoveKey, Method::DELETE, "u1", &["keys"]).id("k1");
        assert_eq!(
            endpoint.url(&base()).unwrap().path(),
            "/v2/users/u1/keys/k1"
        );
    }

    #[test]
    fn repeated_query_parameters_are_kept_in_order() {
        let endpoint = Endpoint::user(Rpc::DeleteUserMetadata, Method::DELETE, "u1", &["metadata"])
            .query("keys", "a b")
            .query("keys", "c");
        assert_eq!(
            endpoint.url(&base()).unwrap().as_str(),
            "http://127.0.0.1:1/v2/users/u1/metadata?keys=a+b&keys=c"
        );
    }

    #[test]
    fn empty_and_dot_ids_are_rejected_before_sending() {
        for id in ["", ".", ".."] {
            let endpoint = Endpoint::user(Rpc::GetUserById, Method::GET, id, &[]);
            let err = endpoint.url(&base()).unwrap_err();
            assert!(matches!(err, Error::InvalidRequest { .. }), "{id:?}");
        }
    }

    #[tokio::test]
    async fn transport_errors_keep_the_path_but_not_the_query() {
        let err = reqwest::get("http://127.0.0.1:1/v2/users/u1/metadata?keys=private-key")
            .await
            .unwrap_err();
        let stripped = strip_query(err);
        let shown = format!("{stripped:?} {stripped}");
        assert!(shown.contains("/v2/users/u1/metadata"), "{shown}");
        assert!(!shown.contains("private-key"), "{shown}");
    }
}
