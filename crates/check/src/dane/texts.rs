//! The DANE table (RFC 7672, RFC 7671): TLSA records, the STARTTLS probe
//! of each MX host, and key rollover readiness.

use crate::finding::{Area, Severity};
use crate::text::Text;

const fn row(
    id: &'static str,
    severity: Severity,
    title: &'static str,
    remedy: &'static str,
) -> Text {
    Text::new(Area::Dane, id, severity, title, remedy)
}

use Severity::{Error, Info, Pass, Warning};

pub(crate) const TLSA_PRESENT: Text = row(
    "dane-tlsa-present",
    Pass,
    "Every MX host has DNSSEC-signed TLSA records",
    "",
);
pub(crate) const TLSA_MISSING: Text = row(
    "dane-tlsa-missing",
    Warning,
    "An MX host has no usable TLSA records",
    "Publish a \"3 1 1\" TLSA record at _25._tcp.<MX host> for each MX host, in a \
     DNSSEC-signed zone (generate it with `sealane tlsa generate`): without it, senders \
     cannot authenticate the host through DANE.",
);
pub(crate) const USAGE_PKIX: Text = row(
    "dane-usage-pkix",
    Warning,
    "TLSA usage 0 or 1 is not used for SMTP",
    "Replace usage 0 (PKIX-TA) and 1 (PKIX-EE) records by \"3 1 1\" (or \"2 1 1\"): \
     SMTP senders treat usages 0 and 1 as unusable (RFC 7672 §3.1.3).",
);
pub(crate) const TLSA_UNUSABLE: Text = row(
    "dane-tlsa-unusable",
    Error,
    "No TLSA record of an MX host is usable for SMTP",
    "Publish a \"3 1 1\" record (or \"2 1 1\" for the issuing CA) at the TLSA owner in \
     the evidence: SMTP senders ignore usages 0 and 1 (RFC 7672 §3.1.3), so with no other \
     record they do not authenticate the host at all.",
);
pub(crate) const RECOMMEND_311: Text = row(
    "dane-recommend-3-1-1",
    Info,
    "\"3 1 1\" is the recommended TLSA form",
    "Consider \"3 1 1\" (DANE-EE, public key, SHA-256): it survives certificate renewals \
     that keep the key and ignores names and dates (RFC 7671 §5.1).",
);
pub(crate) const STARTTLS_OFFERED: Text = row("dane-starttls", Pass, "STARTTLS offered", "");
pub(crate) const STARTTLS_MISSING: Text = row(
    "dane-starttls-missing",
    Error,
    "STARTTLS not offered",
    "Enable STARTTLS on the MX host, with the certificate the TLSA records describe: \
     DANE senders defer all mail to a host without it (4.7.321).",
);
pub(crate) const PLAINTEXT: Text = row(
    "dane-plaintext",
    Warning,
    "STARTTLS not offered: mail arrives in plaintext",
    "Enable STARTTLS on the MX host with a certificate, and publish TLSA records for it.",
);
pub(crate) const TLS_VERSION: Text = row("dane-tls-version", Pass, "TLS version", "");
pub(crate) const TLS_OLD: Text = row(
    "dane-tls-old",
    Warning,
    "TLS older than 1.2",
    "Enable TLS 1.2 and 1.3 on the MX host: older versions are deprecated (RFC 8996) and \
     MTA-STS senders refuse them.",
);
pub(crate) const CERT_EXPIRY: Text =
    row("dane-certificate-expiry", Pass, "Certificate in date", "");
pub(crate) const CERT_EXPIRING: Text = row(
    "dane-certificate-expiring",
    Warning,
    "The certificate expires within 14 days",
    "Renew the certificate; if the key changes, publish the new key's TLSA record first \
     and wait two TTLs before switching (RFC 7671 §8.1).",
);
pub(crate) const CERT_EXPIRED: Text = row(
    "dane-certificate-expired",
    Error,
    "The certificate has expired",
    "Renew the certificate: DANE-EE (3 x x) senders ignore dates, but DANE-TA and MTA-STS \
     senders refuse an expired certificate.",
);
pub(crate) const CERT_EXPIRED_EE: Text = row(
    "dane-certificate-expired-ee",
    Warning,
    "The certificate has expired; DANE-EE (usage 3) ignores its dates",
    "Renew the certificate: DANE senders deliver, since a DANE-EE (3 x x) match ignores \
     the expiry date (RFC 7672 §3.1.1), but senders without DANE that verify certificates, \
     MTA-STS among them, refuse it; if the key changes, publish its TLSA record first \
     (RFC 7671 §8.1).",
);
pub(crate) const MATCH: Text = row(
    "dane-match",
    Pass,
    "A TLSA record matches the certificate served",
    "",
);
pub(crate) const NO_MATCH: Text = row(
    "dane-no-match",
    Error,
    "No TLSA record matches the certificate served",
    "Publish a TLSA record for the certificate (or key) the host serves now, or serve the \
     certificate the records describe: DANE senders defer all mail to this host (4.7.323).",
);
pub(crate) const HOST_FAILED: Text = row(
    "dane-host-failed",
    Error,
    "A DANE host failed the delivery probe",
    "Fix the host named in the evidence: DANE senders will not use it.",
);
pub(crate) const ROLLOVER_READY: Text =
    row("dane-rollover-ready", Info, "Ready for a key rollover", "");
pub(crate) const ROLLOVER_SINGLE: Text = row(
    "dane-rollover-single",
    Warning,
    "Only one TLSA record: a key change would break DANE",
    "Publish a second \"3 1 1\" record for the next key ahead of time (or a \"2 1 1\" \
     record for the issuing CA), so that the key can change without a gap (RFC 7671 §8.1).",
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_well_formed() {
        crate::text::tests::check_table(
            &[
                TLSA_PRESENT,
                TLSA_MISSING,
                USAGE_PKIX,
                TLSA_UNUSABLE,
                RECOMMEND_311,
                STARTTLS_OFFERED,
                STARTTLS_MISSING,
                PLAINTEXT,
                TLS_VERSION,
                TLS_OLD,
                CERT_EXPIRY,
                CERT_EXPIRING,
                CERT_EXPIRED,
                CERT_EXPIRED_EE,
                MATCH,
                NO_MATCH,
                HOST_FAILED,
                ROLLOVER_READY,
                ROLLOVER_SINGLE,
            ],
            "dane-",
        );
    }
}
