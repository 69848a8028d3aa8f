//! Request messages shared by several RPCs (email, phone, password, metadata, verification oneofs).

use serde::Deserialize;
use serde_json::Value;

use crate::errors::ApiError;
use crate::protojson::de;
use crate::validation;

/// `sendCode {urlTemplate?}` (also `sendLink` of passkey registration links).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SendCode {
    /// Go template for the link in the message.
    pub url_template: Option<String>,
}

/// The verification oneof of an email or phone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    /// None set: ZITADEL sends a message with its default template.
    Default,
    /// `sendCode`.
    Send,
    /// `returnCode {}`: the code comes back in the response.
    Return,
    /// `isVerified`.
    Verified(bool),
}

impl Verification {
    /// Whether a code is created (and stays pending until verified).
    pub fn creates_code(&self) -> bool {
        !matches!(self, Self::Verified(true))
    }
}

/// `SetHumanEmail`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SetEmail {
    /// Address.
    pub email: String,
    /// oneof member.
    pub send_code: Option<SendCode>,
    /// oneof member.
    pub return_code: Option<Value>,
    /// oneof member.
    pub is_verified: Option<bool>,
}

impl SetEmail {
    /// Validates the address, the template and the oneof; `message` names the field in errors.
    pub fn verification(&self, message: &str) -> Result<Verification, ApiError> {
        validation::length(&format!("{message}.Email"), &self.email, 1, 200)?;
        validation::email_address(&self.email)?;
        let chosen = oneof(
            message,
            [
                self.send_code.as_ref().map(|_| Verification::Send),
                self.return_code.as_ref().map(|_| Verification::Return),
                self.is_verified.map(Verification::Verified),
            ],
        )?;
        if let Some(template) = self
            .send_code
            .as_ref()
            .and_then(|send| send.url_template.as_deref())
        {
            validation::url_template(template, &["UserID", "OrgID", "Code"])?;
        }
        Ok(chosen)
    }
}

/// `SetHumanPhone`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SetPhone {
    /// Number; empty on UpdateUser means "remove".
    pub phone: String,
    /// oneof member.
    pub send_code: Option<Value>,
    /// oneof member.
    pub return_code: Option<Value>,
    /// oneof member; must be `true` when present.
    pub is_verified: Option<bool>,
}

impl SetPhone {
    /// Validates the number length and the oneof.
    pub fn verification(&self, message: &str) -> Result<Verification, ApiError> {
        validation::length(&format!("{message}.Phone"), &self.phone, 0, 200)?;
        if self.is_verified == Some(false) {
            return Err(ApiError::validation(format!(
                "invalid {message}.IsVerified: value must equal true"
            )));
        }
        oneof(
            message,
            [
                self.send_code.as_ref().map(|_| Verification::Send),
                self.return_code.as_ref().map(|_| Verification::Return),
                self.is_verified.map(Verification::Verified),
            ],
        )
    }
}

fn oneof<const N: usize>(
    message: &str,
    members: [Option<Verification>; N],
) -> Result<Verification, ApiError> {
    let mut set = members.into_iter().flatten();
    let first = set.next().unwrap_or(Verification::Default);
    if set.next().is_some() {
        return Err(validation::oneof_conflict(&format!(
            "{message}.Verification"
        )));
    }
    Ok(first)
}

/// `Password {password, changeRequired}`.
#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PasswordInput {
    /// Plain password (never logged: this type has no Debug).
    pub password: String,
    /// Must be changed at next login.
    pub change_required: bool,
}

/// `HashedPassword {hash, changeRequired}`.
#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HashedPasswordInput {
    /// Encoded hash.
    pub hash: String,
    /// Must be changed at next login.
    pub change_required: bool,
}

/// Validates the password oneof; returns `changeRequired` of the member set, if any.
pub fn password_choice(
    message: &str,
    password: Option<&PasswordInput>,
    hashed: Option<&HashedPasswordInput>,
) -> Result<Option<bool>, ApiError> {
    match (password, hashed) {
        (Some(_), Some(_)) => Err(validation::oneof_conflict(&format!(
            "{message}.PasswordType"
        ))),
        (Some(input), None) => {
            validation::length(
                &format!("{message}.Password.Password"),
                &input.password,
                1,
                200,
            )?;
            validation::password_complexity(&input.password)?;
            Ok(Some(input.change_required))
        }
        (None, Some(input)) => {
            validation::length(
                &format!("{message}.HashedPassword.Hash"),
                &input.hash,
                1,
                200,
            )?;
            validation::password_hash(&input.hash)?;
            Ok(Some(input.change_required))
        }
        (None, None) => Ok(None),
    }
}

/// `Metadata {key, value}` with `value` in base64.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MetadataInput {
    /// Key, 1..200.
    pub key: String,
    /// Raw value, at most 500000 bytes.
    #[serde(deserialize_with = "de::bytes")]
    pub value: Vec<u8>,
}

/// Validates a metadata list and turns it into `(key, value)` pairs.
pub fn metadata_pairs(
    message: &str,
    entries: &[MetadataInput],
) -> Result<Vec<(String, Vec<u8>)>, ApiError> {
    entries
        .iter()
        .map(|entry| {
            validation::metadata_entry(message, &entry.key, &entry.value)?;
            Ok((entry.key.clone(), entry.value.clone()))
        })
        .collect()
}
