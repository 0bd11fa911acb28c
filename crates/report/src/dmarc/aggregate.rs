//! The daily aggregate report we send to a Domain Owner (RFC 7489 §7.2),
//! written as RFC 7489 Appendix C describes it: `feedback` with
//! `version`, `report_metadata`, `policy_published` and one `record` per
//! counted row. No XML namespace is declared: receivers read and send
//! reports that way, and Appendix C's schema validates it once its
//! `targetNamespace` is left out (the test does exactly that).

use std::fmt::Write;
use std::net::IpAddr;

use queue::{DmarcRow, DmarcRowCount, UtcDay, day_start};

/// The report format version this writer follows.
const FORMAT_VERSION: &str = "1.0";

/// Who writes the report (`report_metadata`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DmarcReporter {
    /// `org_name`.
    pub org_name: String,
    /// `email`: where the Domain Owner can write to us.
    pub email: String,
    /// `extra_contact_info`, if any.
    pub extra_contact_info: Option<String>,
    /// The submitter domain, in the subject, the file name and the
    /// report id.
    pub submitter: String,
}

/// The policy as published when the report was written
/// (`policy_published`, RFC 7489 §6.3 tags).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedPolicy {
    /// The domain whose `_dmarc` record it is.
    pub domain: String,
    /// `adkim`: `r` or `s`.
    pub adkim: char,
    /// `aspf`: `r` or `s`.
    pub aspf: char,
    /// `p`.
    pub p: String,
    /// `sp` (`p` when absent).
    pub sp: String,
    /// `pct` (100 when absent).
    pub pct: u32,
    /// `fo` (`0` when absent).
    pub fo: String,
}

impl PublishedPolicy {
    /// The policy of `domain` from its record's text. The record was
    /// parsed already; a tag with a value outside the grammar falls back
    /// to its default, as RFC 7489 §6.3 has receivers do.
    pub fn from_record(domain: &str, record: &str) -> Self {
        let tag = |name: &str| {
            record
                .split(';')
                .filter_map(|t| t.split_once('='))
                .find(|(n, _)| n.trim().eq_ignore_ascii_case(name))
                .map(|(_, v)| v.trim().to_ascii_lowercase())
        };
        let alignment = |name: &str| match tag(name).as_deref() {
            Some("s") => 's',
            _ => 'r',
        };
        let policy = |value: Option<String>| {
            value.filter(|v| matches!(v.as_str(), "none" | "quarantine" | "reject"))
        };
        let p = policy(tag("p")).unwrap_or_else(|| "none".into());
        Self {
            domain: domain.to_ascii_lowercase(),
            adkim: alignment("adkim"),
            aspf: alignment("aspf"),
            sp: policy(tag("sp")).unwrap_or_else(|| p.clone()),
            p,
            pct: tag("pct")
                .and_then(|v| v.parse().ok())
                .filter(|v| *v <= 100)
                .unwrap_or(100),
            fo: tag("fo").unwrap_or_else(|| "0".into()),
        }
    }
}

/// The report's id: one per policy domain, day and submitter, the same
/// on every retry.
pub fn report_id(policy_domain: &str, day: UtcDay, submitter: &str) -> String {
    format!(
        "{}.{policy_domain}@{submitter}",
        crate::tlsrpt::day_text(day)
    )
}

/// The period a day's report covers, in seconds since the epoch: the
/// whole UTC day, both ends included.
pub fn date_range(day: UtcDay) -> (u64, u64) {
    let begin = day_start(day)
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    (begin, begin + 86_399)
}

/// The report of `policy` for `day` from the counted `rows`, as XML.
pub fn to_xml(
    reporter: &DmarcReporter,
    policy: &PublishedPolicy,
    day: UtcDay,
    rows: &[DmarcRowCount],
) -> String {
    let (begin, end) = date_range(day);
    let mut x = String::with_capacity(512 + rows.len() * 640);
    x.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<feedback>\n");
    let _ = writeln!(x, "  <version>{FORMAT_VERSION}</version>");
    x.push_str("  <report_metadata>\n");
    element(&mut x, 4, "org_name", &reporter.org_name);
    element(&mut x, 4, "email", &reporter.email);
    if let Some(extra) = &reporter.extra_contact_info {
        element(&mut x, 4, "extra_contact_info", extra);
    }
    let id = report_id(&policy.domain, day, &reporter.submitter);
    element(&mut x, 4, "report_id", &id);
    let _ = writeln!(
        x,
        "    <date_range>\n      <begin>{begin}</begin>\n      <end>{end}</end>\n    </date_range>"
    );
    x.push_str("  </report_metadata>\n  <policy_published>\n");
    element(&mut x, 4, "domain", &policy.domain);
    element(&mut x, 4, "adkim", &policy.adkim.to_string());
    element(&mut x, 4, "aspf", &policy.aspf.to_string());
    element(&mut x, 4, "p", &policy.p);
    element(&mut x, 4, "sp", &policy.sp);
    element(&mut x, 4, "pct", &policy.pct.to_string());
    element(&mut x, 4, "fo", &policy.fo);
    x.push_str("  </policy_published>\n");
    for counted in rows {
        record(&mut x, &counted.row, counted.count);
    }
    x.push_str("</feedback>\n");
    x
}

