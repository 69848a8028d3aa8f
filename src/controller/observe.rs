//! Observe: read the ZITADEL user and the owned Secret. Reads only.
//!
//! Cost: one Secret GET when the spec needs a Secret or the status names one; for a known user,
//! GetUserByID plus ListUserMetadata (both read-your-writes in ZITADEL, contract §14.4).

use std::collections::BTreeMap;

use super::observed::{FoundUser, Observed, ZitadelSide};
use super::plan::needs_secret;
use crate::crd::User;
use crate::secrets::{SecretState, Secrets};
use crate::zitadel::types::{ListQuery, ListUserMetadataRequest};
use crate::zitadel::{self, ZitadelClient};

use super::error::Error;

/// Page size for ListUserMetadata: the spec allows 64 keys, so one page is the norm.
const METADATA_PAGE: u32 = 200;

/// Reads everything [`super::plan::decide`] needs for `user`, whose ZITADEL id is `user_id`
/// once known.
pub async fn observe(
    zitadel: &ZitadelClient,
    secrets: &Secrets,
    user: &User,
    user_id: Option<&str>,
) -> Result<Observed, Error> {
    let names_secret = user
        .status
        .as_ref()
        .is_some_and(|s| s.secret_name.is_some());
    let secret = if needs_secret(&user.spec) || names_secret {
        secrets.observe(user).await?
    } else {
        SecretState::Absent
    };
    let zitadel = match user_id {
        None => ZitadelSide::NotCreated,
        Some(id) => match fetch_user(zitadel, id).await? {
            Some(found) => ZitadelSide::Found(Box::new(found)),
            None => ZitadelSide::Missing {
                user_id: id.to_owned(),
            },
        },
    };
    Ok(Observed { zitadel, secret })
}

/// The user `user_id` with its metadata, `None` when ZITADEL has no such user.
pub async fn fetch_user(
    zitadel: &ZitadelClient,
    user_id: &str,
) -> Result<Option<FoundUser>, zitadel::Error> {
    let user = match zitadel.get_user_by_id(user_id).await {
        Ok(user) => user,
        Err(error) if error.is_not_found() => return Ok(None),
        Err(error) => return Err(error),
    };
    let mut metadata = BTreeMap::new();
    loop {
        let request = ListUserMetadataRequest {
            pagination: Some(ListQuery {
                offset: metadata.len() as u64,
                limit: METADATA_PAGE,
                asc: true,
            }),
            filters: Vec::new(),
        };
        let page = zitadel.list_user_metadata(user_id, &request).await?;
        let received = page.metadata.len();
        metadata.extend(
            page.metadata
                .into_iter()
                .map(|entry| (entry.key, entry.value)),
        );
        if received == 0 || metadata.len() as u64 >= page.pagination.total_result {
            break;
        }
    }
    Ok(Some(FoundUser { user, metadata }))
}
