//! DMARC aggregate reporting (RFC 7489 §7.2) end to end through `serve`
//! with test-world DNS: messages evaluated on the MX listener are counted
//! (passing ones and a refused `p=reject` failure), and once the day is
//! over the Domain Owner's report is queued to the `rua` addresses that
//! take it: its own, an outside one that authorizes it (§7.1), not an
//! outside one that does not nor one whose `!` size is too small. The
//! report sent to our own report address is kept once; anything else
//! there is refused.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::{Talk, World, world_with_zones};
use queue::{ReportState, utc_day};
use server::config::Role;
use testworld::dns::{Denial, DnsWorld};

const CONFIG: &str = "[auth]\nauthserv_id = \"mx.sealane.test\"\n\n\
[dmarc_report]\nenabled = true\norganization_name = \"Sealane Test\"\n\
receive_address = \"dmarc-reports@sender.test\"\n\n\
[[listener]]\nrole = \"mx\"\naddress = \"127.0.0.3:0\"\n";

fn zones(dns: &mut DnsWorld) {
    let z = dns.signed_zone("reporting.test.", Denial::Nsec);
    z.txt("reporting.test.", "v=spf1 ip4:127.0.0.0/8 -all");
    z.txt(
        "_dmarc.reporting.test.",
        "v=DMARC1; p=reject; rua=mailto:dmarc@reporting.test,mailto:agg@thirdparty.test,\
         mailto:agg@stranger.test,mailto:tiny@thirdparty.test!1",
    );
    let z = dns.signed_zone("thirdparty.test.", Denial::Nsec);
    z.txt("reporting.test._report._dmarc.thirdparty.test.", "v=DMARC1");
    dns.signed_zone("stranger.test.", Denial::Nsec);
}

async fn reporting_world() -> World {
    world_with_zones(CONFIG, Vec::new(), zones).await
}

fn mx(w: &World) -> SocketAddr {
    w.daemon
        .listening()
        .iter()
        .find(|(role, _)| *role == Role::Mx)
        .expect("an MX listener")
        .1
}

async fn send(w: &World, mail_from: &str, to: &str, body: &str) -> String {
    let (mut talk, greeting) = Talk::connect(mx(w)).await;
    assert!(greeting.starts_with("220"), "{greeting}");
    let r = talk.send("EHLO client.reporting.test").await;
    assert!(r.starts_with("250"), "{r}");
    let reply = talk.mail(mail_from, &[to], body).await;
    talk.send("QUIT").await;
    reply
}

fn news(n: u32) -> String {
    format!(
        "From: <news@reporting.test>\r\nTo: bob@sender.test\r\nSubject: news {n}\r\n\
         Message-ID: <{n}@reporting.test>\r\n\r\nHi."
    )
}

/// The report mail queued for `rua`: its recipients and its text.
async fn queued_report(w: &World) -> (Vec<String>, String) {
    let store = &w.daemon.shared().store;
    let listed = store.list(100).await.expect("list");
    let report = listed
        .iter()
        .find(|m| m.sender.is_empty())
        .expect("a report queued with a null sender");
    let recipients = report
        .recipients
        .iter()
        .map(|r| r.recipient.address.clone())
        .collect();
    let body = store.body(report.id).await.expect("its body");
    (recipients, String::from_utf8(body).expect("ASCII"))
}

