//! Renders the Helm chart with the real `helm` binary and reads what it produced: objects by kind,
//! the controller's pod spec and environment, and the RBAC permissions the operator ends up with.
//!
//! `helm` comes from `.ci/chart-tools.sh` (`target/tools/helm`) or `$HELM`. Without it every chart
//! test fails with a message saying so: a silently skipped chart test would hide a broken chart.

use std::collections::BTreeSet;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// Release name used for every render.
pub const RELEASE: &str = "zitadel-user-operator";
/// Namespace the chart is rendered into (`helm template --namespace`).
pub const RELEASE_NAMESPACE: &str = "zitadel-system";
/// Kubernetes version rendered for (`helm template --kube-version`): the chart's minimum
/// (`kubeVersion` in Chart.yaml). Without it helm assumes the version of the client-go it was
/// built with, so a render would depend on the helm binary.
pub const KUBE_VERSION: &str = "1.30.0";

/// One permission: (API group, resource or `resource/subresource`, verb). The core group is `""`.
pub type Permission = (String, String, String);

/// Why the chart could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("helm not found at {}: run .ci/chart-tools.sh (or set $HELM)", .0.display())]
    HelmMissing(PathBuf),
    #[error("could not run {}", .path.display())]
    Spawn {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// Helm refused the values or a template failed; `stderr` holds helm's message.
    #[error("helm template failed: {stderr}")]
    Rejected { stderr: String },
    #[error("helm printed YAML that does not parse")]
    Yaml(#[from] serde_saphyr::Error),
}

/// The repository root (the root crate's manifest directory).
fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The chart's directory.
pub fn chart_dir() -> PathBuf {
    repo_root().join("charts/zitadel-user-operator")
}

/// A values file of the chart's `ci/` folder, e.g. `ci_values("ha-values.yaml")`.
pub fn ci_values(file_name: &str) -> PathBuf {
    chart_dir().join("ci").join(file_name)
}

/// `$HELM`, else the binary installed by `.ci/chart-tools.sh`.
fn helm_binary() -> PathBuf {
    std::env::var_os("HELM")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target/tools/helm"))
}

/// `helm template` with the given values files (in order) and `--set key=value` pairs; returns the
/// rendered objects (CRDs not included) or why helm refused.
pub fn try_render_chart(
    values_files: &[&Path],
    set: &[(&str, &str)],
) -> Result<Vec<Value>, RenderError> {
    let helm = helm_binary();
    if !helm.is_file() {
        return Err(RenderError::HelmMissing(helm));
    }
    let mut command = Command::new(&helm);
    command
        .arg("template")
        .arg(RELEASE)
        .arg(chart_dir())
        .args(["--namespace", RELEASE_NAMESPACE])
        .args(["--kube-version", KUBE_VERSION]);
    for file in values_files {
        command.arg("--values").arg(file);
    }
    for (key, value) in set {
        command.arg("--set").arg(format!("{key}={value}"));
    }
    let output = command.output().map_err(|source| RenderError::Spawn {
        path: helm.clone(),
        source,
    })?;
    if !output.status.success() {
        return Err(RenderError::Rejected {
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        });
    }
    let yaml = String::from_utf8_lossy(&output.stdout);
    Ok(serde_saphyr::from_multiple(&yaml)?)
}

/// Like [`try_render_chart`], for values the chart must accept: panics with helm's message otherwise.
pub fn render_chart(values_files: &[&Path], set: &[(&str, &str)]) -> Vec<Value> {
    try_render_chart(values_files, set).unwrap_or_else(|error| panic!("{error}"))
}

/// All rendered objects of `kind`.
pub fn objects_of_kind<'a>(docs: &'a [Value], kind: &str) -> Vec<&'a Value> {
    docs.iter().filter(|doc| doc["kind"] == kind).collect()
}

/// The one rendered object of `kind`; panics when there is none or several.
pub fn single<'a>(docs: &'a [Value], kind: &str) -> &'a Value {
    match objects_of_kind(docs, kind).as_slice() {
        [one] => one,
        others => panic!("expected exactly one {kind}, found {}", others.len()),
    }
}

/// The controller Deployment's pod spec.
pub fn pod_spec(docs: &[Value]) -> &Value {
    &single(docs, "Deployment")["spec"]["template"]["spec"]
}

