//! Decide, tenancy: may this `User` use the connection it names, for its organization? Pure, and
//! decided before anything reaches ZITADEL.
//!
//! Whoever may create a `User` in a namespace is trusted with that namespace only: a
//! `ZitadelConnection` serves its own namespace, a `ClusterZitadelConnection` the namespaces its
//! administrator selected, and either only for the organizations it lists and adoption only where
//! it allows it.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use thiserror::Error;

use super::selector::selects;
use crate::crd::{ConnectionKind, ConnectionRef, ConnectionSettings, User};

/// Name of the `ClusterZitadelConnection` a `User` without `spec.connectionRef` uses.
pub const DEFAULT_CONNECTION: &str = "default";

/// The connection `user` names, or the default one.
pub fn connection_ref(user: &User) -> ConnectionRef {
    user.spec.connection_ref.clone().unwrap_or(ConnectionRef {
        kind: ConnectionKind::ClusterZitadelConnection,
        name: DEFAULT_CONNECTION.to_owned(),
    })
}

/// A connection as found in the cluster.
#[derive(Debug, Clone, Copy)]
pub struct Found<'a> {
    /// Its settings.
    pub settings: &'a ConnectionSettings,
    /// For a `ClusterZitadelConnection`: the namespaces it serves (`None`: none).
    pub allowed_namespaces: Option<&'a LabelSelector>,
}

/// Why a `User` may not use a connection. The text is the condition message.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum Refusal {
    /// The connection does not exist (yet, or any more).
    #[error(
        "{} {} does not exist{}; nothing is sent to ZITADEL until it does (ask your administrator)",
        kind_name(.0.kind), .0.name, where_(.0.kind, .1)
    )]
    NotFound(ConnectionRef, String),
    /// A cluster connection that does not select the `User`'s namespace.
    #[error(
        "ClusterZitadelConnection {0} does not allow namespace {1} (spec.allowedNamespaces); use a connection this namespace may use"
    )]
    NamespaceNotAllowed(String, String),
    /// The organization is not one the connection may manage.
    #[error(
        "{} {} may not manage organization {}: it is not in the connection's spec.organizations",
        kind_name(.connection.kind), .connection.name, .organization
    )]
    OrganizationNotAllowed {
        /// The connection.
        connection: ConnectionRef,
        /// The organization.
        organization: String,
    },
    /// `spec.adoptExisting` on a connection that does not allow adoption.
    #[error(
        "spec.adoptExisting is set, but {} {} does not allow adoption (spec.allowAdoption); remove adoptExisting or ask your administrator",
        kind_name(.0.kind), .0.name
    )]
    AdoptionNotAllowed(ConnectionRef),
}

fn kind_name(kind: ConnectionKind) -> &'static str {
    match kind {
        ConnectionKind::ZitadelConnection => "ZitadelConnection",
        ConnectionKind::ClusterZitadelConnection => "ClusterZitadelConnection",
    }
}

fn where_(kind: ConnectionKind, namespace: &str) -> String {
    match kind {
        ConnectionKind::ZitadelConnection => format!(" in namespace {namespace}"),
        ConnectionKind::ClusterZitadelConnection => String::new(),
    }
}

