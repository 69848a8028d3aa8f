use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use super::*;
use crate::crd::ClientSecretSpec;
use crate::fixtures::expiring;
use crate::secrets::{PendingCredential, RetiringCredential};

const NOW: i64 = 1_800_000_000;
const HOUR: i64 = 3600;

fn at(second: i64) -> Timestamp {
    Timestamp::from_second(second).unwrap()
}

fn spec() -> MachineCredentialsSpec {
    MachineCredentialsSpec::default()
}

fn with_pat(mut spec: MachineCredentialsSpec, name: &str) -> MachineCredentialsSpec {
    spec.personal_access_tokens
        .push(expiring(name, "10h", Some("1h")));
    spec
}

fn held(kind: CredentialKind, name: &str, id: &str, expires_at: i64) -> HeldCredential {
    HeldCredential {
        kind,
        name: name.to_owned(),
        id: Some(id.to_owned()),
        created_at: None,
        expires_at: Some(at(expires_at)),
        rotated_for: None,
    }
}

fn listed(kind: CredentialKind, id: &str, expires_at: i64) -> Listed {
    Listed {
        kind,
        id: id.to_owned(),
        expiration_date: Some(at(expires_at)),
    }
}

/// The facts of a machine user whose Secret holds `ledger`, nothing listed, no annotation.
struct Facts {
    ledger: Ledger,
    secret_exists: bool,
    reported: Vec<CredentialStatus>,
    has_client_secret: bool,
    listed: Option<Vec<Listed>>,
    rotate_for: Option<String>,
}

impl Facts {
    fn with(ledger: Ledger) -> Self {
        Self {
            ledger,
            secret_exists: true,
            reported: Vec::new(),
            has_client_secret: true,
            listed: None,
            rotate_for: None,
        }
    }

    fn plan(&self, spec: &MachineCredentialsSpec) -> Result<CredentialPlan, Blocker> {
        plan_credentials(
            spec,
            &CredentialFacts {
                ledger: &self.ledger,
                secret_exists: self.secret_exists,
                reported: &self.reported,
                has_client_secret: self.has_client_secret,
                listed: self.listed.as_deref(),
                rotate_for: self.rotate_for.as_deref(),
                now: at(NOW),
            },
        )
    }
}

fn ledger_holding(credentials: Vec<HeldCredential>) -> Ledger {
    Ledger {
        held: credentials,
        ..Ledger::default()
    }
}

fn causes(plan: &CredentialPlan) -> Vec<(&str, IssueCause)> {
    plan.issue
        .iter()
        .map(|i| (i.name.as_str(), i.cause))
        .collect()
}

#[test]
fn declared_credentials_are_issued_expiring_after_their_lifetime_in_whole_seconds() {
    let mut spec = with_pat(spec(), "ci");
    spec.keys.push(expiring("default", "8760h", None));
    spec.client_secret = Some(ClientSecretSpec {});
    let plan = Facts::with(Ledger::default()).plan(&spec).unwrap();
    assert_eq!(
        causes(&plan),
        [
            ("clientSecret", IssueCause::New),
            ("default", IssueCause::New),
            ("ci", IssueCause::New)
        ]
    );
    assert_eq!(plan.issue[0].expiration, None);
    assert_eq!(plan.issue[1].expiration, Some(at(NOW + 8760 * HOUR)));
    assert_eq!(plan.issue[2].expiration, Some(at(NOW + 10 * HOUR)));
    assert!(plan.revoke.is_empty());
}

#[test]
fn a_held_credential_far_from_expiry_is_left_alone_until_its_rotation_time() {
    let ledger = ledger_holding(vec![held(
        CredentialKind::PersonalAccessToken,
        "ci",
        "p1",
        NOW + 5 * HOUR,
    )]);
    let plan = Facts::with(ledger).plan(&with_pat(spec(), "ci")).unwrap();
    assert!(plan.is_noop());
    assert_eq!(plan.due_in, Some(Duration::from_secs(4 * HOUR as u64)));
}

#[test]
fn a_credential_within_rotate_before_of_expiry_gets_a_successor_and_retires_after_the_grace_period()
{
    let ledger = ledger_holding(vec![held(
        CredentialKind::PersonalAccessToken,
        "ci",
        "p1",
        NOW + 1800,
    )]);
    let mut spec = with_pat(spec(), "ci");
    spec.rotation_grace_period = Some("10m".to_owned());
    let plan = Facts::with(ledger).plan(&spec).unwrap();
    assert_eq!(causes(&plan), [("ci", IssueCause::Expiring)]);
    assert_eq!(
        plan.issue[0].predecessor,
        Predecessor::Retire {
            revoke_at: at(NOW + 600)
        }
    );
    assert_eq!(plan.due_in, Some(Duration::from_secs(600)));
}

