//! The report: findings located by file and document, rendered kubectl-like or as JSON.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use manifest_validation::TransitionRule;
use serde::Serialize;

/// One reason a manifest would be refused, located as precisely as known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The file, or `<stdin>`.
    pub file: String,
    /// The document's position among the file's non-empty documents, from 0; `None` when the
    /// file itself could not be read.
    pub document: Option<usize>,
    /// The document's `kind`.
    pub kind: Option<String>,
    /// The document's `metadata.name`.
    pub name: Option<String>,
    /// The field path, e.g. `spec.machine.credentials.keys[0].name`.
    pub field: Option<String>,
    /// The message without the field, e.g. `Required value`.
    pub message: String,
}

impl Finding {
    /// `file[document]`, or just `file`.
    pub fn location(&self) -> String {
        match self.document {
            Some(index) => format!("{}[{index}]", self.file),
            None => self.file.clone(),
        }
    }

    /// One line: `file[document] Kind "name": field: message`.
    pub fn render(&self) -> String {
        let mut line = self.location();
        if let Some(kind) = &self.kind {
            line.push(' ');
            line.push_str(kind);
            if let Some(name) = &self.name {
                let _ = write!(line, " \"{name}\"");
            }
        }
        line.push_str(": ");
        if let Some(field) = self.field.as_ref().filter(|f| !f.is_empty()) {
            line.push_str(field);
            line.push_str(": ");
        }
        line.push_str(&self.message);
        line
    }
}

/// Everything one run found and counted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Every finding, in input order.
    pub findings: Vec<Finding>,
    /// Documents checked, per kind (`(no kind)` for documents without one).
    pub checked: BTreeMap<String, usize>,
    /// Documents of other API groups, per kind: not checked.
    pub skipped: BTreeMap<String, usize>,
    /// Transition rules of the kinds checked, which cannot run offline.
    pub not_evaluated: BTreeMap<String, Vec<TransitionRule>>,
}

fn counts(map: &BTreeMap<String, usize>) -> String {
    let parts: Vec<String> = map.iter().map(|(k, n)| format!("{k}: {n}")).collect();
    parts.join(", ")
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

impl Report {
    /// Whether nothing was found.
    pub fn is_valid(&self) -> bool {
        self.findings.is_empty()
    }

    /// The closing lines: what was checked, what skipped, what could not be checked.
    pub fn summary(&self) -> String {
        let checked: usize = self.checked.values().sum();
        let skipped: usize = self.skipped.values().sum();
        let mut text = plural(checked, "document checked", "documents checked");
        if checked > 0 {
            let _ = write!(text, " ({})", counts(&self.checked));
        }
        let _ = write!(
            text,
            ", {} of other API groups",
            plural(skipped, "skipped", "skipped")
        );
        if skipped > 0 {
            let _ = write!(text, " ({})", counts(&self.skipped));
        }
        let _ = writeln!(text, ": {}", plural(self.findings.len(), "error", "errors"));
        for (kind, rules) in self.not_evaluated.iter().filter(|(_, r)| !r.is_empty()) {
            let _ = writeln!(
                text,
                "note: {} of {kind} not evaluated: they compare with the stored object, which \
                 offline there is none of; the API server applies them on update:",
                plural(rules.len(), "transition rule", "transition rules"),
            );
            for rule in rules {
                let field = if rule.field.is_empty() {
                    "<root>"
                } else {
                    &rule.field
                };
                let _ = writeln!(
                    text,
                    "  {field}: {}",
                    rule.message.as_deref().unwrap_or(&rule.rule)
                );
            }
        }
        text
    }

    /// The findings, one per line, then the summary.
    pub fn text(&self) -> String {
        let mut text = String::new();
        for finding in &self.findings {
            text.push_str(&finding.render());
            text.push('\n');
        }
        text.push_str(&self.summary());
        text
    }

    /// The findings as a JSON array of `{file, document, kind, name, field, message}`.
    pub fn json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string_pretty(&self.findings).map(|mut json| {
            json.push('\n');
            json
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(kind: Option<&str>, name: Option<&str>, field: Option<&str>) -> Finding {
        Finding {
            file: "f.yaml".into(),
            document: Some(2),
            kind: kind.map(Into::into),
            name: name.map(Into::into),
            field: field.map(Into::into),
            message: "Required value".into(),
        }
    }

    #[test]
    fn findings_render_like_kubectl_with_file_and_document() {
        assert_eq!(
            finding(Some("User"), Some("alice"), Some("spec.x")).render(),
            "f.yaml[2] User \"alice\": spec.x: Required value"
        );
        assert_eq!(
            finding(None, None, Some("kind")).render(),
            "f.yaml[2]: kind: Required value"
        );
    }

    #[test]
    fn the_summary_counts_checked_and_skipped_documents_per_kind() {
        let report = Report {
            findings: vec![finding(None, None, None)],
            checked: BTreeMap::from([("User".into(), 2)]),
            skipped: BTreeMap::from([("Deployment".into(), 1)]),
            not_evaluated: BTreeMap::new(),
        };
        assert_eq!(
            report.summary(),
            "2 documents checked (User: 2), 1 skipped of other API groups (Deployment: 1): 1 error\n"
        );
    }
}
