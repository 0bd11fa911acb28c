//! The tree of SPF terms that cost DNS lookups (RFC 7208 §4.6.4), built by
//! following `include:` and `redirect=` from the domain's record.
//!
//! Receivers stop at the first match, so a record may pass with fewer
//! lookups for some senders; the checker counts every term, as a sender the
//! record does not list would make them all count.

use serde::Serialize;

use dns::DnssecStatus;

use super::record::Qualifier;

/// At most this many terms that cause DNS queries (RFC 7208 §4.6.4).
pub const LOOKUP_LIMIT: usize = 10;
/// At most this many lookups that find nothing (RFC 7208 §4.6.4, "SHOULD
/// limit void lookups to two").
pub const VOID_LIMIT: usize = 2;
/// At most this many MX hosts (so address lookups) per `mx` term (RFC 7208
/// §4.6.4).
pub const MX_HOST_LIMIT: usize = 10;

/// The lookup tree of one domain's SPF record.
#[derive(Clone, Debug, Serialize)]
pub struct SpfTree {
    /// The domain's own record.
    pub root: RecordNode,
    /// Terms that cause DNS queries, in the whole tree.
    pub lookups: usize,
    /// The limit: [`LOOKUP_LIMIT`].
    pub limit: usize,
    /// The lookups that found nothing (NXDOMAIN or NODATA), described.
    pub void_lookups: Vec<String>,
    /// The void limit: [`VOID_LIMIT`].
    pub void_limit: usize,
    /// The term whose lookup is one over the limit, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub over_limit: Option<Crossing>,
}

/// One SPF record in the tree.
#[derive(Clone, Debug, Serialize)]
pub struct RecordNode {
    /// The domain the record is published at.
    pub domain: String,
    /// The DNSSEC status of its TXT answer.
    pub dnssec: DnssecStatus,
    /// The record as published.
    pub record: String,
    /// Terms causing DNS queries in this record and below.
    pub lookups: usize,
    /// The terms causing DNS queries, in evaluation order (mechanisms, then
    /// `redirect=`, RFC 7208 §6.1).
    pub terms: Vec<TermNode>,
    /// The `all` that decides the record's default, and the domain whose
    /// record holds it (its own, or a `redirect=` target's).
    #[serde(skip)]
    pub(crate) effective_all: Option<(Qualifier, String)>,
}

/// One term that costs DNS lookups.
#[derive(Clone, Debug, Serialize)]
pub struct TermNode {
    /// The term as written.
    pub term: String,
    /// What the term itself counts: 1, or 0 for a `redirect=` that is
    /// never evaluated.
    pub count: usize,
    /// `count` plus the lookups of the record it leads to.
    pub lookups: usize,
    /// For `mx`: how many MX hosts, each an address lookup.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mx_hosts: Option<usize>,
    /// The lookups of this term that found nothing.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub void: Vec<String>,
    /// Why the term was not followed, or what else is worth knowing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// For `include:` and `redirect=`: the record it leads to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<RecordNode>,
}

impl TermNode {
    /// A term that counts one lookup.
    pub(crate) fn counted(term: &str) -> Self {
        Self {
            term: term.to_owned(),
            count: 1,
            lookups: 1,
            mx_hosts: None,
            void: Vec::new(),
            note: None,
            record: None,
        }
    }
}

/// Where the count goes over the limit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Crossing {
    /// The term in the domain's own record under which the limit is
    /// crossed: the include (or term) that pushes it over.
    pub top: String,
    /// The term whose lookup is one over the limit.
    pub term: String,
    /// The domain whose record holds that term.
    pub domain: String,
    /// The terms from the domain's own record down to it.
    pub path: Vec<String>,
}

impl SpfTree {
    /// A tree over `root`, with the crossing computed.
    pub(crate) fn new(root: RecordNode, void_lookups: Vec<String>) -> Self {
        let over_limit = crossing(&root, LOOKUP_LIMIT);
        Self {
            lookups: root.lookups,
            root,
            limit: LOOKUP_LIMIT,
            void_lookups,
            void_limit: VOID_LIMIT,
            over_limit,
        }
    }

    /// The tree in a compact text form, one term per line, indented by
    /// depth:
    ///
    /// ```text
    /// example.test (DNSSEC: secure): 3 lookups
    ///   include:_spf.example.net +1 -> _spf.example.net (DNSSEC: insecure): 2 lookups
    ///     a +1
    ///     mx +1 (2 MX hosts)
    /// ```
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str(&record_head(&self.root));
        render_terms(&self.root, 1, &mut out);
        out
    }
}

