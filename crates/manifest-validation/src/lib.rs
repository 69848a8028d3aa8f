//! Custom resource admission as the Kubernetes API server applies it, without a server.
//!
//! One implementation for two users, so they agree by construction: the kube emulator (the
//! emulated API server of the test suites) and the operator's offline `validate` subcommand.
//!
//! A write goes through, in this order:
//! 1. [`normalize`]: prune fields the schema does not know (returned, so a caller can reject
//!    them the way `fieldValidation=Strict` does) and fill in schema defaults;
//! 2. [`validate`]: OpenAPI checks, then, for schema-valid objects only, the CEL rules
//!    (`x-kubernetes-validations`). Without an old object (a create) transition rules, the rules
//!    that read `oldSelf`, are skipped exactly as the server skips them on create; a rule with
//!    `optionalOldSelf: true` runs with `oldSelf` unset. [`transition_rules`] lists them.
//!
//! [`check_name`] is the server's own check of `metadata.name`, which no CRD schema covers.
//! Findings are [`Cause`]s, shaped like the server's `details.causes[]`.
//!
//! Supported schema keywords: `type`, `nullable`, `x-kubernetes-int-or-string`,
//! `x-kubernetes-preserve-unknown-fields`, `x-kubernetes-embedded-resource`, `properties`,
//! `additionalProperties`, `items`, `required`, `enum`, `default`, `maxLength`, `minLength`,
//! `pattern`, `minimum`, `maximum`, `maxItems`, `minItems`, `maxProperties`, `minProperties`,
//! `oneOf`/`anyOf`/`allOf`/`not` (checked, not used for pruning). Not supported: `format`,
//! `uniqueItems`, `multipleOf`, CEL cost limits, and validation ratcheting (every write is
//! validated in full).

mod cause;
mod cel;
mod check;
mod names;
mod normalize;
mod schema;

pub use cause::Cause;
pub use cel::{TransitionRule, transition_rules};
pub use check::validate;
pub use names::check_name;
pub use normalize::normalize;
pub use schema::Schema;

/// Root fields every object keeps whatever the schema says, and that the schema does not
/// validate (the server checks them itself).
pub const ROOT_FIELDS: [&str; 3] = ["apiVersion", "kind", "metadata"];

/// `path.key`, or `key` at the root.
fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// A boolean schema keyword, false when absent.
fn flag(schema: &serde_json::Value, name: &str) -> bool {
    schema
        .get(name)
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(false)
}
