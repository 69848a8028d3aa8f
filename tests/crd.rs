//! The CRD as the API server sees it: the committed YAML, the schema and the CEL rules that
//! reject bad input at `kubectl apply` time, and the examples users copy.

// A failed setup in a test helper panics like a failed assertion; clippy.toml's test exemption
// reaches only `#[test]` functions, not the helpers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use kube::CustomResourceExt;
use kube::core::cel::Validator;
use serde_json::{Value, json};
use zitadel_user_operator::crd::{
    ClusterZitadelConnection, ConnectionKind, DesiredState, EmailVerification, InviteDelivery,
    MAX_CONNECTION_ORGANIZATIONS, PasskeyDelivery, PhoneVerification, User, ZitadelConnection,
    crd_yaml,
};
use zitadel_user_operator::fixtures::UserBuilder;
use zitadel_user_operator::names::{REISSUE_ANNOTATION, ROTATE_ANNOTATION};
use zitadel_user_operator::secrets::{self, secret_name};

const EXAMPLES_DIR: &str = "examples";

fn schema() -> Value {
    schema_of(&User::crd())
}

fn schema_of(
    crd: &k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition,
) -> Value {
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
    let shipped = zitadel_user_operator::crd::all();
    for crd in &shipped {
        let file = format!("crds/{}.yaml", crd.metadata.name.as_deref().unwrap());
        let committed = std::fs::read_to_string(&file).expect("the CRD file is committed");
        let generated = crd_yaml(crd).expect("the CRD renders as YAML");
        assert!(committed == generated, "{file} is stale: run `make crds`");
    }
    let committed = std::fs::read_dir("crds").unwrap().count();
    assert_eq!(
        committed,
        shipped.len(),
        "crds/ holds exactly the shipped CRDs"
    );
}

/// Whether the first version has the status subresource, and its printer column names.
fn status_and_columns(
    crd: &k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition,
) -> (bool, Vec<&str>) {
    let version = &crd.spec.versions[0];
    let status = version
        .subresources
        .as_ref()
        .and_then(|s| s.status.as_ref())
        .is_some();
    let columns = version
        .additional_printer_columns
        .iter()
        .flatten()
        .map(|c| c.name.as_str())
        .collect();
    (status, columns)
}

#[test]
fn crd_is_namespaced_with_short_name_category_and_status_subresource() {
    let crd = User::crd();
    assert_eq!(crd.spec.scope, "Namespaced");
    assert_eq!(crd.spec.names.short_names, Some(vec!["zuser".to_owned()]));
    assert_eq!(crd.spec.names.categories, Some(vec!["zitadel".to_owned()]));
    assert_eq!(
        status_and_columns(&crd),
        (
            true,
            vec!["Type", "Organization", "User ID", "State", "Ready", "Age"]
        )
    );
}

