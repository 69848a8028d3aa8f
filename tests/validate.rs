//! `zitadel-user-operator validate`: the examples pass, the broken corpus fails with the
//! expected messages, the CLI's inputs, outputs and exit codes, and the validator's agreement
//! with the emulated API server.
//!
//! Corpus files (`tests/manifests/invalid/*.yaml`) start with `# expect: <substring of the
//! report>`; `# offline-only: <why>` on the second line marks a check the API server does not
//! make, so the emulator accepts that document.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use kube::CustomResourceExt;
use serde_json::{Value, json};
use zitadel_user_operator::crd::User;
use zitadel_user_operator::validate::catalog::Catalog;
use zitadel_user_operator::validate::document::{self, Outcome};
use zitadel_user_operator::validate::input;

const BIN: &str = env!("CARGO_BIN_EXE_zitadel-user-operator");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const CORPUS: &str = "tests/manifests/invalid";

fn validate(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(BIN)
        .arg("validate")
        .args(args)
        .current_dir(ROOT)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(stdin.as_bytes())
        .expect("stdin is written");
    child.wait_with_output().expect("the binary finishes")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn yaml_files(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(Path::new(ROOT).join(dir))
        .expect("the directory exists")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

fn relative(path: &Path) -> String {
    path.strip_prefix(ROOT)
        .expect("under the crate")
        .display()
        .to_string()
}

/// The value of a `# <name>: ` header line.
fn header(path: &Path, name: &str) -> Option<String> {
    let text = std::fs::read_to_string(path).expect("the corpus file is readable");
    let prefix = format!("# {name}: ");
    text.lines()
        .take_while(|l| l.starts_with('#'))
        .find_map(|l| l.strip_prefix(&prefix).map(str::to_string))
}

const USER: &str = "apiVersion: zitadel-user-operator.dev/v1alpha1\nkind: User\n";

fn machine(name: &str, username: &str) -> String {
    format!(
        "{USER}metadata:\n  name: {name}\nspec:\n  organizationId: \"1\"\n  username: {username}\n  machine:\n    name: M\n"
    )
}

#[test]
fn every_example_is_valid() {
    for file in yaml_files("examples") {
        let file = relative(&file);
        let output = validate(&[&file], "");
        assert_eq!(output.status.code(), Some(0), "{file}: {}", stdout(&output));
    }
    let all = validate(&["--recursive", "examples"], "");
    assert_eq!(all.status.code(), Some(0), "{}", stdout(&all));
    let report = stdout(&all);
    assert!(report.contains("0 errors"), "{report}");
    assert!(
        report.contains("ClusterZitadelConnection") && report.contains("ZitadelConnection"),
        "the tenancy examples' connections are checked too: {report}"
    );
}

#[test]
fn every_broken_manifest_is_rejected_with_its_expected_message() {
    let files = yaml_files(CORPUS);
    assert!(files.len() >= 20, "the corpus is there");
    for file in files {
        let expected = header(&file, "expect").expect("a `# expect:` first line");
        let file = relative(&file);
        let output = validate(&[&file], "");
        let report = stdout(&output);
        assert_eq!(output.status.code(), Some(1), "{file}: {report}");
        assert!(
            report.contains(&expected),
            "{file}: expected {expected:?} in:\n{report}"
        );
    }
}

#[test]
fn a_deployment_in_a_multi_document_input_is_skipped_and_counted() {
    let input = format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec: {{}}\n---\n{}",
        machine("bot", "bot")
    );
    let output = validate(&["-"], &input);
    let report = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{report}");
    assert!(
        report.contains(
            "1 document checked (User: 1), 1 skipped of other API groups (Deployment: 1): 0 errors"
        ),
        "{report}"
    );
}

#[test]
fn usernames_differing_only_in_case_are_rejected_as_duplicates() {
    let input = format!(
        "{}---\n{}",
        machine("a", "Ops@Acme.example"),
        machine("b", "ops@acme.EXAMPLE")
    );
    let output = validate(&["-"], &input);
    let report = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{report}");
    assert!(
        report.contains(
            "<stdin>[1] User \"b\": spec.username: Duplicate value: \"ops@acme.EXAMPLE\": User \"a\" (<stdin>[0]) has the same username"
        ),
        "{report}"
    );
}

#[test]
fn stdin_is_read_for_a_dash_like_kustomize_output() {
    let broken = "apiVersion: zitadel-user-operator.dev/v1alpha1\nkind: User\nmetadata:\n  name: x\nspec:\n  organizationId: \"1\"\n";
    let output = validate(&["-"], broken);
    let report = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{report}");
    assert!(
        report.contains("<stdin>[0] User \"x\": spec: Invalid value: \"object\": exactly one of spec.human or spec.machine must be set"),
        "{report}"
    );
}

#[test]
fn json_output_is_an_array_of_file_document_kind_name_field_message() {
    let file = format!("{CORPUS}/credential-name-with-space.yaml");
    let output = validate(&["--output", "json", &file], "");
    assert_eq!(output.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&output.stdout).expect("stdout is JSON");
    assert_eq!(
        report,
        json!([{
            "file": file,
            "document": 0,
            "kind": "User",
            "name": "deployer",
            "field": "spec.machine.credentials.keys[0].name",
            "message": "Invalid value: \"string\": a credential name may contain only letters, digits, '-', '_' and '.', as Secret keys do",
        }])
    );
    let valid = validate(&["-o", "json", "examples"], "");
    assert_eq!(valid.status.code(), Some(0));
    assert_eq!(
        serde_json::from_slice::<Value>(&valid.stdout).expect("stdout is JSON"),
        json!([])
    );
}

#[test]
fn exit_codes_are_0_when_valid_1_on_errors_and_2_on_usage_errors() {
    assert_eq!(
        validate(&["examples/machine-user.yaml"], "").status.code(),
        Some(0)
    );
    assert_eq!(
        validate(&[&format!("{CORPUS}/unknown-kind.yaml")], "")
            .status
            .code(),
        Some(1)
    );
    let missing = validate(&["no/such/file.yaml"], "");
    assert_eq!(missing.status.code(), Some(1));
    assert!(stdout(&missing).contains("the path \"no/such/file.yaml\" does not exist"));
    assert_eq!(validate(&[], "").status.code(), Some(2));
    assert_eq!(validate(&["--bogus", "-"], "").status.code(), Some(2));
    assert_eq!(
        validate(&["--output", "xml", "-"], "").status.code(),
        Some(2)
    );
}

#[test]
fn directories_are_walked_for_yaml_files_recursively_only_when_asked() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    std::fs::write(dir.path().join("a.yml"), machine("a", "a")).expect("written");
    std::fs::write(dir.path().join("notes.txt"), "not: [yaml").expect("written");
    std::fs::create_dir(dir.path().join("nested")).expect("created");
    std::fs::write(dir.path().join("nested/b.yaml"), "kind: User\n").expect("written");
    let path = dir.path().display().to_string();
    let flat = validate(&[&path], "");
    assert_eq!(flat.status.code(), Some(0), "{}", stdout(&flat));
    assert!(stdout(&flat).contains("1 document checked"));
    let deep = validate(&["--recursive", &path], "");
    assert_eq!(deep.status.code(), Some(1), "{}", stdout(&deep));
    assert!(stdout(&deep).contains("b.yaml[0] User: apiVersion: Required value"));
}

