//! Following an SPF record through DNS: each term that costs a lookup is
//! looked up as a receiver would (without a connecting address), includes
//! and redirects are followed with loop detection, and whatever would make
//! a receiver fail is kept as a [`Problem`].

use std::future::Future;
use std::pin::Pin;

use dns::{Absence, DnssecStatus, MxKind, Name, RecordType, Resolver};

use super::record::{Mechanism, SpfRecord, Term, TermError, TermKind, depends_on_message, is_spf};
use super::tree::{MX_HOST_LIMIT, RecordNode, SpfTree, TermNode};
use crate::txt::{self, display};

/// Records fetched per check at most: bounds the work on a pathological
/// tree (say, each record including the next twice) long after the count
/// is over the limit.
const MAX_RECORDS: usize = 40;

/// What would make a receiver's evaluation fail, or is worth a word.
#[derive(Clone, Debug)]
pub(crate) enum Problem {
    /// A term the grammar refuses (permerror).
    Syntax { domain: String, error: TermError },
    /// An include or redirect back to a record being evaluated.
    Loop { term: String, domains: Vec<String> },
    /// The include or redirect target has no SPF record (permerror).
    NoRecord {
        term: String,
        domain: String,
        seen: String,
    },
    /// The target has more than one SPF record (permerror).
    Multiple {
        term: String,
        domain: String,
        seen: String,
    },
    /// A lookup failed or was bogus (temperror).
    LookupFailed {
        term: String,
        domain: String,
        reason: String,
    },
    /// An `mx` term with more than 10 hosts (permerror).
    MxTooManyHosts {
        term: String,
        domain: String,
        hosts: usize,
    },
    /// A `ptr` term (deprecated).
    Ptr { term: String, domain: String },
    /// A term whose target depends on the message.
    Macro { term: String, domain: String },
    /// Mechanisms after `all`: never evaluated (RFC 7208 §5.1).
    AfterAll { domain: String, terms: Vec<String> },
    /// `redirect=` beside `all`: never used.
    RedirectIgnored { term: String, domain: String },
    /// The tree was not followed further.
    Truncated { term: String, domain: String },
}

/// The tree and the problems met building it.
pub(crate) struct Walk {
    pub tree: SpfTree,
    pub problems: Vec<Problem>,
}

/// Follows the record `text` published at `domain`.
pub(crate) async fn walk(
    resolver: &Resolver,
    domain: &Name,
    dnssec: DnssecStatus,
    text: &str,
) -> Walk {
    let mut walker = Walker {
        resolver,
        problems: Vec::new(),
        void: Vec::new(),
        records: 1,
    };
    let root = walker
        .record(domain.clone(), dnssec, text.to_owned(), Vec::new())
        .await;
    Walk {
        tree: SpfTree::new(root, walker.void),
        problems: walker.problems,
    }
}

struct Walker<'r> {
    resolver: &'r Resolver,
    problems: Vec<Problem>,
    void: Vec<String>,
    records: usize,
}

type Boxed<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// How a failed or empty answer reads in evidence.
fn absence(absence: Option<Absence>) -> &'static str {
    match absence {
        Some(Absence::NxDomain) => "NXDOMAIN",
        _ => "NODATA",
    }
}

