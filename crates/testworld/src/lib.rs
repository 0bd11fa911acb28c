//! A simulated internet for Sealane's tests and for `sealane demo`.
//!
//! The test world owns the peers that Sealane talks to, run on loopback:
//! an authoritative DNS server serving zones that are signed when the world
//! is built (a private root with its own trust anchor, signed and unsigned
//! children, NSEC and NSEC3 denial), with chosen breakages: expired or
//! not-yet-valid signatures, missing signatures, a DS that matches no key,
//! SERVFAIL and silence; SMTP receivers on `127.0.0.x` with chosen
//! behaviours (no STARTTLS, a failing STARTTLS, expired, wrong-name or
//! replayed certificates, 4xx/5xx at any step, slow replies, dropped
//! connections) that record what they receive; HTTPS MTA-STS policy hosts
//! for `mta-sts.<domain>` with chosen behaviours (redirects, other statuses
//! and media types, oversized bodies and lying `Content-Length`, bad
//! certificates, slowness, dropped connections) that record and count
//! their requests; a fresh PostgreSQL database per test on a private
//! cluster (`postgres`); and a test CA that issues their certificates (roots
//! with distinct names, intermediates, chosen validity). It owns nothing of
//! the product: it never decides whether an answer is secure, a
//! certificate good enough or a policy acceptable — that is the `dns`,
//! `tls` and `policy` crates' job, and the test world is what that job is
//! checked against.

pub mod ca;
pub mod demo;
pub mod dns;
pub mod https;
mod identity;
pub mod net;
pub mod postgres;
mod record;
mod server_thread;
pub mod smtp;

pub use identity::Identity;
