//! Proto enums: written by name, read by name or number.

/// Declares a proto enum with its JSON names and numbers; the first variant is the zero value.
macro_rules! proto_enum {
    ($(#[$meta:meta])* pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $number:literal => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// The proto name, as written in JSON.
            #[allow(dead_code, reason = "input-only enums (query methods) are never written")]
            pub fn name(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }

            /// Looks a value up by its proto name or number.
            pub fn parse(raw: &serde_json::Value) -> Option<Self> {
                match raw {
                    serde_json::Value::String(text) => match text.as_str() { $($text => Some(Self::$variant),)+ _ => None },
                    serde_json::Value::Number(number) => match number.as_i64()? { $($number => Some(Self::$variant),)+ _ => None },
                    serde_json::Value::Null => Some(Self::default()),
                    _ => None,
                }
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let raw = <serde_json::Value as serde::Deserialize>::deserialize(deserializer)?;
                Self::parse(&raw).ok_or_else(|| {
                    <D::Error as serde::de::Error>::custom(format!("invalid value for enum {}: {raw}", stringify!($name)))
                })
            }
        }
    };
}

proto_enum! {
    /// `zitadel.user.v2.UserState`.
    pub enum UserState {
        /// Zero value.
        #[default]
        Unspecified = 0 => "USER_STATE_UNSPECIFIED",
        /// Can log in and be used.
        Active = 1 => "USER_STATE_ACTIVE",
        /// Deactivated.
        Inactive = 2 => "USER_STATE_INACTIVE",
        /// Deleted (never visible: deleted users are not found).
        Deleted = 3 => "USER_STATE_DELETED",
        /// Locked.
        Locked = 4 => "USER_STATE_LOCKED",
        /// Human created without a verified email or a password: initialisation pending.
        Initial = 5 => "USER_STATE_INITIAL",
    }
}

proto_enum! {
    /// `zitadel.user.v2.Gender`.
    pub enum Gender {
        /// Zero value.
        #[default]
        Unspecified = 0 => "GENDER_UNSPECIFIED",
        /// Female.
        Female = 1 => "GENDER_FEMALE",
        /// Male.
        Male = 2 => "GENDER_MALE",
        /// Diverse.
        Diverse = 3 => "GENDER_DIVERSE",
    }
}

proto_enum! {
    /// `zitadel.user.v2.AccessTokenType`.
    pub enum AccessTokenType {
        /// Opaque bearer tokens (the zero value).
        #[default]
        Bearer = 0 => "ACCESS_TOKEN_TYPE_BEARER",
        /// JWT access tokens.
        Jwt = 1 => "ACCESS_TOKEN_TYPE_JWT",
    }
}

proto_enum! {
    /// `zitadel.user.v2.Type` (ListUsers `typeQuery`).
    pub enum UserType {
        /// Zero value.
        #[default]
        Unspecified = 0 => "TYPE_UNSPECIFIED",
        /// Human users.
        Human = 1 => "TYPE_HUMAN",
        /// Machine users.
        Machine = 2 => "TYPE_MACHINE",
    }
}

proto_enum! {
    /// `zitadel.object.v2.TextQueryMethod`.
    pub enum TextQueryMethod {
        /// Case-sensitive equality (the zero value).
        #[default]
        Equals = 0 => "TEXT_QUERY_METHOD_EQUALS",
        /// Case-insensitive equality.
        EqualsIgnoreCase = 1 => "TEXT_QUERY_METHOD_EQUALS_IGNORE_CASE",
        /// Prefix.
        StartsWith = 2 => "TEXT_QUERY_METHOD_STARTS_WITH",
        /// Case-insensitive prefix.
        StartsWithIgnoreCase = 3 => "TEXT_QUERY_METHOD_STARTS_WITH_IGNORE_CASE",
        /// Substring.
        Contains = 4 => "TEXT_QUERY_METHOD_CONTAINS",
        /// Case-insensitive substring.
        ContainsIgnoreCase = 5 => "TEXT_QUERY_METHOD_CONTAINS_IGNORE_CASE",
        /// Suffix.
        EndsWith = 6 => "TEXT_QUERY_METHOD_ENDS_WITH",
        /// Case-insensitive suffix.
        EndsWithIgnoreCase = 7 => "TEXT_QUERY_METHOD_ENDS_WITH_IGNORE_CASE",
    }
}

