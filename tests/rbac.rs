//! The Helm chart grants exactly what the operator uses, no more and no less.
//!
//! The real operator (leader election on) runs against the emulators through every code path
//! that touches the Kubernetes API; the emulator's request log, filtered by the operator's
//! `User-Agent`, yields the permissions it used. Those are compared with the RBAC rules of the
//! chart rendered in both modes: cluster-wide (ClusterRole, plus the lease Role in the release
//! namespace) and namespaced (`watchNamespaces`: a Role per watched namespace).
//!
//! Permissions are compared per scope: the cluster (cluster-scoped resources and lists across all
//! namespaces: the connection and Namespace caches), the namespace the operator watches, and the
//! release namespace where its Lease lives (the harness puts the Lease in [`RELEASE_NAMESPACE`], the
//! namespace the chart is rendered into). A mismatch fails with a readable diff: "needed but not
//! granted" (the operator would get 403 in a cluster) and "granted but unused" (least privilege).
//! Needs `target/tools/helm` from `.ci/chart-tools.sh`.

// A failed setup in a test helper panics like a failed assertion; clippy.toml's test exemption
// reaches only `#[test]` functions, not the helpers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeSet;
use std::fmt;

use kube_emulator::RecordedRequest;
use serde_json::Value;
use support::chart::{Permission, RELEASE, RELEASE_NAMESPACE, ci_values, rbac_rules, render_chart};
use support::e2e::{CREDENTIAL_KEY, Harness, Options, operator_recorded_requests, pat_connection};
use zitadel_emulator::{Fault, GrpcCode};
use zitadel_user_operator::crd::{ConnectionKind, DeletionPolicy};
use zitadel_user_operator::fixtures::UserBuilder;
use zitadel_user_operator::leader::{LeaderElectionSettings, LeaseTiming};

const USERS_GROUP: &str = "zitadel-user-operator.dev";

/// The Secret with the PAT of the harness's connection.
const CREDENTIAL_SECRET_OF_HARNESS: &str = support::e2e::CREDENTIAL_SECRET;

/// Where a permission is used or granted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Scope {
    /// Cluster-scoped resources, and namespaced ones across all namespaces.
    Cluster,
    /// The namespace whose `User`s the operator manages.
    Watched,
    /// The release namespace, which holds the leader-election Lease.
    Release,
}

impl Scope {
    const ALL: [Scope; 3] = [Scope::Cluster, Scope::Watched, Scope::Release];
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Scope::Cluster => "cluster",
            Scope::Watched => "watched namespace",
            Scope::Release => "release namespace",
        })
    }
}

/// A permission the operator needs that the emulator cannot observe: the request that needs it
/// succeeds there without it.
struct Unobservable {
    scope: Scope,
    group: &'static str,
    resource: &'static str,
    verb: &'static str,
}

/// The only allow-list. Each entry says why the permission is needed although no request shows it.
const UNOBSERVABLE: &[Unobservable] = &[
    // The owned Secrets carry an owner reference with `blockOwnerDeletion: true`. A real API
    // server's OwnerReferencesPermissionEnforcement admission plugin only accepts that from a
    // client allowed to `update` the owner's `finalizers` subresource; the emulator runs no
    // admission plugins, and the operator never calls that subresource itself.
    Unobservable {
        scope: Scope::Watched,
        group: USERS_GROUP,
        resource: "users/finalizers",
        verb: "update",
    },
];

/// Permissions per [`Scope`].
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct ScopedPermissions {
    cluster: BTreeSet<Permission>,
    watched: BTreeSet<Permission>,
    release: BTreeSet<Permission>,
}

impl ScopedPermissions {
    fn get(&self, scope: Scope) -> &BTreeSet<Permission> {
        match scope {
            Scope::Cluster => &self.cluster,
            Scope::Watched => &self.watched,
            Scope::Release => &self.release,
        }
    }

    fn insert(&mut self, scope: Scope, permission: Permission) {
        match scope {
            Scope::Cluster => self.cluster.insert(permission),
            Scope::Watched => self.watched.insert(permission),
            Scope::Release => self.release.insert(permission),
        };
    }

    /// What the chart rendered as `docs` grants in `watched` and in the release namespace.
    fn granted_by(docs: &[Value], watched: &str) -> Self {
        Self {
            // No RoleBinding of the chart is in this namespace: what the account holds there comes
            // from ClusterRoleBindings alone, as for cluster-scoped resources.
            cluster: rbac_rules(docs, "no-rolebinding-here"),
            watched: rbac_rules(docs, watched),
            release: rbac_rules(docs, RELEASE_NAMESPACE),
        }
    }
}

fn permission(group: &str, resource: &str, verb: &str) -> Permission {
    (group.to_owned(), resource.to_owned(), verb.to_owned())
}

