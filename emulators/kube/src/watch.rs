//! `?watch=true`: newline-delimited JSON watch events.
//!
//! From a given resourceVersion, changes are replayed from the bounded history (410 Gone if it
//! does not reach back that far); without one (or with `0`, or `sendInitialEvents=true`) the
//! current objects are sent as ADDED first. Selector watches turn objects entering or leaving
//! the selection into ADDED / DELETED. Bookmarks carry the latest resourceVersion the stream has
//! caught up with. A watch lasts `timeoutSeconds` (default 30 minutes).

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc};

use crate::selectors::Selection;
use crate::server::Shared;
use crate::state::Target;
use crate::status::ApiError;
use crate::store::{Change, EventType};
use crate::table;

/// The watch query parameters.
#[derive(Debug, Clone, Default)]
pub struct WatchParams {
    /// `resourceVersion`; `None`, empty or `0` mean "from now, with the current state first".
    pub resource_version: Option<String>,
    /// Label and field selectors.
    pub selection: Selection,
    /// `timeoutSeconds`.
    pub timeout: Option<Duration>,
    /// `allowWatchBookmarks=true`.
    pub bookmarks: bool,
    /// `sendInitialEvents=true` (streaming lists).
    pub send_initial_events: bool,
    /// Send each object as a one-row Table (`kubectl get -w`), with this `includeObject`.
    pub table: Option<Option<String>>,
}

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1800);

fn line(event: &str, object: Value) -> String {
    let mut text = json!({"type": event, "object": object}).to_string();
    text.push('\n');
    text
}

struct Filter {
    target: Target,
    selection: Selection,
    table: Option<Option<String>>,
}

impl Filter {
    fn in_scope(&self, change: &Change) -> bool {
        let (group, resource) = self.target.storage_resource();
        change.key.group == group
            && change.key.resource == resource
            && self
                .target
                .namespace
                .as_deref()
                .is_none_or(|ns| change.key.namespace == ns)
    }

    /// The event line this watch sends for `change`, if any.
    fn render(&self, change: &Change) -> Option<String> {
        if !self.in_scope(change) {
            return None;
        }
        // Without a selector every object matches; presenting copies it, so skip that.
        let matches = |object: &Value| {
            self.selection.is_empty()
                || self.selection.matches(&self.target.present(object.clone()))
        };
        let now = matches(&change.object);
        let before = change.previous.as_ref().map(matches);
        let event = match (change.event, before, now) {
            (EventType::Modified, Some(true), true) => EventType::Modified,
            (EventType::Modified, Some(false), true) => EventType::Added,
            (EventType::Modified, Some(true), false) => EventType::Deleted,
            (EventType::Modified, _, _) => return None,
            (other, _, true) => other,
            (_, _, false) => return None,
        };
        Some(line(event.as_str(), self.shape(change.object.clone())))
    }

    /// The object as sent: presented at the watched version, as a Table row if asked.
    fn shape(&self, object: Value) -> Value {
        let object = self.target.present(object);
        match &self.table {
            Some(include) => {
                let rv = object
                    .pointer("/metadata/resourceVersion")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                table::table(&self.target, &[object], &rv, include.as_deref())
            }
            None => object,
        }
    }

    fn bookmark(&self, rv: u64, initial_events_end: bool) -> String {
        let mut metadata = json!({"resourceVersion": rv.to_string()});
        if initial_events_end {
            metadata["annotations"] = json!({"k8s.io/initial-events-end": "true"});
        }
        line(
            "BOOKMARK",
            json!({
                "kind": self.target.rt.kind,
                "apiVersion": self.target.rt.api_version(&self.target.version),
                "metadata": metadata,
            }),
        )
    }
}

fn gone(message: String) -> String {
    line("ERROR", ApiError::gone(message).to_status())
}

