//! ARC sealing on departure (RFC 8617 §5.1): a copy we pass on — an
//! alias's forwarded copy, or mail relayed from the MX listener when
//! `[arc] seal` says so — gets our ARC set on top before it is queued,
//! with what we concluded on arrival, so the next hop can trust those
//! results when forwarding breaks SPF or DKIM. A copy that cannot be
//! sealed is queued as it is: sealing never refuses or loses mail.

use std::net::IpAddr;

use auth::dmarc::DmarcVerdict;
use auth::{SealInput, SpfVerdict};
use queue::{ArcSealRecord, NewMessage};
use tracing::warn;

use crate::config::ArcSettings;
use crate::shared::Shared;

/// What arrival authentication concluded, kept for the
/// `ARC-Authentication-Results` of every copy sealed.
pub(crate) struct SealFacts {
    /// The address SPF evaluated.
    pub ip: IpAddr,
    /// The HELO name of that hop.
    pub helo: String,
    /// MAIL FROM as it arrived (empty for `<>`).
    pub mail_from: String,
    /// SPF of MAIL FROM.
    pub spf: SpfVerdict,
    /// DMARC, when evaluated.
    pub dmarc: Option<DmarcVerdict>,
}

/// Puts our ARC set on top of `message` and records it in its meta; when
/// sealing fails, logs why (never the key) and leaves the copy unsealed.
pub(crate) async fn seal(
    shared: &Shared,
    settings: &ArcSettings,
    facts: &SealFacts,
    message: &mut NewMessage,
) {
    let input = SealInput {
        ip: facts.ip,
        helo: &facts.helo,
        mail_from: &facts.mail_from,
        spf: Some(&facts.spf),
        dmarc: facts.dmarc.as_ref(),
    };
    let set = match settings
        .sealer
        .seal(&shared.resolver, &message.body, &input)
        .await
    {
        Ok(set) => set,
        Err(error) => {
            warn!(queue_id = %message.id, domain = %settings.domain, error = %error,
                "copy not ARC-sealed; queued unsealed");
            return;
        }
    };
    let (instance, cv) = seal_tags(&set).unwrap_or((0, String::new()));
    let mut body = Vec::with_capacity(set.len() + message.body.len());
    body.extend_from_slice(set.as_bytes());
    body.extend_from_slice(&message.body);
    message.body = body;
    message.meta.size = message.body.len() as u64;
    message.meta.arc_sealed = Some(Box::new(ArcSealRecord {
        domain: settings.domain.clone(),
        selector: settings.selector.clone(),
        instance,
        cv,
    }));
}

/// The `i=` and `cv=` of the `ARC-Seal` in `set` (our three header
/// fields, folded as written).
fn seal_tags(set: &str) -> Option<(u32, String)> {
    let start = set
        .split("\r\n")
        .position(|line| line.to_ascii_lowercase().starts_with("arc-seal:"))?;
    let lines: Vec<&str> = set.split("\r\n").collect();
    let mut value = lines[start]["arc-seal:".len()..].to_owned();
    for line in &lines[start + 1..] {
        if !line.starts_with([' ', '\t']) {
            break;
        }
        value.push_str(line);
    }
    let mut instance = None;
    let mut cv = None;
    for tag in value.split(';') {
        let Some((name, tag_value)) = tag.split_once('=') else {
            continue;
        };
        let tag_value: String = tag_value.split_whitespace().collect();
        match name.trim() {
            "i" => instance = tag_value.parse().ok(),
            "cv" => cv = Some(tag_value.to_ascii_lowercase()),
            _ => {}
        }
    }
    Some((instance?, cv?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_and_chain_status_are_read_from_the_folded_seal() {
        let set = "ARC-Seal: i=2; a=rsa-sha256; s=arc; d=example.org; cv=pass;\r\n\tt=1; b=abc\r\n def=\r\n\
ARC-Message-Signature: i=2; a=rsa-sha256; s=arc; d=example.org; c=relaxed/relaxed;\r\n\tbh=x; b=y\r\n\
ARC-Authentication-Results: i=2; mx.example.org; spf=pass\r\n";
        assert_eq!(seal_tags(set), Some((2, "pass".into())));
        let folded = "ARC-Message-Signature: i=1; b=y\r\nARC-Seal: a=rsa-sha256;\r\n cv=\r\n none; d=x; i=1; b=z\r\n";
        assert_eq!(seal_tags(folded), Some((1, "none".into())));
        assert_eq!(seal_tags("ARC-Authentication-Results: i=1; x\r\n"), None);
    }
}
