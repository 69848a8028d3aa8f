//! Observe: read what the planner needs. Reads only.
//!
//! Cost per phase: before creation, one Secret GET when the spec writes a Secret, one more when
//! it names a password Secret; for a known user, GetUserByID plus ListUserMetadata (both
//! read-your-writes in ZITADEL, contract §14.4) and one Secret GET when the spec writes a Secret
//! or the status names one; at a resync, a share of its organization's ListUsers walk (one call
//! per thousand users) plus ListUserMetadata only where the `User` manages metadata; after a
//! create conflict, GetUserByID (user id taken) or ListUsers plus GetUserByID (username taken).

use std::collections::BTreeMap;

use super::create::Created;
use super::failure::Failure;
use super::observed::{BeforeCreation, FoundUser, Holder, Observed, Seen, Taken};
use super::plan::{desired_metadata, needs_secret};
use super::roster::Rosters;
use kube::ResourceExt;

use crate::crd::{SecretKeySelector, User};
use crate::names::REISSUE_ANNOTATION;
use crate::secrets::{SecretState, Secrets};
use crate::sensitive::Sensitive;
use crate::tenancy::connections::RootMetadata;
use crate::zitadel::types::{
    ListQuery, ListUserMetadataRequest, ListUsersRequest, SearchQuery, TextQueryMethod,
};
use crate::zitadel::{self, ZitadelClient};

/// Page size for ListUserMetadata: the spec allows 64 keys, so one page is the norm.
const METADATA_PAGE: u32 = 200;

/// Which value CreateUser reported as already used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Clash {
    /// The user id.
    UserId(String),
    /// The username (as ZITADEL derives it when the spec has none).
    Username(String),
}

/// What creation needs: the `User`'s Secret and the password its spec points to.
pub async fn before_creation(
    secrets: &Secrets,
    user: &User,
    uid: &str,
) -> Result<BeforeCreation, Failure> {
    let secret = if needs_secret(&user.spec) {
        secrets.observe(user, uid).await?
    } else {
        SecretState::Absent
    };
    let human = user.spec.human.as_ref();
    let password_ref = human
        .and_then(|h| h.password.as_ref())
        .and_then(|p| p.secret_ref.as_ref());
    let totp_ref = human.and_then(|h| h.totp.as_ref()).map(|t| &t.secret_ref);
    Ok(BeforeCreation {
        secret,
        given_password: read_ref(secrets, password_ref).await?,
        given_totp: read_ref(secrets, totp_ref).await?,
    })
}

/// The value a `secretRef` names; `None` when it names nothing or the Secret or key is absent.
async fn read_ref(
    secrets: &Secrets,
    selector: Option<&SecretKeySelector>,
) -> Result<Option<Sensitive<String>>, Failure> {
    match selector {
        Some(selector) => Ok(secrets.read_key(&selector.name, &selector.key).await?),
        None => Ok(None),
    }
}

/// The `User`'s Secret, when the spec writes one, the status names one or a reissue request
/// records what it issued there; otherwise it is not read.
pub async fn observe_secret(
    secrets: &Secrets,
    user: &User,
    uid: &str,
) -> Result<SecretState, Failure> {
    let names_secret = user
        .status
        .as_ref()
        .is_some_and(|s| s.secret_name.is_some());
    let reissue = user.annotations().contains_key(REISSUE_ANNOTATION);
    Ok(if needs_secret(&user.spec) || names_secret || reissue {
        secrets.observe(user, uid).await?
    } else {
        SecretState::Absent
    })
}

/// The user `user_id`, with the `User`'s `secret`.
pub async fn observe(
    zitadel: &ZitadelClient,
    user_id: &str,
    secret: SecretState,
) -> Result<Observed, Failure> {
    Ok(Observed {
        user_id: user_id.to_owned(),
        zitadel: fetch_user(zitadel, user_id).await?.map(Box::new),
        secret,
    })
}

