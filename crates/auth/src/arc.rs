//! ARC verification (RFC 8617 §5.2) through our resolver: is the chain of
//! custody intact, who sealed it, and what did each sealer's
//! `ARC-Authentication-Results` say about DMARC?
//!
//! The chain checks and cryptography are mail-auth's; the keys of the
//! newest message signature and of every seal are fetched through our
//! DNSSEC-validating resolver first, as for DKIM.

use mail_auth::AuthenticatedMessage;
use mail_auth::common::crypto::Algorithm;
use mail_auth::common::verify::{DomainKey, VerifySignature};
use serde::Serialize;

use crate::answers::{Answers, offline};

/// The chain validation status (RFC 8617 §4.4).
#[must_use]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ArcResult {
    /// No ARC sets.
    None,
    /// Every seal and the newest message signature verified.
    Pass,
    /// The chain is broken, or a signature did not verify (or could not
    /// be checked for now: a chain we cannot check is not a passing one).
    Fail,
}

impl ArcResult {
    /// The result name used in `Authentication-Results` (RFC 8617 §10.1).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Pass => "pass",
            Self::Fail => "fail",
        }
    }
}

/// One ARC set: who sealed it and what it recorded about DMARC.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ArcHop {
    /// The instance (`i=`), 1 for the oldest.
    pub instance: u32,
    /// The sealing domain (`d=` of the ARC-Seal).
    pub sealer: String,
    /// The `dmarc=` result in its ARC-Authentication-Results, if any.
    pub dmarc: Option<String>,
}

/// What ARC verification concluded.
#[must_use]
#[derive(Clone, Debug, Serialize)]
pub struct ArcVerdict {
    /// The chain validation status.
    pub result: ArcResult,
    /// The sets, oldest first.
    pub hops: Vec<ArcHop>,
    /// Why the result is not `pass`, in words.
    pub problem: Option<String>,
}

impl ArcVerdict {
    /// The sealer whose word may override a local DMARC failure: the chain
    /// passed, the newest set (the hop that handed us the message) was
    /// sealed by a domain in `trusted`, and its ARC-Authentication-Results
    /// say `dmarc=pass` (RFC 8617 §7.2). `None` otherwise.
    pub fn trusted_dmarc_pass(&self, trusted: &[String]) -> Option<&str> {
        if self.result != ArcResult::Pass {
            return None;
        }
        let newest = self.hops.last()?;
        let is_trusted = trusted.iter().any(|t| {
            t.trim_end_matches('.')
                .eq_ignore_ascii_case(newest.sealer.trim_end_matches('.'))
        });
        (is_trusted && newest.dmarc.as_deref() == Some("pass")).then_some(newest.sealer.as_str())
    }
}

/// Verifies the ARC chain of `message` (RFC 8617 §5.2).
pub async fn verify(resolver: &dns::Resolver, message: &[u8]) -> ArcVerdict {
    let Some(parsed) = AuthenticatedMessage::parse(message) else {
        return ArcVerdict {
            result: ArcResult::None,
            hops: Vec::new(),
            problem: Some("the message does not parse".into()),
        };
    };
    let answers = Answers::default();
    fetch_chain_keys(resolver, &parsed, &answers).await;
    let output = offline()
        .verify_arc(mail_auth::Parameters::new(&parsed).with_txt_cache(&answers))
        .await;
    let hops = output
        .sets()
        .iter()
        .map(|set| ArcHop {
            instance: set.seal.header.i,
            sealer: set.seal.header.d.to_ascii_lowercase(),
            dmarc: dmarc_in(set.results.value),
        })
        .collect();
    let sha1 = output.sets().iter().any(|set| {
        set.seal.header.a == Algorithm::RsaSha1 || set.signature.header.a == Algorithm::RsaSha1
    });
    let (result, problem) = match output.result() {
        mail_auth::DkimResult::None => (ArcResult::None, None),
        // RFC 8617 §4.1.3 signs as DKIM does, and RFC 8301 §3.1 forbids
        // accepting RSA-SHA1 there.
        mail_auth::DkimResult::Pass if sha1 => (
            ArcResult::Fail,
            Some("rsa-sha1 signatures are not accepted (RFC 8301 §3.1)".into()),
        ),
        mail_auth::DkimResult::Pass => (ArcResult::Pass, None),
        other => (ArcResult::Fail, Some(describe(other))),
    };
    ArcVerdict {
        result,
        hops,
        problem,
    }
}