/// The permissions `requests` needed, with [`UNOBSERVABLE`] added. Requests in a namespace other
/// than the two are returned separately: the operator has no business there, so they are a finding.
/// Non-resource requests (discovery) are left out: every authenticated client may make them
/// (the `system:discovery` ClusterRole), so the chart need not grant them.
fn used_permissions(
    requests: &[RecordedRequest],
    watched: &str,
) -> (ScopedPermissions, Vec<RecordedRequest>) {
    let mut used = ScopedPermissions::default();
    let mut elsewhere = Vec::new();
    for request in requests.iter().filter(|r| r.is_resource_request()) {
        let scope = match request.namespace.as_deref() {
            None => Scope::Cluster,
            Some(namespace) if namespace == watched => Scope::Watched,
            Some(RELEASE_NAMESPACE) => Scope::Release,
            Some(_) => {
                elsewhere.push(request.clone());
                continue;
            }
        };
        let resource = match &request.subresource {
            Some(sub) => format!("{}/{sub}", request.resource),
            None => request.resource.clone(),
        };
        used.insert(
            scope,
            (request.group.clone(), resource, request.verb.clone()),
        );
    }
    for extra in UNOBSERVABLE {
        used.insert(
            extra.scope,
            permission(extra.group, extra.resource, extra.verb),
        );
    }
    (used, elsewhere)
}

/// How the chart's grants differ from what the operator used.
#[derive(Debug, Default, PartialEq, Eq)]
struct Mismatch {
    needed_but_not_granted: Vec<(Scope, Permission)>,
    granted_but_unused: Vec<(Scope, Permission)>,
}

impl Mismatch {
    fn is_empty(&self) -> bool {
        self.needed_but_not_granted.is_empty() && self.granted_but_unused.is_empty()
    }
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sections = [
            ("needed but not granted", &self.needed_but_not_granted),
            ("granted but unused", &self.granted_but_unused),
        ];
        for (title, entries) in sections.into_iter().filter(|(_, e)| !e.is_empty()) {
            writeln!(f, "{title}:")?;
            for (scope, (group, resource, verb)) in entries {
                let group = if group.is_empty() { "core" } else { group };
                writeln!(f, "  {verb:<6} {group}/{resource}   (in the {scope})")?;
            }
        }
        Ok(())
    }
}

/// Compares what was used with what is granted, scope by scope.
///
/// A grant counts as used when it is used in its scope. A cluster-wide grant (a ClusterRole) also
/// reaches every namespace: it counts as used when used cluster-wide or in the watched namespace
/// (in cluster-wide mode the Users' rules are a ClusterRole the operator, watching one namespace
/// here, uses there). Grants that reach the release namespace only because they reach every
/// namespace are judged in the watched scope, so only the release namespace's own rules (the
/// lease and Secret Roles) must be used there.
fn compare(used: &ScopedPermissions, granted: &ScopedPermissions) -> Mismatch {
    let mut mismatch = Mismatch::default();
    for scope in Scope::ALL {
        let missing = used.get(scope).difference(granted.get(scope));
        mismatch
            .needed_but_not_granted
            .extend(missing.map(|p| (scope, p.clone())));
    }
    let unused_cluster = granted
        .cluster
        .iter()
        .filter(|p| !used.cluster.contains(*p) && !used.watched.contains(*p));
    mismatch
        .granted_but_unused
        .extend(unused_cluster.map(|p| (Scope::Cluster, p.clone())));
    let unused_watched = granted
        .watched
        .difference(&granted.cluster)
        .filter(|p| !used.watched.contains(*p));
    mismatch
        .granted_but_unused
        .extend(unused_watched.map(|p| (Scope::Watched, p.clone())));
    let release_only: BTreeSet<_> = granted.release.difference(&granted.watched).collect();
    let unused_release = release_only
        .into_iter()
        .filter(|p| !used.release.contains(*p));
    mismatch
        .granted_but_unused
        .extend(unused_release.map(|p| (Scope::Release, p.clone())));
    mismatch
}

/// Leader election as the chart configures it with default values: the Lease named after the
/// release, in the release namespace. Short timings so it is renewed during the scenario.
fn leader_election() -> LeaderElectionSettings {
    LeaderElectionSettings {
        lease_name: RELEASE.to_owned(),
        lease_namespace: RELEASE_NAMESPACE.to_owned(),
        identity: "rbac-test-replica".to_owned(),
        timing: LeaseTiming::new(2, 1).expect("renewal shorter than the lease"),
    }
}

