//! The domain posture checker and record generators (the inbound side).
//!
//! This crate owns the questions a domain owner asks about their own
//! domain — can senders reach me securely, and do receivers believe mail
//! that claims to be from me? — answered as [`Finding`]s with a severity,
//! the evidence (including the DNSSEC status of every answer it rests on)
//! and a remedy. It holds the record analyzers for SPF ([`check_spf`]),
//! DMARC ([`check_dmarc`]) and TLS-RPT ([`check_tlsrpt`]) and a DKIM selector's key
//! record ([`check_dkim`]), each reading its
//! TXT records through the `dns` crate's validating resolver; the
//! transport-security areas — MX ([`check_mx`]), DNSSEC with the cause of
//! a bogus answer ([`check_dnssec`]), DANE ([`check_dane`]) and MTA-STS
//! ([`check_mta_sts`]) — read the delivery plan and the delivery probe
//! that `sealane route` makes (the `policy` and `delivery` crates' own code
//! paths), so the checker and delivery never disagree; [`Checker`] puts it
//! all together per domain, and [`batch`] checks thousands at once. It also
//! generates what a domain should publish ([`publish`]: MTA-STS, TLS-RPT,
//! TLSA and SPF records and the MTA-STS policy file) and serves that
//! policy ([`sts_host`], behind `sealane mta-sts serve`). It does not
//! deliver mail, decide what TLS a delivery requires (the `policy` crate
//! does) or evaluate SPF/DMARC for incoming messages (the `auth` crate
//! will); it reports what a receiver or a sender would conclude.

pub mod batch;
mod dane;
mod dkim;
mod dmarc;
mod dnssec;
mod finding;
mod mtasts;
mod mx;
mod names;
mod posture;
pub mod publish;
mod spf;
pub mod sts_host;
mod text;
mod tlsrpt;
mod txt;
use report::uri;
mod verdict;

pub use dane::check_dane;
pub use dkim::check_dkim;
pub use dmarc::{
    Alignment, DmarcError, DmarcRecord, DmarcUri, PolicyPlacement, RequestedPolicy, check_dmarc,
    is_dmarc,
};
pub use dnssec::check_dnssec;
pub use finding::{Area, Detail, Finding, Severity, worst};
pub use mtasts::check_mta_sts;
pub use mx::check_mx;
pub use posture::{Checker, DomainReport, JsonReport};
pub use spf::{
    Crossing, LOOKUP_LIMIT, MX_HOST_LIMIT, Mechanism, Qualifier, RecordNode, SpfRecord, SpfTree,
    Term, TermError, TermKind, TermNode, VOID_LIMIT, check_spf, is_spf,
};
pub use tlsrpt::{TlsRptError, TlsRptRecord, check_tlsrpt, is_tlsrpt};
pub use uri::{ReportUri, Scheme};
pub use verdict::verdict_finding;
