//! The planner's rules, one behaviour per test.

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::api::ObjectMeta;

use super::*;
use crate::controller::test_fixtures::{human, machine, zitadel_user_for};
use crate::crd::{EmailVerification, PasswordSpec, PhoneSpec, SecretKeySelector, UserStatus};

fn found(user: &User, zitadel_user: wire::User) -> Observed {
    let mut metadata: BTreeMap<String, Vec<u8>> = user
        .spec
        .metadata
        .iter()
        .map(|(k, v)| (k.clone(), v.clone().into_bytes()))
        .collect();
    metadata.insert(
        OWNER_METADATA_KEY.to_owned(),
        user.uid().unwrap_or_default().into_bytes(),
    );
    Observed {
        zitadel: ZitadelSide::Found(Box::new(FoundUser {
            user: zitadel_user,
            metadata,
        })),
        secret: SecretState::Absent,
    }
}

/// `user` as it stands after a successful create: status names `id`, ZITADEL matches the spec.
fn in_sync(mut user: User, id: &str) -> (User, Observed) {
    user.status = Some(UserStatus {
        user_id: Some(id.to_owned()),
        ..UserStatus::default()
    });
    let observed = found(&user, zitadel_user_for(&user, id));
    (user, observed)
}

fn not_created() -> Observed {
    Observed {
        zitadel: ZitadelSide::NotCreated,
        secret: SecretState::Absent,
    }
}

fn foreign_secret() -> SecretState {
    SecretState::classify(Some(Secret::default()), "uid-alice")
}

fn owned_secret_with(key: &str) -> SecretState {
    let secret = Secret {
        metadata: ObjectMeta {
            owner_references: Some(vec![OwnerReference {
                uid: "uid-alice".to_owned(),
                controller: Some(true),
                ..OwnerReference::default()
            }]),
            ..ObjectMeta::default()
        },
        data: Some(BTreeMap::from([(
            key.to_owned(),
            ByteString(b"CODE42".to_vec()),
        )])),
        ..Secret::default()
    };
    SecretState::classify(Some(secret), "uid-alice")
}

fn sync_of(plan: Plan) -> SyncPlan {
    match plan {
        Plan::Sync(sync) => *sync,
        other => panic!("expected a sync plan, got {other:?}"),
    }
}

fn create_of(plan: Plan) -> CreatePlan {
    match plan {
        Plan::Create(create) => *create,
        other => panic!("expected a create plan, got {other:?}"),
    }
}

fn blocked_reason(plan: Plan) -> Reason {
    match plan {
        Plan::Blocked(verdict) => verdict.reason,
        other => panic!("expected a blocked plan, got {other:?}"),
    }
}

fn human_update(sync: &SyncPlan) -> &wire::UpdateHuman {
    match sync.update.as_ref().and_then(|u| u.user_type.as_ref()) {
        Some(wire::UpdateUserType::Human(human)) => human,
        other => panic!("expected a human update, got {other:?}"),
    }
}

#[test]
fn a_new_user_is_created_with_the_resource_uid_as_user_id_and_an_owner_marker() {
    let create = create_of(decide(&human("alice"), &not_created()));
    assert_eq!(create.request.user_id.as_deref(), Some("uid-alice"));
    assert_eq!(create.request.organization_id, "org-1");
    let marker = create
        .request
        .metadata
        .iter()
        .find(|m| m.key == OWNER_METADATA_KEY);
    assert_eq!(
        marker.map(|m| m.value.as_slice()),
        Some(b"uid-alice".as_slice())
    );
    assert_eq!(create.password, PasswordSource::None);
}

#[test]
fn an_explicit_user_id_is_used_for_creation() {
    let mut user = human("alice");
    user.spec.user_id = Some("alice".to_owned());
    assert_eq!(
        create_of(decide(&user, &not_created()))
            .request
            .user_id
            .as_deref(),
        Some("alice")
    );
}

