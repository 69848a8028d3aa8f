//! Strong initial passwords for `password.generate: true`.
//!
//! 24 characters from a 72-symbol alphabet (about 148 bits of entropy), with at least one
//! lowercase letter, uppercase letter, digit and symbol, so ZITADEL's default complexity policy
//! (and most stricter ones) accepts them.

use rand::Rng;
use rand::seq::SliceRandom;

use crate::sensitive::Sensitive;

const LENGTH: usize = 24;
const LOWER: &[u8] = b"abcdefghijkmnopqrstuvwxyz";
const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
const DIGITS: &[u8] = b"23456789";
// Symbols that survive shells, YAML and URLs without quoting surprises.
const SYMBOLS: &[u8] = b"!#%+-.:=?@_~";

/// A fresh random password.
pub fn generate() -> Sensitive<String> {
    let mut rng = rand::rng();
    let classes = [LOWER, UPPER, DIGITS, SYMBOLS];
    let all: Vec<u8> = classes.concat();
    // One of each class first, the rest from the whole alphabet, then shuffle the positions.
    let mut chars: Vec<u8> = classes.iter().map(|class| pick(&mut rng, class)).collect();
    chars.extend((classes.len()..LENGTH).map(|_| pick(&mut rng, &all)));
    chars.shuffle(&mut rng);
    Sensitive::new(chars.into_iter().map(char::from).collect())
}

fn pick(rng: &mut impl Rng, alphabet: &[u8]) -> u8 {
    alphabet[rng.random_range(0..alphabet.len())]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_password_has_every_character_class_and_full_length() {
        for _ in 0..200 {
            let password = generate();
            let value = password.expose();
            assert_eq!(value.len(), LENGTH);
            for class in [LOWER, UPPER, DIGITS, SYMBOLS] {
                assert!(
                    value.bytes().any(|b| class.contains(&b)),
                    "{class:?} missing"
                );
            }
        }
    }

    #[test]
    fn two_generated_passwords_differ() {
        assert_ne!(generate().expose(), generate().expose());
    }
}
