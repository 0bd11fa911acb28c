//! How names, hosts and times appear in evidence.

use dns::Name;
use policy::HostPlan;

/// A name without its trailing dot, as people write it.
pub(crate) fn bare(name: &Name) -> String {
    let text = name.to_string();
    match text.strip_suffix('.') {
        Some(stripped) if !stripped.is_empty() => stripped.to_owned(),
        _ => text,
    }
}

/// `host (pref 10): 192.0.2.1, 2001:db8::1 (DNSSEC: secure)`.
pub(crate) fn describe_host(host: &HostPlan) -> String {
    let addresses: Vec<String> = host.addresses.iter().map(ToString::to_string).collect();
    format!(
        "{} (preference {}): {} (DNSSEC: {})",
        bare(&host.name),
        host.preference,
        addresses.join(", "),
        host.address_status
    )
}

/// A Unix time as an RFC 3339 date, for evidence.
pub(crate) fn date(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| format!("{unix} (Unix time)"))
}

/// Seconds since the Unix epoch now.
pub(crate) fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
