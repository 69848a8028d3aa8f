//! The connection check: one cheap, read-only call that proves the URL and the credential.

use crate::client::ZitadelClient;
use crate::error::Error;
use crate::rpc::Rpc;
use crate::types::{ListQuery, ListUsersRequest, SearchQuery};

/// What [`ZitadelClient::check_access`] could see of the organization. Both are successes:
/// ZITADEL reached, credential accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccessCheck {
    /// At least one user of the organization is readable, which proves `user.read` there.
    UsersVisible,
    /// No user of the organization is readable. ZITADEL filters ListUsers by permission
    /// instead of refusing it (contract §3.2, §11), so this means any of: the credential
    /// lacks `user.read` in the organization, the organization does not exist, or it has no
    /// users (yet: ListUsers reads a projection that may lag, contract §14.4).
    NoUsersVisible,
}

impl ZitadelClient {
    /// Checks that ZITADEL answers and accepts this client's credential, for a connection's
    /// Ready condition: one `ListUsers` (`POST /v2/users`, contract §3.2) filtered to
    /// `org_id` with limit 1, so its cost does not grow with the organization. Observed as
    /// [`Rpc::ListUsers`]. For a key, this includes obtaining an access token (and caches
    /// it for the calls that follow).
    ///
    /// What the outcomes mean:
    /// - `Ok(_)`: the URL is a ZITADEL instance and the credential is valid; see
    ///   [`AccessCheck`] for what it says about the organization. An unknown `org_id` is
    ///   **not** an error: ZITADEL answers an empty list, [`AccessCheck::NoUsersVisible`].
    /// - Wrong URL (nothing listening, DNS, TLS): [`Error::Transport`] or [`Error::Timeout`],
    ///   both [`Error::is_transient`], as is a proxy's 502/503.
    /// - Not ZITADEL, or a wrong path prefix: a 2xx that is not a ListUsers response is
    ///   [`Error::Decode`]; a 404 or 405 without a ZITADEL error body is [`Error::Api`] with
    ///   no [`grpc_code`](Error::grpc_code) ([`ErrorKind::Api`](crate::ErrorKind::Api)).
    /// - Wrong instance host: ZITADEL answers NotFound (`QUERY-1kIjX`, contract §10.3),
    ///   [`Error::is_not_found`]; with a key, the token endpoint already refuses, an
    ///   [`Error::Auth`].
    /// - Rejected credential: [`Error::is_unauthenticated`] (HTTP 401, after the one
    ///   re-read of a PAT file; an in-memory PAT is not retried). With a key, a refused
    ///   assertion is an [`Error::Auth`] whose
    ///   [`AuthError::is_config_suspect`](crate::AuthError::is_config_suspect) holds; an
    ///   unreadable or invalid credential file is an [`Error::Auth`] too.
    /// - Missing permission: [`Error::is_permission_denied`] (HTTP 403) where ZITADEL refuses
    ///   the call outright; usually it filters instead, which is
    ///   [`AccessCheck::NoUsersVisible`].
    /// - An empty `org_id` is [`Error::InvalidRequest`] without a request: ZITADEL would not
    ///   read it as "this organization".
    pub async fn check_access(&self, org_id: &str) -> Result<AccessCheck, Error> {
        if org_id.is_empty() {
            return Err(Error::InvalidRequest {
                rpc: Rpc::ListUsers,
                reason: "the organization id is empty",
            });
        }
        let request = ListUsersRequest {
            query: Some(ListQuery {
                offset: 0,
                limit: 1,
                asc: false,
            }),
            sorting_column: None,
            queries: vec![SearchQuery::OrganizationIdQuery {
                organization_id: org_id.to_owned(),
            }],
        };
        let response = self.list_users(&request).await?;
        // `result`, not `details.total_result`: only a user actually returned proves the
        // caller may read it, and the total is a uint64 some servers leave out.
        Ok(if response.result.is_empty() {
            AccessCheck::NoUsersVisible
        } else {
            AccessCheck::UsersVisible
        })
    }
}
