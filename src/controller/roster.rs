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
    ListQuery, ListUsersRequest, SearchQuery, User as ZitadelUser, UserFieldName,
};
use crate::zitadel::{self, ZitadelClient};

/// ListUsers' largest page (ZITADEL's default `MaxListLimit`).
const PAGE: u32 = 1000;

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
    /// Each user as compact JSON (zero values left out): a decoded user is 464 bytes inline
    /// plus its strings, about 630 bytes for a human, its JSON about 390, and a listing is
    /// held for most of a resync interval.
    users: HashMap<String, Box<str>>,
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
        // The listing's own encoding; an entry that would not decode is read by id instead.
        Ok(listing
            .as_mut()
            .and_then(|l| l.users.remove(user_id))
            .and_then(|json| serde_json::from_str(&json).ok()))
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
            // Encoding plain data into a `String` does not fail; were it to, the user would be
            // read by id like one the listing does not show.
            users.extend(page.result.into_iter().filter_map(|user| {
                let json = serde_json::to_string(&user).ok()?;
                Some((user.user_id, json.into_boxed_str()))
            }));
            if received == 0 || offset >= page.details.total_result {
                break;
            }
        }
        Ok(Self { started, users })
    }
}
