//! The set of served resource types: the built-in ones and those defined by CRDs.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::conversion::{EVENTS_GROUP, EVENTS_RESOURCE};
use crate::validation::Schema;

/// The API group of CustomResourceDefinitions.
pub const CRD_GROUP: &str = "apiextensions.k8s.io";
/// The plural of CustomResourceDefinitions.
pub const CRD_RESOURCE: &str = "customresourcedefinitions";

/// The verbs every served resource supports.
pub const VERBS: [&str; 8] = [
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];

/// A CRD `additionalPrinterColumns` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct PrinterColumn {
    /// Column header.
    pub name: String,
    /// OpenAPI type (`string`, `integer`, `date`, ...).
    pub column_type: String,
    /// Optional OpenAPI format.
    pub format: String,
    /// Column description.
    pub description: String,
    /// 0 = shown by default, >0 = only with `-o wide`.
    pub priority: i64,
    /// Simple JSONPath evaluated against each object.
    pub json_path: String,
}

/// One served version of a resource.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionInfo {
    /// Version name, e.g. `v1`.
    pub name: String,
    /// Whether this version is the storage version.
    pub storage: bool,
    /// The `openAPIV3Schema`, if any (CRDs only).
    pub schema: Option<Schema>,
    /// Whether the `status` subresource is enabled.
    pub status_subresource: bool,
    /// Printer columns for table output.
    pub printer_columns: Vec<PrinterColumn>,
}

/// A served resource type.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceType {
    /// API group, empty for core.
    pub group: String,
    /// Served versions; the first storage (or first) one is preferred.
    pub versions: Vec<VersionInfo>,
    /// Plural resource name, used in URLs.
    pub plural: String,
    /// Singular name.
    pub singular: String,
    /// Kind.
    pub kind: String,
    /// Kind of list responses.
    pub list_kind: String,
    /// Whether objects live in namespaces.
    pub namespaced: bool,
    /// `kubectl` short names.
    pub short_names: Vec<String>,
    /// Categories such as `all`.
    pub categories: Vec<String>,
    /// Defined by a CRD (custom resources) rather than built in.
    pub custom: bool,
}

impl ResourceType {
    /// The served version called `name`.
    pub fn version(&self, name: &str) -> Option<&VersionInfo> {
        self.versions.iter().find(|v| v.name == name)
    }

    /// The version discovery advertises as preferred: the storage version, else the first.
    pub fn preferred_version(&self) -> Option<&VersionInfo> {
        self.versions
            .iter()
            .find(|v| v.storage)
            .or_else(|| self.versions.first())
    }

    /// `group/version`, or just `version` for the core group.
    pub fn api_version(&self, version: &str) -> String {
        if self.group.is_empty() {
            version.to_string()
        } else {
            format!("{}/{version}", self.group)
        }
    }

    fn builtin(group: &str, plural: &str, kind: &str, namespaced: bool, short: &[&str]) -> Self {
        Self {
            group: group.to_string(),
            versions: vec![VersionInfo {
                name: "v1".to_string(),
                storage: true,
                schema: None,
                status_subresource: false,
                printer_columns: Vec::new(),
            }],
            plural: plural.to_string(),
            singular: kind.to_lowercase(),
            kind: kind.to_string(),
            list_kind: format!("{kind}List"),
            namespaced,
            short_names: short.iter().map(|s| s.to_string()).collect(),
            categories: Vec::new(),
            custom: false,
        }
    }
}

/// All resource types the emulator serves, keyed by (group, plural).
#[derive(Debug, Clone)]
pub struct Registry {
    types: BTreeMap<(String, String), Arc<ResourceType>>,
}

impl Default for Registry {
    fn default() -> Self {
        let builtins = [
            ResourceType::builtin("", "namespaces", "Namespace", false, &["ns"]),
            ResourceType::builtin("", "secrets", "Secret", true, &[]),
            ResourceType::builtin("", "configmaps", "ConfigMap", true, &["cm"]),
            // Both Event APIs are served; they share one storage (see `conversion`).
            ResourceType::builtin("", EVENTS_RESOURCE, "Event", true, &["ev"]),
            ResourceType::builtin(EVENTS_GROUP, EVENTS_RESOURCE, "Event", true, &["ev"]),
            ResourceType::builtin("coordination.k8s.io", "leases", "Lease", true, &[]),
            ResourceType::builtin(
                CRD_GROUP,
                CRD_RESOURCE,
                "CustomResourceDefinition",
                false,
                &["crd", "crds"],
            ),
        ];
        let mut registry = Self {
            types: BTreeMap::new(),
        };
        for rt in builtins {
            registry.insert(rt);
        }
        registry
    }
}

impl Registry {
    /// Serve `rt`, replacing any earlier definition of the same (group, plural).
    pub fn insert(&mut self, rt: ResourceType) {
        self.types
            .insert((rt.group.clone(), rt.plural.clone()), Arc::new(rt));
    }

    /// Stop serving (group, plural).
    pub fn remove(&mut self, group: &str, plural: &str) -> Option<Arc<ResourceType>> {
        self.types.remove(&(group.to_string(), plural.to_string()))
    }

    /// The resource type (group, plural), whatever the version.
    pub fn get(&self, group: &str, plural: &str) -> Option<Arc<ResourceType>> {
        self.types
            .get(&(group.to_string(), plural.to_string()))
            .cloned()
    }

    /// The resource type (group, plural) if it serves `version`.
    pub fn lookup(&self, group: &str, version: &str, plural: &str) -> Option<Arc<ResourceType>> {
        self.get(group, plural)
            .filter(|rt| rt.version(version).is_some())
    }

    /// Every served resource type.
    pub fn all(&self) -> impl Iterator<Item = &Arc<ResourceType>> {
        self.types.values()
    }

    /// The served groups with their versions (preferred first), core group excluded.
    pub fn groups(&self) -> BTreeMap<String, Vec<String>> {
        let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for rt in self.all().filter(|rt| !rt.group.is_empty()) {
            let versions = groups.entry(rt.group.clone()).or_default();
            let preferred = rt.preferred_version().map(|v| v.name.clone());
            for v in &rt.versions {
                if !versions.contains(&v.name) {
                    if Some(&v.name) == preferred.as_ref() {
                        versions.insert(0, v.name.clone());
                    } else {
                        versions.push(v.name.clone());
                    }
                }
            }
        }
        groups
    }

    /// The resource types served under `group`/`version`.
    pub fn in_group_version(&self, group: &str, version: &str) -> Vec<Arc<ResourceType>> {
        self.all()
            .filter(|rt| rt.group == group && rt.version(version).is_some())
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_types_are_served_from_the_start() {
        let registry = Registry::default();
        assert!(registry.lookup("", "v1", "secrets").is_some());
        assert!(
            registry
                .lookup("coordination.k8s.io", "v1", "leases")
                .is_some()
        );
        assert!(registry.lookup("", "v2", "secrets").is_none());
        assert!(
            !registry
                .get("", "namespaces")
                .is_some_and(|rt| rt.namespaced)
        );
    }
}
