//! The HTTP front: routing, request recording, fault injection, query parameters and content
//! negotiation, dispatching to the verbs in [`crate::ops`] and [`crate::delete`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Query, State as AxumState};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use tokio::sync::watch as signal;

use crate::KubeEmulatorConfig;
use crate::delete::DeleteOptions;
use crate::discovery;
use crate::faults::Faults;
use crate::openapi;
use crate::ops::{ListOptions, WriteOptions, parse_yaml_or_json};
use crate::patch::PatchKind;
use crate::requests::RecordedRequest;
use crate::routes::{self, ResourcePath, Route};
use crate::selectors::{FieldSelector, LabelSelector, Selection};
use crate::state::{State, Target};
use crate::status::ApiError;
use crate::table;
use crate::watch::{self, WatchParams};

/// Everything request handlers share.
#[derive(Debug)]
pub struct Shared {
    state: Mutex<State>,
    faults: Mutex<Faults>,
    requests: Mutex<Vec<RecordedRequest>>,
    /// The configuration the emulator was started with.
    pub config: KubeEmulatorConfig,
    shutdown: signal::Receiver<bool>,
    /// `host:port` the server listens on.
    pub server_address: String,
}

/// Lock a mutex even if a panicking thread poisoned it: the data is still consistent because
/// every critical section only calls non-panicking code.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Shared {
    /// New shared state for a server at `server_address`.
    pub fn new(
        config: KubeEmulatorConfig,
        shutdown: signal::Receiver<bool>,
        server_address: String,
    ) -> Self {
        Self {
            state: Mutex::new(State::new(config.history_limit)),
            faults: Mutex::new(Faults::default()),
            requests: Mutex::new(Vec::new()),
            config,
            shutdown,
            server_address,
        }
    }

    /// The cluster state.
    pub fn lock_state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    /// The pending injected failures.
    pub fn lock_faults(&self) -> MutexGuard<'_, Faults> {
        lock(&self.faults)
    }

    /// The request log.
    pub fn lock_requests(&self) -> MutexGuard<'_, Vec<RecordedRequest>> {
        lock(&self.requests)
    }

    /// A receiver that changes when the server shuts down.
    pub fn shutdown_signal(&self) -> signal::Receiver<bool> {
        self.shutdown.clone()
    }
}

/// The axum router serving the whole API.
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new().fallback(handle).with_state(shared)
}

fn json_response(code: StatusCode, value: &Value) -> Response {
    (
        code,
        [(header::CONTENT_TYPE, "application/json")],
        value.to_string(),
    )
        .into_response()
}

fn ok(value: &Value) -> Response {
    json_response(StatusCode::OK, value)
}

type Params = HashMap<String, String>;

fn flag(params: &Params, name: &str) -> bool {
    matches!(params.get(name).map(String::as_str), Some("true" | "1"))
}

fn selection(params: &Params) -> Result<Selection, ApiError> {
    let labels = params
        .get("labelSelector")
        .map(String::as_str)
        .unwrap_or_default();
    let fields = params
        .get("fieldSelector")
        .map(String::as_str)
        .unwrap_or_default();
    Ok(Selection {
        labels: LabelSelector::parse(labels).map_err(|e| ApiError::bad_request(e.to_string()))?,
        fields: FieldSelector::parse(fields).map_err(|e| ApiError::bad_request(e.to_string()))?,
    })
}

fn list_options(params: &Params) -> Result<ListOptions, ApiError> {
    Ok(ListOptions {
        selection: selection(params)?,
        limit: params.get("limit").and_then(|l| l.parse().ok()),
        continue_token: params.get("continue").filter(|c| !c.is_empty()).cloned(),
    })
}

fn write_options(params: &Params, user_agent: &str) -> WriteOptions {
    let given = params.get("fieldManager").filter(|m| !m.is_empty());
    // Without a fieldManager the real server names the manager after the User-Agent's program.
    let derived = user_agent.split('/').next().unwrap_or_default().to_string();
    WriteOptions {
        manager: given.cloned().unwrap_or(derived),
        manager_given: given.is_some(),
        strict: params.get("fieldValidation").map(String::as_str) == Some("Strict"),
        force: flag(params, "force"),
    }
}

/// The RBAC verb of a resource request.
fn rbac_verb(method: &Method, path: &ResourcePath, params: &Params) -> &'static str {
    match (method.as_str(), path.name.is_some()) {
        ("GET", _) if flag(params, "watch") => "watch",
        ("GET", true) => "get",
        ("GET", false) => "list",
        ("POST", _) => "create",
        ("PUT", _) => "update",
        ("PATCH", _) => "patch",
        ("DELETE", true) => "delete",
        ("DELETE", false) => "deletecollection",
        _ => "unknown",
    }
}