/// One `record` (Appendix C `RecordType`).
fn record(x: &mut String, row: &DmarcRow, count: u64) {
    let verdict = |pass: bool| if pass { "pass" } else { "fail" };
    x.push_str("  <record>\n    <row>\n");
    element(x, 6, "source_ip", &source_ip(row.source_ip));
    element(x, 6, "count", &count.to_string());
    x.push_str("      <policy_evaluated>\n");
    element(x, 8, "disposition", &row.disposition);
    element(x, 8, "dkim", verdict(row.dkim_aligned));
    element(x, 8, "spf", verdict(row.spf_aligned));
    for reason in &row.overrides {
        x.push_str("        <reason>\n");
        element(x, 10, "type", &reason.kind);
        if let Some(comment) = &reason.comment {
            element(x, 10, "comment", comment);
        }
        x.push_str("        </reason>\n");
    }
    x.push_str("      </policy_evaluated>\n    </row>\n    <identifiers>\n");
    element(x, 6, "envelope_from", &row.envelope_from);
    element(x, 6, "header_from", &row.header_from);
    x.push_str("    </identifiers>\n    <auth_results>\n");
    for dkim in &row.dkim {
        x.push_str("      <dkim>\n");
        element(x, 8, "domain", &dkim.domain);
        element(x, 8, "selector", &dkim.selector);
        element(x, 8, "result", &dkim.result);
        x.push_str("      </dkim>\n");
    }
    for spf in &row.spf {
        x.push_str("      <spf>\n");
        element(x, 8, "domain", &spf.domain);
        element(x, 8, "scope", &spf.scope);
        element(x, 8, "result", &spf.result);
        x.push_str("      </spf>\n");
    }
    x.push_str("    </auth_results>\n  </record>\n");
}

/// The address as Appendix C's `IPAddress` pattern takes it: IPv4 in
/// dotted decimal, IPv6 as all eight groups (RFC 4291 §2.2, first form),
/// since the pattern has no `::`.
fn source_ip(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => v6
            .segments()
            .iter()
            .map(|s| format!("{s:x}"))
            .collect::<Vec<_>>()
            .join(":"),
    }
}

/// `<name>text</name>` on its own line, `indent` spaces in, the text
/// escaped (XML 1.0 §2.4) and stripped of characters XML cannot carry
/// (controls, U+FFFE, U+FFFF: XML 1.0 §2.2).
fn element(x: &mut String, indent: usize, name: &str, text: &str) {
    let _ = write!(x, "{:indent$}<{name}>", "");
    for c in text.chars() {
        match c {
            '&' => x.push_str("&amp;"),
            '<' => x.push_str("&lt;"),
            '>' => x.push_str("&gt;"),
            '"' => x.push_str("&quot;"),
            '\t' | '\n' | '\r' => x.push(' '),
            c if c.is_control() || c == '\u{fffe}' || c == '\u{ffff}' => {}
            c => x.push(c),
        }
    }
    let _ = writeln!(x, "</{name}>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_policy_defaults_and_bad_values() {
        let p = PublishedPolicy::from_record("Example.ORG", "v=DMARC1; p=reject; rua=mailto:a@b");
        assert_eq!(
            (
                p.domain.as_str(),
                p.adkim,
                p.aspf,
                p.sp.as_str(),
                p.pct,
                p.fo.as_str()
            ),
            ("example.org", 'r', 'r', "reject", 100, "0")
        );
        let p = PublishedPolicy::from_record(
            "example.org",
            "v=DMARC1; p=quarantine; sp=none; adkim=s; aspf=S; pct=250; fo=1",
        );
        assert_eq!(
            (p.adkim, p.aspf, p.sp.as_str(), p.pct, p.fo.as_str()),
            ('s', 's', "none", 100, "1")
        );
    }

    #[test]
    fn ipv6_sources_are_written_in_full() {
        let ip: IpAddr = "2001:db8::25".parse().expect("address");
        assert_eq!(source_ip(ip), "2001:db8:0:0:0:0:0:25");
        assert_eq!(
            source_ip("192.0.2.1".parse().expect("address")),
            "192.0.2.1"
        );
    }

    #[test]
    fn text_is_escaped() {
        let mut x = String::new();
        element(&mut x, 0, "org_name", "A & B <x>\u{1}\u{fffe}\n");
        assert_eq!(x, "<org_name>A &amp; B &lt;x&gt; </org_name>\n");
    }
}
