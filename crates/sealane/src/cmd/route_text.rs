//! The human form of `sealane route`: DNS, DANE, MTA-STS, each host's
//! handshake, and the verdict, in that order.

use std::fmt::Write;

use delivery::{HostAttempt, Verdict};
use dns::MxKind;
use policy::{DeliveryPlan, Requirement, Trouble};
use smtp::untrusted;

use super::deliver::describe;
use super::endpoint::endpoint;

/// Renders the report. Text from the network is shown escaped (see
/// [`smtp::Untrusted`]).
pub fn render(
    destination: &str,
    plan: &DeliveryPlan,
    probes: &[HostAttempt],
    verdict: &Verdict,
) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = write_report(&mut out, destination, plan, probes, verdict);
    out
}

fn write_report(
    out: &mut String,
    destination: &str,
    plan: &DeliveryPlan,
    probes: &[HostAttempt],
    verdict: &Verdict,
) -> std::fmt::Result {
    writeln!(out, "Route to {destination} (domain {})", plan.domain)?;
    writeln!(out)?;
    match plan.mx_kind {
        Some(kind) => writeln!(out, "MX: {} (DNSSEC {})", mx_kind(kind), plan.mx_status)?,
        None => writeln!(out, "MX: lookup failed")?,
    }
    if let Some(trouble) = &plan.domain_trouble {
        writeln!(out, "  {}", trouble.diagnostic())?;
    }
    for host in &plan.hosts {
        let addresses: Vec<String> = host.addresses.iter().map(ToString::to_string).collect();
        writeln!(
            out,
            "  {:>5} {}  [{}]  addresses DNSSEC {}",
            host.preference,
            host.name,
            addresses.join(", "),
            host.address_status
        )?;
        if let Some(tlsa) = &host.tlsa {
            writeln!(
                out,
                "        TLSA at _25._tcp.{} (DNSSEC {}): {}",
                tlsa.base_domain,
                tlsa.status,
                if tlsa.records.is_empty() {
                    "none".to_owned()
                } else {
                    tlsa.records
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; ")
                }
            )?;
        }
        writeln!(
            out,
            "        requires: {} — {}",
            requirement(&host.requirement),
            host.reason.describe()
        )?;
    }
    writeln!(out)?;
    write_sts(out, plan)?;
    writeln!(out)?;
    writeln!(
        out,
        "Connections (STARTTLS and verification, no message sent):"
    )?;
    if probes.is_empty() {
        writeln!(out, "  none: no host can be tried now")?;
    }
    for probe in probes {
        write!(out, "  {}", endpoint(&probe.host, &probe.address))?;
        if let Some(session) = &probe.session {
            match &session.tls {
                Some(tls) => write!(out, " {} {}", tls.version, tls.cipher)?,
                None => write!(out, " no TLS")?,
            }
        }
        writeln!(out)?;
        if let Some(reply) = &probe.starttls_refused {
            writeln!(
                out,
                "        STARTTLS refused ({reply}): plaintext, as allowed here"
            )?;
        }
        if let Some(verification) = &probe.verification {
            if let Some(cert) = &verification.certificate {
                writeln!(
                    out,
                    "        certificate: {} (issuer {})",
                    untrusted(&cert.subject),
                    untrusted(&cert.issuer)
                )?;
            }
            writeln!(out, "        verified: {}", describe(verification))?;
        }
        match &probe.trouble {
            Some(trouble) => writeln!(out, "        FAIL {}", trouble.diagnostic())?,
            None => writeln!(out, "        ok")?,
        }
    }
    writeln!(out)?;
    match verdict {
        Verdict::Deliver {
            host,
            address,
            security,
        } => writeln!(
            out,
            "Verdict: a message would be delivered now to {} ({security}).",
            endpoint(host, address)
        )?,
        Verdict::Defer { trouble } => writeln!(
            out,
            "Verdict: a message would be deferred now; a queued one is retried on the \
             schedule (dry run: nothing was sent or queued): {}",
            once(trouble, probes)
        )?,
        Verdict::Bounce { trouble } => writeln!(
            out,
            "Verdict: a message would be returned to the sender (dry run: nothing was sent \
             or queued): {}",
            once(trouble, probes)
        )?,
    }
    Ok(())
}

/// The verdict's reason, in full unless a connection above already printed
/// the same explanation: then its code and where to read it.
fn once(trouble: &Trouble, probes: &[HostAttempt]) -> String {
    let diagnostic = trouble.diagnostic();
    let shown = probes.iter().find(|p| {
        p.trouble
            .as_ref()
            .is_some_and(|t| t.diagnostic() == diagnostic)
    });
    match shown {
        Some(probe) => format!(
            "{} (as explained for {} above)",
            trouble.code(),
            endpoint(&probe.host, &probe.address)
        ),
        None => diagnostic,
    }
}

fn write_sts(out: &mut String, plan: &DeliveryPlan) -> std::fmt::Result {
    let Some(sts) = &plan.sts else {
        let dane = |h: &policy::HostPlan| matches!(h.requirement, Requirement::Dane { .. });
        let why = if plan.hosts.is_empty() {
            "no MX host can be tried"
        } else if plan.hosts.iter().all(dane) {
            "every MX host has DANE, which takes precedence over MTA-STS (RFC 8461 §2)"
        } else {
            "no MX host without DANE can be tried now"
        };
        return writeln!(out, "MTA-STS: not consulted: {why}");
    };
    match sts.answer.as_ref().and_then(|a| a.applied.as_ref()) {
        Some(applied) => {
            let patterns: Vec<String> = applied
                .policy
                .mx
                .iter()
                .map(|p| untrusted(&p.to_string()).to_string())
                .collect();
            writeln!(
                out,
                "MTA-STS: policy id {} ({}), mode {}, mx {}, max_age {} s",
                untrusted(&applied.id),
                applied.origin.describe(),
                applied.policy.mode,
                patterns.join(", "),
                applied.policy.max_age
            )?;
        }
        None => writeln!(out, "MTA-STS: no policy in force")?,
    }
    if let Some(trouble) = &sts.trouble {
        writeln!(out, "  {}", trouble.diagnostic())?;
    }
    Ok(())
}

fn requirement(requirement: &Requirement) -> String {
    match requirement {
        Requirement::Dane { records, .. } => {
            format!(
                "DANE ({})",
                smtp::count(
                    records.len() as u64,
                    "usable TLSA record",
                    "usable TLSA records"
                )
            )
        }
        Requirement::TlsMandatoryUnauthenticated => "TLS, certificate not authenticated".into(),
        Requirement::Opportunistic => "opportunistic TLS".into(),
        Requirement::StsEnforce { name } => {
            format!("MTA-STS enforce: TLS with a WebPKI certificate for {name}")
        }
        Requirement::UnusableNow(trouble) => format!("not usable now: {}", trouble.code()),
        _ => "a requirement this version cannot describe".into(),
    }
}

/// How the MX hosts were found, in words.
fn mx_kind(kind: MxKind) -> &'static str {
    match kind {
        MxKind::Explicit => "published",
        MxKind::Implicit => "none published; the domain itself receives mail (RFC 5321 §5.1)",
        MxKind::NullMx => "null MX; the domain accepts no mail (RFC 7505)",
        MxKind::NoSuchDomain => "none; the domain does not exist (NXDOMAIN)",
    }
}
