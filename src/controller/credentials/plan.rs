//! Decide, machine credentials: which to issue, rotate, recreate and revoke. Pure.
//!
//! The rules that make every credential exist exactly once with its value in the Secret:
//! - a credential is *held* when the Secret's ledger names it; its value was written in the same
//!   request, so held means "someone can use it";
//! - before any Add call the ledger records the call as *pending*, with the expiration date it
//!   requests; a pending entry that survives (lost response, crash, failed Secret write) makes the
//!   next reconcile list the user's credentials, and every listed credential the ledger does not
//!   account for whose expiration date matches a pending one is an orphan of ours: revoked;
//! - a rotation issues the successor first, stores it, and revokes the predecessor only after the
//!   grace period; a credential that leaves the spec is revoked at once.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use super::super::convert::status_time;
use super::super::failure::Blocker;
use crate::crd::{
    CredentialKind, CredentialStatus, ExpiringCredentialSpec, MachineCredentialsSpec,
};
use crate::secrets::{HeldCredential, Ledger};

/// Grace period when the spec names none.
pub const DEFAULT_GRACE_PERIOD: SignedDuration = SignedDuration::from_hours(1);

/// The name a client secret goes by in the ledger and the status.
pub const CLIENT_SECRET_NAME: &str = "clientSecret";

/// A key or token as ListKeys / ListPersonalAccessTokens show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// Kind.
    pub kind: CredentialKind,
    /// ZITADEL's id.
    pub id: String,
    /// Its expiration date.
    pub expiration_date: Option<Timestamp>,
}

/// What the reconcile knows about the machine user's credentials.
#[derive(Debug)]
pub struct CredentialFacts<'a> {
    /// The ledger of the user's Secret.
    pub ledger: &'a Ledger,
    /// Whether the Secret exists (a deleted Secret took every value with it).
    pub secret_exists: bool,
    /// What the status last reported: the ids to revoke when the Secret is gone.
    pub reported: &'a [CredentialStatus],
    /// GetUserByID's `hasSecret`.
    pub has_client_secret: bool,
    /// The user's keys and tokens, when listed.
    pub listed: Option<&'a [Listed]>,
    /// The rotate annotation's value.
    pub rotate_for: Option<&'a str>,
    /// Now.
    pub now: Timestamp,
}

/// Why a credential is issued: the event says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueCause {
    /// Declared and not held yet.
    New,
    /// Due: close to its expiry.
    Expiring,
    /// The rotate annotation asked for it.
    Requested,
    /// Deleted in ZITADEL behind the operator's back.
    DeletedInZitadel,
    /// A previous call's answer was lost.
    Lost,
}

/// A credential to issue.
#[derive(Debug, Clone, PartialEq)]
pub struct Issue {
    /// Kind.
    pub kind: CredentialKind,
    /// Name in the spec.
    pub name: String,
    /// The expiration date to request (keys and tokens), whole seconds.
    pub expiration: Option<Timestamp>,
    /// What happens to the credential it replaces.
    pub predecessor: Predecessor,
    /// Why.
    pub cause: IssueCause,
}

/// What becomes of the credential an issue replaces.
#[derive(Debug, Clone, PartialEq)]
pub enum Predecessor {
    /// There is none, or it no longer works.
    None,
    /// It stays valid until `revoke_at`.
    Retire {
        /// When to revoke it.
        revoke_at: Timestamp,
    },
}

/// A credential to revoke.
#[derive(Debug, Clone, PartialEq)]
pub struct Revoke {
    /// Kind.
    pub kind: CredentialKind,
    /// Name in the spec (for the Secret key and the event).
    pub name: String,
    /// ZITADEL's id (none for the client secret).
    pub id: Option<String>,
    /// Whether its value is in the Secret (it leaves the Secret with it).
    pub held: bool,
    /// Why.
    pub cause: RevokeCause,
}

/// Why a credential is revoked: the event says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevokeCause {
    /// Made by a call whose answer was lost: nobody holds it.
    Orphan,
    /// The Secret that held it was deleted.
    SecretDeleted,
    /// Its successor's grace period is over.
    Rotated,
    /// The spec no longer declares it.
    Removed,
}

/// Everything to do about credentials in this reconcile.
#[derive(Debug, Default, PartialEq)]
pub struct CredentialPlan {
    /// Revocations, done first.
    pub revoke: Vec<Revoke>,
    /// Retiring credentials whose ledger entry is dropped because ZITADEL no longer lists them.
    pub forget_retiring: Vec<String>,
    /// Issues, done after the revocations.
    pub issue: Vec<Issue>,
    /// Clears the pending entries (a listing resolved them).
    pub clear_pending: bool,
    /// The next time something falls due.
    pub due_in: Option<Duration>,
}

impl CredentialPlan {
    /// Whether the plan changes nothing.
    pub fn is_noop(&self) -> bool {
        self.revoke.is_empty()
            && self.issue.is_empty()
            && self.forget_retiring.is_empty()
            && !self.clear_pending
    }
}

