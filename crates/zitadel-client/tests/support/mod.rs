//! Shared fixtures for the ZITADEL client tests: an emulator, credential files in a temp dir,
//! clients built on them, request builders and a recording call observer.

#![allow(
    dead_code,
    reason = "each test binary uses a different subset of the fixtures"
)]

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tempfile::TempDir;
use zitadel_client::types::{
    AccessTokenType, CreateHuman, CreateMachine, CreateUserRequest, CreateUserType,
    EmailVerification, SetHumanEmail, SetHumanProfile,
};
use zitadel_client::{CallObserver, ClientConfig, Credentials, Rpc, ZitadelClient};
use zitadel_emulator::{EmulatorConfig, ZitadelEmulator};

/// A request deadline short enough that Hang faults finish tests quickly, and long enough for
/// the emulator's RSA key generation (AddKey) on a loaded 2-core CI machine: 750 ms timed out
/// there in 3 of 8 runs.
pub const TEST_REQUEST_TIMEOUT: Duration = Duration::from_secs(3);

/// An emulator, an organisation in it and a temp dir for credential files.
pub struct Env {
    /// The running emulator.
    pub emulator: ZitadelEmulator,
    /// An organisation created at start.
    pub org_id: String,
    /// An instance-wide PAT minted at start (the emulator mints a new one per `admin_pat()`).
    pub admin_pat: String,
    dir: TempDir,
}

impl Env {
    /// Starts an emulator with default settings.
    pub async fn start() -> Self {
        Self::start_with(EmulatorConfig::default()).await
    }

    /// Starts an emulator with `config`.
    pub async fn start_with(config: EmulatorConfig) -> Self {
        let emulator = ZitadelEmulator::start(config)
            .await
            .expect("the emulator starts");
        let org_id = emulator.create_organization("acme");
        let admin_pat = emulator.admin_pat();
        Self {
            emulator,
            org_id,
            admin_pat,
            dir: TempDir::new().expect("a temp dir"),
        }
    }

    /// Writes (or overwrites) a credential file in the temp dir and returns its path.
    pub fn write_file(&self, name: &str, content: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, content).expect("the credential file is written");
        path
    }

    /// Writes [`Env::admin_pat`] to `admin.pat` and returns its path.
    pub fn admin_pat_file(&self) -> PathBuf {
        self.write_file("admin.pat", &format!("{}\n", self.admin_pat))
    }

    /// Writes the service-account key file to `key.json` and returns its path.
    pub fn key_file(&self) -> PathBuf {
        self.write_file("key.json", &self.emulator.service_account_key())
    }

    /// A client config for `credentials` with the test deadline.
    pub fn config(&self, credentials: Credentials) -> ClientConfig {
        ClientConfig {
            request_timeout: TEST_REQUEST_TIMEOUT,
            ..ClientConfig::new(self.emulator.url(), credentials)
        }
    }

    /// A client authenticated with the admin PAT.
    pub fn admin_client(&self) -> ZitadelClient {
        let config = self.config(Credentials::PatFile(self.admin_pat_file()));
        ZitadelClient::new(config).expect("the client builds")
    }

    /// A client for `config`, observed by a fresh [`RecordingObserver`].
    pub fn observed_client(&self, config: ClientConfig) -> (ZitadelClient, Arc<RecordingObserver>) {
        let observer = Arc::new(RecordingObserver::default());
        let client = ZitadelClient::new(config)
            .expect("the client builds")
            .with_observer(observer.clone());
        (client, observer)
    }
}

/// A loopback URL nothing listens on (a port bound and released again).
pub fn unused_local_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
    let port = listener.local_addr().expect("a bound address").port();
    format!("http://127.0.0.1:{port}")
}

/// A human create request in `org_id` with a deterministic id, a returned e-mail code and no
/// password.
pub fn human(org_id: &str, user_id: &str) -> CreateUserRequest {
    CreateUserRequest {
        organization_id: org_id.to_owned(),
        user_id: Some(user_id.to_owned()),
        username: Some(user_id.to_owned()),
        user_type: CreateUserType::Human(CreateHuman {
            profile: SetHumanProfile {
                given_name: "Alice".into(),
                family_name: "Doe".into(),
                ..Default::default()
            },
            email: SetHumanEmail {
                email: format!("{user_id}@example.com"),
                verification: Some(EmailVerification::ReturnCode {}),
            },
            ..Default::default()
        }),
        metadata: Vec::new(),
    }
}

/// A machine create request in `org_id` with a deterministic id.
pub fn machine(org_id: &str, user_id: &str) -> CreateUserRequest {
    CreateUserRequest {
        organization_id: org_id.to_owned(),
        user_id: Some(user_id.to_owned()),
        username: Some(user_id.to_owned()),
        user_type: CreateUserType::Machine(CreateMachine {
            name: "CI bot".into(),
            description: Some("deploys".into()),
            access_token_type: Some(AccessTokenType::Jwt),
        }),
        metadata: Vec::new(),
    }
}

/// Records every observed call, limiter wait and limiter pause.
#[derive(Default)]
pub struct RecordingObserver {
    calls: Mutex<Vec<(Rpc, &'static str)>>,
    waits: Mutex<Vec<(Rpc, Duration)>>,
    pauses: Mutex<Vec<(Rpc, Duration)>>,
}

impl RecordingObserver {
    /// Outcomes observed for `rpc`, in order.
    pub fn outcomes(&self, rpc: Rpc) -> Vec<&'static str> {
        self.calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .filter(|(observed, _)| *observed == rpc)
            .map(|(_, outcome)| *outcome)
            .collect()
    }

    /// How often `rpc` was observed.
    pub fn count(&self, rpc: Rpc) -> usize {
        self.outcomes(rpc).len()
    }

    /// How long each request of `rpc` waited for the rate limiter, in order.
    pub fn waits(&self, rpc: Rpc) -> Vec<Duration> {
        of_rpc(&self.waits, rpc)
    }

    /// The limiter pauses requests of `rpc` caused, in order.
    pub fn pauses(&self, rpc: Rpc) -> Vec<Duration> {
        of_rpc(&self.pauses, rpc)
    }
}

fn of_rpc(records: &Mutex<Vec<(Rpc, Duration)>>, rpc: Rpc) -> Vec<Duration> {
    records
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
        .filter(|(observed, _)| *observed == rpc)
        .map(|(_, duration)| *duration)
        .collect()
}

impl CallObserver for RecordingObserver {
    fn observe(&self, rpc: Rpc, outcome: &'static str, _elapsed: Duration) {
        self.calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((rpc, outcome));
    }

    fn limiter_waited(&self, rpc: Rpc, waited: Duration) {
        self.waits
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((rpc, waited));
    }

    fn limiter_paused(&self, rpc: Rpc, pause: Duration) {
        self.pauses
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((rpc, pause));
    }
}
