//! SPF findings against the DNS test world: one record or not, syntax, the
//! lookup count through nested includes, void lookups, loops and `all`.

mod common;

use check::{Area, Detail, Severity, check_spf};
use common::{at_most, ids, name, none, only, serve};
use testworld::dns::{Denial, DnsWorld, Fault};

/// A world with `example.test.` holding `spf` at its apex, with an address
/// and an MX host so that `a` and `mx` terms find something.
fn world_with(spf: &str) -> DnsWorld {
    let mut world = DnsWorld::new();
    world
        .signed_zone("example.test.", Denial::Nsec)
        .a("example.test.", "192.0.2.1")
        .mx(10, "mx.example.test.")
        .a("mx.example.test.", "192.0.2.2")
        .txt("example.test.", spf);
    world
}

/// A TXT record of several strings, as a record over 255 octets must be
/// published (RFC 7208 §3.3).
fn long_txt(owner: &str, text: &str) -> hickory_proto::rr::Record {
    use hickory_proto::rr::{RData, Record, rdata::TXT};
    let strings: Vec<String> = text
        .as_bytes()
        .chunks(255)
        .map(|c| String::from_utf8(c.to_vec()).expect("ASCII test text"))
        .collect();
    Record::from_rdata(name(owner), 300, RData::TXT(TXT::new(strings)))
}

async fn check(world: DnsWorld) -> Vec<check::Finding> {
    let env = serve(world).await;
    check_spf(&env.resolver, &name("example.test")).await
}

#[tokio::test]
async fn spf_eleven_lookups_through_nested_includes_names_the_include_that_crosses() {
    let mut world = world_with("v=spf1 a mx include:_spf.one.test include:_spf.two.test -all");
    world
        .signed_zone("one.test.", Denial::Nsec)
        .txt(
            "_spf.one.test.",
            "v=spf1 a:a1.one.test a:a2.one.test a:a3.one.test ip4:192.0.2.0/24 -all",
        )
        .a("a1.one.test.", "192.0.2.11")
        .a("a2.one.test.", "192.0.2.12")
        .a("a3.one.test.", "192.0.2.13");
    world
        .signed_zone("two.test.", Denial::Nsec)
        .txt("_spf.two.test.", "v=spf1 include:_spf.deep.test ~all");
    world
        .unsigned_zone("deep.test.")
        .txt(
            "_spf.deep.test.",
            "v=spf1 a:x.deep.test a:y.deep.test a:z.deep.test ~all",
        )
        .a("x.deep.test.", "192.0.2.21")
        .a("y.deep.test.", "192.0.2.22")
        .a("z.deep.test.", "192.0.2.23");
    let findings = check(world).await;

    let finding = only(&findings, "spf-too-many-lookups");
    assert_eq!(finding.severity, Severity::Error);
    assert_eq!(finding.area, Area::Spf);
    assert!(
        finding
            .evidence
            .contains("11 lookups (limit 10); include:_spf.two.test pushes the count over 10"),
        "{}",
        finding.evidence
    );
    assert!(
        finding.evidence.contains(
            "lookup 11 is a:z.deep.test in the record of _spf.deep.test, reached through \
             include:_spf.two.test -> include:_spf.deep.test -> a:z.deep.test"
        ),
        "{}",
        finding.evidence
    );
    // The tree in text: nested, each record with its DNSSEC status.
    assert!(
        finding.evidence.contains(
            "\n  include:_spf.two.test +1 -> _spf.two.test (DNSSEC: secure): 4 lookups\n    \
             include:_spf.deep.test +1 -> _spf.deep.test (DNSSEC: insecure): 3 lookups\n      \
             a:x.deep.test +1"
        ),
        "{}",
        finding.evidence
    );
    let Some(Detail::SpfTree(tree)) = &finding.detail else {
        panic!("the tree is attached: {finding:?}");
    };
    assert_eq!(tree.lookups, 11);
    let crossing = tree.over_limit.as_ref().expect("crossing named");
    assert_eq!(crossing.top, "include:_spf.two.test");
    assert_eq!(crossing.domain, "_spf.deep.test");
    // JSON has the tree structure.
    let json = serde_json::to_value(finding).unwrap();
    let detail = &json["detail"];
    assert_eq!(detail["kind"], "spf-tree");
    assert_eq!(detail["lookups"], 11);
    let two = &detail["root"]["terms"][3];
    assert_eq!(two["term"], "include:_spf.two.test");
    assert_eq!(two["lookups"], 5);
    assert_eq!(two["record"]["domain"], "_spf.two.test");
    assert_eq!(two["record"]["dnssec"], "secure");
    let deep = &two["record"]["terms"][0]["record"];
    assert_eq!(deep["dnssec"], "insecure");
    assert_eq!(deep["terms"].as_array().unwrap().len(), 3);
    none(&findings, "spf-lookup-count");
    none(&findings, "spf-void-lookup");
}

