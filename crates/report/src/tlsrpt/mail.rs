//! The report as mail (RFC 8460 §5.3):
//!
//! ```text
//! Subject: Report Domain: <policy-domain> Submitter: <submitter>
//!          Report-ID: <report-id>
//! TLS-Report-Domain: <policy-domain>
//! TLS-Report-Submitter: <submitter>
//! Content-Type: multipart/report; report-type="tlsrpt"
//!   text/plain                 what this is, for a person
//!   application/tlsrpt+gzip    the report, named as §5.1 says
//! ```

use std::time::SystemTime;

use mail_builder::MessageBuilder;
use mail_builder::headers::content_type::ContentType;
use mail_builder::headers::raw::Raw;
use mail_builder::mime::MimePart;

use super::gzip::{ReadError, compress, read};
use super::model::Report;

/// The `application/tlsrpt+gzip` media type (RFC 8460 §6.4).
pub const GZIP_MEDIA_TYPE: &str = "application/tlsrpt+gzip";

/// The report file's name (RFC 8460 §5.1): `sender "!" policy-domain "!"
/// begin-timestamp "!" end-timestamp ".json.gz"`.
pub fn file_name(report: &Report, submitter: &str, policy_domain: &str) -> String {
    format!(
        "{submitter}!{policy_domain}!{}!{}.json.gz",
        report.date_range.start_datetime.unix_timestamp(),
        report.date_range.end_datetime.unix_timestamp()
    )
}

/// Who the report mail is from and to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportMail<'a> {
    /// The `From:` address (our report sender).
    pub from: &'a str,
    /// The `mailto:` addresses of the domain's `rua`.
    pub to: &'a [String],
    /// The submitter domain (`TLS-Report-Submitter`).
    pub submitter: &'a str,
    /// The domain reported on (`TLS-Report-Domain`).
    pub policy_domain: &'a str,
    /// When the mail is written (`Date:`).
    pub now: SystemTime,
}

/// Writes the report mail, lines ending in CRLF.
pub fn build_mail(report: &Report, mail: &ReportMail<'_>) -> Vec<u8> {
    let subject = format!(
        "Report Domain: {} Submitter: {} Report-ID: <{}>",
        mail.policy_domain, mail.submitter, report.report_id
    );
    let human = format!(
        "This is an aggregate TLS report (RFC 8460) from {} about mail delivered to {} \
         from {} to {}.\r\n",
        report.organization_name,
        mail.policy_domain,
        super::datetime::format(report.date_range.start_datetime),
        super::datetime::format(report.date_range.end_datetime),
    );
    let parts =
        vec![
            MimePart::new("text/plain", human).transfer_encoding("7bit"),
            MimePart::new(ContentType::new(GZIP_MEDIA_TYPE), compress(report))
                .attachment(file_name(report, mail.submitter, mail.policy_domain)),
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
        .subject(subject)
        .date(mail_builder::headers::date::Date::new(seconds))
        .message_id(report.report_id.clone())
        .header("TLS-Report-Domain", Raw::new(mail.policy_domain))
        .header("TLS-Report-Submitter", Raw::new(mail.submitter))
        .header("Auto-Submitted", Raw::new("auto-generated"))
        .body(MimePart::new(
            ContentType::new("multipart/report").attribute("report-type", "tlsrpt"),
            parts,
        ))
        .write_to_vec()
        .expect("writing a message into memory does not fail")
}

/// Reads the report out of a report mail: the first
/// `application/tlsrpt+gzip` or `application/tlsrpt+json` part (any
/// `multipart` nesting), or the whole body when the mail is only that.
pub fn read_mail(message: &[u8]) -> Result<Report, ReadError> {
    read_mail_with_domain(message).map(|(report, _)| report)
}

/// [`read_mail`], with the mail's `TLS-Report-Domain` (RFC 8460 §5.3) if it
/// has one. Where no part has a TLS report media type, a part that looks
/// like one is taken, as some reporters label it: `application/gzip`,
/// `application/json`, or an attachment named `*.json.gz` or `*.json`.
pub fn read_mail_with_domain(message: &[u8]) -> Result<(Report, Option<String>), ReadError> {
    use mail_parser::{MessageParser, MimeHeaders};
    let parsed = MessageParser::default()
        .parse(message)
        .ok_or(ReadError::NoReportInMessage)?;
    let media = |part: &mail_parser::MessagePart<'_>, subtypes: &[&str]| {
        part.content_type().is_some_and(|ct| {
            ct.ctype().eq_ignore_ascii_case("application")
                && ct
                    .subtype()
                    .is_some_and(|s| subtypes.iter().any(|t| s.eq_ignore_ascii_case(t)))
        })
    };
    let named = |part: &mail_parser::MessagePart<'_>| {
        part.attachment_name().is_some_and(|name| {
            let name = name.to_ascii_lowercase();
            name.ends_with(".json.gz") || name.ends_with(".json")
        })
    };
    let part = parsed
        .parts
        .iter()
        .find(|part| media(part, &["tlsrpt+gzip", "tlsrpt+json"]))
        .or_else(|| {
            parsed.parts.iter().find(|part| {
                media(part, &["gzip", "x-gzip", "json"]) || (named(part) && !part.is_message())
            })
        })
        .ok_or(ReadError::NoReportInMessage)?;
    let domain = parsed
        .header_raw("TLS-Report-Domain")
        .map(|d| d.trim().to_owned())
        .filter(|d| !d.is_empty());
    Ok((read(part.contents())?, domain))
}