#[test]
fn a_grace_period_never_outlives_the_predecessors_expiry() {
    let ledger = ledger_holding(vec![held(
        CredentialKind::PersonalAccessToken,
        "ci",
        "p1",
        NOW + 60,
    )]);
    let plan = Facts::with(ledger).plan(&with_pat(spec(), "ci")).unwrap();
    assert_eq!(
        plan.issue[0].predecessor,
        Predecessor::Retire {
            revoke_at: at(NOW + 60)
        }
    );
}

#[test]
fn a_new_rotate_annotation_value_rotates_every_credential_once() {
    let mut ledger = ledger_holding(vec![
        held(
            CredentialKind::PersonalAccessToken,
            "ci",
            "p1",
            NOW + 5 * HOUR,
        ),
        held(
            CredentialKind::PersonalAccessToken,
            "deploy",
            "p2",
            NOW + 5 * HOUR,
        ),
    ]);
    ledger.held[1].rotated_for = Some("2026-12-01".to_owned());
    let mut facts = Facts::with(ledger);
    facts.rotate_for = Some("2026-12-01".to_owned());
    let spec = with_pat(with_pat(spec(), "ci"), "deploy");
    let plan = facts.plan(&spec).unwrap();
    assert_eq!(causes(&plan), [("ci", IssueCause::Requested)]);
    assert_eq!(rotated_for(&facts.ledger, Some("2026-12-01")), None);
    facts.ledger.held[0].rotated_for = Some("2026-12-01".to_owned());
    assert_eq!(
        rotated_for(&facts.ledger, Some("2026-12-01")).as_deref(),
        Some("2026-12-01")
    );
}

#[test]
fn a_credential_removed_from_the_spec_is_revoked_at_once_and_leaves_the_secret() {
    let ledger = ledger_holding(vec![held(CredentialKind::Key, "old", "k1", NOW + 5 * HOUR)]);
    let plan = Facts::with(ledger).plan(&spec()).unwrap();
    assert_eq!(
        plan.revoke,
        [Revoke {
            kind: CredentialKind::Key,
            name: "old".to_owned(),
            id: Some("k1".to_owned()),
            held: true,
            cause: RevokeCause::Removed,
        }]
    );
}

#[test]
fn a_retired_credential_is_revoked_when_its_grace_period_is_over() {
    let retiring = |id: &str, revoke_at| RetiringCredential {
        kind: CredentialKind::Key,
        name: "default".to_owned(),
        id: id.to_owned(),
        expires_at: None,
        revoke_at: at(revoke_at),
    };
    let ledger = Ledger {
        retiring: vec![retiring("k-over", NOW - 1), retiring("k-later", NOW + 90)],
        ..Ledger::default()
    };
    let plan = Facts::with(ledger).plan(&spec()).unwrap();
    let revoked: Vec<_> = plan
        .revoke
        .iter()
        .map(|r| (r.id.as_deref(), r.cause))
        .collect();
    assert_eq!(revoked, [(Some("k-over"), RevokeCause::Rotated)]);
    assert_eq!(plan.due_in, Some(Duration::from_secs(90)));
}

#[test]
fn after_a_lost_answer_the_listing_revokes_only_unheld_credentials_with_the_pending_expiration() {
    let pending_expiry = NOW + 10 * HOUR;
    let ledger = Ledger {
        held: vec![held(
            CredentialKind::PersonalAccessToken,
            "other",
            "p-held",
            pending_expiry,
        )],
        pending: vec![PendingCredential {
            kind: CredentialKind::PersonalAccessToken,
            name: "ci".to_owned(),
            expiration: Some(at(pending_expiry)),
        }],
        ..Ledger::default()
    };
    let mut facts = Facts::with(ledger);
    facts.listed = Some(vec![
        listed(
            CredentialKind::PersonalAccessToken,
            "p-orphan",
            pending_expiry,
        ),
        listed(
            CredentialKind::PersonalAccessToken,
            "p-held",
            pending_expiry,
        ),
        listed(
            CredentialKind::PersonalAccessToken,
            "p-someone-elses",
            NOW + 99 * HOUR,
        ),
        listed(
            CredentialKind::Key,
            "k-same-date-other-kind",
            pending_expiry,
        ),
    ]);
    let plan = facts
        .plan(&with_pat(with_pat(spec(), "ci"), "other"))
        .unwrap();
    let revoked: Vec<_> = plan
        .revoke
        .iter()
        .map(|r| (r.id.as_deref(), r.cause))
        .collect();
    assert_eq!(revoked, [(Some("p-orphan"), RevokeCause::Orphan)]);
    assert!(plan.clear_pending);
    assert_eq!(causes(&plan), [("ci", IssueCause::New)]);
}

