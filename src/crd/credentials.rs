//! Credentials of a machine user: a client secret, keys and personal access tokens, each kept in
//! the user's Secret and rotated before it expires.

use kube::KubeSchema;
use serde::{Deserialize, Serialize};

/// Most keys, and most personal access tokens, a machine user may declare; bounds the cost of the
/// CEL rule that checks names are unique.
pub const MAX_CREDENTIALS_PER_KIND: usize = 10;

/// A Go duration (`8760h`, `1h30m`, `90s`): what `kubectl`, Helm and the API server's CEL
/// `duration()` read.
pub(super) const DURATION_PATTERN: &str = r"^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$";

/// Parses a duration as [`DURATION_PATTERN`] admits it (`8760h`, `1h30m`); `None` for anything
/// else, zero or negative.
pub fn parse_duration(value: &str) -> Option<std::time::Duration> {
    static PARSER: jiff::fmt::friendly::SpanParser = jiff::fmt::friendly::SpanParser::new();
    let parsed = PARSER.parse_duration(value).ok()?;
    std::time::Duration::try_from(parsed)
        .ok()
        .filter(|d| !d.is_zero())
}

/// The credentials the machine user has. Every value lands in the user's Secret; the status
/// records ids and dates only.
#[derive(KubeSchema, Deserialize, Serialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct MachineCredentialsSpec {
    /// Present: the user has a client secret for the client-credentials grant, stored as
    /// `clientId` (the username) and `clientSecret`. ZITADEL keeps one secret per user, so a
    /// rotation replaces it at once, without a grace period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<ClientSecretSpec>,
    /// Keys for the JWT-profile grant, each stored as `<name>.json` (the key file exactly as
    /// ZITADEL returns it).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = MAX_CREDENTIALS_PER_KIND))]
    #[x_kube(validation = Rule::new("self.all(c, self.filter(o, o.name == c.name).size() == 1)")
        .message("credentials.keys must have unique names"))]
    pub keys: Vec<ExpiringCredentialSpec>,
    /// Personal access tokens, each stored as `<name>.token`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = MAX_CREDENTIALS_PER_KIND))]
    #[x_kube(validation = Rule::new("self.all(c, self.filter(o, o.name == c.name).size() == 1)")
        .message("credentials.personalAccessTokens must have unique names"))]
    pub personal_access_tokens: Vec<ExpiringCredentialSpec>,
    /// How long a rotated key or token stays valid after its successor is in the Secret, so
    /// workloads can pick the new value up. Default `1h`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = DURATION_PATTERN), length(max = 20))]
    pub rotation_grace_period: Option<String>,
}

/// Marks that the user has a client secret; it has no settings.
#[derive(KubeSchema, Deserialize, Serialize, Clone, Debug, Default, PartialEq)]
pub struct ClientSecretSpec {}

/// A key or personal access token.
#[derive(KubeSchema, Deserialize, Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("duration(self.expiresAfter) >= duration('1m')")
    .message("expiresAfter must be at least 1m")
    .field_path(".expiresAfter"))]
#[x_kube(validation = Rule::new("!has(self.rotateBefore) || duration(self.rotateBefore) < duration(self.expiresAfter)")
    .message("rotateBefore must be shorter than expiresAfter")
    .field_path(".rotateBefore"))]
pub struct ExpiringCredentialSpec {
    /// Name of the credential: its Secret key is `<name>.json` (keys) or `<name>.token` (personal
    /// access tokens). Letters, digits, `-`, `_` and `.`.
    #[schemars(length(min = 1, max = 200))]
    #[x_kube(validation = Rule::new("self.matches('^[-._a-zA-Z0-9]+$')")
        .message("a credential name may contain only letters, digits, '-', '_' and '.', as Secret keys do"))]
    pub name: String,
    /// Lifetime of each credential issued, as a duration (`8760h`).
    #[schemars(regex(pattern = DURATION_PATTERN), length(max = 20))]
    pub expires_after: String,
    /// Rotate this long before the credential expires. Default: a tenth of `expiresAfter`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = DURATION_PATTERN), length(max = 20))]
    pub rotate_before: Option<String>,
}