#[test]
fn a_machine_is_created_with_its_token_type() {
    let create = create_of(decide(&machine("bot"), &not_created()));
    match create.request.user_type {
        wire::CreateUserType::Machine(machine) => {
            assert_eq!(machine.name, "CI bot");
            assert_eq!(
                machine.access_token_type,
                Some(wire::AccessTokenType::Bearer)
            );
        }
        other => panic!("expected a machine, got {other:?}"),
    }
}

#[test]
fn the_password_source_follows_the_spec() {
    let mut user = human("alice");
    let human_spec = user.spec.human.as_mut().expect("human");
    human_spec.password = Some(PasswordSpec {
        secret_ref: None,
        generate: Some(true),
        hashed: false,
        change_required: true,
    });
    let create = create_of(decide(&user, &not_created()));
    assert_eq!(
        create.password,
        PasswordSource::Generate {
            change_required: true
        }
    );

    let human_spec = user.spec.human.as_mut().expect("human");
    human_spec.password = Some(PasswordSpec {
        secret_ref: Some(SecretKeySelector {
            name: "init".to_owned(),
            key: "hash".to_owned(),
        }),
        generate: None,
        hashed: true,
        change_required: false,
    });
    let create = create_of(decide(&user, &not_created()));
    assert_eq!(
        create.password,
        PasswordSource::FromSecret {
            name: "init".to_owned(),
            key: "hash".to_owned(),
            hashed: true,
            change_required: false
        }
    );
}

#[test]
fn nothing_is_created_while_the_secret_for_its_codes_belongs_to_someone_else() {
    let mut user = human("alice");
    user.spec.human.as_mut().expect("human").email.verification = EmailVerification::ReturnCode;
    let observed = Observed {
        zitadel: ZitadelSide::NotCreated,
        secret: foreign_secret(),
    };
    assert_eq!(
        blocked_reason(decide(&user, &observed)),
        Reason::SecretConflict
    );
}

#[test]
fn a_foreign_secret_does_not_block_a_user_that_stores_nothing() {
    let observed = Observed {
        zitadel: ZitadelSide::NotCreated,
        secret: foreign_secret(),
    };
    create_of(decide(&human("alice"), &observed));
}

#[test]
fn a_user_that_matches_its_spec_needs_no_writes() {
    let (user, observed) = in_sync(human("alice"), "42");
    let sync = sync_of(decide(&user, &observed));
    assert!(sync.is_noop(), "{sync:?}");
    let (user, observed) = in_sync(machine("bot"), "43");
    assert!(sync_of(decide(&user, &observed)).is_noop());
}

#[test]
fn a_changed_given_name_updates_only_that_profile_field() {
    let (mut user, observed) = in_sync(human("alice"), "42");
    user.spec.human.as_mut().expect("human").profile.given_name = "Alicia".to_owned();
    let sync = sync_of(decide(&user, &observed));
    let update = human_update(&sync);
    let profile = update.profile.as_ref().expect("profile update");
    assert_eq!(profile.given_name.as_deref(), Some("Alicia"));
    assert_eq!(profile.family_name, None);
    assert!(update.email.is_none() && update.phone.is_none());
    assert_eq!(sync.changed_fields, ["profile"]);
}

#[test]
fn optional_profile_fields_left_out_of_the_spec_are_not_managed() {
    let (user, mut observed) = in_sync(human("alice"), "42");
    if let ZitadelSide::Found(found) = &mut observed.zitadel {
        let profile = &mut found.user.human.as_mut().expect("human").profile;
        profile.nick_name = "set in the console".to_owned();
        profile.display_name = "Alice D.".to_owned();
    }
    assert!(sync_of(decide(&user, &observed)).is_noop());
}

