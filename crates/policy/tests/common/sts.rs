//! A scripted MTA-STS source: the `_mta-sts` record and the policy body are
//! what the test says, so plans can be driven without an HTTPS host.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use dns::clock::ManualClock;
use dns::{DnssecStatus, Name};
use policy::sts::{
    Discovery, FetchError, Fetched, Policy, PolicyCache, StsConfig, StsPolicies, StsSource, judge,
};
use tls::{Method, SignatureCheck, Status, VerificationOutcome};

/// `enforce`, listing `mx1.example.test` and `*.mx.example.test`.
pub const ENFORCE: &str =
    "version: STSv1\nmode: enforce\nmx: mx1.example.test\nmx: *.mx.example.test\nmax_age: 604800\n";
/// `testing`, listing only `mx1.example.test`.
pub const TESTING: &str = "version: STSv1\nmode: testing\nmx: mx1.example.test\nmax_age: 604800\n";
/// `none`.
pub const NONE: &str = "version: STSv1\nmode: none\nmax_age: 86400\n";

/// What the scripted world publishes now.
#[derive(Default)]
struct State {
    /// The record's id; `None`: no `_mta-sts` record.
    id: Option<String>,
    /// The policy body served; `None`: HTTP 404.
    body: Option<String>,
}

/// A source whose answers the test sets, counting fetches.
#[derive(Clone, Default)]
pub struct Script {
    state: Arc<Mutex<State>>,
    fetches: Arc<AtomicUsize>,
}

impl Script {
    /// Publishes a record with `id`, serving `body` (`None`: 404).
    pub fn publish(&self, id: &str, body: Option<&str>) {
        let mut state = self.state.lock().unwrap();
        state.id = Some(id.to_owned());
        state.body = body.map(str::to_owned);
    }

    /// How many fetches were made.
    pub fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }

    /// Policies from this script, in a fresh in-memory cache, on a clock
    /// standing still at now.
    pub fn policies(&self) -> StsPolicies<Script> {
        StsPolicies::new(
            self.clone(),
            PolicyCache::in_memory().unwrap(),
            Arc::new(ManualClock::new(SystemTime::now())),
            StsConfig::default(),
        )
    }
}

impl StsSource for Script {
    async fn discover(&self, _domain: &Name) -> Discovery {
        let id = self.state.lock().unwrap().id.clone();
        let texts: Vec<String> = id
            .map(|id| format!("v=STSv1; id={id}"))
            .into_iter()
            .collect();
        judge(&texts, DnssecStatus::Secure)
    }

    async fn fetch(&self, domain: &Name) -> Result<Fetched, FetchError> {
        self.fetches.fetch_add(1, Ordering::SeqCst);
        let body = self.state.lock().unwrap().body.clone();
        let body = body.ok_or(FetchError::Status { status: 404 })?;
        let policy = Policy::parse(body.as_bytes()).map_err(FetchError::Invalid)?;
        let host = format!("mta-sts.{}", domain.to_string().trim_end_matches('.'));
        Ok(Fetched {
            policy,
            address: SocketAddr::from(([127, 0, 0, 1], 443)),
            certificate: VerificationOutcome {
                method: Method::WebPki,
                status: Status::Authenticated,
                server_name: host.clone(),
                names: vec![host],
                certificate: None,
                chain_length: 1,
                dane: None,
                signature: SignatureCheck::Valid,
                failure: None,
            },
        })
    }
}
