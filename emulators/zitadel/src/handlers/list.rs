//! ListUsers (`POST /v2/users`, §3.2): reads the lagging projection, filters to what the caller may
//! see, evaluates the search queries, sorts and pages.

use std::cmp::Ordering;

use axum::Extension;
use axum::extract::State as AxumState;
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{Value, json};

use super::pagination::{MAX_LIMIT, Page};
use super::{AppState, ProtoJson, Reply, reply};
use crate::auth::Caller;
use crate::errors::ApiError;
use crate::protojson::enums::{TextQueryMethod, UserFieldName, UserState, UserType};
use crate::protojson::{timestamp, uint64};
use crate::state::users::{EmulatedUser, UserKind};

/// `ListUsersRequest`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ListUsersRequest {
    query: Page,
    sorting_column: UserFieldName,
    queries: Vec<SearchQuery>,
}

/// `SearchQuery`: a oneof, so exactly one member may be set.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct SearchQuery {
    user_name_query: Option<TextQuery>,
    first_name_query: Option<TextQuery>,
    last_name_query: Option<TextQuery>,
    nick_name_query: Option<TextQuery>,
    display_name_query: Option<TextQuery>,
    email_query: Option<TextQuery>,
    login_name_query: Option<TextQuery>,
    phone_query: Option<TextQuery>,
    state_query: Option<StateQuery>,
    type_query: Option<TypeQuery>,
    in_user_ids_query: Option<InUserIdsQuery>,
    in_user_emails_query: Option<InUserEmailsQuery>,
    organization_id_query: Option<OrganizationIdQuery>,
    or_query: Option<ListQuery>,
    and_query: Option<ListQuery>,
    not_query: Option<Box<NotQuery>>,
}

