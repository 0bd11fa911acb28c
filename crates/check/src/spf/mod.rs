//! SPF (RFC 7208): the domain's one `v=spf1` record, its syntax, the DNS
//! lookups it costs with the tree of what counts, void lookups and what it
//! says about senders it does not list.

mod macros;
mod record;
mod size;
mod term;
mod texts;
mod tree;
mod walk;

pub use record::{
    Mechanism, Qualifier, SpfRecord, Term, TermError, TermKind, is_sender_id, is_spf,
};
pub use tree::{Crossing, LOOKUP_LIMIT, MX_HOST_LIMIT, RecordNode, SpfTree, TermNode, VOID_LIMIT};

use dns::{Name, Resolver};

use crate::finding::{Detail, Finding};
use crate::txt::{self, display};
use walk::{Problem, walk};

/// Checks the SPF record of `domain`: exactly one (RFC 7208 §4.5), its
/// syntax, the lookup count through includes and redirects (§4.6.4), void
/// lookups, and its `all`. The evidence of each finding gives the DNSSEC
/// status of the TXT answers it rests on.
pub async fn check_spf(resolver: &Resolver, domain: &Name) -> Vec<Finding> {
    let shown = display(domain);
    let answer = match txt::fetch(resolver, domain).await {
        Ok(answer) => answer,
        Err(failure) => return vec![texts::LOOKUP_FAILED.finding(&shown, failure.to_string())],
    };
    let sender_id = answer.select(is_sender_id);
    let sender_id = (!sender_id.is_empty())
        .then(|| texts::SENDER_ID.finding(&shown, answer.describe_records(&sender_id)));
    let records = answer.select(is_spf);
    let text = match records.as_slice() {
        [] => {
            let missing = texts::MISSING.finding(&shown, answer.describe());
            return std::iter::once(missing).chain(sender_id).collect();
        }
        [one] => *one,
        many => {
            let multiple = texts::MULTIPLE.finding(&shown, answer.describe_records(many));
            return std::iter::once(multiple).chain(sender_id).collect();
        }
    };
    let mut findings = vec![texts::RECORD.finding(&shown, answer.describe_records(&[text]))];
    findings.extend(sender_id);
    findings.extend(size::finding(&shown, &answer, text));
    let walked = walk(resolver, domain, answer.status, text).await;
    findings.extend(walked.problems.iter().map(|p| problem(&shown, p)));
    findings.push(all(&shown, &walked.tree));
    findings.extend(void(&shown, &walked.tree));
    findings.push(count(&shown, &walked.tree));
    findings
}

/// The finding for one problem met on the walk.
fn problem(shown: &str, problem: &Problem) -> Finding {
    match problem {
        Problem::Syntax { domain, error } => {
            texts::SYNTAX.finding(shown, format!("in the record of {domain}: {error}"))
        }
        Problem::Loop { term, domains } => texts::LOOP.finding(
            shown,
            format!("{term} closes the loop {}", domains.join(" -> ")),
        ),
        Problem::NoRecord { term, domain, seen } => {
            texts::INCLUDE_MISSING.finding(shown, format!("{term} in {domain}; {seen}"))
        }
        Problem::Multiple { term, domain, seen } => {
            texts::INCLUDE_MULTIPLE.finding(shown, format!("{term} in {domain}; {seen}"))
        }
        Problem::LookupFailed {
            term,
            domain,
            reason,
        } => texts::TERM_LOOKUP_FAILED.finding(shown, format!("{term} in {domain}: {reason}")),
        Problem::MxTooManyHosts {
            term,
            domain,
            hosts,
        } => texts::MX_TOO_MANY_HOSTS.finding(
            shown,
            format!("{term} in {domain}: {hosts} MX hosts (limit {MX_HOST_LIMIT})"),
        ),
        Problem::Ptr { term, domain } => {
            texts::PTR.finding(shown, format!("{term} in the record of {domain}"))
        }
        Problem::Macro { term, domain } => texts::MACRO.finding(
            shown,
            format!("{term} in {domain}: counted, but its name is known only per message"),
        ),
        Problem::AfterAll { domain, terms } => texts::AFTER_ALL.finding(
            shown,
            format!("in the record of {domain}, after all: {}", terms.join(" ")),
        ),
        Problem::RedirectIgnored { term, domain } => {
            texts::REDIRECT_IGNORED.finding(shown, format!("{term} in the record of {domain}"))
        }
        Problem::Truncated { term, domain } => texts::TRUNCATED.finding(
            shown,
            format!("{term} in {domain} was not followed: the tree is too large"),
        ),
    }
}

/// What the record says about senders it does not list: its `all`, or that
/// of its `redirect=` target (RFC 7208 §4.7, §6.1).
fn all(shown: &str, tree: &SpfTree) -> Finding {
    let has_redirect = tree
        .root
        .terms
        .iter()
        .any(|t| t.term.to_ascii_lowercase().starts_with("redirect="));
    let Some((qualifier, source)) = &tree.root.effective_all else {
        if has_redirect {
            return texts::NO_ALL.finding(
                shown,
                "the redirect= target gives no all (see the other findings)",
            );
        }
        return texts::NO_ALL.finding(shown, format!("the record of {shown} has no all"));
    };
    let evidence = if source == shown {
        format!("{}all in the record of {shown}", qualifier.symbol())
    } else {
        format!(
            "{}all in the record of {source}, through redirect=",
            qualifier.symbol()
        )
    };
    let text = match qualifier {
        Qualifier::Pass => &texts::ALL_PASS,
        Qualifier::Neutral => &texts::ALL_NEUTRAL,
        _ => &texts::ALL_STRICT,
    };
    text.finding(shown, evidence)
}

/// Void lookups against their limit.
fn void(shown: &str, tree: &SpfTree) -> Option<Finding> {
    let list = &tree.void_lookups;
    let text = match list.len() {
        0 => return None,
        n if n > VOID_LIMIT => &texts::TOO_MANY_VOID,
        _ => &texts::VOID,
    };
    let evidence = format!(
        "{} void lookup{} (limit {VOID_LIMIT}): {}",
        list.len(),
        if list.len() == 1 { "" } else { "s" },
        list.join("; ")
    );
    Some(text.finding(shown, evidence))
}

/// The lookup count, with the tree.
fn count(shown: &str, tree: &SpfTree) -> Finding {
    let finding = match &tree.over_limit {
        Some(crossing) => {
            let via = if crossing.path.len() > 1 {
                format!(", reached through {}", crossing.path.join(" -> "))
            } else {
                String::new()
            };
            texts::TOO_MANY_LOOKUPS.finding(
                shown,
                format!(
                    "{} lookups (limit {LOOKUP_LIMIT}); {} pushes the count over {LOOKUP_LIMIT}: \
                     lookup {} is {} in the record of {}{via}\n{}",
                    tree.lookups,
                    crossing.top,
                    LOOKUP_LIMIT + 1,
                    crossing.term,
                    crossing.domain,
                    tree.render()
                ),
            )
        }
        None => texts::LOOKUP_COUNT.finding(
            shown,
            format!(
                "{} of {LOOKUP_LIMIT} lookups\n{}",
                tree.lookups,
                tree.render()
            ),
        ),
    };
    finding.with_detail(Detail::SpfTree(tree.clone()))
}
