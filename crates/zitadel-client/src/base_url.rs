//! The one check of a ZITADEL base URL. The operator's `--zitadel-url` flag and
//! [`ZitadelClient::new`](crate::ZitadelClient::new) both use it, so a URL the configuration
//! accepts is one the client can build on.

use std::str::FromStr;

use reqwest::Url;

use crate::error::ConfigError;

/// `url::ParseError`, named through reqwest, which re-exports `Url` but not its error type.
pub type UrlParseError = <Url as FromStr>::Err;

/// Why a string is not a usable ZITADEL base URL.
///
/// No variant repeats the URL: it could carry a password. [`UrlParseError`]'s messages do not
/// quote their input either.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BaseUrlError {
    /// Not a valid absolute URL, e.g. `zitadel.example.com` without a scheme, an empty host or
    /// a port out of range.
    #[error("not a valid absolute URL")]
    Unparsable(#[source] UrlParseError),
    /// The scheme is neither `http` nor `https`.
    #[error("the scheme is not http or https")]
    Scheme,
    /// There is no host to connect to.
    #[error("the URL has no host")]
    NoHost,
    /// A user name or password is embedded, which would end up in logs and `Debug` output.
    #[error("the URL contains a user name or password")]
    Credentials,
    /// API paths are appended to the base URL's path; a query or fragment would end up in
    /// front of them, or be silently dropped.
    #[error("the URL has a query or fragment")]
    QueryOrFragment,
}

/// Checks `raw` as a ZITADEL base URL: surrounding whitespace is ignored; it must be an
/// absolute `http` or `https` URL with a host, without user name, password, query or fragment.
/// A path prefix (a ZITADEL behind `https://example.com/zitadel`) is kept.
///
/// Trailing slashes of the path are dropped, so `https://h/zitadel/` and `https://h/zitadel`
/// are the same base and API paths join onto either with exactly one `/`.
///
/// # Errors
/// [`BaseUrlError`] names the broken rule without repeating the URL.
pub fn parse_base_url(raw: &str) -> Result<Url, BaseUrlError> {
    let mut url = Url::parse(raw.trim()).map_err(BaseUrlError::Unparsable)?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(BaseUrlError::Scheme);
    }
    // The URL parser already refuses an empty http(s) host; this keeps the rule explicit
    // should the scheme check ever admit a scheme that allows one.
    if url.host_str().is_none() {
        return Err(BaseUrlError::NoHost);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(BaseUrlError::Credentials);
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(BaseUrlError::QueryOrFragment);
    }
    // `join_path` drops one empty last segment; more than one would leave `//` in API paths.
    let path = url.path().trim_end_matches('/').to_owned();
    url.set_path(&path);
    Ok(url)
}

/// [`parse_base_url`] as a string without a trailing slash, e.g. `https://zitadel.example.com`:
/// the form to store in configuration and pass as [`ClientConfig::base_url`].
///
/// The URL is normalised as a whole (lower-case scheme and host, no default port).
///
/// # Errors
/// As [`parse_base_url`].
///
/// [`ClientConfig::base_url`]: crate::ClientConfig::base_url
pub fn canonical_base_url(raw: &str) -> Result<String, BaseUrlError> {
    let url = parse_base_url(raw)?;
    // After `parse_base_url` only a root path still ends in `/` (a URL always has one), and
    // nothing follows the path.
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// `base` with `segments` appended, each percent-encoded (a `/` in an id stays inside its
/// segment).
pub(crate) fn join_path(base: &Url, segments: &[&str]) -> Result<Url, ConfigError> {
    let mut url = base.clone();
    // Only URLs without a host cannot take path segments, and `parse_base_url` refuses those.
    url.path_segments_mut()
        .map_err(|()| ConfigError::BaseUrl(BaseUrlError::NoHost))?
        .pop_if_empty()
        .extend(segments);
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_and_https_urls_with_a_host_are_accepted() {
        for good in [
            "http://zitadel.zitadel.svc:8080",
            "https://zitadel.example.com",
            "http://127.0.0.1:8081",
            "https://[::1]:8443",
        ] {
            assert!(parse_base_url(good).is_ok(), "{good}");
        }
    }

    #[test]
    fn a_string_without_a_scheme_or_host_is_not_an_absolute_url() {
        for bad in [
            "zitadel.example.com",
            "not a url",
            "",
            "https://",
            "http://:8080",
        ] {
            assert!(
                matches!(parse_base_url(bad), Err(BaseUrlError::Unparsable(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn schemes_other_than_http_and_https_are_refused() {
        for bad in [
            "ftp://zitadel.example.com",
            "mailto:a@b",
            "file:///etc/zitadel",
        ] {
            assert_eq!(parse_base_url(bad), Err(BaseUrlError::Scheme), "{bad}");
        }
    }

    #[test]
    fn a_user_name_or_password_in_the_url_is_refused() {
        for bad in [
            "https://admin:hunter2@zitadel.example.com",
            "https://admin@zitadel.example.com",
            "https://:hunter2@zitadel.example.com",
        ] {
            assert_eq!(parse_base_url(bad), Err(BaseUrlError::Credentials), "{bad}");
        }
    }

    #[test]
    fn a_query_or_fragment_is_refused() {
        for bad in ["http://h/?x=1", "http://h/?", "http://h/zitadel#top"] {
            assert_eq!(
                parse_base_url(bad),
                Err(BaseUrlError::QueryOrFragment),
                "{bad}"
            );
        }
    }

    #[test]
    fn no_error_repeats_the_url() {
        for bad in [
            "hunter2.example.com",
            "ftp://hunter2.example.com",
            "https://admin:hunter2@zitadel.example.com",
            "https://zitadel.example.com/?token=hunter2",
            "https://hunter2:99999999",
        ] {
            let error = parse_base_url(bad).unwrap_err();
            let shown = format!("{error} {error:?}");
            assert!(!shown.contains("hunter2"), "{bad}: {shown}");
        }
    }

    #[test]
    fn surrounding_whitespace_and_trailing_slashes_are_dropped() {
        for (raw, canonical) in [
            (
                " https://zitadel.example.com/\n",
                "https://zitadel.example.com",
            ),
            (
                "https://zitadel.example.com//",
                "https://zitadel.example.com",
            ),
            ("http://h:8080/zitadel/", "http://h:8080/zitadel"),
            ("http://h:8080/zitadel//", "http://h:8080/zitadel"),
            (
                "HTTPS://Zitadel.Example.com:443",
                "https://zitadel.example.com",
            ),
        ] {
            assert_eq!(canonical_base_url(raw).unwrap(), canonical, "{raw:?}");
        }
    }

    #[test]
    fn api_paths_join_with_one_slash_after_a_kept_prefix_and_are_percent_encoded() {
        for raw in ["http://h:8080/zitadel", "http://h:8080/zitadel//"] {
            let base = parse_base_url(raw).unwrap();
            let url = join_path(&base, &["v2", "users", "a/b c?"]).unwrap();
            assert_eq!(
                url.as_str(),
                "http://h:8080/zitadel/v2/users/a%2Fb%20c%3F",
                "{raw}"
            );
        }
        let root = parse_base_url("http://h:8080/").unwrap();
        let url = join_path(&root, &["oauth", "v2", "token"]).unwrap();
        assert_eq!(url.as_str(), "http://h:8080/oauth/v2/token");
    }
}
