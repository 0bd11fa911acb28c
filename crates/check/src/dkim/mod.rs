//! DKIM (RFC 6376): the key record a selector publishes at
//! `selector._domainkey.<domain>`, read as receivers read it — present,
//! well formed, not revoked, long enough (RFC 8301), not in testing, usable
//! for email with SHA-256 — and accepted by the verifier Sealane runs on
//! arrival.

mod texts;

use auth::dkim::KeyRecord;
use dns::{Name, Resolver};

use crate::finding::{Finding, Severity};
use crate::text::Text;
use crate::txt::{self, display};

/// The smallest RSA key verifiers accept (RFC 8301 §3.2).
const RSA_MIN_BITS: usize = 1024;
/// The smallest RSA key signers should use (RFC 8301 §3.2).
const RSA_GOOD_BITS: usize = 2048;

/// Checks the DKIM key record of `selector` for `domain`: one finding per
/// problem, or a pass (with any warnings) when receivers can verify
/// signatures made with it. The evidence gives the DNSSEC status of the
/// TXT answer.
pub async fn check_dkim(resolver: &Resolver, domain: &Name, selector: &str) -> Vec<Finding> {
    let shown = display(domain);
    let finding =
        |text: &Text, evidence: String| with_selector(text.finding(&shown, evidence), selector);
    let owner_text = format!("{selector}._domainkey.{shown}");
    let owner = match Resolver::parse_name(&owner_text) {
        Ok(owner) => owner,
        Err(e) => return vec![finding(&texts::LOOKUP_FAILED, format!("{owner_text}: {e}"))],
    };
    let answer = match txt::fetch(resolver, &owner).await {
        Ok(answer) => answer,
        Err(failure) => return vec![finding(&texts::LOOKUP_FAILED, failure.to_string())],
    };
    let text = match answer.select(|t| !t.trim().is_empty()).as_slice() {
        [one] => (*one).to_owned(),
        [] => return vec![finding(&texts::MISSING, answer.describe())],
        many => return vec![finding(&texts::MULTIPLE, answer.describe_records(many))],
    };
    let seen = answer.describe_records(&[&text]);
    let record = match KeyRecord::parse(&text) {
        Ok(record) => record,
        Err(e) => return vec![finding(&texts::MALFORMED, format!("{seen}: {e}"))],
    };
    if record.revoked {
        return vec![finding(&texts::REVOKED, seen)];
    }
    let size = match record.bits {
        Some(bits) => format!("{} key of {bits} bits", record.key_type),
        None => format!("{} key", record.key_type),
    };
    let mut findings = Vec::new();
    if record.key_type == "rsa" {
        match record.bits {
            Some(bits) if bits < RSA_MIN_BITS => {
                findings.push(finding(&texts::TOO_SHORT, format!("{seen}: {size}")));
            }
            Some(bits) if bits < RSA_GOOD_BITS => {
                findings.push(finding(&texts::WEAK, format!("{seen}: {size}")));
            }
            _ => {}
        }
    }
    if record.sha1_only() {
        findings.push(finding(&texts::SHA1_ONLY, format!("{seen}: h=sha1")));
    }
    if record.not_for_email() {
        let services = record.services.join(":");
        findings.push(finding(
            &texts::NOT_FOR_EMAIL,
            format!("{seen}: s={services}"),
        ));
    }
    if record.testing() {
        findings.push(finding(&texts::TESTING, format!("{seen}: t=y")));
    }
    if let Err(reason) = KeyRecord::verifier_accepts(&text)
        && findings.iter().all(|f| f.severity < Severity::Error)
    {
        findings.push(finding(
            &texts::MALFORMED,
            format!("{seen}: the verifier refuses it: {reason}"),
        ));
    }
    if findings.iter().all(|f| f.severity < Severity::Error) {
        findings.insert(
            0,
            finding(
                &texts::VALID,
                format!("{}: selector {selector}, {size}", answer.source()),
            ),
        );
    }
    findings
}

/// Names the selector in the remedy.
fn with_selector(mut finding: Finding, selector: &str) -> Finding {
    finding.remedy = finding.remedy.replace("{selector}", selector);
    finding
}
