//! User lifecycle calls (contract §2–§5).

use reqwest::Method;
use serde::Deserialize;

use crate::client::ZitadelClient;
use crate::error::{DecodeFailure, Error};
use crate::rpc::Rpc;
use crate::transport::{EMPTY_BODY, Endpoint, NO_BODY};
use crate::types::{
    CreateUserRequest, CreateUserResponse, ListUsersRequest, ListUsersResponse, UpdateUserRequest,
    UpdateUserResponse, User,
};

/// `GetUserByIDResponse`; only `user` is used (the top-level `details` is a deprecated copy).
#[derive(Deserialize, Default)]
#[serde(default)]
struct GetUserByIdResponse {
    user: Option<User>,
}

impl ZitadelClient {
    /// `CreateUser` (`POST /v2/users/new`). A repeated `userId` fails with
    /// [`Error::is_user_id_taken`], a taken username with [`Error::is_username_taken`] (§9.3).
    pub async fn create_user(&self, req: &CreateUserRequest) -> Result<CreateUserResponse, Error> {
        let endpoint = Endpoint::users(Rpc::CreateUser, Method::POST, &["new"]);
        self.call(endpoint, Some(req)).await
    }

    /// `GetUserByID` (`GET /v2/users/{userId}`): projection-triggered, so it sees a user right
    /// after CreateUser (§3.1). A missing user is [`Error::is_not_found`].
    pub async fn get_user_by_id(&self, user_id: &str) -> Result<User, Error> {
        let endpoint = Endpoint::user(Rpc::GetUserById, Method::GET, user_id, &[]);
        let response: GetUserByIdResponse = self.call(endpoint, NO_BODY).await?;
        response.user.ok_or(Error::Decode {
            rpc: Rpc::GetUserById,
            status: 200,
            failure: DecodeFailure::MissingField("user"),
        })
    }

    /// `ListUsers` (`POST /v2/users`). Not projection-triggered: never conclude "absent" from a
    /// miss alone (§14.4).
    pub async fn list_users(&self, req: &ListUsersRequest) -> Result<ListUsersResponse, Error> {
        let endpoint = Endpoint::users(Rpc::ListUsers, Method::POST, &[]);
        self.call(endpoint, Some(req)).await
    }

    /// `UpdateUser` (`PATCH /v2/users/{userId}`), a partial update (§4.1).
    pub async fn update_user(
        &self,
        user_id: &str,
        req: &UpdateUserRequest,
    ) -> Result<UpdateUserResponse, Error> {
        let endpoint = Endpoint::user(Rpc::UpdateUser, Method::PATCH, user_id, &[]);
        self.call(endpoint, Some(req)).await
    }

    /// `DeleteUser` (`DELETE /v2/users/{userId}`): irreversible (§14.9).
    pub async fn delete_user(&self, user_id: &str) -> Result<(), Error> {
        let endpoint = Endpoint::user(Rpc::DeleteUser, Method::DELETE, user_id, &[]);
        self.call_unit(endpoint, NO_BODY).await
    }

    /// `DeactivateUser`; fails if already inactive (§5, not idempotent).
    pub async fn deactivate_user(&self, user_id: &str) -> Result<(), Error> {
        self.state_change(Rpc::DeactivateUser, user_id, "deactivate")
            .await
    }

    /// `ReactivateUser`; fails if not inactive.
    pub async fn reactivate_user(&self, user_id: &str) -> Result<(), Error> {
        self.state_change(Rpc::ReactivateUser, user_id, "reactivate")
            .await
    }

    /// `LockUser`; fails if already locked.
    pub async fn lock_user(&self, user_id: &str) -> Result<(), Error> {
        self.state_change(Rpc::LockUser, user_id, "lock").await
    }

    /// `UnlockUser`; fails if not locked.
    pub async fn unlock_user(&self, user_id: &str) -> Result<(), Error> {
        self.state_change(Rpc::UnlockUser, user_id, "unlock").await
    }

    /// `POST /v2/users/{userId}/{action}` with body `{}` (§5).
    async fn state_change(&self, rpc: Rpc, user_id: &str, action: &str) -> Result<(), Error> {
        let endpoint = Endpoint::user(rpc, Method::POST, user_id, &[action]);
        self.call_unit(endpoint, EMPTY_BODY).await
    }
}
