//! The Sender Rewriting Scheme (SRS) as libsrs2 and PostSRSd write it, so
//! our addresses interoperate with theirs:
//!
//! - `SRS0=HHHH=TT=orig-domain=orig-local@our-domain` for an ordinary
//!   sender: `TT` is the day (two base32 characters, 1024-day cycle) and
//!   `HHHH` the first four base64 characters of HMAC-SHA1 over the
//!   lowercased `TT`, `orig-domain` and `orig-local`.
//! - `SRS1=HHHH=first-forwarder==HHHH=TT=orig-domain=orig-local@our-domain`
//!   for an address another forwarder already rewrote (the "guarded"
//!   scheme): only the hop to the first forwarder is kept, so the address
//!   does not grow with each forwarder, and the hash covers it.
//!
//! Reversing checks the hash against every configured secret (the first
//! signs; older ones still verify, for key rotation), case-insensitively
//! since mail systems may change the case of a local part, and refuses a
//! timestamp older than the maximum age.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use ring::hmac;

/// Characters of the day stamp (RFC 4648 base32).
const STAMP_CHARS: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
/// Days in one stamp cycle (two base32 characters).
const STAMP_SLOTS: u64 = 1024;
/// Characters of the hash kept.
const HASH_LENGTH: usize = 4;
/// The maximum age of an address by default, in days (libsrs2's).
pub const DEFAULT_MAX_AGE_DAYS: u64 = 21;

/// Why an address could not be rewritten or reversed. Never temporary: the
/// address itself is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SrsError {
    /// The address is not an SRS address.
    #[error("not an SRS address")]
    NotSrs,
    /// An SRS address missing one of its parts.
    #[error("malformed SRS address")]
    Malformed,
    /// The hash does not match under any configured secret: forged.
    #[error("SRS hash does not match")]
    Forged,
    /// The timestamp is older than the maximum age (or from the future).
    #[error("SRS address expired")]
    Expired,
    /// The sender has no `@`.
    #[error("sender address has no domain")]
    NoDomain,
    /// No secret is configured.
    #[error("no SRS secret")]
    NoSecret,
}

impl SrsError {
    /// Whether trying again later could help: never.
    pub fn is_temporary(&self) -> bool {
        false
    }
}

/// The rewriter: secrets (first signs, all verify) and the maximum age.
#[derive(Clone)]
pub struct Srs {
    keys: Vec<hmac::Key>,
    max_age_days: u64,
}

impl fmt::Debug for Srs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Srs")
            .field("secrets", &self.keys.len())
            .field("max_age_days", &self.max_age_days)
            .finish()
    }
}

impl PartialEq for Srs {
    /// Two rewriters are equal when they hold as many secrets and the same
    /// maximum age (keys cannot be compared).
    fn eq(&self, other: &Self) -> bool {
        self.keys.len() == other.keys.len() && self.max_age_days == other.max_age_days
    }
}

impl Eq for Srs {}

