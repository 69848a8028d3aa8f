//! The request log, as an RBAC audit would see it.

/// One recorded request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// The `User-Agent` header (empty if absent).
    pub user_agent: String,
    /// The RBAC verb: get, list, watch, create, update, patch, delete, deletecollection.
    pub verb: String,
    /// API group (empty for core and for non-resource URLs).
    pub group: String,
    /// Resource plural (empty for non-resource URLs such as discovery).
    pub resource: String,
    /// Subresource, if any.
    pub subresource: Option<String>,
    /// Namespace, if any.
    pub namespace: Option<String>,
    /// Object name, if any.
    pub name: Option<String>,
    /// The request path, for non-resource URLs and debugging.
    pub path: String,
}

/// Verbs that change state.
pub const MUTATING_VERBS: [&str; 5] = ["create", "update", "patch", "delete", "deletecollection"];

impl RecordedRequest {
    /// Whether the request changes state (create, update, patch, delete, deletecollection).
    pub fn is_mutating(&self) -> bool {
        MUTATING_VERBS.contains(&self.verb.as_str())
    }

    /// Whether this was a request on a resource (not discovery or another non-resource URL).
    pub fn is_resource_request(&self) -> bool {
        !self.resource.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_writing_verbs_count_as_mutating() {
        let request = |verb: &str| RecordedRequest {
            user_agent: "t".into(),
            verb: verb.into(),
            group: String::new(),
            resource: "secrets".into(),
            subresource: None,
            namespace: None,
            name: None,
            path: "/api/v1/secrets".into(),
        };
        assert!(request("patch").is_mutating());
        assert!(request("deletecollection").is_mutating());
        assert!(!request("watch").is_mutating());
        assert!(!request("list").is_mutating());
    }
}
