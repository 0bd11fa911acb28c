//! The record generator behind `sealane publish`: from a domain, its MX
//! hosts and (optionally) their current and next TLS keys, the DNS records
//! and the MTA-STS policy file a domain owner publishes to be reached
//! securely — MTA-STS (RFC 8461), TLS-RPT (RFC 8460), DANE TLSA `3 1 1`
//! (RFC 7672 §3.1.1) with a rollover record, a starting SPF (RFC 7208) and
//! a DKIM key record (RFC 6376 §3.6.1) for a signing key — with the order to roll them out in. Every generated text is checked
//! against the parser the checker and the delivery path use.

mod checklist;
mod id;
mod records;
mod zone;

use policy::sts::{Mode, MxPattern};
use serde::Serialize;

pub use id::{fresh_id, id_at};
pub use records::{DnsRecord, PolicyFile, RecordKind, TTL, dkim_txt};

/// What to publish for: the inputs of `sealane publish`.
#[derive(Clone, Debug)]
pub struct Request {
    /// The mail domain (right of the `@`).
    pub domain: String,
    /// Its MX host names, in preference order; at least one.
    pub mx: Vec<String>,
    /// PEM of the MX hosts' current certificate (or public key), if known.
    pub cert_pem: Option<Vec<u8>>,
    /// PEM of the next key (certificate or public key), for rollover.
    pub next_key_pem: Option<Vec<u8>>,
    /// TLS-RPT `rua` URIs; empty for `mailto:tlsrpt@<domain>`.
    pub report_to: Vec<String>,
    /// The MTA-STS mode: [`Mode::Testing`] or [`Mode::Enforce`].
    pub mode: Mode,
    /// A DKIM signing key whose record to publish, if any.
    pub dkim: Option<DkimInput>,
}

/// A DKIM key to publish: its selector and its private key, from which
/// the public record is made.
#[derive(Clone, Debug)]
pub struct DkimInput {
    /// The selector (`s=`).
    pub selector: String,
    /// The PEM private key, as `[[dkim.sign]] key_file` holds it.
    pub key_pem: Vec<u8>,
}

/// Why nothing can be generated; every case is bad input.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PublishError {
    /// The domain is not a host name.
    #[error("{} is not a domain name", smtp::quoted(.0))]
    BadDomain(String),
    /// No MX host was given.
    #[error("at least one MX host is needed")]
    NoMx,
    /// An MX host is not a host name (wildcards cannot carry TLSA records).
    #[error("MX host {} is not a host name", smtp::quoted(.0))]
    BadMx(String),
    /// The mode is neither testing nor enforce.
    #[error("mode must be testing or enforce, not {0}")]
    BadMode(Mode),
    /// A PEM input holds no usable certificate or key.
    #[error("{what}: {reason}")]
    BadKey {
        /// `certificate` or `next key`.
        what: &'static str,
        /// Why.
        reason: String,
    },
    /// A DKIM selector is not a sequence of DNS labels (RFC 6376 §3.1).
    #[error("DKIM selector {0:?} is not made of DNS labels")]
    BadSelector(String),
    /// The next key is the current one: no rollover.
    #[error("the next key is the current key; a rollover record needs a new key")]
    SameKey,
    /// A `--report-to` URI is not a valid TLS-RPT destination.
    #[error("report URI {}: {reason}", smtp::quoted(.uri))]
    BadReportUri {
        /// The URI.
        uri: String,
        /// Why.
        reason: String,
    },
    /// A generated text failed its own parser: a bug, reported not hidden.
    #[error("generated {what} does not parse: {reason}")]
    SelfCheck {
        /// Which text.
        what: &'static str,
        /// The parser's complaint.
        reason: String,
    },
}

/// Everything to publish, in the order of [`Publication::records`].
#[derive(Clone, Debug, Serialize)]
pub struct Publication {
    /// The mail domain, lower case, without trailing dot.
    pub domain: String,
    /// The MTA-STS mode.
    pub mode: Mode,
    /// The MTA-STS policy id in the TXT record.
    pub id: String,
    /// The DNS records, ready for a zone file.
    pub records: Vec<DnsRecord>,
    /// The MTA-STS policy file and where it goes.
    pub policy: PolicyFile,
    /// The roll-out steps, in order.
    pub checklist: Vec<String>,
}

impl Publication {
    /// Generates everything for `request` with a fresh policy id (the UTC
    /// time, `YYYYMMDDHHMMSS`).
    pub fn new(request: &Request) -> Result<Self, PublishError> {
        Self::with_id(request, &fresh_id())
    }

