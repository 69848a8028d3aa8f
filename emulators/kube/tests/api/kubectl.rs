//! The real kubectl against the emulator: apply a CRD, a custom object and a Secret, list with
//! printer columns, delete. kubectl must be installed: a missing kubectl fails the test.

use std::path::{Path, PathBuf};

use kube::CustomResourceExt;
use tokio::process::Command;

use crate::support::{Cluster, TIMEOUT, Widget};

const OBJECTS: &str = "\
apiVersion: example.com/v1
kind: Widget
metadata:
  name: w1
spec:
  size: 3
---
apiVersion: v1
kind: Secret
metadata:
  name: s1
stringData:
  password: not-a-real-one
";

/// A scratch directory removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Self {
        let dir =
            std::env::temp_dir().join(format!("kube-emulator-kubectl-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("scratch dir");
        Self(dir)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, text).expect("scratch file");
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Run kubectl with `args`; returns stdout, panicking with stderr on failure.
async fn kubectl(kubeconfig: &Path, args: &[&str]) -> String {
    let run = Command::new("kubectl")
        .env("KUBECONFIG", kubeconfig)
        .args(args)
        .output();
    let output = match tokio::time::timeout(TIMEOUT, run)
        .await
        .expect("kubectl finished in time")
    {
        Ok(output) => output,
        Err(error) => panic!(
            "kubectl could not be run ({error}): install kubectl on PATH; this test does not skip"
        ),
    };
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "kubectl {args:?} failed: {stderr}\n{stdout}"
    );
    stdout
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_applies_lists_with_printer_columns_and_deletes() {
    let cluster = Cluster::start().await;
    let scratch = Scratch::new();
    let kubeconfig = scratch.0.join("kubeconfig");
    cluster
        .emulator
        .write_kubeconfig(&kubeconfig, "default")
        .unwrap();
    let crd = serde_json::to_string_pretty(&Widget::crd()).unwrap();
    let crd_file = scratch.write("crd.json", &crd);
    let objects_file = scratch.write("objects.yaml", OBJECTS);
    let crd_arg = crd_file.to_string_lossy().to_string();
    let objects_arg = objects_file.to_string_lossy().to_string();

    let created = kubectl(&kubeconfig, &["apply", "-f", &crd_arg]).await;
    assert!(created.contains("widgets.example.com created"), "{created}");
    let applied = kubectl(&kubeconfig, &["apply", "-f", &objects_arg]).await;
    assert!(
        applied.contains("widget.example.com/w1 created") && applied.contains("secret/s1 created"),
        "{applied}"
    );
    let again = kubectl(&kubeconfig, &["apply", "-f", &objects_arg]).await;
    assert!(again.contains("widget.example.com/w1 unchanged"), "{again}");

    let table = kubectl(&kubeconfig, &["get", "widgets"]).await;
    let mut lines = table.lines();
    let header: Vec<&str> = lines
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    assert_eq!(header, ["NAME", "SIZE", "READY"], "{table}");
    let row: Vec<&str> = lines
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    assert_eq!(row, ["w1", "3"], "{table}");
    let short = kubectl(
        &kubeconfig,
        &["get", "wd", "w1", "-o", "jsonpath={.spec.size}"],
    )
    .await;
    assert_eq!(short, "3");

    let deleted = kubectl(&kubeconfig, &["delete", "-f", &objects_arg]).await;
    assert!(
        deleted.contains("\"w1\" deleted") && deleted.contains("\"s1\" deleted"),
        "{deleted}"
    );
    assert!(
        cluster
            .emulator
            .objects("example.com", "widgets")
            .is_empty()
    );
    assert!(cluster.emulator.objects("", "secrets").is_empty());
    let agents: Vec<String> = cluster
        .emulator
        .requests()
        .into_iter()
        .map(|r| r.user_agent)
        .collect();
    assert!(
        agents.iter().any(|a| a.starts_with("kubectl")),
        "kubectl's User-Agent is recorded"
    );
}
