//! The Helm chart as a cluster would receive it: rendered by the real `helm` with the chart's own CI
//! values files, then checked for the properties operators of the cluster rely on.
//! Needs `target/tools/helm` from `.ci/chart-tools.sh` (the tests fail, never skip, without it).

// A failed setup in a test helper panics like a failed assertion; clippy.toml's test exemption
// reaches only `#[test]` functions, not the helpers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeSet;
use std::path::Path;

use clap::Parser;
use kube::CustomResourceExt;
use kube::core::cel::Validator;
use serde_json::{Value, json};
use support::chart::{
    KUBE_VERSION, Permission, RELEASE_NAMESPACE, RenderError, chart_dir, ci_values,
    controller_container, env_value, env_var, objects_of_kind, pod_spec, rbac_rules, render_chart,
    single, try_render_chart,
};
use zitadel_user_operator::config::Args;
use zitadel_user_operator::crd::{
    ClusterZitadelConnection, ConnectionCredentialType, MAX_CONNECTION_ORGANIZATIONS,
};

/// Renders the chart with one of its `ci/` values files and optional `--set` overrides.
fn render(ci_file: &str, set: &[(&str, &str)]) -> Vec<Value> {
    render_chart(&[&ci_values(ci_file)], set)
}

fn permissions(group: &str, resource: &str, verbs: &[&str]) -> BTreeSet<Permission> {
    verbs
        .iter()
        .map(|verb| (group.to_owned(), resource.to_owned(), (*verb).to_owned()))
        .collect()
}