#[test]
fn a_listing_is_needed_only_for_pending_calls_or_a_due_check() {
    let declared = with_pat(spec(), "ci");
    assert!(!needs_listing(&declared, &Ledger::default(), false));
    assert!(needs_listing(&declared, &Ledger::default(), true));
    assert!(!needs_listing(&spec(), &Ledger::default(), true));
    let pending = Ledger {
        pending: vec![PendingCredential {
            kind: CredentialKind::Key,
            name: "default".to_owned(),
            expiration: Some(at(NOW)),
        }],
        ..Ledger::default()
    };
    assert!(needs_listing(&spec(), &pending, false));
    let secret_pending = Ledger {
        pending: vec![PendingCredential {
            kind: CredentialKind::ClientSecret,
            name: CLIENT_SECRET_NAME.to_owned(),
            expiration: None,
        }],
        ..Ledger::default()
    };
    assert!(
        !needs_listing(&spec(), &secret_pending, false),
        "a lost AddSecret is healed by calling it again, no listing"
    );
}

#[test]
fn a_held_key_missing_from_the_listing_was_deleted_in_zitadel_and_is_recreated() {
    let ledger = ledger_holding(vec![held(
        CredentialKind::Key,
        "default",
        "k1",
        NOW + 5 * HOUR,
    )]);
    let mut facts = Facts::with(ledger);
    facts.listed = Some(Vec::new());
    let mut spec = spec();
    spec.keys.push(expiring("default", "10h", None));
    let plan = facts.plan(&spec).unwrap();
    assert_eq!(causes(&plan), [("default", IssueCause::DeletedInZitadel)]);
    assert_eq!(plan.issue[0].predecessor, Predecessor::None);
}

#[test]
fn the_client_secret_is_issued_again_after_a_lost_answer_or_when_zitadel_lost_it() {
    let mut spec = spec();
    spec.client_secret = Some(ClientSecretSpec {});
    let holding = || {
        let mut secret = held(CredentialKind::ClientSecret, CLIENT_SECRET_NAME, "", 0);
        secret.id = None;
        secret.expires_at = None;
        ledger_holding(vec![secret])
    };
    assert!(Facts::with(holding()).plan(&spec).unwrap().is_noop());

    let mut lost = Facts::with(holding());
    lost.ledger.pending.push(PendingCredential {
        kind: CredentialKind::ClientSecret,
        name: CLIENT_SECRET_NAME.to_owned(),
        expiration: None,
    });
    assert_eq!(
        causes(&lost.plan(&spec).unwrap()),
        [(CLIENT_SECRET_NAME, IssueCause::Lost)]
    );

    let mut removed = Facts::with(holding());
    removed.has_client_secret = false;
    assert_eq!(
        causes(&removed.plan(&spec).unwrap()),
        [(CLIENT_SECRET_NAME, IssueCause::DeletedInZitadel)]
    );
}

#[test]
fn when_the_secret_was_deleted_the_credentials_it_held_are_revoked_and_issued_anew() {
    let mut facts = Facts::with(Ledger::default());
    facts.secret_exists = false;
    facts.reported = vec![CredentialStatus {
        kind: CredentialKind::PersonalAccessToken,
        name: "ci".to_owned(),
        id: Some("p1".to_owned()),
        created_at: None,
        expires_at: None,
        revoke_at: None,
    }];
    let plan = facts.plan(&with_pat(spec(), "ci")).unwrap();
    let revoked: Vec<_> = plan
        .revoke
        .iter()
        .map(|r| (r.id.as_deref(), r.cause))
        .collect();
    assert_eq!(revoked, [(Some("p1"), RevokeCause::SecretDeleted)]);
    assert_eq!(causes(&plan), [("ci", IssueCause::New)]);
}

#[test]
fn an_unparsable_duration_is_reported_not_guessed() {
    let mut spec = spec();
    spec.keys.push(expiring("default", "a year", None));
    let blocked = Facts::with(Ledger::default()).plan(&spec);
    assert!(matches!(
        blocked,
        Err(Blocker::InvalidDuration {
            field: "expiresAfter",
            ..
        })
    ));
}

#[test]
fn go_durations_the_crd_admits_parse() {
    for (value, expected) in [
        ("8760h", SignedDuration::from_hours(8760)),
        ("1h30m", SignedDuration::from_mins(90)),
        ("90s", SignedDuration::from_secs(90)),
        ("1.5h", SignedDuration::from_mins(90)),
        ("500ms", SignedDuration::from_millis(500)),
    ] {
        assert_eq!(parse_duration("f", value), Ok(expected), "{value}");
    }
}

#[test]
fn statuses_list_held_credentials_and_retiring_ones_with_their_revocation_time() {
    let ledger = Ledger {
        held: vec![held(CredentialKind::Key, "default", "k2", NOW + HOUR)],
        retiring: vec![RetiringCredential {
            kind: CredentialKind::Key,
            name: "default".to_owned(),
            id: "k1".to_owned(),
            expires_at: Some(at(NOW + 60)),
            revoke_at: at(NOW + 30),
        }],
        ..Ledger::default()
    };
    let statuses = credential_statuses(&ledger);
    let ids: Vec<_> = statuses
        .iter()
        .map(|s| (s.id.as_deref(), s.revoke_at.is_some()))
        .collect();
    assert_eq!(ids, [(Some("k2"), false), (Some("k1"), true)]);
}
