//! A CRD version's structural schema, as admission uses it.

use std::hash::{DefaultHasher, Hash, Hasher};

use serde_json::Value;

/// A CRD version's `openAPIV3Schema`, with the key its compiled CEL rules are cached under.
///
/// The key is computed once, when the schema is read: a CRD schema is tens of kilobytes, and
/// printing and hashing it on every write was a third of the kube emulator's CPU.
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    value: Value,
    key: u64,
}

impl Schema {
    /// Wrap a version's `openAPIV3Schema`.
    pub fn new(value: Value) -> Self {
        let mut hasher = DefaultHasher::new();
        value.hash(&mut hasher);
        Self {
            key: hasher.finish(),
            value,
        }
    }

    /// The schema itself.
    pub fn value(&self) -> &Value {
        &self.value
    }

    /// Equal for equal schemas, so the compiled rules of one can serve the other.
    pub(crate) fn key(&self) -> u64 {
        self.key
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn equal_schemas_share_a_key_and_different_ones_do_not() {
        let schema = || json!({"type": "object", "properties": {"a": {"type": "string"}}});
        let other = json!({"type": "object", "properties": {"a": {"type": "integer"}}});
        assert_eq!(Schema::new(schema()).key(), Schema::new(schema()).key());
        assert_ne!(Schema::new(schema()).key(), Schema::new(other).key());
    }
}
