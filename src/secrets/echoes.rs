//! The watch events of the operator's own Secret writes.
//!
//! Every create or replace of an owned Secret comes back on the Secret watch, and the watch
//! maps it to a reconcile of the owning `User`. That reconcile can learn nothing: the one that
//! wrote the Secret already holds what it wrote. So each write's `resourceVersion` is recorded
//! here until its event comes back, and that event starts no reconcile. Any other version of
//! the Secret (an edit or a deletion by someone else) starts one as before.
//!
//! The event can arrive before the write's response: the API server has applied the write by
//! then. An event for a Secret with a write in flight therefore waits for that write's answer
//! before it is told apart, which holds back only the Secret watch, and only for the rest of a
//! request that has already been served.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};

use k8s_openapi::api::core::v1::Secret;
use kube::api::ObjectMeta;
use kube::runtime::reflector::ObjectRef;
use tokio::sync::Notify;

/// The operator's writes to its Secrets, from the request until the watch event of the result.
#[derive(Default)]
pub struct OwnWrites {
    secrets: Mutex<HashMap<ObjectRef<Secret>, Writes>>,
    /// Woken whenever a write ends.
    answered: Notify,
}

/// One Secret's writes whose watch events have not come back.
#[derive(Default)]
struct Writes {
    in_flight: usize,
    /// The `resourceVersion` of the latest answered write.
    latest: Option<String>,
}

impl OwnWrites {
    /// Records that a write of the Secret `name` in `namespace` is being sent. Dropping the
    /// guard without [`InFlight::answered`] records that it failed.
    pub fn start(self: &Arc<Self>, namespace: &str, name: &str) -> InFlight {
        let key = ObjectRef::new(name).within(namespace);
        self.lock().entry(key.clone()).or_default().in_flight += 1;
        InFlight {
            writes: self.clone(),
            key,
            written: None,
        }
    }

    /// Whether the watched Secret `seen` is exactly what the operator last wrote (each write is
    /// an echo once). Waits while a write of that Secret is in flight.
    pub fn is_echo(self: &Arc<Self>, seen: &ObjectMeta) -> impl Future<Output = bool> + use<> {
        let writes = self.clone();
        let seen = key(seen).zip(seen.resource_version.clone());
        async move {
            let Some((key, version)) = seen else {
                return false;
            };
            loop {
                // Registered under the lock, so an answer that comes after the check wakes it.
                let answered = writes.answered.notified();
                {
                    let mut secrets = writes.lock();
                    let Some(entry) = secrets.get_mut(&key) else {
                        return false;
                    };
                    if entry.latest.as_ref() == Some(&version) {
                        entry.latest = None;
                        if entry.in_flight == 0 {
                            secrets.remove(&key);
                        }
                        return true;
                    }
                    if entry.in_flight == 0 {
                        return false;
                    }
                }
                answered.await;
            }
        }
    }

    fn end(&self, key: &ObjectRef<Secret>, version: Option<String>) {
        let mut secrets = self.lock();
        if let Some(entry) = secrets.get_mut(key) {
            entry.in_flight = entry.in_flight.saturating_sub(1);
            if version.is_some() {
                entry.latest = version;
            }
            if entry.in_flight == 0 && entry.latest.is_none() {
                secrets.remove(key);
            }
        }
        drop(secrets);
        self.answered.notify_waiters();
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<ObjectRef<Secret>, Writes>> {
        self.secrets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A write of one Secret between request and answer.
pub struct InFlight {
    writes: Arc<OwnWrites>,
    key: ObjectRef<Secret>,
    /// The `resourceVersion` the write produced, once answered.
    written: Option<String>,
}

impl InFlight {
    /// Records the Secret as the API server returned it after the write.
    pub fn answered(mut self, written: &ObjectMeta) {
        self.written = written.resource_version.clone();
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.writes.end(&self.key, self.written.take());
    }
}

fn key(meta: &ObjectMeta) -> Option<ObjectRef<Secret>> {
    let name = meta.name.as_deref()?;
    Some(ObjectRef::new(name).within(meta.namespace.as_deref()?))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    const NAMESPACE: &str = "team-a";
    const NAME: &str = "alice-zitadel";

    fn seen(namespace: &str, name: &str, version: &str) -> ObjectMeta {
        ObjectMeta {
            namespace: Some(namespace.to_owned()),
            name: Some(name.to_owned()),
            resource_version: Some(version.to_owned()),
            ..ObjectMeta::default()
        }
    }

    fn write(writes: &Arc<OwnWrites>, version: &str) {
        writes
            .start(NAMESPACE, NAME)
            .answered(&seen(NAMESPACE, NAME, version));
    }

    #[tokio::test]
    async fn the_event_of_an_answered_write_is_an_echo_once() {
        let writes = Arc::new(OwnWrites::default());
        write(&writes, "7");

        assert!(writes.is_echo(&seen(NAMESPACE, NAME, "7")).await);
        assert!(!writes.is_echo(&seen(NAMESPACE, NAME, "7")).await);
        assert!(writes.lock().is_empty(), "nothing is kept after the echo");
    }

    #[tokio::test]
    async fn another_version_or_another_secret_is_no_echo() {
        let writes = Arc::new(OwnWrites::default());
        write(&writes, "7");

        assert!(!writes.is_echo(&seen(NAMESPACE, NAME, "8")).await);
        assert!(!writes.is_echo(&seen("team-b", NAME, "7")).await);
        assert!(!writes.is_echo(&seen(NAMESPACE, "bob-zitadel", "7")).await);
        // An event of another version leaves the record for the write's own event.
        assert!(writes.is_echo(&seen(NAMESPACE, NAME, "7")).await);
    }

    #[tokio::test]
    async fn only_the_latest_write_of_a_secret_is_an_echo() {
        let writes = Arc::new(OwnWrites::default());
        write(&writes, "7");
        write(&writes, "9");

        assert!(!writes.is_echo(&seen(NAMESPACE, NAME, "7")).await);
        assert!(writes.is_echo(&seen(NAMESPACE, NAME, "9")).await);
    }

    #[tokio::test]
    async fn an_event_that_overtakes_the_answer_waits_for_it() {
        let writes = Arc::new(OwnWrites::default());
        let in_flight = writes.start(NAMESPACE, NAME);
        let echo = tokio::spawn(writes.is_echo(&seen(NAMESPACE, NAME, "7")));
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!echo.is_finished(), "told apart before the answer");

        in_flight.answered(&seen(NAMESPACE, NAME, "7"));

        assert!(echo.await.unwrap());
    }

    #[tokio::test]
    async fn a_failed_write_leaves_the_event_to_start_a_reconcile() {
        let writes = Arc::new(OwnWrites::default());
        let in_flight = writes.start(NAMESPACE, NAME);
        let event = tokio::spawn(writes.is_echo(&seen(NAMESPACE, NAME, "7")));

        drop(in_flight);

        assert!(!event.await.unwrap());
        assert!(writes.lock().is_empty(), "nothing is kept after a failure");
    }
}
