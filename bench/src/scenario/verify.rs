//! Correctness checks of a run: what the operator must have done, whatever the timing. A
//! failed check still lets the report print, then makes the run exit non-zero.

use k8s_openapi::api::core::v1::Secret;
use kube::Api;
use zitadel_emulator::ZitadelEmulator;
use zitadel_user_operator::crd::{CredentialKind, User};
use zitadel_user_operator::secrets::{
    CLIENT_ID_KEY, CLIENT_SECRET_KEY, LEDGER_ANNOTATION, Ledger, key_file_key, secret_name,
    token_key,
};

use super::{Bench, ScenarioError};
use crate::measure::counts::ApiCounts;
use crate::users::{self, KEY_NAME, Kind, NAMESPACE, PAT_NAME};

/// The RPCs that list machine credentials; only a lost answer or the periodic check calls them.
pub const LISTING_RPCS: [&str; 2] = ["ListKeys", "ListPersonalAccessTokens"];

/// Problems a check reports in full; beyond that only their number.
const SHOWN_PROBLEMS: usize = 5;

/// One check and what it found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    /// What was checked, for the report.
    pub name: String,
    /// How many things were checked (users, or calls).
    pub checked: usize,
    /// What was wrong, one line each; empty when the check passed.
    pub problems: Vec<String>,
}

impl Check {
    /// Whether nothing was wrong.
    pub fn passed(&self) -> bool {
        self.problems.is_empty()
    }

    /// The problems for one report line, the first few in full.
    pub fn describe_problems(&self) -> String {
        let mut shown: Vec<&str> = self
            .problems
            .iter()
            .take(SHOWN_PROBLEMS)
            .map(String::as_str)
            .collect();
        let more = self.problems.len().saturating_sub(SHOWN_PROBLEMS);
        let more = format!("and {more} more");
        if self.problems.len() > SHOWN_PROBLEMS {
            shown.push(&more);
        }
        shown.join("; ")
    }
}

/// Every [`Kind::Credentials`] user's Secret holds `ci.token`, `default.json`, `clientId` and
/// `clientSecret`, and ZITADEL has exactly the key and token the Secret's ledger holds (one
/// each, no duplicates) and a client secret. `when` names the moment for the report.
pub async fn credentials(bench: &Bench, when: &str) -> Result<Check, ScenarioError> {
    let mix = bench.params.args.mix();
    let users = bench.users();
    let secrets: Api<Secret> = Api::namespaced(bench.client.clone(), NAMESPACE);
    let mut check = Check {
        name: format!(
            "{when}: every machine user with credentials has `{}`, `{}`, `{CLIENT_ID_KEY}`, \
             `{CLIENT_SECRET_KEY}` in its Secret and exactly that key and token in ZITADEL",
            token_key(PAT_NAME),
            key_file_key(KEY_NAME)
        ),
        checked: 0,
        problems: Vec::new(),
    };
    for index in (0..bench.params.args.users).filter(|i| mix.kind(*i) == Kind::Credentials) {
        let name = users::name(index);
        check.checked += 1;
        let Some(user) = users.get_opt(&name).await? else {
            check.problems.push(format!("{name}: the User is gone"));
            continue;
        };
        let secret = secrets.get_opt(&secret_name(&user)).await?;
        let problems = user_problems(&bench.env.zitadel, &user, secret.as_ref());
        check
            .problems
            .extend(problems.into_iter().map(|p| format!("{name}: {p}")));
    }
    Ok(check)
}

