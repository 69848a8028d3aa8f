//! End-to-end: tenancy. Two ZITADEL instances, two tenant namespaces, each on its own connection:
//! a `ZitadelConnection` in namespace A to instance one, a `ClusterZitadelConnection` selecting
//! namespace B to instance two. Users land in their connection's instance and nowhere else; what
//! a connection does not allow is refused before anything reaches ZITADEL; a connection's
//! credential, existence and status follow the administrator's changes without a restart.
//!
//! Emulated mode only: the tests inspect the instances' call logs.

// A failed setup in a test helper panics like a failed assertion; clippy.toml's test exemption
// reaches only `#[test]` functions, not the helpers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use kube::ResourceExt;
use support::e2e::{
    CREDENTIAL_KEY, Harness, Options, pat_connection, zitadel_client, zitadel_emulator,
};
use zitadel_emulator::ZitadelEmulator;
use zitadel_user_operator::crd::{ClusterZitadelConnectionSpec, ConnectionKind, User};
use zitadel_user_operator::fixtures::{UserBuilder, console_user};

/// Tenant A: its `ZitadelConnection` reaches instance one.
const TENANT_A: &str = "tenant-a";
/// Tenant B: the `ClusterZitadelConnection` [`CLUSTER_B`] selects it and reaches instance two.
const TENANT_B: &str = "tenant-b";
/// The `ZitadelConnection` of namespace A.
const CONNECTION_A: &str = "zitadel";
/// The `ClusterZitadelConnection` for namespace B.
const CLUSTER_B: &str = "tenant-b";
/// The organization of instance one that connection A lists.
const ORG_ONE: &str = "100000000000000001";
/// The organization of instance two that the cluster connection lists.
const ORG_TWO: &str = "200000000000000002";
/// The credential Secret of connection A (in namespace A).
const SECRET_A: &str = "zitadel-a";
/// The credential Secret of the cluster connection (in the operator's namespace).
const SECRET_B: &str = "zitadel-b";

/// The operator, the default instance behind the harness, and the tenants' two instances.
struct Tenancy {
    harness: Harness,
    one: ZitadelEmulator,
    two: ZitadelEmulator,
    /// The PAT connection A uses now.
    pat_one: String,
}

impl Tenancy {
    /// Namespaces A and B (labelled `tenant: a|b`), their connections and the operator.
    async fn start() -> Self {
        let options = Options {
            extra_namespaces: vec![TENANT_A.to_owned(), TENANT_B.to_owned()],
            ..Options::default()
        };
        let mut harness = Harness::environment(options).await;
        harness.label_namespace(TENANT_A, &[("tenant", "a")]).await;
        harness.label_namespace(TENANT_B, &[("tenant", "b")]).await;
        let one = zitadel_emulator(Duration::from_millis(200), ORG_ONE).await;
        let two = zitadel_emulator(Duration::from_millis(200), ORG_TWO).await;
        let pat_one = one.admin_pat();
        harness
            .put_secret(TENANT_A, SECRET_A, &[(CREDENTIAL_KEY, &pat_one)])
            .await;
        harness
            .apply_connection(TENANT_A, CONNECTION_A, connection_a(&one))
            .await;
        let operator_namespace = harness.namespace.clone();
        harness
            .put_secret(
                &operator_namespace,
                SECRET_B,
                &[(CREDENTIAL_KEY, &two.admin_pat())],
            )
            .await;
        harness
            .apply_cluster_connection(CLUSTER_B, cluster_b(&two))
            .await;
        harness.start_operator();
        Self {
            harness,
            one,
            two,
            pat_one,
        }
    }

    /// Waits until the tenants' connections are checked, then zeroes both instances' call
    /// counts: from then on any call is a User's.
    async fn quiet(&self) {
        self.harness
            .quiesce_checks(&self.one, Some(TENANT_A), CONNECTION_A)
            .await;
        self.harness
            .quiesce_checks(&self.two, None, CLUSTER_B)
            .await;
    }

    /// Restores connection A as [`Tenancy::start`] made it.
    async fn restore_connection_a(&self) {
        self.harness
            .apply_connection(TENANT_A, CONNECTION_A, connection_a(&self.one))
            .await;
    }
}

fn connection_a(one: &ZitadelEmulator) -> zitadel_user_operator::crd::ConnectionSettings {
    pat_connection(&one.url(), SECRET_A, &[ORG_ONE])
}

fn cluster_b(two: &ZitadelEmulator) -> ClusterZitadelConnectionSpec {
    ClusterZitadelConnectionSpec {
        connection: pat_connection(&two.url(), SECRET_B, &[ORG_TWO]),
        allowed_namespaces: Some(LabelSelector {
            match_labels: Some([("tenant".to_owned(), "b".to_owned())].into()),
            match_expressions: None,
        }),
    }
}

