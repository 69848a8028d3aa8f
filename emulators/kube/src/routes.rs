//! URL paths of the Kubernetes API, parsed into what they address.

/// A parsed resource URL: `/api/v1/...` or `/apis/<group>/<version>/...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourcePath {
    /// API group, empty for core.
    pub group: String,
    /// Version.
    pub version: String,
    /// Namespace segment, if any.
    pub namespace: Option<String>,
    /// Resource plural.
    pub resource: String,
    /// Object name, if any.
    pub name: Option<String>,
    /// Subresource, if any.
    pub subresource: Option<String>,
}

/// What a request path addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `/version`.
    Version,
    /// `/api`.
    CoreVersions,
    /// `/apis`.
    Groups,
    /// `/apis/<group>`.
    Group(String),
    /// `/api/v1` or `/apis/<group>/<version>`.
    Resources(String, String),
    /// `/openapi/v3`.
    OpenApiV3Root,
    /// `/openapi/v3/<path>` (path like `apis/example.com/v1` or `api/v1`).
    OpenApiV3(String),
    /// A resource, collection or subresource.
    Resource(ResourcePath),
    /// Anything else.
    Unknown,
}

fn resource(group: &str, version: &str, rest: &[&str]) -> Route {
    let build = |namespace: Option<&str>, tail: &[&str]| match tail {
        [resource, more @ ..] if more.len() <= 2 => Route::Resource(ResourcePath {
            group: group.to_string(),
            version: version.to_string(),
            namespace: namespace.map(str::to_string),
            resource: resource.to_string(),
            name: more.first().map(|s| s.to_string()),
            subresource: more.get(1).map(|s| s.to_string()),
        }),
        _ => Route::Unknown,
    };
    match rest {
        // `/namespaces/<ns>/<resource>...`, except the namespace object's own subresources.
        ["namespaces", namespace, resource, tail @ ..]
            if !(tail.is_empty() && (*resource == "status" || *resource == "finalize")) =>
        {
            let mut inner = vec![*resource];
            inner.extend_from_slice(tail);
            build(Some(namespace), &inner)
        }
        other => build(None, other),
    }
}

/// Parse a request path.
pub fn parse(path: &str) -> Route {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match segments.as_slice() {
        ["version"] => Route::Version,
        ["api"] => Route::CoreVersions,
        ["apis"] => Route::Groups,
        ["api", version] => Route::Resources(String::new(), version.to_string()),
        ["apis", group] => Route::Group(group.to_string()),
        ["apis", group, version] => Route::Resources(group.to_string(), version.to_string()),
        ["api", version, rest @ ..] => resource("", version, rest),
        ["apis", group, version, rest @ ..] => resource(group, version, rest),
        ["openapi", "v3"] => Route::OpenApiV3Root,
        ["openapi", "v3", rest @ ..] => Route::OpenApiV3(rest.join("/")),
        _ => Route::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resource_path(path: &str) -> ResourcePath {
        match parse(path) {
            Route::Resource(r) => r,
            other => panic!("{path} parsed as {other:?}"),
        }
    }

    #[test]
    fn namespaced_object_paths_carry_namespace_name_and_subresource() {
        let r = resource_path("/apis/example.com/v1/namespaces/team/users/alice/status");
        assert_eq!(r.group, "example.com");
        assert_eq!(r.namespace.as_deref(), Some("team"));
        assert_eq!(r.resource, "users");
        assert_eq!(r.name.as_deref(), Some("alice"));
        assert_eq!(r.subresource.as_deref(), Some("status"));
    }

    #[test]
    fn namespace_objects_are_cluster_scoped_paths() {
        let r = resource_path("/api/v1/namespaces/team");
        assert_eq!(
            (r.resource.as_str(), r.name.as_deref(), r.namespace),
            ("namespaces", Some("team"), None)
        );
        let status = resource_path("/api/v1/namespaces/team/status");
        assert_eq!(status.subresource.as_deref(), Some("status"));
        let list = resource_path("/api/v1/namespaces/team/secrets");
        assert_eq!((list.resource.as_str(), list.name), ("secrets", None));
    }

    #[test]
    fn discovery_paths_are_recognised() {
        assert_eq!(
            parse("/apis/example.com/v1"),
            Route::Resources("example.com".into(), "v1".into())
        );
        assert_eq!(
            parse("/api/v1"),
            Route::Resources(String::new(), "v1".into())
        );
        assert_eq!(
            parse("/openapi/v3/apis/example.com/v1"),
            Route::OpenApiV3("apis/example.com/v1".into())
        );
        assert_eq!(parse("/healthz/x/y"), Route::Unknown);
    }
}
