//! DMARC (RFC 7489): the one `v=DMARC1` record at `_dmarc.<domain>`, its
//! tags, the policy it asks for, and where its reports go — including
//! whether external destinations accept them (§7.1).

mod error;
mod record;
mod texts;

pub use record::{
    Alignment, DmarcError, DmarcRecord, DmarcUri, PolicyPlacement, RequestedPolicy, is_dmarc,
};

use dns::{Name, Resolver};

use crate::finding::Finding;
use crate::txt::{self, display};
use crate::uri::Scheme;
use record::looks_like_dmarc;

/// Checks the DMARC record of `domain`: exactly one at `_dmarc.<domain>`
/// (RFC 7489 §6.6.3), its syntax (§6.4), policy, `pct`, reporting URIs and
/// their authorization (§7.1), and alignment modes. The evidence gives the
/// DNSSEC status of each TXT answer.
pub async fn check_dmarc(resolver: &Resolver, domain: &Name) -> Vec<Finding> {
    let shown = display(domain);
    let owner = match domain.prepend_label("_dmarc") {
        Ok(owner) => owner,
        Err(e) => {
            return vec![texts::LOOKUP_FAILED.finding(&shown, format!("_dmarc.{shown}: {e}"))];
        }
    };
    let answer = match txt::fetch(resolver, &owner).await {
        Ok(answer) => answer,
        Err(failure) => return vec![texts::LOOKUP_FAILED.finding(&shown, failure.to_string())],
    };
    let text = match answer.select(is_dmarc).as_slice() {
        [one] => (*one).to_owned(),
        [] => {
            let near = answer.select(looks_like_dmarc);
            return vec![match near.first() {
                Some(text) => {
                    let error = DmarcRecord::parse(text).err().map(|e| e.to_string());
                    texts::SYNTAX.finding(
                        &shown,
                        format!(
                            "{}: {}",
                            answer.describe_records(&near),
                            error.unwrap_or_else(|| "not a v=DMARC1 record".into())
                        ),
                    )
                }
                None if answer.texts.is_empty() => {
                    texts::MISSING.finding(&shown, answer.describe())
                }
                None => texts::UNRELATED.finding(&shown, answer.describe()),
            }];
        }
        many => return vec![texts::MULTIPLE.finding(&shown, answer.describe_records(many))],
    };
    let others = answer.select(|t| !is_dmarc(t));
    let extra = (!others.is_empty())
        .then(|| texts::EXTRA_TXT.finding(&shown, answer.describe_records(&others)));
    let seen = answer.describe_records(&[&text]);
    let record = match DmarcRecord::parse(&text) {
        Ok(record) => record,
        Err(e) => return vec![texts::SYNTAX.finding(&shown, format!("{seen}: {e}"))],
    };
    let mut findings = vec![texts::RECORD.finding(&shown, seen)];
    findings.extend(extra);
    findings.extend(
        record
            .problems
            .iter()
            .map(|p| texts::BAD_TAG.finding(&shown, p.to_string())),
    );
    if !record.unknown_tags.is_empty() {
        findings.push(texts::UNKNOWN_TAG.finding(&shown, record.unknown_tags.join(", ")));
    }
    findings.extend(policy(&shown, &record));
    findings.extend(reporting(resolver, &shown, &record).await);
    findings.push(alignment(&shown, &record));
    findings
}

/// `p`, `sp` and `pct`.
fn policy(shown: &str, record: &DmarcRecord) -> Vec<Finding> {
    let mut findings = Vec::new();
    let p = record.policy;
    match record.placement {
        PolicyPlacement::Later => findings.push(texts::POLICY_NOT_SECOND.finding(
            shown,
            format!(
                "p={} is not the tag right after v=DMARC1 (RFC 7489 §6.4); receivers find it \
                 anyway",
                p.as_str()
            ),
        )),
        PolicyPlacement::ImpliedByRua => findings.push(texts::POLICY_MISSING.finding(
            shown,
            "no p= tag; the rua= tag is valid, so receivers act as if p=none were given \
             (RFC 7489 §6.6.3)",
        )),
        _ => {}
    }
    findings.push(if p == RequestedPolicy::None {
        texts::POLICY_NONE.finding(shown, "p=none")
    } else {
        texts::POLICY.finding(shown, format!("p={}", p.as_str()))
    });
    if let Some(sp) = record.subdomain_policy
        && sp < p
    {
        findings.push(
            texts::SUBDOMAIN_WEAKER
                .finding(shown, format!("p={} but sp={}", p.as_str(), sp.as_str())),
        );
    }
    let pct = record.percent();
    if pct < 100 {
        findings.push(texts::PCT.finding(
            shown,
            format!(
                "pct={pct}: p={} applies to {pct}% of failing mail; the rest gets the next \
                 weaker policy (RFC 7489 §6.6.4)",
                p.as_str()
            ),
        ));
    }
    findings
}

/// How many destinations per tag receivers must be able to send to
/// (RFC 7489 §6.2: "MUST support the ability to send to at least two").
const DESTINATIONS_SUPPORTED: usize = 2;

