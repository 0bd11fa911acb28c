//! The admin console through real HTTP on loopback, against a daemon in
//! the test world: login required everywhere but `/healthz`, `/metrics`
//! and the TLS report upload; the session cookie's flags; CSRF; the login
//! rate limit; sessions that cannot be fixed or reused after logout; a
//! round trip through the queue API; the hourly counts and the search by
//! sender, read from the store; the metrics text, with the resolver's
//! and the MTA-STS policies' counts; the sending limits and their release;
//! the outbound pools; a gzip TLS report posted and then visible in the
//! received reports.

#[path = "../../server/tests/common/mod.rs"]
mod common;
mod http;

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::SystemTime;

use dns::clock::ManualClock;
use http::Client;
use queue::{SendingLimits, SendingRequest, SendingVerdict, Subject};
use server::config::Config;
use server::{Daemon, Scheduling};
use testworld::ca::TestCa;
use testworld::https::{PolicyBehaviour, PolicyHost, sts_domain};
use testworld::net::loopback;
use testworld::smtp::Behaviour;

const PASSWORD: &str = "correct horse battery staple";

/// The `[admin]` table (with `settings`) and one administrator, `ann`.
fn admin_config(settings: &str) -> String {
    let hash = server::users::hash(PASSWORD).unwrap();
    format!(
        "[admin]\nlisten = \"127.0.0.1:0\"\n{settings}\n\n\
         [[user]]\nname = \"ann\"\npassword_hash = \"{hash}\"\nadmin = true\n\n\
         [[user]]\nname = \"smtp-only\"\npassword_hash = \"{hash}\"\n"
    )
}

async fn console(settings: &str) -> (common::World, admin::Console, Client) {
    let world = common::world(&admin_config(settings)).await;
    let console = admin::Console::start(world.daemon.shared().clone())
        .await
        .expect("the console starts")
        .expect("[admin] is configured");
    let client = Client::plain(console.address());
    (world, console, client)
}

/// Every route behind the login, with its method.
const GUARDED: &[(&str, &str)] = &[
    ("GET", "/"),
    ("GET", "/api/v1/session"),
    ("GET", "/api/v1/queue"),
    ("GET", "/api/v1/queue/0000000000000000"),
    ("POST", "/api/v1/queue/0000000000000000/retry"),
    ("POST", "/api/v1/queue-operations/hold"),
    ("GET", "/api/v1/trace?q=a@b.test"),
    ("GET", "/api/v1/stats/hourly"),
    ("GET", "/api/v1/route/dane.test"),
    ("GET", "/api/v1/check/dane.test"),
    ("GET", "/api/v1/reports/tls/received"),
    ("GET", "/api/v1/reports/tls/sent?domain=dane.test"),
    ("GET", "/api/v1/reports/dmarc/received"),
    ("GET", "/api/v1/reports/dmarc/sent?domain=dane.test"),
    ("GET", "/api/v1/config"),
    ("GET", "/api/v1/limits"),
    ("POST", "/api/v1/limits/release"),
    ("GET", "/api/v1/pools"),
    ("POST", "/api/v1/logout"),
    ("POST", "/logout"),
];

