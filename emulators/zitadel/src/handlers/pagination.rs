//! Offset/limit paging of list responses.

use serde::Deserialize;

use crate::errors::{ApiError, GrpcCode};
use crate::protojson::de;

/// Most results one page may hold (ZITADEL's `MaxQueryLimit` default).
pub const MAX_LIMIT: u64 = 1000;

/// `ListQuery` / `PaginationRequest`: `{offset (uint64), limit (uint32), asc}`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Page {
    /// Results to skip.
    #[serde(deserialize_with = "de::uint64")]
    pub offset: u64,
    /// Page size; 0 = the default.
    pub limit: u32,
    /// Ascending order (with a sorting column).
    pub asc: bool,
}

impl Page {
    /// The limit that applies (`default` when 0); above [`MAX_LIMIT`] is an error as in ZITADEL.
    pub fn applied_limit(&self, default: u64) -> Result<u64, ApiError> {
        match u64::from(self.limit) {
            0 => Ok(default),
            limit if limit > MAX_LIMIT => Err(ApiError::zitadel(
                GrpcCode::InvalidArgument,
                "QUERY-4M0fs",
                "Errors.Query.LimitExceeded",
            )),
            limit => Ok(limit),
        }
    }

    /// The page of `items` (already filtered and sorted) under `limit`.
    pub fn slice<T>(&self, items: Vec<T>, limit: u64) -> Vec<T> {
        let offset = usize::try_from(self.offset).unwrap_or(usize::MAX);
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        items.into_iter().skip(offset).take(limit).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_skip_offset_and_take_limit() {
        let page = Page {
            offset: 1,
            limit: 2,
            asc: true,
        };
        let limit = page.applied_limit(100).unwrap();
        assert_eq!(page.slice(vec![1, 2, 3, 4], limit), vec![2, 3]);
    }

    #[test]
    fn a_zero_limit_means_the_default_and_too_large_is_an_error() {
        assert_eq!(Page::default().applied_limit(100).unwrap(), 100);
        let too_large = Page {
            limit: 5000,
            ..Page::default()
        };
        assert_eq!(
            too_large.applied_limit(100).unwrap_err().id(),
            Some("QUERY-4M0fs")
        );
    }
}