#[test]
fn transition_rules_are_reported_as_not_evaluated() {
    let output = validate(&["examples/machine-user.yaml"], "");
    let report = stdout(&output);
    assert!(
        report.contains("transition rules of User not evaluated")
            && report.contains("  spec.organizationId: spec.organizationId is immutable\n"),
        "{report}"
    );
}

#[test]
fn the_operator_help_mentions_the_validate_subcommand() {
    let output = Command::new(BIN)
        .arg("--help")
        .output()
        .expect("the binary runs");
    assert_eq!(output.status.code(), Some(0));
    assert!(stdout(&output).contains("validate [FILE|DIR|-]..."));
    let help = validate(&["--help"], "");
    assert_eq!(help.status.code(), Some(0));
    assert!(stdout(&help).contains("Usage: zitadel-user-operator validate"));
}

/// Every document of our API group in the examples and the corpus, with whether the
/// validator rejects it on its own (cross-document checks aside, as the server sees one
/// object at a time) and whether that file is marked offline-only.
fn corpus_documents() -> Vec<(String, Value, bool, bool)> {
    let catalog = Catalog::new(&[User::crd()]).expect("the CRD indexes");
    let mut documents = Vec::new();
    for file in yaml_files("examples").into_iter().chain(yaml_files(CORPUS)) {
        let offline_only = header(&file, "offline-only").is_some();
        let name = relative(&file);
        let text = std::fs::read_to_string(&file).expect("readable");
        for doc in input::split(&name, &text) {
            // What kubectl refuses before sending anything never reaches a server.
            let Ok(value) = doc.content else { continue };
            if value.get("apiVersion").is_none() || value.get("kind").is_none() {
                continue;
            }
            let rejected = match document::check(&catalog, &value) {
                Outcome::Skipped { .. } => continue,
                Outcome::Checked(checked) => !checked.causes.is_empty(),
            };
            documents.push((
                format!("{name}[{}]", doc.index),
                value,
                rejected,
                offline_only,
            ));
        }
    }
    documents
}

#[tokio::test]
async fn the_validator_agrees_with_the_emulated_api_server_on_the_corpus() {
    let emulator = kube_emulator::KubeEmulator::start(kube_emulator::KubeEmulatorConfig::default())
        .await
        .expect("the emulator starts");
    let url = emulator.url();
    let http = reqwest::Client::new();
    let crd = http
        .post(format!(
            "{url}/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
        ))
        .json(&User::crd())
        .send()
        .await
        .expect("the CRD is sent");
    assert!(crd.status().is_success(), "{:?}", crd.text().await);
    let namespace = http
        .post(format!("{url}/api/v1/namespaces"))
        .json(&json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "corpus"}}))
        .send()
        .await
        .expect("the namespace is sent");
    assert!(namespace.status().is_success());

    let documents = corpus_documents();
    assert!(documents.len() > 20, "the corpus is there");
    for (location, value, validator_rejects, offline_only) in documents {
        let api_version = value["apiVersion"].as_str().unwrap_or_default();
        let plural = format!(
            "{}s",
            value["kind"].as_str().unwrap_or_default().to_lowercase()
        );
        let collection = format!("{url}/apis/{api_version}/namespaces/corpus/{plural}");
        // kubectl's default `--validate=strict`.
        let response = http
            .post(format!("{collection}?fieldValidation=Strict"))
            .json(&value)
            .send()
            .await
            .expect("the create is sent");
        let server_accepts = response.status().is_success();
        let body = response.text().await.unwrap_or_default();
        if server_accepts {
            let name = value["metadata"]["name"].as_str().unwrap_or_default();
            let deleted = http
                .delete(format!("{collection}/{name}"))
                .send()
                .await
                .expect("the delete is sent");
            assert!(deleted.status().is_success(), "{location}: cleanup");
        }
        if offline_only {
            assert!(
                validator_rejects && server_accepts,
                "{location}: an offline-only check the server does not make: {body}"
            );
        } else {
            assert_eq!(
                validator_rejects, !server_accepts,
                "{location}: validator rejects: {validator_rejects}, server: {body}"
            );
        }
    }
}
