//! The instance state behind one mutex: organizations, users, credentials, the ListUsers
//! projection, call counters and queued faults. Critical sections never await.

pub mod credentials;
pub mod metadata;
pub mod orgs;
pub mod projection;
pub mod users;

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Duration;

use jiff::Timestamp;

use crate::config::EmulatorConfig;
use crate::errors::{ApiError, user_not_found};
use crate::faults::Faults;
use credentials::Credentials;
use orgs::Org;
use projection::Projection;
use users::EmulatedUser;

/// State shared by the server tasks and the [`crate::ZitadelEmulator`] handle.
pub struct Shared {
    /// The configuration the emulator was started with.
    pub config: EmulatorConfig,
    /// The issuer URL JWT assertions must name in `aud`.
    pub issuer: String,
    /// Key file of the instance-admin service account, generated on first use.
    pub admin_key_file: OnceLock<String>,
    state: Mutex<State>,
}

impl Shared {
    /// Creates empty state.
    pub fn new(config: EmulatorConfig, issuer: String) -> Self {
        let state = State {
            latency: config.latency,
            ..State::default()
        };
        Self {
            config,
            issuer,
            admin_key_file: OnceLock::new(),
            state: Mutex::new(state),
        }
    }

    /// Locks the state. A panic while holding the lock cannot leave it half-written in a way
    /// that matters to an emulator, so poisoning is ignored.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Everything the instance holds.
#[derive(Default)]
pub struct State {
    /// Organizations by id.
    pub orgs: BTreeMap<String, Org>,
    /// Current users by id (deleted users are removed). Change them only through
    /// [`State::commit_user`] and [`State::remove_user`], which keep `usernames` in step.
    pub users: BTreeMap<String, EmulatedUser>,
    /// Lowercased username → user id, for the instance-wide uniqueness check on every create.
    usernames: HashMap<String, String>,
    /// What ListUsers sees.
    pub projection: Projection,
    /// Keys, PATs, tokens, service principals.
    pub credentials: Credentials,
    /// Requests per RPC name.
    pub calls: BTreeMap<String, usize>,
    /// Requests per user they name (the path's user id, the id CreateUser creates or is refused,
    /// a listing's user id filter), then per RPC name.
    pub calls_by_user: BTreeMap<String, BTreeMap<String, usize>>,
    /// What every answer waits before the request is handled (see [`EmulatorConfig::latency`]).
    pub latency: Duration,
    /// API requests being handled right now (the token endpoint excluded).
    pub in_flight: usize,
    /// The most API requests ever handled at once since the last reset.
    pub peak_in_flight: usize,
    /// Queued faults.
    pub faults: Faults,
    sequence: u64,
}

impl State {
    /// The next instance event sequence.
    pub fn next_sequence(&mut self) -> u64 {
        self.sequence += 1;
        self.sequence
    }

    /// Counts a call of `rpc` for the user `user_id` it names.
    pub fn count_user_call(&mut self, user_id: &str, rpc: &str) {
        let calls = self.calls_by_user.entry(user_id.to_owned()).or_default();
        *calls.entry(rpc.to_owned()).or_default() += 1;
    }

    /// The current sequence (ListUsers' `processedSequence`).
    pub fn sequence(&self) -> u64 {
        self.sequence
    }

    /// Stores a new or changed user: stamps sequence and change date, feeds the projection.
    pub fn commit_user(&mut self, mut user: EmulatedUser) -> &EmulatedUser {
        user.sequence = self.next_sequence();
        user.change_date = Timestamp::now();
        self.projection.record(&user.id, Some(user.clone()));
        self.usernames
            .insert(user.username.to_lowercase(), user.id.clone());
        match self.users.entry(user.id.clone()) {
            Entry::Occupied(mut entry) => {
                let previous = entry.insert(user);
                let renamed = previous.username.to_lowercase();
                if renamed != entry.get().username.to_lowercase() {
                    self.usernames.remove(&renamed);
                }
                entry.into_mut()
            }
            Entry::Vacant(entry) => entry.insert(user),
        }
    }

    /// Deletes a user with its credentials; its id and username become free again.
    pub fn remove_user(&mut self, user_id: &str) -> Option<EmulatedUser> {
        let user = self.users.remove(user_id)?;
        self.usernames.remove(&user.username.to_lowercase());
        self.next_sequence();
        self.credentials.remove_user(user_id);
        self.projection.record(user_id, None);
        Some(user)
    }

    /// A current user, or ZITADEL's NotFound.
    pub fn user(&self, user_id: &str) -> Result<&EmulatedUser, ApiError> {
        self.users.get(user_id).ok_or_else(user_not_found)
    }

    /// Whether another user already holds `username` (compared case-insensitively, instance-wide).
    pub fn username_taken(&self, username: &str, except_user: Option<&str>) -> bool {
        self.usernames
            .get(&username.to_lowercase())
            .is_some_and(|holder| Some(holder.as_str()) != except_user)
    }
}
