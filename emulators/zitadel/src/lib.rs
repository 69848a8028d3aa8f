//! An emulator of ZITADEL's v2 user API (REST / grpc-gateway surface) for tests, a local quickstart
//! and benchmarks: users, metadata, codes, machine credentials, PAT and JWT-profile
//! authentication, an eventually consistent ListUsers, a configurable latency on every answer,
//! fault injection and inspection helpers.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use zitadel_emulator::{EmulatorConfig, ZitadelEmulator};
//! let emulator = ZitadelEmulator::start(EmulatorConfig::default()).await?;
//! let org = emulator.create_organization("acme");
//! let token = emulator.admin_pat();
//! // POST {emulator.url()}/v2/users/new with `Authorization: Bearer {token}` …
//! # let _ = (org, token); Ok(()) }
//! ```

mod auth;
mod config;
mod errors;
mod faults;
mod handlers;
mod keys;
mod protojson;
mod random;
mod server;
mod state;
mod validation;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use config::EmulatorConfig;
pub use errors::GrpcCode;
pub use faults::Fault;
pub use protojson::enums::{AccessTokenType, Gender, UserState};
pub use state::metadata::MetadataEntry;
pub use state::users::{
    Email, EmulatedUser, Human, IdpLink, Machine, PasswordInfo, Phone, Profile, UserKind,
};

use state::credentials::{KeyRecord, Scope, TokenKind, TokenRecord};
use state::orgs::Org;
use state::{Shared, metadata};

/// A running emulator. The server runs on a tokio task; dropping the handle stops it and closes
/// every open connection.
pub struct ZitadelEmulator {
    shared: Arc<Shared>,
    url: String,
    server: JoinHandle<()>,
    // Dropping the sender tells every connection task to stop.
    _shutdown: watch::Sender<()>,
}

impl ZitadelEmulator {
    /// Binds `config.bind` and starts serving.
    pub async fn start(config: EmulatorConfig) -> std::io::Result<Self> {
        let listener = TcpListener::bind(config.bind).await?;
        let url = format!("http://{}", listener.local_addr()?);
        let issuer = match &config.instance_domain {
            Some(domain) => format!("https://{domain}"),
            None => url.clone(),
        };
        let shared = Arc::new(Shared::new(config, issuer));
        let (shutdown, shutdown_rx) = watch::channel(());
        let server = tokio::spawn(server::serve(
            listener,
            server::router(shared.clone()),
            shutdown_rx,
        ));
        Ok(Self {
            shared,
            url,
            server,
            _shutdown: shutdown,
        })
    }

    /// Base URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// The issuer: what a JWT assertion's `aud` must contain (`https://<instance_domain>` when a
    /// domain is configured, else [`Self::url`]).
    pub fn issuer(&self) -> String {
        self.shared.issuer.clone()
    }

    /// Creates an organization with a generated id and returns the id.
    pub fn create_organization(&self, name: &str) -> String {
        let id = random::numeric_id();
        self.create_organization_with_id(&id, name);
        id
    }

    /// Creates (or renames) an organization with a fixed id.
    pub fn create_organization_with_id(&self, id: &str, name: &str) {
        self.shared.lock().orgs.insert(
            id.to_owned(),
            Org {
                id: id.to_owned(),
                name: name.to_owned(),
            },
        );
    }

    /// Mints a new personal access token with instance-wide rights.
    pub fn admin_pat(&self) -> String {
        self.mint_pat(Scope::Instance)
    }

    /// Mints a new personal access token that may only act on users of `org_id`.
    pub fn org_scoped_pat(&self, org_id: &str) -> String {
        self.mint_pat(Scope::Organization(org_id.to_owned()))
    }

    fn mint_pat(&self, scope: Scope) -> String {
        let principal = random::numeric_id();
        let token = random::secret(64);
        let mut state = self.shared.lock();
        state
            .credentials
            .principals
            .insert(principal.clone(), scope);
        let record = TokenRecord {
            user_id: principal,
            kind: TokenKind::Pat {
                expiration_date: None,
            },
        };
        state.credentials.add_token(&token, record);
        token
    }

