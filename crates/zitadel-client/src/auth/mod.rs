//! Bearer tokens for API calls: a PAT or the JWT profile with a service-account key
//! (contract §10), each from a file or held in memory.

mod error;
mod jwt_profile;
mod key_file;
mod pat;

use std::path::PathBuf;

pub use error::AuthError;
pub(crate) use jwt_profile::{JwtProfileConfig, JwtProfileSource};
pub use key_file::KeyFile;
pub(crate) use key_file::KeySource;
pub(crate) use pat::PatSource;

use crate::limiter::Gate;
use crate::sensitive::Sensitive;

/// Where the client's credentials come from.
///
/// Files are read lazily and re-read on change, so a rotated mounted Secret is picked up
/// without a restart. In-memory values are checked when the client is built and never
/// change: build a new client when the value does. `Debug` shows paths but never a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    /// A file holding a personal access token (surrounding whitespace is ignored).
    PatFile(PathBuf),
    /// A service-account key file (JSON) for the JWT profile grant.
    KeyFile(PathBuf),
    /// A personal access token (surrounding whitespace is ignored). A 401 is final: there is
    /// no newer value to retry with.
    Pat(Sensitive<String>),
    /// The JSON content of a service-account key file, for the JWT profile grant. Access
    /// tokens are cached and refreshed exactly as with [`Credentials::KeyFile`].
    Key(Sensitive<String>),
}

/// The token provider behind a client.
#[derive(Debug)]
pub(crate) enum TokenSource {
    Pat(PatSource),
    JwtProfile(JwtProfileSource),
}

impl TokenSource {
    /// The token to send. A token request goes through `gate` like any other request.
    pub(crate) async fn token(&self, gate: &Gate<'_>) -> Result<Sensitive<String>, AuthError> {
        match self {
            Self::Pat(pat) => pat.token().await,
            Self::JwtProfile(jwt) => jwt.token(gate).await,
        }
    }

    /// After a 401 with `rejected`: a different token to retry once with, or `None`.
    pub(crate) async fn replace_rejected(
        &self,
        rejected: &Sensitive<String>,
        gate: &Gate<'_>,
    ) -> Result<Option<Sensitive<String>>, AuthError> {
        match self {
            Self::Pat(pat) => pat.replace_rejected(rejected).await,
            Self::JwtProfile(jwt) => jwt.replace_rejected(rejected, gate).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_of_credentials_shows_paths_but_never_values() {
        let shown = format!(
            "{:?} {:?} {:?} {:?}",
            Credentials::Pat("pat-hunter2".into()),
            Credentials::Key(r#"{"key": "key-hunter2"}"#.into()),
            Credentials::PatFile("/run/pat".into()),
            Credentials::KeyFile("/run/key.json".into()),
        );
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("Pat([redacted])"), "{shown}");
        assert!(shown.contains("/run/pat") && shown.contains("/run/key.json"));
    }

    #[test]
    fn in_memory_credentials_compare_by_value() {
        assert_eq!(Credentials::Pat("a".into()), Credentials::Pat("a".into()));
        assert_ne!(Credentials::Pat("a".into()), Credentials::Pat("b".into()));
        assert_ne!(Credentials::Pat("a".into()), Credentials::Key("a".into()));
    }
}
