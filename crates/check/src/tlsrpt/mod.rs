//! SMTP TLS reporting (RFC 8460): the one `v=TLSRPTv1` record at
//! `_smtp._tls.<domain>` and its `rua=` destinations.

mod texts;

pub use report::tlsrpt::{TlsRptError, TlsRptRecord, is_tlsrpt};

use dns::{Name, Resolver};

use crate::finding::Finding;
use crate::txt::{self, display};
use report::tlsrpt::looks_like_tlsrpt;

/// Checks the TLS-RPT record of `domain` (RFC 8460 §3): exactly one at
/// `_smtp._tls.<domain>`, well formed, with usable `rua=` URIs. The
/// evidence gives the DNSSEC status of the TXT answer.
pub async fn check_tlsrpt(resolver: &Resolver, domain: &Name) -> Vec<Finding> {
    let shown = display(domain);
    let owner = match domain
        .prepend_label("_tls")
        .and_then(|n| n.prepend_label("_smtp"))
    {
        Ok(owner) => owner,
        Err(e) => {
            return vec![texts::LOOKUP_FAILED.finding(&shown, format!("_smtp._tls.{shown}: {e}"))];
        }
    };
    let answer = match txt::fetch(resolver, &owner).await {
        Ok(answer) => answer,
        Err(failure) => return vec![texts::LOOKUP_FAILED.finding(&shown, failure.to_string())],
    };
    let text = match answer.select(is_tlsrpt).as_slice() {
        [one] => (*one).to_owned(),
        [] => {
            let near = answer.select(looks_like_tlsrpt);
            return vec![match near.first() {
                Some(text) => {
                    let error = TlsRptRecord::parse(text)
                        .err()
                        .map(|e| e.to_string())
                        .unwrap_or_else(|| "not a v=TLSRPTv1 record".into());
                    texts::SYNTAX.finding(
                        &shown,
                        format!("{}: {error}", answer.describe_records(&near)),
                    )
                }
                None => texts::MISSING.finding(&shown, answer.describe()),
            }];
        }
        many => return vec![texts::MULTIPLE.finding(&shown, answer.describe_records(many))],
    };
    let seen = answer.describe_records(&[&text]);
    let record = match TlsRptRecord::parse(&text) {
        Ok(record) => record,
        Err(e) => return vec![texts::SYNTAX.finding(&shown, format!("{seen}: {e}"))],
    };
    let mut findings: Vec<Finding> = record
        .bad_uris
        .iter()
        .map(|(uri, reason)| {
            texts::BAD_URI.finding(&shown, format!("rua {}: {reason}", smtp::quoted(uri)))
        })
        .collect();
    if record.rua.is_empty() {
        findings.push(texts::NO_USABLE_URI.finding(&shown, seen));
    } else {
        let list: Vec<&str> = record.rua.iter().map(|u| u.uri.as_str()).collect();
        findings.insert(
            0,
            texts::RECORD.finding(&shown, format!("{seen}; reports go to {}", list.join(", "))),
        );
    }
    findings
}
