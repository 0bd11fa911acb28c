//! The TLS-RPT table: every finding the TLS-RPT analyzer reports, with its
//! severity, title and remedy.

use crate::finding::{Area, Severity};
use crate::text::Text;

use Severity::{Error, Pass, Warning};

const fn row(
    id: &'static str,
    severity: Severity,
    title: &'static str,
    remedy: &'static str,
) -> Text {
    Text::new(Area::TlsRpt, id, severity, title, remedy)
}

pub(crate) const LOOKUP_FAILED: Text = row(
    "tlsrpt-lookup-failed",
    Error,
    "The TLS-RPT record could not be looked up",
    "Make every authoritative server of _smtp._tls.{domain} answer TXT queries and, if the \
     zone is signed, keep its signatures valid: until then senders send no TLS reports.",
);
pub(crate) const MISSING: Text = row(
    "tlsrpt-missing",
    Warning,
    "No TLS-RPT record",
    "Publish a TXT record at _smtp._tls.{domain}: \"v=TLSRPTv1; \
     rua=mailto:tlsrpt@{domain}\", so that senders report the TLS failures they meet \
     delivering to you (RFC 8460 §3).",
);
pub(crate) const MULTIPLE: Text = row(
    "tlsrpt-multiple-records",
    Error,
    "More than one TLS-RPT record",
    "Keep exactly one v=TLSRPTv1 record at _smtp._tls.{domain}, listing every destination in \
     its rua=: with more than one, senders assume none (RFC 8460 §3).",
);
pub(crate) const SYNTAX: Text = row(
    "tlsrpt-syntax",
    Error,
    "The TLS-RPT record is malformed",
    "Publish at _smtp._tls.{domain} a record of the form \"v=TLSRPTv1; \
     rua=mailto:tlsrpt@{domain}\": senders ignore a malformed one (RFC 8460 §3).",
);
pub(crate) const BAD_URI: Text = row(
    "tlsrpt-bad-uri",
    Warning,
    "A TLS-RPT destination is unusable",
    "Write each destination as mailto:address or https://host/path, separated by commas: \
     senders skip others (RFC 8460 §3).",
);
pub(crate) const NO_USABLE_URI: Text = row(
    "tlsrpt-no-usable-rua",
    Error,
    "No usable TLS-RPT destination",
    "Give rua= at least one mailto: or https: destination, e.g. \
     \"rua=mailto:tlsrpt@{domain}\": as it is, no report can be sent.",
);
pub(crate) const RECORD: Text = row("tlsrpt-record", Pass, "TLS-RPT record valid", "");

/// Every row, for the table's test.
#[cfg(test)]
pub(crate) const ALL: &[Text] = &[
    LOOKUP_FAILED,
    MISSING,
    MULTIPLE,
    SYNTAX,
    BAD_URI,
    NO_USABLE_URI,
    RECORD,
];

#[cfg(test)]
mod tests {
    #[test]
    fn the_table_is_well_formed() {
        crate::text::tests::check_table(super::ALL, "tlsrpt-");
    }
}