/// `rua` and `ruf`: present, supported, at most two each, without the
/// obsolete size limit, and accepted by external destinations.
async fn reporting(resolver: &Resolver, shown: &str, record: &DmarcRecord) -> Vec<Finding> {
    let mut findings = Vec::new();
    if record.rua.is_empty() {
        findings.push(texts::NO_RUA.finding(shown, "the record has no valid rua= tag"));
    }
    if !record.ruf.is_empty() {
        let list: Vec<&str> = record.ruf.iter().map(|u| u.uri.uri.as_str()).collect();
        findings.push(texts::RUF.finding(
            shown,
            format!(
                "ruf={}: few receivers send failure reports, and those they send may hold \
                 personal data",
                list.join(",")
            ),
        ));
    }
    for (tag, list) in [("rua", &record.rua), ("ruf", &record.ruf)] {
        if list.len() > DESTINATIONS_SUPPORTED {
            let uris: Vec<&str> = list.iter().map(|u| u.uri.uri.as_str()).collect();
            findings.push(texts::TOO_MANY_DESTINATIONS.finding(
                shown,
                format!(
                    "{tag}={}: {} destinations; receivers need support only \
                     {DESTINATIONS_SUPPORTED} and may drop the rest (RFC 7489 §6.2)",
                    uris.join(","),
                    list.len()
                ),
            ));
        }
        let sized: Vec<String> = list
            .iter()
            .filter_map(|u| {
                u.size
                    .as_ref()
                    .map(|size| format!("{tag}={}!{size}", u.uri.uri))
            })
            .collect();
        if !sized.is_empty() {
            findings.push(texts::SIZE_LIMIT.finding(
                shown,
                format!(
                    "{}: the size suffix of RFC 7489 §6.2 is gone from DMARCbis \
                     (draft-ietf-dmarc-dmarcbis); receivers may ignore it or misread the URI",
                    sized.join(", ")
                ),
            ));
        }
    }
    let tagged = record
        .rua
        .iter()
        .map(|u| ("rua", u))
        .chain(record.ruf.iter().map(|u| ("ruf", u)));
    let mut checked: Vec<String> = Vec::new();
    for (tag, uri) in tagged {
        if uri.uri.scheme != Scheme::Mailto {
            findings.push(texts::URI_UNSUPPORTED.finding(shown, format!("{tag}={}", uri.uri.uri)));
        }
        let host = &uri.uri.host;
        if host.is_empty() || same_organization(shown, host) || checked.contains(host) {
            continue;
        }
        checked.push(host.clone());
        findings.push(authorization(resolver, shown, tag, &uri.uri.uri, host).await);
    }
    findings
}

/// Whether `host` belongs to the same organization as `domain`: equal, or
/// one below the other. Without a public suffix list this is an
/// approximation of RFC 7489 §3.2's Organizational Domain, erring towards
/// "external" (a check costs one lookup and reports what it finds).
fn same_organization(domain: &str, host: &str) -> bool {
    let below = |a: &str, b: &str| a.strip_suffix(b).is_some_and(|rest| rest.ends_with('.'));
    host == domain || below(host, domain) || below(domain, host)
}

/// RFC 7489 §7.1: `<domain>._report._dmarc.<host>` must hold a record
/// starting `v=DMARC1` for `host` to accept reports about `domain`.
async fn authorization(
    resolver: &Resolver,
    shown: &str,
    tag: &str,
    uri: &str,
    host: &str,
) -> Finding {
    let name = format!("{shown}._report._dmarc.{host}");
    let head = format!("{tag}={uri}: {host} is outside {shown}");
    let owner = match Resolver::parse_name(&name) {
        Ok(owner) => owner,
        Err(e) => {
            return texts::EXTERNAL_UNAUTHORIZED.finding(shown, format!("{head}; {e}"));
        }
    };
    match txt::fetch(resolver, &owner).await {
        Err(failure) => texts::EXTERNAL_UNAUTHORIZED.finding(shown, format!("{head}; {failure}")),
        Ok(answer) if answer.select(is_dmarc).is_empty() => {
            texts::EXTERNAL_UNAUTHORIZED.finding(shown, format!("{head}; {}", answer.describe()))
        }
        Ok(answer) => texts::EXTERNAL.finding(
            shown,
            format!("{head}; it accepts them: {}", answer.describe()),
        ),
    }
}

/// `adkim` and `aspf`, with their defaults.
fn alignment(shown: &str, record: &DmarcRecord) -> Finding {
    let mode = |tag: &str, value: Option<Alignment>| match value {
        None => format!("{tag}=r (relaxed, the default)"),
        Some(Alignment::Relaxed) => format!("{tag}=r (relaxed)"),
        Some(Alignment::Strict) => format!("{tag}=s (strict: the domain must match exactly)"),
    };
    texts::ALIGNMENT.finding(
        shown,
        format!(
            "{}; {}",
            mode("adkim", record.adkim),
            mode("aspf", record.aspf)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::same_organization;

    #[test]
    fn organizations() {
        assert!(same_organization("example.com", "example.com"));
        assert!(same_organization("example.com", "reports.example.com"));
        assert!(same_organization("mail.example.com", "example.com"));
        assert!(!same_organization("example.com", "badexample.com"));
        assert!(!same_organization("example.com", "reports.example.net"));
    }
}
