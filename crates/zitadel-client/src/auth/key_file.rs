//! The service-account key file and the RS256 assertion signed with it (contract §10.2), and
//! the source of that key: a file re-read for every assertion, or JSON held in memory.

use std::path::{Path, PathBuf};

use jiff::Timestamp;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};

use super::error::AuthError;
use crate::error::DecodeFailure;
use crate::sensitive::Sensitive;

/// Assertion lifetime: the zitadel/oidc client uses one hour, the server's maximum.
const ASSERTION_LIFETIME_SECS: i64 = 3600;

/// A ZITADEL key file (`{"type":"serviceaccount","keyId","key","userId",…}`). Application
/// keys (`type:"application"`) carry `clientId` instead of `userId`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyFile {
    /// `serviceaccount` or `application`.
    #[serde(rename = "type", default)]
    pub key_type: String,
    /// The key id (the JWT `kid`).
    pub key_id: String,
    /// PEM-encoded RSA private key.
    pub key: Sensitive<String>,
    /// The service account's user id (`iss` and `sub`).
    #[serde(default)]
    pub user_id: Option<String>,
    /// The application's client id, for application keys.
    #[serde(default)]
    pub client_id: Option<String>,
}

#[derive(Serialize)]
struct AssertionClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    iat: i64,
    exp: i64,
}

/// Where a key came from, so errors can name the file (or say "the key value") without ever
/// showing the content.
#[derive(Debug, Clone, Copy)]
enum KeyOrigin<'a> {
    File(&'a Path),
    Value,
}

impl KeyOrigin<'_> {
    fn invalid(self, failure: DecodeFailure) -> AuthError {
        match self {
            Self::File(path) => AuthError::KeyFileInvalid {
                path: path.to_owned(),
                failure,
            },
            Self::Value => AuthError::KeyInvalid { failure },
        }
    }

    fn signing(self, source: jsonwebtoken::errors::Error) -> AuthError {
        match self {
            Self::File(path) => AuthError::Signing {
                path: path.to_owned(),
                source,
            },
            Self::Value => AuthError::KeySigning(source),
        }
    }
}

/// Where the JWT-profile key comes from. Both variants sign through [`KeyFile`], so files and
/// in-memory keys share the whole grant, cache and refresh path.
#[derive(Debug)]
pub(crate) enum KeySource {
    /// Re-read for every new assertion, so a rotated file is picked up without a restart.
    File(PathBuf),
    /// Parsed and checked once: the holder builds a new client when the key changes. Boxed
    /// so the source stays as small as with a path.
    Value(Box<KeyFile>),
}

impl KeySource {
    /// Parses and checks in-memory key JSON up front: unlike a file, it cannot be fixed
    /// before first use, so a bad value is reported when the client is built.
    pub(crate) fn value(json: &Sensitive<String>) -> Result<Self, AuthError> {
        let origin = KeyOrigin::Value;
        let key_file = KeyFile::parse_from(origin, json.expose().as_bytes())?;
        key_file.encoding_key(origin)?;
        Ok(Self::Value(Box::new(key_file)))
    }

    /// A fresh assertion for `audience`, signed at `now`.
    pub(crate) async fn sign_assertion(
        &self,
        audience: &str,
        now: Timestamp,
    ) -> Result<Sensitive<String>, AuthError> {
        match self {
            Self::File(path) => KeyFile::read(path)
                .await?
                .sign_assertion(path, audience, now),
            Self::Value(key_file) => key_file.sign(KeyOrigin::Value, audience, now),
        }
    }
}

impl KeyFile {
    /// Parses key file JSON; the error names the path and position, never the content.
    pub fn parse(path: &Path, json: &[u8]) -> Result<Self, AuthError> {
        Self::parse_from(KeyOrigin::File(path), json)
    }

