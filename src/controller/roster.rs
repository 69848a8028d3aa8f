//! Listings of an organization's users, shared by the resync comparisons of its `User`s.
//!
//! A resync only asks "did anything change since the last comparison?". Answering it with
//! GetUserByID costs one call per user; one ListUsers page walk per organization answers it for
//! up to a thousand users per call. A `User` whose last comparison ended at `since` takes its
//! entry from a listing started after `since`, fetching a new one when the current one is older,
//! so one walk serves every `User` of the organization for about one resync interval.
//!
//! ListUsers is not projection-triggered (contract §14.4): a listing may show a user as it was
//! shortly before the listing started. It is therefore only trusted to say "in line"; any
//! difference it shows is confirmed with GetUserByID before a write, and a user missing from it
//! is read directly.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::zitadel::types::{
    Details, ListQuery, ListUsersRequest, SearchQuery, User as ZitadelUser, UserFieldName,
};
use crate::zitadel::{self, ZitadelClient};

/// ListUsers' largest page (ZITADEL's default `MaxListLimit`).
const PAGE: u32 = 1000;

/// The most entries a listing reserves room for on the server's total alone.
const RESERVE_BOUND: usize = 100 * PAGE as usize;

/// Identifies a listing: the connection's revision and the organization.
type Key = (String, String);

/// The latest listing of each organization, per connection revision.
#[derive(Default)]
pub struct Rosters {
    listings: Mutex<HashMap<Key, Arc<tokio::sync::Mutex<Option<Listing>>>>>,
}

/// One page walk: when it started, and the users not yet taken from it.
struct Listing {
    started: Instant,
    /// Each user by id as [packed](pack): a decoded user is 464 bytes inline plus its
    /// strings, about 630 bytes for a human, and a listing is held for most of a resync
    /// interval, so at 10,000 users every byte of an entry counts.
    users: HashMap<String, Box<str>>,
}

/// A listed user as the listing keeps it: compact JSON (zero values left out) without what
/// the comparison never reads, its id (the entry's key) and the sequence and dates of its
/// `details`; the owning organization stays, the comparison checks it.
fn pack(mut user: ZitadelUser) -> Option<(String, Box<str>)> {
    let id = std::mem::take(&mut user.user_id);
    user.details = Details {
        resource_owner: std::mem::take(&mut user.details.resource_owner),
        ..Details::default()
    };
    // Encoding plain data into a `String` does not fail; were it to, the user would be read
    // by id like one the listing does not show.
    let json = serde_json::to_string(&user).ok()?;
    Some((id, json.into_boxed_str()))
}

/// The user [`pack`] kept under `id`; `None` if it does not decode, so it is read by id.
fn unpack(id: &str, json: &str) -> Option<ZitadelUser> {
    let mut user: ZitadelUser = serde_json::from_str(json).ok()?;
    id.clone_into(&mut user.user_id);
    Some(user)
}

impl Rosters {
    /// The user `user_id` of organization `org_id` as a listing started after `since` shows it
    /// (any listing of this process when `since` is `None`); `None` when the listing does not
    /// show it. Each entry is handed out once, so a listing shrinks as it is used.
    pub async fn take(
        &self,
        zitadel: &ZitadelClient,
        revision: &str,
        org_id: &str,
        user_id: &str,
        since: Option<Instant>,
    ) -> Result<Option<ZitadelUser>, zitadel::Error> {
        let slot = self.slot(revision, org_id);
        // Held across the walk: the other `User`s of the organization wait for it rather than
        // each starting their own.
        let mut listing = slot.lock().await;
        let recent = listing
            .as_ref()
            .is_some_and(|l| since.is_none_or(|since| l.started > since));
        if !recent {
            *listing = Some(Listing::fetch(zitadel, org_id).await?);
        }
        Ok(listing
            .as_mut()
            .and_then(|l| l.users.remove(user_id))
            .and_then(|json| unpack(user_id, &json)))
    }

    fn slot(&self, revision: &str, org_id: &str) -> Arc<tokio::sync::Mutex<Option<Listing>>> {
        let mut listings = self
            .listings
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        listings
            .entry((revision.to_owned(), org_id.to_owned()))
            .or_default()
            .clone()
    }
}

impl Listing {
    /// Walks every page of the organization's users, oldest first, so users created during the
    /// walk land on later pages instead of shifting the offsets of earlier ones.
    async fn fetch(zitadel: &ZitadelClient, org_id: &str) -> Result<Self, zitadel::Error> {
        let started = Instant::now();
        let mut users = HashMap::new();
        let mut offset = 0;
        loop {
            let request = ListUsersRequest {
                query: Some(ListQuery {
                    offset,
                    limit: PAGE,
                    asc: true,
                }),
                sorting_column: Some(UserFieldName::CreationDate),
                queries: vec![SearchQuery::OrganizationIdQuery {
                    organization_id: org_id.to_owned(),
                }],
            };
            let page = zitadel.list_users(&request).await?;
            let received = page.result.len() as u64;
            offset += received;
            // Sized once from the total: growing page by page copies the table at every
            // doubling, and the copies add to the process's peak. The total is the server's
            // word, so it only sizes the table up to a bound and a failure to reserve is
            // left to the growth that follows.
            let expected = page.details.total_result.saturating_sub(offset) + received;
            let _ = users.try_reserve(usize::try_from(expected).unwrap_or(0).min(RESERVE_BOUND));
            users.extend(page.result.into_iter().filter_map(pack));
            if received == 0 || offset >= page.details.total_result {
                break;
            }
        }
        Ok(Self { started, users })
    }
}

#[cfg(test)]
mod tests {
    use jiff::Timestamp;

    use super::*;
    use crate::zitadel::types::{HumanProfile, HumanUser, UserState};

    fn listed() -> ZitadelUser {
        ZitadelUser {
            user_id: "312909075211944344".to_owned(),
            details: Details {
                sequence: 7,
                change_date: Some(Timestamp::UNIX_EPOCH),
                resource_owner: "org-1".to_owned(),
                creation_date: Some(Timestamp::UNIX_EPOCH),
            },
            state: UserState::Active,
            username: "alice".to_owned(),
            human: Some(HumanUser {
                profile: HumanProfile {
                    given_name: "Alice".to_owned(),
                    ..HumanProfile::default()
                },
                ..HumanUser::default()
            }),
            machine: None,
        }
    }

    #[test]
    fn a_listed_user_comes_back_with_its_id_and_organization_but_without_sequence_and_dates() {
        let (id, json) = pack(listed()).expect("packs");
        assert_eq!(id, "312909075211944344");
        assert!(
            !json.contains(&id),
            "the id is the key, not part of the entry: {json}"
        );
        let expected = ZitadelUser {
            details: Details {
                resource_owner: "org-1".to_owned(),
                ..Details::default()
            },
            ..listed()
        };
        assert_eq!(unpack(&id, &json), Some(expected));
    }

    #[test]
    fn an_entry_that_does_not_decode_counts_as_not_listed() {
        assert_eq!(unpack("1", "{not json"), None);
    }
}
