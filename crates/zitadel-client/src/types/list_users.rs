//! ListUsers request and response (contract §3.2). Results come from projections that are not
//! triggered by this query, so a fresh user may be missing for a while (contract §14.4).

use serde::{Deserialize, Serialize};

use super::common::{ByteFilterMethod, ListDetails, ListQuery, TextFilterMethod, TextQueryMethod};
use super::user::{User, UserState, UserType};
use super::wire::base64_bytes;

/// `ListUsersRequest` (`POST /v2/users`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListUsersRequest {
    /// Offset, limit and order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query: Option<ListQuery>,
    /// Sort column.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sorting_column: Option<UserFieldName>,
    /// Top-level queries, ANDed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub queries: Vec<SearchQuery>,
}

/// `UserFieldName`: the sort column.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum UserFieldName {
    /// Username.
    #[serde(rename = "USER_FIELD_NAME_USER_NAME")]
    UserName,
    /// Given name.
    #[serde(rename = "USER_FIELD_NAME_FIRST_NAME")]
    FirstName,
    /// Family name.
    #[serde(rename = "USER_FIELD_NAME_LAST_NAME")]
    LastName,
    /// Nickname.
    #[serde(rename = "USER_FIELD_NAME_NICK_NAME")]
    NickName,
    /// Display name.
    #[serde(rename = "USER_FIELD_NAME_DISPLAY_NAME")]
    DisplayName,
    /// E-mail.
    #[serde(rename = "USER_FIELD_NAME_EMAIL")]
    Email,
    /// State.
    #[serde(rename = "USER_FIELD_NAME_STATE")]
    State,
    /// Type.
    #[serde(rename = "USER_FIELD_NAME_TYPE")]
    Type,
    /// Creation date.
    #[serde(rename = "USER_FIELD_NAME_CREATION_DATE")]
    CreationDate,
    /// Not set (enum 0), or a value this client does not know (so a newer
    /// server cannot break decoding; `other` must be the last variant).
    #[default]
    #[serde(rename = "USER_FIELD_NAME_UNSPECIFIED", other)]
    Unspecified,
}

/// The `SearchQuery` oneof: each variant serialises to exactly one member key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum SearchQuery {
    /// `userNameQuery {userName, method}`; use `EqualsIgnoreCase` for usernames (§14.3).
    UserNameQuery {
        /// Username to match.
        user_name: String,
        /// Match method.
        method: TextQueryMethod,
    },
    /// `emailQuery {emailAddress, method}`.
    EmailQuery {
        /// Address to match.
        email_address: String,
        /// Match method.
        method: TextQueryMethod,
    },
    /// `phoneQuery {number, method}`.
    PhoneQuery {
        /// Number to match.
        number: String,
        /// Match method.
        method: TextQueryMethod,
    },
    /// `loginNameQuery {loginName, method}`.
    LoginNameQuery {
        /// Login name to match.
        login_name: String,
        /// Match method.
        method: TextQueryMethod,
    },
    /// `stateQuery {state}`.
    StateQuery {
        /// State to match.
        state: UserState,
    },
    /// `typeQuery {type}`.
    TypeQuery {
        /// Human or machine.
        r#type: UserType,
    },
    /// `inUserIdsQuery {userIds}`.
    InUserIdsQuery {
        /// Ids to match.
        user_ids: Vec<String>,
    },
    /// `inUserEmailsQuery {userEmails}`.
    InUserEmailsQuery {
        /// Addresses to match.
        user_emails: Vec<String>,
    },
    /// `organizationIdQuery {organizationId}`.
    OrganizationIdQuery {
        /// Owning organisation.
        organization_id: String,
    },
    /// `orQuery {queries}`.
    OrQuery {
        /// Alternatives.
        queries: Vec<SearchQuery>,
    },
    /// `andQuery {queries}`.
    AndQuery {
        /// Conjuncts.
        queries: Vec<SearchQuery>,
    },
    /// `notQuery {query}`.
    NotQuery {
        /// Negated query.
        query: Box<SearchQuery>,
    },
    /// `metadataKeyFilter {key, method}`.
    MetadataKeyFilter {
        /// Metadata key to match.
        key: String,
        /// Match method.
        method: TextFilterMethod,
    },
    /// `metadataValueFilter {value, method}` (value base64 in JSON).
    MetadataValueFilter {
        /// Raw value bytes to compare.
        #[serde(with = "base64_bytes")]
        value: Vec<u8>,
        /// Equality or inequality.
        method: ByteFilterMethod,
    },
}

