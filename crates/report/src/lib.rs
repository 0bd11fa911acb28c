//! The reports Sealane writes about mail it handled.
//!
//! It owns the delivery status notification (RFC 3461/3464, a
//! `multipart/report; report-type=delivery-status` message): the failure
//! notice (NDR) sent when a recipient bounces or expires, the delay notice
//! and the success notice asked for with `NOTIFY=SUCCESS`; their human part
//! names the cause with the `policy` trouble table's text (passed in by the
//! caller, never written here) and the machine part carries the RFC 3464
//! fields.
//!
//! It owns SMTP TLS reporting (RFC 8460, [`tlsrpt`]): the `_smtp._tls`
//! record grammar (shared with the checker), the daily aggregate report
//! built from the session counts the queue keeps, its JSON and gzip forms,
//! and the report mail; and the reporting URIs ([`uri`]).
//!
//! It owns DMARC aggregate reporting (RFC 7489 §7.2, [`dmarc`]): the
//! daily report we send a Domain Owner (Appendix C XML from the rows the
//! queue counts, gzip, the report mail), and the reports receivers send
//! us: XML, gzip, zip or a report mail, bounded, kept, and summarised per
//! source address.
//!
//! It does not decide who gets a notice or when (the daemon's workers do),
//! nor what a failure means (`policy`), nor count sessions or messages
//! (`queue`), nor where a DMARC report may go (`auth`).

pub mod dmarc;
pub mod dsn;
pub mod tlsrpt;
pub mod uri;
