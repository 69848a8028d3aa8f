//! Act, machine credentials: carry out a [`CredentialPlan`]. Decides nothing; it keeps the
//! ledger in step with every call, so a crash anywhere leaves a record the next plan can heal:
//! - revocations first; a credential already gone counts as revoked;
//! - before the Add calls, one Secret write records them as pending;
//! - after them, one Secret write stores every value with its id and clears its pending entry;
//! - if that write fails, the credentials just made are revoked on the spot (best effort: the
//!   pending entries stay, so a later listing finds any that survived).

use jiff::Timestamp;

use super::plan::{CredentialPlan, Issue, IssueCause, Predecessor, Revoke, RevokeCause};
use crate::controller::failure::Failure;
use crate::controller::progress::Note;
use crate::crd::{CredentialKind, User};
use crate::secrets::{
    CLIENT_ID_KEY, CLIENT_SECRET_KEY, HeldCredential, Ledger, PendingCredential,
    RetiringCredential, SecretChange, SecretState, Secrets, key_file_key, token_key,
};
use crate::sensitive::Sensitive;
use crate::zitadel::types::{AddKeyRequest, AddPatRequest};
use crate::zitadel::{self, ZitadelClient};

/// Where the credentials of one machine user live.
pub struct Target<'a> {
    /// ZITADEL.
    pub zitadel: &'a ZitadelClient,
    /// The namespace's Secrets.
    pub secrets: &'a Secrets,
    /// The `User`.
    pub user: &'a User,
    /// The ZITADEL user id.
    pub user_id: &'a str,
    /// The username: the client id beside a client secret.
    pub username: &'a str,
    /// The rotate annotation's value, recorded on every credential issued.
    pub rotate_for: Option<&'a str>,
}

/// Carries out `plan`; returns the Secret and its ledger afterwards. Events go to `notes`.
pub async fn apply(
    target: &Target<'_>,
    plan: CredentialPlan,
    mut secret: SecretState,
    mut ledger: Ledger,
    notes: &mut Vec<Note>,
) -> Result<(SecretState, Ledger), Failure> {
    if !plan.revoke.is_empty() || !plan.forget_retiring.is_empty() || plan.clear_pending {
        let mut change = SecretChange::default();
        for revoke in &plan.revoke {
            revoke_one(target, revoke).await?;
            notes.push(revoked_note(revoke));
            forget(&mut ledger, revoke, &mut change);
        }
        ledger
            .retiring
            .retain(|r| !plan.forget_retiring.contains(&r.id));
        if plan.clear_pending {
            ledger.pending.clear();
        }
        change.ledger = Some(ledger.clone());
        secret = target.secrets.write(target.user, secret, &change).await?;
    }
    if plan.issue.is_empty() {
        return Ok((secret, ledger));
    }

    ledger
        .pending
        .extend(plan.issue.iter().map(|issue| PendingCredential {
            kind: issue.kind,
            name: issue.name.clone(),
            expiration: issue.expiration,
        }));
    let recorded = SecretChange::default().with_ledger(ledger.clone());
    secret = target.secrets.write(target.user, secret, &recorded).await?;

    let mut change = SecretChange::default();
    let mut issued = Vec::new();
    let mut failed = None;
    for issue in &plan.issue {
        match issue_one(target, issue).await {
            Ok(made) => {
                change.set.extend(made.values.clone());
                record(&mut ledger, issue, &made, target.rotate_for);
                issued.push((issue, made));
            }
            Err(error) => {
                failed = Some(error);
                break;
            }
        }
    }
    if !issued.is_empty() {
        change.ledger = Some(ledger.clone());
        match target.secrets.write(target.user, secret, &change).await {
            Ok(written) => secret = written,
            Err(error) => {
                for (issue, made) in &issued {
                    if let Err(revoke_error) = remove(target, issue.kind, made.id.as_deref()).await
                    {
                        tracing::warn!(error = %revoke_error, credential = %issue.name, "could not revoke a credential whose value was not stored; a later reconcile finds it");
                    }
                }
                return Err(error.into());
            }
        }
        notes.extend(issued.iter().map(|(issue, made)| issued_note(issue, made)));
    }
    match failed {
        Some(error) => Err(error.into()),
        None => Ok((secret, ledger)),
    }
}

/// A credential ZITADEL made, with the Secret entries that hold it.
#[derive(Clone)]
struct Made {
    id: Option<String>,
    created_at: Option<Timestamp>,
    values: Vec<(String, Sensitive<String>)>,
}

async fn issue_one(target: &Target<'_>, issue: &Issue) -> Result<Made, zitadel::Error> {
    let zitadel = target.zitadel;
    let expiration = issue.expiration.unwrap_or_else(Timestamp::now);
    match issue.kind {
        CredentialKind::ClientSecret => {
            let response = zitadel.add_secret(target.user_id).await?;
            Ok(Made {
                id: None,
                created_at: response.creation_date,
                values: vec![
                    (
                        CLIENT_ID_KEY.to_owned(),
                        Sensitive::new(target.username.to_owned()),
                    ),
                    (CLIENT_SECRET_KEY.to_owned(), response.client_secret),
                ],
            })
        }
        CredentialKind::Key => {
            let request = AddKeyRequest {
                expiration_date: expiration,
                public_key: None,
            };
            let response = zitadel.add_key(target.user_id, &request).await?;
            // The key file is JSON, so UTF-8; lossy only guards against a broken server.
            let file = String::from_utf8_lossy(response.key_content.expose()).into_owned();
            Ok(Made {
                id: Some(response.key_id),
                created_at: response.creation_date,
                values: vec![(key_file_key(&issue.name), Sensitive::new(file))],
            })
        }
        CredentialKind::PersonalAccessToken => {
            let request = AddPatRequest {
                expiration_date: expiration,
            };
            let response = zitadel
                .add_personal_access_token(target.user_id, &request)
                .await?;
            Ok(Made {
                id: Some(response.token_id),
                created_at: response.creation_date,
                values: vec![(token_key(&issue.name), response.token)],
            })
        }
    }
}

