//! The planner's rules, one behaviour per test.

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::ResourceExt;
use kube::api::ObjectMeta;

use super::*;
use crate::crd::{DesiredState, PasswordSpec, PhoneSpec, SecretKeySelector, UserStatus};
use crate::fixtures::{UserBuilder, zitadel_user_for};
use crate::sensitive::Sensitive;

/// A human `User` named `name` as the controller reads it, in organization `org-1`.
fn human(name: &str) -> User {
    UserBuilder::human(name)
        .organization("org-1")
        .stored()
        .build()
}

/// A machine `User` named `name`, "CI bot", as the controller reads it, in organization `org-1`.
fn machine(name: &str) -> User {
    UserBuilder::machine(name)
        .organization("org-1")
        .machine_name("CI bot")
        .stored()
        .build()
}

fn uid_of(user: &User) -> String {
    user.uid().expect("fixtures have a uid")
}

fn found_user(user: &User, zitadel_user: wire::User) -> FoundUser {
    FoundUser {
        user: zitadel_user,
        metadata: desired_metadata(user, &uid_of(user)),
    }
}

/// `user` as it stands after a successful create: status names `id`, ZITADEL matches the spec.
fn in_sync(mut user: User, id: &str) -> (User, Observed) {
    user.status = Some(UserStatus {
        user_id: Some(id.to_owned()),
        ..UserStatus::default()
    });
    let observed = Observed {
        user_id: id.to_owned(),
        zitadel: Some(Box::new(found_user(&user, zitadel_user_for(&user, id)))),
        secret: SecretState::Absent,
    };
    (user, observed)
}

