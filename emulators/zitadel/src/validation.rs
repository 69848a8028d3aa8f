//! Request validation: the proto-validate rules (messages in `invalid <Message>.<Field>: …` form,
//! no error detail) and ZITADEL's domain checks (email, password policy, hashes, URL templates).

use crate::errors::{ApiError, GrpcCode};

/// Limits of metadata (§6).
pub const METADATA_KEY_MAX: usize = 200;
/// Maximum metadata value size in bytes.
pub const METADATA_VALUE_MAX: usize = 500_000;

/// `min..=max` characters (runes), with the validator's wording.
pub fn length(field: &str, value: &str, min: usize, max: usize) -> Result<(), ApiError> {
    let runes = value.chars().count();
    if (min..=max).contains(&runes) {
        return Ok(());
    }
    let rule = if min == 0 {
        format!("value length must be at most {max} runes")
    } else {
        format!("value length must be between {min} and {max} runes, inclusive")
    };
    Err(ApiError::validation(format!("invalid {field}: {rule}")))
}

/// Length check for a field that may be absent.
pub fn optional_length(
    field: &str,
    value: Option<&str>,
    min: usize,
    max: usize,
) -> Result<(), ApiError> {
    value.map_or(Ok(()), |value| length(field, value, min, max))
}

/// A required message or oneof.
pub fn required<T>(field: &str, value: Option<T>) -> Result<T, ApiError> {
    value.ok_or_else(|| ApiError::validation(format!("invalid {field}: value is required")))
}

/// More than one member of a oneof was set (protojson rejects this while parsing).
pub fn oneof_conflict(oneof: &str) -> ApiError {
    ApiError::validation(format!(
        "invalid {oneof}: only one of the oneof fields may be set"
    ))
}

/// Checks one metadata entry: key 1..200 runes, value at most 500000 bytes.
pub fn metadata_entry(message: &str, key: &str, value: &[u8]) -> Result<(), ApiError> {
    length(&format!("{message}.Key"), key, 1, METADATA_KEY_MAX)?;
    if value.len() > METADATA_VALUE_MAX {
        return Err(ApiError::validation(format!(
            "invalid {message}.Value: value length must be at most {METADATA_VALUE_MAX} bytes"
        )));
    }
    Ok(())
}

/// ZITADEL's email syntax check (a deliberately simple `local@domain.tld` shape).
pub fn email_address(email: &str) -> Result<(), ApiError> {
    let valid = match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
                && !email.chars().any(char::is_whitespace)
        }
        None => false,
    };
    if valid {
        Ok(())
    } else {
        Err(ApiError::zitadel(
            GrpcCode::InvalidArgument,
            "EMAIL-599BI",
            "Errors.User.Email.Invalid",
        ))
    }
}

/// The default password complexity policy of a fresh instance: at least 8 characters with a lower
/// case letter, an upper case letter, a number and a symbol.
pub fn password_complexity(password: &str) -> Result<(), ApiError> {
    let fail = |id, key| Err(ApiError::zitadel(GrpcCode::InvalidArgument, id, key));
    if password.chars().count() < 8 {
        return fail(
            "DOMAIN-HuJf6",
            "Errors.User.PasswordComplexityPolicy.MinLength",
        );
    }
    if !password.chars().any(char::is_lowercase) {
        return fail(
            "DOMAIN-co3Xw",
            "Errors.User.PasswordComplexityPolicy.HasLower",
        );
    }
    if !password.chars().any(char::is_uppercase) {
        return fail(
            "DOMAIN-VoaRj",
            "Errors.User.PasswordComplexityPolicy.HasUpper",
        );
    }
    if !password.chars().any(|c| c.is_ascii_digit()) {
        return fail(
            "DOMAIN-ZBv4H",
            "Errors.User.PasswordComplexityPolicy.HasNumber",
        );
    }
    if password.chars().all(char::is_alphanumeric) {
        return fail(
            "DOMAIN-ZDLwA",
            "Errors.User.PasswordComplexityPolicy.HasSymbol",
        );
    }
    Ok(())
}