/// A human `name` of namespace A, through connection A, in instance one's organization.
fn user_of_a(name: &str) -> UserBuilder {
    UserBuilder::human(name)
        .connection(ConnectionKind::ZitadelConnection, CONNECTION_A)
        .organization(ORG_ONE)
}

/// A human `name` of namespace B, through the cluster connection, in instance two's organization.
fn user_of_b(name: &str) -> UserBuilder {
    UserBuilder::human(name)
        .connection(ConnectionKind::ClusterZitadelConnection, CLUSTER_B)
        .organization(ORG_TWO)
}

fn user_id(user: &User) -> String {
    user.status
        .as_ref()
        .and_then(|s| s.user_id.clone())
        .expect("status.userId")
}

/// Asserts that no call reached `zitadel` since its counts were last reset.
fn assert_untouched(zitadel: &ZitadelEmulator, what: &str) {
    let calls = zitadel.call_counts();
    assert!(
        calls.values().all(|n| *n == 0),
        "{what}: calls reached ZITADEL: {calls:?}"
    );
}

/// Asserts that nothing was written to `zitadel` since its counts were last reset (reads of a
/// reconcile already under way may still come).
fn assert_no_writes(zitadel: &ZitadelEmulator, what: &str) {
    let writes: Vec<_> = zitadel
        .call_counts()
        .into_iter()
        .filter(|(rpc, n)| *n > 0 && !rpc.starts_with("Get") && !rpc.starts_with("List"))
        .collect();
    assert_eq!(writes, [], "{what}: writes reached ZITADEL");
}

/// Asserts that the Ready message of `user` contains `text`.
fn assert_message(user: &User, text: &str) {
    let message = support::e2e::ready_message(user).expect("a Ready condition");
    assert!(message.contains(text), "{message}");
}

#[tokio::test]
async fn users_of_two_namespaces_are_created_in_the_instance_of_their_connection_and_nowhere_else()
{
    let tenancy = Tenancy::start().await;
    let harness = &tenancy.harness;
    harness.post(TENANT_A, user_of_a("alice").build()).await;
    harness.post(TENANT_B, user_of_b("bob").build()).await;
    let alice = user_id(&harness.wait_ready_in(TENANT_A, "alice").await);
    let bob = user_id(&harness.wait_ready_in(TENANT_B, "bob").await);

    assert!(
        tenancy.one.user(&alice).is_some(),
        "alice is in instance one"
    );
    assert!(tenancy.two.user(&alice).is_none(), "alice is not in two");
    assert!(tenancy.two.user(&bob).is_some(), "bob is in instance two");
    assert!(tenancy.one.user(&bob).is_none(), "bob is not in one");
    assert_eq!(tenancy.one.calls("CreateUser"), 1);
    assert_eq!(tenancy.two.calls("CreateUser"), 1);
    let default = &harness.emulators().zitadel;
    assert!(
        default.users().is_empty(),
        "the default instance has no user"
    );
    assert_eq!(default.calls("CreateUser"), 0);
}

#[tokio::test]
async fn a_user_without_a_connection_ref_uses_the_default_cluster_connection() {
    let tenancy = Tenancy::start().await;
    let harness = &tenancy.harness;
    harness.create(UserBuilder::human("carol").build()).await;
    let carol = user_id(&harness.wait_ready("carol").await);
    assert!(harness.emulators().zitadel.user(&carol).is_some());
    assert_eq!(tenancy.one.calls("CreateUser"), 0);
    assert_eq!(tenancy.two.calls("CreateUser"), 0);
}

#[tokio::test]
async fn a_user_naming_a_connection_of_another_namespace_is_not_found_and_nothing_reaches_zitadel()
{
    let tenancy = Tenancy::start().await;
    tenancy.quiet().await;
    let harness = &tenancy.harness;
    // Connection A exists, but in namespace A: B cannot use it.
    let intruder = UserBuilder::human("mallory")
        .connection(ConnectionKind::ZitadelConnection, CONNECTION_A)
        .organization(ORG_ONE)
        .build();
    harness.post(TENANT_B, intruder).await;
    let refused = harness
        .wait_reason_in(TENANT_B, "mallory", "ConnectionNotFound")
        .await;
    assert_message(&refused, "does not exist in namespace tenant-b");
    assert_untouched(&tenancy.one, "instance one");
    assert_untouched(&tenancy.two, "instance two");
}

