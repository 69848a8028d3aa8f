//! The README's no-cluster quickstart, run as written: the dev environment and the operator, then
//! the real `kubectl` applying, listing, describing (with the operator's events) and deleting
//! `examples/`.
//!
//! `kubectl` is `target/tools/kubectl` (installed by `.ci/chart-tools.sh`), else `/usr/bin/kubectl`;
//! without either the test fails rather than skips, since a skipped quickstart proves nothing.

// A failed setup in a test helper panics like a failed assertion; clippy.toml's test exemption
// reaches only `#[test]` functions, not the helpers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::Arc;
use std::time::Duration;

use devenv::{DevEnv, Options};
use serde_json::Value;
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// How long the examples may take to become Ready (the README promises "shortly").
const READY_WAIT: Duration = Duration::from_secs(30);
/// Upper bound for one `kubectl` invocation (`kubectl delete` waits for finalizers).
const KUBECTL_TIMEOUT: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(200);

/// The `User`s in `examples/`, and whether each keeps its ZITADEL user when deleted.
const EXAMPLE_USERS: [(&str, bool); 6] = [
    ("alice", false),
    ("bob", false),
    ("carol", false),
    ("ci-bot", true),
    ("dave", false),
    ("deploy-bot", false),
];

/// Keys the examples' Secrets must hold once their `User`s are Ready: what the README and the
/// workload in `examples/workloads/` read.
const EXAMPLE_SECRET_KEYS: [(&str, &str); 5] = [
    ("alice-zitadel", "emailCode"),
    ("dave-zitadel", "inviteCode"),
    ("deploy-bot-zitadel", "ci\\.token"),
    ("deploy-bot-zitadel", "default\\.json"),
    ("deploy-bot-zitadel", "clientSecret"),
];

fn repo_root() -> &'static Path {
    // devenv is a direct member of the workspace: its parent is the repository.
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// The `kubectl` the quickstart runs; panics naming the install script when there is none.
fn kubectl_binary() -> PathBuf {
    let candidates = [
        repo_root().join("target/tools/kubectl"),
        PathBuf::from("/usr/bin/kubectl"),
    ];
    candidates
        .iter()
        .find(|path| path.is_file())
        .cloned()
        .unwrap_or_else(|| {
            panic!("no kubectl at {candidates:?}: run .ci/chart-tools.sh to install one")
        })
}

/// The operator's task and the sender that stops it.
type RunningOperator = (oneshot::Sender<()>, JoinHandle<Result<(), devenv::Error>>);

/// The dev environment with the operator running, and a `kubectl` pointed at it.
struct Quickstart {
    env: Arc<DevEnv>,
    kubectl: PathBuf,
    dir: TempDir,
    operator: Option<RunningOperator>,
}

impl Quickstart {
    /// `make dev`: both emulators on free loopback ports, the CRD, and the operator.
    async fn start() -> Self {
        let kubectl = kubectl_binary();
        let dir = TempDir::new().expect("a temp dir");
        let options = Options {
            kube_port: 0,
            zitadel_port: 0,
            dir: dir.path().join("dev"),
            list_delay: Duration::from_millis(200),
        };
        let env = Arc::new(
            DevEnv::start(&options)
                .await
                .expect("the dev environment starts"),
        );
        let (stop, stopped) = oneshot::channel::<()>();
        let running = env.clone();
        let task = tokio::spawn(async move {
            let shutdown = async move {
                let _ = stopped.await;
            };
            running
                .run_operator(running.operator_config(), shutdown)
                .await
        });
        Self {
            env,
            kubectl,
            dir,
            operator: Some((stop, task)),
        }
    }

    /// Runs `kubectl args...` with `KUBECONFIG` set as the README says; its discovery cache
    /// stays in the test's directory.
    async fn kubectl(&self, args: &[&str]) -> Output {
        let mut command = tokio::process::Command::new(&self.kubectl);
        command
            .env("KUBECONFIG", &self.env.kubeconfig)
            .arg("--cache-dir")
            .arg(self.dir.path().join("kube-cache"))
            .args(args)
            .kill_on_drop(true);
        tokio::time::timeout(KUBECTL_TIMEOUT, command.output())
            .await
            .unwrap_or_else(|_| panic!("kubectl {args:?} took longer than {KUBECTL_TIMEOUT:?}"))
            .unwrap_or_else(|error| panic!("kubectl {args:?} could not run: {error}"))
    }

