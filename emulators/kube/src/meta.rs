//! Server-maintained object metadata: uid, timestamps, generated names, generation.

use rand::Rng;
use serde_json::{Map, Value};

/// The current time as the server prints `metav1.Time` (RFC 3339, whole seconds).
pub fn now() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// A random RFC 4122 version 4 UUID.
pub fn uid() -> String {
    let bytes: [u8; 16] = rand::rng().random();
    let hex: String = bytes
        .iter()
        .enumerate()
        .map(|(i, b)| match i {
            6 => format!("{:02x}", (b & 0x0f) | 0x40),
            8 => format!("{:02x}", (b & 0x3f) | 0x80),
            _ => format!("{b:02x}"),
        })
        .collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// `prefix` plus five random characters from the alphabet the real server uses.
pub fn generate_name(prefix: &str) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut rng = rand::rng();
    let suffix: String = (0..5)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect();
    format!("{prefix}{suffix}")
}

/// Check an object name: a DNS label for namespaces, a DNS subdomain for everything else.
pub use manifest_validation::check_name;

/// The object without `metadata` and `status`: what `generation` tracks.
fn spec_part(object: &Value) -> Map<String, Value> {
    let mut map = object.as_object().cloned().unwrap_or_default();
    for key in ["metadata", "status", "apiVersion", "kind"] {
        map.remove(key);
    }
    map
}

/// Whether anything outside metadata and status differs between two objects.
pub fn spec_changed(old: &Value, new: &Value) -> bool {
    spec_part(old) != spec_part(new)
}

/// Read a string field of `metadata`.
pub fn meta_str<'a>(object: &'a Value, field: &str) -> Option<&'a str> {
    object.get("metadata")?.get(field)?.as_str()
}

/// `metadata.finalizers` as strings.
pub fn finalizers(object: &Value) -> Vec<String> {
    object
        .pointer("/metadata/finalizers")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// Make sure `object.metadata` is a JSON object and return it.
pub fn metadata_mut(object: &mut Value) -> &mut Map<String, Value> {
    if !object.is_object() {
        *object = Value::Object(Map::new());
    }
    let metadata = &mut object["metadata"];
    if !metadata.is_object() {
        *metadata = Value::Object(Map::new());
    }
    match metadata {
        Value::Object(map) => map,
        // Provably unreachable: `metadata` was made an object just above.
        _ => unreachable!("metadata was just made an object"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn uids_look_like_version_4_uuids() {
        let id = uid();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert_ne!(id, uid());
    }

    #[test]
    fn generated_names_keep_the_prefix_and_add_five_characters() {
        let name = generate_name("user-");
        assert!(name.starts_with("user-"));
        assert_eq!(name.len(), 10);
    }

    #[test]
    fn names_must_be_lowercase_dns_subdomains() {
        assert!(check_name("a.b-c", false).is_none());
        assert!(check_name("Upper", false).is_some());
        assert!(check_name("a.b", true).is_some());
    }

    #[test]
    fn only_changes_outside_metadata_and_status_count_as_spec_changes() {
        let a = json!({"metadata": {"labels": {"x": "1"}}, "spec": {"a": 1}, "status": {"s": 1}});
        let b = json!({"metadata": {}, "spec": {"a": 1}, "status": {"s": 2}});
        assert!(!spec_changed(&a, &b));
        assert!(spec_changed(&a, &json!({"spec": {"a": 2}})));
    }
}
