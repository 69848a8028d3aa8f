//! The Helm chart as a cluster would receive it: rendered by the real `helm` with the chart's own CI
//! values files, then checked for the properties operators of the cluster rely on.
//! Needs `target/tools/helm` from `.ci/chart-tools.sh` (the tests fail, never skip, without it).

// A failed setup in a test helper panics like a failed assertion; clippy.toml's test exemption
// reaches only `#[test]` functions, not the helpers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::{Value, json};
use support::chart::{
    KUBE_VERSION, Permission, RELEASE_NAMESPACE, RenderError, chart_dir, ci_values,
    controller_container, env_value, objects_of_kind, pod_spec, rbac_rules, render_chart, single,
    try_render_chart,
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
fn credentials_are_mounted_as_a_read_only_file_and_no_env_var_reads_a_secret() {
    let cases = [
        (
            "default-values.yaml",
            "ZITADEL_PAT_FILE",
            "zitadel-operator-credentials",
            "pat",
        ),
        (
            "service-account-key-values.yaml",
            "ZITADEL_KEY_FILE",
            "zitadel-operator-key",
            "key.json",
        ),
    ];
    for (ci_file, path_var, secret, key) in cases {
        let docs = render(ci_file, &[]);
        let pod = pod_spec(&docs);
        let container = controller_container(&docs);

        assert_eq!(
            env_value(&docs, path_var),
            Some(format!("/var/run/zitadel/{key}").as_str()),
            "{ci_file}"
        );
        assert_eq!(
            pod["volumes"],
            json!([{"name": "zitadel-credentials", "secret": {
                "secretName": secret, "items": [{"key": key, "path": key}], "defaultMode": 0o440}}]),
            "{ci_file}"
        );
        assert_eq!(
            container["volumeMounts"],
            json!([{"name": "zitadel-credentials", "mountPath": "/var/run/zitadel", "readOnly": true}]),
            "{ci_file}"
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
    }
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
        &user_management_permissions() | &leader_election_permissions()
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
        user_management_permissions()
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

#[test]
fn adoption_of_existing_zitadel_users_reaches_the_container_only_when_allowed() {
    let by_default = render("default-values.yaml", &[]);
    assert_eq!(env_value(&by_default, "ALLOW_ADOPTION"), Some("false"));

    let allowed = render("default-values.yaml", &[("allowAdoption", "true")]);
    assert_eq!(env_value(&allowed, "ALLOW_ADOPTION"), Some("true"));
}

#[test]
fn cluster_wide_mode_grants_user_management_everywhere_and_leases_only_in_the_release_namespace() {
    let docs = render("default-values.yaml", &[]);

    assert_eq!(objects_of_kind(&docs, "ClusterRole").len(), 1);
    assert_eq!(env_value(&docs, "WATCH_NAMESPACES"), Some(""));
    assert_eq!(
        rbac_rules(&docs, "any-namespace"),
        user_management_permissions()
    );
    assert_eq!(
        rbac_rules(&docs, RELEASE_NAMESPACE),
        &user_management_permissions() | &leader_election_permissions()
    );
}

#[test]
fn namespaced_mode_renders_roles_only_in_the_listed_namespaces() {
    let docs = render("namespaced-values.yaml", &[]);
    let listed = BTreeSet::from([
        ("team-a".to_owned(), "zitadel-user-operator".to_owned()),
        ("team-b".to_owned(), "zitadel-user-operator".to_owned()),
    ]);

    assert!(objects_of_kind(&docs, "ClusterRole").is_empty());
    assert!(objects_of_kind(&docs, "ClusterRoleBinding").is_empty());
    assert_eq!(
        names_and_namespaces(&objects_of_kind(&docs, "Role")),
        listed
    );
    assert_eq!(
        names_and_namespaces(&objects_of_kind(&docs, "RoleBinding")),
        listed
    );
    assert_eq!(env_value(&docs, "WATCH_NAMESPACES"), Some("team-a,team-b"));
    assert_eq!(rbac_rules(&docs, "team-a"), user_management_permissions());
    assert_eq!(rbac_rules(&docs, "team-b"), user_management_permissions());
    assert!(rbac_rules(&docs, "team-c").is_empty());
    assert!(rbac_rules(&docs, RELEASE_NAMESPACE).is_empty());
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