/// Every text query has `{<value field>, method}`; the value field is named after the query
/// (`userName`, `emailAddress`, `number`, …), so one struct takes all those names.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct TextQuery {
    #[serde(
        alias = "userName",
        alias = "firstName",
        alias = "lastName",
        alias = "nickName",
        alias = "displayName",
        alias = "emailAddress",
        alias = "loginName",
        alias = "number"
    )]
    value: String,
    method: TextQueryMethod,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct StateQuery {
    state: UserState,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct TypeQuery {
    r#type: UserType,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct InUserIdsQuery {
    user_ids: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct InUserEmailsQuery {
    user_emails: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct OrganizationIdQuery {
    organization_id: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct ListQuery {
    queries: Vec<SearchQuery>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct NotQuery {
    query: Option<SearchQuery>,
}

/// A validated query tree.
#[derive(Debug)]
enum Filter {
    Text(TextField, String, TextQueryMethod),
    State(UserState),
    Type(UserType),
    InIds(Vec<String>),
    InEmails(Vec<String>),
    Organization(String),
    Or(Vec<Filter>),
    And(Vec<Filter>),
    Not(Box<Filter>),
}

#[derive(Debug, Clone, Copy)]
enum TextField {
    UserName,
    FirstName,
    LastName,
    NickName,
    DisplayName,
    Email,
    LoginName,
    Phone,
}

impl SearchQuery {
    fn into_filter(self) -> Result<Filter, ApiError> {
        let text =
            |field, query: Option<TextQuery>| query.map(|q| Filter::Text(field, q.value, q.method));
        let nested = |queries: Vec<SearchQuery>| {
            queries
                .into_iter()
                .map(SearchQuery::into_filter)
                .collect::<Result<Vec<_>, _>>()
        };
        let mut members: Vec<Filter> = [
            text(TextField::UserName, self.user_name_query),
            text(TextField::FirstName, self.first_name_query),
            text(TextField::LastName, self.last_name_query),
            text(TextField::NickName, self.nick_name_query),
            text(TextField::DisplayName, self.display_name_query),
            text(TextField::Email, self.email_query),
            text(TextField::LoginName, self.login_name_query),
            text(TextField::Phone, self.phone_query),
            self.state_query.map(|q| Filter::State(q.state)),
            self.type_query.map(|q| Filter::Type(q.r#type)),
            self.in_user_ids_query.map(|q| Filter::InIds(q.user_ids)),
            self.in_user_emails_query
                .map(|q| Filter::InEmails(q.user_emails)),
            self.organization_id_query
                .map(|q| Filter::Organization(q.organization_id)),
        ]
        .into_iter()
        .flatten()
        .collect();
        if let Some(or) = self.or_query {
            members.push(Filter::Or(nested(or.queries)?));
        }
        if let Some(and) = self.and_query {
            members.push(Filter::And(nested(and.queries)?));
        }
        if let Some(not) = self.not_query {
            let inner = not
                .query
                .ok_or_else(|| ApiError::validation("invalid NotQuery.Query: value is required"))?;
            members.push(Filter::Not(Box::new(inner.into_filter()?)));
        }
        match (members.pop(), members.is_empty()) {
            (Some(filter), true) => Ok(filter),
            (Some(_), false) => Err(ApiError::validation(
                "invalid SearchQuery.Query: only one of the oneof fields may be set",
            )),
            // An unsupported query kind parses as an empty oneof: refuse it rather than match everything.
            (None, _) => Err(ApiError::validation(
                "invalid SearchQuery.Query: value is required",
            )),
        }
    }
}

impl Filter {
    fn matches(&self, user: &EmulatedUser) -> bool {
        match self {
            Self::Text(field, wanted, method) => {
                text_of(user, *field).is_some_and(|actual| method.matches(actual, wanted))
            }
            Self::State(state) => user.state == *state,
            Self::Type(kind) => matches!(
                (&user.kind, kind),
                (UserKind::Human(_), UserType::Human)
                    | (UserKind::Machine(_), UserType::Machine)
                    | (_, UserType::Unspecified)
            ),
            Self::InIds(ids) => ids.contains(&user.id),
            Self::InEmails(emails) => user
                .email()
                .is_some_and(|email| emails.iter().any(|e| e.eq_ignore_ascii_case(email))),
            Self::Organization(org) => user.organization_id == *org,
            Self::Or(filters) => filters.iter().any(|filter| filter.matches(user)),
            Self::And(filters) => filters.iter().all(|filter| filter.matches(user)),
            Self::Not(filter) => !filter.matches(user),
        }
    }
}

fn text_of(user: &EmulatedUser, field: TextField) -> Option<&str> {
    let human = user.human();
    match field {
        // The emulator's only login name is the username.
        TextField::UserName | TextField::LoginName => Some(&user.username),
        TextField::FirstName => human.map(|h| h.profile.given_name.as_str()),
        TextField::LastName => human.map(|h| h.profile.family_name.as_str()),
        TextField::NickName => human.map(|h| h.profile.nick_name.as_str()),
        TextField::DisplayName => match &user.kind {
            UserKind::Human(h) => Some(&h.profile.display_name),
            UserKind::Machine(m) => Some(&m.name),
        },
        TextField::Email => user.email(),
        TextField::Phone => human
            .and_then(|h| h.phone.as_ref())
            .map(|p| p.phone.as_str()),
    }
}

fn compare(column: UserFieldName, a: &EmulatedUser, b: &EmulatedUser) -> Ordering {
    let text = |field| {
        (
            text_of(a, field).unwrap_or_default().to_owned(),
            text_of(b, field).unwrap_or_default().to_owned(),
        )
    };
    let ordering = match column {
        UserFieldName::Unspecified | UserFieldName::CreationDate => Ordering::Equal,
        UserFieldName::UserName => cmp_pair(text(TextField::UserName)),
        UserFieldName::FirstName => cmp_pair(text(TextField::FirstName)),
        UserFieldName::LastName => cmp_pair(text(TextField::LastName)),
        UserFieldName::NickName => cmp_pair(text(TextField::NickName)),
        UserFieldName::DisplayName => cmp_pair(text(TextField::DisplayName)),
        UserFieldName::Email => cmp_pair(text(TextField::Email)),
        UserFieldName::State => a.state.cmp(&b.state),
        UserFieldName::Type => a.human().is_none().cmp(&b.human().is_none()),
    };
    ordering
        .then(a.creation_date.cmp(&b.creation_date))
        .then_with(|| a.id.cmp(&b.id))
}

fn cmp_pair((a, b): (String, String)) -> Ordering {
    a.cmp(&b)
}

/// Lists users as the projection saw them `list_delay` ago.
pub async fn list_users(
    AxumState(shared): AxumState<AppState>,
    Extension(caller): Extension<Caller>,
    ProtoJson(request): ProtoJson<ListUsersRequest>,
) -> Reply {
    let filters = request
        .queries
        .into_iter()
        .map(SearchQuery::into_filter)
        .collect::<Result<Vec<_>, _>>()?;
    let limit = request.query.applied_limit(MAX_LIMIT)?;
    let (mut users, sequence) = {
        let mut state = shared.lock();
        let sequence = state.sequence();
        let projected = state.projection.catch_up(shared.config.list_delay);
        let users: Vec<EmulatedUser> = projected
            .values()
            .filter(|user| caller.sees_org(&user.organization_id))
            .filter(|user| filters.iter().all(|filter| filter.matches(user)))
            .cloned()
            .collect();
        (users, sequence)
    };
    let column = request.sorting_column;
    users.sort_by(|a, b| compare(column, a, b));
    // With a sorting column, `asc: false` (the default) means descending, as in ZITADEL.
    if column != UserFieldName::Unspecified && !request.query.asc {
        users.reverse();
    }
    let total = users.len() as u64;
    let result: Vec<Value> = request
        .query
        .slice(users, limit)
        .iter()
        .map(EmulatedUser::to_json)
        .collect();
    reply([
        (
            "details",
            json!({"totalResult": uint64(total), "processedSequence": uint64(sequence), "timestamp": timestamp(Timestamp::now())}),
        ),
        ("sortingColumn", json!(column.name())),
        ("result", Value::Array(result)),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(query: Value) -> Result<Filter, ApiError> {
        serde_json::from_value::<SearchQuery>(crate::protojson::normalize_keys(query))
            .unwrap()
            .into_filter()
    }

    #[test]
    fn a_query_with_two_members_is_rejected() {
        let query =
            json!({"userNameQuery": {"userName": "a"}, "emailQuery": {"emailAddress": "b"}});
        assert!(filter(query).is_err());
    }

    #[test]
    fn an_unknown_query_kind_is_rejected_instead_of_matching_everything() {
        assert!(filter(json!({"metadataKeyFilter": {"key": "a"}})).is_err());
    }

    #[test]
    fn text_queries_take_their_own_value_field_names() {
        let Ok(Filter::Text(TextField::Email, value, method)) = filter(
            json!({"email_query": {"email_address": "a@b.c", "method": "TEXT_QUERY_METHOD_CONTAINS"}}),
        ) else {
            panic!("expected an email text filter");
        };
        assert_eq!(
            (value.as_str(), method),
            ("a@b.c", TextQueryMethod::Contains)
        );
    }
}