#[test]
fn connections_are_namespaced_and_cluster_scoped_with_short_names_and_a_ready_column() {
    let cases = [
        (ZitadelConnection::crd(), "Namespaced", "zconn"),
        (ClusterZitadelConnection::crd(), "Cluster", "czconn"),
    ];
    for (crd, scope, short_name) in cases {
        assert_eq!(crd.spec.scope, scope);
        assert_eq!(
            crd.spec.names.short_names,
            Some(vec![short_name.to_owned()])
        );
        assert_eq!(crd.spec.names.categories, Some(vec!["zitadel".to_owned()]));
        assert_eq!(
            status_and_columns(&crd),
            (true, vec!["URL", "Ready", "Reason", "Age"])
        );
    }
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
    for crd in zitadel_user_operator::crd::all() {
        let schema = schema_of(&crd);
        let kind = &crd.spec.names.kind;
        walk(kind, &schema["properties"]["spec"], &mut missing);
        walk(kind, &schema["properties"]["status"], &mut missing);
    }
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
fn a_connection_ref_cannot_be_added_after_creation() {
    let old = UserBuilder::human("alice").json();
    let new = UserBuilder::human("alice")
        .connection(ConnectionKind::ZitadelConnection, "tenant")
        .json();
    assert_rejected(
        &new,
        Some(&old),
        "spec.connectionRef cannot be added or removed after creation",
    );
}

#[test]
fn a_connection_ref_cannot_be_removed_after_creation() {
    let old = UserBuilder::human("alice")
        .connection(ConnectionKind::ClusterZitadelConnection, "default")
        .json();
    let new = UserBuilder::human("alice").json();
    assert_rejected(
        &new,
        Some(&old),
        "spec.connectionRef cannot be added or removed after creation",
    );
}

#[test]
fn a_connection_ref_cannot_change_kind_or_name() {
    let old = UserBuilder::human("alice")
        .connection(ConnectionKind::ZitadelConnection, "tenant")
        .json();
    let renamed = UserBuilder::human("alice")
        .connection(ConnectionKind::ZitadelConnection, "other")
        .json();
    assert_rejected(&renamed, Some(&old), "spec.connectionRef is immutable");
    let other_kind = UserBuilder::human("alice")
        .connection(ConnectionKind::ClusterZitadelConnection, "tenant")
        .json();
    assert_rejected(&other_kind, Some(&old), "spec.connectionRef is immutable");
}

#[test]
fn a_user_may_name_a_connection_at_creation_and_keep_it() {
    let user = UserBuilder::human("alice")
        .connection(ConnectionKind::ZitadelConnection, "tenant")
        .json();
    assert_eq!(cel_violations(&user, None), Vec::<String>::new());
    let edited = UserBuilder::human("alice")
        .connection(ConnectionKind::ZitadelConnection, "tenant")
        .given_name("Alicia")
        .json();
    assert_eq!(cel_violations(&edited, Some(&user)), Vec::<String>::new());
}

/// A valid connection of `kind` as JSON, for the schema tests.
fn connection_json(kind: &str) -> Value {
    let mut connection = json!({
        "apiVersion": "zitadel-user-operator.dev/v1alpha1",
        "kind": kind,
        "metadata": {"name": "tenant"},
        "spec": {
            "url": "https://zitadel.example.com",
            "credentials": {
                "secretRef": {"name": "zitadel-credentials", "key": "pat"},
                "type": "PersonalAccessToken",
            },
            "organizations": ["123456789012345678"],
        },
    });
    if kind == "ClusterZitadelConnection" {
        connection["spec"]["allowedNamespaces"] =
            json!({"matchLabels": {"zitadel.example.com/tenant": "a"}});
    } else {
        connection["metadata"]["namespace"] = json!("team-a");
    }
    connection
}

/// What the schema (structure and CEL) of `crd` says about `object`: the messages of the
/// violations, empty when the object is accepted.
fn connection_violations(
    crd: &k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition,
    object: &Value,
) -> Vec<String> {
    let schema = schema_of(crd);
    let mut violations = structural_violations(&schema["properties"]["spec"], &object["spec"]);
    if let Err(errors) = Validator::new().validate(&schema, object, None) {
        violations.extend(errors.iter().map(|e| e.to_string()));
    }
    violations
}

/// The OpenAPI constraints on `spec` that the API server checks before CEL, as far as the
/// connection schemas use them: required fields, enums, string and array lengths.
fn structural_violations(schema: &Value, value: &Value) -> Vec<String> {
    let mut found = Vec::new();
    if let (Some(required), Some(object)) = (schema["required"].as_array(), value.as_object()) {
        for field in required.iter().filter_map(Value::as_str) {
            if !object.contains_key(field) {
                found.push(format!("{field}: Required value"));
            }
        }
    }
    if let (Some(allowed), Some(text)) = (schema["enum"].as_array(), value.as_str())
        && !allowed.iter().any(|a| a == text)
    {
        found.push(format!("Unsupported value: {text:?}"));
    }
    if let (Some(min), Some(items)) = (schema["minItems"].as_u64(), value.as_array())
        && (items.len() as u64) < min
    {
        found.push(format!("should have at least {min} items"));
    }
    if let (Some(max), Some(items)) = (schema["maxItems"].as_u64(), value.as_array())
        && (items.len() as u64) > max
    {
        found.push(format!("should have at most {max} items"));
    }
    if let (Some(min), Some(text)) = (schema["minLength"].as_u64(), value.as_str())
        && (text.chars().count() as u64) < min
    {
        found.push(format!("should be at least {min} chars long"));
    }
    if let (Some(properties), Some(object)) = (schema["properties"].as_object(), value.as_object())
    {
        for (name, child) in object {
            if let Some(child_schema) = properties.get(name) {
                found.extend(structural_violations(child_schema, child));
            }
        }
    }
    if let (Some(items_schema), Some(items)) = (schema.get("items"), value.as_array()) {
        for item in items {
            found.extend(structural_violations(items_schema, item));
        }
    }
    found
}

fn connection_crds() -> [(
    &'static str,
    k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition,
); 2] {
    [
        ("ZitadelConnection", ZitadelConnection::crd()),
        ("ClusterZitadelConnection", ClusterZitadelConnection::crd()),
    ]
}

#[test]
fn a_valid_connection_of_either_kind_passes_every_rule() {
    for (kind, crd) in connection_crds() {
        let object = connection_json(kind);
        assert_eq!(
            connection_violations(&crd, &object),
            Vec::<String>::new(),
            "{kind}"
        );
    }
}

#[test]
fn a_connection_url_must_be_http_or_https() {
    for (kind, crd) in connection_crds() {
        for url in [
            "zitadel.example.com",
            "ftp://zitadel.example.com",
            "grpc://z:443",
        ] {
            let mut object = connection_json(kind);
            object["spec"]["url"] = json!(url);
            let violations = connection_violations(&crd, &object);
            assert!(
                violations
                    .iter()
                    .any(|v| v.contains("url must start with https:// or http://")),
                "{kind} {url}: {violations:?}"
            );
        }
        let mut with_password = connection_json(kind);
        with_password["spec"]["url"] = json!("https://operator:secret@zitadel.example.com");
        let violations = connection_violations(&crd, &with_password);
        assert!(
            violations
                .iter()
                .any(|v| v.contains("url must not contain a user name or password")),
            "{kind}: {violations:?}"
        );
        let mut plain_http = connection_json(kind);
        plain_http["spec"]["url"] = json!("http://zitadel.zitadel.svc.cluster.local:8080");
        assert_eq!(
            connection_violations(&crd, &plain_http),
            Vec::<String>::new()
        );
    }
}

#[test]
fn a_connection_needs_at_least_one_organization_and_no_empty_id() {
    for (kind, crd) in connection_crds() {
        let mut none = connection_json(kind);
        none["spec"]["organizations"] = json!([]);
        let violations = connection_violations(&crd, &none);
        assert!(
            violations.iter().any(|v| v.contains("at least 1 items")),
            "{kind}: {violations:?}"
        );

        let mut absent = connection_json(kind);
        absent["spec"]
            .as_object_mut()
            .unwrap()
            .remove("organizations");
        let violations = connection_violations(&crd, &absent);
        assert!(
            violations
                .iter()
                .any(|v| v.contains("organizations: Required value")),
            "{kind}: {violations:?}"
        );

        let mut empty_id = connection_json(kind);
        empty_id["spec"]["organizations"] = json!(["123", ""]);
        assert_rejected_by(
            &crd,
            &empty_id,
            "organization ids must be 1 to 200 characters long",
        );

        let mut too_many = connection_json(kind);
        too_many["spec"]["organizations"] = json!(
            (0..=MAX_CONNECTION_ORGANIZATIONS)
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
        );
        let violations = connection_violations(&crd, &too_many);
        assert!(
            violations.iter().any(|v| v.contains("at most")),
            "{kind}: {violations:?}"
        );
    }
}

fn assert_rejected_by(
    crd: &k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition,
    object: &Value,
    expected_message: &str,
) {
    let violations = connection_violations(crd, object);
    assert!(
        violations.iter().any(|v| v.contains(expected_message)),
        "expected a violation containing {expected_message:?}, got {violations:?}"
    );
}

#[test]
fn a_connection_credential_is_a_token_or_a_key() {
    for (kind, crd) in connection_crds() {
        let mut object = connection_json(kind);
        object["spec"]["credentials"]["type"] = json!("Password");
        let violations = connection_violations(&crd, &object);
        assert!(
            violations.iter().any(|v| v.contains("Unsupported value")),
            "{kind}: {violations:?}"
        );
        object["spec"]["credentials"]["type"] = json!("ServiceAccountKey");
        assert_eq!(connection_violations(&crd, &object), Vec::<String>::new());
    }
}

#[test]
fn only_the_cluster_connection_selects_namespaces() {
    let namespaced = schema_of(&ZitadelConnection::crd());
    let cluster = schema_of(&ClusterZitadelConnection::crd());
    assert!(namespaced["properties"]["spec"]["properties"]["allowedNamespaces"].is_null());
    assert!(cluster["properties"]["spec"]["properties"]["allowedNamespaces"].is_object());
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

/// The YAML documents of every file directly in `dir`, with the file they come from.
fn documents_in(dir: &Path) -> Vec<(PathBuf, Value)> {
    let mut documents = Vec::new();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{} is readable: {e}", dir.display()))
        .map(|entry| entry.expect("readable entry").path())
        .filter(|path| path.is_file())
        .collect();
    paths.sort();
    for path in paths {
        let text = std::fs::read_to_string(&path).expect("readable example");
        for document in serde_saphyr::from_multiple::<Value>(&text).expect("valid YAML") {
            documents.push((path.clone(), document));
        }
    }
    documents
}

/// The example `User`s (the files directly in `examples/`), each checked against the type and
/// every CEL rule.
fn example_users() -> Vec<User> {
    let mut users = Vec::new();
    for (path, document) in documents_in(Path::new(EXAMPLES_DIR)) {
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
        users.push(user);
    }
    users
}

/// The Secret keys the operator can write for `user`, as `src/secrets` names them.
fn secret_keys_of(user: &User) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    if let Some(human) = &user.spec.human {
        if human.email.verification == EmailVerification::ReturnCode {
            keys.insert(secrets::EMAIL_CODE_KEY.to_owned());
        }
        if human
            .phone
            .as_ref()
            .is_some_and(|p| p.verification == PhoneVerification::ReturnCode)
        {
            keys.insert(secrets::PHONE_CODE_KEY.to_owned());
        }
        if human.password.as_ref().and_then(|p| p.generate) == Some(true) {
            keys.insert(secrets::PASSWORD_KEY.to_owned());
        }
        if human
            .invite
            .as_ref()
            .is_some_and(|i| i.delivery == InviteDelivery::ReturnCode)
        {
            keys.insert(secrets::INVITE_CODE_KEY.to_owned());
        }
        if let Some(passkey) = &human.passkey_registration
            && passkey.delivery == PasskeyDelivery::ReturnCode
        {
            keys.insert(secrets::PASSKEY_CODE_ID_KEY.to_owned());
            keys.insert(secrets::PASSKEY_CODE_KEY.to_owned());
            if passkey.link_template.is_some() {
                keys.insert(secrets::PASSKEY_LINK_KEY.to_owned());
            }
        }
    }
    if let Some(credentials) = user
        .spec
        .machine
        .as_ref()
        .and_then(|m| m.credentials.as_ref())
    {
        if credentials.client_secret.is_some() {
            keys.insert(secrets::CLIENT_ID_KEY.to_owned());
            keys.insert(secrets::CLIENT_SECRET_KEY.to_owned());
        }
        keys.extend(
            credentials
                .keys
                .iter()
                .map(|k| secrets::key_file_key(&k.name)),
        );
        keys.extend(
            credentials
                .personal_access_tokens
                .iter()
                .map(|p| secrets::token_key(&p.name)),
        );
    }
    keys
}

#[test]
fn every_example_is_a_valid_resource() {
    let users = example_users();
    assert!(
        users.len() >= 6,
        "expected at least six example Users, found {}",
        users.len()
    );
}

#[test]
fn the_quickstart_examples_are_only_users_and_secrets() {
    // `kubectl apply -f examples/` (not recursive) runs against the Kubernetes emulator, which
    // serves only what the operator needs; workloads live in subdirectories.
    for (path, document) in documents_in(Path::new(EXAMPLES_DIR)) {
        let kind = (document["apiVersion"].as_str(), document["kind"].as_str());
        assert!(
            matches!(
                kind,
                (Some("zitadel-user-operator.dev/v1alpha1"), Some("User"))
                    | (Some("v1"), Some("Secret"))
            ),
            "{} has a {kind:?}, which the quickstart cannot apply",
            path.display()
        );
    }
}

#[test]
fn every_example_workload_mounts_a_secret_key_an_example_user_produces() {
    let produced: BTreeMap<String, BTreeSet<String>> = example_users()
        .iter()
        .map(|user| (secret_name(user), secret_keys_of(user)))
        .collect();
    let workloads = documents_in(&Path::new(EXAMPLES_DIR).join("workloads"));
    assert!(!workloads.is_empty(), "examples/workloads/ has no workload");
    let mut mounted = 0;
    for (path, document) in workloads {
        let where_ = path.display();
        assert_eq!(document["apiVersion"], "apps/v1", "{where_}");
        assert_eq!(document["kind"], "Deployment", "{where_}");
        assert!(
            document["metadata"].get("namespace").is_none(),
            "{where_} names a namespace; examples apply to the current one"
        );
        let pod = &document["spec"]["template"]["spec"];
        for volume in pod["volumes"].as_array().into_iter().flatten() {
            let Some(secret) = volume.get("secret") else {
                continue;
            };
            let name = secret["secretName"].as_str().unwrap_or_default();
            let keys = produced.get(name).unwrap_or_else(|| {
                panic!("{where_} mounts Secret {name:?}, which no example User owns")
            });
            let items = secret["items"].as_array().cloned().unwrap_or_default();
            assert!(
                !items.is_empty(),
                "{where_} mounts all of {name}: name the key"
            );
            for item in items {
                let key = item["key"].as_str().unwrap_or_default();
                assert!(
                    keys.contains(key),
                    "{where_} mounts key {key:?} of {name}, which holds only {keys:?}"
                );
                mounted += 1;
            }
            let volume_name = &volume["name"];
            let read_only_mount = pod["containers"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|c| c["volumeMounts"].as_array().cloned().unwrap_or_default())
                .any(|m| &m["name"] == volume_name && m["readOnly"] == true);
            assert!(
                read_only_mount,
                "{where_} mounts {name} writable or not at all"
            );
        }
    }
    assert!(mounted > 0, "no example workload mounts a User's Secret");
}

#[test]
fn the_operators_owner_metadata_key_is_reserved() {
    let user = UserBuilder::human("alice")
        .metadata(zitadel_user_operator::names::OWNER_METADATA_KEY, "someone")
        .json();
    assert_rejected(&user, None, "is reserved for the operator");
}

#[test]
fn credentials_exist_only_on_machines_and_onboarding_only_on_humans() {
    let schema = schema();
    let spec = &schema["properties"]["spec"]["properties"];
    let human = spec["human"]["properties"]
        .as_object()
        .expect("human fields");
    let machine = spec["machine"]["properties"]
        .as_object()
        .expect("machine fields");
    assert!(machine.contains_key("credentials") && !human.contains_key("credentials"));
    for onboarding in ["invite", "passkeyRegistration", "idpLinks", "totp"] {
        assert!(human.contains_key(onboarding), "humans have {onboarding}");
        assert!(
            !machine.contains_key(onboarding),
            "machines have no {onboarding}"
        );
    }
}

#[test]
fn a_machine_with_every_credential_and_a_human_with_every_onboarding_field_are_accepted() {
    let machine = UserBuilder::machine("bot")
        .state(DesiredState::Active)
        .annotation(ROTATE_ANNOTATION, "2026-01")
        .client_secret()
        .key("default", "8760h", None)
        .key("backup", "720h", Some("168h"))
        .pat("ci", "720h", Some("72h"))
        .pat("ci.nightly", "1m", None)
        .rotation_grace_period("1h30m")
        .json();
    assert_eq!(cel_violations(&machine, None), Vec::<String>::new());

    let human = UserBuilder::human("alice")
        .state(DesiredState::Inactive)
        .annotation(REISSUE_ANNOTATION, "1")
        .invite(InviteDelivery::ReturnCode)
        .passkey_registration(Some(
            "https://login.acme.example/passkey?user={{.UserID}}&id={{.CodeID}}&code={{.Code}}",
        ))
        .idp_link("idp-1", "alice@idp.example")
        .totp_from_secret("alice-totp", "secret")
        .json();
    assert_eq!(cel_violations(&human, None), Vec::<String>::new());
}

#[test]
fn two_keys_with_the_same_name_are_rejected() {
    let user = UserBuilder::machine("bot")
        .key("default", "720h", None)
        .key("default", "8760h", None)
        .json();
    assert_rejected(&user, None, "credentials.keys must have unique names");
}

#[test]
fn two_personal_access_tokens_with_the_same_name_are_rejected() {
    let user = UserBuilder::machine("bot")
        .pat("ci", "720h", None)
        .pat("ci", "720h", None)
        .json();
    assert_rejected(
        &user,
        None,
        "credentials.personalAccessTokens must have unique names",
    );
}

#[test]
fn a_key_and_a_token_may_share_a_name_since_their_secret_keys_differ() {
    let user = UserBuilder::machine("bot")
        .key("ci", "720h", None)
        .pat("ci", "720h", None)
        .json();
    assert_eq!(cel_violations(&user, None), Vec::<String>::new());
}

#[test]
fn a_credential_name_that_is_not_a_valid_secret_key_is_rejected() {
    for name in ["ci/token", "my token", "ci:prod"] {
        let key = UserBuilder::machine("bot").key(name, "720h", None).json();
        assert_rejected(&key, None, "a credential name may contain only letters");
        let token = UserBuilder::machine("bot").pat(name, "720h", None).json();
        assert_rejected(&token, None, "a credential name may contain only letters");
    }
}

#[test]
fn rotate_before_not_shorter_than_expires_after_is_rejected() {
    for rotate_before in ["720h", "721h", "43200m"] {
        let user = UserBuilder::machine("bot")
            .pat("ci", "720h", Some(rotate_before))
            .json();
        assert_rejected(
            &user,
            None,
            "rotateBefore must be shorter than expiresAfter",
        );
    }
    let key = UserBuilder::machine("bot")
        .key("default", "1h", Some("60m"))
        .json();
    assert_rejected(&key, None, "rotateBefore must be shorter than expiresAfter");
    let shorter = UserBuilder::machine("bot")
        .key("default", "1h", Some("59m"))
        .json();
    assert_eq!(cel_violations(&shorter, None), Vec::<String>::new());
}

#[test]
fn a_lifetime_under_a_minute_is_rejected() {
    for expires_after in ["59s", "500ms"] {
        let user = UserBuilder::machine("bot")
            .pat("ci", expires_after, None)
            .json();
        assert_rejected(&user, None, "expiresAfter must be at least 1m");
    }
    let minute = UserBuilder::machine("bot")
        .key("default", "60s", None)
        .json();
    assert_eq!(cel_violations(&minute, None), Vec::<String>::new());
}

#[test]
fn an_invite_url_template_or_application_name_is_only_allowed_with_send_code() {
    let message =
        "invite.urlTemplate and invite.applicationName are only allowed with delivery SendCode";
    let template = "https://login.acme.example/invite?user={{.UserID}}&code={{.Code}}";
    for (field, value) in [("urlTemplate", template), ("applicationName", "Acme")] {
        let mut returned = UserBuilder::human("alice")
            .invite(InviteDelivery::ReturnCode)
            .json();
        returned["spec"]["human"]["invite"][field] = json!(value);
        assert_rejected(&returned, None, message);

        let mut sent = UserBuilder::human("alice")
            .invite(InviteDelivery::SendCode)
            .json();
        sent["spec"]["human"]["invite"][field] = json!(value);
        assert_eq!(cel_violations(&sent, None), Vec::<String>::new());
    }
}

#[test]
fn a_passkey_url_template_needs_send_link_and_a_link_template_needs_return_code() {
    let template = "https://login.acme.example/passkey?id={{.CodeID}}&code={{.Code}}";
    let mut url_with_return_code = UserBuilder::human("alice")
        .passkey_registration(None)
        .json();
    url_with_return_code["spec"]["human"]["passkeyRegistration"]["urlTemplate"] = json!(template);
    assert_rejected(
        &url_with_return_code,
        None,
        "passkeyRegistration.urlTemplate is only allowed with delivery SendLink",
    );

    let mut link_with_send_link = UserBuilder::human("alice")
        .passkey_registration(Some(template))
        .json();
    link_with_send_link["spec"]["human"]["passkeyRegistration"]["delivery"] = json!("SendLink");
    assert_rejected(
        &link_with_send_link,
        None,
        "passkeyRegistration.linkTemplate is only allowed with delivery ReturnCode",
    );

    let mut url_with_send_link = UserBuilder::human("alice")
        .passkey_registration(None)
        .json();
    let passkey = &mut url_with_send_link["spec"]["human"]["passkeyRegistration"];
    passkey["delivery"] = json!("SendLink");
    passkey["urlTemplate"] = json!(template);
    assert_eq!(
        cel_violations(&url_with_send_link, None),
        Vec::<String>::new()
    );
    let link_with_return_code = UserBuilder::human("alice")
        .passkey_registration(Some(template))
        .json();
    assert_eq!(
        cel_violations(&link_with_return_code, None),
        Vec::<String>::new()
    );
}

#[test]
fn every_tenancy_example_is_a_valid_resource() {
    let documents = documents_in(&Path::new(EXAMPLES_DIR).join("tenancy"));
    let mut kinds = BTreeSet::new();
    for (path, document) in &documents {
        let kind = document["kind"].as_str().unwrap_or_default().to_owned();
        let shown = path.display();
        match kind.as_str() {
            "User" => {
                let user: User = serde_json::from_value(document.clone())
                    .unwrap_or_else(|e| panic!("{shown} does not match the User type: {e}"));
                assert!(user.spec.connection_ref.is_some(), "{shown}: connectionRef");
                assert_eq!(
                    cel_violations(document, None),
                    Vec::<String>::new(),
                    "{shown}"
                );
            }
            "ZitadelConnection" => {
                let _: ZitadelConnection = serde_json::from_value(document.clone())
                    .unwrap_or_else(|e| panic!("{shown}: {e}"));
                let violations = connection_violations(&ZitadelConnection::crd(), document);
                assert_eq!(violations, Vec::<String>::new(), "{shown}");
            }
            "ClusterZitadelConnection" => {
                let _: ClusterZitadelConnection = serde_json::from_value(document.clone())
                    .unwrap_or_else(|e| panic!("{shown}: {e}"));
                let violations = connection_violations(&ClusterZitadelConnection::crd(), document);
                assert_eq!(violations, Vec::<String>::new(), "{shown}");
            }
            "Role" | "RoleBinding" | "ClusterRole" | "ClusterRoleBinding" => {
                assert_eq!(
                    document["apiVersion"], "rbac.authorization.k8s.io/v1",
                    "{shown}"
                );
            }
            other => panic!("{shown} has an unexpected {other}"),
        }
        kinds.insert(kind);
    }
    for expected in [
        "User",
        "ZitadelConnection",
        "ClusterZitadelConnection",
        "Role",
    ] {
        assert!(
            kinds.contains(expected),
            "examples/tenancy has no {expected}"
        );
    }
}

#[test]
fn the_tenancy_examples_reference_only_connections_they_define() {
    let documents = documents_in(&Path::new(EXAMPLES_DIR).join("tenancy"));
    let defined: BTreeSet<(String, String)> = documents
        .iter()
        .filter(|(_, d)| {
            d["kind"]
                .as_str()
                .is_some_and(|k| k.ends_with("ZitadelConnection"))
        })
        .map(|(_, d)| {
            (
                d["kind"].as_str().unwrap_or_default().to_owned(),
                d["metadata"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            )
        })
        .collect();
    for (path, document) in documents.iter().filter(|(_, d)| d["kind"] == "User") {
        let reference = &document["spec"]["connectionRef"];
        let key = (
            reference["kind"].as_str().unwrap_or_default().to_owned(),
            reference["name"].as_str().unwrap_or_default().to_owned(),
        );
        assert!(
            defined.contains(&key),
            "{}: {key:?} is not defined",
            path.display()
        );
    }
}
