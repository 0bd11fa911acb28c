//! How `StsPolicies` combines discovery, fetching and the cache
//! (RFC 8461 §5.1), against a scripted source and a clock the tests move.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use dns::clock::ManualClock;
use dns::{DnsError, DnssecStatus, Name, RecordType, Resolver};
use policy::sts::{
    Discovery, FetchAttempt, FetchError, Fetched, Mode, Origin, Policy, PolicyCache, StsAnswer,
    StsConfig, StsPolicies, StsSource, StsStats, judge,
};
use tls::{Method, SignatureCheck, Status, VerificationOutcome};

const ENFORCE: &str = "version: STSv1\nmode: enforce\nmx: mx1.example.com\nmax_age: 604800\n";
const ENFORCE_V2: &str = "version: STSv1\nmode: enforce\nmx: *.example.net\nmax_age: 604800\n";
const SHORT: &str = "version: STSv1\nmode: testing\nmx: mx1.example.com\nmax_age: 3600\n";
const NONE: &str = "version: STSv1\nmode: none\nmax_age: 86400\n";
const WEEK: Duration = Duration::from_secs(604_800);

/// What the scripted world publishes.
enum Record {
    Id(&'static str),
    Absent,
    ServFail,
}

struct World {
    record: Mutex<Record>,
    /// The policy body served, or `None` for a 404.
    body: Mutex<Option<&'static str>>,
    fetches: AtomicUsize,
}

#[derive(Clone)]
struct Scripted(Arc<World>);

impl StsSource for Scripted {
    async fn discover(&self, domain: &Name) -> Discovery {
        match *self.0.record.lock().unwrap() {
            Record::Id(id) => judge(&[format!("v=STSv1; id={id}")], DnssecStatus::Insecure),
            Record::Absent => judge(&[], DnssecStatus::Insecure),
            Record::ServFail => Discovery::LookupFailed {
                error: DnsError::ServFail {
                    name: domain.to_string(),
                    rtype: RecordType::TXT,
                },
            },
        }
    }

    async fn fetch(&self, _domain: &Name) -> Result<Fetched, FetchError> {
        self.0.fetches.fetch_add(1, Ordering::SeqCst);
        let body = (*self.0.body.lock().unwrap()).ok_or(FetchError::Status { status: 404 })?;
        let policy = Policy::parse(body.as_bytes()).map_err(FetchError::Invalid)?;
        Ok(Fetched {
            policy,
            address: SocketAddr::from(([127, 0, 0, 1], 443)),
            certificate: VerificationOutcome {
                method: Method::WebPki,
                status: Status::Authenticated,
                server_name: "mta-sts.example.com".into(),
                names: vec!["mta-sts.example.com".into()],
                certificate: None,
                chain_length: 1,
                dane: None,
                signature: SignatureCheck::Valid,
                failure: None,
            },
        })
    }
}

struct Setup {
    world: Arc<World>,
    clock: Arc<ManualClock>,
    policies: StsPolicies<Scripted>,
    domain: Name,
}

impl Setup {
    fn new(record: Record, body: Option<&'static str>) -> Self {
        Self::with_cache(record, body, PolicyCache::in_memory().unwrap())
    }

    fn with_cache(record: Record, body: Option<&'static str>, cache: PolicyCache) -> Self {
        let world = Arc::new(World {
            record: Mutex::new(record),
            body: Mutex::new(body),
            fetches: AtomicUsize::new(0),
        });
        let clock = Arc::new(ManualClock::new(SystemTime::now()));
        let policies = StsPolicies::new(
            Scripted(world.clone()),
            cache,
            clock.clone(),
            StsConfig::default(),
        );
        Self {
            world,
            clock,
            policies,
            domain: Resolver::parse_name("example.com").unwrap(),
        }
    }

    async fn deliver(&self) -> StsAnswer {
        self.policies.policy_for(&self.domain).await.unwrap()
    }

    fn publish(&self, record: Record, body: Option<&'static str>) {
        *self.world.record.lock().unwrap() = record;
        *self.world.body.lock().unwrap() = body;
    }