/// Whether the user's keys and tokens must be listed before planning: a call of ours may have
/// made one nobody holds, or the periodic check that nothing was deleted behind our back is due.
pub fn needs_listing(spec: &MachineCredentialsSpec, ledger: &Ledger, check_due: bool) -> bool {
    let expiring = |kind| kind != CredentialKind::ClientSecret;
    let pending = ledger.pending.iter().any(|p| expiring(p.kind));
    let any_declared = !spec.keys.is_empty() || !spec.personal_access_tokens.is_empty();
    let any_held = ledger.held.iter().any(|h| expiring(h.kind)) || !ledger.retiring.is_empty();
    pending || (check_due && (any_declared || any_held))
}

/// Plans the credentials of a machine user declaring `spec`.
pub fn plan_credentials(
    spec: &MachineCredentialsSpec,
    facts: &CredentialFacts<'_>,
) -> Result<CredentialPlan, Blocker> {
    let ledger = facts.ledger;
    let now = facts.now;
    let grace = spec
        .rotation_grace_period
        .as_deref()
        .map(|value| parse_duration("rotationGracePeriod", value))
        .transpose()?
        .unwrap_or(DEFAULT_GRACE_PERIOD);
    let mut plan = CredentialPlan::default();
    let mut due = Due::default();

    if !facts.secret_exists {
        // Whatever the status still names was held by a Secret that is gone: nobody can use it.
        plan.revoke.extend(
            facts
                .reported
                .iter()
                .filter(|c| c.kind != CredentialKind::ClientSecret && c.id.is_some())
                .map(|c| Revoke {
                    kind: c.kind,
                    name: c.name.clone(),
                    id: c.id.clone(),
                    held: false,
                    cause: RevokeCause::SecretDeleted,
                }),
        );
    }

    let mut deleted_in_zitadel: Vec<(CredentialKind, String)> = Vec::new();
    if let Some(listed) = facts.listed {
        let is_listed = |id: &str| listed.iter().any(|l| l.id == id);
        for orphan in listed.iter().filter(|l| {
            !ledger.accounts_for(&l.id)
                && ledger.pending.iter().any(|p| {
                    p.kind == l.kind && p.expiration.is_some() && p.expiration == l.expiration_date
                })
        }) {
            plan.revoke.push(Revoke {
                kind: orphan.kind,
                name: pending_name(ledger, orphan),
                id: Some(orphan.id.clone()),
                held: false,
                cause: RevokeCause::Orphan,
            });
        }
        plan.clear_pending = !ledger.pending.is_empty();
        for held in &ledger.held {
            if let Some(id) = &held.id
                && !is_listed(id)
            {
                deleted_in_zitadel.push((held.kind, held.name.clone()));
            }
        }
        plan.forget_retiring = ledger
            .retiring
            .iter()
            .filter(|r| !is_listed(&r.id))
            .map(|r| r.id.clone())
            .collect();
    }

    // Rotated-out credentials whose grace period is over.
    for retiring in &ledger.retiring {
        if plan.forget_retiring.contains(&retiring.id) {
            continue;
        }
        if retiring.revoke_at <= now {
            plan.revoke.push(Revoke {
                kind: retiring.kind,
                name: retiring.name.clone(),
                id: Some(retiring.id.clone()),
                held: false,
                cause: RevokeCause::Rotated,
            });
        } else {
            due.at(retiring.revoke_at, now);
        }
    }

    // Held credentials the spec no longer declares.
    for held in &ledger.held {
        if !declares(spec, held.kind, &held.name) {
            plan.revoke.push(Revoke {
                kind: held.kind,
                name: held.name.clone(),
                id: held.id.clone(),
                held: true,
                cause: RevokeCause::Removed,
            });
        }
    }

    // The client secret.
    if spec.client_secret.is_some() {
        let held = ledger.held(CredentialKind::ClientSecret, CLIENT_SECRET_NAME);
        let lost = ledger
            .pending
            .iter()
            .any(|p| p.kind == CredentialKind::ClientSecret);
        let cause = match held {
            _ if lost => Some(IssueCause::Lost),
            None => Some(IssueCause::New),
            Some(_) if !facts.has_client_secret => Some(IssueCause::DeletedInZitadel),
            Some(held) if rotation_requested(held, facts.rotate_for) => Some(IssueCause::Requested),
            Some(_) => None,
        };
        if let Some(cause) = cause {
            // AddSecret replaces the secret in ZITADEL: the predecessor stops working at once.
            plan.issue.push(Issue {
                kind: CredentialKind::ClientSecret,
                name: CLIENT_SECRET_NAME.to_owned(),
                expiration: None,
                predecessor: Predecessor::None,
                cause,
            });
        }
    }

    // Keys and tokens.
    let expiring = [
        (CredentialKind::Key, &spec.keys),
        (
            CredentialKind::PersonalAccessToken,
            &spec.personal_access_tokens,
        ),
    ];
    for (kind, declared) in expiring {
        for credential in declared {
            let lifetime = parse_duration("expiresAfter", &credential.expires_after)?;
            let rotate_before = rotate_before(credential, lifetime)?;
            let expiration = whole_seconds(now.saturating_add(lifetime).unwrap_or(now));
            let issue = |cause, predecessor| Issue {
                kind,
                name: credential.name.clone(),
                expiration: Some(expiration),
                predecessor,
                cause,
            };
            let Some(held) = ledger.held(kind, &credential.name) else {
                plan.issue.push(issue(IssueCause::New, Predecessor::None));
                continue;
            };
            if deleted_in_zitadel.contains(&(kind, credential.name.clone())) {
                plan.issue
                    .push(issue(IssueCause::DeletedInZitadel, Predecessor::None));
                continue;
            }
            let rotate_at = held
                .expires_at
                .map(|at| at.saturating_sub(rotate_before).unwrap_or(at));
            let cause = if rotation_requested(held, facts.rotate_for) {
                Some(IssueCause::Requested)
            } else if rotate_at.is_some_and(|at| at <= now) {
                Some(IssueCause::Expiring)
            } else {
                None
            };
            match cause {
                Some(cause) => {
                    let revoke_at = now.saturating_add(grace).unwrap_or(now);
                    let revoke_at = match held.expires_at {
                        Some(expires) => revoke_at.min(expires),
                        None => revoke_at,
                    };
                    plan.issue
                        .push(issue(cause, Predecessor::Retire { revoke_at }));
                    due.at(revoke_at, now);
                }
                None => {
                    if let Some(at) = rotate_at {
                        due.at(at, now);
                    }
                }
            }
        }
    }
    plan.due_in = due.0;
    Ok(plan)
}

