//! The SPF table: every finding the SPF analyzer reports, with its severity,
//! title and remedy.

use crate::finding::{Area, Severity};
use crate::text::Text;

const fn row(
    id: &'static str,
    severity: Severity,
    title: &'static str,
    remedy: &'static str,
) -> Text {
    Text::new(Area::Spf, id, severity, title, remedy)
}

use Severity::{Error, Info, Pass, Warning};

pub(crate) const LOOKUP_FAILED: Text = row(
    "spf-lookup-failed",
    Error,
    "The SPF record could not be looked up",
    "Make every authoritative server of {domain} answer TXT queries and, if the zone is \
     signed, keep its signatures valid: until then receivers get a temperror for SPF.",
);
pub(crate) const MISSING: Text = row(
    "spf-missing",
    Warning,
    "No SPF record",
    "Publish one TXT record at {domain} listing what sends its mail, for example \
     \"v=spf1 mx -all\"; if the domain sends no mail, publish \"v=spf1 -all\".",
);
pub(crate) const MULTIPLE: Text = row(
    "spf-multiple-records",
    Error,
    "More than one SPF record",
    "Merge them into one TXT record starting with v=spf1 at {domain}: with more than one, \
     receivers return permerror (RFC 7208 §4.5).",
);
pub(crate) const RECORD: Text = row("spf-record", Pass, "One SPF record", "");
pub(crate) const SYNTAX: Text = row(
    "spf-syntax",
    Error,
    "SPF syntax error",
    "Correct or remove the term named in the evidence: one bad term makes receivers return \
     permerror for the whole record (RFC 7208 §4.6).",
);
pub(crate) const TOO_MANY_LOOKUPS: Text = row(
    "spf-too-many-lookups",
    Error,
    "SPF needs more than 10 DNS lookups",
    "Bring the count to 10 or fewer (RFC 7208 §4.6.4; over it receivers return permerror): \
     drop includes of services no longer used, replace a and mx terms by ip4/ip6 ranges, \
     or ask the provider behind the include that crosses the limit for a smaller record.",
);
pub(crate) const LOOKUP_COUNT: Text = row(
    "spf-lookup-count",
    Pass,
    "SPF DNS lookups within the limit of 10",
    "",
);
pub(crate) const TOO_MANY_VOID: Text = row(
    "spf-too-many-void-lookups",
    Error,
    "More than 2 SPF lookups find nothing",
    "Remove or fix the terms whose names do not exist or have no records: over 2 such void \
     lookups, receivers return permerror (RFC 7208 §4.6.4).",
);
pub(crate) const VOID: Text = row(
    "spf-void-lookup",
    Warning,
    "An SPF lookup finds nothing",
    "Remove or fix the term: it costs a lookup and matches nothing, and more than 2 such \
     lookups make the record fail (RFC 7208 §4.6.4).",
);
pub(crate) const LOOP: Text = row(
    "spf-include-loop",
    Error,
    "SPF includes loop",
    "Remove the include or redirect that leads back to a record already being evaluated: \
     receivers return permerror.",
);
pub(crate) const INCLUDE_MISSING: Text = row(
    "spf-include-missing",
    Error,
    "An include or redirect target has no SPF record",
    "Fix or remove the term: when its target has no SPF record, receivers return permerror \
     (RFC 7208 §5.2, §6.1).",
);
pub(crate) const INCLUDE_MULTIPLE: Text = row(
    "spf-include-multiple-records",
    Error,
    "An include or redirect target has more than one SPF record",
    "Ask the target's owner to merge its records, or remove the term: receivers return \
     permerror (RFC 7208 §4.5).",
);
pub(crate) const TERM_LOOKUP_FAILED: Text = row(
    "spf-term-lookup-failed",
    Error,
    "A lookup for an SPF term failed",
    "Fix the DNS of the name in the evidence, or remove the term: while it fails, receivers \
     get a temperror.",
);
pub(crate) const MX_TOO_MANY_HOSTS: Text = row(
    "spf-mx-too-many-hosts",
    Error,
    "An mx term has more than 10 MX hosts",
    "Replace the mx term by ip4/ip6 ranges or a terms: over 10 MX hosts, receivers return \
     permerror (RFC 7208 §4.6.4).",
);
pub(crate) const PTR: Text = row(
    "spf-ptr",
    Warning,
    "SPF uses the ptr mechanism",
    "Replace ptr by ip4/ip6 ranges or a terms: ptr is slow and unreliable, SHOULD NOT be \
     published, and some receivers skip it (RFC 7208 §5.5).",
);
pub(crate) const MACRO: Text = row("spf-macro", Info, "An SPF term depends on the message", "");
pub(crate) const REDIRECT_IGNORED: Text = row(
    "spf-redirect-ignored",
    Warning,
    "redirect= is never used: the record has all",
    "Remove the all mechanism or the redirect: redirect applies only when the record has no \
     all (RFC 7208 §6.1).",
);
pub(crate) const AFTER_ALL: Text = row(
    "spf-terms-after-all",
    Warning,
    "SPF mechanisms after all are never evaluated",
    "Move the mechanisms named in the evidence before all, or remove them: receivers stop \
     at all and never test what follows (RFC 7208 §5.1).",
);
pub(crate) const SENDER_ID: Text = row(
    "spf-sender-id",
    Warning,
    "An obsolete Sender ID record (spf2.0/) is published",
    "Remove the spf2.0/ record: Sender ID (RFC 4406) was an experiment the IETF concluded \
     (RFC 6686); no receiver needs it, SPF uses only the v=spf1 record (RFC 7208 §4.5), and \
     it makes the TXT answer at {domain} larger.",
);
pub(crate) const TOO_LARGE: Text = row(
    "spf-record-too-large",
    Warning,
    "The TXT answer holding SPF exceeds 512 octets",
    "Shorten the SPF record (replace long ip4/ip6 lists by an include of a subdomain) or \
     remove other TXT records at {domain}: the answer should fit in 512 octets (RFC 7208 \
     §3.4); a larger one is truncated over UDP and needs TCP, which some resolvers and \
     firewalls fail, giving a temperror.",
);
pub(crate) const TRUNCATED: Text = row(
    "spf-tree-truncated",
    Info,
    "The SPF tree was not followed to its end",
    "",
);
pub(crate) const ALL_PASS: Text = row(
    "spf-all-pass",
    Error,
    "SPF authorizes every sender (+all)",
    "Replace +all (or a bare all) by ~all or -all: +all lets anyone send as {domain}.",
);
pub(crate) const ALL_NEUTRAL: Text = row(
    "spf-all-neutral",
    Warning,
    "SPF ends with ?all",
    "Use ~all, then -all once every sender is listed: ?all says nothing about other senders.",
);
pub(crate) const NO_ALL: Text = row(
    "spf-no-all",
    Warning,
    "SPF has neither all nor redirect",
    "End the record with ~all or -all: without one, any other sender gets the neutral \
     default (RFC 7208 §4.7).",
);
pub(crate) const ALL_STRICT: Text =
    row("spf-all", Pass, "SPF fails or soft-fails other senders", "");

/// Every row, for the table's test.
#[cfg(test)]
pub(crate) const ALL: &[Text] = &[
    LOOKUP_FAILED,
    MISSING,
    MULTIPLE,
    RECORD,
    SYNTAX,
    TOO_MANY_LOOKUPS,
    LOOKUP_COUNT,
    TOO_MANY_VOID,
    VOID,
    LOOP,
    INCLUDE_MISSING,
    INCLUDE_MULTIPLE,
    TERM_LOOKUP_FAILED,
    MX_TOO_MANY_HOSTS,
    PTR,
    MACRO,
    REDIRECT_IGNORED,
    AFTER_ALL,
    SENDER_ID,
    TOO_LARGE,
    TRUNCATED,
    ALL_PASS,
    ALL_NEUTRAL,
    NO_ALL,
    ALL_STRICT,
];

#[cfg(test)]
mod tests {
    #[test]
    fn the_table_is_well_formed() {
        crate::text::tests::check_table(super::ALL, "spf-");
    }
}
