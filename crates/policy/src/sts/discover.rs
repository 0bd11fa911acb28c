//! Policy discovery: the TXT lookup at `_mta-sts.<domain>` (RFC 8461 §3.1).

use dns::{DnsError, DnssecStatus, Name, Resolver};
use serde::Serialize;

use super::record::{RecordError, StsRecord, diagnose_non_candidate, is_candidate};

/// What the `_mta-sts` TXT lookup found.
///
/// Only [`Discovery::Found`] announces a policy. Every other variant means
/// "no policy discovered now"; none of them is by itself a reason to drop a
/// cached policy that is still valid (RFC 8461 §5.1).
///
/// The DNSSEC status is reported but does not change the verdict: the record
/// only says that a policy exists and which version; the policy itself is
/// authenticated by WebPKI when it is fetched (RFC 8461 §3.3), so even a
/// bogus record cannot weaken delivery, and a missing one never removes a
/// cached policy.
#[must_use]
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Discovery {
    /// Exactly one valid record.
    Found {
        /// The record.
        record: StsRecord,
        /// The DNSSEC status of the TXT answer.
        status: DnssecStatus,
    },
    /// No TXT record begins with `v=STSv1` (none at all, or only others,
    /// such as site verification strings).
    NoRecord {
        /// How many other TXT records were ignored.
        ignored: usize,
        /// The DNSSEC status of the answer (a bogus answer carries no records).
        status: DnssecStatus,
    },
    /// A record is there but unusable; the domain is treated as having no
    /// policy (RFC 8461 §3.1).
    Invalid {
        /// Why.
        reason: RecordError,
        /// The DNSSEC status of the TXT answer.
        status: DnssecStatus,
    },
    /// The lookup itself failed (SERVFAIL, timeout...): temporary.
    LookupFailed {
        /// The DNS failure.
        #[serde(serialize_with = "display")]
        error: DnsError,
    },
}

fn display<S: serde::Serializer>(error: &DnsError, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(error)
}

impl Discovery {
    /// The record's id, when a policy was announced.
    pub fn id(&self) -> Option<&str> {
        match self {
            Self::Found { record, .. } => Some(&record.id),
            _ => None,
        }
    }
}

/// The owner of the record: `_mta-sts.<domain>`.
pub fn record_name(domain: &Name) -> Result<Name, DnsError> {
    domain
        .prepend_label("_mta-sts")
        .map_err(|_| DnsError::BadName {
            input: domain.to_string(),
            reason: dns::NameFault::TooLong,
        })
}

/// Looks up and judges the MTA-STS TXT record of `domain` (RFC 8461 §3.1).
pub async fn discover(resolver: &Resolver, domain: &Name) -> Discovery {
    let owner = match record_name(domain) {
        Ok(owner) => owner,
        Err(error) => return Discovery::LookupFailed { error },
    };
    match resolver.txt(&owner).await {
        Ok(answer) => {
            let texts: Vec<String> = answer.records.iter().map(|txt| txt.joined()).collect();
            judge(&texts, answer.status)
        }
        Err(error) => Discovery::LookupFailed { error },
    }
}

/// Judges the TXT strings found at `_mta-sts.<domain>`: records that do not
/// begin with `v=STSv1` are discarded, and exactly one must remain and parse.
pub fn judge(texts: &[String], status: DnssecStatus) -> Discovery {
    let candidates: Vec<&String> = texts.iter().filter(|t| is_candidate(t)).collect();
    match candidates.as_slice() {
        [] => match texts.iter().find_map(|t| diagnose_non_candidate(t)) {
            Some(reason) => Discovery::Invalid { reason, status },
            None => Discovery::NoRecord {
                ignored: texts.len(),
                status,
            },
        },
        [one] => match StsRecord::parse(one) {
            Ok(record) => Discovery::Found { record, status },
            Err(reason) => Discovery::Invalid { reason, status },
        },
        many => Discovery::Invalid {
            reason: RecordError::MultipleRecords { count: many.len() },
            status,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECURE: DnssecStatus = DnssecStatus::Secure;

    fn judge_all(texts: &[&str]) -> Discovery {
        let texts: Vec<String> = texts.iter().map(|t| (*t).to_owned()).collect();
        judge(&texts, SECURE)
    }

    fn reason(discovery: Discovery) -> RecordError {
        match discovery {
            Discovery::Invalid { reason, .. } => reason,
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    #[test]
    fn one_record_among_others_is_found() {
        let found = judge_all(&["v=spf1 -all", "v=STSv1; id=20240101", "v=STSv2; id=9"]);
        assert_eq!(found.id(), Some("20240101"));
        assert!(matches!(
            found,
            Discovery::Found {
                status: DnssecStatus::Secure,
                ..
            }
        ));
    }

    #[test]
    fn garbage_txt_is_no_record() {
        assert!(matches!(
            judge_all(&["garbage here", "v=spf1 -all"]),
            Discovery::NoRecord { ignored: 2, .. }
        ));
        assert!(matches!(
            judge_all(&[]),
            Discovery::NoRecord { ignored: 0, .. }
        ));
    }

    #[test]
    fn version_stsv12_is_unsupported() {
        assert_eq!(
            reason(judge_all(&["v=STSv12; id=1"])),
            RecordError::UnsupportedVersion {
                found: "v=STSv12".into()
            }
        );
    }

    #[test]
    fn id_before_version_is_invalid() {
        assert_eq!(
            reason(judge_all(&["id=1; v=STSv1"])),
            RecordError::VersionNotFirst
        );
    }

    #[test]
    fn two_records_are_invalid() {
        assert_eq!(
            reason(judge_all(&["v=STSv1; id=1", "v=STSv1; id=2"])),
            RecordError::MultipleRecords { count: 2 }
        );
        // Even when they are identical.
        assert_eq!(
            reason(judge_all(&["v=STSv1; id=1", "v=STSv1; id=1"])),
            RecordError::MultipleRecords { count: 2 }
        );
    }

    #[test]
    fn record_without_id_is_invalid() {
        assert_eq!(reason(judge_all(&["v=STSv1;"])), RecordError::MissingId);
    }

    #[test]
    fn bad_id_is_invalid() {
        assert!(matches!(
            reason(judge_all(&["v=STSv1; id=no-dashes"])),
            RecordError::BadId { .. }
        ));
    }

    #[test]
    fn record_name_prefixes_the_label() {
        let domain = Resolver::parse_name("example.com").unwrap();
        assert_eq!(
            record_name(&domain).unwrap().to_string(),
            "_mta-sts.example.com."
        );
    }
}
