//! Bearer tokens for API calls: a PAT file or the JWT profile with a key file (contract §10).

mod error;
mod jwt_profile;
mod key_file;
mod pat;

use std::path::PathBuf;

pub use error::AuthError;
pub(crate) use jwt_profile::{JwtProfileConfig, JwtProfileSource};
pub use key_file::KeyFile;
pub(crate) use pat::PatSource;

use super::rpc::CallObserver;
use crate::sensitive::Sensitive;

/// Where the client's credentials come from. Files are read lazily and re-read on change, so
/// a rotated Kubernetes Secret is picked up without a restart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    /// A file holding a personal access token (surrounding whitespace is ignored).
    PatFile(PathBuf),
    /// A service-account key file (JSON) for the JWT profile grant.
    KeyFile(PathBuf),
}

/// The token provider behind a client.
#[derive(Debug)]
pub(crate) enum TokenSource {
    Pat(PatSource),
    JwtProfile(JwtProfileSource),
}

impl TokenSource {
    /// The token to send.
    pub(crate) async fn token(
        &self,
        observer: &dyn CallObserver,
    ) -> Result<Sensitive<String>, AuthError> {
        match self {
            Self::Pat(pat) => pat.token().await,
            Self::JwtProfile(jwt) => jwt.token(observer).await,
        }
    }

    /// After a 401 with `rejected`: a different token to retry once with, or `None`.
    pub(crate) async fn replace_rejected(
        &self,
        rejected: &Sensitive<String>,
        observer: &dyn CallObserver,
    ) -> Result<Option<Sensitive<String>>, AuthError> {
        match self {
            Self::Pat(pat) => pat.replace_rejected(rejected).await,
            Self::JwtProfile(jwt) => jwt.replace_rejected(rejected, observer).await,
        }
    }
}