impl Srs {
    /// A rewriter signing with `secrets[0]` and accepting any of them.
    pub fn new<S: AsRef<[u8]>>(secrets: &[S], max_age_days: u64) -> Result<Self, SrsError> {
        if secrets.is_empty() || secrets.iter().any(|s| s.as_ref().is_empty()) {
            return Err(SrsError::NoSecret);
        }
        Ok(Self {
            keys: secrets
                .iter()
                .map(|s| hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, s.as_ref()))
                .collect(),
            max_age_days,
        })
    }

    /// The envelope sender to use when forwarding mail from `sender` as
    /// `domain` (ours). A sender already in `domain` is kept.
    pub fn forward(&self, sender: &str, domain: &str, now: SystemTime) -> Result<String, SrsError> {
        let (local, host) = sender.rsplit_once('@').ok_or(SrsError::NoDomain)?;
        if host.eq_ignore_ascii_case(domain) {
            return Ok(sender.to_owned());
        }
        if let Some(rest) = tagged(local, "SRS1") {
            // Already guarded: keep its first forwarder and original, rehash.
            let (_, first, inner) = split3(rest)?;
            let hash = self.hash(0, &[first, inner]);
            return Ok(format!("SRS1={hash}={first}={inner}@{domain}"));
        }
        if tagged(local, "SRS0").is_some() {
            // `inner` keeps its separator: `SRS1=HHHH=host==HHHH=TT=...`.
            let inner = &local[4..];
            let hash = self.hash(0, &[host, inner]);
            return Ok(format!("SRS1={hash}={host}={inner}@{domain}"));
        }
        let stamp = stamp(now);
        let hash = self.hash(0, &[&stamp, host, local]);
        Ok(format!("SRS0={hash}={stamp}={host}={local}@{domain}"))
    }

    /// The address a bounce to `address` goes back to: the original sender
    /// for `SRS0`, the first forwarder's `SRS0` address for `SRS1`.
    pub fn reverse(&self, address: &str, now: SystemTime) -> Result<String, SrsError> {
        let local = address.rsplit_once('@').map_or(address, |(l, _)| l);
        if let Some(rest) = tagged(local, "SRS1") {
            let (hash, first, inner) = split3(rest)?;
            self.check(hash, &[first, inner])?;
            return Ok(format!("SRS0{inner}@{first}"));
        }
        let rest = tagged(local, "SRS0").ok_or(SrsError::NotSrs)?;
        let (hash, rest) = rest.split_once('=').ok_or(SrsError::Malformed)?;
        let (stamp, host, user) = split3(rest)?;
        if hash.is_empty() || host.is_empty() || user.is_empty() {
            return Err(SrsError::Malformed);
        }
        // The hash first: an expired forgery is reported as forged.
        self.check(hash, &[stamp, host, user])?;
        check_stamp(stamp, now, self.max_age_days)?;
        Ok(format!("{user}@{host}"))
    }

    fn hash(&self, key: usize, parts: &[&str]) -> String {
        let mut context = hmac::Context::with_key(&self.keys[key]);
        for part in parts {
            context.update(part.to_ascii_lowercase().as_bytes());
        }
        let tag = context.sign();
        let mut text = base64::engine::general_purpose::STANDARD.encode(&tag.as_ref()[..3]);
        text.truncate(HASH_LENGTH);
        text
    }

    fn check(&self, hash: &str, parts: &[&str]) -> Result<(), SrsError> {
        // Longer hashes are cut to our length, as libsrs2 does.
        let given = hash.get(..HASH_LENGTH).ok_or(SrsError::Forged)?;
        if (0..self.keys.len()).any(|k| self.hash(k, parts).eq_ignore_ascii_case(given)) {
            Ok(())
        } else {
            Err(SrsError::Forged)
        }
    }
}

/// Whether the local part of `address` is an SRS address (SRS0 or SRS1).
pub fn is_srs(address: &str) -> bool {
    let local = address.rsplit_once('@').map_or(address, |(l, _)| l);
    tagged(local, "SRS0").is_some() || tagged(local, "SRS1").is_some()
}

/// After `SRS0`/`SRS1` and one separator (`=`, `-` or `+`), any case.
fn tagged<'a>(local: &'a str, tag: &str) -> Option<&'a str> {
    let head = local.get(..4)?;
    if !head.eq_ignore_ascii_case(tag) {
        return None;
    }
    let rest = &local[4..];
    rest.strip_prefix(['=', '-', '+'])
}

/// `a=b=rest` → (`a`, `b`, `rest`), none empty.
fn split3(text: &str) -> Result<(&str, &str, &str), SrsError> {
    let (a, rest) = text.split_once('=').ok_or(SrsError::Malformed)?;
    let (b, c) = rest.split_once('=').ok_or(SrsError::Malformed)?;
    if a.is_empty() || b.is_empty() || c.is_empty() {
        return Err(SrsError::Malformed);
    }
    Ok((a, b, c))
}

fn day(now: SystemTime) -> u64 {
    now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()) / 86_400
}

fn stamp(now: SystemTime) -> String {
    let slot = day(now) % STAMP_SLOTS;
    [slot >> 5, slot & 31]
        .iter()
        .map(|&i| char::from(STAMP_CHARS[i as usize]))
        .collect()
}

