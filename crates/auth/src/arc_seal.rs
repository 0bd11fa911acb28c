//! ARC sealing (RFC 8617 §5.1) of a message we pass on: an
//! `ARC-Authentication-Results` with what we concluded on arrival, an
//! `ARC-Message-Signature` over the message, and an `ARC-Seal` over the
//! chain with `cv=` from our verification of the sets before ours, so that
//! the next receiver can trust our results when forwarding breaks SPF or
//! DKIM. The header canonicalization, signatures and chain handling are
//! mail-auth's; the keys of the existing chain come through our resolver.

use std::net::IpAddr;

use mail_auth::arc::ArcSealer as Built;
use mail_auth::common::crypto::DkimKey as Inner;
use mail_auth::common::headers::HeaderWriter;
use mail_auth::common::verify::DomainKey;
use mail_auth::dkim::{Canonicalization, Done};
use mail_auth::{AuthenticatedMessage, AuthenticationResults, DmarcOutput, SpfOutput};

use crate::answers::{Answers, offline};
use crate::dkim::DkimKey;
use crate::dmarc::{DmarcResult, DmarcVerdict};
use crate::spf::{SpfResult, SpfVerdict};

/// Header fields the `ARC-Message-Signature` covers (RFC 8617 §4.1.2 signs
/// as DKIM does; the ones a forwarder must not change).
const SIGNED: &[&str] = &[
    "From",
    "To",
    "Cc",
    "Subject",
    "Date",
    "Message-ID",
    "Reply-To",
    "In-Reply-To",
    "References",
    "MIME-Version",
    "Content-Type",
    "Content-Transfer-Encoding",
    "DKIM-Signature",
];

/// Why a message could not be sealed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SealError {
    /// The message does not parse as RFC 5322.
    #[error("the message does not parse")]
    Message,
    /// The chain already failed (`cv=fail`), or has 50 sets: RFC 8617
    /// §5.1.2 says not to add to it.
    #[error("the ARC chain cannot be extended: {0}")]
    Chain(String),
}

impl SealError {
    /// Sealing the same message again fails the same way.
    pub fn is_temporary(&self) -> bool {
        false
    }
}

/// What we concluded on arrival, for the `ARC-Authentication-Results`.
#[derive(Clone, Copy, Debug)]
pub struct SealInput<'a> {
    /// The address the message came from.
    pub ip: IpAddr,
    /// The HELO/EHLO name it gave.
    pub helo: &'a str,
    /// The MAIL FROM address (empty for `<>`).
    pub mail_from: &'a str,
    /// SPF of MAIL FROM, when checked.
    pub spf: Option<&'a SpfVerdict>,
    /// DMARC, when evaluated.
    pub dmarc: Option<&'a DmarcVerdict>,
}

/// Seals messages as one ADMD (`d=`, `s=`).
pub struct ArcSealer {
    authserv_id: String,
    built: Built<Inner, Done>,
}

impl ArcSealer {
    /// A sealer for `d=domain`, `s=selector`; `authserv_id` names us in
    /// the `ARC-Authentication-Results`.
    pub fn new(domain: &str, selector: &str, key: DkimKey, authserv_id: &str) -> Self {
        Self::with_headers(domain, selector, key, authserv_id, SIGNED)
    }

    /// As [`ArcSealer::new`], with the `ARC-Message-Signature` covering the
    /// header fields named in `headers` (those the message has; the absent
    /// ones are listed too, so none can be added) instead of our default
    /// list. The names are case-insensitive (RFC 6376 §3.5 `h=`); ARC
    /// header fields must not be among them (RFC 8617 §4.1.2).
    pub fn with_headers(
        domain: &str,
        selector: &str,
        key: DkimKey,
        authserv_id: &str,
        headers: &[&str],
    ) -> Self {
        let built = Built::from_key(key.into_inner())
            .domain(domain.trim_end_matches('.').to_ascii_lowercase())
            .selector(selector)
            .headers(headers.iter().copied())
            .header_canonicalization(Canonicalization::Relaxed)
            .body_canonicalization(Canonicalization::Relaxed);
        Self {
            authserv_id: authserv_id.to_owned(),
            built,
        }
    }

    /// The three header fields of our ARC set, with their CRLFs, to put on
    /// top of `message`. The DKIM signatures and the chain before ours are
    /// verified again (keys through `resolver`) for our results and `cv=`.
    pub async fn seal(
        &self,
        resolver: &dns::Resolver,
        message: &[u8],
        input: &SealInput<'_>,
    ) -> Result<String, SealError> {
        let parsed = AuthenticatedMessage::parse(message).ok_or(SealError::Message)?;
        let answers = Answers::default();
        for header in &parsed.dkim_headers {
            let name = format!("{}._domainkey.{}", header.header.s, header.header.d);
            let _ = answers.fetch::<DomainKey>(resolver, &name).await;
        }
        crate::arc::fetch_chain_keys(resolver, &parsed, &answers).await;
        let dkim = offline()
            .verify_dkim(mail_auth::Parameters::new(&parsed).with_txt_cache(&answers))
            .await;
        let arc = offline()
            .verify_arc(mail_auth::Parameters::new(&parsed).with_txt_cache(&answers))
            .await;
        let from = input
            .dmarc
            .map(|d| d.from_domain.clone())
            .unwrap_or_default();
        let mut results =
            AuthenticationResults::new(&self.authserv_id).with_dkim_results(&dkim, &from);
        if let Some(spf) = input.spf {
            let output = SpfOutput::new(spf.domain.clone()).with_result(spf_result(spf.result));
            results =
                results.with_spf_mailfrom_result(&output, input.ip, input.mail_from, input.helo);
        }
        if let Some(dmarc) = input.dmarc {
            results = results.with_dmarc_result(&dmarc_output(dmarc));
        }
        let results = results.with_arc_result(&arc, input.ip);
        let set = self
            .built
            .seal(&parsed, &results, &arc)
            .map_err(|e| SealError::Chain(e.to_string()))?;
        Ok(set.to_header())
    }
}

fn spf_result(result: SpfResult) -> mail_auth::SpfResult {
    match result {
        SpfResult::Pass => mail_auth::SpfResult::Pass,
        SpfResult::Fail => mail_auth::SpfResult::Fail,
        SpfResult::SoftFail => mail_auth::SpfResult::SoftFail,
        SpfResult::Neutral => mail_auth::SpfResult::Neutral,
        SpfResult::None => mail_auth::SpfResult::None,
        SpfResult::TempError => mail_auth::SpfResult::TempError,
        SpfResult::PermError => mail_auth::SpfResult::PermError,
    }
}

/// Our DMARC verdict as mail-auth writes it: `dmarc=pass` when an aligned
/// identifier passed, `fail` when none did.
fn dmarc_output(verdict: &DmarcVerdict) -> DmarcOutput {
    let aligned = |pass: bool| match verdict.result {
        _ if pass => mail_auth::DmarcResult::Pass,
        DmarcResult::Fail => mail_auth::DmarcResult::Fail(mail_auth::Error::NotAligned),
        DmarcResult::TempError => mail_auth::DmarcResult::TempError(mail_auth::Error::NotAligned),
        DmarcResult::PermError => mail_auth::DmarcResult::PermError(mail_auth::Error::NotAligned),
        _ => mail_auth::DmarcResult::None,
    };
    DmarcOutput::new(verdict.from_domain.clone())
        .with_spf_result(aligned(verdict.spf_aligned))
        .with_dkim_result(aligned(verdict.dkim_aligned))
}
