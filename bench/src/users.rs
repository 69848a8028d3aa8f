//! The `User`s the benchmark creates: a fixed mix, so runs with the same flags compare.

use zitadel_user_operator::conditions::READY;
use zitadel_user_operator::crd::{EmailVerification, User};
use zitadel_user_operator::fixtures::UserBuilder;

/// Namespace the benchmark's `User`s live in (it exists in a fresh Kubernetes emulator).
pub const NAMESPACE: &str = "default";

/// Metadata entries each [`Kind::Metadata`] user carries.
const METADATA_ENTRIES: usize = 3;

/// Name of the personal access token of each [`Kind::Credentials`] user: stored as `ci.token`.
pub const PAT_NAME: &str = "ci";
/// Lifetime and rotation lead of that token (90 days, rotated a week before it expires).
const PAT_LIFETIME: (&str, Option<&str>) = ("2160h", Some("168h"));
/// Name of the key of each [`Kind::Credentials`] user: stored as `default.json`.
pub const KEY_NAME: &str = "default";
/// Lifetime of that key (a year, rotated at the default tenth of it before it expires).
const KEY_LIFETIME: (&str, Option<&str>) = ("8760h", None);

/// The kinds of `User` in the mix; each costs the operator something different.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// A human whose email code comes back to the operator: it owns a Secret (half the default
    /// mix).
    ReturnCode,
    /// A machine user without credentials (a quarter of the default mix).
    Machine,
    /// A human with a verified email and metadata entries (a quarter of the default mix).
    Metadata,
    /// A machine user with one personal access token, one key and a client secret, all kept in
    /// the Secret it owns (`--machine-credentials` percent of the users).
    Credentials,
}

impl Kind {
    /// Every kind, in report order.
    pub const ALL: [Self; 4] = [
        Self::ReturnCode,
        Self::Machine,
        Self::Metadata,
        Self::Credentials,
    ];

    /// The kind of the `index`-th user of the default mix: two of every four are ReturnCode
    /// humans.
    fn of_default(index: u32) -> Self {
        match index % 4 {
            0 | 1 => Self::ReturnCode,
            2 => Self::Machine,
            _ => Self::Metadata,
        }
    }

    /// A few words for the summary table.
    pub fn short_label(self) -> &'static str {
        match self {
            Self::ReturnCode => "ReturnCode human",
            Self::Machine => "machine",
            Self::Metadata => "metadata human",
            Self::Credentials => "machine with credentials",
        }
    }

    /// Short description for the report.
    pub fn label(self) -> &'static str {
        match self {
            Self::ReturnCode => "human, ReturnCode email (owns a Secret)",
            Self::Machine => "machine",
            Self::Metadata => "human, verified email, 3 metadata entries",
            Self::Credentials => "machine, 1 PAT + 1 key + client secret (owns a Secret)",
        }
    }
}

/// Which kind each user is: `credentials_percent` of them (spread evenly over the indices)
/// are [`Kind::Credentials`] users, the others follow the default mix in order, so
/// `credentials_percent = 0` is exactly the default mix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mix {
    /// Share of [`Kind::Credentials`] users, 0 to 100.
    pub credentials_percent: u8,
}

impl Mix {
    /// The kind of the `index`-th user.
    pub fn kind(self, index: u32) -> Kind {
        let percent = u64::from(self.credentials_percent);
        // Credentials users among the first `n` users: floor(n × percent / 100).
        let before = |n: u32| u64::from(n) * percent / 100;
        if before(index + 1) > before(index) {
            return Kind::Credentials;
        }
        // Below `index`, so it fits.
        let others_before = index - u32::try_from(before(index)).unwrap_or(index);
        Kind::of_default(others_before)
    }

    /// How many of the first `users` users are of `kind`.
    pub fn count(self, users: u32, kind: Kind) -> usize {
        (0..users).filter(|i| self.kind(*i) == kind).count()
    }

    /// The `index`-th user of the mix, in organization `org_id`.
    pub fn user(self, index: u32, org_id: &str) -> User {
        user(self.kind(index), index, org_id)
    }
}