    /// The key-file JSON (`{"type":"serviceaccount","keyId","key","expirationDate","userId"}`) of an
    /// instance-admin service account, for the JWT-profile grant. Generated once per emulator.
    ///
    /// # Panics
    /// If the operating system's random generator fails three times in a row (RSA key generation).
    pub fn service_account_key(&self) -> String {
        self.shared
            .admin_key_file
            .get_or_init(|| self.new_admin_key_file())
            .clone()
    }

    fn new_admin_key_file(&self) -> String {
        let generated = (0..3).find_map(|_| keys::generate().ok());
        let Some(generated) = generated else {
            panic!("RSA key generation failed repeatedly: the OS random generator is unavailable");
        };
        let principal = random::numeric_id();
        let key_id = random::numeric_id();
        // Far future (9999-12-30T00:00:00Z, just inside jiff's range): the key never expires.
        let expiration = Timestamp::constant(253_402_128_000, 0);
        let mut state = self.shared.lock();
        state
            .credentials
            .principals
            .insert(principal.clone(), Scope::Instance);
        state.credentials.keys.insert(
            key_id.clone(),
            KeyRecord {
                id: key_id.clone(),
                user_id: principal.clone(),
                organization_id: String::new(),
                public_key_pem: generated.public_pem,
                creation_date: Timestamp::now(),
                expiration_date: expiration,
            },
        );
        keys::key_file(&key_id, &generated.private_pem, expiration, &principal)
    }

    /// Stops accepting a token (PAT or access token).
    pub fn revoke_token(&self, token: &str) {
        self.shared.lock().credentials.revoke(token);
    }

    /// Every access token issued by the token endpoint becomes invalid (API calls get 401).
    pub fn expire_access_tokens(&self) {
        self.shared.lock().credentials.expire_access_tokens();
    }

    /// Makes every answer from now on wait `latency` (see [`EmulatorConfig::latency`]); calls
    /// already waiting keep the latency they started with.
    pub fn set_latency(&self, latency: Duration) {
        self.shared.lock().latency = latency;
    }

    /// What every answer waits now.
    pub fn latency(&self) -> Duration {
        self.shared.lock().latency
    }

    /// Queues a fault for the next calls of `rpc` (e.g. `"CreateUser"`, `"GetUserByID"`, `"Token"`).
    pub fn inject(&self, rpc: &str, fault: Fault) {
        self.shared.lock().faults.push(rpc, fault);
    }

    /// Forgets all queued faults.
    pub fn clear_faults(&self) {
        self.shared.lock().faults.clear();
    }

    /// Requests that reached `rpc` (including failed and fault-injected ones).
    pub fn calls(&self, rpc: &str) -> usize {
        self.shared.lock().calls.get(rpc).copied().unwrap_or(0)
    }

    /// Requests per RPC name.
    pub fn call_counts(&self) -> BTreeMap<String, usize> {
        self.shared.lock().calls.clone()
    }

    /// Requests per user they name, then per RPC name: the user id in the path, the id a
    /// CreateUser creates (or is refused because it is taken), and the user id filter of a
    /// ListKeys or ListPersonalAccessTokens. Calls that name no user (ListUsers, the token
    /// endpoint, a CreateUser failing validation) are only in [`call_counts`](Self::call_counts).
    pub fn call_counts_by_user(&self) -> BTreeMap<String, BTreeMap<String, usize>> {
        self.shared.lock().calls_by_user.clone()
    }

    /// Sets every call counter back to zero, and the in-flight peak to what is in flight now.
    pub fn reset_call_counts(&self) {
        let mut state = self.shared.lock();
        state.calls.clear();
        state.calls_by_user.clear();
        state.peak_in_flight = state.in_flight;
    }