    /// Generates everything for `request` with the given policy id.
    pub fn with_id(request: &Request, id: &str) -> Result<Self, PublishError> {
        let domain = host_name(&request.domain)
            .ok_or_else(|| PublishError::BadDomain(request.domain.clone()))?;
        if request.mx.is_empty() {
            return Err(PublishError::NoMx);
        }
        let mut mx: Vec<String> = Vec::new();
        for host in &request.mx {
            let host = host_name(host).ok_or_else(|| PublishError::BadMx(host.clone()))?;
            if !mx.contains(&host) {
                mx.push(host);
            }
        }
        if !matches!(request.mode, Mode::Testing | Mode::Enforce) {
            return Err(PublishError::BadMode(request.mode));
        }
        let keys =
            records::tlsa_keys(request.cert_pem.as_deref(), request.next_key_pem.as_deref())?;
        let report_to = records::report_uris(&domain, &request.report_to)?;
        let mut all = vec![
            records::sts_txt(&domain, id)?,
            records::tlsrpt_txt(&domain, &report_to)?,
            records::spf_txt(&domain)?,
        ];
        if let Some(dkim) = &request.dkim {
            all.push(records::dkim_txt(&domain, &dkim.selector, &dkim.key_pem)?);
        }
        for host in &mx {
            all.extend(keys.iter().map(|key| records::tlsa(host, key)));
        }
        let policy = records::policy_file(&domain, &mx, request.mode)?;
        let dkim_selector = request.dkim.as_ref().map(|d| d.selector.as_str());
        let checklist = checklist::steps(&domain, request.mode, &keys, &policy, dkim_selector);
        Ok(Self {
            domain,
            mode: request.mode,
            id: id.to_owned(),
            records: all,
            policy,
            checklist,
        })
    }

    /// The whole publication as text: the records in zone-file syntax, the
    /// policy file, and the checklist.
    pub fn to_zone_text(&self) -> String {
        zone::render(self)
    }
}