#[test]
fn a_changed_email_is_sent_with_its_verification_mode() {
    let (mut user, observed) = in_sync(human("alice"), "42");
    let email = &mut user.spec.human.as_mut().expect("human").email;
    email.address = "new@acme.example".to_owned();
    email.verification = EmailVerification::ReturnCode;
    let sync = sync_of(decide(&user, &observed));
    let sent = human_update(&sync).email.as_ref().expect("email update");
    assert_eq!(sent.email, "new@acme.example");
    assert_eq!(
        sent.verification,
        Some(wire::EmailVerification::ReturnCode {})
    );
    assert!(
        !sync.issue_email_code,
        "UpdateUser itself returns the new code"
    );
}

#[test]
fn an_email_differing_only_in_case_is_not_a_change() {
    let (mut user, observed) = in_sync(human("alice"), "42");
    user.spec.human.as_mut().expect("human").email.address = "ALICE@acme.example".to_owned();
    assert!(sync_of(decide(&user, &observed)).is_noop());
}

#[test]
fn an_unverified_email_is_marked_verified_when_the_spec_says_verified() {
    let (user, mut observed) = in_sync(human("alice"), "42");
    if let ZitadelSide::Found(found) = &mut observed.zitadel {
        found.user.human.as_mut().expect("human").email.is_verified = false;
    }
    let sync = sync_of(decide(&user, &observed));
    let sent = human_update(&sync).email.as_ref().expect("email update");
    assert_eq!(
        sent.verification,
        Some(wire::EmailVerification::IsVerified(true))
    );
}

#[test]
fn a_missing_email_code_is_issued_again_and_a_stored_one_is_kept() {
    let (mut user, mut observed) = in_sync(human("alice"), "42");
    user.spec.human.as_mut().expect("human").email.verification = EmailVerification::ReturnCode;
    if let ZitadelSide::Found(found) = &mut observed.zitadel {
        found.user.human.as_mut().expect("human").email.is_verified = false;
    }
    assert!(sync_of(decide(&user, &observed)).issue_email_code);
    observed.secret = owned_secret_with(crate::secrets::EMAIL_CODE_KEY);
    assert!(sync_of(decide(&user, &observed)).is_noop());
}

#[test]
fn a_verified_email_needs_no_code_even_with_return_code() {
    let (mut user, observed) = in_sync(human("alice"), "42");
    user.spec.human.as_mut().expect("human").email.verification = EmailVerification::ReturnCode;
    assert!(sync_of(decide(&user, &observed)).is_noop());
}

#[test]
fn a_phone_removed_from_the_spec_is_removed_in_zitadel() {
    let (user, mut observed) = in_sync(human("alice"), "42");
    if let ZitadelSide::Found(found) = &mut observed.zitadel {
        found.user.human.as_mut().expect("human").phone.phone = "+41791234567".to_owned();
    }
    let sync = sync_of(decide(&user, &observed));
    let phone = human_update(&sync).phone.as_ref().expect("phone update");
    assert_eq!(phone.phone, "");
    assert_eq!(
        phone.verification, None,
        "removal with a verification is an InvalidArgument"
    );
}

#[test]
fn a_new_phone_is_set_with_its_verification_mode() {
    let (mut user, observed) = in_sync(human("alice"), "42");
    user.spec.human.as_mut().expect("human").phone = Some(PhoneSpec {
        number: "+41791234567".to_owned(),
        verification: PhoneVerification::Verified,
    });
    let sync = sync_of(decide(&user, &observed));
    let phone = human_update(&sync).phone.as_ref().expect("phone update");
    assert_eq!(phone.phone, "+41791234567");
    assert_eq!(
        phone.verification,
        Some(wire::PhoneVerification::IsVerified(true))
    );
}

#[test]
fn a_changed_username_is_updated() {
    let (mut user, observed) = in_sync(human("alice"), "42");
    user.spec.username = Some("al".to_owned());
    let sync = sync_of(decide(&user, &observed));
    assert_eq!(
        sync.update.as_ref().and_then(|u| u.username.as_deref()),
        Some("al")
    );
    assert_eq!(sync.changed_fields, ["username"]);
}

