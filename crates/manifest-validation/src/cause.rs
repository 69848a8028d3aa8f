//! The field-level finding, as the API server reports it.

/// One field-level cause of an `Invalid` error, as in a `kind: Status`'s `details.causes[]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cause {
    /// Machine reason, e.g. `FieldValueRequired`.
    pub reason: &'static str,
    /// Human message without the field, e.g. `Required value`.
    pub message: String,
    /// Dotted field path, e.g. `spec.email`.
    pub field: String,
}

impl Cause {
    /// A cause with the given reason, message body and field path.
    pub fn new(reason: &'static str, message: impl Into<String>, field: impl Into<String>) -> Self {
        Self {
            reason,
            message: message.into(),
            field: field.into(),
        }
    }

    /// The Go `field.Error` rendering: `<field>: <message>`.
    pub fn render(&self) -> String {
        if self.field.is_empty() {
            self.message.clone()
        } else {
            format!("{}: {}", self.field, self.message)
        }
    }
}
