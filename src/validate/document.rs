//! Checking one document on its own, as the API server would on create.

use manifest_validation::{Cause, check_name, normalize, validate};
use serde_json::Value;

use super::catalog::{Catalog, Lookup, ServedKind};
use super::secret_keys;

/// What checking one document found.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Not a kind of our API group (a Deployment, a Secret…): not checked.
    Skipped {
        /// The document's `kind`.
        kind: String,
    },
    /// A document of our API group (or one too broken to tell), checked.
    Checked(Checked),
}

/// A checked document.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    /// The document's `kind`, when it has one.
    pub kind: Option<String>,
    /// `metadata.name`, when it has one.
    pub name: Option<String>,
    /// The object as the server would store it (pruned, defaulted) when its kind is served.
    pub object: Option<Value>,
    /// Why the server would reject it; empty when it would not.
    pub causes: Vec<Cause>,
}

fn text<'a>(value: &'a Value, pointer: &str) -> Option<&'a str> {
    value.pointer(pointer).and_then(Value::as_str)
}

fn required(field: &str, what: &str) -> Cause {
    Cause::new(
        "FieldValueRequired",
        format!("Required value: {what}"),
        field,
    )
}

/// Check one parsed document against the catalog's CRDs.
pub fn check(catalog: &Catalog, document: &Value) -> Outcome {
    let kind = text(document, "/kind").map(str::to_string);
    let name = text(document, "/metadata/name").map(str::to_string);
    let mut checked = Checked {
        kind: kind.clone(),
        name,
        object: None,
        causes: Vec::new(),
    };
    let api_version = text(document, "/apiVersion");
    if !document.is_object() {
        checked.causes.push(Cause::new(
            "FieldValueInvalid",
            "Invalid value: a Kubernetes object must be a YAML mapping",
            "",
        ));
        return Outcome::Checked(checked);
    }
    let (Some(api_version), Some(kind)) = (api_version, kind) else {
        if api_version.is_none() {
            checked
                .causes
                .push(required("apiVersion", "apiVersion not set"));
        }
        if checked.kind.is_none() {
            checked.causes.push(required("kind", "kind not set"));
        }
        return Outcome::Checked(checked);
    };
    match catalog.lookup(api_version, &kind) {
        Lookup::Foreign => Outcome::Skipped { kind },
        Lookup::Unknown => {
            checked.causes.push(Cause::new(
                "FieldValueNotSupported",
                format!(
                    "no matches for kind \"{kind}\" in version \"{api_version}\": this binary ships {}",
                    catalog.served().join(", ")
                ),
                "kind",
            ));
            Outcome::Checked(checked)
        }
        Lookup::Served(served) => {
            let (object, causes) = admit(served, document.clone());
            checked.object = Some(object);
            checked.causes = causes;
            Outcome::Checked(checked)
        }
    }
}

/// The server's checks of `metadata` that no CRD schema covers: a name (or a prefix to
/// generate one from) that is a DNS subdomain.
fn check_metadata(object: &Value) -> Option<Cause> {
    if object.get("metadata").is_some_and(|m| !m.is_object()) {
        return Some(Cause::new(
            "FieldValueInvalid",
            "Invalid value: metadata must be a mapping",
            "metadata",
        ));
    }
    match (
        text(object, "/metadata/name").filter(|n| !n.is_empty()),
        text(object, "/metadata/generateName").filter(|n| !n.is_empty()),
    ) {
        (Some(name), _) => check_name(name, false),
        // The server appends five characters from [b-z2-9] and checks the result.
        (None, Some(prefix)) => check_name(&format!("{prefix}bcdfg"), false),
        (None, None) => Some(required(
            "metadata.name",
            "name or generateName is required",
        )),
    }
}

/// Create-time admission of a custom resource: what the server stores and why it refuses.
fn admit(served: &ServedKind, mut object: Value) -> (Value, Vec<Cause>) {
    let mut causes: Vec<Cause> = check_metadata(&object).into_iter().collect();
    if served.status_subresource
        && let Some(map) = object.as_object_mut()
    {
        // With the status subresource, the server ignores status on create.
        map.remove("status");
    }
    let pruned = normalize(&served.schema, &mut object);
    causes.extend(pruned.into_iter().map(|field| {
        Cause::new(
            "FieldValueForbidden",
            format!(
                "Unknown field: not in the {} schema (kubectl's default --validate=strict rejects it; without it the server drops it)",
                served.kind
            ),
            field,
        )
    }));
    causes.extend(validate(&served.schema, &object, None));
    causes.extend(secret_keys::check(&object));
    (object, causes)
}
