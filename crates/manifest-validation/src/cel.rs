//! `x-kubernetes-validations`: evaluating the CEL rules, and finding the transition rules.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use kube::core::cel::{CompiledSchema, Validator, compile_schema};
use serde_json::Value;

use crate::check::type_name;
use crate::{Cause, Schema, join};

fn value_at<'a>(object: &'a Value, dotted: &str) -> Option<&'a Value> {
    dotted
        .trim_start_matches('.')
        .split('.')
        .filter(|k| !k.is_empty())
        .try_fold(object, |v, k| match k.split_once('[') {
            Some((name, index)) => v
                .get(name)?
                .get(index.trim_end_matches(']').parse::<usize>().ok()?),
            None => v.get(k),
        })
}

thread_local! {
    // Compiling the rules costs far more than running them, and the kube emulator validates
    // every write against the same few CRD schemas. The compiled programs are not `Send`, so
    // each thread keeps its own.
    static VALIDATOR: Validator = Validator::new();
    static COMPILED: RefCell<HashMap<u64, Rc<CompiledSchema>>> = RefCell::default();
}

/// `schema`'s rules, compiled once per thread and schema.
fn compiled(schema: &Schema) -> Rc<CompiledSchema> {
    COMPILED.with(|cache| {
        cache
            .borrow_mut()
            .entry(schema.key())
            .or_insert_with(|| Rc::new(compile_schema(schema.value())))
            .clone()
    })
}

/// Run the CEL rules of `schema` on `object`, adding a cause per failed rule. The server
/// reports the value's type, not the value, as the invalid value of a failed rule.
pub(crate) fn evaluate(
    schema: &Schema,
    object: &Value,
    old: Option<&Value>,
    causes: &mut Vec<Cause>,
) {
    let compiled = compiled(schema);
    let outcome = VALIDATOR.with(|validator| validator.validate_compiled(&compiled, object, old));
    if let Err(errors) = outcome {
        for error in errors {
            let kind = value_at(object, &error.field_path).map_or("object", type_name);
            causes.push(Cause::new(
                "FieldValueInvalid",
                format!("Invalid value: \"{kind}\": {}", error.message),
                error.field_path.trim_start_matches('.'),
            ));
        }
    }
}

/// A CEL rule that compares with the stored object (`oldSelf`) and therefore only runs on
/// updates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransitionRule {
    /// Path of the field the rule reports on (its `fieldPath`, else the field it is declared
    /// on), e.g. `spec.organizationId`; list items are `[*]`, map values `{*}`; empty for the
    /// root.
    pub field: String,
    /// The CEL expression.
    pub rule: String,
    /// The rule's message, when it declares one.
    pub message: Option<String>,
}

fn references_old_self(rule: &str) -> bool {
    rule.match_indices("oldSelf").any(|(at, _)| {
        let before = rule[..at].chars().next_back();
        let after = rule[at + "oldSelf".len()..].chars().next();
        let ident = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        !ident(before) && !ident(after)
    })
}

fn collect(schema: &Value, path: &str, rules: &mut Vec<TransitionRule>) {
    for entry in schema
        .get("x-kubernetes-validations")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let rule = entry
            .get("rule")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let optional = entry.get("optionalOldSelf").and_then(Value::as_bool) == Some(true);
        if references_old_self(rule) && !optional {
            let field = match entry.get("fieldPath").and_then(Value::as_str) {
                Some(field_path) => join(path, field_path.trim_start_matches('.')),
                None => path.to_string(),
            };
            rules.push(TransitionRule {
                field,
                rule: rule.to_string(),
                message: entry
                    .get("message")
                    .and_then(Value::as_str)
                    .map(str::to_string),
            });
        }
    }
    if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
        for (key, child) in properties {
            collect(child, &join(path, key), rules);
        }
    }
    if let Some(additional) = schema.get("additionalProperties").filter(|a| a.is_object()) {
        collect(additional, &format!("{path}{{*}}"), rules);
    }
    if let Some(items) = schema.get("items") {
        collect(items, &format!("{path}[*]"), rules);
    }
}

/// The transition rules of `schema`: the rules that read `oldSelf` without
/// `optionalOldSelf: true`. [`validate`](crate::validate) skips them when there is no old
/// object, as the server does on create; an offline check therefore cannot evaluate them.
pub fn transition_rules(schema: &Value) -> Vec<TransitionRule> {
    let mut rules = Vec::new();
    collect(schema, "", &mut rules);
    rules
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn transition_rules_are_the_rules_reading_old_self_without_optional_old_self() {
        let schema = json!({
            "type": "object",
            "properties": {"spec": {
                "type": "object",
                "x-kubernetes-validations": [
                    {"rule": "self.a == oldSelf.a", "message": "a is immutable", "fieldPath": ".a"},
                    {"rule": "oldSelf.optMap(o, o == self).orValue(true)", "optionalOldSelf": true},
                    {"rule": "self.myoldSelfish == 1"}
                ],
                "properties": {"list": {"type": "array", "items": {
                    "type": "string",
                    "x-kubernetes-validations": [{"rule": "self == oldSelf"}]
                }}}
            }}
        });
        let rules = transition_rules(&schema);
        let fields: Vec<&str> = rules.iter().map(|r| r.field.as_str()).collect();
        assert_eq!(fields, vec!["spec.a", "spec.list[*]"]);
        assert_eq!(rules[0].message.as_deref(), Some("a is immutable"));
    }
}