/// What is wrong with one credentials user, given its Secret.
fn user_problems(zitadel: &ZitadelEmulator, user: &User, secret: Option<&Secret>) -> Vec<String> {
    let Some(user_id) = user.status.as_ref().and_then(|s| s.user_id.as_deref()) else {
        return vec!["no user id in the status".to_owned()];
    };
    let Some(secret) = secret else {
        return vec!["no Secret".to_owned()];
    };
    let value = |key: &str| {
        secret
            .data
            .as_ref()
            .and_then(|data| data.get(key))
            .map(|bytes| String::from_utf8_lossy(&bytes.0).into_owned())
            .filter(|value| !value.is_empty())
    };
    let mut problems = Vec::new();
    let key_file = key_file_key(KEY_NAME);
    for key in [
        token_key(PAT_NAME),
        key_file.clone(),
        CLIENT_ID_KEY.to_owned(),
        CLIENT_SECRET_KEY.to_owned(),
    ] {
        if value(&key).is_none() {
            problems.push(format!("no `{key}` in the Secret"));
        }
    }
    let ledger = secret
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(LEDGER_ANNOTATION))
        .map(|annotation| Ledger::parse(Some(annotation)));
    let ledger = match ledger {
        Some(Ok(ledger)) => ledger,
        Some(Err(error)) => {
            problems.push(format!("unreadable ledger: {error}"));
            Ledger::default()
        }
        None => {
            problems.push("no ledger annotation on the Secret".to_owned());
            Ledger::default()
        }
    };
    if !ledger.pending.is_empty() {
        problems.push(format!(
            "{} credential calls still pending",
            ledger.pending.len()
        ));
    }
    let held = |kind, name| ledger.held(kind, name).and_then(|c| c.id.clone());
    let key_id = held(CredentialKind::Key, KEY_NAME);
    let pat_id = held(CredentialKind::PersonalAccessToken, PAT_NAME);
    problems.extend(one_credential(
        "key",
        &zitadel.user_key_ids(user_id),
        key_id.as_deref(),
    ));
    problems.extend(one_credential(
        "personal access token",
        &zitadel.user_pat_ids(user_id),
        pat_id.as_deref(),
    ));
    if !zitadel.user_secret_is_set(user_id) {
        problems.push("no client secret in ZITADEL".to_owned());
    }
    if let Some(file) = value(&key_file) {
        problems.extend(key_file_problems(&file, user_id, key_id.as_deref()));
    }
    problems
}

/// ZITADEL must have exactly one credential of a kind, the one the ledger holds.
fn one_credential(what: &str, in_zitadel: &[String], held: Option<&str>) -> Option<String> {
    match (in_zitadel, held) {
        ([only], Some(held)) if only == held => None,
        (_, None) => Some(format!("the ledger holds no {what}")),
        _ => Some(format!(
            "ZITADEL has {} {what}(s) {in_zitadel:?}, the ledger holds {held:?}",
            in_zitadel.len()
        )),
    }
}

/// The key file must be ZITADEL's JSON for this user and the held key.
fn key_file_problems(file: &str, user_id: &str, key_id: Option<&str>) -> Option<String> {
    let Ok(json) = serde_json::from_str::<serde_json::Value>(file) else {
        return Some("the key file is not JSON".to_owned());
    };
    let field = |name: &str| json.get(name).and_then(serde_json::Value::as_str);
    if field("userId") != Some(user_id) || field("keyId") != key_id {
        return Some(format!(
            "the key file names user {:?} and key {:?}, not {user_id:?} and {key_id:?}",
            field("userId"),
            field("keyId")
        ));
    }
    None
}

/// Creation made one CreateUser per user, at least one AddPersonalAccessToken, AddKey and
/// AddSecret per machine user with credentials, and no Remove* (which would mean a credential
/// was made twice, or an orphan revoked). More Add* than users is not a failure: an Add* whose
/// answer was lost (a client timeout while the emulator generates keys on a loaded machine) is
/// retried by design; the tables show the excess and the duplicate check is on ZITADEL's state.
pub fn creation_calls(counts: &ApiCounts, users: usize, credential_users: usize) -> Check {
    let expected = [
        ("CreateUser", users),
        ("AddPersonalAccessToken", credential_users),
        ("AddKey", credential_users),
        ("AddSecret", credential_users),
    ];
    let calls = |rpc: &str| counts.zitadel.get(rpc).copied().unwrap_or(0);
    let mut problems: Vec<String> = expected
        .iter()
        .filter(|(rpc, want)| {
            let made = calls(rpc);
            made < *want || (*rpc == "CreateUser" && made != *want)
        })
        .map(|(rpc, want)| format!("{} {rpc} calls, expected {want}", calls(rpc)))
        .collect();
    problems.extend(
        counts
            .zitadel
            .iter()
            .filter(|(rpc, count)| rpc.starts_with("Remove") && **count > 0)
            .map(|(rpc, count)| format!("{count} {rpc} calls, expected none")),
    );
    Check {
        name: "creation: one CreateUser per user; at least one AddPersonalAccessToken, AddKey \
               and AddSecret per machine user with credentials; no Remove*"
            .to_owned(),
        checked: users,
        problems,
    }
}