fn check_stamp(stamp: &str, now: SystemTime, max_age: u64) -> Result<(), SrsError> {
    if stamp.len() != 2 {
        return Err(SrsError::Malformed);
    }
    let mut then = 0u64;
    for c in stamp.bytes() {
        let value = STAMP_CHARS
            .iter()
            .position(|&s| s == c.to_ascii_uppercase())
            .ok_or(SrsError::Malformed)?;
        then = (then << 5) | value as u64;
    }
    let today = day(now) % STAMP_SLOTS;
    // Days since the stamp, across the cycle's wrap.
    let age = (today + STAMP_SLOTS - then) % STAMP_SLOTS;
    if age <= max_age {
        Ok(())
    } else {
        Err(SrsError::Expired)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// PostSRSd's unit test (tests/unit/test_srs2.c): secret `tops3cr3t`,
    /// 2020-01-01 00:01:00 UTC.
    fn postsrsd() -> (Srs, SystemTime) {
        (
            Srs::new(&["tops3cr3t"], DEFAULT_MAX_AGE_DAYS).unwrap(),
            UNIX_EPOCH + Duration::from_secs(1_577_836_860),
        )
    }

    #[test]
    fn matches_postsrsds_published_vector() {
        let (srs, now) = postsrsd();
        assert_eq!(
            srs.forward("test@otherdomain.com", "example.com", now)
                .unwrap(),
            "SRS0=vmyz=2W=otherdomain.com=test@example.com"
        );
        assert_eq!(
            srs.forward("test@example.com", "example.com", now).unwrap(),
            "test@example.com"
        );
        assert_eq!(
            srs.reverse("SRS0=vmyz=2W=otherdomain.com=test@example.com", now)
                .unwrap(),
            "test@otherdomain.com"
        );
        assert_eq!(
            srs.forward("foo", "example.com", now),
            Err(SrsError::NoDomain)
        );
    }

    #[test]
    fn the_hash_is_checked_without_regard_to_case() {
        let (srs, now) = postsrsd();
        assert_eq!(
            srs.reverse("srs0=VMYZ=2w=OtherDomain.com=Test@example.com", now)
                .unwrap(),
            "Test@OtherDomain.com"
        );
    }

    #[test]
    fn forged_and_expired_addresses_are_refused() {
        let (srs, now) = postsrsd();
        assert_eq!(
            srs.reverse("SRS0=vmyy=2W=otherdomain.com=test@example.com", now),
            Err(SrsError::Forged)
        );
        assert_eq!(
            srs.reverse("SRS0=vmyz=2W=otherdomain.com=ceo@example.com", now),
            Err(SrsError::Forged)
        );
        let later = now + Duration::from_secs(22 * 86_400);
        assert_eq!(
            srs.reverse("SRS0=vmyz=2W=otherdomain.com=test@example.com", later),
            Err(SrsError::Expired)
        );
        let in_time = now + Duration::from_secs(21 * 86_400);
        assert!(
            srs.reverse("SRS0=vmyz=2W=otherdomain.com=test@example.com", in_time)
                .is_ok()
        );
        assert_eq!(srs.reverse("test@example.com", now), Err(SrsError::NotSrs));
        assert_eq!(
            srs.reverse("SRS0=vmyz=2W@example.com", now),
            Err(SrsError::Malformed)
        );
        assert_eq!(
            srs.reverse("SRS0=vmyé=2W=otherdomain.com=test@example.com", now),
            Err(SrsError::Forged)
        );
    }

    #[test]
    fn an_old_secret_still_verifies_after_rotation() {
        let (old, now) = postsrsd();
        let rotated = Srs::new(&["n3w-s3cr3t", "tops3cr3t"], DEFAULT_MAX_AGE_DAYS).unwrap();
        let address = old
            .forward("test@otherdomain.com", "example.com", now)
            .unwrap();
        assert_eq!(
            rotated.reverse(&address, now).unwrap(),
            "test@otherdomain.com"
        );
        let signed = rotated
            .forward("test@otherdomain.com", "example.com", now)
            .unwrap();
        assert_ne!(signed, address, "the first secret signs");
        assert_eq!(old.reverse(&signed, now), Err(SrsError::Forged));
    }

    #[test]
    fn a_second_forwarder_writes_srs1_and_its_bounce_goes_to_the_first() {
        let (first, now) = postsrsd();
        let second = Srs::new(&["an0ther"], DEFAULT_MAX_AGE_DAYS).unwrap();
        let once = first
            .forward("test@otherdomain.com", "example.com", now)
            .unwrap();
        let twice = second.forward(&once, "forwarder.net", now).unwrap();
        assert!(
            twice.starts_with("SRS1=")
                && twice.ends_with("=example.com==vmyz=2W=otherdomain.com=test@forwarder.net"),
            "{twice}"
        );
        // A third forwarder keeps the first hop and rehashes.
        let thrice = second.forward(&twice, "third.org", now).unwrap();
        assert!(
            thrice.ends_with("=example.com==vmyz=2W=otherdomain.com=test@third.org"),
            "{thrice}"
        );
        let back = second.reverse(&twice, now).unwrap();
        assert_eq!(back, once);
        assert_eq!(first.reverse(&back, now).unwrap(), "test@otherdomain.com");
        assert_eq!(first.reverse(&twice, now), Err(SrsError::Forged));
    }

    #[test]
    fn the_stamp_wraps_around_its_cycle() {
        let (srs, _) = postsrsd();
        // Day 1023 of a cycle, then day 2 of the next.
        let end = UNIX_EPOCH + Duration::from_secs(1023 * 86_400);
        let address = srs.forward("a@b.example", "example.com", end).unwrap();
        let after = end + Duration::from_secs(3 * 86_400);
        assert!(srs.reverse(&address, after).is_ok());
    }
}
