//! Machine-user credentials (contract §8): only machine users have them, and the secret, key
//! content and token come back once.

use reqwest::Method;

use crate::client::ZitadelClient;
use crate::error::Error;
use crate::rpc::Rpc;
use crate::transport::{EMPTY_BODY, Endpoint, NO_BODY};
use crate::types::{
    AddKeyRequest, AddKeyResponse, AddPatRequest, AddPatResponse, AddSecretResponse,
    ListKeysRequest, ListKeysResponse, ListPatsRequest, ListPatsResponse,
};

impl ZitadelClient {
    /// `AddSecret` (`POST …/secret`, body `{}`): replaces any existing secret.
    pub async fn add_secret(&self, user_id: &str) -> Result<AddSecretResponse, Error> {
        let endpoint = Endpoint::user(Rpc::AddSecret, Method::POST, user_id, &["secret"]);
        self.call(endpoint, EMPTY_BODY).await
    }

    /// `RemoveSecret` (`DELETE …/secret`).
    pub async fn remove_secret(&self, user_id: &str) -> Result<(), Error> {
        let endpoint = Endpoint::user(Rpc::RemoveSecret, Method::DELETE, user_id, &["secret"]);
        self.call_unit(endpoint, NO_BODY).await
    }

    /// `AddKey` (`POST …/keys`).
    pub async fn add_key(
        &self,
        user_id: &str,
        req: &AddKeyRequest,
    ) -> Result<AddKeyResponse, Error> {
        let endpoint = Endpoint::user(Rpc::AddKey, Method::POST, user_id, &["keys"]);
        self.call(endpoint, Some(req)).await
    }

    /// `RemoveKey` (`DELETE …/keys/{keyId}`).
    pub async fn remove_key(&self, user_id: &str, key_id: &str) -> Result<(), Error> {
        let endpoint =
            Endpoint::user(Rpc::RemoveKey, Method::DELETE, user_id, &["keys"]).id(key_id);
        self.call_unit(endpoint, NO_BODY).await
    }

    /// `ListKeys` (`POST /v2/users/keys/search`).
    pub async fn list_keys(&self, req: &ListKeysRequest) -> Result<ListKeysResponse, Error> {
        let endpoint = Endpoint::users(Rpc::ListKeys, Method::POST, &["keys", "search"]);
        self.call(endpoint, Some(req)).await
    }

    /// `AddPersonalAccessToken` (`POST …/pats`).
    pub async fn add_personal_access_token(
        &self,
        user_id: &str,
        req: &AddPatRequest,
    ) -> Result<AddPatResponse, Error> {
        let endpoint = Endpoint::user(
            Rpc::AddPersonalAccessToken,
            Method::POST,
            user_id,
            &["pats"],
        );
        self.call(endpoint, Some(req)).await
    }

    /// `RemovePersonalAccessToken` (`DELETE …/pats/{tokenId}`).
    pub async fn remove_personal_access_token(
        &self,
        user_id: &str,
        token_id: &str,
    ) -> Result<(), Error> {
        let endpoint = Endpoint::user(
            Rpc::RemovePersonalAccessToken,
            Method::DELETE,
            user_id,
            &["pats"],
        )
        .id(token_id);
        self.call_unit(endpoint, NO_BODY).await
    }

    /// `ListPersonalAccessTokens` (`POST /v2/users/pats/search`).
    pub async fn list_personal_access_tokens(
        &self,
        req: &ListPatsRequest,
    ) -> Result<ListPatsResponse, Error> {
        let endpoint = Endpoint::users(
            Rpc::ListPersonalAccessTokens,
            Method::POST,
            &["pats", "search"],
        );
        self.call(endpoint, Some(req)).await
    }
}
