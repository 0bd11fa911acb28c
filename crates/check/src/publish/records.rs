//! Each generated record and the policy file, each checked by the parser
//! that senders (and the checker) apply to it.

use policy::sts::{Mode, Policy, StsRecord};
use serde::Serialize;
use tls::{Matching, Selector, Tlsa, Usage};

use super::PublishError;
use crate::spf::SpfRecord;
use crate::tlsrpt::TlsRptRecord;
use crate::uri::{self, Scheme};

/// The TTL of every generated record, in seconds. The TLSA rollover waits
/// twice this long before the certificate changes.
pub const TTL: u32 = 3600;
/// `max_age` for a policy in enforce mode: a week (RFC 8461 §3.2 suggests
/// weeks or more).
const ENFORCE_MAX_AGE: u32 = 604_800;
/// `max_age` for a policy in testing mode: a day, so that the switch to
/// enforce reaches senders soon.
const TESTING_MAX_AGE: u32 = 86_400;

/// A record's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum RecordKind {
    /// A TXT record; `data` is the unquoted text.
    Txt,
    /// A TLSA record; `data` is `usage selector matching hex`.
    Tlsa,
}

/// One DNS record to publish.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DnsRecord {
    /// The owner name, fully qualified with its trailing dot.
    pub name: String,
    /// The TTL in seconds.
    pub ttl: u32,
    /// The type.
    #[serde(rename = "type")]
    pub kind: RecordKind,
    /// The record data in presentation form (TXT unquoted).
    pub data: String,
    /// What the record is for, one line.
    pub purpose: String,
}

impl DnsRecord {
    /// The record as a zone-file line (RFC 1035 §5), long TXT texts split
    /// into strings of 255 characters.
    pub fn zone_line(&self) -> String {
        super::zone::line(self)
    }
}

/// The MTA-STS policy file (RFC 8461 §3.2) and where to serve it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PolicyFile {
    /// `https://mta-sts.<domain>/.well-known/mta-sts.txt`.
    pub url: String,
    /// The file's text, LF line ends.
    pub text: String,
}

/// A key to publish a TLSA record for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Key {
    /// `current` or `next`.
    pub role: &'static str,
    /// Its `3 1 1` record.
    pub tlsa: Tlsa,
}

/// The `3 1 1` records for the current key and the next one.
pub(crate) fn tlsa_keys(
    cert: Option<&[u8]>,
    next: Option<&[u8]>,
) -> Result<Vec<Key>, PublishError> {
    let make = |pem: &[u8], what: &'static str| {
        tls::tlsa_from_pem(pem, Usage::DaneEe, Selector::Spki, Matching::Sha256).map_err(|e| {
            PublishError::BadKey {
                what,
                reason: e.to_string(),
            }
        })
    };
    let mut keys = Vec::new();
    if let Some(pem) = cert {
        keys.push(Key {
            role: "current",
            tlsa: make(pem, "certificate")?,
        });
    }
    if let Some(pem) = next {
        let tlsa = make(pem, "next key")?;
        if keys.iter().any(|k| k.tlsa == tlsa) {
            return Err(PublishError::SameKey);
        }
        keys.push(Key { role: "next", tlsa });
    }
    Ok(keys)
}

/// The `rua` URIs: those given, each a valid `mailto:` or `https:` URI, or
/// `mailto:tlsrpt@<domain>`.
pub(crate) fn report_uris(domain: &str, given: &[String]) -> Result<Vec<String>, PublishError> {
    if given.is_empty() {
        return Ok(vec![format!("mailto:tlsrpt@{domain}")]);
    }
    for text in given {
        let bad = |reason: String| PublishError::BadReportUri {
            uri: text.clone(),
            reason,
        };
        if text.contains([',', ';', '!']) {
            return Err(bad("contains ',', ';' or '!'".into()));
        }
        let parsed = uri::parse(text).map_err(bad)?;
        if parsed.scheme == Scheme::Other {
            return Err(bad("TLS-RPT takes mailto: or https: URIs".into()));
        }
    }
    Ok(given.to_vec())
}

fn self_check<E: std::fmt::Display>(what: &'static str) -> impl Fn(E) -> PublishError {
    move |e| PublishError::SelfCheck {
        what,
        reason: e.to_string(),
    }
}

/// `_mta-sts.<domain>. TXT "v=STSv1; id=<id>"` (RFC 8461 §3.1).
pub(crate) fn sts_txt(domain: &str, id: &str) -> Result<DnsRecord, PublishError> {
    let data = format!("v=STSv1; id={id}");
    StsRecord::parse(&data).map_err(self_check("MTA-STS record"))?;
    Ok(DnsRecord {
        name: format!("_mta-sts.{domain}."),
        ttl: TTL,
        kind: RecordKind::Txt,
        data,
        purpose: "MTA-STS: a policy exists; change the id whenever the policy changes".into(),
    })
}