/// A Secret of the user's own (not owned by the operator) holding an initial password.
/// Creates users covering every creation path and waits until all are ready: an email code and
/// a generated password (owned Secret create), a password from the user's Secret (Secret get),
/// metadata, and a machine user to orphan.
async fn create_users_of_every_kind(harness: &Harness) {
    harness
        .create_secret("bob-initial", &[("password", "Initial-Passw0rd!")])
        .await;
    let users = [
        UserBuilder::human("alice").email_code(),
        UserBuilder::human("carol").generated_password(),
        UserBuilder::human("bob").password_from_secret("bob-initial", "password"),
        UserBuilder::human("dave")
            .username("dave")
            .metadata("team", "payments"),
        UserBuilder::machine("bot").deletion_policy(DeletionPolicy::Orphan),
    ];
    for user in users {
        harness.create(user.build()).await;
    }
    for name in ["alice", "carol", "bob", "dave", "bot"] {
        harness.wait_ready(name).await;
    }
}

/// Changes alice's email, which makes ZITADEL return a new code the operator stores by
/// rewriting its owned Secret (Secret update).
async fn rewrite_the_owned_secret(harness: &Harness) {
    let code = |data: Option<std::collections::BTreeMap<String, String>>| {
        data.expect("alice's Secret exists")["emailCode"].clone()
    };
    let before = code(harness.secret_data("alice-zitadel").await);
    harness
        .edit("alice", |user| {
            let email = &mut user.spec.human.as_mut().expect("human").email;
            email.address = "alice.new@acme.example".to_owned();
        })
        .await;
    harness.wait_ready_at("alice", 2).await;
    let after = code(harness.secret_data("alice-zitadel").await);
    assert_ne!(before, after, "the new email's code replaced the old one");
}

/// A second resource wants dave's username: blocked, with a warning event.
async fn run_into_a_conflict(harness: &Harness) {
    harness
        .create(UserBuilder::human("eve").username("dave").build())
        .await;
    harness.wait_reason("eve", "UsernameTaken").await;
}

/// Deletes alice while ZITADEL fails twice, so the identical DeletionBlocked warning is
/// published twice (the event publisher patches the series it created), then with policy Delete;
/// and the machine user with policy Orphan. Both remove the finalizer (users patch).
async fn delete_with_both_policies(harness: &Harness) {
    harness.emulators().zitadel.inject(
        "DeleteUser",
        Fault::Fail {
            times: 2,
            code: GrpcCode::Unavailable,
        },
    );
    for name in ["alice", "bot"] {
        harness.delete(name).await;
    }
    for name in ["alice", "bot"] {
        harness.wait_gone(name).await;
    }
}

/// An administrator's `ZitadelConnection` in the watched namespace, with its Secret there: the
/// operator reads the Secret and writes the connection's status (the default
/// `ClusterZitadelConnection` the harness creates covers the cluster-scoped side), and a User
/// managed through it.
async fn use_a_namespaced_connection(harness: &Harness) {
    let pat = harness.secret_data(CREDENTIAL_SECRET_OF_HARNESS).await;
    let pat = pat.expect("the harness's credential Secret")[CREDENTIAL_KEY].clone();
    harness
        .put_secret(
            &harness.namespace,
            "tenant-zitadel",
            &[(CREDENTIAL_KEY, &pat)],
        )
        .await;
    let organizations = [harness.org_id.as_str()];
    harness
        .apply_connection(
            &harness.namespace,
            "tenant",
            pat_connection(harness.zitadel_url(), "tenant-zitadel", &organizations),
        )
        .await;
    harness
        .wait_connection_reason(Some(&harness.namespace), "tenant", "Connected")
        .await;
    let user = UserBuilder::machine("tenant-bot")
        .connection(ConnectionKind::ZitadelConnection, "tenant")
        .build();
    harness.create(user).await;
    harness.wait_ready("tenant-bot").await;
}

#[tokio::test]
async fn the_chart_grants_exactly_the_permissions_the_operator_uses_in_both_rbac_modes() {
    // Checked before the harness starts, which in real mode would create namespaces first.
    assert!(
        std::env::var_os("E2E_KUBECONFIG").is_none(),
        "the RBAC test reads the Kubernetes emulator's request log: unset E2E_KUBECONFIG"
    );
    let options = Options {
        leader_election: Some(leader_election()),
        ..Options::default()
    };
    let mut harness = Harness::start_with(options).await;
    create_users_of_every_kind(&harness).await;
    use_a_namespaced_connection(&harness).await;
    rewrite_the_owned_secret(&harness).await;
    run_into_a_conflict(&harness).await;
    delete_with_both_policies(&harness).await;
    // A graceful stop releases the Lease, one more request the chart must allow.
    harness.stop_operator().await;

    let requests = operator_recorded_requests(harness.emulators());
    let (used, elsewhere) = used_permissions(&requests, &harness.namespace);
    assert!(
        elsewhere.is_empty(),
        "requests in namespaces other than the watched and the release one: {elsewhere:#?}"
    );
    let modes = [
        ("cluster-wide (default values)", String::new()),
        (
            "namespaced (watchNamespaces)",
            format!("{{{}}}", harness.namespace),
        ),
    ];
    let mut report = String::new();
    for (mode, watch_namespaces) in modes {
        let set: Vec<(&str, &str)> = if watch_namespaces.is_empty() {
            Vec::new()
        } else {
            vec![("watchNamespaces", watch_namespaces.as_str())]
        };
        let docs = render_chart(&[&ci_values("default-values.yaml")], &set);
        let mismatch = compare(
            &used,
            &ScopedPermissions::granted_by(&docs, &harness.namespace),
        );
        if !mismatch.is_empty() {
            report.push_str(&format!("chart rendered {mode}:\n{mismatch}"));
        }
    }
    assert!(
        report.is_empty(),
        "the chart's RBAC differs from what the operator used \
         (fix charts/zitadel-user-operator/templates/_rbac.tpl):\n{report}"
    );
}