    fn parse_from(origin: KeyOrigin<'_>, json: &[u8]) -> Result<Self, AuthError> {
        let key_file: Self = serde_json::from_slice(json)
            .map_err(|e| origin.invalid(DecodeFailure::from_json(&e)))?;
        if key_file.subject().is_none() {
            return Err(origin.invalid(DecodeFailure::MissingField("userId")));
        }
        Ok(key_file)
    }

    /// Reads and parses the key file at `path`.
    pub(crate) async fn read(path: &Path) -> Result<Self, AuthError> {
        let json = tokio::fs::read(path)
            .await
            .map_err(|source| AuthError::KeyFileUnreadable {
                path: path.to_owned(),
                source,
            })?;
        Self::parse(path, &json)
    }

    /// The JWT `iss`/`sub`: the user id, or the client id of an application key.
    pub fn subject(&self) -> Option<&str> {
        self.user_id
            .as_deref()
            .or(self.client_id.as_deref())
            .filter(|s| !s.is_empty())
    }

    /// Signs the jwt-bearer assertion: RS256, `kid`, `iss = sub = subject`, `aud = issuer`,
    /// `iat = now`, `exp = now + 1h`.
    /// `path` only names the file in errors.
    pub fn sign_assertion(
        &self,
        path: &Path,
        audience: &str,
        now: Timestamp,
    ) -> Result<Sensitive<String>, AuthError> {
        self.sign(KeyOrigin::File(path), audience, now)
    }

    fn encoding_key(&self, origin: KeyOrigin<'_>) -> Result<EncodingKey, AuthError> {
        EncodingKey::from_rsa_pem(self.key.expose().as_bytes()).map_err(|e| origin.signing(e))
    }

