//! A simulated internet for Sealane's tests and for `sealane demo`.
//!
//! The test world owns the peers that Sealane talks to, run on loopback:
//! today an authoritative DNS server serving zones that are signed when the
//! world is built (a private root with its own trust anchor, signed and
//! unsigned children, NSEC and NSEC3 denial), with chosen breakages: expired
//! or not-yet-valid signatures, missing signatures, a DS that matches no key,
//! SERVFAIL and silence. SMTP receivers and HTTPS policy hosts join it with the
//! delivery issues. It owns nothing of the product: it never decides whether
//! an answer is secure — that is the `dns` crate's job, and the test world is
//! what that job is checked against.

pub mod dns;