async fn handle(
    AxumState(shared): AxumState<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let header_text = |name: header::HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let user_agent = header_text(header::USER_AGENT);
    let accept = header_text(header::ACCEPT);
    let content_type = header_text(header::CONTENT_TYPE);
    let params: Params = Query::try_from_uri(&uri).map(|q| q.0).unwrap_or_default();
    let route = routes::parse(uri.path());
    let mut record = RecordedRequest {
        user_agent: user_agent.clone(),
        verb: "get".into(),
        group: String::new(),
        resource: String::new(),
        subresource: None,
        namespace: None,
        name: None,
        path: uri.path().to_string(),
    };
    if let Route::Resource(path) = &route {
        record.verb = rbac_verb(&method, path, &params).into();
        record.group = path.group.clone();
        record.resource = path.resource.clone();
        record.subresource = path.subresource.clone();
        record.namespace = path.namespace.clone();
        record.name = path.name.clone();
    }
    tracing::debug!(method = %method, path = %uri.path(), verb = %record.verb, "request");
    shared.lock_requests().push(record.clone());
    let result = match route {
        Route::Resource(path) => {
            let request = ResourceRequest {
                shared: &shared,
                method: &method,
                path: &path,
                params: &params,
                verb: &record.verb,
                user_agent: &user_agent,
                accept: &accept,
                content_type: &content_type,
            };
            request.serve(&body)
        }
        other => non_resource(&shared, other, &method),
    };
    result.unwrap_or_else(IntoResponse::into_response)
}

fn non_resource(shared: &Shared, route: Route, method: &Method) -> Result<Response, ApiError> {
    if method != Method::GET {
        return Err(ApiError::method_not_allowed(format!(
            "{method} is not supported here"
        )));
    }
    let state = shared.lock_state();
    let registry = &state.registry;
    let found = match &route {
        Route::Version => Some(discovery::version()),
        Route::CoreVersions => Some(discovery::core_versions(&shared.server_address)),
        Route::Groups => Some(discovery::group_list(registry)),
        Route::Group(group) => discovery::group(registry, group),
        Route::Resources(group, version) => discovery::resource_list(registry, group, version),
        Route::OpenApiV3Root => Some(openapi::v3_root(registry)),
        Route::OpenApiV3(path) => openapi::v3_group_version(registry, path),
        Route::Resource(_) | Route::Unknown => None,
    };
    found
        .map(|value| ok(&value))
        .ok_or_else(|| ApiError::no_route("path not found"))
}

/// One request on a resource URL.
struct ResourceRequest<'a> {
    shared: &'a Arc<Shared>,
    method: &'a Method,
    path: &'a ResourcePath,
    params: &'a Params,
    verb: &'a str,
    user_agent: &'a str,
    accept: &'a str,
    content_type: &'a str,
}

