//! A workload that uses what the operator stored in a machine user's Secret, each the way a
//! Deployment would: a personal access token as a bearer token, a key file through the JWT-profile
//! grant (as the operator's own `ZITADEL_KEY_FILE`), a client id and secret through the
//! client-credentials grant. Each answers whether ZITADEL accepts the credential as `user_id`.

use std::path::PathBuf;

use tempfile::TempDir;
use zitadel_user_operator::zitadel::{ClientConfig, Credentials, ZitadelClient};

/// Scope that puts the ZITADEL API into an access token's audience (contract §10.2).
const API_SCOPE: &str = "openid urn:zitadel:iam:org:project:id:zitadel:aud";

/// Calls ZITADEL with stored credentials.
pub struct Consumer {
    url: String,
    dir: TempDir,
}

impl Consumer {
    /// A consumer of the ZITADEL at `url`.
    pub fn new(url: &str) -> Self {
        Self {
            url: url.trim_end_matches('/').to_owned(),
            dir: TempDir::new().expect("a temporary directory"),
        }
    }

    /// Whether `token` authenticates as `user_id`.
    pub async fn pat_works(&self, token: &str, user_id: &str) -> bool {
        let file = self.write("pat", token);
        self.client_reads_itself(Credentials::PatFile(file), user_id)
            .await
    }

    /// Whether the key file `key_file` (JSON, as stored) authenticates as `user_id`.
    pub async fn key_file_works(&self, key_file: &str, user_id: &str) -> bool {
        let file = self.write("key.json", key_file);
        self.client_reads_itself(Credentials::KeyFile(file), user_id)
            .await
    }

    /// Whether `client_id` / `client_secret` get a token that authenticates as `user_id`.
    pub async fn client_secret_works(&self, client_id: &str, secret: &str, user_id: &str) -> bool {
        let http = reqwest::Client::new();
        let reply = http
            .post(format!("{}/oauth/v2/token", self.url))
            .basic_auth(client_id, Some(secret))
            .form(&[("grant_type", "client_credentials"), ("scope", API_SCOPE)])
            .send()
            .await
            .expect("the token endpoint answers");
        if !reply.status().is_success() {
            return false;
        }
        let body: serde_json::Value = reply.json().await.expect("a JSON token response");
        let Some(token) = body["access_token"].as_str() else {
            return false;
        };
        self.pat_works(token, user_id).await
    }

    async fn client_reads_itself(&self, credentials: Credentials, user_id: &str) -> bool {
        let config = ClientConfig::new(self.url.clone(), credentials);
        let client = ZitadelClient::new(config).expect("a ZITADEL client");
        client.get_user_by_id(user_id).await.is_ok()
    }

    fn write(&self, name: &str, content: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, content).expect("the credential file is written");
        path
    }
}