#[tokio::test]
async fn spf_ten_lookups_pass_with_the_tree() {
    let mut world = world_with("v=spf1 a mx include:_spf.one.test -all");
    let zone = world.signed_zone("one.test.", Denial::Nsec);
    let terms: Vec<String> = (1..=7).map(|i| format!("a:h{i}.one.test")).collect();
    zone.txt(
        "_spf.one.test.",
        &format!("v=spf1 {} -all", terms.join(" ")),
    );
    for i in 1..=7 {
        zone.a(&format!("h{i}.one.test."), "192.0.2.30");
    }
    let findings = check(world).await;
    let finding = only(&findings, "spf-lookup-count");
    assert_eq!(finding.severity, Severity::Pass);
    assert!(
        finding.evidence.starts_with("10 of 10 lookups\n"),
        "{}",
        finding.evidence
    );
    none(&findings, "spf-too-many-lookups");
    at_most(&findings, Severity::Pass);
}

#[tokio::test]
async fn spf_more_than_two_void_lookups_is_an_error() {
    let mut world = world_with(
        "v=spf1 a:gone.example.test mx:nomx.example.test include:_spf.example.test -all",
    );
    world
        .zone("example.test.")
        .unwrap()
        .a("nomx.example.test.", "192.0.2.3")
        .txt("_spf.example.test.", "v=spf1 a:vanished.example.test ~all");
    let findings = check(world).await;
    let finding = only(&findings, "spf-too-many-void-lookups");
    assert_eq!(finding.severity, Severity::Error);
    assert!(
        finding.evidence.starts_with("3 void lookups (limit 2): "),
        "{}",
        finding.evidence
    );
    for void in [
        "a:gone.example.test in example.test: gone.example.test has no address (NXDOMAIN)",
        "mx:nomx.example.test in example.test: nomx.example.test MX: NODATA",
        "a:vanished.example.test in _spf.example.test: vanished.example.test has no address",
    ] {
        assert!(
            finding.evidence.contains(void),
            "{void} in {}",
            finding.evidence
        );
    }
    none(&findings, "spf-void-lookup");
}

#[tokio::test]
async fn spf_one_void_lookup_is_a_warning() {
    let findings = check(world_with("v=spf1 mx a:old.example.test -all")).await;
    let finding = only(&findings, "spf-void-lookup");
    assert_eq!(finding.severity, Severity::Warning);
    assert!(
        finding
            .evidence
            .contains("old.example.test has no address (NXDOMAIN)")
    );
    none(&findings, "spf-too-many-void-lookups");
}

#[tokio::test]
async fn spf_include_loop_is_an_error() {
    let mut world = world_with("v=spf1 include:_spf.loop.test -all");
    world
        .signed_zone("loop.test.", Denial::Nsec)
        .txt(
            "_spf.loop.test.",
            "v=spf1 ip4:192.0.2.0/24 include:_spf2.loop.test ~all",
        )
        .txt("_spf2.loop.test.", "v=spf1 include:_spf.loop.test ~all");
    let findings = check(world).await;
    let finding = only(&findings, "spf-include-loop");
    assert_eq!(finding.severity, Severity::Error);
    assert_eq!(
        finding.evidence,
        "include:_spf.loop.test closes the loop \
         example.test -> _spf.loop.test -> _spf2.loop.test -> _spf.loop.test"
    );
    // The loop is counted once per term, then stops.
    assert!(
        only(&findings, "spf-lookup-count")
            .evidence
            .starts_with("3 of 10")
    );
}