proto_enum! {
    /// `zitadel.filter.v2.TextFilterMethod` (metadata key filters).
    pub enum TextFilterMethod {
        /// Case-sensitive equality (the zero value).
        #[default]
        Equals = 0 => "TEXT_FILTER_METHOD_EQUALS",
        /// Case-insensitive equality.
        EqualsIgnoreCase = 1 => "TEXT_FILTER_METHOD_EQUALS_IGNORE_CASE",
        /// Prefix.
        StartsWith = 2 => "TEXT_FILTER_METHOD_STARTS_WITH",
        /// Case-insensitive prefix.
        StartsWithIgnoreCase = 3 => "TEXT_FILTER_METHOD_STARTS_WITH_IGNORE_CASE",
        /// Substring.
        Contains = 4 => "TEXT_FILTER_METHOD_CONTAINS",
        /// Case-insensitive substring.
        ContainsIgnoreCase = 5 => "TEXT_FILTER_METHOD_CONTAINS_IGNORE_CASE",
        /// Suffix.
        EndsWith = 6 => "TEXT_FILTER_METHOD_ENDS_WITH",
        /// Case-insensitive suffix.
        EndsWithIgnoreCase = 7 => "TEXT_FILTER_METHOD_ENDS_WITH_IGNORE_CASE",
    }
}

impl TextFilterMethod {
    /// The equivalent query method (the two enums share their semantics).
    pub fn as_query_method(self) -> TextQueryMethod {
        match self {
            Self::Equals => TextQueryMethod::Equals,
            Self::EqualsIgnoreCase => TextQueryMethod::EqualsIgnoreCase,
            Self::StartsWith => TextQueryMethod::StartsWith,
            Self::StartsWithIgnoreCase => TextQueryMethod::StartsWithIgnoreCase,
            Self::Contains => TextQueryMethod::Contains,
            Self::ContainsIgnoreCase => TextQueryMethod::ContainsIgnoreCase,
            Self::EndsWith => TextQueryMethod::EndsWith,
            Self::EndsWithIgnoreCase => TextQueryMethod::EndsWithIgnoreCase,
        }
    }
}

impl TextQueryMethod {
    /// Whether `actual` matches `wanted` under this method.
    pub fn matches(self, actual: &str, wanted: &str) -> bool {
        let lower = |text: &str| text.to_lowercase();
        match self {
            Self::Equals => actual == wanted,
            Self::EqualsIgnoreCase => lower(actual) == lower(wanted),
            Self::StartsWith => actual.starts_with(wanted),
            Self::StartsWithIgnoreCase => lower(actual).starts_with(&lower(wanted)),
            Self::Contains => actual.contains(wanted),
            Self::ContainsIgnoreCase => lower(actual).contains(&lower(wanted)),
            Self::EndsWith => actual.ends_with(wanted),
            Self::EndsWithIgnoreCase => lower(actual).ends_with(&lower(wanted)),
        }
    }
}

proto_enum! {
    /// `zitadel.user.v2.UserFieldName` (ListUsers sorting column).
    pub enum UserFieldName {
        /// Zero value: creation order.
        #[default]
        Unspecified = 0 => "USER_FIELD_NAME_UNSPECIFIED",
        /// Username.
        UserName = 1 => "USER_FIELD_NAME_USER_NAME",
        /// Given name.
        FirstName = 2 => "USER_FIELD_NAME_FIRST_NAME",
        /// Family name.
        LastName = 3 => "USER_FIELD_NAME_LAST_NAME",
        /// Nick name.
        NickName = 4 => "USER_FIELD_NAME_NICK_NAME",
        /// Display name.
        DisplayName = 5 => "USER_FIELD_NAME_DISPLAY_NAME",
        /// Email address.
        Email = 6 => "USER_FIELD_NAME_EMAIL",
        /// State.
        State = 7 => "USER_FIELD_NAME_STATE",
        /// Type (human / machine).
        Type = 8 => "USER_FIELD_NAME_TYPE",
        /// Creation date.
        CreationDate = 9 => "USER_FIELD_NAME_CREATION_DATE",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn enums_are_read_by_name_or_number() {
        assert_eq!(
            serde_json::from_value::<Gender>(json!("GENDER_MALE")).unwrap(),
            Gender::Male
        );
        assert_eq!(
            serde_json::from_value::<Gender>(json!(3)).unwrap(),
            Gender::Diverse
        );
        assert!(serde_json::from_value::<Gender>(json!("MALE")).is_err());
    }

    #[test]
    fn equals_is_case_sensitive_and_ignore_case_is_not() {
        assert!(!TextQueryMethod::Equals.matches("Alice", "alice"));
        assert!(TextQueryMethod::EqualsIgnoreCase.matches("Alice", "alice"));
        assert!(TextQueryMethod::EndsWithIgnoreCase.matches("a@EXAMPLE.com", "example.COM"));
    }
}
