//! Organizations: only their existence and name matter to the user API.

/// An organization of the instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Org {
    /// Id.
    pub id: String,
    /// Display name.
    pub name: String,
}