/// The status entries for what `ledger` holds and retires.
pub fn credential_statuses(ledger: &Ledger) -> Vec<CredentialStatus> {
    let time = |t: Option<Timestamp>| t.map(status_time);
    let held = ledger.held.iter().map(|h| CredentialStatus {
        kind: h.kind,
        name: h.name.clone(),
        id: h.id.clone(),
        created_at: time(h.created_at),
        expires_at: time(h.expires_at),
        revoke_at: None,
    });
    let retiring = ledger.retiring.iter().map(|r| CredentialStatus {
        kind: r.kind,
        name: r.name.clone(),
        id: Some(r.id.clone()),
        created_at: None,
        expires_at: time(r.expires_at),
        revoke_at: time(Some(r.revoke_at)),
    });
    let mut statuses: Vec<_> = held.chain(retiring).collect();
    statuses.sort_by(|a, b| {
        (a.kind, &a.name, a.revoke_at.is_some()).cmp(&(b.kind, &b.name, b.revoke_at.is_some()))
    });
    statuses
}

/// The rotate-annotation value every held credential was issued under, once they all were.
pub fn rotated_for(ledger: &Ledger, rotate_for: Option<&str>) -> Option<String> {
    let value = rotate_for?;
    ledger
        .held
        .iter()
        .all(|h| h.rotated_for.as_deref() == Some(value))
        .then(|| value.to_owned())
}

fn rotation_requested(held: &HeldCredential, rotate_for: Option<&str>) -> bool {
    rotate_for.is_some_and(|value| held.rotated_for.as_deref() != Some(value))
}

fn declares(spec: &MachineCredentialsSpec, kind: CredentialKind, name: &str) -> bool {
    match kind {
        CredentialKind::ClientSecret => spec.client_secret.is_some(),
        CredentialKind::Key => spec.keys.iter().any(|k| k.name == name),
        CredentialKind::PersonalAccessToken => {
            spec.personal_access_tokens.iter().any(|p| p.name == name)
        }
    }
}

fn pending_name(ledger: &Ledger, listed: &Listed) -> String {
    ledger
        .pending
        .iter()
        .find(|p| p.kind == listed.kind && p.expiration == listed.expiration_date)
        .map(|p| p.name.clone())
        .unwrap_or_default()
}

fn rotate_before(
    credential: &ExpiringCredentialSpec,
    lifetime: SignedDuration,
) -> Result<SignedDuration, Blocker> {
    match &credential.rotate_before {
        Some(value) => parse_duration("rotateBefore", value),
        None => Ok(lifetime / 10),
    }
}

/// Parses a duration of `field`, as the CRD's pattern admits it.
pub fn parse_duration(field: &'static str, value: &str) -> Result<SignedDuration, Blocker> {
    crate::crd::parse_duration(value)
        .and_then(|d| SignedDuration::try_from(d).ok())
        .ok_or_else(|| Blocker::InvalidDuration {
            field,
            value: value.to_owned(),
        })
}

/// ZITADEL stores expiration dates with microsecond precision; whole seconds compare equal on
/// every server, which makes the requested date a reliable fingerprint.
fn whole_seconds(at: Timestamp) -> Timestamp {
    Timestamp::from_second(at.as_second()).unwrap_or(at)
}

/// The earliest of the times something falls due, as a delay from now.
#[derive(Default)]
struct Due(Option<Duration>);

impl Due {
    fn at(&mut self, at: Timestamp, now: Timestamp) {
        let delay = Duration::try_from(at.duration_since(now)).unwrap_or_default();
        self.0 = Some(self.0.map_or(delay, |d| d.min(delay)));
    }
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
