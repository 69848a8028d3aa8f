//! User metadata entries and the merge rule shared by SetUserMetadata and Create/UpdateUser.

use std::collections::BTreeMap;

use jiff::Timestamp;

/// One metadata value with its dates.
#[derive(Debug, Clone, PartialEq)]
pub struct MetadataEntry {
    /// Raw bytes (base64 in JSON).
    pub value: Vec<u8>,
    /// First set.
    pub creation_date: Timestamp,
    /// Last changed.
    pub change_date: Timestamp,
}

/// Merges `(key, value)` pairs: matching keys are overwritten, other keys untouched, an empty
/// value removes the key (and is a no-op when the key does not exist).
pub fn merge(
    entries: &mut BTreeMap<String, MetadataEntry>,
    updates: impl IntoIterator<Item = (String, Vec<u8>)>,
    now: Timestamp,
) {
    for (key, value) in updates {
        if value.is_empty() {
            entries.remove(&key);
            continue;
        }
        match entries.get_mut(&key) {
            Some(entry) if entry.value == value => {}
            Some(entry) => {
                entry.value = value;
                entry.change_date = now;
            }
            None => {
                entries.insert(
                    key,
                    MetadataEntry {
                        value,
                        creation_date: now,
                        change_date: now,
                    },
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(entries: &mut BTreeMap<String, MetadataEntry>, key: &str, value: &[u8]) {
        merge(
            entries,
            [(key.to_owned(), value.to_vec())],
            Timestamp::now(),
        );
    }

    #[test]
    fn merging_overwrites_adds_and_keeps_other_keys() {
        let mut entries = BTreeMap::new();
        set(&mut entries, "a", b"1");
        set(&mut entries, "b", b"2");
        set(&mut entries, "a", b"3");
        assert_eq!(entries["a"].value, b"3");
        assert_eq!(entries["b"].value, b"2");
    }

    #[test]
    fn an_empty_value_deletes_and_is_a_no_op_for_missing_keys() {
        let mut entries = BTreeMap::new();
        set(&mut entries, "a", b"1");
        set(&mut entries, "a", b"");
        set(&mut entries, "missing", b"");
        assert!(entries.is_empty());
    }
}
