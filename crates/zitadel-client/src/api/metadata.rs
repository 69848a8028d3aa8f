//! User metadata calls (contract §6).

use reqwest::Method;

use crate::client::ZitadelClient;
use crate::error::Error;
use crate::rpc::Rpc;
use crate::transport::{Endpoint, NO_BODY};
use crate::types::metadata::SetUserMetadataBody;
use crate::types::{ListUserMetadataRequest, ListUserMetadataResponse, Metadata};

impl ZitadelClient {
    /// `SetUserMetadata` (`POST …/metadata`): merges; matching keys are overwritten and an
    /// empty value removes an entry.
    pub async fn set_user_metadata(
        &self,
        user_id: &str,
        entries: &[Metadata],
    ) -> Result<(), Error> {
        let endpoint = Endpoint::user(Rpc::SetUserMetadata, Method::POST, user_id, &["metadata"]);
        let body = SetUserMetadataBody { metadata: entries };
        self.call_unit(endpoint, Some(&body)).await
    }

    /// `ListUserMetadata` (`POST …/metadata/search`), a consistent read.
    pub async fn list_user_metadata(
        &self,
        user_id: &str,
        req: &ListUserMetadataRequest,
    ) -> Result<ListUserMetadataResponse, Error> {
        let endpoint = Endpoint::user(
            Rpc::ListUserMetadata,
            Method::POST,
            user_id,
            &["metadata", "search"],
        );
        self.call(endpoint, Some(req)).await
    }

    /// `DeleteUserMetadata` (`DELETE …/metadata?keys=a&keys=b`, no body over REST). A missing
    /// key is NotFound, an empty list FailedPrecondition (§6).
    pub async fn delete_user_metadata(&self, user_id: &str, keys: &[String]) -> Result<(), Error> {
        let endpoint = keys.iter().fold(
            Endpoint::user(
                Rpc::DeleteUserMetadata,
                Method::DELETE,
                user_id,
                &["metadata"],
            ),
            |endpoint, key| endpoint.query("keys", key),
        );
        self.call_unit(endpoint, NO_BODY).await
    }
}