#[tokio::test]
async fn spf_including_itself_is_a_loop() {
    let findings = check(world_with("v=spf1 mx include:EXAMPLE.test -all")).await;
    assert!(
        only(&findings, "spf-include-loop")
            .evidence
            .contains("example.test -> example.test")
    );
}

#[tokio::test]
async fn spf_plus_all_is_an_error() {
    let findings = check(world_with("v=spf1 mx +all")).await;
    let finding = only(&findings, "spf-all-pass");
    assert_eq!(finding.severity, Severity::Error);
    assert!(finding.remedy.contains("anyone send as example.test"));
    // A bare `all` is `+all`.
    let findings = check(world_with("v=spf1 mx all")).await;
    only(&findings, "spf-all-pass");
}

#[tokio::test]
async fn spf_question_all_is_a_warning() {
    let findings = check(world_with("v=spf1 mx ?all")).await;
    assert_eq!(
        only(&findings, "spf-all-neutral").severity,
        Severity::Warning
    );
}

#[tokio::test]
async fn spf_without_all_or_redirect_is_a_warning() {
    let findings = check(world_with("v=spf1 mx")).await;
    let finding = only(&findings, "spf-no-all");
    assert_eq!(finding.severity, Severity::Warning);
    assert_eq!(finding.evidence, "the record of example.test has no all");
}

#[tokio::test]
async fn spf_softfail_and_fail_pass() {
    for record in ["v=spf1 mx ~all", "v=spf1 mx -all"] {
        let findings = check(world_with(record)).await;
        assert_eq!(only(&findings, "spf-all").severity, Severity::Pass);
        at_most(&findings, Severity::Pass);
        assert_eq!(
            ids(&findings),
            ["spf-record", "spf-all", "spf-lookup-count"],
            "{record}"
        );
    }
}

#[tokio::test]
async fn spf_redirect_supplies_the_all_and_counts() {
    let mut world = world_with("v=spf1 mx redirect=_spf.provider.test");
    world
        .signed_zone("provider.test.", Denial::Nsec)
        .txt("_spf.provider.test.", "v=spf1 ip4:198.51.100.0/24 -all");
    let findings = check(world).await;
    assert_eq!(
        only(&findings, "spf-all").evidence,
        "-all in the record of _spf.provider.test, through redirect="
    );
    assert!(
        only(&findings, "spf-lookup-count")
            .evidence
            .starts_with("2 of 10")
    );
}

#[tokio::test]
async fn spf_redirect_beside_all_is_ignored() {
    let findings = check(world_with("v=spf1 mx -all redirect=_spf.provider.test")).await;
    assert_eq!(
        only(&findings, "spf-redirect-ignored").severity,
        Severity::Warning
    );
    assert!(
        only(&findings, "spf-lookup-count")
            .evidence
            .starts_with("1 of 10")
    );
}

#[tokio::test]
async fn spf_missing_is_a_warning_with_a_starting_record() {
    let mut world = DnsWorld::new();
    world
        .signed_zone("example.test.", Denial::Nsec)
        .txt("example.test.", "google-site-verification=abc");
    let findings = check(world).await;
    assert_eq!(ids(&findings), ["spf-missing"]);
    let finding = &findings[0];
    assert_eq!(finding.severity, Severity::Warning);
    assert!(finding.remedy.contains("\"v=spf1 mx -all\""));
    assert_eq!(
        finding.evidence,
        "example.test TXT (DNSSEC: secure): \"google-site-verification=abc\""
    );
}

#[tokio::test]
async fn spf_missing_with_no_txt_at_all_says_nodata() {
    let mut world = DnsWorld::new();
    world
        .signed_zone("example.test.", Denial::Nsec)
        .mx(10, "mx.example.test.");
    let findings = check(world).await;
    assert_eq!(
        only(&findings, "spf-missing").evidence,
        "example.test TXT (DNSSEC: secure): no TXT records (NODATA)"
    );
}

