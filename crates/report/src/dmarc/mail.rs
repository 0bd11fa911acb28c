//! The aggregate report as mail (RFC 7489 §7.2.1.1):
//!
//! ```text
//! Subject: Report Domain: <policy-domain> Submitter: <submitter>
//!          Report-ID: <report-id>
//! Content-Type: multipart/mixed
//!   text/plain         what this is, for a person
//!   application/gzip   the XML, named receiver!domain!begin!end.xml.gz
//! ```

use std::io::Write;
use std::time::SystemTime;

use flate2::Compression;
use flate2::write::GzEncoder;
use mail_builder::MessageBuilder;
use mail_builder::headers::raw::Raw;
use mail_builder::mime::MimePart;

/// The report file's name (§7.2.1.1): `receiver "!" policy-domain "!"
/// begin-timestamp "!" end-timestamp ".xml.gz"`.
pub fn file_name(submitter: &str, policy_domain: &str, (begin, end): (u64, u64)) -> String {
    format!("{submitter}!{policy_domain}!{begin}!{end}.xml.gz")
}

/// The XML, gzip-compressed.
pub fn compress(xml: &str) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(xml.len() / 4), Compression::best());
    encoder
        .write_all(xml.as_bytes())
        .expect("compressing into memory does not fail");
    encoder
        .finish()
        .expect("compressing into memory does not fail")
}

/// Who the report mail is from and to, and what it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DmarcReportMail<'a> {
    /// The `From:` address (our report sender).
    pub from: &'a str,
    /// The addresses of the domain's `rua` that take this report.
    pub to: &'a [String],
    /// The submitter domain.
    pub submitter: &'a str,
    /// The Domain Owner's policy domain.
    pub policy_domain: &'a str,
    /// The report's id.
    pub report_id: &'a str,
    /// The period, seconds since the epoch.
    pub date_range: (u64, u64),
    /// When the mail is written (`Date:`).
    pub now: SystemTime,
}

/// Writes the report mail around the compressed report, lines ending in
/// CRLF. The subject is written as is (ASCII, folded at a space when
/// long), not encoded, so report processors that match it as text find
/// it once unfolded.
pub fn build_mail(gzip: Vec<u8>, mail: &DmarcReportMail<'_>) -> Vec<u8> {
    let subject = format!(
        "Report Domain: {} Submitter: {} Report-ID: <{}>",
        mail.policy_domain, mail.submitter, mail.report_id
    );
    let human = format!(
        "This is a DMARC aggregate report (RFC 7489) from {} about mail from {} \
         received between {} and {} (UTC, seconds since 1970).\r\n",
        mail.submitter, mail.policy_domain, mail.date_range.0, mail.date_range.1,
    );
    let name = file_name(mail.submitter, mail.policy_domain, mail.date_range);
    let parts = vec![
        MimePart::new("text/plain", human).transfer_encoding("7bit"),
        MimePart::new("application/gzip", gzip).attachment(name),
    ];
    let to: Vec<&str> = mail.to.iter().map(String::as_str).collect();
    let seconds = mail
        .now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    MessageBuilder::new()
        .from(mail.from)
        .to(to)
        .header("Subject", Raw::new(subject))
        .date(mail_builder::headers::date::Date::new(seconds))
        .message_id(mail.report_id.to_owned())
        .header("Auto-Submitted", Raw::new("auto-generated"))
        .body(MimePart::new("multipart/mixed", parts))
        .write_to_vec()
        .expect("writing a message into memory does not fail")
}
