//! `[tls_report]`: SMTP TLS reporting (RFC 8460), validated.

use super::raw::RawTlsReport;

/// The most `rua` destinations one report goes to by default: a domain
/// that lists hundreds gets this many.
pub const DEFAULT_MAX_DESTINATIONS: usize = 5;

/// How we report on TLS (RFC 8460) and where reports to us arrive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsReportSettings {
    /// Count delivery sessions and send the daily reports. Default: on.
    pub enabled: bool,
    /// `organization-name` of our reports. Default: the host name.
    pub organization_name: String,
    /// `contact-info` of our reports. Default: `mailto:postmaster@<host name>`.
    pub contact_info: String,
    /// The submitter domain (`TLS-Report-Submitter`, RFC 8460 §5.3) and the
    /// domain of report ids. Default: the host name.
    pub submitter: String,
    /// The `From:` and envelope sender of report mail. Default:
    /// `tlsrpt-noreply@<host name>`.
    pub sender: String,
    /// At most this many `rua` destinations per report.
    pub max_destinations: usize,
    /// Where reports to our domains arrive (the address our `rua` names),
    /// if we read them: mail to it is read as a TLS report when it
    /// arrives, kept in the store, and not delivered further.
    pub receive_address: Option<String>,
}

impl TlsReportSettings {
    /// The settings from `[tls_report]`, defaults from `hostname`.
    pub(super) fn from_raw(raw: RawTlsReport, hostname: &str) -> Result<Self, String> {
        let max_destinations = raw.max_destinations.unwrap_or(DEFAULT_MAX_DESTINATIONS);
        if max_destinations == 0 {
            return Err("max_destinations must be at least 1".into());
        }
        let sender = raw
            .sender
            .unwrap_or_else(|| format!("tlsrpt-noreply@{hostname}"));
        if !sender.contains('@') {
            return Err(format!(
                "sender {} is not an address",
                smtp::quoted(&sender)
            ));
        }
        let receive_address = raw.receive_address.map(|a| a.trim().to_owned());
        if let Some(address) = &receive_address
            && !address.contains('@')
        {
            return Err(format!(
                "receive_address {} is not an address",
                smtp::quoted(address)
            ));
        }
        Ok(Self {
            enabled: raw.enabled.unwrap_or(true),
            organization_name: raw.organization_name.unwrap_or_else(|| hostname.to_owned()),
            contact_info: raw
                .contact
                .unwrap_or_else(|| format!("mailto:postmaster@{hostname}")),
            submitter: raw.submitter.unwrap_or_else(|| hostname.to_owned()),
            sender,
            max_destinations,
            receive_address,
        })
    }
}