    /// Runs `kubectl args...`, which must succeed; returns its standard output.
    async fn kubectl_ok(&self, args: &[&str]) -> String {
        let output = self.kubectl(args).await;
        assert!(
            output.status.success(),
            "kubectl {args:?} failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("kubectl prints UTF-8")
    }

    /// `kubectl get users -o json`, as the list's items.
    async fn users(&self) -> Vec<Value> {
        let json = self.kubectl_ok(&["get", "users", "-o", "json"]).await;
        let list: Value = serde_json::from_str(&json).expect("kubectl printed JSON");
        list["items"].as_array().cloned().unwrap_or_default()
    }

    /// Polls until every example `User` is Ready=True for its generation; returns their
    /// ZITADEL user ids by name.
    async fn wait_all_ready(&self) -> BTreeMap<String, String> {
        let deadline = tokio::time::Instant::now() + READY_WAIT;
        loop {
            let users = self.users().await;
            let ready: BTreeMap<String, String> = users
                .iter()
                .filter(|user| is_ready(user))
                .filter_map(|user| {
                    let name = user["metadata"]["name"].as_str()?;
                    let id = user["status"]["userId"].as_str()?;
                    Some((name.to_owned(), id.to_owned()))
                })
                .collect();
            if ready.len() == EXAMPLE_USERS.len() {
                return ready;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "not every example became Ready within {READY_WAIT:?}; statuses: {:#?}",
                users
                    .iter()
                    .map(|u| (&u["metadata"]["name"], &u["status"]))
                    .collect::<Vec<_>>()
            );
            tokio::time::sleep(POLL).await;
        }
    }

    /// Polls until `kubectl describe user <name>` lists an event with `reason` (the operator
    /// publishes its events just after writing the status); returns the description.
    async fn wait_described_with_event(&self, name: &str, reason: &str) -> String {
        let deadline = tokio::time::Instant::now() + READY_WAIT;
        loop {
            let described = self.kubectl_ok(&["describe", "user", name]).await;
            let listed = described
                .split_once("\nEvents:")
                .is_some_and(|(_, events)| events.split_whitespace().any(|word| word == reason));
            if listed {
                return described;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no {reason} event for {name} within {READY_WAIT:?}:\n{described}"
            );
            tokio::time::sleep(POLL).await;
        }
    }

    /// Stops the operator gracefully; it must end without an error.
    async fn stop(&mut self) {
        if let Some((stop, task)) = self.operator.take() {
            let _ = stop.send(());
            tokio::time::timeout(KUBECTL_TIMEOUT, task)
                .await
                .expect("the operator stops")
                .expect("the operator did not panic")
                .expect("the operator ran without an error");
        }
    }
}

/// Ready=True for the object's current generation (what `kubectl wait` and kstatus check).
fn is_ready(user: &Value) -> bool {
    let status = &user["status"];
    let current = status["observedGeneration"] == user["metadata"]["generation"];
    let conditions = status["conditions"].as_array().cloned().unwrap_or_default();
    current
        && conditions
            .iter()
            .any(|c| c["type"] == "Ready" && c["status"] == "True")
}

fn examples_dir() -> String {
    repo_root().join("examples").display().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_quickstart_works_with_the_real_kubectl() {
    let mut quickstart = Quickstart::start().await;
    let examples = examples_dir();

    // Lower-cased: kubectl has been seen to print the first kind capitalised ("User.…").
    let applied = quickstart
        .kubectl_ok(&["apply", "-f", &examples])
        .await
        .to_lowercase();
    for object in ["secret/bob-initial", "user.zitadel-user-operator.dev/alice"] {
        assert!(applied.contains(object), "apply output: {applied}");
    }
    let ids = quickstart.wait_all_ready().await;

    // The operator records through events.k8s.io; kubectl reads core v1 events, as on a cluster.
    quickstart
        .wait_described_with_event("alice", "Created")
        .await;
    let events = quickstart.kubectl_ok(&["get", "events"]).await;
    assert!(
        events
            .lines()
            .any(|line| line.contains("user/alice") && line.contains("Created")),
        "no Created event for alice in `kubectl get events`:\n{events}"
    );

    let table = quickstart.kubectl_ok(&["get", "users"]).await;
    let header = table.lines().next().unwrap_or_default();
    for column in ["NAME", "TYPE", "ORGANIZATION", "USER ID", "STATE", "READY"] {
        assert!(header.contains(column), "no {column} column in:\n{table}");
    }
    let short = quickstart.kubectl_ok(&["get", "zuser", "-o", "name"]).await;
    for (name, _) in EXAMPLE_USERS {
        assert!(table.contains(name), "{name} missing from:\n{table}");
        assert!(
            short.contains(&format!("user.zitadel-user-operator.dev/{name}")),
            "{name} missing from `kubectl get zuser`:\n{short}"
        );
    }
    for (secret, key) in EXAMPLE_SECRET_KEYS {
        let jsonpath = format!("jsonpath={{.data.{key}}}");
        let value = quickstart
            .kubectl_ok(&["get", "secret", secret, "-o", &jsonpath])
            .await;
        assert!(!value.trim().is_empty(), "{secret} holds no {key}");
    }

    quickstart.kubectl_ok(&["delete", "-f", &examples]).await;
    assert_eq!(quickstart.users().await, Vec::<Value>::new());
    let secret = quickstart.kubectl(&["get", "secret", "bob-initial"]).await;
    assert!(!secret.status.success(), "bob-initial was deleted too");
    for (name, orphaned) in EXAMPLE_USERS {
        let kept = quickstart.env.zitadel.user(&ids[name]).is_some();
        assert_eq!(kept, orphaned, "{name} kept in ZITADEL: {kept}");
    }
    quickstart.stop().await;
}