impl Walker<'_> {
    /// One record and, through its includes and redirect, those below it.
    fn record(
        &mut self,
        name: Name,
        dnssec: DnssecStatus,
        text: String,
        mut path: Vec<Name>,
    ) -> Boxed<'_, RecordNode> {
        Box::pin(async move {
            let domain = display(&name);
            let parsed = SpfRecord::parse(&text);
            self.problems
                .extend(parsed.errors.iter().map(|error| Problem::Syntax {
                    domain: domain.clone(),
                    error: error.clone(),
                }));
            let late = parsed.after_all();
            if !late.is_empty() {
                self.problems.push(Problem::AfterAll {
                    domain: domain.clone(),
                    terms: late.iter().map(|t| t.text.clone()).collect(),
                });
            }
            let mut node = RecordNode {
                domain: domain.clone(),
                dnssec,
                record: text.clone(),
                lookups: 0,
                terms: Vec::new(),
                effective_all: parsed.all().map(|q| (q, domain.clone())),
            };
            path.push(name.clone());
            for term in &parsed.terms {
                if let Some(term) = self.term(&name, term, &path).await {
                    node.terms.push(term);
                }
            }
            // RFC 7208 §6.1: redirect is evaluated after every mechanism,
            // and not at all when the record has `all`.
            if let Some((redirect, spec)) = parsed.redirect() {
                if parsed.all().is_some() {
                    self.problems.push(Problem::RedirectIgnored {
                        term: redirect.text.clone(),
                        domain: domain.clone(),
                    });
                    let mut ignored = TermNode::counted(&redirect.text);
                    ignored.count = 0;
                    ignored.lookups = 0;
                    ignored.note = Some("ignored: the record has all".into());
                    node.terms.push(ignored);
                } else {
                    let followed = self.follow(&name, &redirect.text, spec, &path).await;
                    node.effective_all = followed
                        .record
                        .as_ref()
                        .and_then(|r| r.effective_all.clone());
                    node.terms.push(followed);
                }
            }
            node.lookups = node.terms.iter().map(|t| t.lookups).sum();
            node
        })
    }

    /// A term's node when it costs lookups.
    async fn term(&mut self, current: &Name, term: &Term, path: &[Name]) -> Option<TermNode> {
        let TermKind::Directive { mechanism, .. } = &term.kind else {
            return None;
        };
        let domain = display(current);
        Some(match mechanism {
            Mechanism::Include(spec) => self.follow(current, &term.text, spec, path).await,
            Mechanism::A(spec) => {
                let mut node = TermNode::counted(&term.text);
                if let Some(target) = self.target(current, spec.as_deref(), &term.text, &mut node) {
                    self.addresses(&domain, &term.text, &target, &mut node)
                        .await;
                }
                node
            }
            Mechanism::Mx(spec) => {
                let mut node = TermNode::counted(&term.text);
                if let Some(target) = self.target(current, spec.as_deref(), &term.text, &mut node) {
                    self.mx(&domain, &term.text, &target, &mut node).await;
                }
                node
            }
            Mechanism::Exists(spec) => {
                let mut node = TermNode::counted(&term.text);
                if let Some(target) = self.target(current, Some(spec), &term.text, &mut node) {
                    self.exists(&domain, &term.text, &target, &mut node).await;
                }
                node
            }
            Mechanism::Ptr(_) => {
                self.problems.push(Problem::Ptr {
                    term: term.text.clone(),
                    domain,
                });
                let mut node = TermNode::counted(&term.text);
                node.note = Some("deprecated; depends on the connecting address".into());
                node
            }
            Mechanism::All | Mechanism::Ip4(_) | Mechanism::Ip6(_) => return None,
        })
    }

    /// The name a term looks up: its domain-spec, or the current domain.
    /// `None` when it depends on the message or is not a valid name.
    fn target(
        &mut self,
        current: &Name,
        spec: Option<&str>,
        term: &str,
        node: &mut TermNode,
    ) -> Option<Name> {
        let Some(spec) = spec else {
            return Some(current.clone());
        };
        let domain = display(current);
        if depends_on_message(spec) {
            self.problems.push(Problem::Macro {
                term: term.to_owned(),
                domain,
            });
            node.note = Some("uses a macro: depends on the message".into());
            return None;
        }
        match Resolver::parse_name(spec) {
            Ok(name) => Some(name),
            Err(e) => {
                self.problems.push(Problem::LookupFailed {
                    term: term.to_owned(),
                    domain,
                    reason: e.to_string(),
                });
                node.note = Some("not a valid domain name".into());
                None
            }
        }
    }

    fn void(&mut self, domain: &str, term: &str, what: String, node: &mut TermNode) {
        self.void.push(format!("{term} in {domain}: {what}"));
        node.void.push(what);
    }

    fn failed(&mut self, domain: &str, term: &str, reason: String, node: &mut TermNode) {
        node.note = Some(format!("lookup failed: {reason}"));
        self.problems.push(Problem::LookupFailed {
            term: term.to_owned(),
            domain: domain.to_owned(),
            reason,
        });
    }

    /// `include:` or `redirect=`: fetch the target's record and walk it.
    async fn follow(&mut self, current: &Name, term: &str, spec: &str, path: &[Name]) -> TermNode {
        let mut node = TermNode::counted(term);
        let domain = display(current);
        let Some(target) = self.target(current, Some(spec), term, &mut node) else {
            return node;
        };
        let shown = display(&target);
        if path.iter().any(|seen| display(seen) == shown) {
            let mut domains: Vec<String> = path.iter().map(display).collect();
            domains.push(shown.clone());
            node.note = Some(format!("loop back to {shown}"));
            self.problems.push(Problem::Loop {
                term: term.to_owned(),
                domains,
            });
            return node;
        }
        if self.records >= MAX_RECORDS {
            node.note = Some(format!("not followed: over {MAX_RECORDS} records"));
            self.problems.push(Problem::Truncated {
                term: term.to_owned(),
                domain,
            });
            return node;
        }
        self.records += 1;
        let answer = match txt::fetch(self.resolver, &target).await {
            Ok(answer) => answer,
            Err(failure) => {
                self.failed(&domain, term, failure.to_string(), &mut node);
                return node;
            }
        };
        let records = answer.select(is_spf);
        match records.as_slice() {
            [one] => {
                let child = self
                    .record(target, answer.status, (*one).to_owned(), path.to_vec())
                    .await;
                node.lookups += child.lookups;
                node.record = Some(child);
            }
            [] => {
                if answer.absence.is_some() {
                    self.void(&domain, term, absence(answer.absence).into(), &mut node);
                }
                node.note = Some(format!("{shown} has no SPF record"));
                self.problems.push(Problem::NoRecord {
                    term: term.to_owned(),
                    domain,
                    seen: answer.describe(),
                });
            }
            many => {
                node.note = Some(format!("{shown} has {} SPF records", many.len()));
                self.problems.push(Problem::Multiple {
                    term: term.to_owned(),
                    domain,
                    seen: answer.describe_records(many),
                });
            }
        }
        node
    }

    /// `a`: the target's addresses; none is a void lookup.
    async fn addresses(&mut self, domain: &str, term: &str, target: &Name, node: &mut TermNode) {
        match self.resolver.addresses(target).await {
            Err(e) => self.failed(domain, term, e.to_string(), node),
            Ok(found) if found.status == DnssecStatus::Bogus => self.failed(
                domain,
                term,
                format!("{} A/AAAA: bogus", display(target)),
                node,
            ),
            Ok(found) if found.records.is_empty() => {
                let what = format!(
                    "{} has no address ({})",
                    display(target),
                    absence(found.absence)
                );
                self.void(domain, term, what, node);
            }
            Ok(_) => {}
        }
    }

    /// `mx`: the target's MX hosts (no implicit MX, RFC 7208 §5.4), at most
    /// 10, and each host's addresses.
    async fn mx(&mut self, domain: &str, term: &str, target: &Name, node: &mut TermNode) {
        let set = match self.resolver.mx(target).await {
            Err(e) => return self.failed(domain, term, e.to_string(), node),
            Ok(set) if set.status == DnssecStatus::Bogus => {
                let reason = format!("{} MX: bogus", display(target));
                return self.failed(domain, term, reason, node);
            }
            Ok(set) => set,
        };
        let shown = display(target);
        match set.kind {
            MxKind::NoSuchDomain => {
                return self.void(domain, term, format!("{shown} MX: NXDOMAIN"), node);
            }
            MxKind::Implicit => {
                return self.void(domain, term, format!("{shown} MX: NODATA"), node);
            }
            _ => {}
        }
        node.mx_hosts = Some(set.hosts.len());
        if set.kind == MxKind::NullMx {
            node.note = Some("null MX".into());
        }
        if set.hosts.len() > MX_HOST_LIMIT {
            self.problems.push(Problem::MxTooManyHosts {
                term: term.to_owned(),
                domain: domain.to_owned(),
                hosts: set.hosts.len(),
            });
        }
        for host in set.hosts.iter().take(MX_HOST_LIMIT) {
            self.addresses(domain, term, &host.name, node).await;
        }
    }

    /// `exists:` with a literal name: an A lookup.
    async fn exists(&mut self, domain: &str, term: &str, target: &Name, node: &mut TermNode) {
        match self.resolver.lookup(target, RecordType::A).await {
            Err(e) => self.failed(domain, term, e.to_string(), node),
            Ok(found) if found.status == DnssecStatus::Bogus => {
                self.failed(domain, term, format!("{} A: bogus", display(target)), node)
            }
            Ok(found) if found.records.is_empty() => {
                let what = format!("{} A: {}", display(target), absence(found.absence));
                self.void(domain, term, what, node);
            }
            Ok(_) => {}
        }
    }
}
