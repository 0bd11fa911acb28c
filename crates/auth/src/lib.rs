//! Sender authentication for Sealane.
//!
//! This crate owns what Sealane concludes about who sent a message: SPF
//! (RFC 7208) for the HELO and MAIL FROM identities with a record of every
//! DNS question asked, DKIM verification (RFC 6376, RFC 8463, with the RFC
//! 8301 minimums), DKIM signing, ARC verification and sealing (RFC 8617), DMARC (RFC 7489, organizational domains
//! from the Public Suffix List) and the `Authentication-Results` header
//! field (RFC 8601) with our authserv-id, removing forged ones, and the
//! Sender Rewriting Scheme for forwarded mail (`srs`). Every question goes through Sealane's own
//! DNSSEC-validating resolver (the `dns` crate): a DNSSEC-bogus answer is
//! never evidence. Record grammars, macro expansion and cryptography are
//! mail-auth's.
//!
//! It does not decide what a result means for a message (accept, reject,
//! quarantine — that is the server's policy), and knows nothing of SMTP
//! sessions or the queue.

mod answers;
pub mod arc;
pub mod arc_seal;
pub mod dkim;
pub mod dmarc;
pub mod dmarc_rua;
pub mod results;
pub mod spf;
pub mod srs;

pub use arc::{ArcHop, ArcResult, ArcVerdict};
pub use arc_seal::{ArcSealer, SealError, SealInput};
pub use dkim::{DkimKey, DkimResult, DkimSigner, DkimVerdict};
pub use dmarc::{DmarcResult, DmarcVerdict, Policy};
pub use results::{Checked, header as authentication_results, strip_ours};
pub use spf::{Identity, LookupStep, SpfInput, SpfResult, SpfVerdict, check_helo, check_mail_from};
pub use srs::{Srs, SrsError};