/// A user of `kind` named after `index`, in organization `org_id`.
pub fn user(kind: Kind, index: u32, org_id: &str) -> User {
    let name = name(index);
    let human = |verification| {
        UserBuilder::human(&name)
            .given_name("Bench")
            .family_name(&format!("User {index}"))
            .email(&format!("{name}@bench.example"), verification)
    };
    let machine = || UserBuilder::machine(&name).machine_name(&format!("{name} machine"));
    let builder = match kind {
        Kind::ReturnCode => human(EmailVerification::ReturnCode),
        Kind::Metadata => (0..METADATA_ENTRIES)
            .fold(human(EmailVerification::Verified), |builder, i| {
                builder.metadata(&format!("key-{i}"), &format!("value {i} of {name}"))
            }),
        Kind::Machine => machine(),
        Kind::Credentials => machine()
            .pat(PAT_NAME, PAT_LIFETIME.0, PAT_LIFETIME.1)
            .key(KEY_NAME, KEY_LIFETIME.0, KEY_LIFETIME.1)
            .client_secret(),
    };
    builder.namespace(NAMESPACE).organization(org_id).build()
}

/// Name of the `index`-th user.
pub fn name(index: u32) -> String {
    format!("bench-{index:05}")
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

    const DEFAULT: Mix = Mix {
        credentials_percent: 0,
    };

    fn with_ready(generation: i64, observed: i64, ready: &str) -> User {
        let mut user = DEFAULT.user(0, "org");
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
        assert_eq!(DEFAULT.count(8, Kind::ReturnCode), 4);
        assert_eq!(DEFAULT.count(8, Kind::Machine), 2);
        assert_eq!(DEFAULT.count(8, Kind::Metadata), 2);
        assert_eq!(DEFAULT.count(8, Kind::Credentials), 0);
    }

    #[test]
    fn a_credentials_share_takes_its_percentage_and_keeps_the_rest_in_proportion() {
        let half = Mix {
            credentials_percent: 50,
        };
        assert_eq!(half.count(200, Kind::Credentials), 100);
        assert_eq!(half.count(200, Kind::ReturnCode), 50);
        assert_eq!(half.count(200, Kind::Machine), 25);
        assert_eq!(half.count(200, Kind::Metadata), 25);
        let all = Mix {
            credentials_percent: 100,
        };
        assert_eq!(all.count(7, Kind::Credentials), 7);
        let some = Mix {
            credentials_percent: 30,
        };
        assert_eq!(some.count(10, Kind::Credentials), 3);
    }

    #[test]
    fn each_kind_gets_the_spec_that_exercises_it() {
        let return_code = DEFAULT.user(0, "org");
        let human = return_code.spec.human.as_ref().expect("a human");
        assert_eq!(human.email.verification, EmailVerification::ReturnCode);
        let machine = DEFAULT.user(2, "org");
        let machine = machine.spec.machine.as_ref().expect("a machine");
        assert!(machine.credentials.is_none());
        assert_eq!(DEFAULT.user(3, "org").spec.metadata.len(), METADATA_ENTRIES);
        assert_eq!(
            DEFAULT.user(3, "org").metadata.name.as_deref(),
            Some("bench-00003")
        );
        let all = Mix {
            credentials_percent: 100,
        };
        let user = all.user(0, "org");
        let credentials = user
            .spec
            .machine
            .as_ref()
            .and_then(|m| m.credentials.as_ref())
            .expect("credentials");
        assert!(credentials.client_secret.is_some());
        assert_eq!(credentials.keys.len(), 1);
        assert_eq!(credentials.keys[0].name, KEY_NAME);
        assert_eq!(credentials.personal_access_tokens.len(), 1);
        assert_eq!(credentials.personal_access_tokens[0].name, PAT_NAME);
    }

    #[test]
    fn ready_counts_only_for_the_current_generation() {
        assert!(is_ready(&with_ready(1, 1, "True")));
        assert!(!is_ready(&with_ready(2, 1, "True")));
        assert!(!is_ready(&with_ready(1, 1, "False")));
        assert!(!is_ready(&DEFAULT.user(0, "org")));
    }
}
