//! The CRD as the API server sees it: the committed YAML, the schema and the CEL rules that
//! reject bad input at `kubectl apply` time, and the examples users copy.

// A failed setup in a test helper panics like a failed assertion; clippy.toml's test exemption
// reaches only `#[test]` functions, not the helpers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use kube::CustomResourceExt;
use kube::core::cel::Validator;
use serde_json::{Value, json};
use zitadel_user_operator::crd::{EmailVerification, User, crd_yaml};
use zitadel_user_operator::fixtures::UserBuilder;

const CRD_FILE: &str = "crds/users.zitadel-user-operator.dev.yaml";

fn schema() -> Value {
    let crd = User::crd();
    let version = &crd.spec.versions[0];
    let schema = version
        .schema
        .as_ref()
        .and_then(|s| s.open_api_v3_schema.as_ref());
    serde_json::to_value(schema.expect("the CRD has a schema")).expect("schema serializes")
}

/// Messages of the CEL rules that reject `object` (updating from `old` when given).
fn cel_violations(object: &Value, old: Option<&Value>) -> Vec<String> {
    match Validator::new().validate(&schema(), object, old) {
        Ok(()) => Vec::new(),
        Err(errors) => errors.iter().map(|e| e.to_string()).collect(),
    }
}

fn assert_rejected(object: &Value, old: Option<&Value>, expected_message: &str) {
    let violations = cel_violations(object, old);
    assert!(
        violations.iter().any(|v| v.contains(expected_message)),
        "expected a violation containing {expected_message:?}, got {violations:?}"
    );
}

#[test]
fn committed_crd_yaml_matches_the_rust_types() {
    let committed = std::fs::read_to_string(CRD_FILE).expect("the CRD file is committed");
    let generated = crd_yaml().expect("the CRD renders as YAML");
    assert!(
        committed == generated,
        "{CRD_FILE} is stale: run `cargo run --bin crdgen > {CRD_FILE}`"
    );
}

#[test]
fn crd_is_namespaced_with_short_name_category_and_status_subresource() {
    let crd = User::crd();
    assert_eq!(crd.spec.scope, "Namespaced");
    assert_eq!(crd.spec.names.short_names, Some(vec!["zuser".to_owned()]));
    assert_eq!(crd.spec.names.categories, Some(vec!["zitadel".to_owned()]));
    let version = &crd.spec.versions[0];
    assert!(
        version
            .subresources
            .as_ref()
            .and_then(|s| s.status.as_ref())
            .is_some()
    );
    let columns: Vec<_> = version
        .additional_printer_columns
        .iter()
        .flatten()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(
        columns,
        ["Type", "Organization", "User ID", "State", "Ready", "Age"]
    );
}

#[test]
fn every_field_of_the_schema_has_a_description() {
    fn walk(path: &str, node: &Value, missing: &mut Vec<String>) {
        if let Some(properties) = node.get("properties").and_then(Value::as_object) {
            for (name, child) in properties {
                let child_path = format!("{path}.{name}");
                let documented = child.get("description").and_then(Value::as_str).is_some();
                // apiVersion/kind/metadata are Kubernetes' own and documented by it.
                if !documented && !path.is_empty() {
                    missing.push(child_path.clone());
                }
                walk(&child_path, child, missing);
            }
        }
        if let Some(items) = node.get("items") {
            walk(path, items, missing);
        }
    }
    let mut missing = Vec::new();
    let schema = schema();
    walk("", &schema["properties"]["spec"], &mut missing);
    walk("", &schema["properties"]["status"], &mut missing);
    assert!(
        missing.is_empty(),
        "fields without a description: {missing:?}"
    );
}

#[test]
fn a_valid_human_and_machine_pass_every_rule() {
    assert_eq!(
        cel_violations(&UserBuilder::human("alice").json(), None),
        Vec::<String>::new()
    );
    assert_eq!(
        cel_violations(&UserBuilder::machine("bot").json(), None),
        Vec::<String>::new()
    );
}

#[test]
fn a_user_without_human_or_machine_is_rejected() {
    let mut user = UserBuilder::human("alice").json();
    user["spec"].as_object_mut().expect("spec").remove("human");
    assert_rejected(&user, None, "exactly one of spec.human or spec.machine");
}

#[test]
fn a_user_with_both_human_and_machine_is_rejected() {
    let mut user = UserBuilder::human("alice").json();
    user["spec"]["machine"] = json!({"name": "bot"});
    assert_rejected(&user, None, "exactly one of spec.human or spec.machine");
}

#[test]
fn changing_a_human_into_a_machine_is_rejected() {
    let old = UserBuilder::human("alice").json();
    let new = UserBuilder::machine("alice").json();
    assert_rejected(&new, Some(&old), "the user type cannot change");
}

#[test]
fn changing_the_organization_is_rejected() {
    let old = UserBuilder::human("alice").json();
    let new = UserBuilder::human("alice").organization("42").json();
    assert_rejected(&new, Some(&old), "spec.organizationId is immutable");
}

#[test]
fn changing_or_removing_a_set_user_id_is_rejected() {
    let old = UserBuilder::human("alice").user_id("alice").json();
    let changed = UserBuilder::human("alice").user_id("alice2").json();
    assert_rejected(
        &changed,
        Some(&old),
        "spec.userId cannot be changed or removed",
    );
    let removed = UserBuilder::human("alice").json();
    assert_rejected(
        &removed,
        Some(&old),
        "spec.userId cannot be changed or removed",
    );
}

