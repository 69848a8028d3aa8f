//! Waiting for the process to be asked to stop.

/// Completes on the first SIGTERM (how Kubernetes stops a Pod) or Ctrl-C (SIGINT).
///
/// If a signal handler cannot be installed, that signal is logged and ignored rather than
/// treated as a stop request: exiting at once would turn a setup problem into a crash loop.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::warn!(
                error = &error as &dyn std::error::Error,
                "cannot listen for Ctrl-C"
            );
            std::future::pending::<()>().await;
        }
    };

    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut sigterm) => {
                sigterm.recv().await;
            }
            Err(error) => {
                tracing::warn!(
                    error = &error as &dyn std::error::Error,
                    "cannot listen for SIGTERM"
                );
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();

    tokio::select! {
        () = ctrl_c => tracing::info!("received Ctrl-C; shutting down"),
        () = terminate => tracing::info!("received SIGTERM; shutting down"),
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::time::Duration;

    use tokio::signal::unix::{SignalKind, signal};

    use super::*;

    #[tokio::test(flavor = "current_thread")]
    async fn sigterm_completes_the_shutdown_future() {
        // A listener of our own first: from now on SIGTERM is caught process-wide, so even if
        // the assertion below failed the test process would not be killed.
        let _guard = signal(SignalKind::terminate()).unwrap();
        let waiting = tokio::spawn(shutdown_signal());
        // On a current-thread runtime one yield lets the spawned task run up to its first
        // await, by which point its own SIGTERM listener is registered.
        tokio::task::yield_now().await;

        let status = std::process::Command::new("kill")
            .args(["-TERM", &std::process::id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());

        tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("shutdown_signal did not complete after SIGTERM")
            .unwrap();
    }
}
