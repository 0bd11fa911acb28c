//! The human form of sender authentication in `sealane trace` and `sealane
//! queue show`: the lines under the received event. Every text came from
//! the network or from DNS and goes through [`shown`].

use std::fmt::Write;

use queue::AuthRecord;
use smtp::untrusted as shown;

/// The results of `record`, one line per method, indented under the event.
pub fn lines(out: &mut String, record: &AuthRecord) {
    if let Some(ip) = record.evaluated_ip {
        let _ = write!(out, "      evaluated {ip}");
        if let Some(gateway) = record.gateway {
            let _ = write!(out, " (behind trusted gateway {gateway})");
        }
        let _ = writeln!(out);
    }
    for spf in &record.spf {
        let _ = write!(
            out,
            "      spf {} {} {}",
            shown(&spf.identity),
            shown(&spf.sender),
            shown(&spf.result)
        );
        if let Some(detail) = &spf.detail {
            let _ = write!(out, " ({})", shown(detail));
        }
        let _ = writeln!(out);
    }
    if record.dkim.is_empty() {
        let _ = writeln!(out, "      dkim none");
    }
    for dkim in &record.dkim {
        let _ = write!(
            out,
            "      dkim {} d={} s={} a={}",
            shown(&dkim.result),
            shown(&dkim.domain),
            shown(&dkim.selector),
            shown(&dkim.algorithm)
        );
        if let Some(problem) = &dkim.problem {
            let _ = write!(out, " ({})", shown(problem));
        }
        let _ = writeln!(out);
    }
    if let Some(dmarc) = &record.dmarc {
        let _ = write!(
            out,
            "      dmarc {} header.from={}",
            shown(&dmarc.result),
            shown(&dmarc.from_domain)
        );
        if let Some(policy) = &dmarc.policy {
            let _ = write!(
                out,
                " p={} dis={}",
                shown(policy),
                shown(&dmarc.disposition)
            );
        }
        let aligned: Vec<&str> = [("spf", dmarc.spf_aligned), ("dkim", dmarc.dkim_aligned)]
            .into_iter()
            .filter_map(|(name, yes)| yes.then_some(name))
            .collect();
        if !aligned.is_empty() {
            let _ = write!(out, ", aligned {}", aligned.join(" and "));
        }
        if let Some(problem) = &dmarc.problem {
            let _ = write!(out, " ({})", shown(problem));
        }
        let _ = writeln!(out);
    }
    if let Some(arc) = &record.arc {
        let _ = write!(out, "      arc {}", shown(&arc.result));
        if !arc.sealers.is_empty() {
            let sealers: Vec<String> = arc.sealers.iter().map(|s| shown(s).to_string()).collect();
            let _ = write!(out, " sealed by {}", sealers.join(", "));
        }
        if let Some(by) = &arc.override_by {
            let _ = write!(out, ", trusted sealer {} overrides DMARC", shown(by));
        }
        if let Some(problem) = &arc.problem {
            let _ = write!(out, " ({})", shown(problem));
        }
        let _ = writeln!(out);
    }
    let _ = writeln!(out, "      verdict {}", shown(&record.verdict));
}

#[cfg(test)]
mod tests {
    use super::*;
    use queue::{ArcRecord, DkimRecord, DmarcRecord, SpfRecord};

    #[test]
    fn each_method_has_its_line_and_network_text_is_escaped() {
        let record = AuthRecord {
            evaluated_ip: Some("192.0.2.25".parse().unwrap()),
            gateway: Some("10.0.0.1".parse().unwrap()),
            spf: vec![SpfRecord {
                identity: "mailfrom".into(),
                sender: "a@evil\r\n.test".into(),
                result: "fail".into(),
                detail: Some("not allowed".into()),
            }],
            dkim: vec![DkimRecord {
                result: "pass".into(),
                domain: "lists.example".into(),
                selector: "s1".into(),
                algorithm: "ed25519-sha256".into(),
                problem: None,
            }],
            dmarc: Some(DmarcRecord {
                result: "fail".into(),
                from_domain: "a.example".into(),
                policy: Some("reject".into()),
                disposition: "reject".into(),
                spf_aligned: false,
                dkim_aligned: false,
                problem: None,
            }),
            arc: Some(ArcRecord {
                result: "pass".into(),
                sealers: vec!["lists.example".into()],
                override_by: Some("lists.example".into()),
                problem: None,
            }),
            verdict: "override: DMARC failure of a.example overridden".into(),
        };
        let mut out = String::new();
        lines(&mut out, &record);
        assert_eq!(
            out,
            "      evaluated 192.0.2.25 (behind trusted gateway 10.0.0.1)\n\
             \x20     spf mailfrom a@evil\\r\\n.test fail (not allowed)\n\
             \x20     dkim pass d=lists.example s=s1 a=ed25519-sha256\n\
             \x20     dmarc fail header.from=a.example p=reject dis=reject\n\
             \x20     arc pass sealed by lists.example, trusted sealer lists.example overrides DMARC\n\
             \x20     verdict override: DMARC failure of a.example overridden\n"
        );
    }
}
