//! Personal access tokens (contract §10.1), from a file or held in memory.
//!
//! A file is typically a mounted Kubernetes Secret that gets rotated in place, so it is
//! re-read whenever its mtime or length changes (one `stat` per request) and after a 401.
//! An in-memory value is fixed for the client's lifetime: whoever holds it (the operator,
//! reading a Secret through the API) builds a new client when it changes, so a 401 has no
//! replacement to retry with.

use std::path::PathBuf;
use std::time::SystemTime;

use tokio::sync::Mutex;

use super::error::AuthError;
use crate::sensitive::Sensitive;

/// Identity of a file version, cheap to compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileStamp {
    modified: Option<SystemTime>,
    len: u64,
}

#[derive(Debug)]
struct CachedPat {
    token: Sensitive<String>,
    stamp: FileStamp,
}

/// Where the PAT comes from.
#[derive(Debug)]
pub(crate) enum PatSource {
    /// A file, re-read when it changes and after a 401.
    File(PatFile),
    /// A fixed, already trimmed and non-empty value.
    Value(Sensitive<String>),
}

impl PatSource {
    /// A source for the token in `path` (read lazily, on first use).
    pub(crate) fn file(path: PathBuf) -> Self {
        Self::File(PatFile::new(path))
    }

    /// A source for a token held in memory. Checked here rather than on first use: there is
    /// no file that could still appear or change, so an empty value can never become usable.
    pub(crate) fn value(token: &Sensitive<String>) -> Result<Self, AuthError> {
        // Trimmed like the file, since Secret values written with `--from-file` or by editors
        // often end in a newline, which ZITADEL would reject as part of the token.
        let trimmed = token.expose().trim();
        if trimmed.is_empty() {
            return Err(AuthError::TokenEmpty);
        }
        Ok(Self::Value(Sensitive::new(trimmed.to_owned())))
    }

    /// The token to send.
    pub(crate) async fn token(&self) -> Result<Sensitive<String>, AuthError> {
        match self {
            Self::File(file) => file.token().await,
            Self::Value(token) => Ok(token.clone()),
        }
    }

    /// After `rejected` got a 401: a different token to retry once with, or `None`.
    pub(crate) async fn replace_rejected(
        &self,
        rejected: &Sensitive<String>,
    ) -> Result<Option<Sensitive<String>>, AuthError> {
        match self {
            Self::File(file) => file.replace_rejected(rejected).await,
            // A fixed value has nothing newer; retrying with the same token would only
            // double the load on ZITADEL and the time to the error.
            Self::Value(_) => Ok(None),
        }
    }
}

/// A PAT file, cached until it changes.
#[derive(Debug)]
pub(crate) struct PatFile {
    path: PathBuf,
    cached: Mutex<Option<CachedPat>>,
}

impl PatFile {
    fn new(path: PathBuf) -> Self {
        Self {
            path,
            cached: Mutex::new(None),
        }
    }

    /// The current token, re-read if the file changed since the last read.
    pub(crate) async fn token(&self) -> Result<Sensitive<String>, AuthError> {
        let stamp = self.stamp().await?;
        let mut cached = self.cached.lock().await;
        if let Some(current) = cached.as_ref().filter(|c| c.stamp == stamp) {
            return Ok(current.token.clone());
        }
        let token = self.read().await?;
        *cached = Some(CachedPat {
            token: token.clone(),
            stamp,
        });
        Ok(token)
    }

    /// After `rejected` got a 401: re-read the file and return the new token if it differs
    /// (so the caller retries once), `None` if the file still holds the rejected token.
    pub(crate) async fn replace_rejected(
        &self,
        rejected: &Sensitive<String>,
    ) -> Result<Option<Sensitive<String>>, AuthError> {
        let stamp = self.stamp().await?;
        let mut cached = self.cached.lock().await;
        let token = self.read().await?;
        *cached = Some(CachedPat {
            token: token.clone(),
            stamp,
        });
        Ok((token != *rejected).then_some(token))
    }

