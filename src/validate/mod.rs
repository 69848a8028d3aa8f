//! Offline validation of manifests (`zitadel-user-operator validate`): the checks the API
//! server applies to our custom resources on create, and the checks ZITADEL would fail on that
//! need no server, before anything reaches a cluster.
//!
//! Per document ([`document`]): the CRD's OpenAPI schema (types, required fields, enums,
//! lengths, patterns, item and property counts), unknown fields (as `kubectl apply`'s default
//! `--validate=strict` rejects them), defaults, and the CEL rules (`x-kubernetes-validations`);
//! all through the `manifest-validation` crate, which the kube emulator runs as its API server,
//! so the two agree by construction. Plus `metadata.name`, and `secretRef.key`s that no Secret
//! could hold ([`secret_keys`]). Across documents ([`cross`]): duplicate user ids and usernames
//! per organization.
//!
//! Not checked, since they need a cluster or a ZITADEL: transition rules (CEL rules on
//! `oldSelf`, which the server runs only on update, against the stored object), that
//! referenced Secrets and keys exist, namespaces, RBAC and admission webhooks, and clashes with
//! users that already exist in ZITADEL.

pub mod catalog;
pub mod cli;
pub mod cross;
pub mod document;
pub mod input;
pub mod report;
pub mod secret_keys;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::Resource;

use crate::crd::User;
use catalog::Catalog;
use cross::UserDocument;
use document::{Checked, Outcome};
use input::{Document, Input};
use report::{Finding, Report};

pub use cli::{OutputFormat, ValidateArgs, run};

/// The CRDs this binary ships, and validates against: one entry per CRD in `crds/`.
pub fn shipped_crds() -> Vec<CustomResourceDefinition> {
    crate::crd::all()
}

/// A checked document with where it came from.
struct Located {
    file: String,
    index: usize,
    checked: Checked,
}

impl Located {
    fn location(&self) -> String {
        format!("{}[{}]", self.file, self.index)
    }

    fn finding(&self, cause: manifest_validation::Cause) -> Finding {
        Finding {
            file: self.file.clone(),
            document: Some(self.index),
            kind: self.checked.kind.clone(),
            name: self.checked.name.clone(),
            field: Some(cause.field).filter(|f| !f.is_empty()),
            message: cause.message,
        }
    }
}

/// Check every document of `inputs` against `catalog`, then the User documents against each
/// other.
pub fn validate(catalog: &Catalog, inputs: &[Input]) -> Report {
    let mut report = Report::default();
    let mut located = Vec::new();
    for input in inputs {
        let text = match &input.text {
            Ok(text) => text,
            Err(error) => {
                report.findings.push(Finding {
                    file: input.file.clone(),
                    document: None,
                    kind: None,
                    name: None,
                    field: None,
                    message: error.to_string(),
                });
                continue;
            }
        };
        for Document {
            file,
            index,
            content,
        } in input::split(&input.file, text)
        {
            let checked = match content {
                Ok(value) => match document::check(catalog, &value) {
                    Outcome::Skipped { kind } => {
                        *report.skipped.entry(kind).or_default() += 1;
                        continue;
                    }
                    Outcome::Checked(checked) => checked,
                },
                Err(message) => Checked {
                    kind: None,
                    name: None,
                    object: None,
                    causes: vec![manifest_validation::Cause::new("", message, "")],
                },
            };
            let kind = checked.kind.clone().unwrap_or_else(|| "(no kind)".into());
            *report.checked.entry(kind).or_default() += 1;
            located.push(Located {
                file,
                index,
                checked,
            });
        }
    }
    for served in catalog.kinds() {
        if report.checked.contains_key(&served.kind) {
            report
                .not_evaluated
                .insert(served.kind.clone(), served.transition_rules.clone());
        }
    }
    let mut causes: Vec<Vec<manifest_validation::Cause>> = located
        .iter_mut()
        .map(|l| std::mem::take(&mut l.checked.causes))
        .collect();
    let locations: Vec<String> = located.iter().map(Located::location).collect();
    let user_kind = User::kind(&());
    let (positions, users): (Vec<usize>, Vec<UserDocument<'_>>) = located
        .iter()
        .enumerate()
        .filter(|(_, l)| l.checked.kind.as_deref() == Some(&*user_kind))
        .filter_map(|(i, l)| {
            let user = UserDocument {
                location: &locations[i],
                name: l.checked.name.as_deref(),
                object: l.checked.object.as_ref()?,
            };
            Some((i, user))
        })
        .unzip();
    for (user, cause) in cross::duplicates(&users) {
        causes[positions[user]].push(cause);
    }
    for (l, causes) in located.iter().zip(causes) {
        report
            .findings
            .extend(causes.into_iter().map(|cause| l.finding(cause)));
    }
    report
}