#[test]
fn machine_fields_that_differ_are_updated() {
    let (mut user, observed) = in_sync(machine("bot"), "43");
    let spec = user.spec.machine.as_mut().expect("machine");
    spec.description = Some("deploys".to_owned());
    spec.access_token_type = crate::crd::AccessTokenType::Jwt;
    let sync = sync_of(decide(&user, &observed));
    match sync.update.and_then(|u| u.user_type) {
        Some(wire::UpdateUserType::Machine(machine)) => {
            assert_eq!(machine.name, None);
            assert_eq!(machine.description.as_deref(), Some("deploys"));
            assert_eq!(machine.access_token_type, Some(wire::AccessTokenType::Jwt));
        }
        other => panic!("expected a machine update, got {other:?}"),
    }
}

#[test]
fn metadata_is_set_when_new_and_deleted_only_when_the_operator_managed_it() {
    let (mut user, mut observed) = in_sync(human("alice"), "42");
    user.spec
        .metadata
        .insert("team".to_owned(), "payments".to_owned());
    user.status.as_mut().expect("status").managed_metadata_keys = vec!["old".to_owned()];
    if let ZitadelSide::Found(found) = &mut observed.zitadel {
        found.metadata.insert("old".to_owned(), b"x".to_vec());
        found
            .metadata
            .insert("set-by-someone-else".to_owned(), b"y".to_vec());
    }
    let sync = sync_of(decide(&user, &observed));
    assert_eq!(sync.set_metadata, [wire::Metadata::new("team", "payments")]);
    assert_eq!(sync.delete_metadata, ["old"]);
    assert_eq!(sync.summary(), ["metadata"]);
}

#[test]
fn a_user_deleted_in_zitadel_is_reported_and_not_recreated() {
    let mut user = human("alice");
    user.status = Some(UserStatus {
        user_id: Some("42".to_owned()),
        ..UserStatus::default()
    });
    let observed = Observed {
        zitadel: ZitadelSide::Missing {
            user_id: "42".to_owned(),
        },
        secret: SecretState::Absent,
    };
    assert_eq!(
        blocked_reason(decide(&user, &observed)),
        Reason::UserDeletedInZitadel
    );
}

#[test]
fn a_user_marked_by_another_resource_is_refused() {
    let (user, mut observed) = in_sync(human("alice"), "42");
    if let ZitadelSide::Found(found) = &mut observed.zitadel {
        found
            .metadata
            .insert(OWNER_METADATA_KEY.to_owned(), b"uid-someone-else".to_vec());
    }
    assert_eq!(
        blocked_reason(decide(&user, &observed)),
        Reason::AdoptionRefused
    );
}

#[test]
fn a_user_of_another_organization_or_type_is_refused() {
    let (mut user, observed) = in_sync(human("alice"), "42");
    user.spec.organization_id = "org-2".to_owned();
    assert_eq!(
        blocked_reason(decide(&user, &observed)),
        Reason::AdoptionRefused
    );

    let (bot, _) = in_sync(machine("alice"), "42");
    let (_, human_observed) = in_sync(human("alice"), "42");
    assert_eq!(
        blocked_reason(decide(&bot, &human_observed)),
        Reason::AdoptionRefused
    );
}

#[test]
fn a_spec_user_id_other_than_the_managed_one_is_a_mismatch() {
    let (mut user, observed) = in_sync(human("alice"), "42");
    user.spec.user_id = Some("alice".to_owned());
    assert_eq!(
        blocked_reason(decide(&user, &observed)),
        Reason::UserIdMismatch
    );
}

#[test]
fn the_target_user_id_prefers_status_then_spec_then_uid() {
    let mut user = human("alice");
    assert_eq!(target_user_id(&user), "uid-alice");
    user.spec.user_id = Some("alice".to_owned());
    assert_eq!(target_user_id(&user), "alice");
    user.status = Some(UserStatus {
        user_id: Some("42".to_owned()),
        ..UserStatus::default()
    });
    assert_eq!(target_user_id(&user), "42");
}