    /// The most API calls (token requests aside) the emulator handled at the same time since it
    /// started or since [`reset_call_counts`](Self::reset_call_counts): how much concurrency a
    /// client really put on ZITADEL.
    pub fn peak_concurrent_calls(&self) -> usize {
        self.shared.lock().peak_in_flight
    }

    /// The `user` object GetUserByID would return right now.
    pub fn user(&self, user_id: &str) -> Option<serde_json::Value> {
        self.shared
            .lock()
            .users
            .get(user_id)
            .map(EmulatedUser::to_json)
    }

    /// Every current user, as GetUserByID's `user` objects.
    pub fn users(&self) -> Vec<serde_json::Value> {
        self.shared
            .lock()
            .users
            .values()
            .map(EmulatedUser::to_json)
            .collect()
    }

    /// A user's metadata (raw values).
    pub fn user_metadata(&self, user_id: &str) -> BTreeMap<String, Vec<u8>> {
        self.shared
            .lock()
            .users
            .get(user_id)
            .map(|user| {
                user.metadata
                    .iter()
                    .map(|(key, entry)| (key.clone(), entry.value.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Ids of a machine user's keys.
    pub fn user_key_ids(&self, user_id: &str) -> Vec<String> {
        let state = self.shared.lock();
        state
            .credentials
            .keys
            .values()
            .filter(|key| key.user_id == user_id)
            .map(|key| key.id.clone())
            .collect()
    }

    /// Ids of a machine user's personal access tokens.
    pub fn user_pat_ids(&self, user_id: &str) -> Vec<String> {
        let state = self.shared.lock();
        state
            .credentials
            .pats
            .values()
            .filter(|pat| pat.user_id == user_id)
            .map(|pat| pat.id.clone())
            .collect()
    }

    /// Whether `code` is the email verification code ZITADEL currently accepts for the user.
    pub fn email_code_is_valid(&self, user_id: &str, code: &str) -> bool {
        self.human_code(user_id, |human| {
            human.email_code.as_ref().is_some_and(|p| p.matches(code))
        })
    }

    /// Whether `code` is the phone verification code ZITADEL currently accepts for the user.
    pub fn phone_code_is_valid(&self, user_id: &str, code: &str) -> bool {
        self.human_code(user_id, |human| {
            human.phone_code.as_ref().is_some_and(|p| p.matches(code))
        })
    }

    /// Whether `code` is the invite code ZITADEL currently accepts for the user: the one from the
    /// latest CreateInviteCode, until the invite is completed or the email gets verified.
    pub fn invite_code_is_valid(&self, user_id: &str, code: &str) -> bool {
        self.human_code(user_id, |human| {
            human.invite_code.as_ref().is_some_and(|p| p.matches(code))
        })
    }

    /// Whether `code_id` / `code` (from CreatePasskeyRegistrationLink with `returnCode`) would
    /// still register a passkey. Each link has its own code; a newer link does not void older ones.
    pub fn passkey_code_is_valid(&self, user_id: &str, code_id: &str, code: &str) -> bool {
        self.human_code(user_id, |human| {
            human
                .passkey_codes
                .iter()
                .any(|(id, pending)| id == code_id && pending.matches(code))
        })
    }

    /// Successful CreateInviteCode calls for the user, whether the code was returned or sent.
    pub fn invite_codes_issued(&self, user_id: &str) -> usize {
        self.human_value(user_id, |human| human.invite_codes_issued)
            .unwrap_or(0)
    }

    /// Successful CreatePasskeyRegistrationLink calls for the user, returned or sent.
    pub fn passkey_links_issued(&self, user_id: &str) -> usize {
        self.human_value(user_id, |human| human.passkey_links_issued)
            .unwrap_or(0)
    }

    /// The IdP links a human was created with (empty for machines and unknown users).
    pub fn idp_links(&self, user_id: &str) -> Vec<IdpLink> {
        self.human_value(user_id, |human| human.idp_links.clone())
            .unwrap_or_default()
    }

    /// Whether a human has a TOTP second factor (imported with `totpSecret` at CreateUser).
    pub fn has_totp(&self, user_id: &str) -> bool {
        self.human_code(user_id, |human| human.totp_configured)
    }

    /// Whether a machine user has a client secret (AddSecret since the last RemoveSecret).
    pub fn user_secret_is_set(&self, user_id: &str) -> bool {
        let state = self.shared.lock();
        state
            .users
            .get(user_id)
            .and_then(EmulatedUser::machine)
            .is_some_and(|machine| machine.has_secret)
    }

    /// Simulates the person accepting the invite and choosing a password (ZITADEL's
    /// `VerifyInviteCodeSetPassword`): the invite code is used up, the email counts as verified and
    /// the user has an authentication method, so CreateInviteCode is refused from now on.
    /// `false` if there is no such human.
    pub fn complete_invite(&self, user_id: &str) -> bool {
        self.change_human(user_id, |human| {
            human.invite_code = None;
            human.email.is_verified = true;
            human.email_code = None;
            human.password = Some(PasswordInfo {
                change_required: false,
                changed: Timestamp::now(),
            });
        })
    }

    /// Simulates the person registering a passkey through the most recent registration link: that
    /// link's code is used up (older links stay valid) and the user has an authentication method.
    /// Works without any link too. `false` if there is no such human.
    pub fn register_passkey(&self, user_id: &str) -> bool {
        self.change_human(user_id, |human| {
            human.passkey_codes.pop();
            human.passkeys += 1;
        })
    }

    /// Simulates the lockout policy locking the user after too many failed checks. Like LockUser,
    /// only an active or initial user can be locked; `false` if nothing was locked.
    pub fn lock_user(&self, user_id: &str) -> bool {
        let mut state = self.shared.lock();
        let Some(mut user) = state.users.get(user_id).cloned() else {
            return false;
        };
        let Ok(next) = handlers::users::locked(user.state) else {
            return false;
        };
        user.state = next;
        state.commit_user(user);
        true
    }

    fn human_code(&self, user_id: &str, check: impl FnOnce(&Human) -> bool) -> bool {
        self.human_value(user_id, check).unwrap_or(false)
    }

    fn human_value<T>(&self, user_id: &str, read: impl FnOnce(&Human) -> T) -> Option<T> {
        let state = self.shared.lock();
        state
            .users
            .get(user_id)
            .and_then(EmulatedUser::human)
            .map(read)
    }

    /// Applies `change` to a human and commits it (sequence and change date move on, as for
    /// any event); `false` if there is no such human.
    fn change_human(&self, user_id: &str, change: impl FnOnce(&mut Human)) -> bool {
        let mut state = self.shared.lock();
        let Some(mut user) = state.users.get(user_id).cloned() else {
            return false;
        };
        let UserKind::Human(human) = &mut user.kind else {
            return false;
        };
        change(human);
        state.commit_user(user);
        true
    }

    /// Deletes a user behind the operator's back; `false` if there was none.
    pub fn delete_user(&self, user_id: &str) -> bool {
        self.shared.lock().remove_user(user_id).is_some()
    }

    /// Changes a user behind the operator's back (no validation; the id cannot change).
    /// Does nothing if the user does not exist.
    pub fn update_user(&self, user_id: &str, change: impl FnOnce(&mut EmulatedUser)) {
        let mut state = self.shared.lock();
        let Some(mut user) = state.users.get(user_id).cloned() else {
            return;
        };
        change(&mut user);
        user.id = user_id.to_owned();
        state.commit_user(user);
    }

    /// Sets (or, with an empty value, deletes) one metadata entry behind the operator's back.
    pub fn set_user_metadata(&self, user_id: &str, key: &str, value: &[u8]) {
        self.update_user(user_id, |user| {
            metadata::merge(
                &mut user.metadata,
                [(key.to_owned(), value.to_vec())],
                Timestamp::now(),
            );
        });
    }
}

impl Drop for ZitadelEmulator {
    fn drop(&mut self) {
        self.server.abort();
    }
}
