//! Personal access tokens read from a file (contract §10.1).
//!
//! The file is typically a mounted Kubernetes Secret that gets rotated in place, so it is
//! re-read whenever its mtime or length changes (one `stat` per request) and after a 401.

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

/// A PAT file, cached until it changes.
#[derive(Debug)]
pub(crate) struct PatSource {
    path: PathBuf,
    cached: Mutex<Option<CachedPat>>,
}

impl PatSource {
    /// A source for the token in `path` (read lazily, on first use).
    pub(crate) fn new(path: PathBuf) -> Self {
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
    struct PatFile {
        _dir: TempDir,
        path: PathBuf,
    }

    impl PatFile {
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
            PatSource::new(self.path.clone())
        }
    }

    #[tokio::test]
    async fn the_token_is_trimmed() {
        let file = PatFile::new("  pat-one\n");
        assert_eq!(file.source().token().await.unwrap().expose(), "pat-one");
    }

    #[tokio::test]
    async fn a_rewritten_file_of_another_length_is_picked_up() {
        let file = PatFile::new("pat-one");
        let source = file.source();
        assert_eq!(source.token().await.unwrap().expose(), "pat-one");
        file.write("pat-number-two");
        assert_eq!(source.token().await.unwrap().expose(), "pat-number-two");
    }

    #[tokio::test]
    async fn after_a_401_a_changed_file_yields_a_new_token_and_an_unchanged_one_none() {
        let file = PatFile::new("pat-one");
        let source = file.source();
        let rejected = source.token().await.unwrap();
        assert_eq!(source.replace_rejected(&rejected).await.unwrap(), None);
        file.write("pat-two");
        let replaced = source.replace_rejected(&rejected).await.unwrap();
        assert_eq!(replaced.unwrap().expose(), "pat-two");
    }

    #[tokio::test]
    async fn a_missing_or_blank_file_is_an_auth_error_naming_the_path() {
        let missing = PatSource::new(PathBuf::from("/nonexistent/zitadel-pat"));
        let err = missing.token().await.unwrap_err();
        assert!(matches!(err, AuthError::TokenFileUnreadable { .. }));
        assert!(err.to_string().contains("/nonexistent/zitadel-pat"));

        let blank = PatFile::new(" \n");
        let err = blank.source().token().await.unwrap_err();
        assert!(matches!(err, AuthError::TokenFileEmpty { .. }));
    }
}