/// `_smtp._tls.<domain>. TXT "v=TLSRPTv1; rua=..."` (RFC 8460 §3).
pub(crate) fn tlsrpt_txt(domain: &str, rua: &[String]) -> Result<DnsRecord, PublishError> {
    let data = format!("v=TLSRPTv1; rua={}", rua.join(","));
    let parsed = TlsRptRecord::parse(&data).map_err(self_check("TLS-RPT record"))?;
    if let Some((uri, reason)) = parsed.bad_uris.first() {
        return Err(self_check("TLS-RPT record")(format!("{uri}: {reason}")));
    }
    Ok(DnsRecord {
        name: format!("_smtp._tls.{domain}."),
        ttl: TTL,
        kind: RecordKind::Txt,
        data,
        purpose: "TLS-RPT: where senders report TLS failures".into(),
    })
}

/// `<domain>. TXT "v=spf1 mx -all"`: only the MX hosts send (RFC 7208).
pub(crate) fn spf_txt(domain: &str) -> Result<DnsRecord, PublishError> {
    let data = "v=spf1 mx -all".to_owned();
    let parsed = SpfRecord::parse(&data);
    if let Some(error) = parsed.errors.first() {
        return Err(self_check("SPF record")(format!(
            "{}: {}",
            error.term, error.reason
        )));
    }
    Ok(DnsRecord {
        name: format!("{domain}."),
        ttl: TTL,
        kind: RecordKind::Txt,
        data,
        purpose: "SPF: a start, only the MX hosts send mail; merge with an existing record".into(),
    })
}

/// `<selector>._domainkey.<domain>. TXT "v=DKIM1; k=…; p=…"` (RFC 6376
/// §3.6.1) for the private key `key_pem`, read back by the checker's parser
/// and by the verifier's.
pub fn dkim_txt(domain: &str, selector: &str, key_pem: &[u8]) -> Result<DnsRecord, PublishError> {
    if !is_selector(selector) {
        return Err(PublishError::BadSelector(selector.to_owned()));
    }
    let bad_key = |reason: String| PublishError::BadKey {
        what: "DKIM key",
        reason,
    };
    let pem = std::str::from_utf8(key_pem).map_err(|e| bad_key(e.to_string()))?;
    let key = auth::DkimKey::from_pem(pem).map_err(|e| bad_key(e.to_string()))?;
    let data = key.record();
    let _parsed = auth::dkim::KeyRecord::parse(&data).map_err(self_check("DKIM record"))?;
    auth::dkim::KeyRecord::verifier_accepts(&data).map_err(self_check("DKIM record"))?;
    Ok(DnsRecord {
        name: format!("{selector}._domainkey.{domain}."),
        ttl: TTL,
        kind: RecordKind::Txt,
        data,
        purpose: format!(
            "DKIM: the {} public key of selector {selector}, for [[dkim.sign]]",
            key.key_type()
        ),
    })
}

/// A selector is a domain name's labels (RFC 6376 §3.1): letters, digits
/// and inner hyphens, dot-separated.
fn is_selector(text: &str) -> bool {
    !text.is_empty()
        && text.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

/// `_25._tcp.<host>. TLSA 3 1 1 <sha256 of the key>` (RFC 7672 §3.1.1).
pub(crate) fn tlsa(host: &str, key: &Key) -> DnsRecord {
    DnsRecord {
        name: format!("_25._tcp.{host}."),
        ttl: TTL,
        kind: RecordKind::Tlsa,
        data: key.tlsa.to_string(),
        purpose: format!("DANE: the {} key of {host}", key.role),
    }
}

/// The policy file for `mx` in `mode`, parsed back to be sure.
pub(crate) fn policy_file(
    domain: &str,
    mx: &[String],
    mode: Mode,
) -> Result<PolicyFile, PublishError> {
    let max_age = match mode {
        Mode::Enforce => ENFORCE_MAX_AGE,
        _ => TESTING_MAX_AGE,
    };
    let mut text = format!("version: STSv1\nmode: {mode}\n");
    for host in mx {
        text.push_str(&format!("mx: {host}\n"));
    }
    text.push_str(&format!("max_age: {max_age}\n"));
    let parsed = Policy::parse(text.as_bytes()).map_err(self_check("MTA-STS policy"))?;
    if parsed.mode != mode || parsed.max_age != max_age || !mx.iter().all(|h| parsed.allows_mx(h)) {
        return Err(self_check("MTA-STS policy")(
            "it parses to another policy than intended",
        ));
    }
    Ok(PolicyFile {
        url: format!("https://mta-sts.{domain}{}", policy::sts::WELL_KNOWN_PATH),
        text,
    })
}
