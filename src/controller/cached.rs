//! The `User` as the watch cache keeps it: metadata decoded, the rest as compact JSON.
//!
//! The cache holds every `User` of the cluster for the life of the process, while a reconcile
//! needs one at a time. A decoded `User` costs about 3.5 KB of heap (its optional fields inline,
//! each string its own allocation); its spec and status as one JSON string cost a third of that.
//! Metadata stays decoded because the watch, the store and the reconcile triggers read it on
//! every event; spec and status are decoded once per reconcile, where the finalizer helper needed
//! its own copy of the `User` anyway.

use std::borrow::Cow;

use kube::Resource;
use kube::api::ObjectMeta;
use kube::core::NamespaceResourceScope;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::crd::{User, UserSpec, UserStatus};

/// kubectl's client-side apply copy of the manifest.
const LAST_APPLIED_ANNOTATION: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// A `User` from the watch: its metadata without what the operator never reads, and its spec and
/// status as they arrived, checked against this operator's schema only by [`CachedUser::decode`].
#[derive(Clone, Debug)]
pub struct CachedUser {
    metadata: ObjectMeta,
    /// `{"spec":…,"status":…}`, compact.
    body: Box<str>,
}

impl CachedUser {
    /// The full `User`, or why its stored spec or status does not fit this operator's schema
    /// (stored under an older schema, or hand-edited).
    pub fn decode(&self) -> Result<User, serde_json::Error> {
        #[derive(Deserialize)]
        struct Body {
            spec: UserSpec,
            status: Option<UserStatus>,
        }
        let Body { spec, status } = serde_json::from_str(&self.body)?;
        Ok(User {
            metadata: self.metadata.clone(),
            spec,
            status,
        })
    }
}

impl<'de> Deserialize<'de> for CachedUser {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Spec and status go through `Value`, which accepts any JSON: an object that does not
        // fit the schema still enters the cache, and its reconcile reports why.
        #[derive(Deserialize)]
        struct Wire {
            metadata: ObjectMeta,
            #[serde(default)]
            spec: Value,
            #[serde(default)]
            status: Value,
        }
        #[derive(Serialize)]
        struct Body<'a> {
            spec: &'a Value,
            status: &'a Value,
        }
        let Wire {
            mut metadata,
            spec,
            status,
        } = Wire::deserialize(deserializer)?;
        // The field managers and kubectl's copy of the last applied manifest are often larger
        // than the object itself, and nothing in the operator reads them.
        metadata.managed_fields = None;
        if let Some(annotations) = metadata.annotations.as_mut() {
            annotations.remove(LAST_APPLIED_ANNOTATION);
        }
        let body = serde_json::to_string(&Body {
            spec: &spec,
            status: &status,
        })
        .map_err(serde::de::Error::custom)?;
        Ok(CachedUser {
            metadata,
            body: body.into_boxed_str(),
        })
    }
}

impl Resource for CachedUser {
    type DynamicType = ();
    type Scope = NamespaceResourceScope;

    fn kind(dynamic: &()) -> Cow<'_, str> {
        User::kind(dynamic)
    }

    fn group(dynamic: &()) -> Cow<'_, str> {
        User::group(dynamic)
    }

    fn version(dynamic: &()) -> Cow<'_, str> {
        User::version(dynamic)
    }

    fn plural(dynamic: &()) -> Cow<'_, str> {
        User::plural(dynamic)
    }

    fn meta(&self) -> &ObjectMeta {
        &self.metadata
    }

    fn meta_mut(&mut self) -> &mut ObjectMeta {
        &mut self.metadata
    }
}

#[cfg(test)]
mod tests {
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ManagedFieldsEntry;

    use super::*;
    use crate::fixtures::UserBuilder;
    use crate::names::REISSUE_ANNOTATION;

    fn cached(json: Value) -> CachedUser {
        serde_json::from_value(json).expect("any JSON object with metadata enters the cache")
    }

    #[test]
    fn a_cached_user_decodes_to_the_user_it_was_made_from_without_the_fields_nobody_reads() {
        let mut user = UserBuilder::human("alice")
            .annotation(LAST_APPLIED_ANNOTATION, "{\"spec\":{}}")
            .annotation(REISSUE_ANNOTATION, "1")
            .build();
        user.metadata.managed_fields = Some(vec![ManagedFieldsEntry::default()]);

        let decoded = cached(serde_json::to_value(&user).expect("a User serialises"))
            .decode()
            .expect("a User of this schema decodes");

        let mut expected = user;
        expected.metadata.managed_fields = None;
        if let Some(annotations) = expected.metadata.annotations.as_mut() {
            annotations.remove(LAST_APPLIED_ANNOTATION);
        }
        assert_eq!(
            serde_json::to_value(&decoded).expect("a User serialises"),
            serde_json::to_value(&expected).expect("a User serialises"),
        );
    }

    #[test]
    fn a_stored_user_outside_the_schema_is_cached_and_fails_only_to_decode() {
        let broken = cached(serde_json::json!({
            "metadata": {"name": "old", "namespace": "team", "uid": "u-1"},
            "spec": {"organizationId": 42},
        }));

        assert_eq!(broken.meta().name.as_deref(), Some("old"));
        let error = broken
            .decode()
            .expect_err("a number is not an organization id");
        assert!(error.to_string().contains("invalid type"), "{error}");
    }
}
