//! Every name the operator writes into Kubernetes or ZITADEL, in one place: changing one of these
//! is an API change for our users (label selectors, finalizers on stored objects, markers on
//! ZITADEL users), so they must not be scattered.

/// API group of every resource this operator serves. Owned by this project (not a `*.k8s.io`
/// group, which Kubernetes reserves); it names the project, not a domain we serve.
pub const GROUP: &str = "zitadel-user-operator.dev";

/// The operator's name: the server-side-apply field manager of everything it writes, the
/// reporting controller of its events and the value of [`MANAGED_BY_LABEL`].
pub const FIELD_MANAGER: &str = "zitadel-user-operator";

/// Finalizer that holds a `User` until its ZITADEL user is deleted (or orphaned).
pub const FINALIZER: &str = "zitadel-user-operator.dev/cleanup";

/// Standard label naming the operator as the manager of a Secret.
pub const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";

/// Label holding the name of the `User` that owns a Secret.
pub const USER_LABEL: &str = "zitadel-user-operator.dev/user";

/// Metadata key that marks a ZITADEL user as created (or adopted) by one `User` resource; its
/// value is the resource's `metadata.uid`. It tells a lost CreateUser response of our own apart
/// from someone else's user with the same id, and keeps two resources from managing one user.
pub const OWNER_METADATA_KEY: &str = "zitadel-user-operator.dev/owner";

/// The `User-Agent` the operator sends to the Kubernetes API, so audit logs (and the RBAC test)
/// can tell its requests apart.
pub const USER_AGENT: &str = concat!("zitadel-user-operator/", env!("CARGO_PKG_VERSION"));

/// Prefix of every Prometheus series the operator exports.
pub const METRIC_PREFIX: &str = "zitadel_user_operator";

/// Annotation on a `User`: changing its value re-issues every one-time code and link still of
/// use, once per value.
pub const REISSUE_ANNOTATION: &str = "zitadel-user-operator.dev/reissue";

/// Annotation on a `User`: changing its value rotates every machine credential, once per value.
pub const ROTATE_ANNOTATION: &str = "zitadel-user-operator.dev/rotate";

/// Annotation on a `User`'s own Secret: the ledger of what the Secret holds (credential ids and
/// dates, credential calls in flight, which codes were issued for which reissue request). It is
/// written in the same request as the values it describes, so value and record never diverge.
pub const LEDGER_ANNOTATION: &str = "zitadel-user-operator.dev/ledger";
