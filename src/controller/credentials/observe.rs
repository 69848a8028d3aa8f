//! Observe, machine credentials: the keys and tokens ZITADEL has for the user.

use super::plan::Listed;
use crate::crd::CredentialKind;
use crate::zitadel::types::{
    CredentialInfo, KeyFilter, ListKeysRequest, ListPatsRequest, ListQuery, PatFilter,
};
use crate::zitadel::{self, ZitadelClient};

/// More than a user can declare (10 of each) plus their rotated-out predecessors and what others
/// added: one page is all there is.
const PAGE: u32 = 100;

/// The keys and tokens of `user_id`: ListKeys and ListPersonalAccessTokens, one call each.
pub async fn list(zitadel: &ZitadelClient, user_id: &str) -> Result<Vec<Listed>, zitadel::Error> {
    let page = || {
        Some(ListQuery {
            offset: 0,
            limit: PAGE,
            asc: true,
        })
    };
    let keys = zitadel
        .list_keys(&ListKeysRequest {
            pagination: page(),
            filters: vec![KeyFilter::UserIdFilter {
                id: user_id.to_owned(),
            }],
        })
        .await?;
    let tokens = zitadel
        .list_personal_access_tokens(&ListPatsRequest {
            pagination: page(),
            filters: vec![PatFilter::UserIdFilter {
                id: user_id.to_owned(),
            }],
        })
        .await?;
    let listed = |kind| {
        move |info: CredentialInfo| Listed {
            kind,
            id: info.id,
            expiration_date: info.expiration_date,
        }
    };
    Ok(keys
        .result
        .into_iter()
        .map(listed(CredentialKind::Key))
        .chain(
            tokens
                .result
                .into_iter()
                .map(listed(CredentialKind::PersonalAccessToken)),
        )
        .collect())
}