/// A host name, lower case, without its trailing dot; `None` when it is not
/// one (a wildcard is not).
fn host_name(text: &str) -> Option<String> {
    let text = text.trim();
    let pattern = MxPattern::parse(text).ok()?;
    let name = text.strip_suffix('.').unwrap_or(text);
    if pattern.is_wildcard() || !name.contains('.') {
        return None;
    }
    Some(name.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use policy::sts::{Policy, StsRecord};
    use testworld::ca::TestCa;

    use super::*;
    use crate::{SpfRecord, TlsRptRecord};

    fn request(mode: Mode) -> Request {
        Request {
            domain: "Example.TEST.".into(),
            mx: vec!["mx1.example.test".into(), "MX2.example.test.".into()],
            cert_pem: None,
            next_key_pem: None,
            report_to: Vec::new(),
            mode,
            dkim: None,
        }
    }

    fn txt<'p>(publication: &'p Publication, name: &str) -> &'p str {
        let found: Vec<&DnsRecord> = publication
            .records
            .iter()
            .filter(|r| r.name == name && r.kind == RecordKind::Txt)
            .collect();
        assert_eq!(found.len(), 1, "one TXT at {name}: {publication:#?}");
        &found[0].data
    }

    #[test]
    fn every_generated_text_parses_with_its_parser() {
        let publication = Publication::with_id(&request(Mode::Testing), "20260101000000").unwrap();
        assert_eq!(publication.domain, "example.test");
        let sts = StsRecord::parse(txt(&publication, "_mta-sts.example.test.")).unwrap();
        assert_eq!(sts.id, "20260101000000");
        let rpt = TlsRptRecord::parse(txt(&publication, "_smtp._tls.example.test.")).unwrap();
        assert_eq!(rpt.rua[0].uri, "mailto:tlsrpt@example.test");
        let spf = SpfRecord::parse(txt(&publication, "example.test."));
        assert!(spf.errors.is_empty(), "{spf:?}");
        let policy = Policy::parse(publication.policy.text.as_bytes()).unwrap();
        assert_eq!(policy.mode, Mode::Testing);
        assert_eq!(policy.max_age, 86_400);
        assert!(policy.allows_mx("mx1.example.test") && policy.allows_mx("mx2.example.test"));
        assert_eq!(
            publication.policy.url,
            "https://mta-sts.example.test/.well-known/mta-sts.txt"
        );
    }

    #[test]
    fn enforce_policy_lives_a_week() {
        let publication = Publication::new(&request(Mode::Enforce)).unwrap();
        let policy = Policy::parse(publication.policy.text.as_bytes()).unwrap();
        assert_eq!((policy.mode, policy.max_age), (Mode::Enforce, 604_800));
        assert!(StsRecord::parse(txt(&publication, "_mta-sts.example.test.")).is_ok());
    }

    #[test]
    fn tlsa_for_current_and_next_key_at_every_mx() {
        let ca = TestCa::new("publish unit ca");
        let current = ca.issue(&["mx1.example.test"]);
        let next = ca.issue(&["mx1.example.test"]);
        let mut req = request(Mode::Testing);
        req.cert_pem = Some(current.chain_pem().into_bytes());
        req.next_key_pem = Some(next.chain_pem().into_bytes());
        let publication = Publication::new(&req).unwrap();
        let tlsa: Vec<&DnsRecord> = publication
            .records
            .iter()
            .filter(|r| r.kind == RecordKind::Tlsa)
            .collect();
        assert_eq!(tlsa.len(), 4, "two keys at two hosts");
        let expected = tls::tlsa_from_pem(
            current.chain_pem().as_bytes(),
            tls::Usage::DaneEe,
            tls::Selector::Spki,
            tls::Matching::Sha256,
        )
        .unwrap()
        .to_string();
        assert_eq!(tlsa[0].name, "_25._tcp.mx1.example.test.");
        assert_eq!(tlsa[0].data, expected);
        assert_ne!(tlsa[1].data, expected);
        assert!(tlsa[1].data.starts_with("3 1 1 "));
        assert_eq!(tlsa[2].name, "_25._tcp.mx2.example.test.");
        let zone = publication.to_zone_text();
        assert!(
            zone.contains(&format!(
                "_25._tcp.mx2.example.test. 3600 IN TLSA {expected}"
            )),
            "{zone}"
        );
        assert!(zone.contains("_mta-sts.example.test. 3600 IN TXT \"v=STSv1; id="));
    }

    #[test]
    fn bad_inputs_are_refused() {
        let with = |change: &dyn Fn(&mut Request)| {
            let mut req = request(Mode::Testing);
            change(&mut req);
            Publication::new(&req).unwrap_err()
        };
        assert!(matches!(
            with(&|r| r.domain = "exa mple".into()),
            PublishError::BadDomain(_)
        ));
        assert_eq!(with(&|r| r.mx.clear()), PublishError::NoMx);
        assert!(matches!(
            with(&|r| r.mx = vec!["*.example.test".into()]),
            PublishError::BadMx(_)
        ));
        assert!(matches!(
            with(&|r| r.mode = Mode::None),
            PublishError::BadMode(_)
        ));
        assert!(matches!(
            with(&|r| r.cert_pem = Some(b"not pem".to_vec())),
            PublishError::BadKey { .. }
        ));
        assert!(matches!(
            with(&|r| r.report_to = vec!["ftp://x.example.test".into()]),
            PublishError::BadReportUri { .. }
        ));
        let ca = TestCa::new("publish unit ca");
        let pem = ca.issue(&["mx1.example.test"]).chain_pem().into_bytes();
        assert_eq!(
            with(&|r| {
                r.cert_pem = Some(pem.clone());
                r.next_key_pem = Some(pem.clone());
            }),
            PublishError::SameKey
        );
    }

    #[test]
    fn a_dkim_key_gives_its_record_split_into_strings_for_the_zone_file() {
        let mut req = request(Mode::Testing);
        req.dkim = Some(DkimInput {
            selector: "s1".into(),
            key_pem: include_bytes!("../../../auth/tests/keys/rsa2048.pem").to_vec(),
        });
        let publication = Publication::new(&req).unwrap();
        let published = include_str!("../../../auth/tests/keys/rsa2048.txt").trim();
        assert_eq!(txt(&publication, "s1._domainkey.example.test."), published);
        let zone = publication.to_zone_text();
        let line = zone
            .lines()
            .find(|l| l.starts_with("s1._domainkey.example.test. 3600 IN TXT \"v=DKIM1; k=rsa; p="))
            .unwrap_or_else(|| panic!("{zone}"));
        // 392 characters: two strings, the first of 255.
        let strings: Vec<&str> = line.split('"').skip(1).step_by(2).collect();
        assert_eq!(strings.len(), 2, "{line}");
        assert_eq!(strings[0].len(), 255);
        assert_eq!(strings.concat(), published);
        assert!(zone.contains("sealane check example.test --dkim-selector s1"));

        req.dkim = Some(DkimInput {
            selector: "bad selector".into(),
            key_pem: include_bytes!("../../../auth/tests/keys/rsa2048.pem").to_vec(),
        });
        assert!(matches!(
            Publication::new(&req).unwrap_err(),
            PublishError::BadSelector(_)
        ));
        req.dkim = Some(DkimInput {
            selector: "s1".into(),
            key_pem: include_bytes!("../../../auth/tests/keys/rsa1024.pem").to_vec(),
        });
        assert!(matches!(
            Publication::new(&req).unwrap_err(),
            PublishError::BadKey { .. }
        ));
    }

    #[test]
    fn report_uris_are_kept() {
        let mut req = request(Mode::Testing);
        req.report_to = vec![
            "mailto:rpt@reports.example.test".into(),
            "https://reports.example.test/tlsrpt".into(),
        ];
        let publication = Publication::new(&req).unwrap();
        let rpt = TlsRptRecord::parse(txt(&publication, "_smtp._tls.example.test.")).unwrap();
        assert_eq!(rpt.rua.len(), 2);
        assert!(rpt.bad_uris.is_empty());
    }

    #[test]
    fn checklist_orders_keys_policy_then_txt_and_testing_first() {
        let publication = Publication::new(&request(Mode::Testing)).unwrap();
        let steps = &publication.checklist;
        let position = |word: &str| steps.iter().position(|s| s.starts_with(word)).unwrap();
        assert!(position("DANE") < position("MTA-STS"));
        assert!(position("MTA-STS") < position("Testing"));
        assert!(steps[position("MTA-STS")].contains("then publish the _mta-sts TXT"));
    }
}