    fn sign(
        &self,
        origin: KeyOrigin<'_>,
        audience: &str,
        now: Timestamp,
    ) -> Result<Sensitive<String>, AuthError> {
        let subject = self.subject().unwrap_or_default();
        let key = self.encoding_key(origin)?;
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.key_id.clone());
        let iat = now.as_second();
        let claims = AssertionClaims {
            iss: subject,
            sub: subject,
            aud: audience,
            iat,
            exp: iat + ASSERTION_LIFETIME_SECS,
        };
        jsonwebtoken::encode(&header, &claims, &key)
            .map(Sensitive::new)
            .map_err(|e| origin.signing(e))
    }
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::{DecodingKey, Validation};
    use serde_json::{Value, json};

    use super::*;

    /// A key pair generated once per test run, so no private key is ever committed.
    fn key_pair() -> &'static (String, String) {
        use rsa::pkcs1::{EncodeRsaPrivateKey, EncodeRsaPublicKey, LineEnding};
        static PAIR: std::sync::OnceLock<(String, String)> = std::sync::OnceLock::new();
        PAIR.get_or_init(|| {
            let private = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).unwrap();
            let public = private
                .to_public_key()
                .to_pkcs1_pem(LineEnding::LF)
                .unwrap();
            (
                private.to_pkcs1_pem(LineEnding::LF).unwrap().to_string(),
                public,
            )
        })
    }

    fn key_file_json(key: &str) -> Vec<u8> {
        json!({"type": "serviceaccount", "keyId": "kid-1", "key": key,
               "expirationDate": "2030-01-01T00:00:00Z", "userId": "sa-1"})
        .to_string()
        .into_bytes()
    }

    fn path() -> &'static Path {
        Path::new("/etc/zitadel/key.json")
    }

    #[test]
    fn the_assertion_is_rs256_with_kid_and_the_contract_claims() {
        let key_file = KeyFile::parse(path(), &key_file_json(&key_pair().0)).unwrap();
        let now: Timestamp = "2026-01-02T03:04:05Z".parse().unwrap();
        let jwt = key_file
            .sign_assertion(path(), "https://auth.example.com", now)
            .unwrap();

        let header = jsonwebtoken::decode_header(jwt.expose()).unwrap();
        assert_eq!(header.alg, Algorithm::RS256);
        assert_eq!(header.kid.as_deref(), Some("kid-1"));

        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_audience(&["https://auth.example.com"]);
        validation.validate_exp = false;
        let decoding = DecodingKey::from_rsa_pem(key_pair().1.as_bytes()).unwrap();
        let claims = jsonwebtoken::decode::<Value>(jwt.expose(), &decoding, &validation)
            .unwrap()
            .claims;
        assert_eq!(
            claims,
            json!({"iss": "sa-1", "sub": "sa-1", "aud": "https://auth.example.com",
                   "iat": now.as_second(), "exp": now.as_second() + 3600})
        );
    }

    #[test]
    fn an_application_key_uses_its_client_id_as_subject() {
        let json =
            json!({"type": "application", "keyId": "k", "key": key_pair().0, "clientId": "app@p"});
        let key_file = KeyFile::parse(path(), json.to_string().as_bytes()).unwrap();
        assert_eq!(key_file.subject(), Some("app@p"));
    }

    #[test]
    fn a_malformed_key_file_error_shows_neither_content_nor_key() {
        let broken =
            br#"{"keyId": "k", "key": "-----BEGIN RSA PRIVATE KEY-----SECRETBITS", "userId": 7}"#;
        let err = KeyFile::parse(path(), broken).unwrap_err();
        let shown = format!("{err} {err:?}");
        assert!(matches!(err, AuthError::KeyFileInvalid { .. }));
        assert!(shown.contains("/etc/zitadel/key.json"));
        assert!(!shown.contains("SECRETBITS"), "{shown}");
    }

    #[test]
    fn a_key_file_without_subject_is_invalid() {
        let json = json!({"type": "serviceaccount", "keyId": "k", "key": key_pair().0});
        let err = KeyFile::parse(path(), json.to_string().as_bytes()).unwrap_err();
        assert!(err.to_string().contains("missing field `userId`"), "{err}");
    }

    #[test]
    fn a_key_that_is_not_rsa_pem_fails_to_sign_without_leaking_it() {
        let key_file = KeyFile::parse(path(), &key_file_json("not-a-pem-SECRETBITS")).unwrap();
        let err = key_file
            .sign_assertion(path(), "https://a", Timestamp::now())
            .unwrap_err();
        let shown = format!("{err} {err:?} {key_file:?}");
        assert!(matches!(err, AuthError::Signing { .. }));
        assert!(!shown.contains("SECRETBITS"), "{shown}");
    }

    #[tokio::test]
    async fn an_in_memory_key_signs_the_same_assertion_as_its_file() {
        let json = key_file_json(&key_pair().0);
        let from_file = KeyFile::parse(path(), &json).unwrap();
        let source = KeySource::value(&Sensitive::new(String::from_utf8(json).unwrap())).unwrap();
        let now: Timestamp = "2026-01-02T03:04:05Z".parse().unwrap();
        let jwt = source.sign_assertion("https://a", now).await.unwrap();
        // RS256 (PKCS#1 v1.5) is deterministic, so equal assertions prove equal inputs.
        let expected = from_file.sign_assertion(path(), "https://a", now).unwrap();
        assert_eq!(jwt, expected);
    }

    #[test]
    fn a_malformed_in_memory_key_is_refused_up_front_without_its_content() {
        let broken = Sensitive::from(r#"{"keyId": "k", "key": "SECRETBITS"}"#);
        let err = KeySource::value(&broken).unwrap_err();
        let shown = format!("{err} {err:?}");
        assert!(matches!(err, AuthError::KeyInvalid { .. }), "{shown}");
        assert!(!shown.contains("SECRETBITS"), "{shown}");
    }

    #[test]
    fn an_in_memory_key_that_is_not_rsa_pem_is_refused_up_front_without_leaking_it() {
        let json = String::from_utf8(key_file_json("not-a-pem-SECRETBITS")).unwrap();
        let err = KeySource::value(&Sensitive::new(json)).unwrap_err();
        let shown = format!("{err} {err:?}");
        assert!(matches!(err, AuthError::KeySigning(_)), "{shown}");
        assert!(!shown.contains("SECRETBITS"), "{shown}");
    }
}
