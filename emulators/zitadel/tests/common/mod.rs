//! Shared fixtures for the HTTP tests: a running emulator with one org and an admin PAT, raw
//! request helpers, valid request bodies to start from, and JWT-profile helpers.

#![allow(dead_code, reason = "each test module uses a different subset")]

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use zitadel_emulator::{EmulatorConfig, ZitadelEmulator};

/// The scope that gives an access token the ZITADEL API audience.
pub const API_SCOPE: &str = "openid urn:zitadel:iam:org:project:id:zitadel:aud";

/// A bcrypt hash in the shape ZITADEL imports.
pub const BCRYPT_HASH: &str = "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy";

/// A running emulator, one organization and an instance-admin PAT.
pub struct Fixture {
    pub emulator: ZitadelEmulator,
    pub org: String,
    pub token: String,
    pub http: reqwest::Client,
}

/// A raw response.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    /// Asserts a §9.1 error body with this status, gRPC code and ZITADEL error id.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: u16, id: &str) {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.body);
        assert_eq!(self.body["code"], code, "body: {}", self.body);
        assert_eq!(self.body["details"][0]["id"], id, "body: {}", self.body);
        assert_eq!(
            self.body["details"][0]["@type"],
            "type.googleapis.com/zitadel.v1.ErrorDetail"
        );
        let message = self.body["message"].as_str().unwrap_or_default();
        assert!(message.ends_with(&format!("({id})")), "message: {message}");
    }

    /// Asserts a request-validation error (InvalidArgument, no detail) mentioning `needle`.
    #[track_caller]
    pub fn assert_invalid(&self, needle: &str) {
        assert_eq!(self.status, StatusCode::BAD_REQUEST, "body: {}", self.body);
        assert_eq!(self.body["code"], 3, "body: {}", self.body);
        let message = self.body["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(needle),
            "message {message:?} lacks {needle:?}"
        );
    }

    /// Asserts 200 and returns the body.
    #[track_caller]
    pub fn ok(&self) -> &Value {
        assert_eq!(self.status, StatusCode::OK, "body: {}", self.body);
        &self.body
    }
}

/// Test configuration: ListUsers without lag unless a test asks for it.
pub fn config() -> EmulatorConfig {
    EmulatorConfig {
        list_delay: Duration::ZERO,
        ..EmulatorConfig::default()
    }
}

impl Fixture {
    pub async fn start() -> Self {
        Self::with_config(config()).await
    }

    pub async fn with_config(config: EmulatorConfig) -> Self {
        let emulator = ZitadelEmulator::start(config)
            .await
            .expect("emulator starts");
        let org = emulator.create_organization("acme");
        let token = emulator.admin_pat();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .expect("client builds");
        Self {
            emulator,
            org,
            token,
            http,
        }
    }

    /// Sends a request with an optional bearer token and JSON body.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.emulator.url()));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request completes");
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body reads");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).expect("JSON body")
        };
        Reply {
            status,
            headers,
            body,
        }
    }

    /// A request as the admin.
    pub async fn admin(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        self.send(method, path, Some(&self.token), body).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.admin(Method::POST, path, Some(body)).await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.admin(Method::GET, path, None).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Reply {
        self.admin(Method::PATCH, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.admin(Method::DELETE, path, None).await
    }

    /// CreateUser as the admin.
    pub async fn create(&self, body: Value) -> Reply {
        self.post("/v2/users/new", body).await
    }

    /// Creates a user from `body` and returns its id (asserting success).
    pub async fn create_ok(&self, body: Value) -> String {
        let reply = self.create(body).await;
        reply.ok()["id"].as_str().expect("id").to_owned()
    }

    /// A human with a verified email, username `username`.
    pub async fn human(&self, username: &str) -> String {
        self.create_ok(with(human_request(&self.org), "username", json!(username)))
            .await
    }

    /// A machine user with username `username`.
    pub async fn machine(&self, username: &str) -> String {
        self.create_ok(with(
            machine_request(&self.org),
            "username",
            json!(username),
        ))
        .await
    }

    /// GetUserByID's `user` object (asserting success).
    pub async fn user(&self, id: &str) -> Value {
        self.get(&format!("/v2/users/{id}")).await.ok()["user"].clone()
    }

    /// ListUsers as the admin.
    pub async fn list(&self, body: Value) -> Reply {
        self.post("/v2/users", body).await
    }

    /// The ids ListUsers returns for `queries`.
    pub async fn list_ids(&self, queries: Value) -> Vec<String> {
        let reply = self.list(json!({"queries": queries})).await;
        ids(&reply.ok()["result"])
    }

    /// Exchanges an assertion for a token response.
    pub async fn token_request(&self, assertion: &str, scope: &str) -> Reply {
        let response = self
            .http
            .post(format!("{}/oauth/v2/token", self.emulator.url()))
            .form(&[
                ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                ("scope", scope),
                ("assertion", assertion),
            ])
            .send()
            .await
            .expect("request completes");
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.json().await.unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            body,
        }
    }

    /// A client-credentials token request with HTTP Basic `client_id:secret`.
    pub async fn client_credentials_request(
        &self,
        client_id: &str,
        secret: &str,
        scope: &str,
    ) -> Reply {
        let response = self
            .http
            .post(format!("{}/oauth/v2/token", self.emulator.url()))
            .basic_auth(client_id, Some(secret))
            .form(&[("grant_type", "client_credentials"), ("scope", scope)])
            .send()
            .await
            .expect("request completes");
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.json().await.unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            body,
        }
    }

    /// AddSecret for a machine user; returns the client secret.
    pub async fn add_secret(&self, user_id: &str) -> String {
        let reply = self
            .post(&format!("/v2/users/{user_id}/secret"), json!({}))
            .await;
        reply.ok()["clientSecret"]
            .as_str()
            .expect("clientSecret")
            .to_owned()
    }

    /// A state change (`deactivate`, `reactivate`, `lock`, `unlock`) as the admin.
    pub async fn act(&self, user_id: &str, action: &str) -> Reply {
        self.post(&format!("/v2/users/{user_id}/{action}"), json!({}))
            .await
    }

    /// CreateInviteCode with `returnCode`.
    pub async fn invite_code(&self, user_id: &str) -> Reply {
        self.post(
            &format!("/v2/users/{user_id}/invite_code"),
            json!({"returnCode": {}}),
        )
        .await
    }

    /// CreatePasskeyRegistrationLink with `returnCode`; returns `(code id, code)`.
    pub async fn passkey_code(&self, user_id: &str) -> (String, String) {
        let reply = self
            .post(
                &format!("/v2/users/{user_id}/passkeys/registration_link"),
                json!({"returnCode": {}}),
            )
            .await;
        let code = &reply.ok()["code"];
        (
            code["id"].as_str().expect("code id").to_owned(),
            code["code"].as_str().expect("code").to_owned(),
        )
    }

    /// An access token for a key file, via the JWT-profile grant with the API scope.
    pub async fn access_token(&self, key_file: &str) -> String {
        let assertion = Assertion::for_key(key_file, &self.emulator.issuer()).sign();
        let reply = self.token_request(&assertion, API_SCOPE).await;
        reply.ok()["access_token"]
            .as_str()
            .expect("access token")
            .to_owned()
    }

    /// Adds a key to a machine user and returns the decoded key file.
    pub async fn add_key(&self, user_id: &str) -> String {
        let reply = self
            .post(
                &format!("/v2/users/{user_id}/keys"),
                json!({"expirationDate": future()}),
            )
            .await;
        let content = reply.ok()["keyContent"]
            .as_str()
            .expect("keyContent")
            .to_owned();
        String::from_utf8(STANDARD.decode(content).expect("base64")).expect("utf-8")
    }
}

