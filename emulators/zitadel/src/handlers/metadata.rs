//! SetUserMetadata, ListUserMetadata, DeleteUserMetadata (§6).

use axum::Extension;
use axum::extract::{Path, RawQuery, State as AxumState};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{Value, json};

use super::input::{MetadataInput, metadata_pairs};
use super::pagination::Page;
use super::{AppState, ProtoJson, Reply, reply, user_for};
use crate::auth::Caller;
use crate::errors::{ApiError, GrpcCode};
use crate::protojson::enums::TextFilterMethod;
use crate::protojson::{timestamp, uint64};
use crate::state::metadata;
use crate::validation::{self, METADATA_KEY_MAX};

/// `SetUserMetadataRequest`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SetMetadataRequest {
    metadata: Vec<MetadataInput>,
}

/// Merges metadata: matching keys overwritten, empty values delete.
pub async fn set_metadata(
    AxumState(shared): AxumState<AppState>,
    Extension(caller): Extension<Caller>,
    Path(user_id): Path<String>,
    ProtoJson(request): ProtoJson<SetMetadataRequest>,
) -> Reply {
    if request.metadata.is_empty() {
        return Err(ApiError::validation(
            "invalid SetUserMetadataRequest.Metadata: value must contain at least 1 item(s)",
        ));
    }
    let updates = metadata_pairs("Metadata", &request.metadata)?;
    let now = Timestamp::now();
    let mut state = shared.lock();
    let mut user = user_for(&state, &caller, &user_id)?;
    metadata::merge(&mut user.metadata, updates, now);
    state.commit_user(user);
    reply([("setDate", timestamp(now))])
}

/// `ListUserMetadataRequest`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ListMetadataRequest {
    pagination: Page,
    filters: Vec<MetadataFilter>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct MetadataFilter {
    key_filter: Option<KeyFilter>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct KeyFilter {
    key: String,
    method: TextFilterMethod,
}

/// Lists a user's metadata (consistent read), sorted by key.
pub async fn list_metadata(
    AxumState(shared): AxumState<AppState>,
    Extension(caller): Extension<Caller>,
    Path(user_id): Path<String>,
    ProtoJson(request): ProtoJson<ListMetadataRequest>,
) -> Reply {
    let filters = request
        .filters
        .into_iter()
        .map(|filter| {
            filter.key_filter.ok_or_else(|| {
                ApiError::validation("invalid MetadataSearchFilter.Filter: value is required")
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let limit = request.pagination.applied_limit(100)?;
    let user = user_for(&shared.lock(), &caller, &user_id)?;
    let entries: Vec<Value> = user
        .metadata
        .iter()
        .filter(|(key, _)| {
            filters
                .iter()
                .all(|filter| filter.method.as_query_method().matches(key, &filter.key))
        })
        .map(|(key, entry)| {
            json!({
                "creationDate": timestamp(entry.creation_date),
                "changeDate": timestamp(entry.change_date),
                "key": key,
                "value": STANDARD.encode(&entry.value),
            })
        })
        .collect();
    let total = entries.len() as u64;
    reply([
        (
            "pagination",
            json!({"totalResult": uint64(total), "appliedLimit": uint64(limit)}),
        ),
        (
            "metadata",
            Value::Array(request.pagination.slice(entries, limit)),
        ),
    ])
}

/// Deletes the keys named by repeated `keys` query parameters; all must exist.
pub async fn delete_metadata(
    AxumState(shared): AxumState<AppState>,
    Extension(caller): Extension<Caller>,
    Path(user_id): Path<String>,
    RawQuery(query): RawQuery,
) -> Reply {
    let keys: Vec<String> = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .filter(|(name, _)| name == "keys")
        .map(|(_, value)| value.into_owned())
        .collect();
    if keys.is_empty() {
        return Err(ApiError::zitadel(
            GrpcCode::FailedPrecondition,
            "META-9mm2d",
            "Errors.Metadata.NoData",
        ));
    }
    for key in &keys {
        validation::length("DeleteUserMetadataRequest.Keys", key, 1, METADATA_KEY_MAX)?;
    }
    let mut state = shared.lock();
    let mut user = user_for(&state, &caller, &user_id)?;
    if keys.iter().any(|key| !user.metadata.contains_key(key)) {
        return Err(ApiError::zitadel(
            GrpcCode::NotFound,
            "META-2nnds",
            "Errors.Metadata.KeyNotExisting",
        ));
    }
    for key in &keys {
        user.metadata.remove(key);
    }
    state.commit_user(user);
    reply([("deletionDate", timestamp(Timestamp::now()))])
}