    async fn stamp(&self) -> Result<FileStamp, AuthError> {
        let metadata = tokio::fs::metadata(&self.path)
            .await
            .map_err(|source| self.unreadable(source))?;
        Ok(FileStamp {
            modified: metadata.modified().ok(),
            len: metadata.len(),
        })
    }

    async fn read(&self) -> Result<Sensitive<String>, AuthError> {
        let content = tokio::fs::read_to_string(&self.path)
            .await
            .map_err(|source| self.unreadable(source))?;
        let token = content.trim();
        if token.is_empty() {
            return Err(AuthError::TokenFileEmpty {
                path: self.path.clone(),
            });
        }
        Ok(Sensitive::new(token.to_owned()))
    }

    fn unreadable(&self, source: std::io::Error) -> AuthError {
        AuthError::TokenFileUnreadable {
            path: self.path.clone(),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use tempfile::TempDir;

    use super::*;

    /// A PAT file in a fresh temp dir (removed with the dir).
    struct TempPat {
        _dir: TempDir,
        path: PathBuf,
    }

    impl TempPat {
        fn new(content: &str) -> Self {
            let dir = TempDir::new().unwrap();
            let path = dir.path().join("pat");
            let file = Self { _dir: dir, path };
            file.write(content);
            file
        }

        fn write(&self, content: &str) {
            std::fs::write(&self.path, content).unwrap();
        }

        fn source(&self) -> PatSource {
            PatSource::file(self.path.clone())
        }
    }

    #[tokio::test]
    async fn the_token_is_trimmed() {
        let file = TempPat::new("  pat-one\n");
        assert_eq!(file.source().token().await.unwrap().expose(), "pat-one");
    }

    #[tokio::test]
    async fn a_rewritten_file_of_another_length_is_picked_up() {
        let file = TempPat::new("pat-one");
        let source = file.source();
        assert_eq!(source.token().await.unwrap().expose(), "pat-one");
        file.write("pat-number-two");
        assert_eq!(source.token().await.unwrap().expose(), "pat-number-two");
    }

    #[tokio::test]
    async fn after_a_401_a_changed_file_yields_a_new_token_and_an_unchanged_one_none() {
        let file = TempPat::new("pat-one");
        let source = file.source();
        let rejected = source.token().await.unwrap();
        assert_eq!(source.replace_rejected(&rejected).await.unwrap(), None);
        file.write("pat-two");
        let replaced = source.replace_rejected(&rejected).await.unwrap();
        assert_eq!(replaced.unwrap().expose(), "pat-two");
    }

    #[tokio::test]
    async fn a_missing_or_blank_file_is_an_auth_error_naming_the_path() {
        let missing = PatSource::file(PathBuf::from("/nonexistent/zitadel-pat"));
        let err = missing.token().await.unwrap_err();
        assert!(matches!(err, AuthError::TokenFileUnreadable { .. }));
        assert!(err.to_string().contains("/nonexistent/zitadel-pat"));

        let blank = TempPat::new(" \n");
        let err = blank.source().token().await.unwrap_err();
        assert!(matches!(err, AuthError::TokenFileEmpty { .. }));
    }

    #[tokio::test]
    async fn an_in_memory_token_is_trimmed_and_never_replaced_after_a_401() {
        let source = PatSource::value(&Sensitive::from(" pat-one\n")).unwrap();
        let token = source.token().await.unwrap();
        assert_eq!(token.expose(), "pat-one");
        assert_eq!(source.replace_rejected(&token).await.unwrap(), None);
    }

    #[test]
    fn a_blank_in_memory_token_is_refused_up_front() {
        let err = PatSource::value(&Sensitive::from(" \n")).unwrap_err();
        assert!(matches!(err, AuthError::TokenEmpty), "{err}");
    }
}
