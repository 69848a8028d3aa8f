//! The Argo CD health check shipped in the README, run as Argo CD runs it: the Lua block from the
//! README, with the resource as `obj`, must map each operator state to the right health.

// A failed setup in a test helper panics like a failed assertion; clippy.toml's test exemption
// reaches only `#[test]` functions, not the helpers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mlua::{Lua, LuaSerdeExt};
use serde_json::{Value, json};

/// The Lua script of the `resource.customizations.health...` entry in README.md.
fn health_script() -> String {
    let readme = std::fs::read_to_string("README.md").expect("README.md is readable");
    let start = readme
        .find("resource.customizations.health.zitadel-user-operator.dev_User: |")
        .expect("the README ships the Argo CD health check");
    let block = &readme[start..];
    let end = block.find("```").expect("the code block ends");
    block[..end]
        .lines()
        .skip(1)
        .map(|line| line.strip_prefix("    ").unwrap_or(line))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `(status, message)` Argo CD would show for `object`.
fn health(object: Value) -> (String, String) {
    let lua = Lua::new();
    let obj = lua.to_value(&object).expect("the object converts to Lua");
    lua.globals().set("obj", obj).expect("obj is set");
    let result: mlua::Table = lua
        .load(format!("return (function()\n{}\nend)()", health_script()))
        .eval()
        .expect("the script runs");
    (
        result.get("status").expect("status"),
        result.get("message").expect("message"),
    )
}

fn user(generation: i64, observed: i64, conditions: Value) -> Value {
    json!({
        "metadata": {"name": "alice", "generation": generation},
        "status": {"observedGeneration": observed, "conditions": conditions}
    })
}

#[test]
fn a_ready_user_is_healthy() {
    let object = user(
        2,
        2,
        json!([{"type": "Ready", "status": "True", "reason": "Reconciled", "message": "the ZITADEL user matches the spec"}]),
    );
    assert_eq!(
        health(object),
        (
            "Healthy".to_owned(),
            "the ZITADEL user matches the spec".to_owned()
        )
    );
}

#[test]
fn a_stalled_user_is_degraded_with_its_reason() {
    let conditions = json!([
        {"type": "Ready", "status": "False", "reason": "UsernameTaken", "message": "username alice is taken"},
        {"type": "Stalled", "status": "True", "reason": "UsernameTaken", "message": "username alice is taken"}
    ]);
    assert_eq!(
        health(user(1, 1, conditions)),
        (
            "Degraded".to_owned(),
            "UsernameTaken: username alice is taken".to_owned()
        )
    );
}

#[test]
fn a_reconciling_user_is_progressing() {
    let conditions = json!([
        {"type": "Ready", "status": "False", "reason": "ZitadelUnavailable", "message": "timeout"},
        {"type": "Reconciling", "status": "True", "reason": "ZitadelUnavailable", "message": "timeout"}
    ]);
    assert_eq!(health(user(1, 1, conditions)).0, "Progressing");
}

#[test]
fn a_spec_the_operator_has_not_seen_yet_is_progressing_even_if_ready() {
    let object = user(
        3,
        2,
        json!([{"type": "Ready", "status": "True", "reason": "Reconciled", "message": "ok"}]),
    );
    assert_eq!(health(object).0, "Progressing");
}

#[test]
fn a_user_without_status_is_progressing() {
    assert_eq!(
        health(json!({"metadata": {"name": "alice", "generation": 1}})).0,
        "Progressing"
    );
}
