//! Fixtures for the controller's unit tests: `User`s and ZITADEL users from short literals.

use serde_json::json;

use crate::crd::User;
use crate::zitadel::types as wire;

/// A human `User` named `name` with uid `uid-<name>`, email verified.
pub fn human(name: &str) -> User {
    serde_json::from_value(json!({
        "apiVersion": "zitadel-user-operator.dev/v1alpha1",
        "kind": "User",
        "metadata": {"name": name, "namespace": "default", "uid": format!("uid-{name}"), "generation": 1},
        "spec": {
            "organizationId": "org-1",
            "human": {
                "profile": {"givenName": "Alice", "familyName": "Doe"},
                "email": {"address": format!("{name}@acme.example"), "verification": "Verified"}
            }
        }
    }))
    .expect("valid User")
}

/// A machine `User` named `name` with uid `uid-<name>`.
pub fn machine(name: &str) -> User {
    serde_json::from_value(json!({
        "apiVersion": "zitadel-user-operator.dev/v1alpha1",
        "kind": "User",
        "metadata": {"name": name, "namespace": "default", "uid": format!("uid-{name}"), "generation": 1},
        "spec": {"organizationId": "org-1", "machine": {"name": "CI bot"}}
    }))
    .expect("valid User")
}

/// The ZITADEL user `user` describes, as GetUserByID would return it right after creation.
pub fn zitadel_user_for(user: &User, user_id: &str) -> wire::User {
    let mut value = json!({
        "userId": user_id,
        "details": {"resourceOwner": user.spec.organization_id},
        "state": "USER_STATE_ACTIVE",
        "username": user_id,
    });
    if let Some(human) = &user.spec.human {
        value["username"] = json!(human.email.address);
        value["human"] = json!({
            "profile": {"givenName": human.profile.given_name, "familyName": human.profile.family_name},
            "email": {"email": human.email.address, "isVerified": true}
        });
    }
    if let Some(machine) = &user.spec.machine {
        value["machine"] = json!({"name": machine.name});
    }
    serde_json::from_value(value).expect("valid ZITADEL user")
}
