//! Checks across the User documents of one run: what ZITADEL would refuse because of another
//! document, not because of the document itself.
//!
//! No two Users may have the same user id (`spec.userId`) or the same username, compared ignoring
//! case as ZITADEL does: both are unique across the ZITADEL instance (contract §14.2, §14.3; an
//! org-scoped username policy makes the username check stricter than ZITADEL, never laxer). A human
//! without `spec.username` gets their email address as username, as the operator sets it; a
//! machine without one gets its user id, which is then the resource's uid and unknown offline.

use std::collections::HashMap;

use manifest_validation::Cause;
use serde_json::Value;

/// A User document, as the cross-document checks see it.
#[derive(Debug, Clone, Copy)]
pub struct UserDocument<'a> {
    /// Where it came from, e.g. `users.yaml[2]`.
    pub location: &'a str,
    /// `metadata.name`.
    pub name: Option<&'a str>,
    /// The object as stored (defaults applied).
    pub object: &'a Value,
}

/// A value that must be unique in the instance, and where it came from.
struct Claim {
    /// What it is, for the message.
    what: &'static str,
    field: &'static str,
    /// As written.
    value: String,
    /// As compared.
    key: String,
}

fn text<'a>(object: &'a Value, pointer: &str) -> Option<&'a str> {
    object.pointer(pointer).and_then(Value::as_str)
}

fn claims(object: &Value) -> Vec<Claim> {
    let mut claims = Vec::new();
    if let Some(id) = text(object, "/spec/userId") {
        claims.push(Claim {
            what: "user id",
            field: "spec.userId",
            value: id.to_string(),
            key: id.to_string(),
        });
    }
    let username = match text(object, "/spec/username") {
        Some(username) => Some(("spec.username", username)),
        None => text(object, "/spec/human/email/address").map(|a| ("spec.human.email.address", a)),
    };
    if let Some((field, username)) = username {
        claims.push(Claim {
            what: "username",
            field,
            value: username.to_string(),
            key: username.to_lowercase(),
        });
    }
    claims
}

/// The duplicates among `users`: for each, the position in `users` of the later document and
/// the cause reported against it (the first document to claim a value keeps it).
pub fn duplicates(users: &[UserDocument<'_>]) -> Vec<(usize, Cause)> {
    // (what, compared value) -> position of the first claimant
    let mut first: HashMap<(&'static str, String), usize> = HashMap::new();
    let mut found = Vec::new();
    for (position, user) in users.iter().enumerate() {
        for claim in claims(user.object) {
            let key = (claim.what, claim.key.clone());
            let Some(&earlier) = first.get(&key) else {
                first.insert(key, position);
                continue;
            };
            let holder = &users[earlier];
            let mut message = format!(
                "Duplicate value: {}: User \"{}\" ({}) has the same {}, which is unique across the ZITADEL instance",
                Value::from(claim.value.as_str()),
                holder.name.unwrap_or_default(),
                holder.location,
                claim.what,
            );
            if claim.what == "username" {
                message.push_str(" (ZITADEL compares usernames ignoring case");
                if claim.field != "spec.username" {
                    message.push_str("; without spec.username the email address is the username");
                }
                message.push(')');
            }
            found.push((
                position,
                Cause::new("FieldValueDuplicate", message, claim.field),
            ));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn user(spec: Value) -> Value {
        json!({"kind": "User", "spec": spec})
    }

    fn check(objects: &[Value]) -> Vec<(usize, String)> {
        let users: Vec<UserDocument<'_>> = objects
            .iter()
            .map(|object| UserDocument {
                location: "f.yaml[0]",
                name: Some("u"),
                object,
            })
            .collect();
        duplicates(&users)
            .into_iter()
            .map(|(i, cause)| (i, cause.render()))
            .collect()
    }

    #[test]
    fn usernames_differing_only_in_case_clash_across_the_instance() {
        let found = check(&[
            user(json!({"organizationId": "1", "username": "Alice"})),
            user(json!({"organizationId": "2", "username": "bob"})),
            user(json!({"organizationId": "2", "username": "ALICE"})),
        ]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, 2);
        assert!(
            found[0]
                .1
                .starts_with("spec.username: Duplicate value: \"ALICE\""),
            "{found:?}"
        );
    }

    #[test]
    fn an_email_address_is_the_username_of_a_human_without_one() {
        let found = check(&[
            user(json!({"organizationId": "1", "username": "a@x.example"})),
            user(json!({"organizationId": "1", "human": {"email": {"address": "A@x.example"}}})),
        ]);
        assert_eq!(found.len(), 1);
        assert!(
            found[0]
                .1
                .starts_with("spec.human.email.address: Duplicate value")
        );
    }

    #[test]
    fn user_ids_clash_across_organizations() {
        let found = check(&[
            user(json!({"organizationId": "1", "userId": "bob"})),
            user(json!({"organizationId": "2", "userId": "bob"})),
        ]);
        assert_eq!(found.len(), 1);
        assert!(
            found[0]
                .1
                .starts_with("spec.userId: Duplicate value: \"bob\"")
        );
    }
}
