//! RSA machine keys: generation, parsing of caller-supplied public keys and the JSON key file
//! (`domain.MachineKeyMarshalJSON`, §10.2).

use jiff::Timestamp;
use rsa::pkcs1::{DecodeRsaPublicKey, EncodeRsaPrivateKey, EncodeRsaPublicKey, LineEnding};
use rsa::pkcs8::DecodePublicKey;
use rsa::rand_core::OsRng;
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde_json::json;

/// Key size ZITADEL generates.
const BITS: usize = 2048;

/// Why a key could not be made or read.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// RSA key generation failed.
    #[error("generating an RSA key failed")]
    Generate(#[source] rsa::Error),
    /// PEM encoding failed.
    #[error("encoding an RSA key as PEM failed")]
    Encode(#[source] rsa::pkcs1::Error),
    /// The supplied public key is neither a PKIX nor a PKCS#1 RSA public key PEM.
    #[error("the supplied public key is not an RSA public key in PEM form")]
    UnreadablePublicKey,
}

/// A freshly generated key pair, both halves PKCS#1 PEM. No Debug: it holds a private key.
pub struct GeneratedKey {
    /// `-----BEGIN RSA PRIVATE KEY-----` …
    pub private_pem: String,
    /// `-----BEGIN RSA PUBLIC KEY-----` …
    pub public_pem: String,
}

/// Generates a 2048-bit RSA key pair (CPU-heavy: call from a blocking context).
pub fn generate() -> Result<GeneratedKey, KeyError> {
    let private = RsaPrivateKey::new(&mut OsRng, BITS).map_err(KeyError::Generate)?;
    let private_pem = private
        .to_pkcs1_pem(LineEnding::LF)
        .map_err(KeyError::Encode)?
        .to_string();
    let public_pem = RsaPublicKey::from(&private)
        .to_pkcs1_pem(LineEnding::LF)
        .map_err(KeyError::Encode)?;
    Ok(GeneratedKey {
        private_pem,
        public_pem,
    })
}

/// Reads a caller-supplied public key (the decoded `publicKey` bytes: PEM text) and returns it
/// as PKCS#1 PEM.
pub fn supplied_public_key(pem: &[u8]) -> Result<String, KeyError> {
    let text = std::str::from_utf8(pem).map_err(|_| KeyError::UnreadablePublicKey)?;
    let key = RsaPublicKey::from_public_key_pem(text)
        .or_else(|_| RsaPublicKey::from_pkcs1_pem(text))
        .map_err(|_| KeyError::UnreadablePublicKey)?;
    key.to_pkcs1_pem(LineEnding::LF).map_err(KeyError::Encode)
}

/// The key file a service account signs its assertions with.
pub fn key_file(key_id: &str, private_pem: &str, expiration: Timestamp, user_id: &str) -> String {
    json!({
        "type": "serviceaccount",
        "keyId": key_id,
        "key": private_pem,
        "expirationDate": expiration.to_string(),
        "userId": user_id,
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::pkcs8::{EncodePublicKey, LineEnding as Pkcs8LineEnding};

    #[test]
    fn generated_keys_are_pkcs1_pem_and_their_public_half_reads_back() {
        let key = generate().unwrap();
        assert!(
            key.private_pem
                .starts_with("-----BEGIN RSA PRIVATE KEY-----")
        );
        let spki = RsaPublicKey::from_pkcs1_pem(&key.public_pem)
            .unwrap()
            .to_public_key_pem(Pkcs8LineEnding::LF)
            .unwrap();
        assert_eq!(
            supplied_public_key(spki.as_bytes()).unwrap(),
            key.public_pem
        );
        assert!(matches!(
            supplied_public_key(b"garbage"),
            Err(KeyError::UnreadablePublicKey)
        ));
    }

    #[test]
    fn the_key_file_has_zitadels_field_names() {
        let file: serde_json::Value =
            serde_json::from_str(&key_file("k1", "PEM", Timestamp::UNIX_EPOCH, "u1")).unwrap();
        assert_eq!(file["type"], "serviceaccount");
        assert_eq!(file["keyId"], "k1");
        assert_eq!(file["userId"], "u1");
        assert_eq!(file["expirationDate"], "1970-01-01T00:00:00Z");
    }
}
