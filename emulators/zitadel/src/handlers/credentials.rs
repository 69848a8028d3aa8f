//! Machine credentials (§8): client secret, keys, personal access tokens.

use axum::Extension;
use axum::extract::{Path, State as AxumState};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{Value, json};

use super::pagination::Page;
use super::{AppState, ProtoJson, Reply, reply, user_for};
use crate::auth::Caller;
use crate::errors::{ApiError, GrpcCode, not_machine};
use crate::keys::{self, KeyError};
use crate::protojson::{de, timestamp, uint64};
use crate::random;
use crate::state::State;
use crate::state::credentials::KeyRecord;
use crate::state::users::{EmulatedUser, UserKind};
use crate::validation::required;

/// A copy of a machine user the caller may write (humans: FailedPrecondition).
fn machine_in(state: &State, caller: &Caller, user_id: &str) -> Result<EmulatedUser, ApiError> {
    let user = user_for(state, caller, user_id)?;
    match user.kind {
        UserKind::Machine(_) => Ok(user),
        UserKind::Human(_) => Err(not_machine()),
    }
}

/// Sets (`Some`) or removes (`None`) the client secret under one lock.
fn set_secret(
    shared: &AppState,
    caller: &Caller,
    user_id: &str,
    secret: Option<&str>,
) -> Result<Timestamp, ApiError> {
    let mut state = shared.lock();
    let mut user = machine_in(&state, caller, user_id)?;
    if let UserKind::Machine(machine) = &mut user.kind {
        if secret.is_none() && !machine.has_secret {
            return Err(ApiError::zitadel(
                GrpcCode::NotFound,
                "COMMAND-x8910n",
                "Errors.User.Machine.Secret.NotExisting",
            ));
        }
        machine.has_secret = secret.is_some();
    }
    match secret {
        Some(secret) => state.credentials.set_secret(user_id, secret),
        None => state.credentials.remove_secret(user_id),
    }
    Ok(state.commit_user(user).change_date)
}

/// AddSecret: replaces any secret (the old one stops working for the client-credentials grant);
/// the secret is returned once and only its digest is kept.
pub async fn add_secret(
    AxumState(shared): AxumState<AppState>,
    Extension(caller): Extension<Caller>,
    Path(user_id): Path<String>,
) -> Reply {
    let secret = random::secret(64);
    let created = set_secret(&shared, &caller, &user_id, Some(&secret))?;
    reply([
        ("creationDate", timestamp(created)),
        ("clientSecret", json!(secret)),
    ])
}

/// RemoveSecret: NotFound when there is none.
pub async fn remove_secret(
    AxumState(shared): AxumState<AppState>,
    Extension(caller): Extension<Caller>,
    Path(user_id): Path<String>,
) -> Reply {
    let removed = set_secret(&shared, &caller, &user_id, None)?;
    reply([("deletionDate", timestamp(removed))])
}

/// `AddKeyRequest` / `AddPersonalAccessTokenRequest`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AddCredentialRequest {
    #[serde(deserialize_with = "de::optional_timestamp")]
    expiration_date: Option<Timestamp>,
    #[serde(deserialize_with = "de::optional_bytes")]
    public_key: Option<Vec<u8>>,
}

fn expiration(message: &str, requested: Option<Timestamp>) -> Result<Timestamp, ApiError> {
    let expiration = required(&format!("{message}.ExpirationDate"), requested)?;
    if expiration <= Timestamp::now() {
        return Err(ApiError::zitadel(
            GrpcCode::InvalidArgument,
            "DOMAIN-dv3t5",
            "Errors.User.Machine.ExpireBeforeNow",
        ));
    }
    Ok(microseconds(expiration))
}

/// ZITADEL stores expiration dates in Postgres `timestamptz` columns, which hold microseconds;
/// pgx encodes a Go time by truncating the nanoseconds, so what ListKeys / ListPersonalAccessTokens
/// read back (and what the expiry checks compare) is the truncated value.
pub(crate) fn microseconds(at: Timestamp) -> Timestamp {
    let nanos = at.as_nanosecond();
    Timestamp::from_nanosecond(nanos - nanos.rem_euclid(1_000)).unwrap_or(at)
}

fn key_error(error: KeyError) -> ApiError {
    match error {
        KeyError::UnreadablePublicKey => ApiError::zitadel(
            GrpcCode::InvalidArgument,
            "COMMAND-p1bh4",
            "Errors.User.Machine.Key.Invalid",
        ),
        other => {
            tracing::error!(error = %other, "machine key generation failed");
            ApiError::zitadel(GrpcCode::Internal, "KEY-gen8r", "Errors.Internal")
        }
    }
}

