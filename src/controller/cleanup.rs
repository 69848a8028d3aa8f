//! Deletion behind the finalizer: `Delete` removes the ZITADEL user, `Orphan` leaves it and
//! removes only the owner marker, so that another resource may adopt it later. A failure keeps
//! the finalizer, so the resource (and its Secret) stay until ZITADEL confirms.

use super::observe::fetch_user;
use super::plan::target_user_id;
use crate::crd::User;
use crate::names::OWNER_METADATA_KEY;
use crate::zitadel::{self, ZitadelClient};

/// The ZITADEL user `user` manages: the one in status, else one a lost CreateUser
/// response may have left behind, if it carries this resource's owner marker.
async fn managed_user(
    zitadel: &ZitadelClient,
    user: &User,
    uid: &str,
) -> Result<Option<String>, zitadel::Error> {
    if let Some(id) = user.status.as_ref().and_then(|s| s.user_id.clone()) {
        return Ok(Some(id));
    }
    let candidate = target_user_id(user, uid);
    let found = fetch_user(zitadel, &candidate).await?;
    Ok(found.filter(|f| f.owner() == Some(uid)).map(|_| candidate))
}

/// Deletes the ZITADEL user of `user`; `Ok(None)` when there was none. NotFound counts as done.
pub async fn delete_zitadel_user(
    zitadel: &ZitadelClient,
    user: &User,
    uid: &str,
) -> Result<Option<String>, zitadel::Error> {
    let Some(id) = managed_user(zitadel, user, uid).await? else {
        return Ok(None);
    };
    match zitadel.delete_user(&id).await {
        Ok(()) => Ok(Some(id)),
        Err(error) if error.is_not_found() => Ok(Some(id)),
        Err(error) => Err(error),
    }
}

/// Releases the ZITADEL user of an orphaned `user`: removes the owner marker, keeps the rest.
/// `Ok(None)` when there is no user; a user or marker already gone counts as released.
pub async fn release_zitadel_user(
    zitadel: &ZitadelClient,
    user: &User,
    uid: &str,
) -> Result<Option<String>, zitadel::Error> {
    let Some(id) = managed_user(zitadel, user, uid).await? else {
        return Ok(None);
    };
    match zitadel
        .delete_user_metadata(&id, &[OWNER_METADATA_KEY.to_owned()])
        .await
    {
        Err(error) if !error.is_not_found() => Err(error),
        _ => Ok(Some(id)),
    }
}