fn record_head(node: &RecordNode) -> String {
    format!(
        "{} (DNSSEC: {}): {} lookup{}",
        node.domain,
        node.dnssec,
        node.lookups,
        if node.lookups == 1 { "" } else { "s" }
    )
}

fn render_terms(node: &RecordNode, depth: usize, out: &mut String) {
    for term in &node.terms {
        out.push('\n');
        out.push_str(&"  ".repeat(depth));
        out.push_str(&format!("{} +{}", term.term, term.count));
        if let Some(hosts) = term.mx_hosts {
            out.push_str(&format!(
                " ({hosts} MX host{})",
                if hosts == 1 { "" } else { "s" }
            ));
        }
        if !term.void.is_empty() {
            out.push_str(&format!(" void: {}", term.void.join("; ")));
        }
        if let Some(note) = &term.note {
            out.push_str(&format!(" [{note}]"));
        }
        if let Some(child) = &term.record {
            out.push_str(" -> ");
            out.push_str(&record_head(child));
            render_terms(child, depth + 1, out);
        }
    }
}

/// The term whose lookup is number `limit + 1` in evaluation order, with
/// the path to it.
fn crossing(root: &RecordNode, limit: usize) -> Option<Crossing> {
    fn visit(
        node: &RecordNode,
        limit: usize,
        seen: &mut usize,
        path: &mut Vec<String>,
    ) -> Option<Crossing> {
        for term in &node.terms {
            path.push(term.term.clone());
            *seen += term.count;
            if term.count > 0 && *seen == limit + 1 {
                return Some(Crossing {
                    top: path[0].clone(),
                    term: term.term.clone(),
                    domain: node.domain.clone(),
                    path: path.clone(),
                });
            }
            if let Some(child) = &term.record
                && let Some(found) = visit(child, limit, seen, path)
            {
                return Some(found);
            }
            path.pop();
        }
        None
    }
    visit(root, limit, &mut 0, &mut Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(domain: &str, terms: Vec<TermNode>) -> RecordNode {
        RecordNode {
            domain: domain.into(),
            dnssec: DnssecStatus::Secure,
            record: String::new(),
            lookups: terms.iter().map(|t| t.lookups).sum(),
            terms,
            effective_all: None,
        }
    }

    fn leaf(term: &str) -> TermNode {
        TermNode::counted(term)
    }

    fn include(term: &str, child: RecordNode) -> TermNode {
        let mut node = TermNode::counted(term);
        node.lookups += child.lookups;
        node.record = Some(child);
        node
    }

    #[test]
    fn crossing_names_the_top_level_include_and_the_eleventh_term() {
        // 1 a, 2 include:one, 3-6 in one, 7 include:two, 8 include:deep,
        // 9-11 in deep: the 11th is deep's third term.
        let one = record(
            "one.test",
            (0..4).map(|i| leaf(&format!("a:{i}.one.test"))).collect(),
        );
        let deep = record(
            "deep.test",
            vec![leaf("a"), leaf("mx"), leaf("exists:x.deep.test")],
        );
        let two = record("two.test", vec![include("include:deep.test", deep)]);
        let root = record(
            "example.test",
            vec![
                leaf("a"),
                include("include:one.test", one),
                include("include:two.test", two),
            ],
        );
        let tree = SpfTree::new(root, Vec::new());
        assert_eq!(tree.lookups, 11);
        let crossing = tree.over_limit.expect("over the limit");
        assert_eq!(crossing.top, "include:two.test");
        assert_eq!(crossing.term, "exists:x.deep.test");
        assert_eq!(crossing.domain, "deep.test");
        assert_eq!(
            crossing.path,
            [
                "include:two.test",
                "include:deep.test",
                "exists:x.deep.test"
            ]
        );
    }

    #[test]
    fn no_crossing_at_ten() {
        let root = record(
            "example.test",
            (0..10).map(|i| leaf(&format!("a:{i}.x.test"))).collect(),
        );
        let tree = SpfTree::new(root, Vec::new());
        assert_eq!(tree.lookups, 10);
        assert_eq!(tree.over_limit, None);
    }

    #[test]
    fn render_indents_children() {
        let child = record("_spf.example.net", vec![leaf("a")]);
        let mut mx = leaf("mx");
        mx.mx_hosts = Some(2);
        let root = record(
            "example.test",
            vec![include("include:_spf.example.net", child), mx],
        );
        assert_eq!(
            SpfTree::new(root, Vec::new()).render(),
            "example.test (DNSSEC: secure): 3 lookups\n  \
             include:_spf.example.net +1 -> _spf.example.net (DNSSEC: secure): 1 lookup\n    \
             a +1\n  \
             mx +1 (2 MX hosts)"
        );
    }
}