#[tokio::test]
async fn spf_two_records_is_an_error() {
    let mut world = world_with("v=spf1 mx -all");
    world
        .zone("example.test.")
        .unwrap()
        .txt("example.test.", "v=spf1 include:_spf.provider.test ~all");
    let findings = check(world).await;
    assert_eq!(ids(&findings), ["spf-multiple-records"]);
    assert_eq!(findings[0].severity, Severity::Error);
    assert!(findings[0].evidence.contains("\"v=spf1 mx -all\""));
    assert!(
        findings[0]
            .evidence
            .contains("\"v=spf1 include:_spf.provider.test ~all\"")
    );
}

#[tokio::test]
async fn spf_syntax_errors_name_the_term() {
    let findings = check(world_with("v=spf1 mx ip4:192.0.2.300 inclde:x.test -all")).await;
    let errors: Vec<&str> = findings
        .iter()
        .filter(|f| f.id == "spf-syntax")
        .map(|f| f.evidence.as_str())
        .collect();
    assert_eq!(errors.len(), 2, "{findings:#?}");
    assert!(errors[0].starts_with("in the record of example.test: \"ip4:192.0.2.300\""));
    assert!(errors[1].contains("\"inclde:x.test\": unknown mechanism \"inclde\""));
}

#[tokio::test]
async fn spf_include_without_a_record_is_an_error() {
    let mut world = world_with("v=spf1 mx include:_spf.gone.test -all");
    world
        .signed_zone("gone.test.", Denial::Nsec)
        .a("gone.test.", "192.0.2.9");
    let findings = check(world).await;
    let finding = only(&findings, "spf-include-missing");
    assert_eq!(finding.severity, Severity::Error);
    assert!(
        finding
            .evidence
            .contains("include:_spf.gone.test in example.test; _spf.gone.test TXT (DNSSEC: secure): no such name (NXDOMAIN)"),
        "{}",
        finding.evidence
    );
    // NXDOMAIN is also a void lookup.
    only(&findings, "spf-void-lookup");
}

#[tokio::test]
async fn spf_ptr_is_deprecated() {
    let findings = check(world_with("v=spf1 ptr -all")).await;
    let finding = only(&findings, "spf-ptr");
    assert_eq!(finding.severity, Severity::Warning);
    assert_eq!(finding.evidence, "ptr in the record of example.test");
}

#[tokio::test]
async fn spf_mx_with_more_than_ten_hosts_is_an_error() {
    let mut world = world_with("v=spf1 mx:many.test -all");
    let zone = world.signed_zone("many.test.", Denial::Nsec);
    for i in 0..11 {
        zone.mx(10, &format!("mx{i}.many.test."))
            .a(&format!("mx{i}.many.test."), "192.0.2.40");
    }
    let findings = check(world).await;
    let finding = only(&findings, "spf-mx-too-many-hosts");
    assert_eq!(
        finding.evidence,
        "mx:many.test in example.test: 11 MX hosts (limit 10)"
    );
    assert!(
        only(&findings, "spf-lookup-count")
            .evidence
            .contains("mx:many.test +1 (11 MX hosts)")
    );
}

#[tokio::test]
async fn spf_macros_are_counted_but_not_followed() {
    let findings = check(world_with("v=spf1 exists:%{i}._ip.example.test -all")).await;
    assert_eq!(only(&findings, "spf-macro").severity, Severity::Info);
    assert!(
        only(&findings, "spf-lookup-count")
            .evidence
            .starts_with("1 of 10")
    );
}

#[tokio::test]
async fn spf_lookup_failure_is_an_error() {
    let mut world = DnsWorld::new();
    world
        .signed_zone("example.test.", Denial::Nsec)
        .txt("example.test.", "v=spf1 -all")
        .fault(Fault::ServFail);
    let findings = check(world).await;
    assert_eq!(ids(&findings), ["spf-lookup-failed"]);
    assert!(
        findings[0].evidence.contains("SERVFAIL"),
        "{}",
        findings[0].evidence
    );
}

#[tokio::test]
async fn spf_bogus_answer_is_a_lookup_failure() {
    let mut world = DnsWorld::new();
    world
        .signed_zone("example.test.", Denial::Nsec)
        .txt("example.test.", "v=spf1 -all")
        .fault(Fault::ExpiredSignatures);
    let findings = check(world).await;
    assert_eq!(ids(&findings), ["spf-lookup-failed"]);
    assert!(
        findings[0].evidence.contains("bogus"),
        "{}",
        findings[0].evidence
    );
}

