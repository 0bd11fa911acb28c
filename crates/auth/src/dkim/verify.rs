//! DKIM verification through our resolver.

use mail_auth::common::crypto::Algorithm;
use mail_auth::common::verify::DomainKey;
use mail_auth::{AuthenticatedMessage, Parameters};

use super::{DkimResult, DkimVerdict};
use crate::answers::{Answers, offline};

/// Verifies every DKIM-Signature of `message` (RFC 6376 §6), fetching the
/// keys through `resolver` first. RSA keys under 1024 bits fail (the
/// verifier refuses them), and RSA-SHA1 signatures get `policy`: RFC 8301
/// §3.1 forbids accepting them.
pub async fn verify(resolver: &dns::Resolver, message: &[u8]) -> Vec<DkimVerdict> {
    let Some(parsed) = AuthenticatedMessage::parse(message) else {
        return Vec::new();
    };
    let answers = Answers::default();
    for header in &parsed.dkim_headers {
        let name = key_name(&header.header.s, &header.header.d);
        let _ = answers.fetch::<DomainKey>(resolver, &name).await;
    }
    let outputs = offline()
        .verify_dkim(Parameters::new(&parsed).with_txt_cache(&answers))
        .await;
    outputs
        .iter()
        .map(|output| {
            let mut verdict = DkimVerdict {
                result: DkimResult::Neutral,
                domain: String::new(),
                selector: String::new(),
                algorithm: String::new(),
                header_b: String::new(),
                problem: None,
                key_dnssec: None,
            };
            if let Some(signature) = output.signature() {
                verdict.domain = signature.d.to_ascii_lowercase();
                verdict.selector = signature.s.clone();
                verdict.algorithm = algorithm(signature.a).to_owned();
                verdict.header_b = header_b(&signature.b);
                verdict.key_dnssec = answers
                    .fetched(&key_name(&signature.s, &signature.d))
                    .and_then(|f| f.dnssec);
            }
            let (result, problem) = match output.result() {
                mail_auth::DkimResult::Pass => (DkimResult::Pass, None),
                mail_auth::DkimResult::Fail(e) => (DkimResult::Fail, Some(e.to_string())),
                // RFC 6376 §6.1.3: a body hash that does not match is a
                // failed signature, not an unprocessable one.
                mail_auth::DkimResult::Neutral(
                    e @ mail_auth::Error::Dkim(mail_auth::dkim::DkimError::FailedBodyHashMatch),
                ) => (DkimResult::Fail, Some(e.to_string())),
                mail_auth::DkimResult::Neutral(e) => (DkimResult::Neutral, Some(e.to_string())),
                mail_auth::DkimResult::PermError(e) => (DkimResult::PermError, Some(e.to_string())),
                mail_auth::DkimResult::TempError(e) => (DkimResult::TempError, Some(e.to_string())),
                mail_auth::DkimResult::None => (DkimResult::Neutral, Some("no signature".into())),
            };
            verdict.result = result;
            verdict.problem = problem;
            if verdict.algorithm == "rsa-sha1" && result == DkimResult::Pass {
                verdict.result = DkimResult::Policy;
                verdict.problem =
                    Some("rsa-sha1 signatures are not accepted (RFC 8301 §3.1)".into());
            }
            verdict
        })
        .collect()
}

fn key_name(selector: &str, domain: &str) -> String {
    format!("{selector}._domainkey.{domain}")
}

fn algorithm(a: Algorithm) -> &'static str {
    match a {
        Algorithm::RsaSha1 => "rsa-sha1",
        Algorithm::RsaSha256 => "rsa-sha256",
        Algorithm::Ed25519Sha256 => "ed25519-sha256",
    }
}

/// The first eight characters of the base64 `b=` value (RFC 6008 §4).
fn header_b(b: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in b.chunks(3).take(2) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, byte)| n | u32::from(*byte) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
        }
    }
    out
}