/// Shorthand for a set of permissions in tests of the comparison itself.
fn permissions(entries: &[(&str, &str, &str)]) -> BTreeSet<Permission> {
    entries
        .iter()
        .map(|(group, resource, verb)| permission(group, resource, verb))
        .collect()
}

#[test]
fn a_permission_the_chart_lacks_or_grants_needlessly_is_reported() {
    let used = ScopedPermissions {
        cluster: permissions(&[("", "namespaces", "list")]),
        watched: permissions(&[("", "secrets", "get"), ("events.k8s.io", "events", "patch")]),
        release: permissions(&[("coordination.k8s.io", "leases", "get")]),
    };
    let exact = used.clone();
    assert!(
        compare(&used, &exact).is_empty(),
        "{}",
        compare(&used, &exact)
    );

    let mut modified = exact;
    modified
        .watched
        .remove(&permission("events.k8s.io", "events", "patch"));
    modified.watched.insert(permission("", "secrets", "list"));
    modified
        .release
        .insert(permission("coordination.k8s.io", "leases", "update"));
    let mismatch = compare(&used, &modified);

    assert_eq!(
        mismatch,
        Mismatch {
            needed_but_not_granted: vec![(
                Scope::Watched,
                permission("events.k8s.io", "events", "patch")
            )],
            granted_but_unused: vec![
                (Scope::Watched, permission("", "secrets", "list")),
                (
                    Scope::Release,
                    permission("coordination.k8s.io", "leases", "update")
                ),
            ],
        }
    );
    let diff = mismatch.to_string();
    assert!(diff.contains("needed but not granted:\n  patch  events.k8s.io/events"));
    assert!(diff.contains("granted but unused:\n  list   core/secrets"));
}

#[test]
fn a_cluster_wide_grant_counts_as_used_in_the_release_namespace_but_a_lease_in_it_does_not() {
    let used = ScopedPermissions {
        cluster: BTreeSet::new(),
        watched: permissions(&[("", "secrets", "get")]),
        release: permissions(&[("coordination.k8s.io", "leases", "get")]),
    };
    // A ClusterRole reaches the release namespace too; that alone is no unused grant.
    let cluster_wide = ScopedPermissions {
        cluster: used.watched.clone(),
        watched: used.watched.clone(),
        release: &used.watched | &used.release,
    };
    assert!(compare(&used, &cluster_wide).is_empty());

    // Leases granted everywhere (in the ClusterRole) are more than the operator needs.
    let leaked = ScopedPermissions {
        cluster: &used.watched | &used.release,
        watched: &used.watched | &used.release,
        release: &used.watched | &used.release,
    };
    assert_eq!(
        compare(&used, &leaked).granted_but_unused,
        [(
            Scope::Cluster,
            permission("coordination.k8s.io", "leases", "get")
        )]
    );
}

#[test]
fn requests_in_other_namespaces_and_discovery_are_kept_apart_and_cluster_wide_ones_scoped() {
    let request = |namespace: Option<&str>, resource: &str| RecordedRequest {
        user_agent: zitadel_user_operator::names::USER_AGENT.to_owned(),
        verb: "get".to_owned(),
        group: String::new(),
        resource: resource.to_owned(),
        subresource: None,
        namespace: namespace.map(str::to_owned),
        name: None,
        path: String::new(),
    };
    let requests = [
        request(Some("team-a"), "secrets"),
        request(Some("other"), "secrets"),
        request(None, "secrets"),
        request(None, ""),
    ];

    let (used, elsewhere) = used_permissions(&requests, "team-a");

    assert!(used.watched.contains(&permission("", "secrets", "get")));
    assert!(used.cluster.contains(&permission("", "secrets", "get")));
    assert_eq!(elsewhere, [requests[1].clone()]);
}