impl ResourceRequest<'_> {
    fn target(&self, state: &State) -> Result<Target, ApiError> {
        let p = self.path;
        let rt = state
            .registry
            .lookup(&p.group, &p.version, &p.resource)
            .ok_or_else(|| {
                ApiError::no_route(&format!("{} in {}/{}", p.resource, p.group, p.version))
            })?;
        if !rt.namespaced && p.namespace.is_some() {
            return Err(ApiError::no_route(&format!(
                "{} is not namespaced",
                p.resource
            )));
        }
        if rt.namespaced && p.namespace.is_none() && p.name.is_some() {
            return Err(ApiError::no_route(&format!("{} is namespaced", p.resource)));
        }
        Ok(Target {
            rt,
            version: p.version.clone(),
            namespace: p.namespace.clone(),
            name: p.name.clone(),
            subresource: p.subresource.clone(),
        })
    }

    fn injected_fault(&self) -> Option<u16> {
        self.shared.lock_faults().take(
            self.verb,
            &self.path.resource,
            self.path.subresource.as_deref(),
        )
    }

    fn serve(&self, body: &Bytes) -> Result<Response, ApiError> {
        if let Some(code) = self.injected_fault() {
            let p = self.path;
            let error = ApiError::injected(
                code,
                &p.group,
                &p.resource,
                p.name.as_deref().unwrap_or_default(),
            );
            if self.verb == "watch" && code == 410 {
                // A real server reports an expired watch inside the stream.
                let line = format!(
                    "{}\n",
                    serde_json::json!({"type": "ERROR", "object": error.to_status()})
                );
                return Ok(Response::new(Body::from(line)));
            }
            return Err(error);
        }
        if self.verb == "watch" {
            return self.watch();
        }
        if self.content_type.contains("protobuf") || self.content_type.contains("cbor") {
            return Err(ApiError::unsupported_media_type(self.content_type));
        }
        let mut state = self.shared.lock_state();
        let t = self.target(&state)?;
        let name = self.path.name.as_deref().unwrap_or_default();
        let options = write_options(self.params, self.user_agent);
        match *self.method {
            Method::GET if self.path.name.is_some() => {
                State::check_subresource(&t)?;
                let object = state.get(&t, name)?;
                Ok(ok(&self.shape(&t, vec![object], None, true)))
            }
            Method::GET => {
                let list = state.list(&t, &list_options(self.params)?)?;
                let rv = list["metadata"]["resourceVersion"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                let items = list["items"].as_array().cloned().unwrap_or_default();
                if table::wants_table(self.accept) || table::wants_metadata(self.accept) {
                    return Ok(ok(&self.shape(&t, items, Some(&rv), false)));
                }
                Ok(ok(&list))
            }
            Method::POST => {
                let object = state.create(&t, parse_yaml_or_json(body)?, &options)?;
                Ok(json_response(StatusCode::CREATED, &object))
            }
            Method::PUT => Ok(ok(&state.update(
                &t,
                name,
                parse_yaml_or_json(body)?,
                &options,
            )?)),
            Method::PATCH => {
                let kind = PatchKind::from_content_type(self.content_type)
                    .ok_or_else(|| ApiError::unsupported_media_type(self.content_type))?;
                let existed = state.store.get(&t.key(name)).is_some();
                let object = state.patch(&t, name, kind, body, &options)?;
                // Server-side apply that creates answers 201 like the real server.
                let code = if existed {
                    StatusCode::OK
                } else {
                    StatusCode::CREATED
                };
                Ok(json_response(code, &object))
            }
            Method::DELETE => {
                let delete = DeleteOptions::parse(
                    body,
                    self.params.get("propagationPolicy").map(String::as_str),
                )?;
                if self.path.name.is_some() {
                    Ok(ok(&state.delete(&t, name, &delete)?))
                } else {
                    Ok(ok(&state.delete_collection(
                        &t,
                        &list_options(self.params)?,
                        &delete,
                    )?))
                }
            }
            _ => Err(ApiError::method_not_allowed(format!(
                "{} is not supported",
                self.method
            ))),
        }
    }

    /// Answer objects as the client asked: a Table, PartialObjectMetadata, or as they are.
    fn shape(&self, t: &Target, objects: Vec<Value>, rv: Option<&str>, single: bool) -> Value {
        if table::wants_table(self.accept) {
            let rv = rv.unwrap_or_default();
            return table::table(
                t,
                &objects,
                rv,
                self.params.get("includeObject").map(String::as_str),
            );
        }
        if table::wants_metadata(self.accept) {
            let partial: Vec<Value> = objects.iter().map(table::partial_metadata).collect();
            if single {
                return partial.into_iter().next().unwrap_or(Value::Null);
            }
            return serde_json::json!({
                "kind": "PartialObjectMetadataList",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": {"resourceVersion": rv.unwrap_or_default()},
                "items": partial,
            });
        }
        objects.into_iter().next().unwrap_or(Value::Null)
    }

    fn watch(&self) -> Result<Response, ApiError> {
        let t = self.target(&self.shared.lock_state())?;
        let mut t = t;
        if let Some(name) = t.name.take() {
            // Watching one object is a watch with a name field selector.
            let mut selection = selection(self.params)?;
            selection.fields = FieldSelector::parse(&format!("metadata.name={name}"))
                .map_err(|e| ApiError::bad_request(e.to_string()))?;
            return self.start_watch(t, selection);
        }
        self.start_watch(t, selection(self.params)?)
    }

    fn start_watch(&self, t: Target, selection: Selection) -> Result<Response, ApiError> {
        let params = WatchParams {
            resource_version: self.params.get("resourceVersion").cloned(),
            selection,
            timeout: self
                .params
                .get("timeoutSeconds")
                .and_then(|s| s.parse::<u64>().ok())
                .filter(|s| *s > 0)
                .map(Duration::from_secs),
            bookmarks: flag(self.params, "allowWatchBookmarks"),
            send_initial_events: flag(self.params, "sendInitialEvents"),
            table: table::wants_table(self.accept)
                .then(|| self.params.get("includeObject").cloned()),
        };
        let body = watch::start(Arc::clone(self.shared), t, params)?;
        Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
    }
}