/// AddKey: generates a key pair (keyContent = base64 key file) or registers the supplied public key
/// (keyContent empty).
pub async fn add_key(
    AxumState(shared): AxumState<AppState>,
    Extension(caller): Extension<Caller>,
    Path(user_id): Path<String>,
    ProtoJson(request): ProtoJson<AddCredentialRequest>,
) -> Reply {
    let expiration_date = expiration("AddKeyRequest", request.expiration_date)?;
    let user = machine_in(&shared.lock(), &caller, &user_id)?;
    let key_id = random::numeric_id();
    let (public_pem, key_content) = match request.public_key.filter(|key| !key.is_empty()) {
        Some(supplied) => (
            keys::supplied_public_key(&supplied).map_err(key_error)?,
            String::new(),
        ),
        None => {
            let generated = tokio::task::spawn_blocking(keys::generate)
                .await
                .map_err(|_| ApiError::zitadel(GrpcCode::Internal, "KEY-gen8r", "Errors.Internal"))?
                .map_err(key_error)?;
            let file = keys::key_file(&key_id, &generated.private_pem, expiration_date, &user_id);
            (generated.public_pem, STANDARD.encode(file))
        }
    };
    let now = Timestamp::now();
    let mut state = shared.lock();
    state.user(&user_id)?;
    state.credentials.keys.insert(
        key_id.clone(),
        KeyRecord {
            id: key_id.clone(),
            user_id,
            organization_id: user.organization_id,
            public_key_pem: public_pem,
            creation_date: now,
            expiration_date,
        },
    );
    state.next_sequence();
    reply([
        ("creationDate", timestamp(now)),
        ("keyId", json!(key_id)),
        ("keyContent", json!(key_content)),
    ])
}

/// RemoveKey: the key stops working for the token endpoint at once.
pub async fn remove_key(
    AxumState(shared): AxumState<AppState>,
    Extension(caller): Extension<Caller>,
    Path((user_id, key_id)): Path<(String, String)>,
) -> Reply {
    let mut state = shared.lock();
    machine_in(&state, &caller, &user_id)?;
    if state
        .credentials
        .keys
        .get(&key_id)
        .is_none_or(|key| key.user_id != user_id)
    {
        return Err(ApiError::zitadel(
            GrpcCode::NotFound,
            "COMMAND-4m77G",
            "Errors.User.Machine.Key.NotFound",
        ));
    }
    state.credentials.keys.remove(&key_id);
    state.next_sequence();
    reply([("deletionDate", timestamp(Timestamp::now()))])
}

/// AddPersonalAccessToken: the token is returned once; it authenticates as the machine user.
pub async fn add_pat(
    AxumState(shared): AxumState<AppState>,
    Extension(caller): Extension<Caller>,
    Path(user_id): Path<String>,
    ProtoJson(request): ProtoJson<AddCredentialRequest>,
) -> Reply {
    let expiration_date = expiration("AddPersonalAccessTokenRequest", request.expiration_date)?;
    let user = machine_in(&shared.lock(), &caller, &user_id)?;
    let token = random::secret(64);
    let token_id = random::numeric_id();
    let now = Timestamp::now();
    let mut state = shared.lock();
    state.user(&user_id)?;
    state.credentials.add_pat(
        &token,
        token_id.clone(),
        user_id,
        user.organization_id,
        now,
        expiration_date,
    );
    state.next_sequence();
    reply([
        ("creationDate", timestamp(now)),
        ("tokenId", json!(token_id)),
        ("token", json!(token)),
    ])
}

/// RemovePersonalAccessToken.
pub async fn remove_pat(
    AxumState(shared): AxumState<AppState>,
    Extension(caller): Extension<Caller>,
    Path((user_id, token_id)): Path<(String, String)>,
) -> Reply {
    let mut state = shared.lock();
    machine_in(&state, &caller, &user_id)?;
    if state
        .credentials
        .pats
        .get(&token_id)
        .is_none_or(|pat| pat.user_id != user_id)
    {
        return Err(ApiError::zitadel(
            GrpcCode::NotFound,
            "COMMAND-Xm6Q2",
            "Errors.User.PAT.NotFound",
        ));
    }
    state.credentials.remove_pat(&token_id);
    state.next_sequence();
    reply([("deletionDate", timestamp(Timestamp::now()))])
}

