//! Condition types and reasons, in one place, as kstatus (Flux, Helm `--wait`) and Argo CD health
//! checks read them.
//!
//! `Ready` is always present. `Reconciling` and `Stalled` follow kstatus' "abnormal-true"
//! convention: present only while true, so a healthy object shows a single condition.

use jiff::Timestamp;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};

/// The object matches its spec in ZITADEL.
pub const READY: &str = "Ready";
/// Work is under way: creating, or retrying after a transient failure.
pub const RECONCILING: &str = "Reconciling";
/// Progress needs a person: a spec error, a conflict, a missing or foreign Secret.
pub const STALLED: &str = "Stalled";

/// What a reconcile's result means for the object: the condition it shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Health {
    /// `Ready=True`.
    Ready,
    /// `Ready=False`, `Reconciling=True`: the operator makes progress on its own.
    Reconciling,
    /// `Ready=False`, `Stalled=True`: progress needs a person (or a change outside Kubernetes).
    Stalled,
}

/// When a `User` is reconciled again after a result with a given reason.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retry {
    /// After the resync interval (±10 %): the steady state, and problems only a person fixes.
    /// Nothing waits for a spec change alone: an organization or a permission granted later
    /// heals without an edit.
    Resync,
    /// After the conflict retry interval (a minute): a person may resolve it outside Kubernetes.
    ConflictInterval,
    /// With per-object exponential backoff, never sooner than a server's `Retry-After`.
    Backoff,
}

