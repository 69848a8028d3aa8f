//! JSON log lines with span fields flattened to the top level.
//!
//! Log queries are much simpler when every line of a reconcile carries `namespace`, `name` and
//! `user_id` directly, so this formatter merges the fields of all enclosing spans (outermost
//! first, inner spans win) and then the event's own fields into one flat object.
//!
//! Why not `tracing-subscriber`'s own `.json().flatten_event(true)` (checked with 0.3.23): it
//! flattens only the event's fields and nests span fields under `span` / `spans`, and
//! - it writes each span's name as a `name` key after the span's fields, so the reconcile span's
//!   `name` field (the `User`'s name) is followed by a second `name` key holding `"reconcile"`;
//!   JSON parsers keep the last duplicate, and the `User`'s name is lost;
//! - `span` is only the innermost span: inside a kube-client request span the reconcile
//!   fields are only in the `spans` array, which log queries cannot address by key.
//!
//! Fields recorded later with `Span::record` (the reconcile span's `user_id`) are not the
//! problem: both formatters read the same `JsonFields` the fmt layer keeps up to date.

use std::fmt;

use serde_json::{Map, Value};
use tracing::{
    Event, Subscriber,
    field::{Field, Visit},
};
use tracing_subscriber::{
    Layer,
    fmt::{
        FmtContext, FormatEvent, FormattedFields, MakeWriter,
        format::{JsonFields, Writer},
    },
    registry::LookupSpan,
};

/// Event formatter producing one flat JSON object per line.
///
/// Keys: `timestamp` (RFC 3339, UTC), `level`, `target`, `span` (innermost span name, if any),
/// `message`, then every span and event field by name.
#[derive(Debug, Clone, Copy, Default)]
pub struct FlatJson;

/// A formatting layer writing [`FlatJson`] lines to `writer`.
pub fn json_layer<S, W>(writer: W) -> impl Layer<S>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt::layer()
        // Span fields are stored as JSON text, which `FlatJson` parses back to merge them.
        .fmt_fields(JsonFields::new())
        .event_format(FlatJson)
        .with_writer(writer)
}

impl<S> FormatEvent<S, JsonFields> for FlatJson
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, JsonFields>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut line = Map::new();
        if let Some(scope) = ctx.event_scope() {
            for span in scope.from_root() {
                let extensions = span.extensions();
                let stored = extensions
                    .get::<FormattedFields<JsonFields>>()
                    .and_then(|f| serde_json::from_str::<Map<String, Value>>(&f.fields).ok());
                if let Some(fields) = stored {
                    line.extend(fields);
                }
            }
        }
        event.record(&mut FieldVisitor(&mut line));

        let metadata = event.metadata();
        line.insert(
            "timestamp".into(),
            jiff::Timestamp::now().to_string().into(),
        );
        line.insert("level".into(), metadata.level().as_str().into());
        line.insert("target".into(), metadata.target().into());
        if let Some(span) = ctx.event_scope().and_then(|mut scope| scope.next()) {
            line.insert("span".into(), span.name().into());
        }

        let encoded = serde_json::to_string(&line).map_err(|_| fmt::Error)?;
        writeln!(writer, "{encoded}")
    }
}

/// Records event fields as JSON values, keeping numbers and booleans typed.
struct FieldVisitor<'a>(&'a mut Map<String, Value>);

impl FieldVisitor<'_> {
    fn insert(&mut self, field: &Field, value: impl Into<Value>) {
        self.0.insert(field.name().to_owned(), value.into());
    }
}

impl Visit for FieldVisitor<'_> {
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.insert(field, value);
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.insert(field, value);
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.insert(field, value);
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.insert(field, value);
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.insert(field, value);
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.insert(field, value.to_string());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        // `message` arrives as `fmt::Arguments`, whose Debug output is the plain text.
        self.insert(field, format!("{value:?}"));
    }
}

#[cfg(test)]
mod tests {
    use std::{
        io,
        sync::{Arc, Mutex, PoisonError},
    };

    use tracing_subscriber::layer::SubscriberExt;

    use super::*;

    /// Collects everything written by the layer.
    #[derive(Clone, Default)]
    struct Capture(Arc<Mutex<Vec<u8>>>);

    impl Capture {
        fn lines(&self) -> Vec<Map<String, Value>> {
            let bytes = self.0.lock().unwrap_or_else(PoisonError::into_inner);
            String::from_utf8_lossy(&bytes)
                .lines()
                .map(|line| serde_json::from_str(line).expect("every line is a JSON object"))
                .collect()
        }
    }

    impl io::Write for Capture {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl<'w> MakeWriter<'w> for Capture {
        type Writer = Self;

        fn make_writer(&'w self) -> Self::Writer {
            self.clone()
        }
    }

    /// Runs `emit` with a JSON subscriber and returns the captured lines.
    fn capture(emit: impl FnOnce()) -> Vec<Map<String, Value>> {
        let capture = Capture::default();
        let subscriber = tracing_subscriber::registry().with(json_layer(capture.clone()));
        tracing::subscriber::with_default(subscriber, emit);
        capture.lines()
    }

    #[test]
    fn event_lines_carry_the_fields_of_the_enclosing_reconcile_span() {
        let lines = capture(|| {
            let span = tracing::info_span!(
                "reconcile",
                namespace = "team-a",
                name = "alice",
                user_id = tracing::field::Empty
            );
            let _entered = span.enter();
            span.record("user_id", "2749");
            tracing::info!(attempt = 3_u64, "user is up to date");
        });

        assert_eq!(lines.len(), 1);
        let line = &lines[0];
        assert_eq!(line["namespace"], "team-a");
        assert_eq!(line["name"], "alice");
        assert_eq!(line["user_id"], "2749");
        assert_eq!(line["attempt"], 3);
        assert_eq!(line["message"], "user is up to date");
        assert_eq!(line["level"], "INFO");
        assert_eq!(line["span"], "reconcile");
        assert!(
            line["target"]
                .as_str()
                .is_some_and(|t| t.contains("telemetry"))
        );
        let timestamp = line["timestamp"].as_str().unwrap();
        assert!(timestamp.parse::<jiff::Timestamp>().is_ok(), "{timestamp}");
    }

    #[test]
    fn inner_span_fields_override_outer_ones_and_event_fields_override_both() {
        let lines = capture(|| {
            let outer = tracing::info_span!("outer", step = "outer", namespace = "team-a");
            let _outer = outer.enter();
            let inner = tracing::info_span!("inner", step = "inner", phase = "apply");
            let _inner = inner.enter();
            tracing::warn!(phase = "status", "done");
        });

        let line = &lines[0];
        assert_eq!(line["namespace"], "team-a");
        assert_eq!(line["step"], "inner");
        assert_eq!(line["phase"], "status");
        assert_eq!(line["span"], "inner");
        assert_eq!(line["level"], "WARN");
    }

    #[test]
    fn events_outside_any_span_have_no_span_key() {
        let lines = capture(|| tracing::error!(ok = false, "boom"));
        assert_eq!(lines[0]["ok"], false);
        assert!(!lines[0].contains_key("span"));
    }
}