    fn fetches(&self) -> usize {
        self.world.fetches.load(Ordering::SeqCst)
    }
}

fn mx_of(answer: &StsAnswer) -> Vec<String> {
    let applied = answer.active().expect("a policy in force");
    applied.policy.mx.iter().map(ToString::to_string).collect()
}

#[tokio::test]
async fn first_delivery_fetches_then_cache_is_used_while_id_is_unchanged() {
    let s = Setup::new(Record::Id("1"), Some(ENFORCE));
    let first = s.deliver().await;
    let applied = first.active().unwrap();
    assert_eq!(
        (applied.origin, applied.policy.mode),
        (Origin::Fetch, Mode::Enforce)
    );
    assert!(matches!(first.fetch, FetchAttempt::Fetched { .. }));
    assert_eq!(applied.expires_at, applied.fetched_at + WEEK);

    s.clock.advance(Duration::from_secs(3600));
    let second = s.deliver().await;
    assert_eq!(second.active().unwrap().origin, Origin::Cache);
    assert!(matches!(second.fetch, FetchAttempt::NotNeeded));
    assert_eq!(s.fetches(), 1);
}

#[tokio::test]
async fn changed_id_triggers_refetch() {
    let s = Setup::new(Record::Id("1"), Some(ENFORCE));
    assert_eq!(mx_of(&s.deliver().await), ["mx1.example.com"]);
    s.publish(Record::Id("2"), Some(ENFORCE_V2));
    let answer = s.deliver().await;
    assert_eq!(answer.active().unwrap().origin, Origin::Fetch);
    assert_eq!(answer.active().unwrap().id, "2");
    assert_eq!(mx_of(&answer), ["*.example.net"]);
    assert_eq!(s.fetches(), 2);
}

#[tokio::test]
async fn cached_policy_is_used_when_the_refetch_fails() {
    let s = Setup::new(Record::Id("1"), Some(ENFORCE));
    let _ = s.deliver().await;
    s.publish(Record::Id("2"), None);
    let answer = s.deliver().await;
    let applied = answer
        .active()
        .expect("the unexpired cached policy stays in force");
    assert_eq!((applied.origin, applied.id.as_str()), (Origin::Cache, "1"));
    match &answer.fetch {
        FetchAttempt::Failed { error } => {
            assert_eq!(error.result_type().as_str(), "sts-policy-fetch-error");
        }
        other => panic!("expected a failed fetch, got {other:?}"),
    }
}

#[tokio::test]
async fn invalid_policy_keeps_the_cached_one_and_reports_sts_policy_invalid() {
    let s = Setup::new(Record::Id("1"), Some(ENFORCE));
    let _ = s.deliver().await;
    s.publish(
        Record::Id("2"),
        Some("version: STSv1\nmode: enforce\nmax_age: 10\n"),
    );
    let answer = s.deliver().await;
    assert_eq!(answer.active().unwrap().id, "1");
    let FetchAttempt::Failed { error } = &answer.fetch else {
        panic!("expected a failed fetch, got {:?}", answer.fetch);
    };
    assert_eq!(error.result_type().as_str(), "sts-policy-invalid");
}

#[tokio::test]
async fn failed_fetch_is_not_retried_for_every_message() {
    let s = Setup::new(Record::Id("1"), None);
    let first = s.deliver().await;
    assert!(first.applied.is_none());
    assert!(matches!(first.fetch, FetchAttempt::Failed { .. }));
    assert_eq!(s.fetches(), 1);

    s.clock.advance(Duration::from_secs(60));
    let second = s.deliver().await;
    assert!(
        matches!(second.fetch, FetchAttempt::Backoff { ref reason, .. } if reason.contains("404"))
    );
    assert_eq!(s.fetches(), 1, "no fetch inside the back-off");

    s.clock.advance(Duration::from_secs(5 * 60));
    s.publish(Record::Id("1"), Some(ENFORCE));
    let third = s.deliver().await;
    assert_eq!(third.active().unwrap().origin, Origin::Fetch);
    assert_eq!(s.fetches(), 2);
}

#[tokio::test]
async fn back_off_is_per_domain_whatever_the_id() {
    let s = Setup::new(Record::Id("1"), None);
    let _ = s.deliver().await;
    s.publish(Record::Id("2"), Some(ENFORCE));
    assert!(matches!(
        s.deliver().await.fetch,
        FetchAttempt::Backoff { .. }
    ));
    assert_eq!(s.fetches(), 1);
    s.clock.advance(Duration::from_secs(5 * 60));
    assert_eq!(s.deliver().await.active().unwrap().id, "2");
    assert_eq!(s.fetches(), 2);
}

#[tokio::test]
async fn cached_policy_outlives_a_missing_or_failing_record_until_it_expires() {
    let s = Setup::new(Record::Id("1"), Some(SHORT));
    let _ = s.deliver().await;
    s.publish(Record::Absent, None);
    s.clock.advance(Duration::from_secs(1800));
    let answer = s.deliver().await;
    assert!(matches!(answer.discovery, Discovery::NoRecord { .. }));
    assert_eq!(answer.active().unwrap().origin, Origin::Cache);

    s.publish(Record::ServFail, None);
    let answer = s.deliver().await;
    assert!(matches!(answer.discovery, Discovery::LookupFailed { .. }));
    assert_eq!(answer.active().unwrap().origin, Origin::Cache);

    s.clock.advance(Duration::from_secs(1800));
    let expired = s.deliver().await;
    assert!(expired.applied.is_none(), "max_age has passed: {expired:?}");
    assert_eq!(s.fetches(), 1);
}

#[tokio::test]
async fn expired_policy_with_the_same_id_is_fetched_again() {
    let s = Setup::new(Record::Id("1"), Some(SHORT));
    let _ = s.deliver().await;
    s.clock.advance(Duration::from_secs(3600));
    let answer = s.deliver().await;
    assert_eq!(answer.active().unwrap().origin, Origin::Fetch);
    assert_eq!(s.fetches(), 2);
}

#[tokio::test]
async fn mode_none_replaces_the_cached_policy_and_is_not_refetched() {
    let s = Setup::new(Record::Id("1"), Some(ENFORCE));
    let _ = s.deliver().await;
    s.publish(Record::Id("2"), Some(NONE));
    let answer = s.deliver().await;
    assert!(answer.active().is_none(), "mode none means no policy");
    assert_eq!(answer.applied.as_ref().unwrap().policy.mode, Mode::None);
    // Even when the record later disappears, the old enforce policy is gone.
    s.publish(Record::Absent, None);
    assert!(s.deliver().await.active().is_none());
    s.publish(Record::Id("2"), Some(NONE));
    assert!(s.deliver().await.active().is_none());
    assert_eq!(
        s.fetches(),
        2,
        "the none policy is cached, not fetched per message"
    );
}

#[tokio::test]
async fn refresh_due_lists_policies_near_expiry_and_refresh_extends_them() {
    let s = Setup::new(Record::Id("1"), Some(ENFORCE));
    let _ = s.deliver().await;
    assert!(s.policies.refresh_due().await.unwrap().is_empty());
    s.clock.advance(WEEK - Duration::from_secs(3600));
    assert_eq!(s.policies.refresh_due().await.unwrap(), ["example.com"]);

    let refreshed = s.policies.refresh(&s.domain).await.unwrap();
    assert_eq!(refreshed.active().unwrap().origin, Origin::Fetch);
    assert_eq!(s.fetches(), 2, "refreshed although the id is unchanged");
    assert!(s.policies.refresh_due().await.unwrap().is_empty());
}

#[tokio::test]
async fn failed_refresh_keeps_the_policy_in_force() {
    let s = Setup::new(Record::Id("1"), Some(ENFORCE));
    let _ = s.deliver().await;
    s.clock.advance(WEEK - Duration::from_secs(3600));
    s.publish(Record::Id("1"), None);
    let answer = s.policies.refresh(&s.domain).await.unwrap();
    assert!(matches!(answer.fetch, FetchAttempt::Failed { .. }));
    assert_eq!(answer.active().unwrap().origin, Origin::Cache);
    // Deliveries go on using it without fetching.
    assert_eq!(s.deliver().await.active().unwrap().origin, Origin::Cache);
    assert_eq!(s.fetches(), 2);
}

#[tokio::test]
async fn cached_policy_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sts.sqlite");
    {
        let s = Setup::with_cache(
            Record::Id("7"),
            Some(ENFORCE),
            PolicyCache::open(&path).unwrap(),
        );
        assert_eq!(s.deliver().await.active().unwrap().origin, Origin::Fetch);
    }
    // After the restart the policy host is down; the cached policy applies.
    let s = Setup::with_cache(Record::Id("7"), None, PolicyCache::open(&path).unwrap());
    let answer = s.deliver().await;
    let applied = answer
        .active()
        .expect("cached policy from before the restart");
    assert_eq!((applied.origin, applied.id.as_str()), (Origin::Cache, "7"));
    assert_eq!(s.fetches(), 0);
}

