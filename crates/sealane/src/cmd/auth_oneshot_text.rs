//! The human form of `sealane auth spf` and `sealane auth verify`. Every
//! text that came from the message or from DNS goes through [`shown`].

use std::fmt::Write;
use std::net::IpAddr;

use auth::dmarc::{DmarcVerdict, Policy};
use auth::{ArcVerdict, DkimVerdict, SpfVerdict};
use smtp::untrusted as shown;

/// One SPF verdict: the result line, the explanation or problem, and the
/// DNS questions in the order asked.
pub fn spf(verdict: &SpfVerdict, ip: IpAddr) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "spf {} for {} from {ip} ({}, policy of {})",
        verdict.result,
        shown(&verdict.sender),
        verdict.identity.property(),
        shown(&verdict.domain)
    );
    if let Some(explanation) = &verdict.explanation {
        let _ = writeln!(out, "  explanation: {}", shown(explanation));
    }
    if let Some(problem) = &verdict.problem {
        let _ = writeln!(out, "  problem: {}", shown(problem));
    }
    if verdict.lookups.is_empty() {
        let _ = writeln!(out, "  lookups: none");
    } else {
        let _ = writeln!(out, "  lookups:");
    }
    for (number, step) in verdict.lookups.iter().enumerate() {
        let dnssec = step.dnssec.map(|s| s.to_string());
        let _ = writeln!(
            out,
            "    {}. {} {}{}: {}",
            number + 1,
            shown(&step.name),
            step.rtype,
            dnssec
                .map(|s| format!(" (DNSSEC: {s})"))
                .unwrap_or_default(),
            shown(&step.answer)
        );
    }
    out
}

/// The `Authentication-Results` header field, then a line per result with
/// the reasons behind anything but a pass.
pub fn verify<'a>(
    header: &str,
    spf: impl Iterator<Item = &'a SpfVerdict>,
    dkim: &[DkimVerdict],
    dmarc: Option<&DmarcVerdict>,
    dmarc_problem: Option<&str>,
    arc: &ArcVerdict,
) -> String {
    let mut out = header.replace("\r\n", "\n");
    out.push('\n');
    for verdict in spf {
        let _ = write!(
            out,
            "spf {} {}={}",
            verdict.result,
            verdict.identity.property(),
            shown(&verdict.sender)
        );
        if let Some(problem) = &verdict.problem {
            let _ = write!(out, " ({})", shown(problem));
        }
        out.push('\n');
    }
    if dkim.is_empty() {
        out.push_str("dkim none (no signature)\n");
    }
    for verdict in dkim {
        let _ = write!(
            out,
            "dkim {} d={} s={} a={}",
            verdict.result,
            shown(&verdict.domain),
            shown(&verdict.selector),
            shown(&verdict.algorithm)
        );
        if let Some(status) = verdict.key_dnssec {
            let _ = write!(out, " key DNSSEC: {status}");
        }
        if let Some(problem) = &verdict.problem {
            let _ = write!(out, " ({})", shown(problem));
        }
        out.push('\n');
    }
    match dmarc {
        Some(verdict) => {
            let _ = write!(
                out,
                "dmarc {} header.from={}",
                verdict.result.as_str(),
                shown(&verdict.from_domain)
            );
            if let Some(policy) = verdict.policy {
                let _ = write!(
                    out,
                    " p={} dis={}",
                    policy.as_str(),
                    verdict.disposition.as_str()
                );
            } else if verdict.disposition != Policy::None {
                let _ = write!(out, " dis={}", verdict.disposition.as_str());
            }
            let _ = write!(
                out,
                " (aligned: spf {}, dkim {})",
                yes_no(verdict.spf_aligned),
                yes_no(verdict.dkim_aligned)
            );
            if let Some(problem) = &verdict.problem {
                let _ = write!(out, " ({})", shown(problem));
            }
            out.push('\n');
        }
        None => {
            let _ = writeln!(
                out,
                "dmarc none ({})",
                shown(dmarc_problem.unwrap_or("no author domain"))
            );
        }
    }
    let _ = write!(out, "arc {}", arc.result.as_str());
    for hop in &arc.hops {
        let _ = write!(out, " i={} sealer={}", hop.instance, shown(&hop.sealer));
    }
    if let Some(problem) = &arc.problem {
        let _ = write!(out, " ({})", shown(problem));
    }
    out.push('\n');
    out
}

fn yes_no(value: bool) -> &'static str {
    if value { "yes" } else { "no" }
}