#[tokio::test]
async fn spf_failing_include_is_named() {
    let mut world = world_with("v=spf1 mx include:_spf.broken.test -all");
    world
        .signed_zone("broken.test.", Denial::Nsec)
        .txt("_spf.broken.test.", "v=spf1 -all")
        .fault(Fault::ServFail);
    let findings = check(world).await;
    let finding = only(&findings, "spf-term-lookup-failed");
    assert!(
        finding
            .evidence
            .starts_with("include:_spf.broken.test in example.test: ")
    );
}

#[tokio::test]
async fn spf_evidence_gives_the_dnssec_status_and_the_check_runs_on_a_task() {
    let mut world = DnsWorld::new();
    world
        .unsigned_zone("plain.test.")
        .txt("plain.test.", "v=spf1 -all");
    let env = serve(world).await;
    let resolver = env.resolver.clone();
    let findings = tokio::spawn(async move { check_spf(&resolver, &name("plain.test")).await })
        .await
        .unwrap();
    assert_eq!(
        only(&findings, "spf-record").evidence,
        "plain.test TXT (DNSSEC: insecure): \"v=spf1 -all\""
    );
}

#[tokio::test]
async fn spf_mechanisms_after_all_are_a_warning() {
    let findings = check(world_with("v=spf1 mx -all a include:_spf.late.test")).await;
    let finding = only(&findings, "spf-terms-after-all");
    assert_eq!(finding.severity, Severity::Warning);
    assert_eq!(
        finding.evidence,
        "in the record of example.test, after all: a include:_spf.late.test"
    );
    // exp= is a modifier: its place does not matter (RFC 7208 §6).
    let findings = check(world_with("v=spf1 mx -all exp=why.example.test")).await;
    none(&findings, "spf-terms-after-all");
}

#[tokio::test]
async fn spf_sender_id_record_is_an_obsolete_warning() {
    let mut world = world_with("v=spf1 mx -all");
    world
        .zone("example.test.")
        .unwrap()
        .txt("example.test.", "spf2.0/mfrom,pra mx -all");
    let findings = check(world).await;
    let finding = only(&findings, "spf-sender-id");
    assert_eq!(finding.severity, Severity::Warning);
    assert!(
        finding.evidence.ends_with("\"spf2.0/mfrom,pra mx -all\""),
        "{finding:?}"
    );
    only(&findings, "spf-record");

    // Alone, it is no SPF record either.
    let mut world = DnsWorld::new();
    world
        .signed_zone("example.test.", Denial::Nsec)
        .txt("example.test.", "spf2.0/pra -all");
    let findings = check(world).await;
    assert_eq!(ids(&findings), ["spf-missing", "spf-sender-id"]);
}

#[tokio::test]
async fn spf_answer_over_512_octets_is_a_warning() {
    let ranges: Vec<String> = (0..30).map(|i| format!("ip4:198.51.100.{i}")).collect();
    let record = format!("v=spf1 {} -all", ranges.join(" "));
    assert!(record.len() > 512, "{}", record.len());
    let mut world = DnsWorld::new();
    world
        .signed_zone("example.test.", Denial::Nsec)
        .record(long_txt("example.test.", &record));
    let findings = check(world).await;
    only(&findings, "spf-record");
    let finding = only(&findings, "spf-record-too-large");
    assert_eq!(finding.severity, Severity::Warning);
    assert!(
        finding.evidence.contains(&format!(
            "the SPF record is {} octets, with 0 other TXT records",
            record.len()
        )),
        "{finding:?}"
    );

    // A short record beside a long verification token: the answer counts.
    let mut world = world_with("v=spf1 mx -all");
    world.zone("example.test.").unwrap().record(long_txt(
        "example.test.",
        &format!("site-verification={}", "x".repeat(440)),
    ));
    let findings = check(world).await;
    only(&findings, "spf-record-too-large");

    let findings = check(world_with("v=spf1 mx -all")).await;
    none(&findings, "spf-record-too-large");
}