/// `ListKeysRequest` / `ListPersonalAccessTokensRequest`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ListCredentialsRequest {
    pagination: Page,
    filters: Vec<CredentialFilter>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct CredentialFilter {
    user_id_filter: Option<IdFilter>,
    key_id_filter: Option<IdFilter>,
    token_id_filter: Option<IdFilter>,
    organization_id_filter: Option<IdFilter>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct IdFilter {
    id: String,
}

/// One listed key or PAT.
struct Row {
    id: String,
    user_id: String,
    organization_id: String,
    creation_date: Timestamp,
    expiration_date: Timestamp,
}

impl CredentialFilter {
    fn matches(&self, row: &Row) -> Result<bool, ApiError> {
        let checks = [
            self.user_id_filter.as_ref().map(|f| f.id == row.user_id),
            self.key_id_filter
                .as_ref()
                .or(self.token_id_filter.as_ref())
                .map(|f| f.id == row.id),
            self.organization_id_filter
                .as_ref()
                .map(|f| f.id == row.organization_id),
        ];
        let mut set = checks.into_iter().flatten();
        match (set.next(), set.next()) {
            (Some(result), None) => Ok(result),
            (Some(_), Some(_)) => Err(ApiError::validation(
                "invalid Filter.Filter: only one of the oneof fields may be set",
            )),
            (None, _) => Err(ApiError::validation(
                "invalid Filter.Filter: value is required",
            )),
        }
    }
}

impl ListCredentialsRequest {
    /// Counts the call for the users its filters name (a listing of one user's credentials).
    fn count_for_users(&self, state: &mut State, rpc: &str) {
        for filter in &self.filters {
            if let Some(user) = &filter.user_id_filter {
                state.count_user_call(&user.id, rpc);
            }
        }
    }
}

fn list(request: ListCredentialsRequest, caller: &Caller, rows: Vec<Row>) -> Reply {
    let limit = request.pagination.applied_limit(100)?;
    let mut visible = Vec::new();
    for row in rows
        .into_iter()
        .filter(|row| caller.sees_org(&row.organization_id))
    {
        let mut keep = true;
        for filter in &request.filters {
            keep &= filter.matches(&row)?;
        }
        if keep {
            visible.push(row);
        }
    }
    visible.sort_by(|a, b| {
        a.creation_date
            .cmp(&b.creation_date)
            .then_with(|| a.id.cmp(&b.id))
    });
    let total = visible.len() as u64;
    let result: Vec<Value> = request
        .pagination
        .slice(visible, limit)
        .into_iter()
        .map(|row| {
            json!({
                "creationDate": timestamp(row.creation_date),
                "changeDate": timestamp(row.creation_date),
                "id": row.id,
                "userId": row.user_id,
                "organizationId": row.organization_id,
                "expirationDate": timestamp(row.expiration_date),
            })
        })
        .collect();
    reply([
        (
            "pagination",
            json!({"totalResult": uint64(total), "appliedLimit": uint64(limit)}),
        ),
        ("result", Value::Array(result)),
    ])
}

/// ListKeys: keys of emulated machine users the caller may see.
pub async fn list_keys(
    AxumState(shared): AxumState<AppState>,
    Extension(caller): Extension<Caller>,
    ProtoJson(request): ProtoJson<ListCredentialsRequest>,
) -> Reply {
    let mut state = shared.lock();
    request.count_for_users(&mut state, "ListKeys");
    let rows = state
        .credentials
        .keys
        .values()
        // The emulator's own service principals belong to no organization and are not listed.
        .filter(|key| !key.organization_id.is_empty())
        .map(|key| Row {
            id: key.id.clone(),
            user_id: key.user_id.clone(),
            organization_id: key.organization_id.clone(),
            creation_date: key.creation_date,
            expiration_date: key.expiration_date,
        })
        .collect();
    drop(state);
    list(request, &caller, rows)
}

/// ListPersonalAccessTokens.
pub async fn list_pats(
    AxumState(shared): AxumState<AppState>,
    Extension(caller): Extension<Caller>,
    ProtoJson(request): ProtoJson<ListCredentialsRequest>,
) -> Reply {
    let mut state = shared.lock();
    request.count_for_users(&mut state, "ListPersonalAccessTokens");
    let rows = state
        .credentials
        .pats
        .values()
        .map(|pat| Row {
            id: pat.id.clone(),
            user_id: pat.user_id.clone(),
            organization_id: pat.organization_id.clone(),
            creation_date: pat.creation_date,
            expiration_date: pat.expiration_date,
        })
        .collect();
    drop(state);
    list(request, &caller, rows)
}
