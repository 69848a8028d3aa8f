//! Errors of one reconcile. Each keeps its source; none carries a credential.

use std::time::Duration;

use kube::runtime::finalizer;
use thiserror::Error;

use crate::{secrets, zitadel};

/// A reconcile failure that is retried with backoff.
#[derive(Debug, Error)]
pub enum Error {
    /// A ZITADEL call failed in a way worth retrying (outage, rate limit, credentials).
    #[error("ZITADEL: {0}")]
    Zitadel(#[from] zitadel::Error),
    /// Reading or writing the `User`'s Secret failed.
    #[error(transparent)]
    Secret(#[from] secrets::Error),
    /// A Kubernetes API call failed.
    #[error("Kubernetes API: {0}")]
    Kube(#[from] kube::Error),
    /// Adding or removing the finalizer failed.
    #[error("finalizer: {0}")]
    Finalizer(#[source] Box<finalizer::Error<Error>>),
    /// ZITADEL reports a username as taken but its search index does not show the holder yet
    /// (ListUsers lags behind writes, contract §14.4).
    #[error("the holder of username {0} is not searchable yet")]
    NotYetSearchable(String),
    /// The object lacks a namespace; `User` is namespaced, so only a broken object gets here.
    #[error("User has no namespace")]
    NotNamespaced,
}

impl Error {
    /// Short stable label for metrics and logs.
    pub fn metric_label(&self) -> &'static str {
        match self {
            Error::Zitadel(error) => error.kind().as_str(),
            Error::Secret(_) => "secret",
            Error::Kube(_) => "kube",
            Error::Finalizer(_) => "finalizer",
            Error::NotYetSearchable(_) => "not_yet_searchable",
            Error::NotNamespaced => "not_namespaced",
        }
    }

    /// How long the server asked us to wait, if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Zitadel(error) => error.retry_after(),
            Error::Finalizer(inner) => match inner.as_ref() {
                finalizer::Error::ApplyFailed(error) | finalizer::Error::CleanupFailed(error) => {
                    error.retry_after()
                }
                _ => None,
            },
            _ => None,
        }
    }
}