fn describe(result: &mail_auth::DkimResult) -> String {
    match result {
        mail_auth::DkimResult::Fail(e)
        | mail_auth::DkimResult::Neutral(e)
        | mail_auth::DkimResult::PermError(e)
        | mail_auth::DkimResult::TempError(e) => e.to_string(),
        mail_auth::DkimResult::Pass | mail_auth::DkimResult::None => String::new(),
    }
}

/// The `dmarc=` result of an ARC-Authentication-Results value (RFC 8617
/// §4.1.1: `i=N; authserv-id; resinfo; ...`, the resinfo as in RFC 8601).
fn dmarc_in(value: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(value);
    let text = without_comments(&text);
    text.split(';').skip(2).find_map(|resinfo| {
        let (method, rest) = resinfo.trim().split_once('=')?;
        if !method.trim().eq_ignore_ascii_case("dmarc") {
            return None;
        }
        let result = rest.split_whitespace().next()?;
        Some(result.to_ascii_lowercase())
    })
}

fn without_comments(text: &str) -> String {
    let mut depth = 0u32;
    text.chars()
        .filter(|c| match c {
            '(' => {
                depth += 1;
                false
            }
            ')' => {
                depth = depth.saturating_sub(1);
                false
            }
            _ => depth == 0,
        })
        .collect()
}

/// Looks up, through our resolver, the keys an ARC chain check reads: the
/// newest ARC-Message-Signature's and every ARC-Seal's (RFC 8617 §5.2).
pub(crate) async fn fetch_chain_keys(
    resolver: &dns::Resolver,
    parsed: &AuthenticatedMessage<'_>,
    answers: &Answers,
) {
    if let Some(newest) = parsed.ams_headers.last() {
        let _ = answers
            .fetch::<DomainKey>(resolver, &newest.header.domain_key())
            .await;
    }
    for seal in &parsed.as_headers {
        let _ = answers
            .fetch::<DomainKey>(resolver, &seal.header.domain_key())
            .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dmarc_result_of_an_aar_is_read_past_comments() {
        assert_eq!(
            dmarc_in(b" i=1; lists.example.org; spf=fail smtp.mailfrom=a.example;\r\n dkim=pass (good) header.d=a.example; dmarc=pass (p=reject) header.from=a.example"),
            Some("pass".into())
        );
        assert_eq!(
            dmarc_in(b"i=2; mx.example; dmarc=FAIL header.from=a.example"),
            Some("fail".into())
        );
        assert_eq!(dmarc_in(b"i=1; mx.example (dmarc=pass); spf=pass"), None);
        assert_eq!(dmarc_in(b"i=1; mx.example; none"), None);
    }

    fn verdict(result: ArcResult, hops: &[(&str, Option<&str>)]) -> ArcVerdict {
        ArcVerdict {
            result,
            hops: hops
                .iter()
                .enumerate()
                .map(|(i, (sealer, dmarc))| ArcHop {
                    instance: i as u32 + 1,
                    sealer: (*sealer).into(),
                    dmarc: dmarc.map(str::to_owned),
                })
                .collect(),
            problem: None,
        }
    }

    #[test]
    fn only_the_newest_trusted_sealer_with_dmarc_pass_on_a_passing_chain_overrides() {
        let trusted = vec!["Lists.Example.".to_owned()];
        let good = verdict(
            ArcResult::Pass,
            &[
                ("other.example", Some("fail")),
                ("lists.example", Some("pass")),
            ],
        );
        assert_eq!(good.trusted_dmarc_pass(&trusted), Some("lists.example"));
        let broken = verdict(ArcResult::Fail, &[("lists.example", Some("pass"))]);
        assert_eq!(broken.trusted_dmarc_pass(&trusted), None);
        let untrusted = verdict(ArcResult::Pass, &[("evil.example", Some("pass"))]);
        assert_eq!(untrusted.trusted_dmarc_pass(&trusted), None);
        let older = verdict(
            ArcResult::Pass,
            &[
                ("lists.example", Some("pass")),
                ("evil.example", Some("pass")),
            ],
        );
        assert_eq!(older.trusted_dmarc_pass(&trusted), None);
        let failed = verdict(ArcResult::Pass, &[("lists.example", Some("fail"))]);
        assert_eq!(failed.trusted_dmarc_pass(&trusted), None);
    }
}