/// Where a resync reads the user `user_id` from.
pub struct Listed<'a> {
    /// The organization listings.
    pub rosters: &'a Rosters,
    /// The connection's revision, which keys the listings.
    pub revision: &'a str,
    /// The `User`'s last comparison ended then (`None`: before this process started).
    pub since: Option<std::time::Instant>,
}

/// The user `user_id` for a resync, as a recent listing of its organization shows it; read by
/// id when the listing does not show it (new, deleted, or not yet in the lagging listing).
/// Metadata is read only where the `User` manages entries (in its spec or, being removed, in
/// its status); otherwise it is taken to be the owner marker alone, which the operator wrote.
pub async fn observe_listed(
    zitadel: &ZitadelClient,
    listed: &Listed<'_>,
    user: &User,
    uid: &str,
    user_id: &str,
    secret: SecretState,
) -> Result<(Observed, Seen), Failure> {
    let org_id = &user.spec.organization_id;
    let Some(found) = (listed.rosters)
        .take(zitadel, listed.revision, org_id, user_id, listed.since)
        .await?
    else {
        return Ok((observe(zitadel, user_id, secret).await?, Seen::Read));
    };
    let manages_metadata = !user.spec.metadata.is_empty()
        || user
            .status
            .as_ref()
            .is_some_and(|s| !s.managed_metadata_keys.is_empty());
    let metadata = if manages_metadata {
        fetch_metadata(zitadel, user_id).await?
    } else {
        desired_metadata(user, uid)
    };
    let observed = Observed {
        user_id: user_id.to_owned(),
        zitadel: Some(Box::new(FoundUser {
            user: found,
            metadata,
        })),
        secret,
    };
    Ok((observed, Seen::Listed))
}

/// A user CreateUser just made, as its request made it: nothing is read back, except the
/// metadata while the connection's server has not shown whether it keeps CreateUser's root
/// metadata (one ListUserMetadata per connection).
pub async fn observe_created(
    zitadel: &ZitadelClient,
    root_metadata: &RootMetadata,
    created: Box<Created>,
) -> Result<Observed, Failure> {
    let Created {
        id,
        mut found,
        secret,
    } = *created;
    match root_metadata.kept() {
        Some(true) => {}
        // The sync step sets it.
        Some(false) => found.metadata.clear(),
        None => {
            found.metadata = fetch_metadata(zitadel, &id).await?;
            root_metadata.learn(found.owner().is_some());
        }
    }
    Ok(Observed {
        user_id: id,
        zitadel: Some(Box::new(found)),
        secret,
    })
}

/// Who holds the value CreateUser reported as taken.
pub async fn holder(zitadel: &ZitadelClient, clash: Clash) -> Result<Taken, Failure> {
    Ok(match clash {
        Clash::UserId(user_id) => Taken::UserId {
            holder: fetch_user(zitadel, &user_id).await?.map(Box::new),
            user_id,
        },
        Clash::Username(username) => {
            let request = ListUsersRequest {
                queries: vec![SearchQuery::UserNameQuery {
                    user_name: username.clone(),
                    method: TextQueryMethod::EqualsIgnoreCase,
                }],
                ..ListUsersRequest::default()
            };
            let listed = zitadel.list_users(&request).await?;
            let holder = match listed.result.into_iter().next() {
                None => Holder::NotSearchable,
                Some(candidate) => match fetch_user(zitadel, &candidate.user_id).await? {
                    None => Holder::Gone,
                    Some(found) => Holder::Found(Box::new(found)),
                },
            };
            Taken::Username { username, holder }
        }
    })
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
    let metadata = fetch_metadata(zitadel, user_id).await?;
    Ok(Some(FoundUser { user, metadata }))
}

/// Every metadata entry of the user `user_id`, decoded.
pub async fn fetch_metadata(
    zitadel: &ZitadelClient,
    user_id: &str,
) -> Result<BTreeMap<String, Vec<u8>>, zitadel::Error> {
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
    Ok(metadata)
}
