//! The DNSSEC table: the status of each answer delivery rests on, and the
//! cause of a bogus one.

use crate::finding::{Area, Severity};
use crate::text::Text;

const fn row(
    id: &'static str,
    severity: Severity,
    title: &'static str,
    remedy: &'static str,
) -> Text {
    Text::new(Area::Dnssec, id, severity, title, remedy)
}

use Severity::{Error, Pass, Warning};

pub(crate) const LOCAL_RESOLVER: Text = row(
    "dnssec-local-resolver",
    Error,
    "This system's DNS resolver cannot serve DNSSEC: {domain} was not checked",
    "This is a problem of the machine running the check, not of {domain}: point Sealane at a \
     resolver that answers and passes DNSSEC records on (DO and CD bits, RRSIGs), or correct \
     its trust anchors, then check again.",
);
pub(crate) const SECURE: Text = row("dnssec-secure", Pass, "DNSSEC-signed and valid", "");
pub(crate) const INSECURE: Text = row(
    "dnssec-insecure",
    Warning,
    "Not DNSSEC-signed",
    "Sign the zone and publish its DS in the parent: without DNSSEC, senders cannot use \
     DANE and an attacker on the path can redirect mail.",
);
pub(crate) const BOGUS: Text = row(
    "dnssec-bogus",
    Error,
    "DNSSEC validation fails",
    "Fix the cause named in the DNSSEC findings: validating senders defer all mail to \
     hosts whose answers are bogus (4.7.324).",
);
pub(crate) const INDETERMINATE: Text = row(
    "dnssec-indeterminate",
    Error,
    "DNSSEC validation could not conclude",
    "Make every authoritative server answer with its signatures and keys: senders defer \
     mail while validation cannot conclude.",
);
pub(crate) const RRSIG_EXPIRED: Text = row(
    "dnssec-rrsig-expired",
    Error,
    "An RRSIG has expired",
    "Re-sign the zone and make sure re-signing runs automatically well before signatures \
     expire (check the signer's cron job or the DNS provider's automatic signing).",
);
pub(crate) const RRSIG_NOT_YET_VALID: Text = row(
    "dnssec-rrsig-not-yet-valid",
    Error,
    "An RRSIG is not valid yet",
    "Check the signer's clock and re-sign: its signatures start in the future.",
);
pub(crate) const RRSIG_MISSING: Text = row(
    "dnssec-rrsig-missing",
    Error,
    "An RRset has no RRSIG",
    "Re-sign the zone and make sure every authoritative server serves the signed zone \
     (a secondary serving an unsigned copy is a common cause).",
);
pub(crate) const DS_MISMATCH: Text = row(
    "dnssec-ds-mismatch",
    Error,
    "The DS in the parent matches no DNSKEY",
    "Publish in the parent (at the registrar) a DS for the zone's current key-signing key, \
     or put the key the DS names back into the DNSKEY RRset; after a key rollover, update \
     the DS before removing the old key.",
);
pub(crate) const CAUSE_UNKNOWN: Text = row(
    "dnssec-cause-unknown",
    Error,
    "DNSSEC validation fails for a reason not identified",
    "Check the zone with a DNSSEC debugger (signatures, algorithms, DS and DNSKEY): the \
     signatures are present and in date, and the DS matches a key.",
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_well_formed() {
        crate::text::tests::check_table(
            &[
                LOCAL_RESOLVER,
                SECURE,
                INSECURE,
                BOGUS,
                INDETERMINATE,
                RRSIG_EXPIRED,
                RRSIG_NOT_YET_VALID,
                RRSIG_MISSING,
                DS_MISMATCH,
                CAUSE_UNKNOWN,
            ],
            "dnssec-",
        );
    }
}
