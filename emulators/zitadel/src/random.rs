//! Random identifiers, one-time codes and secrets, and the hashing used to index tokens.

use rand::Rng;
use rand::distr::Alphanumeric;
use rsa::sha2::{Digest, Sha256};

const CODE_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// An 18-digit numeric id, the shape of ZITADEL's snowflake ids.
pub fn numeric_id() -> String {
    rand::rng()
        .random_range(100_000_000_000_000_000u64..1_000_000_000_000_000_000)
        .to_string()
}

/// A one-time verification code: 6 uppercase alphanumerics, like ZITADEL's default code generator.
pub fn code() -> String {
    let mut rng = rand::rng();
    (0..6)
        .map(|_| char::from(CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())]))
        .collect()
}

/// An opaque secret of `len` alphanumerics (client secrets, PATs, access tokens).
pub fn secret(len: usize) -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

/// The index under which a bearer token is stored, so the token itself is never kept.
pub fn token_digest(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_ids_have_eighteen_digits() {
        let id = numeric_id();
        assert_eq!(id.len(), 18);
        assert!(id.chars().all(|c| c.is_ascii_digit()));
    }

    #[test]
    fn codes_are_six_uppercase_alphanumerics() {
        let code = code();
        assert_eq!(code.len(), 6);
        assert!(
            code.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        );
    }

    #[test]
    fn token_digests_are_stable_and_differ_per_token() {
        assert_eq!(token_digest("a"), token_digest("a"));
        assert_ne!(token_digest("a"), token_digest("b"));
    }
}
