//! SPF's DNS questions, asked through Sealane's resolver, counted against
//! the limits of RFC 7208 §4.6.4 and recorded for the trace.

use std::net::IpAddr;

use dns::{DnsError, DnssecStatus, Name, RecordType, Resolver};
use hickory_proto::rr::RData;
use serde::Serialize;

/// DNS-querying terms allowed in one evaluation (RFC 7208 §4.6.4).
const MAX_TERMS: u32 = 10;
/// Void lookups allowed in one evaluation (RFC 7208 §4.6.4).
const MAX_VOID: u32 = 2;

/// One DNS question asked during an SPF evaluation.
#[derive(Clone, Debug, Serialize)]
pub struct LookupStep {
    /// The name asked about.
    pub name: String,
    /// The record type.
    #[serde(rename = "type")]
    pub rtype: String,
    /// What came back: the records, `NXDOMAIN`, `NODATA` or the failure.
    pub answer: String,
    /// The DNSSEC status of the answer, when there was one.
    pub dnssec: Option<DnssecStatus>,
}

/// Why an evaluation stops before a mechanism matches.
#[derive(Clone, Debug)]
pub(crate) enum Abort {
    /// RFC 7208 §2.6.6.
    Temp(String),
    /// RFC 7208 §2.6.7.
    Perm(String),
}

/// An answer: records, or none (a void lookup, §4.6.4).
pub(crate) type Found<T> = Option<Vec<T>>;

pub(crate) struct Asker<'r> {
    resolver: &'r Resolver,
    terms: u32,
    voids: u32,
    pub(crate) steps: Vec<LookupStep>,
}

impl<'r> Asker<'r> {
    pub(crate) fn new(resolver: &'r Resolver) -> Self {
        Self {
            resolver,
            terms: 0,
            voids: 0,
            steps: Vec::new(),
        }
    }

    /// Counts a DNS-querying term (`include`, `a`, `mx`, `ptr`, `exists`,
    /// `redirect`).
    pub(crate) fn term(&mut self) -> Result<(), Abort> {
        self.terms += 1;
        if self.terms > MAX_TERMS {
            return Err(Abort::Perm(format!(
                "more than {MAX_TERMS} DNS-querying terms (RFC 7208 §4.6.4)"
            )));
        }
        Ok(())
    }

    /// Counts a void answer of a term's own lookup.
    pub(crate) fn void(&mut self) -> Result<(), Abort> {
        self.voids += 1;
        if self.voids > MAX_VOID {
            return Err(Abort::Perm(format!(
                "more than {MAX_VOID} void DNS lookups (RFC 7208 §4.6.4)"
            )));
        }
        Ok(())
    }

    /// TXT strings at `name`, each record's strings joined (RFC 7208 §3.3).
    pub(crate) async fn txt(&mut self, name: &str) -> Result<Found<Vec<u8>>, Abort> {
        let Some(owner) = self.name(name, RecordType::TXT) else {
            return Ok(None);
        };
        let answer = self.resolver.txt(&owner).await;
        self.judge(name, RecordType::TXT, answer, |t| t.joined().into_bytes())
    }

    /// Addresses of `name` of the client's family: A for IPv4, AAAA for IPv6
    /// (RFC 7208 §5.3).
    pub(crate) async fn addresses(&mut self, name: &str, v6: bool) -> Result<Found<IpAddr>, Abort> {
        let rtype = if v6 { RecordType::AAAA } else { RecordType::A };
        let Some(owner) = self.name(name, rtype) else {
            return Ok(None);
        };
        let answer = self.resolver.lookup(&owner, rtype).await;
        self.judge(name, rtype, answer, |r| r.data.ip_addr())
            .map(|found| found.map(|v| v.into_iter().flatten().collect()))
    }

    /// MX exchanges of `name`.
    pub(crate) async fn mx(&mut self, name: &str) -> Result<Found<String>, Abort> {
        let Some(owner) = self.name(name, RecordType::MX) else {
            return Ok(None);
        };
        let answer = self.resolver.lookup(&owner, RecordType::MX).await;
        self.judge(name, RecordType::MX, answer, |r| match &r.data {
            RData::MX(mx) => Some(mx.exchange.to_ascii()),
            _ => None,
        })
        .map(|found| found.map(|v| v.into_iter().flatten().collect()))
    }

    /// PTR names of `ip`.
    pub(crate) async fn ptr(&mut self, ip: IpAddr) -> Result<Found<String>, Abort> {
        let owner = Name::from(ip);
        let text = owner.to_ascii();
        let answer = self.resolver.lookup(&owner, RecordType::PTR).await;
        self.judge(&text, RecordType::PTR, answer, |r| match &r.data {
            RData::PTR(ptr) => Some(ptr.0.to_ascii()),
            _ => None,
        })
        .map(|found| found.map(|v| v.into_iter().flatten().collect()))
    }

    /// The name to ask: labels as they are, since macro expansion may put
    /// any octet in a label (RFC 7208 §7.3 leaves them to DNS).
    fn name(&mut self, text: &str, rtype: RecordType) -> Option<Name> {
        let labels = text.trim_end_matches('.').split('.').map(str::as_bytes);
        match Name::from_labels(labels) {
            Ok(mut name) => {
                name.set_fqdn(true);
                Some(name)
            }
            Err(e) => {
                self.record(text, rtype, format!("not asked: {e}"), None);
                None
            }
        }
    }

    fn judge<R, T>(
        &mut self,
        name: &str,
        rtype: RecordType,
        answer: Result<dns::Lookup<R>, DnsError>,
        convert: impl FnMut(R) -> T,
    ) -> Result<Found<T>, Abort> {
        let lookup = match answer {
            Ok(lookup) => lookup,
            Err(e) => {
                self.record(name, rtype, format!("failed: {e}"), None);
                return if e.is_temporary() {
                    Err(Abort::Temp(e.to_string()))
                } else {
                    Ok(None)
                };
            }
        };
        let status = lookup.status;
        if status == DnssecStatus::Bogus {
            // A bogus answer may be forged: it is not evidence either way
            // (a validating resolver answers SERVFAIL, RFC 4035 §5.5).
            self.record(name, rtype, "bogus answer".into(), Some(status));
            return Err(Abort::Temp(format!("{name} {rtype}: DNSSEC-bogus answer")));
        }
        let summary = match lookup.absence {
            Some(dns::Absence::NxDomain) => "NXDOMAIN".to_owned(),
            Some(dns::Absence::NoData) => "NODATA".to_owned(),
            None => match lookup.records.len() {
                1 => "1 record".to_owned(),
                n => format!("{n} records"),
            },
        };
        self.record(name, rtype, summary, Some(status));
        if lookup.records.is_empty() {
            return Ok(None);
        }
        Ok(Some(lookup.records.into_iter().map(convert).collect()))
    }

    fn record(
        &mut self,
        name: &str,
        rtype: RecordType,
        answer: String,
        dnssec: Option<DnssecStatus>,
    ) {
        self.steps.push(LookupStep {
            name: name.to_owned(),
            rtype: rtype.to_string(),
            answer,
            dnssec,
        });
    }
}
