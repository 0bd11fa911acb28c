//! The delivery verdict as a finding: what [`delivery::Verdict::of`] says
//! would happen to a message now — the same verdict `sealane route` prints,
//! so that the checker and the dry run can never disagree.

use delivery::Verdict;
use policy::Cause;

use crate::finding::{Area, Finding, Severity};
use crate::text::Text;

const fn row(
    id: &'static str,
    severity: Severity,
    title: &'static str,
    remedy: &'static str,
) -> Text {
    Text::new(Area::Delivery, id, severity, title, remedy)
}

pub(crate) const DELIVERABLE: Text = row(
    "delivery-deliverable",
    Severity::Pass,
    "Deliverable now",
    "",
);
pub(crate) const DEFERRED: Text = row(
    "delivery-deferred",
    Severity::Error,
    "Deferred now: senders cannot deliver",
    "Fix the cause in the evidence (and the errors above): mail to {domain} waits in \
     senders' queues and bounces when it expires.",
);
pub(crate) const BOUNCED: Text = row(
    "delivery-bounced",
    Severity::Error,
    "Bounced now: senders return mail",
    "Fix the cause in the evidence: mail to {domain} is returned to its senders.",
);
pub(crate) const NO_MAIL: Text = row(
    "delivery-no-mail",
    Severity::Info,
    "Accepts no mail (null MX)",
    "",
);

/// The finding for `verdict`.
pub fn verdict_finding(domain: &str, verdict: &Verdict) -> Finding {
    match verdict {
        Verdict::Deliver {
            host,
            address,
            security,
        } => DELIVERABLE.finding(domain, format!("to {host} ({address}), TLS: {security}")),
        Verdict::Defer { trouble } => DEFERRED.finding(domain, trouble.diagnostic()),
        Verdict::Bounce { trouble } if trouble.cause == Cause::NullMx => {
            NO_MAIL.finding(domain, trouble.diagnostic())
        }
        Verdict::Bounce { trouble } => BOUNCED.finding(domain, trouble.diagnostic()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_well_formed() {
        crate::text::tests::check_table(&[DELIVERABLE, DEFERRED, BOUNCED, NO_MAIL], "delivery-");
    }
}
