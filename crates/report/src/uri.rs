//! Reporting URIs as DMARC (RFC 7489 §6.2) and TLS-RPT (RFC 8460 §3) use
//! them: `mailto:` (RFC 6068) with an address, `https:` (RFC 9110 §4.2.2)
//! with a host. Only what a checker needs: the scheme, the destination
//! host, and whether the URI is well formed. Shared by the checker and by
//! the TLS-RPT sender.

use serde::Serialize;

/// A URI's scheme, as far as reporting cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Scheme {
    /// `mailto:`: reports by mail.
    Mailto,
    /// `https:`: reports by HTTP POST (TLS-RPT only).
    Https,
    /// Any other scheme.
    Other,
}

/// A reporting URI that is well formed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReportUri {
    /// The URI as written.
    pub uri: String,
    /// Its scheme.
    pub scheme: Scheme,
    /// The mail domain (`mailto:`) or host (`https:`), lower case; empty
    /// for other schemes.
    pub host: String,
}

/// Parses one URI, already split from its list and stripped of a DMARC
/// size suffix.
pub fn parse(text: &str) -> Result<ReportUri, String> {
    let (scheme, rest) = text
        .split_once(':')
        .filter(|(scheme, _)| is_scheme(scheme))
        .ok_or_else(|| format!("{} is not a URI (no scheme)", smtp::quoted(text)))?;
    if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "{} contains spaces or control characters",
            smtp::quoted(text)
        ));
    }
    let (scheme, host) = match scheme.to_ascii_lowercase().as_str() {
        "mailto" => {
            let address = rest.split('?').next().unwrap_or_default();
            let (local, domain) = address.rsplit_once('@').ok_or_else(|| {
                format!(
                    "{}: no address (local@domain) after mailto:",
                    smtp::quoted(text)
                )
            })?;
            if local.is_empty() {
                return Err(format!(
                    "{}: the address has no local part",
                    smtp::quoted(text)
                ));
            }
            (Scheme::Mailto, host_name(text, domain)?)
        }
        "https" => {
            let authority = rest.strip_prefix("//").ok_or_else(|| {
                format!("{}: https: must be followed by //host", smtp::quoted(text))
            })?;
            let authority = authority.split(['/', '?', '#']).next().unwrap_or_default();
            // `host [ ":" port ]`, the host possibly an IP literal in brackets.
            let (host, port) = match authority.strip_prefix('[') {
                Some(literal) => {
                    let (inside, after) = literal
                        .split_once(']')
                        .ok_or_else(|| format!("{}: unclosed IP literal", smtp::quoted(text)))?;
                    (format!("[{inside}]"), after.strip_prefix(':'))
                }
                None => match authority.split_once(':') {
                    Some((host, port)) => (host_name(text, host)?, Some(port)),
                    None => (host_name(text, authority)?, None),
                },
            };
            if let Some(port) = port
                && (!port.chars().all(|c| c.is_ascii_digit()) || port.parse::<u16>().is_err())
            {
                return Err(format!(
                    "{}: bad port {}",
                    smtp::quoted(text),
                    smtp::quoted(port)
                ));
            }
            (Scheme::Https, host)
        }
        _ => (Scheme::Other, String::new()),
    };
    Ok(ReportUri {
        uri: text.to_owned(),
        scheme,
        host,
    })
}

/// `scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )` (RFC 3986 §3.1).
fn is_scheme(scheme: &str) -> bool {
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// A host name of at least two labels of letters, digits and inner hyphens.
fn host_name(uri: &str, host: &str) -> Result<String, String> {
    let host = host.strip_suffix('.').unwrap_or(host);
    let labels: Vec<&str> = host.split('.').collect();
    let good = host.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                && !l.starts_with('-')
                && !l.ends_with('-')
        });
    if good {
        Ok(host.to_ascii_lowercase())
    } else {
        Err(format!(
            "{}: {} is not a valid host name",
            smtp::quoted(uri),
            smtp::quoted(host)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mailto_and_https() {
        let mail = parse("mailto:dmarc@Reports.Example.com").unwrap();
        assert_eq!(mail.scheme, Scheme::Mailto);
        assert_eq!(mail.host, "reports.example.com");
        let web = parse("https://tlsrpt.example.net:8443/v1/report").unwrap();
        assert_eq!(web.scheme, Scheme::Https);
        assert_eq!(web.host, "tlsrpt.example.net");
        assert_eq!(
            parse("https://[2001:db8::1]/r").unwrap().host,
            "[2001:db8::1]"
        );
        assert_eq!(parse("ftp://x.example/").unwrap().scheme, Scheme::Other);
    }

    #[test]
    fn malformed_uris() {
        for bad in [
            "dmarc@example.com",
            "mailto:example.com",
            "mailto:@example.com",
            "mailto:a@localhost",
            "mailto:a@exa mple.com",
            "https:report.example.com",
            "https://",
            "https://host.example:99999/",
            "1http://x.example",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