async fn revoke_one(target: &Target<'_>, revoke: &Revoke) -> Result<(), zitadel::Error> {
    match remove(target, revoke.kind, revoke.id.as_deref()).await {
        // Gone already (deleted by someone, or by an earlier attempt whose answer was lost).
        Err(error) if error.is_not_found() => Ok(()),
        other => other,
    }
}

async fn remove(
    target: &Target<'_>,
    kind: CredentialKind,
    id: Option<&str>,
) -> Result<(), zitadel::Error> {
    let (zitadel, user_id) = (target.zitadel, target.user_id);
    match (kind, id) {
        (CredentialKind::ClientSecret, _) => zitadel.remove_secret(user_id).await,
        (CredentialKind::Key, Some(id)) => zitadel.remove_key(user_id, id).await,
        (CredentialKind::PersonalAccessToken, Some(id)) => {
            zitadel.remove_personal_access_token(user_id, id).await
        }
        // Keys and tokens always have an id; the ledger records none only for client secrets.
        (_, None) => Ok(()),
    }
}

/// Drops a revoked credential from the ledger, and its value from the Secret if it was held.
fn forget(ledger: &mut Ledger, revoke: &Revoke, change: &mut SecretChange) {
    if revoke.held {
        ledger
            .held
            .retain(|h| !(h.kind == revoke.kind && h.name == revoke.name));
        change.remove.extend(secret_keys(revoke.kind, &revoke.name));
    }
    if let Some(id) = &revoke.id {
        ledger.retiring.retain(|r| &r.id != id);
    }
}

/// Records a credential just made as held; its predecessor retires or is dropped.
fn record(ledger: &mut Ledger, issue: &Issue, made: &Made, rotate_for: Option<&str>) {
    let same = |kind: CredentialKind, name: &str| kind == issue.kind && name == issue.name;
    if let Some(position) = ledger.held.iter().position(|h| same(h.kind, &h.name)) {
        let predecessor = ledger.held.remove(position);
        if let (Predecessor::Retire { revoke_at }, Some(id)) = (&issue.predecessor, predecessor.id)
        {
            ledger.retiring.push(RetiringCredential {
                kind: issue.kind,
                name: issue.name.clone(),
                id,
                expires_at: predecessor.expires_at,
                revoke_at: *revoke_at,
            });
        }
    }
    ledger.held.push(HeldCredential {
        kind: issue.kind,
        name: issue.name.clone(),
        id: made.id.clone(),
        created_at: made.created_at,
        expires_at: issue.expiration,
        rotated_for: rotate_for.map(str::to_owned),
    });
    ledger.pending.retain(|p| !same(p.kind, &p.name));
}

/// The Secret keys that hold the credential `kind`/`name`.
fn secret_keys(kind: CredentialKind, name: &str) -> Vec<String> {
    match kind {
        CredentialKind::ClientSecret => {
            vec![CLIENT_ID_KEY.to_owned(), CLIENT_SECRET_KEY.to_owned()]
        }
        CredentialKind::Key => vec![key_file_key(name)],
        CredentialKind::PersonalAccessToken => vec![token_key(name)],
    }
}

fn describe(kind: CredentialKind, name: &str, id: Option<&str>) -> String {
    let what = match kind {
        CredentialKind::ClientSecret => return "the client secret".to_owned(),
        CredentialKind::Key => "key",
        CredentialKind::PersonalAccessToken => "personal access token",
    };
    match id {
        Some(id) => format!("{what} {name} ({id})"),
        None => format!("{what} {name}"),
    }
}

fn issued_note(issue: &Issue, made: &Made) -> Note {
    let what = describe(issue.kind, &issue.name, made.id.as_deref());
    let why = match issue.cause {
        IssueCause::New => "issued",
        IssueCause::Expiring => "rotated before it expires",
        IssueCause::Requested => "rotated as the rotate annotation asked",
        IssueCause::Lost => "issued again after an answer from ZITADEL was lost",
        IssueCause::DeletedInZitadel => {
            return Note::warning(
                "CredentialRecreated",
                format!(
                    "{what} was recreated: its predecessor was deleted in ZITADEL outside the operator"
                ),
            );
        }
    };
    let mut text = format!("{what} {why}; its value is in the Secret");
    if let Some(expiration) = issue.expiration {
        text.push_str(&format!(", valid until {expiration}"));
    }
    if let Predecessor::Retire { revoke_at } = issue.predecessor {
        text.push_str(&format!("; its predecessor is revoked at {revoke_at}"));
    }
    Note::normal(
        match issue.cause {
            IssueCause::Expiring | IssueCause::Requested => "CredentialRotated",
            _ => "CredentialIssued",
        },
        text,
    )
}

fn revoked_note(revoke: &Revoke) -> Note {
    let what = describe(revoke.kind, &revoke.name, revoke.id.as_deref());
    let why = match revoke.cause {
        RevokeCause::Orphan => "it was made by a call whose answer was lost, so nobody holds it",
        RevokeCause::SecretDeleted => "the Secret that held it was deleted",
        RevokeCause::Rotated => "its successor's grace period is over",
        RevokeCause::Removed => "the spec no longer declares it",
    };
    Note::normal("CredentialRevoked", format!("revoked {what}: {why}"))
}
