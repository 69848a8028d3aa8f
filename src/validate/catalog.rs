//! The CRDs the validator checks against, indexed by API group, version and kind.

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use manifest_validation::{Schema, TransitionRule, transition_rules};
use serde_json::json;

/// A CRD that cannot be used for validation.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// A version's schema does not serialize to JSON.
    #[error("the schema of {crd} version {version} cannot be read: {source}")]
    Schema {
        /// The CRD's name.
        crd: String,
        /// The version.
        version: String,
        /// The serialization error.
        #[source]
        source: serde_json::Error,
    },
}

/// One served version of a custom resource kind.
#[derive(Debug, Clone)]
pub struct ServedKind {
    /// API group, e.g. `zitadel-user-operator.dev`.
    pub group: String,
    /// Version, e.g. `v1alpha1`.
    pub version: String,
    /// Kind, e.g. `User`.
    pub kind: String,
    /// The version's `openAPIV3Schema`.
    pub schema: Schema,
    /// Whether `status` is a subresource (the server then ignores `status` on create).
    pub status_subresource: bool,
    /// The rules that need the stored object and cannot run offline.
    pub transition_rules: Vec<TransitionRule>,
}

/// What an `apiVersion` and `kind` refer to.
#[derive(Debug)]
pub enum Lookup<'a> {
    /// A group none of the CRDs defines: not ours to check.
    Foreign,
    /// A served version of a known kind.
    Served(&'a ServedKind),
    /// Our group, but no CRD defines the kind in that version.
    Unknown,
}

/// The served kinds of a set of CRDs.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    kinds: Vec<ServedKind>,
}

impl Catalog {
    /// Index the served versions of `crds`. A version without a schema accepts any object, as
    /// an old `v1beta1`-era CRD would.
    pub fn new(crds: &[CustomResourceDefinition]) -> Result<Self, CatalogError> {
        let mut kinds = Vec::new();
        for crd in crds {
            let name = crd.metadata.name.clone().unwrap_or_default();
            for version in crd.spec.versions.iter().filter(|v| v.served) {
                let schema = match version
                    .schema
                    .as_ref()
                    .and_then(|s| s.open_api_v3_schema.as_ref())
                {
                    Some(schema) => {
                        serde_json::to_value(schema).map_err(|source| CatalogError::Schema {
                            crd: name.clone(),
                            version: version.name.clone(),
                            source,
                        })?
                    }
                    None => json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true}),
                };
                kinds.push(ServedKind {
                    group: crd.spec.group.clone(),
                    version: version.name.clone(),
                    kind: crd.spec.names.kind.clone(),
                    transition_rules: transition_rules(&schema),
                    status_subresource: version
                        .subresources
                        .as_ref()
                        .is_some_and(|s| s.status.is_some()),
                    schema: Schema::new(schema),
                });
            }
        }
        Ok(Self { kinds })
    }

    /// What `apiVersion` (`group/version`, or `version` for the core group) and `kind` refer to.
    pub fn lookup(&self, api_version: &str, kind: &str) -> Lookup<'_> {
        let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
        if !self.kinds.iter().any(|k| k.group == group) {
            return Lookup::Foreign;
        }
        self.kinds
            .iter()
            .find(|k| k.group == group && k.version == version && k.kind == kind)
            .map_or(Lookup::Unknown, Lookup::Served)
    }

    /// Every served version of every kind.
    pub fn kinds(&self) -> &[ServedKind] {
        &self.kinds
    }

    /// The kinds served, as `Kind (group/version)`, for messages.
    pub fn served(&self) -> Vec<String> {
        self.kinds
            .iter()
            .map(|k| format!("{} ({}/{})", k.kind, k.group, k.version))
            .collect()
    }
}