/// `ListUsersResponse`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ListUsersResponse {
    /// Totals and projection position.
    pub details: ListDetails,
    /// The applied sort column.
    pub sorting_column: UserFieldName,
    /// The matching users (shape of contract §3.1).
    pub result: Vec<User>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_contract_example_request_serialises_exactly() {
        let request = ListUsersRequest {
            query: Some(ListQuery {
                offset: 0,
                limit: 10,
                asc: true,
            }),
            sorting_column: Some(UserFieldName::UserName),
            queries: vec![
                SearchQuery::UserNameQuery {
                    user_name: "alice".into(),
                    method: TextQueryMethod::EqualsIgnoreCase,
                },
                SearchQuery::OrganizationIdQuery {
                    organization_id: "3363".into(),
                },
            ],
        };
        assert_eq!(
            serde_json::to_value(request).unwrap(),
            json!({ "query": {"offset": "0", "limit": 10, "asc": true},
              "sortingColumn": "USER_FIELD_NAME_USER_NAME",
              "queries": [ {"userNameQuery": {"userName": "alice", "method": "TEXT_QUERY_METHOD_EQUALS_IGNORE_CASE"}},
                           {"organizationIdQuery": {"organizationId": "3363"}} ] })
        );
    }

    #[test]
    fn every_search_query_uses_its_contract_key() {
        let cases = [
            (
                SearchQuery::EmailQuery {
                    email_address: "a@x".into(),
                    method: TextQueryMethod::Equals,
                },
                json!({"emailQuery": {"emailAddress": "a@x", "method": "TEXT_QUERY_METHOD_EQUALS"}}),
            ),
            (
                SearchQuery::PhoneQuery {
                    number: "+41".into(),
                    method: TextQueryMethod::StartsWith,
                },
                json!({"phoneQuery": {"number": "+41", "method": "TEXT_QUERY_METHOD_STARTS_WITH"}}),
            ),
            (
                SearchQuery::LoginNameQuery {
                    login_name: "a@acme".into(),
                    method: TextQueryMethod::EndsWithIgnoreCase,
                },
                json!({"loginNameQuery": {"loginName": "a@acme", "method": "TEXT_QUERY_METHOD_ENDS_WITH_IGNORE_CASE"}}),
            ),
            (
                SearchQuery::StateQuery {
                    state: UserState::Locked,
                },
                json!({"stateQuery": {"state": "USER_STATE_LOCKED"}}),
            ),
            (
                SearchQuery::TypeQuery {
                    r#type: UserType::Machine,
                },
                json!({"typeQuery": {"type": "TYPE_MACHINE"}}),
            ),
            (
                SearchQuery::InUserIdsQuery {
                    user_ids: vec!["u1".into(), "u2".into()],
                },
                json!({"inUserIdsQuery": {"userIds": ["u1", "u2"]}}),
            ),
            (
                SearchQuery::InUserEmailsQuery {
                    user_emails: vec!["a@x".into()],
                },
                json!({"inUserEmailsQuery": {"userEmails": ["a@x"]}}),
            ),
            (
                SearchQuery::MetadataKeyFilter {
                    key: "k8s-uid".into(),
                    method: TextFilterMethod::Equals,
                },
                json!({"metadataKeyFilter": {"key": "k8s-uid", "method": "TEXT_FILTER_METHOD_EQUALS"}}),
            ),
            (
                SearchQuery::MetadataValueFilter {
                    value: b"abcd".to_vec(),
                    method: ByteFilterMethod::NotEquals,
                },
                json!({"metadataValueFilter": {"value": "YWJjZA==", "method": "BYTE_FILTER_METHOD_NOT_EQUALS"}}),
            ),
        ];
        for (query, expected) in cases {
            assert_eq!(serde_json::to_value(&query).unwrap(), expected);
        }
    }

    #[test]
    fn boolean_combinators_nest() {
        let in_org = SearchQuery::OrganizationIdQuery {
            organization_id: "o".into(),
        };
        let query = SearchQuery::AndQuery {
            queries: vec![
                SearchQuery::OrQuery {
                    queries: vec![in_org.clone()],
                },
                SearchQuery::NotQuery {
                    query: Box::new(in_org),
                },
            ],
        };
        assert_eq!(
            serde_json::to_value(query).unwrap(),
            json!({"andQuery": {"queries": [
                {"orQuery": {"queries": [{"organizationIdQuery": {"organizationId": "o"}}]}},
                {"notQuery": {"query": {"organizationIdQuery": {"organizationId": "o"}}}}
            ]}})
        );
    }

    #[test]
    fn the_response_decodes_string_totals_and_users() {
        let response: ListUsersResponse = serde_json::from_value(json!({
            "details": {"totalResult": "1", "processedSequence": "77", "timestamp": "2026-01-01T00:00:00Z"},
            "sortingColumn": "USER_FIELD_NAME_USER_NAME",
            "result": [{"userId": "u1", "state": "USER_STATE_ACTIVE", "machine": {"name": "bot"}}]
        }))
        .unwrap();
        assert_eq!(response.details.total_result, 1);
        assert_eq!(response.details.processed_sequence, 77);
        assert_eq!(response.sorting_column, UserFieldName::UserName);
        assert_eq!(response.result[0].user_id, "u1");
    }

    #[test]
    fn an_empty_result_is_an_empty_object() {
        let response: ListUsersResponse = serde_json::from_value(json!({})).unwrap();
        assert!(response.result.is_empty());
        assert_eq!(response.details.total_result, 0);
    }
}