/// A valid CreateUser body for a human with a verified email.
pub fn human_request(org: &str) -> Value {
    json!({
        "organizationId": org,
        "human": {
            "profile": {"givenName": "Alice", "familyName": "Doe"},
            "email": {"email": "alice@example.com", "isVerified": true},
        },
    })
}

/// A password the default complexity policy accepts.
pub const PASSWORD: &str = "Sup3r-Secret!";

/// [`human_request`] with an initial password.
pub fn human_with_password(org: &str) -> Value {
    with(
        human_request(org),
        "/human/password",
        json!({"password": PASSWORD}),
    )
}

/// A valid CreateUser body for a machine user.
pub fn machine_request(org: &str) -> Value {
    json!({"organizationId": org, "machine": {"name": "CI bot"}})
}

/// `value` with `pointer` (a JSON pointer like `/human/email`) set to `new`; a plain key sets
/// a top-level field.
pub fn with(mut value: Value, pointer: &str, new: Value) -> Value {
    let pointer = if pointer.starts_with('/') {
        pointer.to_owned()
    } else {
        format!("/{pointer}")
    };
    let (parent, key) = pointer.rsplit_once('/').expect("pointer has a slash");
    let target = if parent.is_empty() {
        &mut value
    } else {
        value.pointer_mut(parent).expect("parent exists")
    };
    target
        .as_object_mut()
        .expect("parent is an object")
        .insert(key.to_owned(), new);
    value
}

/// `value` without the field at `pointer`.
pub fn without(mut value: Value, pointer: &str) -> Value {
    let (parent, key) = pointer.rsplit_once('/').expect("pointer has a slash");
    let target = if parent.is_empty() {
        &mut value
    } else {
        value.pointer_mut(parent).expect("parent exists")
    };
    target
        .as_object_mut()
        .expect("parent is an object")
        .remove(key);
    value
}

/// The `userId`s of a ListUsers result.
pub fn ids(result: &Value) -> Vec<String> {
    result
        .as_array()
        .map(|users| {
            users
                .iter()
                .map(|u| u["userId"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// An RFC 3339 timestamp a day from now.
pub fn future() -> String {
    (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24)).to_string()
}

/// Base64 of bytes, as protojson wants them.
pub fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// A JWT-profile assertion under construction.
pub struct Assertion {
    pub key_id: String,
    pub private_pem: String,
    pub iss: String,
    pub sub: String,
    pub aud: Value,
    pub iat: i64,
    pub exp: i64,
}

impl Assertion {
    /// A valid assertion for a key file and issuer.
    pub fn for_key(key_file: &str, issuer: &str) -> Self {
        let file: Value = serde_json::from_str(key_file).expect("key file is JSON");
        let user_id = file["userId"].as_str().expect("userId").to_owned();
        let now = jiff::Timestamp::now().as_second();
        Self {
            key_id: file["keyId"].as_str().expect("keyId").to_owned(),
            private_pem: file["key"].as_str().expect("key").to_owned(),
            iss: user_id.clone(),
            sub: user_id,
            aud: json!([issuer]),
            iat: now,
            exp: now + 3500,
        }
    }

    /// Signs with RS256 and the key id.
    pub fn sign(&self) -> String {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.key_id.clone());
        let claims = json!({"iss": self.iss, "sub": self.sub, "aud": self.aud, "iat": self.iat, "exp": self.exp});
        let key = EncodingKey::from_rsa_pem(self.private_pem.as_bytes()).expect("PEM key");
        encode(&header, &claims, &key).expect("signs")
    }
}