/// The gzip attachment of the report mail, checked by `xmllint` against
/// RFC 7489 Appendix C (libxml2 reads the gzip file as it is).
fn assert_valid_against_rfc_7489(mail: &str) {
    use mail_parser::MimeHeaders;
    let parsed = mail_parser::MessageParser::new()
        .parse(mail.as_bytes())
        .expect("the report mail parses");
    let gzip = parsed
        .attachments()
        .find(|a| a.attachment_name().is_some_and(|n| n.ends_with(".xml.gz")))
        .expect("an .xml.gz attachment")
        .contents();
    let dir = tempfile::tempdir().expect("temporary directory");
    let file = dir.path().join("report.xml.gz");
    std::fs::write(&file, gzip).expect("write");
    let schema = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../report/tests/fixtures/dmarc/rfc7489-appendix-c.xsd"
    );
    let out = std::process::Command::new("xmllint")
        .args(["--noout", "--schema", schema])
        .arg(&file)
        .output()
        .expect("xmllint runs (libxml2-utils; .ci/run installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_day_report_goes_to_the_addresses_that_take_it_and_is_kept_where_we_receive() {
    let w = reporting_world().await;
    for n in 0..2 {
        let reply = send(&w, "news@reporting.test", "bob@sender.test", &news(n)).await;
        assert!(reply.starts_with("250"), "{reply}");
    }
    // nodmarc.test publishes -all: SPF fails, and it is not aligned anyway.
    let reply = send(&w, "x@nodmarc.test", "bob@sender.test", &news(9)).await;
    assert!(reply.starts_with("550 5.7.1"), "{reply}");
    let today = utc_day(w.daemon.shared().now());

    assert_eq!(
        w.daemon.send_dmarc_reports().await.expect("store"),
        0,
        "nothing is due before the day is over"
    );
    // A day later, and past the minute the other nodes have to write
    // their last counts of the day.
    w.clock.advance(Duration::from_secs(86_400 + 120));
    assert_eq!(w.daemon.send_dmarc_reports().await.expect("store"), 1);
    assert_eq!(w.daemon.send_dmarc_reports().await.expect("store"), 0);
    let status = w
        .daemon
        .shared()
        .store
        .dmarc_report_status("reporting.test", today)
        .await
        .expect("status")
        .expect("a status");
    assert!(
        matches!(status.state, ReportState::Sent { .. }),
        "{status:?}"
    );

    let (mut recipients, text) = queued_report(&w).await;
    recipients.sort();
    assert_eq!(
        recipients,
        vec!["agg@thirdparty.test", "dmarc@reporting.test"],
        "stranger.test does not authorize it; tiny@ takes 1 octet"
    );
    assert_valid_against_rfc_7489(&text);
    let report = report::dmarc::read(text.as_bytes()).expect("the mail carries a report");
    assert_eq!(report.domain(), "reporting.test");
    assert_eq!(report.org_name(), "Sealane Test");
    let summary = report::dmarc::summarise(&report);
    assert_eq!((summary.messages, summary.passed), (3, 2));
    let mut rows: Vec<(u64, &str, &str, &str)> = summary
        .sources
        .iter()
        .map(|s| (s.count, s.disposition, s.dkim, s.spf))
        .collect();
    rows.sort();
    assert_eq!(
        rows,
        vec![(1, "reject", "fail", "fail"), (2, "none", "fail", "pass")]
    );
    let rejected = report
        .records()
        .iter()
        .find(|r| r.count() == 1)
        .expect("the refused message's row");
    assert_eq!(rejected.envelope_from(), "nodmarc.test");
    assert_eq!(rejected.header_from(), "reporting.test");

    // The report, sent to our own report address, is kept once.
    let reply = send(&w, "", "dmarc-reports@sender.test", &text).await;
    assert!(
        reply.starts_with("250 2.0.0 DMARC aggregate report kept for reporting.test"),
        "{reply}"
    );
    let reply = send(&w, "", "dmarc-reports@sender.test", &text).await;
    assert!(reply.starts_with("250"), "{reply}");
    let kept = w
        .daemon
        .shared()
        .store
        .received_dmarc_reports(Some("reporting.test"), None)
        .await
        .expect("read");
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].organization_name, "Sealane Test");
    let not_a_report = "From: <x@nodmarc.test>\r\nSubject: hello\r\n\r\nHi.";
    let reply = send(&w, "", "dmarc-reports@sender.test", not_a_report).await;
    assert!(reply.starts_with("550 5.6.0"), "{reply}");
}

#[tokio::test(flavor = "multi_thread")]
async fn nothing_is_counted_when_reporting_is_off() {
    let config = CONFIG.replace("enabled = true", "enabled = false");
    let w = world_with_zones(&config, Vec::new(), zones).await;
    let reply = send(&w, "news@reporting.test", "bob@sender.test", &news(1)).await;
    assert!(reply.starts_with("250"), "{reply}");
    let today = utc_day(w.daemon.shared().now());
    w.clock.advance(Duration::from_secs(86_400 + 120));
    assert_eq!(w.daemon.send_dmarc_reports().await.expect("store"), 0);
    assert!(
        w.daemon
            .shared()
            .store
            .dmarc_rows("reporting.test", today)
            .await
            .expect("rows")
            .is_empty()
    );
}
