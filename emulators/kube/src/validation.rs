//! Custom resource validation against the CRD's structural schema: pruning of unknown fields,
//! defaulting, OpenAPI checks, and `x-kubernetes-validations` CEL rules.
//!
//! The implementation lives in the `manifest-validation` crate, shared with the operator's
//! offline `validate` subcommand, so that the emulated API server and the validator accept and
//! reject the same objects. See that crate for the supported schema keywords.

pub use manifest_validation::{Schema, normalize, validate};