#[test]
fn setting_a_user_id_that_was_absent_is_allowed_by_the_schema() {
    let old = UserBuilder::human("alice").json();
    let new = UserBuilder::human("alice").user_id("alice").json();
    assert_eq!(cel_violations(&new, Some(&old)), Vec::<String>::new());
}

/// `object` with `status.userId` set, as the operator writes it once the user exists.
fn managing(mut object: Value, user_id: &str) -> Value {
    object["status"] = json!({"userId": user_id});
    object
}

#[test]
fn a_user_id_added_after_creation_must_be_the_one_already_in_use() {
    let old = managing(UserBuilder::human("alice").json(), "uid-of-alice");
    let other = managing(
        UserBuilder::human("alice").user_id("someone-else").json(),
        "uid-of-alice",
    );
    assert_rejected(
        &other,
        Some(&old),
        "spec.userId may be added after creation only with the id this User already manages",
    );
    let same = managing(
        UserBuilder::human("alice").user_id("uid-of-alice").json(),
        "uid-of-alice",
    );
    assert_eq!(cel_violations(&same, Some(&old)), Vec::<String>::new());
}

#[test]
fn the_operator_may_record_an_adopted_id_that_differs_from_a_user_id_set_at_creation() {
    let old = UserBuilder::human("alice").user_id("alice").json();
    let recorded = managing(UserBuilder::human("alice").user_id("alice").json(), "77");
    assert_eq!(cel_violations(&recorded, Some(&old)), Vec::<String>::new());
}

#[test]
fn other_spec_changes_are_allowed() {
    let old = UserBuilder::human("alice").json();
    let new = UserBuilder::human("alice")
        .given_name("Alicia")
        .username("al")
        .json();
    assert_eq!(cel_violations(&new, Some(&old)), Vec::<String>::new());
}

#[test]
fn a_url_template_is_only_allowed_with_send_code() {
    let template = "https://acme.example/verify?code={{.Code}}";
    let with_return_code = UserBuilder::human("alice")
        .email("alice@acme.example", EmailVerification::ReturnCode)
        .email_url_template(template)
        .json();
    assert_rejected(
        &with_return_code,
        None,
        "urlTemplate is only allowed with verification SendCode",
    );
    let with_send_code = UserBuilder::human("alice")
        .email("alice@acme.example", EmailVerification::SendCode)
        .email_url_template(template)
        .json();
    assert_eq!(cel_violations(&with_send_code, None), Vec::<String>::new());
}

#[test]
fn metadata_keys_longer_than_200_characters_are_rejected() {
    let long_key = "k".repeat(201);
    let user = UserBuilder::human("alice").metadata(&long_key, "v").json();
    assert_rejected(
        &user,
        None,
        "metadata keys must be 1 to 200 characters long",
    );
    let ok = UserBuilder::human("alice")
        .metadata(&"k".repeat(200), "v")
        .json();
    assert_eq!(cel_violations(&ok, None), Vec::<String>::new());
}

#[test]
fn a_password_needs_exactly_one_source() {
    let mut neither = UserBuilder::human("alice").generated_password().json();
    neither["spec"]["human"]["password"] = json!({"changeRequired": true});
    assert_rejected(
        &neither,
        None,
        "password needs exactly one of secretRef or generate",
    );

    let mut both = UserBuilder::human("alice")
        .password_from_secret("s", "k")
        .json();
    both["spec"]["human"]["password"]["generate"] = json!(true);
    assert_rejected(
        &both,
        None,
        "password needs exactly one of secretRef or generate",
    );
}

#[test]
fn a_hashed_password_requires_a_secret_ref() {
    let mut user = UserBuilder::human("alice").generated_password().json();
    user["spec"]["human"]["password"]["hashed"] = json!(true);
    assert_rejected(&user, None, "password.hashed requires password.secretRef");
}

#[test]
fn every_example_is_a_valid_resource() {
    let mut users = 0;
    for entry in std::fs::read_dir("examples").expect("examples/ exists") {
        let path = entry.expect("readable entry").path();
        let text = std::fs::read_to_string(&path).expect("readable example");
        for document in serde_saphyr::from_multiple::<Value>(&text).expect("valid YAML") {
            if document["kind"] != "User" {
                continue;
            }
            let user: User = serde_json::from_value(document.clone())
                .unwrap_or_else(|e| panic!("{} does not match the User type: {e}", path.display()));
            assert_eq!(
                cel_violations(&document, None),
                Vec::<String>::new(),
                "{} breaks a rule",
                path.display()
            );
            assert!(user.spec.human.is_some() != user.spec.machine.is_some());
            users += 1;
        }
    }
    assert!(
        users >= 4,
        "expected at least four example Users, found {users}"
    );
}

#[test]
fn the_operators_owner_metadata_key_is_reserved() {
    let user = UserBuilder::human("alice")
        .metadata(zitadel_user_operator::names::OWNER_METADATA_KEY, "someone")
        .json();
    assert_rejected(&user, None, "is reserved for the operator");
}