#[tokio::test(flavor = "multi_thread")]
async fn nothing_but_health_is_reachable_without_login() {
    let (_world, console, client) = console("").await;
    for (method, path) in GUARDED {
        let answer = client
            .send(method, path, Some("application/json"), b"{}".to_vec())
            .await;
        if path.starts_with("/api/") {
            assert_eq!(answer.status, 401, "{method} {path}: {}", answer.text());
            assert_eq!(answer.json()["error"], "login required");
        } else {
            assert_eq!(answer.status, 303, "{method} {path}");
            assert_eq!(answer.header("location").as_deref(), Some("/login"));
        }
    }
    assert_eq!(client.get("/healthz").await.status, 200);
    // Metrics are off unless asked for.
    assert_eq!(client.get("/metrics").await.status, 404);
    let login = client.get("/login").await;
    assert_eq!(login.status, 200);
    assert!(login.text().contains("<label for=\"password\">"));
    console.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_session_cookie_is_strict_and_state_changes_need_the_csrf_token() {
    let (_world, console, mut client) = console("").await;
    // Not an administrator: an SMTP user's password does not open the console.
    assert_eq!(client.login("smtp-only", PASSWORD).await.status, 401);
    let answer = client.login("ann", PASSWORD).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    let set_cookie = answer.header("set-cookie").unwrap();
    assert!(set_cookie.starts_with("sealane="), "{set_cookie}");
    assert!(set_cookie.contains("; HttpOnly"), "{set_cookie}");
    assert!(set_cookie.contains("; SameSite=Strict"), "{set_cookie}");
    assert!(set_cookie.contains("; Path=/"), "{set_cookie}");
    // Plain HTTP (loopback only): a Secure cookie would never come back.
    assert!(!set_cookie.contains("Secure"), "{set_cookie}");

    let session = client.get("/api/v1/session").await;
    assert_eq!(session.json()["user"], "ann");

    let selection = serde_json::json!({"all": true});
    let mut without = client.clone();
    without.csrf = None;
    let refused = without
        .post_json("/api/v1/queue-operations/hold", selection.clone())
        .await;
    assert_eq!(refused.status, 403, "{}", refused.text());
    let mut wrong = client.clone();
    wrong.csrf = Some("0".repeat(64));
    assert_eq!(
        wrong
            .post_json("/api/v1/queue-operations/hold", selection.clone())
            .await
            .status,
        403
    );
    // A form without its csrf field is refused as well.
    let form = without
        .post(
            "/logout",
            "application/x-www-form-urlencoded",
            b"other=1".to_vec(),
        )
        .await;
    assert_eq!(form.status, 403);
    // A page of another site cannot post, not even with the token; a
    // page of ours (same Origin) can.
    let mut elsewhere = client.clone();
    elsewhere.origin = Some("https://evil.example".into());
    assert_eq!(
        elsewhere
            .post_json("/api/v1/queue-operations/hold", selection.clone())
            .await
            .status,
        403
    );
    let mut ours = client.clone();
    ours.origin = Some(format!("http://{}", console.address()));
    let done = ours
        .post_json("/api/v1/queue-operations/hold", selection)
        .await;
    assert_eq!(done.status, 200, "{}", done.text());
    assert_eq!(done.json()["count"], 0);
    console.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_session_cannot_be_fixed_nor_used_after_logout() {
    let (_world, console, mut client) = console("").await;
    // A session id the browser brings is never adopted.
    client.cookie = Some("sealane=chosen-by-an-attacker".into());
    assert_eq!(client.get("/api/v1/session").await.status, 401);
    client.login("ann", PASSWORD).await;
    let cookie = client.cookie.clone().unwrap();
    assert_ne!(cookie, "sealane=chosen-by-an-attacker");
    let mut fixed = client.clone();
    fixed.cookie = Some("sealane=chosen-by-an-attacker".into());
    assert_eq!(fixed.get("/api/v1/session").await.status, 401);

    // A second login makes a new session and ends the one it came with.
    let mut again = client.clone();
    again.login("ann", PASSWORD).await;
    assert_ne!(again.cookie, client.cookie);
    assert_eq!(client.get("/api/v1/session").await.status, 401);

    let out = again.send("POST", "/api/v1/logout", None, Vec::new()).await;
    assert_eq!(out.status, 204);
    assert!(out.header("set-cookie").unwrap().contains("Max-Age=0"));
    // The cookie kept from before logout opens nothing.
    assert_eq!(again.get("/api/v1/session").await.status, 401);
    assert_eq!(again.get("/api/v1/queue").await.status, 401);
    console.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_login_form_posted_from_another_site_is_refused() {
    let (_world, console, mut client) = console("").await;
    client.origin = Some("https://evil.example".into());
    let refused = client.login("ann", PASSWORD).await;
    assert_eq!(refused.status, 403, "{}", refused.text());
    console.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn failed_logins_from_one_address_are_refused_for_a_while() {
    let (_world, console, mut client) = console("login_failures = 3").await;
    for _ in 0..3 {
        assert_eq!(client.login("ann", "wrong").await.status, 401);
    }
    // Even the right password is refused now.
    let refused = client.login("ann", PASSWORD).await;
    assert_eq!(refused.status, 429, "{}", refused.text());
    assert!(refused.header("retry-after").is_some());
    let form = client
        .post(
            "/login",
            "application/x-www-form-urlencoded",
            format!("user=ann&password={}", PASSWORD.replace(' ', "+")).into_bytes(),
        )
        .await;
    assert_eq!(form.status, 429);
    console.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deferred_message_is_listed_held_released_and_traced() {
    let (world, console, mut client) = console("").await;
    client.login("ann", PASSWORD).await;
    let reply = common::submit(&world, "alice@sender.test", &["bob@dead.test"]).await;
    assert!(reply.starts_with("250"), "{reply}");
    let id = common::queue_id(&reply);
    world.daemon.drain().await.unwrap();

    let listing = client.get("/api/v1/queue?state=deferred").await;
    assert_eq!(listing.status, 200, "{}", listing.text());
    let listing = listing.json();
    assert_eq!(listing["messages"][0]["id"], id.as_str());
    assert!(listing["summary"]["by_domain"].is_array());
    let none = client
        .get("/api/v1/queue?state=deferred&destination=dane.test")
        .await
        .json();
    assert_eq!(none["messages"].as_array().unwrap().len(), 0);
    let too_young = client.get("/api/v1/queue?older_than=1h").await.json();
    assert_eq!(too_young["messages"].as_array().unwrap().len(), 0);
    assert_eq!(
        client.get("/api/v1/queue?older_than=soon").await.status,
        400
    );

    let held = client
        .send(
            "POST",
            &format!("/api/v1/queue/{id}/hold"),
            None,
            Vec::new(),
        )
        .await;
    assert_eq!(held.status, 200, "{}", held.text());
    assert_eq!(held.json()["count"], 1);
    let listing = client.get("/api/v1/queue?state=held").await.json();
    assert_eq!(listing["messages"][0]["id"], id.as_str());

    let released = client
        .post_json(
            "/api/v1/queue-operations/release",
            serde_json::json!({"domain": "dead.test"}),
        )
        .await;
    assert_eq!(released.json()["count"], 1);
    assert_eq!(
        client.get("/api/v1/queue?state=held").await.json()["messages"]
            .as_array()
            .unwrap()
            .len(),
        0
    );

    let shown = client.get(&format!("/api/v1/queue/{id}")).await;
    assert_eq!(shown.status, 200);
    assert_eq!(
        shown.json()["recipients"][0]["recipient"]["address"],
        "bob@dead.test"
    );
    let traced = client.get("/api/v1/trace?q=bob@dead.test").await.json();
    assert_eq!(traced[0]["id"], id.as_str());
    let by_sender = client
        .get("/api/v1/trace?sender=alice@sender.test")
        .await
        .json();
    assert_eq!(by_sender[0]["id"], id.as_str());
    let later = client
        .get("/api/v1/trace?q=bob@dead.test&since=2999-01-01")
        .await
        .json();
    assert_eq!(later.as_array().unwrap().len(), 0);
    assert_eq!(
        client.get("/api/v1/queue/0000000000000000").await.status,
        404
    );
    console.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_running_configuration_hides_its_secrets() {
    let (_world, console, mut client) = console("").await;
    client.login("ann", PASSWORD).await;
    let config = client.get("/api/v1/config").await;
    assert_eq!(config.status, 200);
    let text = config.text();
    assert!(!text.contains("argon2"), "{text}");
    assert_eq!(config.json()["user"][0]["password_hash"], "********");
    assert_eq!(config.json()["server"]["hostname"], "mail.sender.test");
    console.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_are_prometheus_text_without_login_when_enabled() {
    let (world, console, client) = console("metrics = true").await;
    common::submit(&world, "alice@sender.test", &["bob@dead.test"]).await;
    common::submit(&world, "alice@sender.test", &["carol@dane.test"]).await;
    world.daemon.drain().await.unwrap();
    let metrics = client.get("/metrics").await;
    assert_eq!(metrics.status, 200);
    assert!(
        metrics
            .header("content-type")
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = metrics.text();
    let mut samples = 0;
    for line in text.lines() {
        if line.is_empty() || line.starts_with("# HELP ") || line.starts_with("# TYPE ") {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').expect("a sample line has a value");
        value
            .parse::<f64>()
            .unwrap_or_else(|_| panic!("not a number in {line:?}"));
        let name = series.split('{').next().unwrap();
        assert!(
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "{line}"
        );
        if let Some(labels) = series.strip_prefix(name) {
            assert!(
                labels.is_empty() || (labels.starts_with('{') && labels.ends_with('}')),
                "{line}"
            );
        }
        samples += 1;
    }
    assert!(samples > 0, "{text}");
    assert!(
        text.contains("sealane_queue_recipients{state=\"deferred\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("sealane_messages_received_total{pool=\"normal\"} 2"),
        "{text}"
    );
    assert!(
        text.contains(
            "sealane_recipients_total{outcome=\"delivered\",cause=\"none\",security=\"dane\"} 1"
        ),
        "{text}"
    );
    assert!(
        text.contains("sealane_delivery_latency_seconds_count 1"),
        "{text}"
    );
    assert!(
        text.contains("sealane_tls_sessions_total{policy=\"dane\",result_type=\"success\"} 1"),
        "{text}"
    );
    console.stop().await;
}

/// The value of the sample `series` (name and labels as written) in
/// Prometheus text.
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| {
            line.strip_prefix(series)
                .and_then(|rest| rest.strip_prefix(' '))
        })
        .unwrap_or_else(|| panic!("no {series} in\n{text}"))
        .parse()
        .unwrap()
}

const TESTING: &str = "version: STSv1\nmode: testing\nmx: mx1.sts.test\nmax_age: 86400\n";

#[tokio::test(flavor = "multi_thread")]
async fn metrics_count_the_resolvers_lookups_and_the_mta_sts_fetches() {
    // sts.test: no DANE, an MTA-STS policy in `testing` mode served from
    // 127.0.0.182, one plain MX on 127.0.0.181.
    let world = common::world_with_zones(
        &admin_config("metrics = true"),
        vec![common::ExtraDomain {
            name: "sts.test",
            hosts: vec![(181, Behaviour::plain())],
        }],
        |zones| {
            sts_domain(zones, "sts.test", "20261203", loopback(182));
        },
    )
    .await;
    let _policy_host = PolicyHost::start(
        SocketAddr::new(loopback(182), world.reports.port()),
        PolicyBehaviour::serving(&world.ca.issue(&["mta-sts.sts.test"]), TESTING),
    )
    .unwrap();
    let console = admin::Console::start(world.daemon.shared().clone())
        .await
        .unwrap()
        .unwrap();
    let client = Client::plain(console.address());

    let before = client.get("/metrics").await.text();
    assert_eq!(
        sample(&before, "sealane_mta_sts_fetches_total{result=\"ok\"}"),
        0.0
    );

    for _ in 0..2 {
        let reply = common::submit(&world, "alice@sender.test", &["carol@sts.test"]).await;
        assert!(reply.starts_with("250"), "{reply}");
        world.daemon.drain().await.unwrap();
    }
    assert_eq!(world.receivers[2].messages().len(), 2);

    let text = client.get("/metrics").await.text();
    // The first delivery fetched the policy, the second took it from the cache.
    assert_eq!(
        sample(&text, "sealane_mta_sts_fetches_total{result=\"ok\"}"),
        1.0,
        "{text}"
    );
    assert_eq!(
        sample(&text, "sealane_mta_sts_fetches_total{result=\"failed\"}"),
        0.0,
        "{text}"
    );
    assert_eq!(
        sample(&text, "sealane_mta_sts_cache_hits_total"),
        1.0,
        "{text}"
    );
    assert!(text.contains("# TYPE sealane_mta_sts_fetches_total counter"));

    // The resolver: lookups went out, and the second delivery was answered
    // from the cache.
    assert!(text.contains("# TYPE sealane_dns_lookup_seconds histogram"));
    let count = sample(&text, "sealane_dns_lookup_seconds_count");
    assert!(count >= 3.0, "{text}");
    assert!(
        sample(&text, "sealane_dns_lookup_seconds_sum") > 0.0,
        "{text}"
    );
    assert_eq!(
        sample(&text, "sealane_dns_lookup_seconds_bucket{le=\"+Inf\"}"),
        count
    );
    let buckets: Vec<f64> = text
        .lines()
        .filter(|l| l.starts_with("sealane_dns_lookup_seconds_bucket{"))
        .map(|l| l.rsplit_once(' ').unwrap().1.parse().unwrap())
        .collect();
    assert!(buckets.len() > 2, "{text}");
    assert!(buckets.windows(2).all(|w| w[0] <= w[1]), "{text}");
    assert!(
        sample(&text, "sealane_dns_cache_hits_total") > 0.0,
        "{text}"
    );
    sample(&text, "sealane_dns_lookup_failures_total");
    console.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn blocked_senders_are_listed_and_released_with_the_csrf_token() {
    let (world, console, mut client) = console("").await;
    let store = &world.daemon.shared().store;
    let limits = SendingLimits {
        recipients_per_hour: 1,
        recipients_per_day: 100,
        messages_per_minute: 100,
    };
    for subject in [Subject::user("bob"), Subject::domain("bulk.example")] {
        let verdict = store
            .count_sending(SendingRequest {
                subjects: vec![(subject, limits)],
                recipients: 2,
            })
            .await
            .unwrap();
        assert!(matches!(verdict, SendingVerdict::Blocked(_)), "{verdict:?}");
    }
    client.login("ann", PASSWORD).await;
    let listed = client.get("/api/v1/limits").await;
    assert_eq!(listed.status, 200, "{}", listed.text());
    let listed = listed.json();
    assert_eq!(listed.as_array().unwrap().len(), 2, "{listed}");
    let bob = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["subject"]["name"] == "bob")
        .expect("bob is listed");
    assert_eq!(bob["subject"]["kind"], "user");
    assert_eq!(bob["limit"], "recipients-per-hour");
    assert_eq!(bob["allowed"], 1);
    assert_eq!(bob["count"], 2);

    // Without the CSRF token: refused, and bob stays blocked.
    let mut without = client.clone();
    without.csrf = None;
    let refused = without
        .post_json("/api/v1/limits/release", serde_json::json!({"name": "bob"}))
        .await;
    assert_eq!(refused.status, 403, "{}", refused.text());
    assert_eq!(
        client
            .get("/api/v1/limits")
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        2
    );

    let released = client
        .post_json("/api/v1/limits/release", serde_json::json!({"name": "bob"}))
        .await;
    assert_eq!(released.status, 200, "{}", released.text());
    assert_eq!(released.json()["released"], 1);
    let left = client.get("/api/v1/limits").await.json();
    assert_eq!(left.as_array().unwrap().len(), 1, "{left}");
    assert_eq!(left[0]["subject"]["name"], "bulk.example");
    assert_eq!(left[0]["subject"]["kind"], "domain");
    // The store agrees, as `sealane limits list` would show it.
    assert_eq!(store.sending_blocks().await.unwrap().len(), 1);

    let again = client
        .post_json("/api/v1/limits/release", serde_json::json!({"name": "bob"}))
        .await;
    assert_eq!(again.json()["released"], 0);
    let nameless = client
        .post_json("/api/v1/limits/release", serde_json::json!({"name": " "}))
        .await;
    assert_eq!(nameless.status, 400, "{}", nameless.text());
    console.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_pools_of_the_running_configuration_are_listed() {
    let pools = "[pools.bulk]\nsource = [\"127.0.0.154\", \"::1\"]\nehlo = \"bulk.sender.test\"\n\
                 senders = [\"news@sender.test\", \"Bulk.Example\"]\n\n";
    let (_world, console, mut client) = console(&format!("\n{pools}")).await;
    client.login("ann", PASSWORD).await;
    let answer = client.get("/api/v1/pools").await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    let listed = answer.json();
    let names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["bulk", "high-risk", "normal", "relay"], "{listed}");
    let bulk = &listed[0];
    assert_eq!(bulk["sources"], serde_json::json!(["127.0.0.154", "::1"]));
    assert_eq!(bulk["ehlo"], "bulk.sender.test");
    assert_eq!(
        bulk["senders"],
        serde_json::json!(["bulk.example", "news@sender.test"])
    );
    let normal = &listed[2];
    assert_eq!(normal["ehlo"], "mail.sender.test");
    assert_eq!(normal["senders"], serde_json::json!([]));
    assert!(!answer.text().contains("argon2"));
    console.stop().await;
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

const RFC_EXAMPLE: &[u8] =
    include_bytes!("../../report/tests/fixtures/tlsrpt/rfc8460-example.json");

#[tokio::test(flavor = "multi_thread")]
async fn a_gzip_tls_report_posted_without_login_is_kept_and_shown() {
    let (_world, console, mut client) = console("").await;
    let wrong = client
        .post("/tlsrpt", "text/plain", RFC_EXAMPLE.to_vec())
        .await;
    assert_eq!(wrong.status, 415, "{}", wrong.text());
    let garbage = client
        .post("/tlsrpt", "application/tlsrpt+gzip", b"not gzip".to_vec())
        .await;
    assert_eq!(garbage.status, 400, "{}", garbage.text());
    let posted = client
        .post("/tlsrpt", "application/tlsrpt+gzip", gzip(RFC_EXAMPLE))
        .await;
    assert_eq!(posted.status, 200, "{}", posted.text());

    client.login("ann", PASSWORD).await;
    let received = client.get("/api/v1/reports/tls/received").await;
    assert_eq!(received.status, 200, "{}", received.text());
    let received = received.json();
    assert_eq!(received["reports"], 1, "{received}");
    assert_eq!(
        received["policies"][0]["policy-domain"],
        "company-y.example"
    );
    let filtered = client
        .get("/api/v1/reports/tls/received?domain=other.example")
        .await
        .json();
    assert_eq!(filtered["reports"], 0);
    console.stop().await;
}

const SAMPLE_DMARC: &[u8] = include_bytes!("../../report/tests/fixtures/dmarc/sample-reporter.xml");

#[tokio::test(flavor = "multi_thread")]
async fn received_dmarc_reports_are_summed_per_domain_and_source() {
    let (world, console, mut client) = console("").await;
    let report = report::dmarc::read(SAMPLE_DMARC).expect("the sample parses");
    let kept = report::dmarc::to_store(&report, std::time::SystemTime::now()).expect("keyed");
    assert!(
        world
            .daemon
            .shared()
            .store
            .store_received_dmarc_report(kept)
            .await
            .expect("kept")
    );
    client.login("ann", PASSWORD).await;
    let received = client.get("/api/v1/reports/dmarc/received").await;
    assert_eq!(received.status, 200, "{}", received.text());
    let received = received.json();
    assert_eq!(received["reports"], 1, "{received}");
    assert_eq!(received["domains"][0]["domain"], "example.com");
    assert_eq!(received["domains"][0]["reporters"][0], "Sample Reporter");
    assert_eq!(
        received["domains"][0]["sources"][0]["source_ip"],
        "192.168.4.4"
    );
    assert_eq!(received["domains"][0]["sources"][0]["count"], 123);
    let filtered = client
        .get("/api/v1/reports/dmarc/received?domain=other.example")
        .await
        .json();
    assert_eq!(filtered["reports"], 0);
    let page = client.get("/reports/dmarc").await;
    assert_eq!(page.status, 200, "{}", page.text());
    assert!(page.text().contains("192.168.4.4"), "{}", page.text());
    console.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn over_tls_the_cookie_is_secure_and_host_prefixed() {
    let net = common::internet().await;
    let ca = TestCa::new("console test ca");
    let identity = ca.issue(&["mail.sender.test"]);
    let certificate = net.dir.path().join("cert.pem");
    let key = net.dir.path().join("key.pem");
    std::fs::write(&certificate, identity.chain_pem()).unwrap();
    std::fs::write(&key, identity.key_pem()).unwrap();
    let extra = format!(
        "[tls]\ncertificate = \"{}\"\nkey = \"{}\"\n\n{}",
        certificate.display(),
        key.display(),
        admin_config("")
    );
    let text = net.config_text(&extra, SocketAddr::from(([127, 0, 0, 1], 0)));
    let config = Config::parse(&text, std::path::Path::new("test.toml")).unwrap();
    assert!(
        config.admin.as_ref().unwrap().tls,
        "TLS is on when [tls] is configured"
    );
    let clock = Arc::new(ManualClock::new(SystemTime::now()));
    let daemon = Daemon::start(config, clock, Scheduling::Manual)
        .await
        .unwrap();
    let console = admin::Console::start(daemon.shared().clone())
        .await
        .unwrap()
        .unwrap();
    let mut client = Client::plain(console.address());
    client.tls = Some((
        tokio_rustls::TlsConnector::from(ca.rustls_client_config()),
        "mail.sender.test".into(),
    ));
    let answer = client.login("ann", PASSWORD).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    let set_cookie = answer.header("set-cookie").unwrap();
    assert!(set_cookie.starts_with("__Host-sealane="), "{set_cookie}");
    assert!(set_cookie.contains("; Secure"), "{set_cookie}");
    assert!(set_cookie.contains("; HttpOnly"), "{set_cookie}");
    assert!(set_cookie.contains("; SameSite=Strict"), "{set_cookie}");
    assert_eq!(client.get("/api/v1/session").await.json()["user"], "ann");
    console.stop().await;
    daemon.stop().await;
}

/// The hourly counts come from the store: the hour's DANE delivery and
/// DANE failure (tlsa-invalid) are there; and a search by sender finds
/// the delivered message as well as the deferred one, within a time of
/// arrival.
#[tokio::test(flavor = "multi_thread")]
async fn hourly_counts_and_sender_search_read_the_store() {
    let (world, console, mut client) = console("").await;
    client.login("ann", PASSWORD).await;
    let delivered =
        common::queue_id(&common::submit(&world, "alice@sender.test", &["carol@dane.test"]).await);
    let deferred = common::queue_id(
        &common::submit(&world, "alice@sender.test", &["dave@mismatch.test"]).await,
    );
    let other =
        common::queue_id(&common::submit(&world, "bob@sender.test", &["erin@dane.test"]).await);
    world.daemon.drain().await.unwrap();

    let stats = client.get("/api/v1/stats/hourly").await;
    assert_eq!(stats.status, 200, "{}", stats.text());
    let stats = stats.json();
    let hours = stats["hours"].as_array().expect("hours");
    assert_eq!(hours.len(), 24, "{stats}");
    let now = &hours[23];
    assert_eq!(
        now["delivered"],
        serde_json::json!({"dane": 2, "mta-sts": 0, "tls": 0, "plaintext": 0}),
        "{stats}"
    );
    assert!(now["failed"]["tlsa-invalid"].as_u64() >= Some(1), "{stats}");
    assert!(
        hours[..23]
            .iter()
            .all(|h| h["failed"] == serde_json::json!({})),
        "{stats}"
    );
    let hour = now["hour"].as_u64().expect("milliseconds");
    assert_eq!(hour % 3_600_000, 0, "on the hour");
    let three = client.get("/api/v1/stats/hourly?hours=3").await.json();
    assert_eq!(three["hours"].as_array().map(Vec::len), Some(3));
    assert_eq!(three["hours"][2], *now);
    for bad in ["0", "169", "x"] {
        let refused = client
            .get(&format!("/api/v1/stats/hourly?hours={bad}"))
            .await;
        assert_eq!(refused.status, 400, "{bad}");
    }

    let found = client.get("/api/v1/trace?sender=Alice@Sender.test").await;
    assert_eq!(found.status, 200, "{}", found.text());
    let found = found.json();
    let ids: Vec<&str> = found
        .as_array()
        .expect("a list")
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [delivered.as_str(), deferred.as_str()], "{found}");
    assert_eq!(
        found[0]["recipients"][0]["state"]["state"], "delivered",
        "{found}"
    );
    let later = client
        .get(&format!(
            "/api/v1/trace?sender=alice@sender.test&since={}",
            hour + 3_600_000
        ))
        .await
        .json();
    assert_eq!(later, serde_json::json!([]));
    let earlier = client
        .get(&format!(
            "/api/v1/trace?sender=alice@sender.test&until={}",
            hour - 1
        ))
        .await
        .json();
    assert_eq!(earlier, serde_json::json!([]));
    let within = client
        .get(&format!(
            "/api/v1/trace?sender=bob@sender.test&since={hour}&until={}",
            hour + 3_600_000
        ))
        .await
        .json();
    assert_eq!(within[0]["id"], other.as_str(), "{within}");
    // A day as `until` includes the whole day.
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_millis(hour);
    let day = report::tlsrpt::datetime::format(at.into())[..10].to_owned();
    let today = client
        .get(&format!(
            "/api/v1/trace?sender=alice@sender.test&since={day}&until={day}"
        ))
        .await
        .json();
    assert_eq!(today.as_array().map(Vec::len), Some(2), "{today}");
    let page = client.get("/trace?sender=alice%40sender.test").await.text();
    assert!(page.contains(&format!("/message/{delivered}")), "{page}");
    assert!(page.contains("2 messages found"), "{page}");
    console.stop().await;
}