/// Hash shapes ZITADEL's password verifiers understand; bcrypt is checked strictly, the others by
/// their modular-crypt prefix.
pub fn password_hash(hash: &str) -> Result<(), ApiError> {
    const OTHER_PREFIXES: &[&str] = &[
        "$argon2i$",
        "$argon2id$",
        "$scrypt$",
        "$pbkdf2",
        "$1$",
        "$5$",
        "$6$",
    ];
    let bcrypt = ["$2a$", "$2b$", "$2y$"]
        .iter()
        .any(|prefix| hash.starts_with(prefix));
    let accepted = if bcrypt {
        is_bcrypt(hash)
    } else {
        OTHER_PREFIXES.iter().any(|p| hash.starts_with(p))
    };
    if accepted {
        Ok(())
    } else {
        Err(ApiError::zitadel(
            GrpcCode::InvalidArgument,
            "COMMAND-JDk4t",
            "Errors.User.Password.NotSupported",
        ))
    }
}

fn is_bcrypt(hash: &str) -> bool {
    // $2b$<2-digit cost>$<53 chars of bcrypt base64: 22 salt + 31 hash>
    let mut parts = hash.splitn(4, '$').skip(2);
    let cost = parts.next().unwrap_or_default();
    let rest = parts.next().unwrap_or_default();
    cost.len() == 2
        && cost.chars().all(|c| c.is_ascii_digit())
        && rest.len() == 53
        && rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '/')
}

/// Test-renders a Go `text/template` URL template the way ZITADEL does: it must parse, and every
/// action must be a plain field reference to one of `fields` (anything else fails on execution).
pub fn url_template(template: &str, fields: &[&str]) -> Result<(), ApiError> {
    let parse_error = || {
        ApiError::zitadel(
            GrpcCode::InvalidArgument,
            "DOMAIN-oGh5e",
            "Errors.User.InvalidURLTemplate",
        )
    };
    let execution_error = || {
        ApiError::zitadel(
            GrpcCode::InvalidArgument,
            "DOMAIN-ieYa7",
            "Errors.User.InvalidURLTemplate",
        )
    };
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or_else(parse_error)?;
        let action = after[..end]
            .trim_start_matches('-')
            .trim_end_matches('-')
            .trim();
        if action.starts_with("/*") && action.ends_with("*/") {
            rest = &after[end + 2..];
            continue;
        }
        let field = action.strip_prefix('.').ok_or_else(parse_error)?;
        if field.is_empty() || !field.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(parse_error());
        }
        if !fields.contains(&field) {
            return Err(execution_error());
        }
        rest = &after[end + 2..];
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CODE_FIELDS: &[&str] = &["UserID", "OrgID", "Code"];

    #[test]
    fn length_errors_use_the_validator_wording() {
        let error = length("CreateUserRequest.Username", "", 1, 200).unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid CreateUserRequest.Username: value length must be between 1 and 200 runes, inclusive"
        );
        assert!(length("X.Y", "é", 1, 1).is_ok());
    }

    #[test]
    fn url_templates_may_only_use_the_known_fields() {
        assert!(
            url_template(
                "https://x/v?u={{.UserID}}&c={{ .Code }}&o={{.OrgID}}",
                CODE_FIELDS
            )
            .is_ok()
        );
        assert_eq!(
            url_template("https://x/{{.Secret}}", CODE_FIELDS)
                .unwrap_err()
                .id(),
            Some("DOMAIN-ieYa7")
        );
        assert_eq!(
            url_template("https://x/{{.Code", CODE_FIELDS)
                .unwrap_err()
                .id(),
            Some("DOMAIN-oGh5e")
        );
        assert!(url_template("https://x/{{printf \"%s\" .Code}}", CODE_FIELDS).is_err());
    }

    #[test]
    fn bcrypt_hashes_are_accepted_and_other_shapes_rejected() {
        let bcrypt = "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy";
        assert!(password_hash(bcrypt).is_ok());
        assert!(password_hash("$2a$10$short").is_err());
        assert!(password_hash("plaintext").is_err());
        assert!(password_hash("$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA").is_ok());
    }

    #[test]
    fn the_default_password_policy_needs_all_character_classes() {
        assert!(password_complexity("Sup3r-Secret").is_ok());
        assert_eq!(
            password_complexity("Sh0rt!").unwrap_err().id(),
            Some("DOMAIN-HuJf6")
        );
        assert_eq!(
            password_complexity("nouppercase1!").unwrap_err().id(),
            Some("DOMAIN-VoaRj")
        );
        assert_eq!(
            password_complexity("NoSymbol123").unwrap_err().id(),
            Some("DOMAIN-ZDLwA")
        );
    }

    #[test]
    fn email_addresses_need_a_local_part_and_a_domain() {
        assert!(email_address("alice@example.com").is_ok());
        assert!(email_address("alice").is_err());
        assert!(email_address("@example.com").is_err());
        assert!(email_address("a b@example.com").is_err());
    }
}