#[tokio::test]
async fn an_organization_the_connection_does_not_list_is_refused_and_nothing_reaches_zitadel() {
    let tenancy = Tenancy::start().await;
    // The organization exists in instance one: only the connection keeps it out.
    let unlisted = tenancy.one.create_organization("unlisted");
    tenancy.quiet().await;
    let harness = &tenancy.harness;
    harness
        .post(TENANT_A, user_of_a("alice").organization(&unlisted).build())
        .await;
    let refused = harness
        .wait_reason_in(TENANT_A, "alice", "ConnectionRefused")
        .await;
    assert_message(&refused, &unlisted);
    assert_message(&refused, "spec.organizations");
    assert_untouched(&tenancy.one, "instance one");
}

#[tokio::test]
async fn a_cluster_connection_that_does_not_select_the_namespace_is_refused_and_nothing_reaches_zitadel()
 {
    let tenancy = Tenancy::start().await;
    tenancy.quiet().await;
    let harness = &tenancy.harness;
    let misplaced = UserBuilder::human("alice")
        .connection(ConnectionKind::ClusterZitadelConnection, CLUSTER_B)
        .organization(ORG_TWO)
        .build();
    harness.post(TENANT_A, misplaced).await;
    let refused = harness
        .wait_reason_in(TENANT_A, "alice", "ConnectionRefused")
        .await;
    assert_message(&refused, "does not allow namespace tenant-a");
    assert_untouched(&tenancy.two, "instance two");
    assert_untouched(&tenancy.one, "instance one");
}

#[tokio::test]
async fn adopt_existing_on_a_connection_without_allow_adoption_is_refused_and_nothing_reaches_zitadel()
 {
    let tenancy = Tenancy::start().await;
    zitadel_client(&tenancy.one.url(), &tenancy.pat_one)
        .create_user(&console_user(ORG_ONE, "console-user"))
        .await
        .expect("a user made in the console");
    tenancy.quiet().await;
    let harness = &tenancy.harness;
    let adopter = user_of_a("tenant")
        .user_id("console-user")
        .adopt_existing()
        .build();
    harness.post(TENANT_A, adopter).await;
    let refused = harness
        .wait_reason_in(TENANT_A, "tenant", "ConnectionRefused")
        .await;
    assert_message(&refused, "spec.allowAdoption");
    assert_untouched(&tenancy.one, "instance one");
}

#[tokio::test]
async fn a_rotated_credential_secret_is_used_without_restarting_the_operator() {
    let tenancy = Tenancy::start().await;
    let harness = &tenancy.harness;
    harness.post(TENANT_A, user_of_a("alice").build()).await;
    let alice = user_id(&harness.wait_ready_in(TENANT_A, "alice").await);

    let rotated = tenancy.one.admin_pat();
    harness
        .put_secret(TENANT_A, SECRET_A, &[(CREDENTIAL_KEY, &rotated)])
        .await;
    tenancy.one.revoke_token(&tenancy.pat_one);

    // An edit of alice and a new User both reach instance one with the new credential.
    harness
        .edit_in(TENANT_A, "alice", |user| {
            user.spec.human.as_mut().expect("human").profile.given_name = "Alicia".to_owned();
        })
        .await;
    harness.post(TENANT_A, user_of_a("bob").build()).await;
    harness.wait_ready_at_in(TENANT_A, "alice", 2).await;
    harness.wait_ready_in(TENANT_A, "bob").await;
    let stored = tenancy.one.user(&alice).expect("alice is in instance one");
    assert_eq!(stored["human"]["profile"]["givenName"], "Alicia");
}

#[tokio::test]
async fn a_deleted_connection_stalls_its_users_without_touching_zitadel_and_restoring_it_heals_them()
 {
    let tenancy = Tenancy::start().await;
    let harness = &tenancy.harness;
    harness.post(TENANT_A, user_of_a("alice").build()).await;
    let alice = user_id(&harness.wait_ready_in(TENANT_A, "alice").await);
    // The connections' status writes make the operator look at every User again: such a
    // look may still be reading alice, but writes nothing.
    tenancy.one.reset_call_counts();

    harness.delete_connection(TENANT_A, CONNECTION_A).await;
    let stalled = harness
        .wait_reason_in(TENANT_A, "alice", "ConnectionNotFound")
        .await;
    assert_eq!(user_id(&stalled), alice, "the status keeps the user id");
    assert_no_writes(&tenancy.one, "instance one");
    assert!(tenancy.one.user(&alice).is_some(), "alice is left alone");

    tenancy.restore_connection_a().await;
    let healed = harness.wait_ready_in(TENANT_A, "alice").await;
    assert_eq!(user_id(&healed), alice, "the same ZITADEL user");
    assert_eq!(tenancy.one.calls("CreateUser"), 0, "nothing was recreated");
}

