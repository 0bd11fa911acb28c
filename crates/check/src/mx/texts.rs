//! The MX table: every finding the MX checks report.

use crate::finding::{Area, Severity};
use crate::text::Text;

const fn row(
    id: &'static str,
    severity: Severity,
    title: &'static str,
    remedy: &'static str,
) -> Text {
    Text::new(Area::Mx, id, severity, title, remedy)
}

use Severity::{Error, Info, Pass, Warning};

pub(crate) const LOOKUP_FAILED: Text = row(
    "mx-lookup-failed",
    Error,
    "The MX records could not be looked up",
    "Make every authoritative server of {domain} answer MX queries (and keep its DNSSEC \
     signatures valid): until then senders defer mail.",
);
pub(crate) const NO_SUCH_DOMAIN: Text = row(
    "mx-no-such-domain",
    Error,
    "The domain does not exist",
    "Check the spelling of {domain}, or register and delegate it: mail to it bounces (5.1.2).",
);
pub(crate) const NULL_MX: Text = row("mx-null", Info, "Null MX: the domain accepts no mail", "");
pub(crate) const IMPLICIT: Text = row(
    "mx-implicit",
    Warning,
    "No MX records: mail goes to the domain's own address",
    "Publish MX records for {domain} naming its mail servers; if it accepts no mail, \
     publish a null MX (\"MX 0 .\", RFC 7505).",
);
pub(crate) const CNAME: Text = row(
    "mx-cname",
    Warning,
    "An MX target is an alias (CNAME)",
    "Point the MX record at the canonical host name the CNAME leads to: senders follow the \
     alias today, but an MX must name a host with address records, not an alias (RFC 2181 \
     §10.3, RFC 5321 §5.1), and a strict sender may refuse it.",
);
pub(crate) const IP_LITERAL: Text = row(
    "mx-ip-literal",
    Error,
    "An MX target is an IP address",
    "Give the mail server a host name with A/AAAA records and name that in the MX record: \
     an MX target must be a domain name, and senders look it up as one (RFC 5321 §5.1).",
);
pub(crate) const NO_ADDRESSES: Text = row(
    "mx-no-addresses",
    Error,
    "An MX host has no addresses",
    "Publish A and/or AAAA records for the MX host, or remove it from the MX set: senders \
     cannot connect to it.",
);
pub(crate) const HOSTS: Text = row("mx-hosts", Pass, "MX hosts with addresses", "");
pub(crate) const HOST_FAILED: Text = row(
    "mx-host-failed",
    Warning,
    "An MX host failed the delivery probe",
    "Fix the host named in the evidence: senders skip it and try the next one, and defer \
     mail when none is left.",
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_well_formed() {
        crate::text::tests::check_table(
            &[
                LOOKUP_FAILED,
                NO_SUCH_DOMAIN,
                NULL_MX,
                IMPLICIT,
                CNAME,
                IP_LITERAL,
                NO_ADDRESSES,
                HOSTS,
                HOST_FAILED,
            ],
            "mx-",
        );
    }
}