fn nothing_stored() -> BeforeCreation {
    BeforeCreation {
        secret: SecretState::Absent,
        given_password: None,
        given_totp: None,
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

fn create_of(user: &User, before: &BeforeCreation) -> CreatePlan {
    plan_create(user, &uid_of(user), before).expect("a create plan")
}

fn sync_of(user: &User, observed: &Observed) -> SyncPlan {
    plan_sync(user, &uid_of(user), observed).expect("a sync plan")
}

fn sync_blocker(user: &User, observed: &Observed) -> Blocker {
    plan_sync(user, &uid_of(user), observed).expect_err("a blocked sync")
}

fn human_update(sync: &SyncPlan) -> &wire::UpdateHuman {
    match sync.update.as_ref().and_then(|u| u.user_type.as_ref()) {
        Some(wire::UpdateUserType::Human(human)) => human,
        other => panic!("expected a human update, got {other:?}"),
    }
}

fn with_zitadel_user(observed: &mut Observed, change: impl FnOnce(&mut FoundUser)) {
    change(observed.zitadel.as_mut().expect("a found user"));
}

#[test]
fn a_new_user_is_created_with_the_resource_uid_as_user_id_and_an_owner_marker() {
    let create = create_of(&human("alice"), &nothing_stored());
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
        create_of(&user, &nothing_stored())
            .request
            .user_id
            .as_deref(),
        Some("alice")
    );
}

#[test]
fn a_machine_is_created_with_its_token_type() {
    let create = create_of(&machine("bot"), &nothing_stored());
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

fn with_password(mut user: User, password: PasswordSpec) -> User {
    user.spec.human.as_mut().expect("human").password = Some(password);
    user
}

#[test]
fn a_generated_password_is_left_to_the_create_step() {
    let user = with_password(
        human("alice"),
        PasswordSpec {
            secret_ref: None,
            generate: Some(true),
            hashed: false,
            change_required: true,
        },
    );
    let create = create_of(&user, &nothing_stored());
    assert!(matches!(
        create.password,
        PasswordSource::Generate {
            change_required: true
        }
    ));
}

fn hashed_password_from_secret() -> User {
    with_password(
        human("alice"),
        PasswordSpec {
            secret_ref: Some(SecretKeySelector {
                name: "init".to_owned(),
                key: "hash".to_owned(),
            }),
            generate: None,
            hashed: true,
            change_required: false,
        },
    )
}

#[test]
fn a_password_hash_from_a_secret_goes_into_the_request() {
    let before = BeforeCreation {
        secret: SecretState::Absent,
        given_password: Some(Sensitive::new("$2y$10$hash".to_owned())),
        given_totp: None,
    };
    let create = create_of(&hashed_password_from_secret(), &before);
    let wire::CreateUserType::Human(human) = &create.request.user_type else {
        panic!("a human create");
    };
    match &human.password {
        Some(wire::PasswordType::HashedPassword(hashed)) => {
            assert_eq!(hashed.hash.expose(), "$2y$10$hash");
        }
        other => panic!("expected a hashed password, got {other:?}"),
    }
}

#[test]
fn a_missing_password_secret_blocks_creation_and_names_it() {
    let blocked = plan_create(
        &hashed_password_from_secret(),
        "uid-alice",
        &nothing_stored(),
    );
    assert_eq!(
        blocked.expect_err("blocked"),
        Blocker::SecretRefMissing {
            field: "spec.human.password.secretRef",
            name: "init".to_owned(),
            key: "hash".to_owned()
        }
    );
}

#[test]
fn nothing_is_created_while_the_secret_for_its_codes_belongs_to_someone_else() {
    let mut user = human("alice");
    user.spec.human.as_mut().expect("human").email.verification = EmailVerification::ReturnCode;
    let before = BeforeCreation {
        secret: foreign_secret(),
        given_password: None,
        given_totp: None,
    };
    assert!(matches!(
        plan_create(&user, "uid-alice", &before),
        Err(Blocker::SecretConflict(_))
    ));
}

#[test]
fn a_foreign_secret_does_not_block_a_user_that_stores_nothing() {
    let before = BeforeCreation {
        secret: foreign_secret(),
        given_password: None,
        given_totp: None,
    };
    create_of(&human("alice"), &before);
}

#[test]
fn a_user_that_matches_its_spec_needs_no_writes() {
    let (user, observed) = in_sync(human("alice"), "42");
    let sync = sync_of(&user, &observed);
    assert!(sync.is_noop(), "{sync:?}");
    let (user, observed) = in_sync(machine("bot"), "43");
    assert!(sync_of(&user, &observed).is_noop());
}

#[test]
fn a_changed_given_name_updates_only_that_profile_field() {
    let (mut user, observed) = in_sync(human("alice"), "42");
    user.spec.human.as_mut().expect("human").profile.given_name = "Alicia".to_owned();
    let sync = sync_of(&user, &observed);
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
    with_zitadel_user(&mut observed, |found| {
        let profile = &mut found.user.human.as_mut().expect("human").profile;
        profile.nick_name = "set in the console".to_owned();
        profile.display_name = "Alice D.".to_owned();
    });
    assert!(sync_of(&user, &observed).is_noop());
}

#[test]
fn a_changed_email_is_sent_with_its_verification_mode() {
    let (mut user, observed) = in_sync(human("alice"), "42");
    let email = &mut user.spec.human.as_mut().expect("human").email;
    email.address = "new@acme.example".to_owned();
    email.verification = EmailVerification::ReturnCode;
    let sync = sync_of(&user, &observed);
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
    assert!(sync_of(&user, &observed).is_noop());
}

#[test]
fn an_unverified_email_is_marked_verified_when_the_spec_says_verified() {
    let (user, mut observed) = in_sync(human("alice"), "42");
    with_zitadel_user(&mut observed, |found| {
        found.user.human.as_mut().expect("human").email.is_verified = false;
    });
    let sync = sync_of(&user, &observed);
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
    with_zitadel_user(&mut observed, |found| {
        found.user.human.as_mut().expect("human").email.is_verified = false;
    });
    assert!(sync_of(&user, &observed).issue_email_code);
    observed.secret = owned_secret_with(crate::secrets::EMAIL_CODE_KEY);
    assert!(sync_of(&user, &observed).is_noop());
}

#[test]
fn a_verified_email_needs_no_code_even_with_return_code() {
    let (mut user, observed) = in_sync(human("alice"), "42");
    user.spec.human.as_mut().expect("human").email.verification = EmailVerification::ReturnCode;
    assert!(sync_of(&user, &observed).is_noop());
}

#[test]
fn a_phone_removed_from_the_spec_is_removed_in_zitadel() {
    let (user, mut observed) = in_sync(human("alice"), "42");
    with_zitadel_user(&mut observed, |found| {
        found.user.human.as_mut().expect("human").phone.phone = "+41791234567".to_owned();
    });
    let sync = sync_of(&user, &observed);
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
    let sync = sync_of(&user, &observed);
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
    let sync = sync_of(&user, &observed);
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
    let sync = sync_of(&user, &observed);
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
    with_zitadel_user(&mut observed, |found| {
        found.metadata.insert("old".to_owned(), b"x".to_vec());
        found
            .metadata
            .insert("set-by-someone-else".to_owned(), b"y".to_vec());
    });
    let sync = sync_of(&user, &observed);
    assert_eq!(sync.set_metadata, [wire::Metadata::new("team", "payments")]);
    assert_eq!(sync.delete_metadata, ["old"]);
    assert_eq!(sync.summary(), ["metadata"]);
}

#[test]
fn a_user_deleted_in_zitadel_is_reported_and_not_recreated() {
    let (user, mut observed) = in_sync(human("alice"), "42");
    observed.zitadel = None;
    assert_eq!(
        sync_blocker(&user, &observed),
        Blocker::UserDeletedInZitadel("42".to_owned())
    );
}

#[test]
fn a_user_marked_by_another_resource_is_refused() {
    let (user, mut observed) = in_sync(human("alice"), "42");
    with_zitadel_user(&mut observed, |found| {
        found
            .metadata
            .insert(OWNER_METADATA_KEY.to_owned(), b"uid-someone-else".to_vec());
    });
    assert!(matches!(
        sync_blocker(&user, &observed),
        Blocker::NotAdoptable(Refusal::OwnedByAnother { .. })
    ));
}

#[test]
fn a_user_of_another_organization_or_type_is_refused() {
    let (mut user, observed) = in_sync(human("alice"), "42");
    user.spec.organization_id = "org-2".to_owned();
    assert!(matches!(
        sync_blocker(&user, &observed),
        Blocker::NotAdoptable(Refusal::OtherOrganization { .. })
    ));

    let (bot, _) = in_sync(machine("alice"), "42");
    let (_, human_observed) = in_sync(human("alice"), "42");
    assert!(matches!(
        sync_blocker(&bot, &human_observed),
        Blocker::NotAdoptable(Refusal::OtherType {
            actual: "human",
            ..
        })
    ));
}

#[test]
fn the_target_user_id_prefers_status_then_spec_then_uid() {
    let mut user = human("alice");
    assert_eq!(target_user_id(&user, "uid-alice"), "uid-alice");
    user.spec.user_id = Some("alice".to_owned());
    assert_eq!(target_user_id(&user, "uid-alice"), "alice");
    user.status = Some(UserStatus {
        user_id: Some("42".to_owned()),
        ..UserStatus::default()
    });
    assert_eq!(target_user_id(&user, "uid-alice"), "42");
}

/// The user with id `id` that `holder_of` describes, marked as owned by `owner` (if any).
fn holder(holder_of: &User, id: &str, owner: Option<&str>) -> Box<FoundUser> {
    let mut found = found_user(holder_of, zitadel_user_for(holder_of, id));
    found.metadata.remove(OWNER_METADATA_KEY);
    if let Some(owner) = owner {
        found
            .metadata
            .insert(OWNER_METADATA_KEY.to_owned(), owner.as_bytes().to_vec());
    }
    Box::new(found)
}

fn user_id_taken(holder: Option<Box<FoundUser>>) -> Taken {
    Taken::UserId {
        user_id: "uid-alice".to_owned(),
        holder,
    }
}

fn adopting(mut user: User) -> User {
    user.spec.adopt_existing = true;
    user
}

#[test]
fn a_taken_user_id_with_our_own_marker_is_our_lost_response_even_without_adoption() {
    let user = human("alice");
    let taken = user_id_taken(Some(holder(&user, "uid-alice", Some("uid-alice"))));
    assert_eq!(
        claim(&user, "uid-alice", &taken, false),
        Ok(Established::Recovered("uid-alice".to_owned()))
    );
}

#[test]
fn a_taken_user_id_of_someone_else_is_reported_unless_adoption_is_requested() {
    let user = human("alice");
    let taken = user_id_taken(Some(holder(&user, "uid-alice", None)));
    assert!(matches!(
        claim(&user, "uid-alice", &taken, true),
        Err(Blocker::UserIdTaken(_))
    ));
    assert!(matches!(
        claim(&user, "uid-alice", &user_id_taken(None), true),
        Err(Blocker::UserIdHeldByDeletedUser(_))
    ));
}

#[test]
fn adoption_needs_the_administrators_permission_as_well_as_the_spec() {
    let user = adopting(human("alice"));
    let taken = user_id_taken(Some(holder(&user, "uid-alice", None)));
    assert_eq!(
        claim(&user, "uid-alice", &taken, false),
        Err(Blocker::AdoptionNotAllowed("spec.userId"))
    );
    assert_eq!(
        claim(&user, "uid-alice", &taken, true),
        Ok(Established::Adopted("uid-alice".to_owned()))
    );
}

#[test]
fn a_taken_username_is_not_even_searched_unless_adoption_is_requested_and_allowed() {
    let clash = Clash::Username("alice@acme.example".to_owned());
    assert!(matches!(
        look_up_holder(&human("alice"), &clash, true),
        Err(Blocker::UsernameTaken(_))
    ));
    assert!(matches!(
        look_up_holder(&adopting(human("alice")), &clash, false),
        Err(Blocker::AdoptionNotAllowed("spec.username"))
    ));
    assert_eq!(
        look_up_holder(&adopting(human("alice")), &clash, true),
        Ok(())
    );
    assert_eq!(
        look_up_holder(&human("alice"), &Clash::UserId("x".to_owned()), false),
        Ok(()),
        "a taken user id may be ours: always read"
    );
}

#[test]
fn an_adoptable_username_holder_is_adopted_and_an_unsearchable_one_waits() {
    let user = adopting(human("alice"));
    let found = Taken::Username {
        username: "alice@acme.example".to_owned(),
        holder: Holder::Found(holder(&user, "77", None)),
    };
    assert_eq!(
        claim(&user, "uid-alice", &found, true),
        Ok(Established::Adopted("77".to_owned()))
    );
    let lagging = Taken::Username {
        username: "alice@acme.example".to_owned(),
        holder: Holder::NotSearchable,
    };
    assert!(matches!(
        claim(&user, "uid-alice", &lagging, true),
        Err(Blocker::UsernameHolderNotSearchable(_))
    ));
}

#[test]
fn a_holder_in_another_organization_is_never_adopted() {
    let user = adopting(human("alice"));
    let mut elsewhere = human("alice");
    elsewhere.spec.organization_id = "org-2".to_owned();
    let taken = user_id_taken(Some(holder(&elsewhere, "uid-alice", None)));
    assert!(matches!(
        claim(&user, "uid-alice", &taken, true),
        Err(Blocker::NotAdoptable(Refusal::OtherOrganization { .. }))
    ));
}

#[test]
fn a_user_as_its_create_request_made_it_needs_no_sync() {
    let users = [
        UserBuilder::human("alice")
            .organization("org-1")
            .email("alice@acme.example", EmailVerification::Verified)
            .phone("+41790000000", PhoneVerification::Verified)
            .username("alice")
            .metadata("team", "blue")
            .stored()
            .build(),
        UserBuilder::human("bob")
            .organization("org-1")
            .email_code()
            .stored()
            .build(),
        machine("ci"),
    ];
    for user in users {
        let create = create_of(&user, &nothing_stored());
        let metadata = create
            .request
            .metadata
            .iter()
            .map(|m| (m.key.clone(), m.value.clone()))
            .collect();
        let found = crate::controller::created::as_created(
            &create.request,
            "id-1",
            &create.username,
            metadata,
        );
        let observed = Observed {
            user_id: "id-1".to_owned(),
            zitadel: Some(Box::new(found)),
            secret: owned_secret_with(crate::secrets::EMAIL_CODE_KEY),
        };
        let sync = sync_of(&user, &observed);
        assert!(sync.summary().is_empty(), "{}: {sync:?}", user.name_any());
        assert!(!sync.issue_email_code && !sync.issue_phone_code);
    }
}

#[test]
fn a_listing_that_shows_the_user_in_line_needs_no_confirmation() {
    let (user, observed) = in_sync(human("alice"), "u1");
    let plan = plan_sync(&user, &uid_of(&user), &observed).expect("plannable");
    assert!(listing_in_line(&user, &plan, &observed));
}

#[test]
fn a_listing_that_shows_a_difference_is_confirmed_before_anything_is_written() {
    let (user, mut observed) = in_sync(human("alice"), "u1");
    let found = observed.zitadel.as_mut().expect("found");
    if let Some(human) = found.user.human.as_mut() {
        human.profile.given_name = "Mallory".to_owned();
    }
    let plan = plan_sync(&user, &uid_of(&user), &observed).expect("plannable");
    assert!(!listing_in_line(&user, &plan, &observed));

    let (mut user, mut observed) = in_sync(human("bob"), "u2");
    user.spec.state = Some(DesiredState::Inactive);
    let plan = plan_sync(&user, &uid_of(&user), &observed).expect("plannable");
    assert!(!listing_in_line(&user, &plan, &observed), "a state change");
    observed.zitadel = None;
    assert!(!listing_in_line(&user, &plan, &observed), "no user");
}

#[test]
fn a_listing_without_the_client_secret_the_spec_asks_for_is_confirmed() {
    let user = UserBuilder::machine("ci")
        .organization("org-1")
        .client_secret()
        .stored()
        .build();
    let (user, mut observed) = in_sync(user, "u1");
    let plan = plan_sync(&user, &uid_of(&user), &observed).expect("plannable");
    for has_secret in [false, true] {
        if let Some(machine) = observed
            .zitadel
            .as_mut()
            .and_then(|found| found.user.machine.as_mut())
        {
            machine.has_secret = has_secret;
        }
        assert_eq!(listing_in_line(&user, &plan, &observed), has_secret);
    }
}