macro_rules! reasons {
    ($($(#[doc = $doc:literal])+ $name:ident => $health:ident, $retry:ident;)+) => {
        /// Why a `User` is (not) ready: the condition and event reason. Each reason has one
        /// condition and one retry policy ([`Reason::health`], [`Reason::retry`]); the README's
        /// troubleshooting table is checked against [`Reason::ALL`].
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Reason {
            $($(#[doc = $doc])+ $name,)+
        }

        impl Reason {
            /// Every reason, in the order the README lists them.
            pub const ALL: &[Reason] = &[$(Reason::$name,)+];

            /// The reason as written into conditions and events.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Reason::$name => stringify!($name),)+
                }
            }

            /// The condition a result with this reason shows.
            pub fn health(self) -> Health {
                match self {
                    $(Reason::$name => Health::$health,)+
                }
            }

            /// When the `User` is reconciled again.
            pub fn retry(self) -> Retry {
                match self {
                    $(Reason::$name => Retry::$retry,)+
                }
            }
        }
    };
}

reasons! {
    /// The ZITADEL user matches the spec.
    Reconciled => Ready, Resync;
    /// A connection: its credential authenticates against its instance.
    Connected => Ready, Resync;
    /// The user is being created, or an existing holder of its username is not searchable yet.
    Creating => Reconciling, Backoff;
    /// ZITADEL did not answer, answered with a server error or with a body that is not a ZITADEL
    /// answer (a proxy's page); retrying with backoff.
    ZitadelUnavailable => Reconciling, Backoff;
    /// ZITADEL rate-limited the operator; retrying after the time it asked for.
    RateLimited => Reconciling, Backoff;
    /// ZITADEL no longer finds the user it just returned (deleted meanwhile); read again.
    ZitadelNotFound => Reconciling, Backoff;
    /// Reading or writing a Secret or the status failed; retried with backoff.
    KubernetesUnavailable => Reconciling, Backoff;
    /// Deleting (or releasing) the ZITADEL user failed; the resource stays until it succeeds.
    DeletionBlocked => Reconciling, Backoff;
    /// ZITADEL rejected the operator's credentials.
    ZitadelUnauthenticated => Stalled, Backoff;
    /// The operator's credentials lack a permission for this user or organization.
    PermissionDenied => Stalled, ConflictInterval;
    /// Another ZITADEL user already has this user id.
    UserIdTaken => Stalled, ConflictInterval;
    /// Another ZITADEL user already has this username.
    UsernameTaken => Stalled, ConflictInterval;
    /// A Secret with the name the operator writes to exists and is not owned by this resource.
    SecretConflict => Stalled, ConflictInterval;
    /// A Secret the spec names (`password.secretRef`, `totp.secretRef`) or its key does not exist.
    SecretRefMissing => Stalled, ConflictInterval;
    /// ZITADEL rejected the spec (invalid value, unknown organization, ...).
    InvalidSpec => Stalled, Resync;
    /// The existing user may not be adopted: adoption is off, or the user is in another
    /// organization, of the other type, or managed by another resource.
    AdoptionRefused => Stalled, Resync;
    /// The ZITADEL user was deleted outside the operator.
    UserDeletedInZitadel => Stalled, Resync;
    /// ZITADEL cannot move the user to `spec.state` yet (a user in state Initial cannot be
    /// deactivated).
    StateUnreachable => Stalled, Resync;
    /// The stored object cannot be read (it does not match the schema, or lacks a uid).
    InvalidObject => Stalled, Resync;
    /// The connection the `User` names (or the default one) does not exist.
    ConnectionNotFound => Stalled, Resync;
    /// The connection does not serve this namespace, organization or adoption.
    ConnectionRefused => Stalled, Resync;
    /// The connection's credential Secret is missing or unusable, or its settings do not parse.
    ConnectionNotReady => Stalled, ConflictInterval;
}

/// The readiness verdict of one reconcile: the input for the condition list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// Why.
    pub reason: Reason,
    /// What a person should know, never a credential.
    pub message: String,
}

impl Verdict {
    /// The ZITADEL user matches the spec.
    pub fn ready() -> Self {
        Self::new(Reason::Reconciled, "the ZITADEL user matches the spec")
    }

    /// A verdict for `reason`.
    pub fn new(reason: Reason, message: impl Into<String>) -> Self {
        Self {
            reason,
            message: message.into(),
        }
    }

    /// Whether the object is ready.
    pub fn is_ready(&self) -> bool {
        self.reason.health() == Health::Ready
    }
}

/// The conditions for `verdict` at `generation`. A condition whose status is unchanged keeps
/// its `lastTransitionTime` from `previous`, so an unchanged verdict yields an identical list
/// and no status write.
pub fn conditions_for(
    verdict: &Verdict,
    generation: Option<i64>,
    previous: &[Condition],
    now: Timestamp,
) -> Vec<Condition> {
    let make = |type_: &str, status: bool| {
        let status = if status { "True" } else { "False" };
        let since = previous
            .iter()
            .find(|c| c.type_ == type_ && c.status == status)
            .map(|c| c.last_transition_time.clone())
            .unwrap_or(Time(now));
        Condition {
            type_: type_.to_owned(),
            status: status.to_owned(),
            reason: verdict.reason.as_str().to_owned(),
            message: verdict.message.clone(),
            observed_generation: generation,
            last_transition_time: since,
        }
    };
    let mut conditions = vec![make(READY, verdict.is_ready())];
    match verdict.reason.health() {
        Health::Ready => {}
        Health::Reconciling => conditions.push(make(RECONCILING, true)),
        Health::Stalled => conditions.push(make(STALLED, true)),
    }
    conditions
}

/// The `Ready` condition in `conditions`, if any.
pub fn ready_condition(conditions: &[Condition]) -> Option<&Condition> {
    conditions.iter().find(|c| c.type_ == READY)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rows of the README's troubleshooting table: (reason, condition, retried).
    fn readme_reason_table() -> Vec<(String, String, String)> {
        let readme = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"));
        let section = readme
            .split("## Troubleshooting by condition reason")
            .nth(1)
            .expect("the README has a troubleshooting section");
        section
            .lines()
            .skip_while(|line| !line.starts_with("| Reason |"))
            .skip(2)
            .take_while(|line| line.starts_with('|'))
            .map(|line| {
                let cells: Vec<&str> = line.split('|').map(str::trim).collect();
                (
                    cells[1].trim_matches('`').to_owned(),
                    cells[2].to_owned(),
                    cells[3].to_owned(),
                )
            })
            .collect()
    }

    #[test]
    fn the_readme_troubleshooting_table_lists_every_reason_with_its_condition_and_retry() {
        let expected: Vec<(String, String, String)> = Reason::ALL
            .iter()
            .map(|reason| {
                let condition = match reason.health() {
                    Health::Ready => READY,
                    Health::Reconciling => RECONCILING,
                    Health::Stalled => STALLED,
                };
                let retried = match reason.retry() {
                    Retry::Resync => "every resync",
                    Retry::ConflictInterval => "every minute",
                    Retry::Backoff => "with backoff",
                };
                (
                    reason.as_str().to_owned(),
                    condition.to_owned(),
                    retried.to_owned(),
                )
            })
            .collect();
        assert_eq!(readme_reason_table(), expected);
    }

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_second(seconds).expect("valid timestamp")
    }

    #[test]
    fn a_ready_verdict_yields_only_a_true_ready_condition() {
        let conditions = conditions_for(&Verdict::ready(), Some(3), &[], at(10));
        assert_eq!(conditions.len(), 1);
        assert_eq!(conditions[0].type_, READY);
        assert_eq!(conditions[0].status, "True");
        assert_eq!(conditions[0].reason, "Reconciled");
        assert_eq!(conditions[0].observed_generation, Some(3));
    }

    #[test]
    fn a_transient_failure_is_reconciling_and_a_spec_error_is_stalled() {
        let transient = Verdict::new(Reason::ZitadelUnavailable, "timeout");
        let conditions = conditions_for(&transient, Some(1), &[], at(10));
        assert_eq!(conditions[1].type_, RECONCILING);
        assert_eq!(conditions[1].status, "True");

        let spec_error = Verdict::new(Reason::InvalidSpec, "bad email");
        let conditions = conditions_for(&spec_error, Some(1), &[], at(10));
        assert_eq!(conditions[0].status, "False");
        assert_eq!(conditions[1].type_, STALLED);
        assert_eq!(conditions[1].reason, "InvalidSpec");
    }

    #[test]
    fn an_unchanged_verdict_keeps_its_transition_time_so_the_list_is_identical() {
        let first = conditions_for(&Verdict::ready(), Some(1), &[], at(10));
        let second = conditions_for(&Verdict::ready(), Some(1), &first, at(99));
        assert_eq!(first, second);
    }

    #[test]
    fn a_status_flip_moves_the_transition_time() {
        let ready = conditions_for(&Verdict::ready(), Some(1), &[], at(10));
        let failing = Verdict::new(Reason::ZitadelUnavailable, "down");
        let now_failing = conditions_for(&failing, Some(1), &ready, at(20));
        assert_eq!(now_failing[0].last_transition_time, Time(at(20)));
    }
}