/// Start a watch; the response body streams until timeout, client disconnect or shutdown.
pub fn start(shared: Arc<Shared>, target: Target, params: WatchParams) -> Result<Body, ApiError> {
    let requested = match params.resource_version.as_deref() {
        None | Some("") | Some("0") => None,
        Some(rv) => Some(
            rv.parse::<u64>()
                .map_err(|_| ApiError::bad_request(format!("invalid resource version {rv:?}")))?,
        ),
    };
    let filter = Filter {
        target,
        selection: params.selection.clone(),
        table: params.table.clone(),
    };
    let (initial, receiver, start_rv) = {
        let state = shared.lock_state();
        let current = state.store.resource_version();
        match requested.filter(|_| !params.send_initial_events) {
            Some(rv) => match state.store.subscribe_after(rv) {
                Ok(subscription) => {
                    let lines = subscription
                        .replay
                        .iter()
                        .filter_map(|c| filter.render(c))
                        .collect();
                    (lines, Some(subscription.receiver), current)
                }
                Err(too_old) => (vec![gone(too_old.to_string())], None, current),
            },
            None => {
                let t = &filter.target;
                let (group, resource) = t.storage_resource();
                let mut lines: Vec<String> = state
                    .store
                    .list(group, resource, t.namespace.as_deref())
                    .map(|(_, e)| t.present(e.object.clone()))
                    .filter(|o| filter.selection.matches(o))
                    .map(|o| line("ADDED", filter.shape(o)))
                    .collect();
                if params.send_initial_events {
                    lines.push(filter.bookmark(current, true));
                }
                let subscription = state
                    .store
                    .subscribe_after(current)
                    .map_err(|e| ApiError::gone(e.to_string()))?;
                (lines, Some(subscription.receiver), current)
            }
        }
    };
    let (sender, body_receiver) = mpsc::channel::<Result<String, Infallible>>(64);
    let timeout = params.timeout.unwrap_or(DEFAULT_TIMEOUT);
    let bookmarks = params.bookmarks;
    tokio::spawn(async move {
        for text in initial {
            if sender.send(Ok(text)).await.is_err() {
                return;
            }
        }
        if let Some(receiver) = receiver {
            let stream = Stream {
                shared,
                filter,
                receiver,
                sender,
                last_rv: start_rv,
            };
            stream.run(timeout, bookmarks).await;
        }
    });
    let stream = futures::stream::unfold(body_receiver, |mut receiver| async move {
        receiver.recv().await.map(|item| (item, receiver))
    });
    Ok(Body::from_stream(stream))
}

struct Stream {
    shared: Arc<Shared>,
    filter: Filter,
    receiver: broadcast::Receiver<Arc<Change>>,
    sender: mpsc::Sender<Result<String, Infallible>>,
    last_rv: u64,
}

impl Stream {
    /// Send the change if it concerns this watch; false when the client is gone.
    async fn forward(&mut self, change: &Change) -> bool {
        self.last_rv = self.last_rv.max(change.rv);
        match self.filter.render(change) {
            Some(text) => self.sender.send(Ok(text)).await.is_ok(),
            None => true,
        }
    }

    async fn lagged(&self) {
        let message = "the watch fell too far behind; too old resource version".to_string();
        // The stream ends right after, whether or not the client still listens.
        let _ = self.sender.send(Ok(gone(message))).await;
    }

    /// Catch up with everything already written, then send a bookmark.
    async fn bookmark(&mut self) -> bool {
        let current = self.shared.lock_state().store.resource_version();
        loop {
            match self.receiver.try_recv() {
                Ok(change) => {
                    if !self.forward(&change).await {
                        return false;
                    }
                }
                Err(broadcast::error::TryRecvError::Empty) => break,
                Err(broadcast::error::TryRecvError::Lagged(_)) => {
                    self.lagged().await;
                    return false;
                }
                Err(broadcast::error::TryRecvError::Closed) => return false,
            }
        }
        self.last_rv = self.last_rv.max(current);
        let text = self.filter.bookmark(self.last_rv, false);
        self.sender.send(Ok(text)).await.is_ok()
    }

    async fn run(mut self, timeout: Duration, bookmarks: bool) {
        let mut shutdown = self.shared.shutdown_signal();
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(deadline);
        let period = self
            .shared
            .config
            .bookmark_interval
            .max(Duration::from_millis(1));
        let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        loop {
            tokio::select! {
                _ = &mut deadline => return,
                _ = shutdown.changed() => return,
                _ = self.sender.closed() => return,
                _ = ticker.tick(), if bookmarks => {
                    if !self.bookmark().await {
                        return;
                    }
                }
                received = self.receiver.recv() => match received {
                    Ok(change) => {
                        if !self.forward(&change).await {
                            return;
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        self.lagged().await;
                        return;
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::Registry;

    fn filter(table: Option<Option<String>>) -> Filter {
        let rt = Registry::default()
            .get("", "secrets")
            .expect("secrets are built in");
        Filter {
            target: Target {
                rt,
                version: "v1".into(),
                namespace: Some("default".into()),
                name: None,
                subresource: None,
            },
            selection: Selection::default(),
            table,
        }
    }

    #[test]
    fn kubectl_watches_get_each_object_as_a_one_row_table() {
        let object = json!({"metadata": {"name": "s", "resourceVersion": "7"}});
        let shaped = filter(Some(None)).shape(object.clone());
        assert_eq!(shaped["kind"], "Table");
        assert_eq!(shaped["rows"][0]["cells"][0], "s");
        assert_eq!(shaped["metadata"]["resourceVersion"], "7");
        assert_eq!(filter(None).shape(object)["kind"], "Secret");
    }

    #[test]
    fn a_bookmark_can_mark_the_end_of_initial_events() {
        let bookmark: Value = serde_json::from_str(&filter(None).bookmark(9, true)).unwrap();
        assert_eq!(bookmark["type"], "BOOKMARK");
        assert_eq!(bookmark["object"]["metadata"]["resourceVersion"], "9");
        assert_eq!(
            bookmark["object"]["metadata"]["annotations"]["k8s.io/initial-events-end"],
            "true"
        );
    }
}