/// A phase of resyncs of Ready users changed nothing: no ZITADEL or Kubernetes writes and no
/// credential listings.
pub fn no_changes(phase: &str, counts: &ApiCounts) -> Check {
    let listings: usize = LISTING_RPCS
        .iter()
        .filter_map(|rpc| counts.zitadel.get(*rpc))
        .sum();
    let mut problems = Vec::new();
    let mut expect_zero = |what: &str, count: usize| {
        if count > 0 {
            problems.push(format!("{count} {what}"));
        }
    };
    expect_zero("ZITADEL writes", counts.zitadel_writes());
    expect_zero("Kubernetes writes", counts.kube_writes());
    expect_zero("ListKeys/ListPersonalAccessTokens calls", listings);
    Check {
        name: format!(
            "{phase}: no ZITADEL writes, no Kubernetes writes, no ListKeys or \
             ListPersonalAccessTokens"
        ),
        checked: counts.zitadel.values().sum::<usize>() + counts.kube_total(),
        problems,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(values: &[&str]) -> Vec<String> {
        values.iter().map(|v| (*v).to_owned()).collect()
    }

    #[test]
    fn exactly_the_held_credential_must_be_in_zitadel() {
        assert_eq!(one_credential("key", &ids(&["k1"]), Some("k1")), None);
        assert!(one_credential("key", &ids(&["k1", "k2"]), Some("k1")).is_some());
        assert!(one_credential("key", &ids(&[]), Some("k1")).is_some());
        assert!(one_credential("key", &ids(&["k1"]), None).is_some());
        assert!(one_credential("key", &ids(&["k2"]), Some("k1")).is_some());
    }

    #[test]
    fn the_key_file_must_name_the_user_and_the_held_key() {
        let file = r#"{"type":"serviceaccount","keyId":"k1","userId":"u1","key":"pem"}"#;
        assert_eq!(key_file_problems(file, "u1", Some("k1")), None);
        assert!(key_file_problems(file, "u2", Some("k1")).is_some());
        assert!(key_file_problems(file, "u1", Some("k2")).is_some());
        assert!(key_file_problems("not json", "u1", Some("k1")).is_some());
    }

    #[test]
    fn resyncs_that_write_or_list_fail_the_check() {
        let quiet = ApiCounts {
            zitadel: [("GetUserByID".to_owned(), 4)].into_iter().collect(),
            ..ApiCounts::default()
        };
        assert!(no_changes("steady", &quiet).passed());
        let mut listing = quiet.clone();
        listing.zitadel.insert("ListKeys".to_owned(), 1);
        listing.zitadel.insert("AddKey".to_owned(), 2);
        let check = no_changes("steady", &listing);
        assert!(!check.passed());
        assert_eq!(
            check.describe_problems(),
            "2 ZITADEL writes; 1 ListKeys/ListPersonalAccessTokens calls"
        );
    }

    #[test]
    fn creation_must_add_each_credential_once() {
        let counts = |pairs: &[(&str, usize)]| ApiCounts {
            zitadel: pairs.iter().map(|(r, n)| ((*r).to_owned(), *n)).collect(),
            ..ApiCounts::default()
        };
        let exact = [
            ("CreateUser", 4),
            ("AddKey", 2),
            ("AddPersonalAccessToken", 2),
            ("AddSecret", 2),
            ("GetUserByID", 9),
        ];
        assert!(creation_calls(&counts(&exact), 4, 2).passed());
        assert!(creation_calls(&counts(&[("CreateUser", 4)]), 4, 0).passed());
        let mut twice = exact.to_vec();
        twice.push(("RemoveKey", 1));
        let check = creation_calls(&counts(&twice), 4, 2);
        assert_eq!(check.problems, ["1 RemoveKey calls, expected none"]);
        assert!(
            creation_calls(&counts(&exact), 4, 1).passed(),
            "a retried Add* is no failure"
        );
        assert!(!creation_calls(&counts(&exact), 4, 3).passed());
        assert!(!creation_calls(&counts(&exact), 3, 2).passed());
    }

    #[test]
    fn only_the_first_problems_are_spelled_out() {
        let check = Check {
            name: "n".to_owned(),
            checked: 9,
            problems: (0..7).map(|i| format!("p{i}")).collect(),
        };
        assert_eq!(check.describe_problems(), "p0; p1; p2; p3; p4; and 2 more");
    }
}
