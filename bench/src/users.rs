//! The `User`s the benchmark creates: a fixed mix, so runs with the same `--users` compare.

use zitadel_user_operator::conditions::READY;
use zitadel_user_operator::crd::{EmailVerification, User};
use zitadel_user_operator::fixtures::UserBuilder;

/// Namespace the benchmark's `User`s live in (it exists in a fresh Kubernetes emulator).
pub const NAMESPACE: &str = "default";

/// Metadata entries each [`Kind::Metadata`] user carries.
const METADATA_ENTRIES: usize = 3;

/// The kinds of `User` in the mix; each costs the operator something different.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// A human whose email code comes back to the operator: it owns a Secret (half the mix).
    ReturnCode,
    /// A machine user (a quarter of the mix).
    Machine,
    /// A human with a verified email and metadata entries (a quarter of the mix).
    Metadata,
}

impl Kind {
    /// Every kind, in report order.
    pub const ALL: [Self; 3] = [Self::ReturnCode, Self::Machine, Self::Metadata];

    /// The kind of the `index`-th user: two of every four are ReturnCode humans.
    pub fn of(index: u32) -> Self {
        match index % 4 {
            0 | 1 => Self::ReturnCode,
            2 => Self::Machine,
            _ => Self::Metadata,
        }
    }

    /// Short description for the report.
    pub fn label(self) -> &'static str {
        match self {
            Self::ReturnCode => "human, ReturnCode email (owns a Secret)",
            Self::Machine => "machine",
            Self::Metadata => "human, verified email, 3 metadata entries",
        }
    }
}

/// Name of the `index`-th user.
pub fn name(index: u32) -> String {
    format!("bench-{index:05}")
}

/// The `index`-th user of the mix, in organization `org_id`.
pub fn user(index: u32, org_id: &str) -> User {
    let name = name(index);
    let human = |verification| {
        UserBuilder::human(&name)
            .given_name("Bench")
            .family_name(&format!("User {index}"))
            .email(&format!("{name}@bench.example"), verification)
    };
    let builder = match Kind::of(index) {
        Kind::ReturnCode => human(EmailVerification::ReturnCode),
        Kind::Metadata => (0..METADATA_ENTRIES)
            .fold(human(EmailVerification::Verified), |builder, i| {
                builder.metadata(&format!("key-{i}"), &format!("value {i} of {name}"))
            }),
        Kind::Machine => UserBuilder::machine(&name).machine_name(&format!("{name} machine")),
    };
    builder.namespace(NAMESPACE).organization(org_id).build()
}

/// Whether `user` is Ready for its current generation (what `kubectl wait` and kstatus check).
pub fn is_ready(user: &User) -> bool {
    let Some(status) = &user.status else {
        return false;
    };
    status.observed_generation == user.metadata.generation
        && status
            .conditions
            .iter()
            .any(|c| c.type_ == READY && c.status == "True")
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
    use k8s_openapi::jiff::Timestamp;
    use zitadel_user_operator::crd::UserStatus;

    fn with_ready(generation: i64, observed: i64, ready: &str) -> User {
        let mut user = user(0, "org");
        user.metadata.generation = Some(generation);
        user.status = Some(UserStatus {
            observed_generation: Some(observed),
            conditions: vec![Condition {
                type_: READY.to_owned(),
                status: ready.to_owned(),
                reason: "Reconciled".to_owned(),
                message: String::new(),
                last_transition_time: Time(Timestamp::UNIX_EPOCH),
                observed_generation: Some(observed),
            }],
            ..UserStatus::default()
        });
        user
    }

    #[test]
    fn the_mix_is_half_return_code_a_quarter_machine_a_quarter_metadata() {
        let kinds: Vec<Kind> = (0..8).map(Kind::of).collect();
        let count = |kind| kinds.iter().filter(|k| **k == kind).count();
        assert_eq!(count(Kind::ReturnCode), 4);
        assert_eq!(count(Kind::Machine), 2);
        assert_eq!(count(Kind::Metadata), 2);
    }

    #[test]
    fn each_kind_gets_the_spec_that_exercises_it() {
        let return_code = user(0, "org");
        let human = return_code.spec.human.as_ref().expect("a human");
        assert_eq!(human.email.verification, EmailVerification::ReturnCode);
        assert!(user(2, "org").spec.machine.is_some());
        assert_eq!(user(3, "org").spec.metadata.len(), METADATA_ENTRIES);
        assert_eq!(user(3, "org").metadata.name.as_deref(), Some("bench-00003"));
    }

    #[test]
    fn ready_counts_only_for_the_current_generation() {
        assert!(is_ready(&with_ready(1, 1, "True")));
        assert!(!is_ready(&with_ready(2, 1, "True")));
        assert!(!is_ready(&with_ready(1, 1, "False")));
        assert!(!is_ready(&user(0, "org")));
    }
}
