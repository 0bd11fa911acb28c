//! The order to roll the records out in: keys before certificates, the
//! policy file before the TXT record that announces it, testing before
//! enforce.

use policy::sts::Mode;

use super::records::{Key, PolicyFile, TTL};

/// The steps for `domain`, given the keys with TLSA records and the policy.
pub(crate) fn steps(
    domain: &str,
    mode: Mode,
    keys: &[Key],
    policy: &PolicyFile,
    dkim_selector: Option<&str>,
) -> Vec<String> {
    let mut steps = Vec::new();
    match keys {
        [] => steps.push(
            "DANE: no --cert given, so no TLSA records; with DNSSEC on the zone, run again with \
             --cert (and --next-key) to get them"
                .to_owned(),
        ),
        [_] => steps.push(format!(
            "DANE: publish the TLSA record for each MX host (the zone must be DNSSEC-signed); \
             there is no record for a next key, so before any key change publish its record \
             (--next-key) and wait {} seconds (2 x TTL)",
            2 * TTL
        )),
        _ => steps.push(format!(
            "DANE: publish the TLSA records for the current and the next key for each MX host \
             (the zone must be DNSSEC-signed); wait {} seconds (2 x TTL) after publishing \
             before changing certificates, then drop the old key's record",
            2 * TTL
        )),
    }
    steps.push(format!(
        "MTA-STS: serve the policy file at {} (HTTPS, a WebPKI certificate for \
         mta-sts.{domain}, text/plain), e.g. with `sealane mta-sts serve`; then publish the \
         _mta-sts TXT record",
        policy.url
    ));
    steps.push(
        "TLS-RPT: publish the _smtp._tls TXT record so that senders report TLS failures".to_owned(),
    );
    match mode {
        Mode::Enforce => steps.push(
            "Enforce: this policy is in enforce mode; if it was not tested first, publish it in \
             testing mode and read the TLS-RPT reports before going live"
                .to_owned(),
        ),
        _ => steps.push(
            "Testing: read the TLS-RPT reports for a few days; when they show no failures, \
             switch to enforce (`--mode enforce`): replace the policy file, then publish the \
             new TXT record, whose id must change"
                .to_owned(),
        ),
    }
    steps.push(format!(
        "SPF: publish the SPF record if {domain} has none; otherwise add `mx` to the existing one \
         (one SPF record only)"
    ));
    if let Some(selector) = dkim_selector {
        steps.push(format!(
            "DKIM: publish the {selector}._domainkey TXT record, check it with `sealane check \
             {domain} --dkim-selector {selector}`, then sign with it: a [[dkim.sign]] entry \
             (domain = \"{domain}\", selector = \"{selector}\", key_file = the key)"
        ));
    }
    steps
}
