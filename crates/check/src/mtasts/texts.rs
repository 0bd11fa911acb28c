//! The MTA-STS table (RFC 8461): the TXT record, the policy fetch, the
//! policy's contents and the MX certificates it requires.

use crate::finding::{Area, Severity};
use crate::text::Text;

const fn row(
    id: &'static str,
    severity: Severity,
    title: &'static str,
    remedy: &'static str,
) -> Text {
    Text::new(Area::MtaSts, id, severity, title, remedy)
}

use Severity::{Error, Info, Pass, Warning};

pub(crate) const NONE: Text = row(
    "mta-sts-none",
    Info,
    "No MTA-STS policy",
    "Publish an MTA-STS policy (`sealane publish` prints the records and the policy file), \
     starting in testing mode: it protects mail from senders that do not validate DNSSEC.",
);
pub(crate) const RECORD: Text = row("mta-sts-record", Pass, "One valid MTA-STS record", "");
pub(crate) const RECORD_INVALID: Text = row(
    "mta-sts-record-invalid",
    Error,
    "The MTA-STS record is invalid",
    "Publish exactly one TXT record at _mta-sts.{domain} of the form \"v=STSv1; id=<1-32 \
     letters or digits>\": senders ignore the policy while the record is invalid.",
);
pub(crate) const LOOKUP_FAILED: Text = row(
    "mta-sts-lookup-failed",
    Error,
    "The MTA-STS record could not be looked up",
    "Make every authoritative server answer TXT queries for _mta-sts.{domain}.",
);
pub(crate) const FETCHED: Text = row("mta-sts-policy", Pass, "The MTA-STS policy was fetched", "");
pub(crate) const FETCH_FAILED: Text = row(
    "mta-sts-fetch-failed",
    Error,
    "The MTA-STS policy could not be fetched",
    "Serve the policy at https://mta-sts.{domain}/.well-known/mta-sts.txt as text/plain \
     with HTTP 200, no redirect, and a certificate valid for mta-sts.{domain} from a public \
     CA (RFC 8461 §3.3).",
);
pub(crate) const MODE_ENFORCE: Text = row("mta-sts-enforce", Pass, "Mode enforce", "");
pub(crate) const MODE_TESTING: Text = row(
    "mta-sts-testing",
    Warning,
    "Mode testing: a step, not a destination",
    "Once TLS-RPT reports show no failures for a few weeks, switch the policy to \
     \"mode: enforce\" and change the record's id: testing mode protects no mail.",
);
pub(crate) const MODE_NONE: Text = row(
    "mta-sts-mode-none",
    Info,
    "Mode none: the policy is withdrawn",
    "",
);
pub(crate) const MAX_AGE_SHORT: Text = row(
    "mta-sts-max-age-short",
    Warning,
    "max_age is under one day",
    "Raise max_age to a week or more (604800 seconds is usual, up to 31557600): a short \
     max_age lets a policy lapse and leaves a window for downgrade attacks (RFC 8461 §3.2).",
);
pub(crate) const MAX_AGE_DAYS: Text = row(
    "mta-sts-max-age-days",
    Info,
    "max_age is under a week",
    "Consider a max_age of a week or more (604800 seconds is usual).",
);
pub(crate) const MAX_AGE: Text = row("mta-sts-max-age", Pass, "max_age of a week or more", "");
pub(crate) const MX_COVERED: Text = row(
    "mta-sts-mx-covered",
    Pass,
    "Every MX host matches an mx pattern",
    "",
);
pub(crate) const MX_NOT_COVERED: Text = row(
    "mta-sts-mx-not-covered",
    Error,
    "An MX host matches no mx pattern of the policy",
    "Add an mx line for the host to the policy (and change the record's id), or remove the \
     host from the MX set: under enforce, senders will not deliver to it (RFC 8461 §4.1).",
);
pub(crate) const CERT_VALID: Text = row(
    "mta-sts-certificate-valid",
    Pass,
    "The MX certificate is valid for its name",
    "",
);
pub(crate) const CERT_INVALID: Text = row(
    "mta-sts-certificate-invalid",
    Error,
    "The MX certificate is not valid for its name under WebPKI",
    "Serve a certificate from a public CA whose names include the MX host name: MTA-STS \
     senders in enforce mode refuse the host (RFC 8461 §4.2).",
);
pub(crate) const HOST_FAILED: Text = row(
    "mta-sts-host-failed",
    Error,
    "An MX host under the enforce policy failed the delivery probe",
    "Fix the host named in the evidence (STARTTLS, TLS 1.2 or later, reachable on port 25): \
     MTA-STS senders will not use it.",
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_well_formed() {
        crate::text::tests::check_table(
            &[
                NONE,
                RECORD,
                RECORD_INVALID,
                LOOKUP_FAILED,
                FETCHED,
                FETCH_FAILED,
                MODE_ENFORCE,
                MODE_TESTING,
                MODE_NONE,
                MAX_AGE_SHORT,
                MAX_AGE_DAYS,
                MAX_AGE,
                MX_COVERED,
                MX_NOT_COVERED,
                CERT_VALID,
                CERT_INVALID,
                HOST_FAILED,
            ],
            "mta-sts-",
        );
    }
}
