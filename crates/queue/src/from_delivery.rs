//! Filling the trace from what delivery reports: the one place that maps
//! `delivery` and `policy` types onto the stored ones.

use delivery::HostAttempt;
use dns::DnssecStatus;
use policy::{DeliveryPlan, Trouble};

use crate::event::{AttemptRecord, DnssecNote};
use crate::meta::TlsSummary;
use crate::state::TroubleRecord;

impl TroubleRecord {
    /// The record of `trouble` (met on `mx`, if on a host): its code now,
    /// its cause's stable name and its diagnostic.
    pub fn from_trouble(trouble: &Trouble, mx: Option<&str>) -> TroubleRecord {
        TroubleRecord {
            code: trouble.code(),
            cause: cause_name(trouble),
            detail: trouble.diagnostic(),
            mx: mx.map(str::to_owned),
        }
    }

    /// The record for an expiry whose last cause was `trouble`: its final
    /// code (e.g. `5.7.323`, DESIGN §2 "Status codes").
    pub fn expired(trouble: &Trouble, mx: Option<&str>) -> TroubleRecord {
        TroubleRecord {
            code: trouble.final_code(),
            ..TroubleRecord::from_trouble(trouble, mx)
        }
    }
}

/// The `kind` tag a cause serialises with (e.g. `tlsa-invalid`).
fn cause_name(trouble: &Trouble) -> String {
    serde_json::to_value(&trouble.cause)
        .ok()
        .and_then(|v| v.get("kind").and_then(|k| k.as_str()).map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned())
}

fn status_name(status: DnssecStatus) -> &'static str {
    match status {
        DnssecStatus::Secure => "secure",
        DnssecStatus::Insecure => "insecure",
        DnssecStatus::Bogus => "bogus",
        DnssecStatus::Indeterminate => "indeterminate",
    }
}

impl AttemptRecord {
    /// The security line of one connection delivery made under `plan`,
    /// for the recipients it carried.
    pub fn from_host_attempt(
        attempt: &HostAttempt,
        plan: &DeliveryPlan,
        recipients: &[String],
    ) -> AttemptRecord {
        let mx = attempt.host.trim_end_matches('.');
        let host = plan.hosts.iter().find(|h| {
            h.name
                .to_string()
                .trim_end_matches('.')
                .eq_ignore_ascii_case(mx)
        });
        let domain = plan.domain.to_string();
        let mut dnssec = vec![DnssecNote {
            question: format!("{domain} MX"),
            status: status_name(plan.mx_status).to_owned(),
        }];
        if let Some(host) = host {
            dnssec.push(DnssecNote {
                question: format!("{} A/AAAA", host.name),
                status: status_name(host.address_status).to_owned(),
            });
            if let Some(tlsa) = &host.tlsa {
                dnssec.push(DnssecNote {
                    question: format!("_25._tcp.{} TLSA", tlsa.base_domain),
                    status: status_name(tlsa.status).to_owned(),
                });
            }
        }
        let session = attempt.session.as_ref();
        let verification = attempt.verification.as_ref();
        let trouble = attempt
            .trouble
            .as_ref()
            .or(attempt.sts_testing_failure.as_ref());
        AttemptRecord {
            mx: mx.to_owned(),
            address: attempt.address,
            source: session.and_then(|s| s.local),
            requirement: serde_json::to_value(&attempt.requirement)
                .ok()
                .and_then(|v| v.get("kind").and_then(|k| k.as_str()).map(str::to_owned))
                .unwrap_or_else(|| "unknown".to_owned()),
            tls: session.and_then(|s| s.tls.as_ref()).map(|t| TlsSummary {
                version: t.version.clone(),
                cipher: t.cipher.clone(),
            }),
            verification: verification
                .map(|v| format!("{} {}", v.method.as_str(), v.status.as_str())),
            tlsa: verification
                .and_then(|v| v.dane.as_ref())
                .map(|m| m.record.to_string()),
            sts_policy_id: plan
                .sts
                .as_ref()
                .and_then(|s| s.active())
                .map(|p| p.id.clone()),
            dnssec,
            result_type: trouble
                .and_then(Trouble::result_type)
                .map(|r| r.as_str().to_owned()),
            reply: session.and_then(|s| s.commands.iter().rev().find_map(|c| c.reply.clone())),
            trouble: attempt
                .trouble
                .as_ref()
                .map(|t| TroubleRecord::from_trouble(t, Some(mx))),
            recipients: recipients.to_vec(),
            transaction: attempt.transaction,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use policy::Cause;

    #[test]
    fn trouble_keeps_cause_name_and_codes() {
        let trouble = Trouble::with_detail(Cause::TlsaInvalid, "no record matched the leaf");
        let now = TroubleRecord::from_trouble(&trouble, Some("mx.example.net"));
        assert_eq!(now.cause, "tlsa-invalid");
        assert_eq!(now.code.to_string(), "4.7.323");
        assert!(now.detail.contains("no record matched the leaf"));
        assert_eq!(now.mx.as_deref(), Some("mx.example.net"));
        let end = TroubleRecord::expired(&trouble, Some("mx.example.net"));
        assert_eq!(end.code.to_string(), "5.7.323");
        assert_eq!(end.cause, now.cause);
    }
}