/// What the operator needs wherever it manages Users.
fn user_management_permissions() -> BTreeSet<Permission> {
    let group = "zitadel-user-operator.dev";
    [
        permissions(group, "users", &["list", "watch", "patch"]),
        permissions(group, "users/status", &["patch"]),
        permissions(group, "users/finalizers", &["update"]),
        permissions("", "secrets", &["get", "list", "watch", "create", "update"]),
        permissions("events.k8s.io", "events", &["create", "patch"]),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// What the operator needs wherever it manages Users, connections included: the Ready condition of
/// the ZitadelConnections there (their Secrets are read with the `get` on secrets).
fn watched_namespace_permissions() -> BTreeSet<Permission> {
    &user_management_permissions()
        | &permissions(
            "zitadel-user-operator.dev",
            "zitadelconnections/status",
            &["patch"],
        )
}

/// What the operator needs cluster-wide in both watch modes: the connection and Namespace caches,
/// cluster connections' status.
fn cluster_permissions() -> BTreeSet<Permission> {
    let group = "zitadel-user-operator.dev";
    [
        permissions(group, "zitadelconnections", &["list", "watch"]),
        permissions(group, "clusterzitadelconnections", &["list", "watch"]),
        permissions(group, "clusterzitadelconnections/status", &["patch"]),
        permissions("", "namespaces", &["list", "watch"]),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The credential Secrets of cluster connections, in the release namespace.
fn operator_namespace_permissions() -> BTreeSet<Permission> {
    permissions("", "secrets", &["get"])
}

fn leader_election_permissions() -> BTreeSet<Permission> {
    permissions("coordination.k8s.io", "leases", &["get", "create", "patch"])
}

fn names_and_namespaces(objects: &[&Value]) -> BTreeSet<(String, String)> {
    objects
        .iter()
        .map(|object| {
            let metadata = &object["metadata"];
            let field = |name: &str| metadata[name].as_str().unwrap_or_default().to_owned();
            (field("namespace"), field("name"))
        })
        .collect()
}

#[test]
fn the_controller_pod_is_hardened() {
    let docs = render("default-values.yaml", &[]);
    let pod = pod_spec(&docs);
    let container = controller_container(&docs);

    assert_eq!(pod["automountServiceAccountToken"], true);
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    assert_eq!(pod["securityContext"]["runAsUser"], 65532);
    assert_eq!(
        pod["securityContext"]["seccompProfile"]["type"],
        "RuntimeDefault"
    );
    let security = &container["securityContext"];
    assert_eq!(security["runAsNonRoot"], true);
    assert_eq!(security["runAsUser"], 65532);
    assert_eq!(security["readOnlyRootFilesystem"], true);
    assert_eq!(security["allowPrivilegeEscalation"], false);
    assert_eq!(security["capabilities"]["drop"], json!(["ALL"]));
    assert_eq!(security["seccompProfile"]["type"], "RuntimeDefault");
    assert_eq!(
        container["resources"],
        json!({"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "256Mi"}})
    );
    assert_eq!(
        container["ports"],
        json!([{"name": "http", "containerPort": 8080, "protocol": "TCP"}])
    );
    assert_eq!(
        container["livenessProbe"]["httpGet"],
        json!({"path": "/healthz", "port": "http"})
    );
    assert_eq!(
        container["readinessProbe"]["httpGet"],
        json!({"path": "/readyz", "port": "http"})
    );
}

#[test]
fn the_pod_holds_no_credential_and_no_zitadel_setting() {
    // The operator reads connections' Secrets through the API: nothing is mounted, no variable
    // comes from a Secret, and the ZITADEL flags are gone (every instance is a connection object).
    for ci_file in ["default-values.yaml", "service-account-key-values.yaml"] {
        let docs = render(ci_file, &[]);
        let pod = pod_spec(&docs);
        let container = controller_container(&docs);

        assert!(pod.get("volumes").is_none(), "{ci_file}: volumes");
        assert!(
            container.get("volumeMounts").is_none(),
            "{ci_file}: volumeMounts"
        );
        assert!(container.get("envFrom").is_none(), "{ci_file}: envFrom");
        let env = container["env"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        let from_secrets: Vec<&Value> = env
            .iter()
            .filter(|var| !var["valueFrom"]["secretKeyRef"].is_null())
            .collect();
        assert!(from_secrets.is_empty(), "{ci_file}: {from_secrets:?}");
        // The rate limit is no instance setting: it applies to every instance alike.
        let removed: Vec<&str> = env
            .iter()
            .filter_map(|var| var["name"].as_str())
            .filter(|name| !RATE_LIMIT_VARIABLES.contains(name))
            .filter(|name| name.starts_with("ZITADEL_") || *name == "ALLOW_ADOPTION")
            .collect();
        assert!(removed.is_empty(), "{ci_file}: {removed:?}");
    }
}

/// The environment of the ZITADEL rate limit, in the order of its flags.
const RATE_LIMIT_VARIABLES: [&str; 3] = ["ZITADEL_QPS", "ZITADEL_BURST", "ZITADEL_MAX_IN_FLIGHT"];

/// The ZITADEL rate limit the operator would run with (rate, burst, requests in flight), parsed
/// from the rendered environment as the binary parses it.
fn rendered_rate_limit(docs: &[Value]) -> (f64, u32, Option<u32>) {
    let values = RATE_LIMIT_VARIABLES
        .map(|name| env_value(docs, name).unwrap_or_else(|| panic!("{name} is set")));
    let [qps, burst, in_flight] = &values;
    let args = Args::try_parse_from([
        "zitadel-user-operator",
        "--namespace=zitadel-system",
        &format!("--zitadel-qps={qps}"),
        &format!("--zitadel-burst={burst}"),
        &format!("--zitadel-max-in-flight={in_flight}"),
    ])
    .unwrap_or_else(|error| panic!("the operator refuses {values:?}: {error}"));
    let limit = args.into_config().unwrap().zitadel_rate_limit;
    (limit.qps(), limit.burst(), limit.max_in_flight())
}

#[test]
fn the_zitadel_rate_limit_values_reach_the_operator_as_its_flags_read_them() {
    assert_eq!(
        rendered_rate_limit(&render("default-values.yaml", &[])),
        (20.0, 40, Some(16))
    );
    assert_eq!(
        rendered_rate_limit(&render("ha-values.yaml", &[])),
        (7.5, 15, Some(6))
    );
    // Helm reads a values file's numbers as floats, which it prints as `3e+06` from a million on:
    // the burst must still render as an integer.
    let dir = tempfile::tempdir().unwrap();
    let large = dir.path().join("large-rate.yaml");
    std::fs::write(
        &large,
        "zitadelRateLimit:\n  qps: 2000000\n  burst: 3000000\n  maxInFlight: 4000000\n",
    )
    .unwrap();
    let docs = render_chart(&[&ci_values("default-values.yaml"), &large], &[]);
    assert_eq!(
        rendered_rate_limit(&docs),
        (2_000_000.0, 3_000_000, Some(4_000_000))
    );
}

#[test]
fn a_zitadel_rate_limit_of_zero_is_refused_by_the_chart() {
    for (key, value) in [
        ("zitadelRateLimit.qps", "0"),
        ("zitadelRateLimit.burst", "0"),
        ("zitadelRateLimit.maxInFlight", "0"),
    ] {
        let refused = try_render_chart(&[&ci_values("default-values.yaml")], &[(key, value)]);
        assert!(
            matches!(&refused, Err(RenderError::Rejected { stderr }) if stderr.contains("zitadelRateLimit")),
            "{key}={value}: {refused:?}"
        );
    }
}

#[test]
fn the_operator_learns_its_namespace_from_the_pod() {
    let docs = render("default-values.yaml", &[]);

    assert_eq!(
        env_var(&docs, "POD_NAMESPACE").map(|var| &var["valueFrom"]),
        Some(&json!({"fieldRef": {"fieldPath": "metadata.namespace"}}))
    );
}

/// The rendered `default` ClusterZitadelConnection, checked against the CRD's schema rules and
/// read as the operator reads it.
fn default_connection(docs: &[Value]) -> ClusterZitadelConnection {
    let object = single(docs, "ClusterZitadelConnection");
    let crd = ClusterZitadelConnection::crd();
    let schema = crd.spec.versions[0]
        .schema
        .as_ref()
        .and_then(|s| s.open_api_v3_schema.as_ref())
        .expect("the CRD has a schema");
    let schema = serde_json::to_value(schema).expect("the schema serializes");
    if let Err(errors) = Validator::new().validate(&schema, object, None) {
        let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
        panic!("the default connection breaks a CRD rule: {messages:?}");
    }
    serde_json::from_value(object.clone()).unwrap_or_else(|error| {
        panic!("the default connection is no ClusterZitadelConnection: {error}")
    })
}

#[test]
fn the_default_connection_is_rendered_from_the_zitadel_values() {
    let docs = render("namespaced-values.yaml", &[]);
    let connection = default_connection(&docs);
    let spec = &connection.spec;

    assert_eq!(connection.metadata.name.as_deref(), Some("default"));
    assert_eq!(connection.metadata.namespace, None, "cluster-scoped");
    assert_eq!(
        spec.connection.url,
        "http://zitadel.zitadel.svc.cluster.local:8080"
    );
    assert_eq!(
        spec.connection.instance_host.as_deref(),
        Some("zitadel.example.com")
    );
    assert_eq!(spec.connection.issuer, None);
    assert_eq!(spec.connection.timeout.as_deref(), Some("10s"));
    assert_eq!(
        spec.connection.credentials.r#type,
        ConnectionCredentialType::PersonalAccessToken
    );
    assert_eq!(
        spec.connection.credentials.secret_ref.name,
        "zitadel-operator-credentials"
    );
    assert_eq!(spec.connection.credentials.secret_ref.key, "pat");
    assert_eq!(spec.connection.organizations, ["123456789012345678"]);
    assert!(!spec.connection.allow_adoption);
    assert_eq!(
        serde_json::to_value(&spec.allowed_namespaces).unwrap(),
        json!({"matchExpressions": [{
            "key": "kubernetes.io/metadata.name", "operator": "In", "values": ["team-a", "team-b"]
        }]})
    );
}

#[test]
fn a_service_account_key_connection_reads_key_json_and_may_allow_adoption() {
    let docs = render("service-account-key-values.yaml", &[]);
    let spec = default_connection(&docs).spec;

    assert_eq!(
        spec.connection.credentials.r#type,
        ConnectionCredentialType::ServiceAccountKey
    );
    assert_eq!(
        spec.connection.credentials.secret_ref.name,
        "zitadel-operator-key"
    );
    assert_eq!(spec.connection.credentials.secret_ref.key, "key.json");
    assert_eq!(
        spec.connection.issuer.as_deref(),
        Some("https://zitadel.example.com")
    );
    assert!(spec.connection.allow_adoption);
}

#[test]
fn allowed_namespaces_empty_selects_every_namespace_and_is_rendered_as_such() {
    // `{}` must survive the render: an absent selector would admit no namespace at all.
    let docs = render("default-values.yaml", &[]);
    let spec = default_connection(&docs).spec;

    assert_eq!(
        serde_json::to_value(&spec.allowed_namespaces).unwrap(),
        json!({})
    );
    let by_labels = render("ha-values.yaml", &[]);
    assert_eq!(
        serde_json::to_value(&default_connection(&by_labels).spec.allowed_namespaces).unwrap(),
        json!({"matchLabels": {"zitadel.example.com/tenant": "platform"}})
    );
}

#[test]
fn adoption_is_a_setting_of_the_default_connection_only_when_allowed() {
    let by_default = render("default-values.yaml", &[]);
    assert!(
        !default_connection(&by_default)
            .spec
            .connection
            .allow_adoption
    );

    let allowed = render("default-values.yaml", &[("zitadel.allowAdoption", "true")]);
    assert!(default_connection(&allowed).spec.connection.allow_adoption);
}

#[test]
fn the_old_top_level_allow_adoption_is_refused_with_where_it_went() {
    let result = try_render_chart(
        &[&ci_values("default-values.yaml")],
        &[("allowAdoption", "true")],
    );

    match result {
        Err(RenderError::Rejected { stderr }) => assert!(
            stderr.contains("allowAdoption moved to zitadel.allowAdoption"),
            "{stderr}"
        ),
        other => panic!("expected helm to reject the values, got {other:?}"),
    }
}

#[test]
fn without_the_default_connection_no_zitadel_value_is_required() {
    let docs = render("no-default-connection-values.yaml", &[]);

    assert!(objects_of_kind(&docs, "ClusterZitadelConnection").is_empty());
    // The operator still serves the administrator's own connections.
    assert_eq!(
        rbac_rules(&docs, CLUSTER_ONLY),
        &watched_namespace_permissions() | &cluster_permissions()
    );
}

#[test]
fn the_organizations_value_is_bounded_like_the_crd() {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(chart_dir().join("values.schema.json")).unwrap(),
    )
    .unwrap();
    let organizations = &schema["properties"]["zitadel"]["properties"]["organizations"];

    assert_eq!(organizations["maxItems"], MAX_CONNECTION_ORGANIZATIONS);
    assert_eq!(organizations["items"]["maxLength"], 200);
}

#[test]
fn high_availability_renders_a_pdb_and_enables_leader_election() {
    let docs = render("ha-values.yaml", &[]);
    let deployment = single(&docs, "Deployment");
    let pdb = single(&docs, "PodDisruptionBudget");

    assert_eq!(deployment["spec"]["replicas"], 3);
    assert_eq!(deployment["spec"]["strategy"]["type"], "RollingUpdate");
    assert_eq!(env_value(&docs, "LEADER_ELECTION"), Some("true"));
    assert_eq!(
        env_value(&docs, "LEASE_NAME"),
        Some("zitadel-user-operator-leader")
    );
    assert_eq!(pdb["spec"]["minAvailable"], 1);
    assert_eq!(
        pdb["spec"]["selector"]["matchLabels"],
        deployment["spec"]["selector"]["matchLabels"]
    );
    assert_eq!(
        rbac_rules(&docs, RELEASE_NAMESPACE),
        &(&watched_namespace_permissions() | &cluster_permissions())
            | &leader_election_permissions()
    );
}

#[test]
fn replicas_are_spread_softly_so_small_clusters_still_schedule_them() {
    let docs = render("ha-values.yaml", &[]);
    let pod = pod_spec(&docs);
    let selector = &single(&docs, "Deployment")["spec"]["selector"];

    let anti_affinity = &pod["affinity"]["podAntiAffinity"];
    assert!(anti_affinity["requiredDuringSchedulingIgnoredDuringExecution"].is_null());
    assert_eq!(
        anti_affinity["preferredDuringSchedulingIgnoredDuringExecution"][0]["podAffinityTerm"]["labelSelector"],
        *selector
    );
    assert_eq!(
        pod["topologySpreadConstraints"][0]["whenUnsatisfiable"],
        "ScheduleAnyway"
    );
}

#[test]
fn the_service_monitor_scrapes_the_metrics_port_of_the_controller_pods() {
    let docs = render("ha-values.yaml", &[]);
    let pod_labels = &single(&docs, "Deployment")["spec"]["selector"]["matchLabels"];
    let service = single(&docs, "Service");
    let monitor = single(&docs, "ServiceMonitor");

    assert_eq!(service["spec"]["selector"], *pod_labels);
    assert_eq!(
        service["spec"]["ports"],
        json!([{"name": "http", "port": 8080, "targetPort": "http", "protocol": "TCP"}])
    );
    // The monitor finds the Service by the same labels, which the Service carries.
    assert_eq!(monitor["spec"]["selector"]["matchLabels"], *pod_labels);
    for (key, value) in pod_labels.as_object().into_iter().flatten() {
        assert_eq!(service["metadata"]["labels"][key], *value, "{key}");
    }
    assert_eq!(
        monitor["spec"]["endpoints"][0]["port"],
        service["spec"]["ports"][0]["name"]
    );
    assert_eq!(monitor["spec"]["endpoints"][0]["path"], "/metrics");
    assert_eq!(monitor["metadata"]["labels"]["release"], "prometheus");
}

#[test]
fn the_network_policy_admits_only_the_configured_peers_to_the_metrics_port_and_leaves_egress_open()
{
    let docs = render("ha-values.yaml", &[]);
    let policy = &single(&docs, "NetworkPolicy")["spec"];

    assert_eq!(
        policy["podSelector"],
        single(&docs, "Deployment")["spec"]["selector"]
    );
    assert_eq!(policy["policyTypes"], json!(["Ingress"]));
    assert_eq!(
        policy["ingress"],
        json!([{
            "from": [{
                "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}},
                "podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}},
            }],
            "ports": [{"port": "http", "protocol": "TCP"}],
        }])
    );
}

#[test]
fn a_single_replica_has_no_pdb_that_would_block_node_drains() {
    let docs = render("default-values.yaml", &[]);

    assert!(objects_of_kind(&docs, "PodDisruptionBudget").is_empty());
}

#[test]
fn without_leader_election_the_old_pod_stops_before_the_new_one_starts() {
    let docs = render(
        "default-values.yaml",
        &[("leaderElection.enabled", "false")],
    );

    assert_eq!(
        single(&docs, "Deployment")["spec"]["strategy"]["type"],
        "Recreate"
    );
    assert_eq!(env_value(&docs, "LEADER_ELECTION"), Some("false"));
    assert_eq!(
        rbac_rules(&docs, RELEASE_NAMESPACE),
        &watched_namespace_permissions() | &cluster_permissions()
    );
}

#[test]
fn more_than_one_replica_without_leader_election_is_rejected() {
    let result = try_render_chart(
        &[&ci_values("default-values.yaml")],
        &[("replicaCount", "2"), ("leaderElection.enabled", "false")],
    );

    match result {
        Err(RenderError::Rejected { stderr }) => assert!(
            stderr.contains("replicaCount=2 requires leaderElection.enabled=true"),
            "{stderr}"
        ),
        other => panic!("expected helm to reject the values, got {other:?}"),
    }
}

/// A namespace no RoleBinding of the chart is in: what the operator holds there comes from its
/// ClusterRoleBindings only, which is also what it holds for cluster-scoped resources.
const CLUSTER_ONLY: &str = "no-rolebinding-here";

#[test]
fn cluster_wide_mode_grants_user_management_everywhere_and_leases_only_in_the_release_namespace() {
    let docs = render("default-values.yaml", &[]);

    assert_eq!(objects_of_kind(&docs, "ClusterRole").len(), 2);
    assert_eq!(env_value(&docs, "WATCH_NAMESPACES"), Some(""));
    assert_eq!(
        rbac_rules(&docs, CLUSTER_ONLY),
        &watched_namespace_permissions() | &cluster_permissions()
    );
    assert_eq!(
        rbac_rules(&docs, RELEASE_NAMESPACE),
        &(&watched_namespace_permissions() | &cluster_permissions())
            | &leader_election_permissions()
    );
}

#[test]
fn namespaced_mode_manages_users_only_in_the_listed_namespaces_and_connections_cluster_wide() {
    let docs = render("namespaced-values.yaml", &[]);
    let listed = BTreeSet::from([
        ("team-a".to_owned(), "zitadel-user-operator".to_owned()),
        ("team-b".to_owned(), "zitadel-user-operator".to_owned()),
    ]);
    let connections = "zitadel-user-operator-connections".to_owned();
    let with_release = |mut set: BTreeSet<(String, String)>| {
        set.insert((RELEASE_NAMESPACE.to_owned(), connections.clone()));
        set
    };

    // One ClusterRole only: the connections, Namespaces and cluster connections' status.
    let cluster_roles = objects_of_kind(&docs, "ClusterRole");
    assert_eq!(
        names_and_namespaces(&cluster_roles),
        BTreeSet::from([(String::new(), connections.clone())])
    );
    assert_eq!(objects_of_kind(&docs, "ClusterRoleBinding").len(), 1);
    assert_eq!(
        names_and_namespaces(&objects_of_kind(&docs, "Role")),
        with_release(listed.clone())
    );
    assert_eq!(
        names_and_namespaces(&objects_of_kind(&docs, "RoleBinding")),
        with_release(listed)
    );
    assert_eq!(env_value(&docs, "WATCH_NAMESPACES"), Some("team-a,team-b"));
    let in_listed = &watched_namespace_permissions() | &cluster_permissions();
    assert_eq!(rbac_rules(&docs, "team-a"), in_listed);
    assert_eq!(rbac_rules(&docs, "team-b"), in_listed);
    assert_eq!(rbac_rules(&docs, CLUSTER_ONLY), cluster_permissions());
    // The release namespace: only the cluster connections' credential Secrets, read one by one.
    assert_eq!(
        rbac_rules(&docs, RELEASE_NAMESPACE),
        &cluster_permissions() | &operator_namespace_permissions()
    );
}

#[test]
fn the_tests_render_for_the_minimum_kubernetes_version_the_chart_declares() {
    let path = chart_dir().join("Chart.yaml");
    let chart = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    let declared = format!("kubeVersion: \">={KUBE_VERSION}-0\"");

    assert!(
        chart.lines().any(|line| line == declared),
        "Chart.yaml should declare `{declared}`; update KUBE_VERSION in tests/support/chart.rs with it"
    );
}

#[test]
fn the_chart_ships_the_generated_crds_unchanged() {
    let generated_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("crds");
    let shipped_dir = chart_dir().join("crds");
    let read_dir = |dir: &Path| -> Vec<(String, String)> {
        let mut files: Vec<(String, String)> = std::fs::read_dir(dir)
            .unwrap_or_else(|error| panic!("{}: {error}", dir.display()))
            .map(|entry| {
                entry
                    .unwrap_or_else(|error| panic!("{}: {error}", dir.display()))
                    .path()
            })
            .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
            .map(|path| {
                let name = path
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned();
                let text = std::fs::read_to_string(&path)
                    .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
                (name, text)
            })
            .collect();
        files.sort();
        files
    };

    let generated = read_dir(&generated_dir);
    assert!(
        generated
            .iter()
            .any(|(name, _)| name == "users.zitadel-user-operator.dev.yaml"),
        "crds/users.zitadel-user-operator.dev.yaml is missing: generate it"
    );
    assert!(
        read_dir(&shipped_dir) == generated,
        "the chart's crds/ differ from crds/: run .ci/chart-check sync-crds"
    );
}
