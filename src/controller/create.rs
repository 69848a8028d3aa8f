//! Act, creation: CreateUser, and what to do when ZITADEL says the user already exists.
//!
//! A crash or a lost response anywhere in here is safe:
//! - a generated password is stored in the Secret *before* CreateUser, so a retry reuses it;
//! - one-time codes from the response go to the Secret right away; if that write fails, the
//!   codes are re-issued by the sync step (a new code replaces the old one in ZITADEL);
//! - a retried CreateUser with the same user id gets "user id taken" (contract §9.3, HTTP 400
//!   FailedPrecondition), and the owner marker in the user's metadata proves it is ours.
//!   On ZITADEL before 4.13, which ignores root metadata in CreateUser, a crash between
//!   CreateUser and the first sync leaves no marker; the resource then reports `UserIdTaken`
//!   and `spec.adoptExisting: true` resolves it (documented in the README).

use kube::ResourceExt;

use super::error::Error;
use super::observe::fetch_user;
use super::observed::FoundUser;
use super::outcome::{Note, Outcome};
use super::plan::{CreatePlan, PasswordSource, adoptable};
use super::sync::store_codes;
use crate::conditions::{Reason, Verdict};
use crate::crd::User;
use crate::password;
use crate::secrets::{EMAIL_CODE_KEY, PASSWORD_KEY, PHONE_CODE_KEY, SecretState, Secrets};
use crate::zitadel::ZitadelClient;
use crate::zitadel::types::{self as wire, ListUsersRequest, SearchQuery, TextQueryMethod};

/// How the ZITADEL user came to be managed by this resource; each carries the user id.
#[derive(Debug)]
pub enum Created {
    /// CreateUser succeeded.
    New(String),
    /// An earlier CreateUser of ours had succeeded; its response was lost.
    Recovered(String),
    /// An existing user was adopted (`spec.adoptExisting`).
    Adopted(String),
}

impl Created {
    /// The ZITADEL user id.
    pub fn user_id(&self) -> &str {
        match self {
            Created::New(id) | Created::Recovered(id) | Created::Adopted(id) => id,
        }
    }

    /// Consumes `self`, returning the user id.
    pub fn into_user_id(self) -> String {
        match self {
            Created::New(id) | Created::Recovered(id) | Created::Adopted(id) => id,
        }
    }

    /// The event that tells the user how the ZITADEL user came to be managed.
    pub fn note(&self) -> Note {
        let id = self.user_id();
        match self {
            Created::New(_) => Note::normal("Created", format!("created ZITADEL user {id}")),
            Created::Recovered(_) => Note::normal(
                "Created",
                format!(
                    "found ZITADEL user {id}, created by an earlier attempt whose response was lost"
                ),
            ),
            Created::Adopted(_) => Note::normal(
                "Adopted",
                format!("adopted existing ZITADEL user {id} (spec.adoptExisting)"),
            ),
        }
    }
}

/// Creates the user, or finds out why it cannot. `Err` carries the outcome to report.
pub async fn create(
    zitadel: &ZitadelClient,
    secrets: &Secrets,
    user: &User,
    plan: CreatePlan,
    mut secret: SecretState,
) -> Result<Created, Outcome> {
    let CreatePlan {
        mut request,
        password,
    } = plan;
    if let wire::CreateUserType::Human(human) = &mut request.user_type {
        let (value, store) = match initial_password(secrets, user, &password, secret).await {
            Ok((value, state)) => (value, state),
            Err(outcome) => return Err(*outcome),
        };
        secret = store;
        human.password = value;
    }
    let user_id = request.user_id.clone().unwrap_or_default();
    match zitadel.create_user(&request).await {
        Ok(response) => {
            // If this write fails the sync step re-issues the codes; the user id is kept.
            let codes = [
                (EMAIL_CODE_KEY, response.email_code),
                (PHONE_CODE_KEY, response.phone_code),
            ];
            if let Err(outcome) = store_codes(secrets, user, secret, codes).await {
                return Err(outcome.with_user_id(response.id));
            }
            Ok(Created::New(response.id))
        }
        Err(error) if error.is_user_id_taken() => {
            resolve_taken_user_id(zitadel, user, &user_id).await
        }
        Err(error) if error.is_username_taken() => resolve_taken_username(zitadel, user).await,
        Err(error) => Err(Outcome::zitadel_failure(error)),
    }
}

