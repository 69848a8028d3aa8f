//! The eventually consistent user projection ListUsers reads (ZITADEL does not trigger it).

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use super::users::EmulatedUser;

/// Users as ListUsers sees them: every write is queued with its time and applied only once it is
/// older than the configured delay.
#[derive(Debug, Default)]
pub struct Projection {
    applied: BTreeMap<String, EmulatedUser>,
    pending: VecDeque<(Instant, String, Option<EmulatedUser>)>,
}

impl Projection {
    /// Queues a user's new version (`None` = deleted).
    pub fn record(&mut self, user_id: &str, user: Option<EmulatedUser>) {
        self.pending
            .push_back((Instant::now(), user_id.to_owned(), user));
    }

    /// Applies the writes at least `delay` old and returns the projected users.
    pub fn catch_up(&mut self, delay: Duration) -> &BTreeMap<String, EmulatedUser> {
        let now = Instant::now();
        while let Some((at, _, _)) = self.pending.front() {
            if now.duration_since(*at) < delay {
                break;
            }
            let Some((_, id, user)) = self.pending.pop_front() else {
                break;
            };
            match user {
                Some(user) => self.applied.insert(id, user),
                None => self.applied.remove(&id),
            };
        }
        &self.applied
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protojson::enums::UserState;
    use crate::state::users::{Machine, UserKind};
    use jiff::Timestamp;

    fn user(id: &str) -> EmulatedUser {
        EmulatedUser {
            id: id.to_owned(),
            organization_id: "org".to_owned(),
            username: id.to_owned(),
            state: UserState::Active,
            kind: UserKind::Machine(Machine::default()),
            metadata: Default::default(),
            creation_date: Timestamp::now(),
            change_date: Timestamp::now(),
            sequence: 1,
        }
    }

    #[test]
    fn writes_become_visible_only_after_the_delay() {
        let mut projection = Projection::default();
        projection.record("a", Some(user("a")));
        assert!(projection.catch_up(Duration::from_secs(60)).is_empty());
        assert!(projection.catch_up(Duration::ZERO).contains_key("a"));
    }

    #[test]
    fn deletes_are_projected_like_any_write() {
        let mut projection = Projection::default();
        projection.record("a", Some(user("a")));
        projection.record("a", None);
        assert!(projection.catch_up(Duration::ZERO).is_empty());
    }
}