#[tokio::test]
async fn deleting_a_user_whose_connection_is_gone_keeps_the_finalizer_until_the_connection_is_back()
{
    let tenancy = Tenancy::start().await;
    let harness = &tenancy.harness;
    harness.post(TENANT_A, user_of_a("alice").build()).await;
    let alice = user_id(&harness.wait_ready_in(TENANT_A, "alice").await);
    harness.delete_connection(TENANT_A, CONNECTION_A).await;
    harness
        .wait_reason_in(TENANT_A, "alice", "ConnectionNotFound")
        .await;

    harness.delete_in(TENANT_A, "alice").await;
    let blocked = harness
        .wait_for_in(
            TENANT_A,
            "alice",
            "deleting, blocked on its connection",
            |user| {
                user.metadata.deletion_timestamp.is_some()
                    && user.status.as_ref().is_some_and(|status| {
                        status
                            .conditions
                            .iter()
                            .any(|c| c.type_ == "Ready" && c.reason == "ConnectionNotFound")
                    })
            },
        )
        .await;
    assert!(
        !blocked.finalizers().is_empty(),
        "the finalizer stays while the ZITADEL user cannot be deleted"
    );
    assert_message(&blocked, "ZitadelConnection zitadel does not exist");
    assert_eq!(tenancy.one.calls("DeleteUser"), 0);
    assert!(tenancy.one.user(&alice).is_some());

    tenancy.restore_connection_a().await;
    harness.wait_gone_in(TENANT_A, "alice").await;
    assert!(
        tenancy.one.user(&alice).is_none(),
        "deleted in instance one"
    );
}

#[tokio::test]
async fn a_connection_whose_credential_authenticates_is_ready_with_reason_connected() {
    let tenancy = Tenancy::start().await;
    let harness = &tenancy.harness;
    let (status, message) = harness
        .wait_connection_reason(Some(TENANT_A), CONNECTION_A, "Connected")
        .await;
    assert_eq!(status, "True");
    assert!(message.contains(&tenancy.one.url()), "{message}");
    let (status, _) = harness
        .wait_connection_reason(None, CLUSTER_B, "Connected")
        .await;
    assert_eq!(status, "True");
}

#[tokio::test]
async fn a_connection_with_a_rejected_credential_shows_zitadel_unauthenticated() {
    let tenancy = Tenancy::start().await;
    let harness = &tenancy.harness;
    let revoked = tenancy.one.admin_pat();
    tenancy.one.revoke_token(&revoked);
    harness
        .put_secret(TENANT_A, "revoked", &[(CREDENTIAL_KEY, &revoked)])
        .await;
    harness
        .apply_connection(
            TENANT_A,
            "revoked",
            pat_connection(&tenancy.one.url(), "revoked", &[ORG_ONE]),
        )
        .await;
    let (status, message) = harness
        .wait_connection_reason(Some(TENANT_A), "revoked", "ZitadelUnauthenticated")
        .await;
    assert_eq!(status, "False");
    assert!(!message.contains(&revoked), "the credential is not shown");
    // The verdict is also an event on the connection (`kubectl describe zitadelconnection`).
    let events: kube::Api<k8s_openapi::api::events::v1::Event> =
        kube::Api::namespaced(harness.kube.clone(), TENANT_A);
    harness
        .eventually(
            "a ZitadelUnauthenticated warning event on the connection",
            || async {
                let listed = events.list(&Default::default()).await.ok()?;
                listed
                    .items
                    .iter()
                    .any(|event| {
                        event.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some("revoked")
                            && event.reason.as_deref() == Some("ZitadelUnauthenticated")
                            && event.type_.as_deref() == Some("Warning")
                    })
                    .then_some(())
            },
        )
        .await;
}

#[tokio::test]
async fn a_connection_whose_secret_is_missing_shows_connection_not_ready_and_so_do_its_users() {
    let tenancy = Tenancy::start().await;
    let harness = &tenancy.harness;
    harness
        .apply_connection(
            TENANT_A,
            "no-secret",
            pat_connection(&tenancy.one.url(), "absent", &[ORG_ONE]),
        )
        .await;
    let (status, message) = harness
        .wait_connection_reason(Some(TENANT_A), "no-secret", "ConnectionNotReady")
        .await;
    assert_eq!(status, "False");
    assert!(message.contains("absent"), "{message}");

    let user = user_of_a("alice")
        .connection(ConnectionKind::ZitadelConnection, "no-secret")
        .build();
    harness.post(TENANT_A, user).await;
    let stalled = harness
        .wait_reason_in(TENANT_A, "alice", "ConnectionNotReady")
        .await;
    assert_message(&stalled, "absent");
}
