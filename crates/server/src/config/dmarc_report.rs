//! `[dmarc_report]`: DMARC aggregate reporting (RFC 7489 §7.2), validated.

use super::raw::RawDmarcReport;
use super::tls_report::DEFAULT_MAX_DESTINATIONS;

/// How we report on DMARC and where reports to us arrive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DmarcReportSettings {
    /// Count the messages evaluated against Domain Owners' policies and
    /// send each one that asks (`rua`) a daily report. Default: off, as
    /// the reports tell other organisations which addresses sent mail in
    /// their name to us: the operator decides.
    pub enabled: bool,
    /// `org_name` of our reports. Default: the host name.
    pub organization_name: String,
    /// `email` of our reports: where Domain Owners write to us. Default:
    /// `postmaster@<host name>`.
    pub email: String,
    /// `extra_contact_info`, if any.
    pub extra_contact_info: Option<String>,
    /// The submitter domain (subject, file name, report ids). Default:
    /// the host name.
    pub submitter: String,
    /// The `From:` of report mail (its envelope sender is null, so a
    /// report never causes a notice). RFC 7489 §7.2.1.1 wants report mail
    /// to pass DMARC: give this domain a `[[dkim.sign]]` key (the daemon
    /// warns at start when reporting is on without one). Default:
    /// `dmarc-noreply@<host name>`.
    pub sender: String,
    /// At most this many `rua` addresses per report.
    pub max_destinations: usize,
    /// Where aggregate reports about our domains arrive (the address our
    /// own `rua` names), if we read them: mail to it is read as a report,
    /// kept in the store, and not delivered further.
    pub receive_address: Option<String>,
}

impl DmarcReportSettings {
    /// The settings from `[dmarc_report]`, defaults from `hostname`.
    pub(super) fn from_raw(raw: RawDmarcReport, hostname: &str) -> Result<Self, String> {
        let max_destinations = raw.max_destinations.unwrap_or(DEFAULT_MAX_DESTINATIONS);
        if max_destinations == 0 {
            return Err("max_destinations must be at least 1".into());
        }
        let address = |name: &str, value: String| {
            if value.contains('@') {
                Ok(value)
            } else {
                Err(format!("{name} {} is not an address", smtp::quoted(&value)))
            }
        };
        let sender = address(
            "sender",
            raw.sender
                .unwrap_or_else(|| format!("dmarc-noreply@{hostname}")),
        )?;
        let email = address(
            "email",
            raw.email
                .unwrap_or_else(|| format!("postmaster@{hostname}")),
        )?;
        let receive_address = raw
            .receive_address
            .map(|a| address("receive_address", a.trim().to_owned()))
            .transpose()?;
        Ok(Self {
            enabled: raw.enabled.unwrap_or(false),
            organization_name: raw.organization_name.unwrap_or_else(|| hostname.to_owned()),
            email,
            extra_contact_info: raw.extra_contact_info,
            submitter: raw.submitter.unwrap_or_else(|| hostname.to_owned()),
            sender,
            max_destinations,
            receive_address,
        })
    }
}
