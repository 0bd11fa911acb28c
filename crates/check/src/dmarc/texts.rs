//! The DMARC table: every finding the DMARC analyzer reports, with its
//! severity, title and remedy.

use crate::finding::{Area, Severity};
use crate::text::Text;

use Severity::{Error, Info, Pass, Warning};

const fn row(
    id: &'static str,
    severity: Severity,
    title: &'static str,
    remedy: &'static str,
) -> Text {
    Text::new(Area::Dmarc, id, severity, title, remedy)
}

pub(crate) const LOOKUP_FAILED: Text = row(
    "dmarc-lookup-failed",
    Error,
    "The DMARC record could not be looked up",
    "Make every authoritative server of _dmarc.{domain} answer TXT queries and, if the zone \
     is signed, keep its signatures valid: until then receivers cannot apply DMARC.",
);
pub(crate) const MISSING: Text = row(
    "dmarc-missing",
    Warning,
    "No DMARC record",
    "Publish a TXT record at _dmarc.{domain}: \"v=DMARC1; p=none; \
     rua=mailto:dmarc-reports@{domain}\"; read the reports, then move to p=quarantine and \
     p=reject.",
);
pub(crate) const MULTIPLE: Text = row(
    "dmarc-multiple-records",
    Error,
    "More than one DMARC record",
    "Keep exactly one v=DMARC1 record at _dmarc.{domain}: with more than one, receivers apply \
     no DMARC (RFC 7489 §6.6.3).",
);
pub(crate) const SYNTAX: Text = row(
    "dmarc-syntax",
    Error,
    "The DMARC record is invalid",
    "Fix the record at _dmarc.{domain} as the evidence says: receivers ignore an invalid \
     record (RFC 7489 §6.6.3). It must start \"v=DMARC1; p=\".",
);
pub(crate) const RECORD: Text = row("dmarc-record", Pass, "One DMARC record", "");
pub(crate) const BAD_TAG: Text = row(
    "dmarc-bad-tag",
    Error,
    "A DMARC tag has an invalid value",
    "Correct the value: receivers discard the tag and apply its default (RFC 7489 §6.3), or \
     discard the whole record, so the setting you wrote is not applied.",
);
pub(crate) const UNRELATED: Text = row(
    "dmarc-unrelated-txt",
    Error,
    "The TXT record at _dmarc is not a DMARC record",
    "Replace it by a DMARC record, e.g. \"v=DMARC1; p=none; \
     rua=mailto:dmarc-reports@{domain}\": receivers discard TXT records at _dmarc.{domain} \
     that do not begin with v=DMARC1 (RFC 7489 §6.6.3), so no DMARC applies. An SPF record \
     belongs at {domain} itself.",
);
pub(crate) const EXTRA_TXT: Text = row(
    "dmarc-extra-txt",
    Warning,
    "Other TXT records beside the DMARC record",
    "Remove the other TXT records at _dmarc.{domain}: receivers that follow RFC 7489 §6.6.3 \
     discard them, but a receiver that takes the first TXT record misreads the policy.",
);
pub(crate) const POLICY_NOT_SECOND: Text = row(
    "dmarc-policy-not-second",
    Warning,
    "p= is not right after v=DMARC1",
    "Move p= right after v=DMARC1 (\"v=DMARC1; p=...; ...\", RFC 7489 §6.4): receivers \
     find it anyway, but strict parsers may not.",
);
pub(crate) const POLICY_MISSING: Text = row(
    "dmarc-policy-missing",
    Warning,
    "No p= tag: receivers apply p=none",
    "Add p= right after v=DMARC1: with a valid rua= and no p=, receivers act as if p=none \
     were given (RFC 7489 §6.6.3).",
);
pub(crate) const TOO_MANY_DESTINATIONS: Text = row(
    "dmarc-too-many-destinations",
    Warning,
    "More than two report destinations in one tag",
    "Keep at most two destinations in rua= (and in ruf=): receivers need to send to only \
     two and may ignore the others (RFC 7489 §6.2).",
);
pub(crate) const SIZE_LIMIT: Text = row(
    "dmarc-size-limit",
    Warning,
    "A report destination has the obsolete !size limit",
    "Remove the !size suffix from the URI: DMARCbis dropped it, receivers rarely honour it, \
     and one that no longer knows it can take the URI as invalid.",
);
pub(crate) const UNKNOWN_TAG: Text = row(
    "dmarc-unknown-tag",
    Info,
    "Unknown DMARC tags are ignored",
    "",
);
pub(crate) const POLICY_NONE: Text = row(
    "dmarc-policy-none",
    Warning,
    "DMARC policy is none: monitoring only",
    "Once the aggregate reports show every legitimate source passing SPF or DKIM in \
     alignment, move to p=quarantine, then p=reject: with p=none, spoofed mail is delivered.",
);
pub(crate) const POLICY: Text = row(
    "dmarc-policy",
    Pass,
    "DMARC asks receivers to act on failing mail",
    "",
);
pub(crate) const SUBDOMAIN_WEAKER: Text = row(
    "dmarc-subdomain-policy-weaker",
    Warning,
    "Subdomains get a weaker DMARC policy",
    "Set sp= to the value of p= (or remove it) unless subdomains really need a weaker policy: \
     otherwise mail from any made-up subdomain gets through.",
);
pub(crate) const PCT: Text = row(
    "dmarc-pct",
    Warning,
    "The DMARC policy applies to only part of failing mail",
    "Raise pct to 100 (or remove it) once the reports show no legitimate mail fails.",
);
pub(crate) const NO_RUA: Text = row(
    "dmarc-no-rua",
    Warning,
    "No DMARC aggregate reports",
    "Add rua=mailto:dmarc-reports@{domain} (or a reporting service's address) to learn who \
     sends mail as {domain} and whether it passes.",
);
pub(crate) const URI_UNSUPPORTED: Text = row(
    "dmarc-uri-unsupported",
    Warning,
    "A DMARC report destination is not a mailto: URI",
    "Use mailto: URIs: receivers are required to support only mailto (RFC 7489 §6.2).",
);
pub(crate) const EXTERNAL: Text = row(
    "dmarc-external-destination",
    Info,
    "Reports go to another domain, which accepts them",
    "",
);
pub(crate) const EXTERNAL_UNAUTHORIZED: Text = row(
    "dmarc-external-destination-unauthorized",
    Warning,
    "A report destination does not accept reports for this domain",
    "Ask the destination's owner to publish TXT \"v=DMARC1\" at the name in the evidence \
     (<domain>._report._dmarc.<destination>, RFC 7489 §7.1), or use an address in {domain}: \
     until then receivers drop the reports.",
);
pub(crate) const RUF: Text = row("dmarc-ruf", Info, "Failure reports requested (ruf)", "");
pub(crate) const ALIGNMENT: Text = row("dmarc-alignment", Info, "DMARC alignment modes", "");

/// Every row, for the table's test.
#[cfg(test)]
pub(crate) const ALL: &[Text] = &[
    LOOKUP_FAILED,
    MISSING,
    MULTIPLE,
    SYNTAX,
    RECORD,
    BAD_TAG,
    UNRELATED,
    EXTRA_TXT,
    POLICY_NOT_SECOND,
    POLICY_MISSING,
    TOO_MANY_DESTINATIONS,
    SIZE_LIMIT,
    UNKNOWN_TAG,
    POLICY_NONE,
    POLICY,
    SUBDOMAIN_WEAKER,
    PCT,
    NO_RUA,
    URI_UNSUPPORTED,
    EXTERNAL,
    EXTERNAL_UNAUTHORIZED,
    RUF,
    ALIGNMENT,
];

#[cfg(test)]
mod tests {
    #[test]
    fn the_table_is_well_formed() {
        crate::text::tests::check_table(super::ALL, "dmarc-");
    }
}