#[tokio::test]
async fn no_record_and_no_cache_means_no_policy() {
    let s = Setup::new(Record::Absent, Some(ENFORCE));
    let answer = s.deliver().await;
    assert!(answer.applied.is_none());
    assert!(matches!(answer.fetch, FetchAttempt::NotNeeded));
    assert_eq!(s.fetches(), 0);
}

#[tokio::test]
async fn fetches_and_cache_hits_are_counted() {
    let s = Setup::new(Record::Id("1"), Some(ENFORCE));
    assert_eq!(s.policies.stats(), StsStats::default());
    let _ = s.deliver().await;
    let _ = s.deliver().await;
    let _ = s.deliver().await;
    // A new id whose policy is gone: a failed fetch, the cached policy
    // kept; then the back-off serves it from the cache.
    s.publish(Record::Id("2"), None);
    let _ = s.deliver().await;
    let _ = s.deliver().await;
    let stats = s.policies.stats();
    assert_eq!(
        (stats.fetches_ok, stats.fetches_failed, stats.cache_hits),
        (1, 1, 3),
        "{stats:?}"
    );
    // No record and nothing cached: neither a fetch nor a hit.
    let empty = Setup::new(Record::Absent, None);
    let _ = empty.deliver().await;
    assert_eq!(empty.policies.stats(), StsStats::default());
}
