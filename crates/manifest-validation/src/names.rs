//! The server's own check of object names.

use crate::Cause;

fn is_dns_label(part: &str) -> bool {
    let bytes = part.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 63
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && bytes.first().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
}

/// Check an object name: a DNS label when `label_only` (namespaces), a DNS subdomain for
/// everything else (custom resources among them). `None` means valid.
pub fn check_name(name: &str, label_only: bool) -> Option<Cause> {
    let ok = if label_only {
        is_dns_label(name)
    } else {
        name.len() <= 253 && name.split('.').all(is_dns_label)
    };
    if ok {
        return None;
    }
    let what = if label_only {
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character"
    } else {
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"
    };
    Some(Cause::new(
        "FieldValueInvalid",
        format!("Invalid value: \"{name}\": {what}"),
        "metadata.name",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_must_be_lowercase_dns_subdomains_and_namespaces_labels() {
        assert!(check_name("a.b-c", false).is_none());
        assert!(check_name("Upper", false).is_some());
        assert!(check_name("a.b", true).is_some());
        assert!(check_name(&"a".repeat(254), false).is_some());
    }
}
