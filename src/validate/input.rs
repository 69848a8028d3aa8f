//! Reading the inputs: paths to files, directories walked for `*.yaml`/`*.yml`, `-` for stdin;
//! then splitting each into its YAML documents.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// How stdin is named in messages, like kubectl's `STDIN`.
pub const STDIN_NAME: &str = "<stdin>";

/// Why an input could not be read. Reported against the input, not a document.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// The path names nothing.
    #[error("the path \"{0}\" does not exist")]
    NotFound(String),
    /// Reading a file, stdin or a directory failed.
    #[error("cannot read \"{path}\": {source}")]
    Read {
        /// The file or directory as given or found.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// One input's text, or why there is none.
#[derive(Debug)]
pub struct Input {
    /// The file as named in messages ([`STDIN_NAME`] for `-`).
    pub file: String,
    /// The whole text.
    pub text: Result<String, InputError>,
}

/// One YAML document of an input.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// The file as named in messages.
    pub file: String,
    /// Position among the input's non-empty documents, from 0.
    pub index: usize,
    /// The parsed document, or the YAML parser's complaint.
    pub content: Result<Value, String>,
}

fn is_manifest(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e == "yaml" || e == "yml")
}

fn read_error(path: &Path, source: std::io::Error) -> InputError {
    InputError::Read {
        path: path.display().to_string(),
        source,
    }
}

/// The manifest files of a directory in name order; subdirectories too when `recursive`.
fn walk(dir: &Path, recursive: bool, files: &mut Vec<Result<PathBuf, InputError>>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) => return files.push(Err(read_error(dir, error))),
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            if recursive {
                walk(&path, recursive, files);
            }
        } else if is_manifest(&path) {
            files.push(Ok(path));
        }
    }
}

/// Read every input named by `paths` (`-` reads `stdin`, once, however often it is named).
/// Files named explicitly are read whatever their extension; directories contribute their
/// `*.yaml` and `*.yml` files, and those of subdirectories when `recursive`.
pub fn collect(paths: &[String], recursive: bool, stdin: &mut dyn Read) -> Vec<Input> {
    let mut inputs = Vec::new();
    let mut stdin_read = false;
    for given in paths {
        if given == "-" {
            if !std::mem::replace(&mut stdin_read, true) {
                let mut text = String::new();
                let text = stdin
                    .read_to_string(&mut text)
                    .map(|_| text)
                    .map_err(|source| InputError::Read {
                        path: STDIN_NAME.into(),
                        source,
                    });
                inputs.push(Input {
                    file: STDIN_NAME.into(),
                    text,
                });
            }
            continue;
        }
        let path = Path::new(given);
        let mut files = Vec::new();
        if path.is_dir() {
            walk(path, recursive, &mut files);
        } else if path.exists() {
            files.push(Ok(path.to_path_buf()));
        } else {
            files.push(Err(InputError::NotFound(given.clone())));
        }
        for file in files {
            inputs.push(match file {
                Ok(file) => Input {
                    file: file.display().to_string(),
                    text: std::fs::read_to_string(&file).map_err(|e| read_error(&file, e)),
                },
                Err(error) => Input {
                    file: given.clone(),
                    text: Err(error),
                },
            });
        }
    }
    inputs
}

/// Whether a line starts a new document: `---` alone or followed by a space or tab.
fn document_start(line: &str) -> Option<&str> {
    let rest = line.strip_prefix("---")?;
    (rest.is_empty() || rest.starts_with([' ', '\t'])).then_some(rest)
}

/// Whether a document has anything besides comments, blank lines and directives.
fn has_content(text: &str) -> bool {
    text.lines().any(|line| {
        let line = line.trim();
        !line.is_empty() && !line.starts_with('#') && !line.starts_with('%')
    })
}

/// Split `text` into its documents at `---` lines (and `...` document ends), then parse each on
/// its own, so a broken document does not hide the others. Documents with nothing but comments
/// (Helm renders those for empty templates) are left out and not counted.
pub fn split(file: &str, text: &str) -> Vec<Document> {
    let mut chunks: Vec<(usize, String)> = vec![(1, String::new())];
    for (number, line) in text.lines().enumerate() {
        let line_number = number + 1;
        if let Some(rest) = document_start(line) {
            chunks.push((line_number, format!("{rest}\n")));
        } else if line == "..." || line.starts_with("... ") {
            chunks.push((line_number + 1, String::new()));
        } else if let Some((_, chunk)) = chunks.last_mut() {
            chunk.push_str(line);
            chunk.push('\n');
        }
    }
    chunks
        .into_iter()
        .filter(|(_, chunk)| has_content(chunk))
        .enumerate()
        .map(|(index, (line, chunk))| Document {
            file: file.to_string(),
            index,
            content: parse(line, &chunk),
        })
        .collect()
}

/// Parse one document that starts at `line` of its file. Blank lines in front make the
/// parser's line numbers those of the file.
fn parse(line: usize, chunk: &str) -> Result<Value, String> {
    let padded = format!("{}{chunk}", "\n".repeat(line.saturating_sub(1)));
    let options = serde_saphyr::options! { with_snippet: false };
    serde_saphyr::from_str_with_options::<Value>(&padded, options).map_err(|error| {
        let error = error.to_string();
        let error = error.strip_prefix("error: ").unwrap_or(&error);
        format!("invalid YAML: {}", error.trim_end())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn contents(text: &str) -> Vec<Result<Value, String>> {
        split("f.yaml", text)
            .into_iter()
            .map(|d| d.content)
            .collect()
    }

    #[test]
    fn documents_are_split_at_separator_lines_and_empty_ones_are_not_counted() {
        let text = "---\n# Source: chart/empty.yaml\n---\na: 1\n--- \nb: |\n  ---\n  x\n...\n";
        assert_eq!(
            contents(text),
            vec![Ok(json!({"a": 1})), Ok(json!({"b": "---\nx\n"}))]
        );
    }

    #[test]
    fn a_broken_document_is_reported_alone_with_its_line() {
        let docs = split("f.yaml", "a: 1\n---\nb: [\n---\nc: 3\n");
        assert_eq!(docs.len(), 3);
        assert!(docs[0].content.is_ok());
        let error = docs[1]
            .content
            .as_ref()
            .expect_err("unclosed flow sequence");
        assert!(error.ends_with("at line 3, column 4"), "{error}");
        assert_eq!(docs[2].index, 2);
        assert_eq!(docs[2].content, Ok(json!({"c": 3})));
    }

    #[test]
    fn stdin_is_read_once_however_often_it_is_named() {
        let mut stdin = "a: 1\n".as_bytes();
        let inputs = collect(&["-".into(), "-".into()], false, &mut stdin);
        assert_eq!(inputs.len(), 1);
        assert_eq!(inputs[0].file, STDIN_NAME);
    }

    #[test]
    fn a_missing_path_is_an_input_error() {
        let inputs = collect(&["/no/such/file.yaml".into()], false, &mut "".as_bytes());
        assert!(matches!(inputs[0].text, Err(InputError::NotFound(_))));
    }
}