/// Whether `user`, in `namespace` labelled `namespace_labels`, may use `found` (the connection it
/// names, if it exists).
pub fn admit(
    user: &User,
    namespace: &str,
    namespace_labels: &BTreeMap<String, String>,
    found: Option<Found<'_>>,
) -> Result<(), Refusal> {
    let reference = connection_ref(user);
    let Some(found) = found else {
        return Err(Refusal::NotFound(reference, namespace.to_owned()));
    };
    if reference.kind == ConnectionKind::ClusterZitadelConnection {
        let allowed = found
            .allowed_namespaces
            .is_some_and(|selector| selects(selector, namespace_labels));
        if !allowed {
            return Err(Refusal::NamespaceNotAllowed(
                reference.name,
                namespace.to_owned(),
            ));
        }
    }
    let organization = &user.spec.organization_id;
    if !found.settings.organizations.contains(organization) {
        return Err(Refusal::OrganizationNotAllowed {
            connection: reference,
            organization: organization.clone(),
        });
    }
    if user.spec.adopt_existing && !found.settings.allow_adoption {
        return Err(Refusal::AdoptionNotAllowed(reference));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::{ConnectionCredentialType, ConnectionCredentials, SecretKeySelector};
    use crate::fixtures::{ORG_ID, UserBuilder};

    fn settings(organizations: &[&str], allow_adoption: bool) -> ConnectionSettings {
        ConnectionSettings {
            url: "https://zitadel.example.com".to_owned(),
            instance_host: None,
            issuer: None,
            timeout: None,
            credentials: ConnectionCredentials {
                secret_ref: SecretKeySelector {
                    name: "zitadel".to_owned(),
                    key: "pat".to_owned(),
                },
                r#type: ConnectionCredentialType::PersonalAccessToken,
            },
            organizations: organizations.iter().map(|o| (*o).to_owned()).collect(),
            allow_adoption,
        }
    }

    fn tenant_a() -> BTreeMap<String, String> {
        BTreeMap::from([("tenant".to_owned(), "a".to_owned())])
    }

    fn selecting_tenant_a() -> LabelSelector {
        LabelSelector {
            match_labels: Some(tenant_a()),
            match_expressions: None,
        }
    }

    fn namespaced(name: &str) -> UserBuilder {
        UserBuilder::human("alice").connection(ConnectionKind::ZitadelConnection, name)
    }

    #[test]
    fn a_user_may_use_a_connection_of_its_namespace_for_a_listed_organization() {
        let connection = settings(&[ORG_ID], false);
        let found = Found {
            settings: &connection,
            allowed_namespaces: None,
        };
        let user = namespaced("zitadel").build();
        assert_eq!(
            admit(&user, "tenant-a", &BTreeMap::new(), Some(found)),
            Ok(())
        );
    }

    #[test]
    fn an_organization_the_connection_does_not_list_is_refused() {
        let connection = settings(&["another-org"], false);
        let found = Found {
            settings: &connection,
            allowed_namespaces: None,
        };
        let user = namespaced("zitadel").build();
        let refused = admit(&user, "tenant-a", &BTreeMap::new(), Some(found)).unwrap_err();
        assert!(matches!(refused, Refusal::OrganizationNotAllowed { .. }));
        assert!(refused.to_string().contains(ORG_ID), "{refused}");
    }

    #[test]
    fn without_a_connection_ref_the_default_cluster_connection_applies() {
        let user = UserBuilder::human("alice").build();
        let refused = admit(&user, "tenant-a", &BTreeMap::new(), None).unwrap_err();
        assert_eq!(
            refused.to_string(),
            "ClusterZitadelConnection default does not exist; nothing is sent to ZITADEL until it does (ask your administrator)"
        );
    }

    #[test]
    fn a_cluster_connection_serves_only_the_namespaces_it_selects() {
        let connection = settings(&[ORG_ID], false);
        let selector = selecting_tenant_a();
        let found = Found {
            settings: &connection,
            allowed_namespaces: Some(&selector),
        };
        let user = UserBuilder::human("alice").build();
        assert_eq!(admit(&user, "tenant-a", &tenant_a(), Some(found)), Ok(()));
        let other = BTreeMap::from([("tenant".to_owned(), "b".to_owned())]);
        assert_eq!(
            admit(&user, "tenant-b", &other, Some(found)),
            Err(Refusal::NamespaceNotAllowed(
                "default".to_owned(),
                "tenant-b".to_owned()
            ))
        );
    }

    #[test]
    fn a_cluster_connection_without_allowed_namespaces_serves_none() {
        let connection = settings(&[ORG_ID], false);
        let found = Found {
            settings: &connection,
            allowed_namespaces: None,
        };
        let user = UserBuilder::human("alice").build();
        let refused = admit(&user, "tenant-a", &tenant_a(), Some(found));
        assert!(matches!(refused, Err(Refusal::NamespaceNotAllowed(..))));
    }

    #[test]
    fn adoption_needs_a_connection_that_allows_it() {
        let user = namespaced("zitadel").adopt_existing().build();
        let strict = settings(&[ORG_ID], false);
        let found = Found {
            settings: &strict,
            allowed_namespaces: None,
        };
        let refused = admit(&user, "tenant-a", &BTreeMap::new(), Some(found));
        assert!(matches!(refused, Err(Refusal::AdoptionNotAllowed(_))));
        let lenient = settings(&[ORG_ID], true);
        let found = Found {
            settings: &lenient,
            allowed_namespaces: None,
        };
        assert_eq!(
            admit(&user, "tenant-a", &BTreeMap::new(), Some(found)),
            Ok(())
        );
    }
}
