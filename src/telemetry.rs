//! Logging: a global `tracing` subscriber writing text or JSON lines to stdout.

mod json;

use tracing_subscriber::{
    EnvFilter, filter::ParseError, layer::SubscriberExt, util::SubscriberInitExt,
    util::TryInitError,
};

pub use json::{FlatJson, json_layer};

/// Shape of log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    /// Compact human-readable lines.
    #[default]
    Text,
    /// One JSON object per line, with the fields of every enclosing span at the top level.
    Json,
}

/// Why logging could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    /// The filter is not valid `EnvFilter` syntax.
    #[error("invalid log filter `{filter}`")]
    InvalidFilter {
        /// The rejected filter.
        filter: String,
        /// The parser's complaint.
        #[source]
        source: ParseError,
    },
    /// Another global subscriber was installed first.
    #[error("a global tracing subscriber is already installed")]
    AlreadyInitialized(#[source] TryInitError),
}

/// Installs the global subscriber: `filter` in `EnvFilter` syntax (e.g. `info,kube=warn`).
///
/// # Errors
/// [`TelemetryError`] for an invalid filter or when a global subscriber already exists.
pub fn init(format: LogFormat, filter: &str) -> Result<(), TelemetryError> {
    let env_filter =
        EnvFilter::try_new(filter).map_err(|source| TelemetryError::InvalidFilter {
            filter: filter.to_owned(),
            source,
        })?;
    let registry = tracing_subscriber::registry().with(env_filter);
    match format {
        LogFormat::Text => registry
            .with(tracing_subscriber::fmt::layer().compact())
            .try_init(),
        LogFormat::Json => registry.with(json_layer(std::io::stdout)).try_init(),
    }
    .map_err(TelemetryError::AlreadyInitialized)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invalid_filter_is_reported_before_anything_is_installed() {
        let error = init(LogFormat::Text, "info,[unclosed").unwrap_err();
        assert!(
            matches!(&error, TelemetryError::InvalidFilter { filter, .. } if filter == "info,[unclosed"),
            "{error:?}"
        );
    }

    #[test]
    fn log_formats_parse_from_their_lowercase_names() {
        use clap::ValueEnum;
        assert_eq!(LogFormat::from_str("json", false), Ok(LogFormat::Json));
        assert_eq!(LogFormat::from_str("text", false), Ok(LogFormat::Text));
        assert!(LogFormat::from_str("xml", false).is_err());
    }
}