/// The controller container (the pod's only container).
pub fn controller_container(docs: &[Value]) -> &Value {
    match pod_spec(docs)["containers"].as_array().map(Vec::as_slice) {
        Some([container]) => container,
        other => panic!("expected one container, found {other:?}"),
    }
}

/// The controller's environment variable `name`, as its EnvVar object.
pub fn env_var<'a>(docs: &'a [Value], name: &str) -> Option<&'a Value> {
    controller_container(docs)["env"]
        .as_array()?
        .iter()
        .find(|var| var["name"] == name)
}

/// The literal value of the controller's environment variable `name`.
pub fn env_value<'a>(docs: &'a [Value], name: &str) -> Option<&'a str> {
    env_var(docs, name)?["value"].as_str()
}

/// Permissions the operator's ServiceAccount (the Deployment's) holds in `namespace`: rules of
/// ClusterRoles bound by ClusterRoleBindings, plus rules of Roles / ClusterRoles bound by
/// RoleBindings in that namespace. `resourceNames` restrictions are not represented: a rule limited
/// to named objects still counts as the permission.
pub fn rbac_rules(docs: &[Value], namespace: &str) -> BTreeSet<Permission> {
    let account = ServiceAccountRef::of_deployment(docs);
    let mut permissions = BTreeSet::new();
    for binding in docs.iter().filter(|doc| account.is_bound_by(doc)) {
        let scoped_to = match binding["kind"].as_str() {
            Some("ClusterRoleBinding") => None,
            Some("RoleBinding") => Some(object_namespace(binding)),
            _ => continue,
        };
        if scoped_to.is_some_and(|bound_in| bound_in != namespace) {
            continue;
        }
        let role = find_role(docs, &binding["roleRef"], scoped_to);
        permissions.extend(role_permissions(role));
    }
    permissions
}

/// The ServiceAccount the controller pods run as.
struct ServiceAccountRef {
    name: String,
    namespace: String,
}

impl ServiceAccountRef {
    fn of_deployment(docs: &[Value]) -> Self {
        let deployment = single(docs, "Deployment");
        let name = deployment["spec"]["template"]["spec"]["serviceAccountName"]
            .as_str()
            .unwrap_or("default");
        Self {
            name: name.to_owned(),
            namespace: object_namespace(deployment).to_owned(),
        }
    }

    /// Whether `doc` is a (Cluster)RoleBinding with this account among its subjects.
    fn is_bound_by(&self, doc: &Value) -> bool {
        doc["subjects"].as_array().is_some_and(|subjects| {
            subjects.iter().any(|subject| {
                subject["kind"] == "ServiceAccount"
                    && subject["name"] == self.name.as_str()
                    && subject["namespace"] == self.namespace.as_str()
            })
        })
    }
}

fn object_namespace(object: &Value) -> &str {
    object["metadata"]["namespace"]
        .as_str()
        .unwrap_or(RELEASE_NAMESPACE)
}

/// The Role or ClusterRole a binding's `roleRef` names; a Role is looked up in the binding's namespace.
fn find_role<'a>(
    docs: &'a [Value],
    role_ref: &Value,
    binding_namespace: Option<&str>,
) -> &'a Value {
    let kind = role_ref["kind"].as_str().unwrap_or_default();
    let name = role_ref["name"].as_str().unwrap_or_default();
    docs.iter()
        .find(|doc| {
            doc["kind"] == kind
                && doc["metadata"]["name"] == name
                && (kind == "ClusterRole" || binding_namespace == Some(object_namespace(doc)))
        })
        .unwrap_or_else(|| {
            panic!("binding refers to {kind} {name}, which the chart does not render")
        })
}

fn role_permissions(role: &Value) -> impl Iterator<Item = Permission> + '_ {
    let rules = role["rules"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    rules.iter().flat_map(|rule| {
        let strings = |field: &str| -> Vec<String> {
            rule[field]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .filter_map(|item| item.as_str().map(str::to_owned))
                .collect()
        };
        let (groups, resources, verbs) =
            (strings("apiGroups"), strings("resources"), strings("verbs"));
        let mut permissions = Vec::new();
        for group in &groups {
            for resource in &resources {
                for verb in &verbs {
                    permissions.push((group.clone(), resource.clone(), verb.clone()));
                }
            }
        }
        permissions
    })
}