/// The password (or hash) for CreateUser, and the Secret state after storing a generated one.
async fn initial_password(
    secrets: &Secrets,
    user: &User,
    source: &PasswordSource,
    secret: SecretState,
) -> Result<(Option<wire::PasswordType>, SecretState), Box<Outcome>> {
    match source {
        PasswordSource::None => Ok((None, secret)),
        PasswordSource::FromSecret {
            name,
            key,
            hashed,
            change_required,
        } => {
            let value = secrets.read_key(name, key).await.map_err(|error| {
                Box::new(Outcome::retry(kube_unavailable(&error), error.into()))
            })?;
            let Some(value) = value else {
                return Err(Box::new(Outcome::blocked(Verdict::not_ready(
                    Reason::PasswordSecretMissing,
                    format!(
                        "spec.human.password.secretRef: Secret {name} with key {key} does not exist in this namespace; create it"
                    ),
                ))));
            };
            let change_required = *change_required;
            let password = if *hashed {
                wire::PasswordType::HashedPassword(wire::HashedPassword {
                    hash: value,
                    change_required,
                })
            } else {
                wire::PasswordType::Password(wire::Password {
                    password: value,
                    change_required,
                })
            };
            Ok((Some(password), secret))
        }
        PasswordSource::Generate { change_required } => {
            let (value, secret) = match secret.get(PASSWORD_KEY) {
                Some(existing) => (existing, secret),
                None => {
                    let generated = password::generate();
                    // Stored before CreateUser: a crash after it must not lose the password.
                    let stored = secrets
                        .store(user, secret, &[(PASSWORD_KEY, generated.clone())])
                        .await
                        .map_err(|error| {
                            Box::new(Outcome::retry(kube_unavailable(&error), error.into()))
                        })?;
                    (generated, stored)
                }
            };
            let password = wire::Password {
                password: value,
                change_required: *change_required,
            };
            Ok((Some(wire::PasswordType::Password(password)), secret))
        }
    }
}

fn kube_unavailable(error: &dyn std::error::Error) -> Verdict {
    Verdict::not_ready(
        Reason::SecretWriteFailed,
        format!("reading or writing a Secret failed, retrying: {error}"),
    )
}

/// CreateUser said the id is taken: ours from a lost response, adoptable, or someone else's.
async fn resolve_taken_user_id(
    zitadel: &ZitadelClient,
    user: &User,
    user_id: &str,
) -> Result<Created, Outcome> {
    let found = match fetch_user(zitadel, user_id).await {
        Ok(Some(found)) => found,
        Ok(None) => {
            return Err(Outcome::blocked(Verdict::not_ready(
                Reason::UserIdTaken,
                format!(
                    "ZITADEL reports user id {user_id} as taken but returns no such user (a deleted user may still hold it); choose another spec.userId"
                ),
            )));
        }
        Err(error) => return Err(Outcome::zitadel_failure(error)),
    };
    if found.owner().is_some() && found.owner() == user.uid().as_deref() {
        return Ok(Created::Recovered(found.user.user_id));
    }
    if !user.spec.adopt_existing {
        return Err(Outcome::blocked(Verdict::not_ready(
            Reason::UserIdTaken,
            format!(
                "ZITADEL user {user_id} already exists and was not created by this User. Choose \
                 another spec.userId, or set spec.adoptExisting: true to manage that user."
            ),
        )));
    }
    adopt(user, found)
}

/// CreateUser said the username is taken: adoptable (on request) or a conflict to report.
async fn resolve_taken_username(zitadel: &ZitadelClient, user: &User) -> Result<Created, Outcome> {
    let username = effective_username(user);
    if !user.spec.adopt_existing {
        return Err(Outcome::blocked(Verdict::not_ready(
            Reason::UsernameTaken,
            format!(
                "username {username} is already used by another ZITADEL user (usernames are \
                 unique across the instance, ignoring case). Choose another spec.username, or set \
                 spec.adoptExisting: true to manage that user."
            ),
        )));
    }
    let request = ListUsersRequest {
        queries: vec![SearchQuery::UserNameQuery {
            user_name: username.clone(),
            method: TextQueryMethod::EqualsIgnoreCase,
        }],
        ..ListUsersRequest::default()
    };
    let listed = match zitadel.list_users(&request).await {
        Ok(listed) => listed,
        Err(error) => return Err(Outcome::zitadel_failure(error)),
    };
    let Some(candidate) = listed.result.into_iter().next() else {
        // ListUsers lags behind writes (contract §14.4): the holder is not searchable yet.
        let verdict = Verdict::not_ready(
            Reason::Creating,
            format!("username {username} is taken but its user is not searchable yet; retrying"),
        );
        return Err(Outcome::retry(verdict, Error::NotYetSearchable(username)));
    };
    match fetch_user(zitadel, &candidate.user_id).await {
        Ok(Some(found)) => adopt(user, found),
        Ok(None) => Err(Outcome::blocked(Verdict::not_ready(
            Reason::UsernameTaken,
            format!("username {username} is taken by a user that no longer exists; retrying later"),
        ))),
        Err(error) => Err(Outcome::zitadel_failure(error)),
    }
}

fn adopt(user: &User, found: FoundUser) -> Result<Created, Outcome> {
    match adoptable(user, &found) {
        Ok(()) => Ok(Created::Adopted(found.user.user_id)),
        Err(verdict) => Err(Outcome::blocked(verdict)),
    }
}

/// The username ZITADEL uses: the spec's, else its default (email for humans, id for machines).
fn effective_username(user: &User) -> String {
    user.spec
        .username
        .clone()
        .unwrap_or_else(|| match &user.spec.human {
            Some(human) => human.email.address.clone(),
            None => super::plan::target_user_id(user),
        })
}
