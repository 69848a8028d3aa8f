//! Act, creation: CreateUser. Makes no decisions: a clash ZITADEL reports comes back as an
//! observation ([`Creation::Clashed`]) for the planner to judge.
//!
//! A crash or a lost response anywhere in here is safe:
//! - a generated password is stored in the Secret *before* CreateUser, so a retry reuses it;
//! - one-time codes from the response go to the Secret right away; if that write fails, the
//!   sync step issues new ones (a new code replaces the old one in ZITADEL);
//! - a retried CreateUser with the same user id gets "user id taken" (contract §9.3, HTTP 400
//!   FailedPrecondition), and the owner marker in the user's metadata proves it is ours.
//!   On ZITADEL before 4.13, which ignores root metadata in CreateUser, a crash between
//!   CreateUser and the first sync leaves no marker; the resource then reports `UserIdTaken`
//!   (documented in the README).

use super::created::as_created;
use super::failure::Failure;
use super::observe::Clash;
use super::observed::FoundUser;
use super::plan::{CreatePlan, PasswordSource};
use super::sync::store_codes;
use crate::crd::User;
use crate::password;
use crate::secrets::{EMAIL_CODE_KEY, PASSWORD_KEY, PHONE_CODE_KEY, SecretState, Secrets};
use crate::zitadel::ZitadelClient;
use crate::zitadel::types as wire;

/// What CreateUser did.
#[derive(Debug)]
pub enum Creation {
    /// The user exists now; its codes are in the Secret.
    Created(Box<Created>),
    /// ZITADEL refused: the value is used by an existing user.
    Clashed(Clash),
}

/// A user CreateUser just made.
#[derive(Debug)]
pub struct Created {
    /// Its id.
    pub id: String,
    /// The user as the request made it, with the root metadata it sent (which servers before
    /// 4.13 drop).
    pub found: FoundUser,
    /// The `User`'s Secret after the codes were stored.
    pub secret: SecretState,
}

/// Runs `plan`. `on_created` learns the new user id before its codes are stored, so a failed
/// Secret write still reports the user.
pub async fn create(
    zitadel: &ZitadelClient,
    secrets: &Secrets,
    user: &User,
    plan: CreatePlan,
    mut secret: SecretState,
    on_created: impl FnOnce(&str),
) -> Result<Creation, Failure> {
    let CreatePlan {
        mut request,
        password,
        username,
    } = plan;
    if let (PasswordSource::Generate { change_required }, wire::CreateUserType::Human(human)) =
        (password, &mut request.user_type)
    {
        let generated = secret.get(PASSWORD_KEY).unwrap_or_else(password::generate);
        // Stored before CreateUser: a crash after it must not lose the password.
        secret = secrets
            .store(user, secret, &[(PASSWORD_KEY, generated.clone())])
            .await?;
        human.password = Some(wire::PasswordType::Password(wire::Password {
            password: generated,
            change_required,
        }));
    }
    let user_id = request.user_id.clone().unwrap_or_default();
    match zitadel.create_user(&request).await {
        Ok(response) => {
            on_created(&response.id);
            let codes = [
                (EMAIL_CODE_KEY, response.email_code),
                (PHONE_CODE_KEY, response.phone_code),
            ];
            let secret = store_codes(secrets, user, secret, codes).await?;
            let metadata = request
                .metadata
                .iter()
                .map(|entry| (entry.key.clone(), entry.value.clone()))
                .collect();
            let found = as_created(&request, &response.id, &username, metadata);
            Ok(Creation::Created(Box::new(Created {
                id: response.id,
                found,
                secret,
            })))
        }
        Err(error) if error.is_user_id_taken() => Ok(Creation::Clashed(Clash::UserId(user_id))),
        Err(error) if error.is_username_taken() => Ok(Creation::Clashed(Clash::Username(username))),
        Err(error) => Err(error.into()),
    }
}
