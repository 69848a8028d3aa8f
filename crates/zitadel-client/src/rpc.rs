//! Names of the calls this client makes, and the hook that observes them (for metrics).

use std::fmt;
use std::time::Duration;

/// One remote call of the client. `as_str()` is the proto RPC name, a stable metric label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rpc {
    /// `CreateUser`.
    CreateUser,
    /// `GetUserByID`.
    GetUserById,
    /// `ListUsers`.
    ListUsers,
    /// `UpdateUser`.
    UpdateUser,
    /// `DeleteUser`.
    DeleteUser,
    /// `DeactivateUser`.
    DeactivateUser,
    /// `ReactivateUser`.
    ReactivateUser,
    /// `LockUser`.
    LockUser,
    /// `UnlockUser`.
    UnlockUser,
    /// `SetUserMetadata`.
    SetUserMetadata,
    /// `ListUserMetadata`.
    ListUserMetadata,
    /// `DeleteUserMetadata`.
    DeleteUserMetadata,
    /// `SendEmailCode`.
    SendEmailCode,
    /// `ResendEmailCode`.
    ResendEmailCode,
    /// `ResendPhoneCode`.
    ResendPhoneCode,
    /// `CreateInviteCode`.
    CreateInviteCode,
    /// `CreatePasskeyRegistrationLink`.
    CreatePasskeyRegistrationLink,
    /// `AddSecret`.
    AddSecret,
    /// `RemoveSecret`.
    RemoveSecret,
    /// `AddKey`.
    AddKey,
    /// `RemoveKey`.
    RemoveKey,
    /// `ListKeys`.
    ListKeys,
    /// `AddPersonalAccessToken`.
    AddPersonalAccessToken,
    /// `RemovePersonalAccessToken`.
    RemovePersonalAccessToken,
    /// `ListPersonalAccessTokens`.
    ListPersonalAccessTokens,
    /// The OAuth token endpoint (JWT profile, contract §10.2).
    Token,
}

impl Rpc {
    /// The proto method name, e.g. `"GetUserByID"`; `"Token"` for the token endpoint.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::CreateUser => "CreateUser",
            Self::GetUserById => "GetUserByID",
            Self::ListUsers => "ListUsers",
            Self::UpdateUser => "UpdateUser",
            Self::DeleteUser => "DeleteUser",
            Self::DeactivateUser => "DeactivateUser",
            Self::ReactivateUser => "ReactivateUser",
            Self::LockUser => "LockUser",
            Self::UnlockUser => "UnlockUser",
            Self::SetUserMetadata => "SetUserMetadata",
            Self::ListUserMetadata => "ListUserMetadata",
            Self::DeleteUserMetadata => "DeleteUserMetadata",
            Self::SendEmailCode => "SendEmailCode",
            Self::ResendEmailCode => "ResendEmailCode",
            Self::ResendPhoneCode => "ResendPhoneCode",
            Self::CreateInviteCode => "CreateInviteCode",
            Self::CreatePasskeyRegistrationLink => "CreatePasskeyRegistrationLink",
            Self::AddSecret => "AddSecret",
            Self::RemoveSecret => "RemoveSecret",
            Self::AddKey => "AddKey",
            Self::RemoveKey => "RemoveKey",
            Self::ListKeys => "ListKeys",
            Self::AddPersonalAccessToken => "AddPersonalAccessToken",
            Self::RemovePersonalAccessToken => "RemovePersonalAccessToken",
            Self::ListPersonalAccessTokens => "ListPersonalAccessTokens",
            Self::Token => "Token",
        }
    }
}

impl fmt::Display for Rpc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Receives one report per remote call (API call or token request), e.g. to feed metrics.
///
/// `outcome` is `"ok"` or an [`ErrorKind`](super::ErrorKind) label. A call retried once after a
/// 401 is reported once, with the final outcome and the total time, less the time its requests
/// waited for the client's rate limiter (that time is reported to
/// [`limiter_waited`](Self::limiter_waited) instead: it is the caller's queue, not ZITADEL's
/// latency).
///
/// The limiter methods have empty defaults, so an observer that only counts calls implements
/// [`observe`](Self::observe) alone.
pub trait CallObserver: Send + Sync {
    /// Called when a call finished.
    fn observe(&self, rpc: Rpc, outcome: &'static str, elapsed: Duration);

    /// Called before each HTTP request of a client with a
    /// [`RateLimiter`](crate::RateLimiter), once it got its turn: how long it waited (zero
    /// when a token was free). A call can make several requests (a retry after a 401, a token
    /// request).
    fn limiter_waited(&self, _rpc: Rpc, _waited: Duration) {}

    /// Called when ZITADEL throttled a request of `rpc` (HTTP 429 or ResourceExhausted) and the
    /// client's rate limiter was paused for `pause`, for every client sharing it.
    fn limiter_paused(&self, _rpc: Rpc, _pause: Duration) {}
}

/// The observer used until [`ZitadelClient::with_observer`](super::ZitadelClient::with_observer).
pub(crate) struct NoObserver;

impl CallObserver for NoObserver {
    fn observe(&self, _rpc: Rpc, _outcome: &'static str, _elapsed: Duration) {}
}

#[cfg(test)]
mod tests {
    use super::Rpc;

    #[test]
    fn rpc_labels_are_the_proto_names() {
        assert_eq!(Rpc::GetUserById.as_str(), "GetUserByID");
        assert_eq!(
            Rpc::CreatePasskeyRegistrationLink.to_string(),
            "CreatePasskeyRegistrationLink"
        );
        assert_eq!(Rpc::Token.as_str(), "Token");
    }
}
