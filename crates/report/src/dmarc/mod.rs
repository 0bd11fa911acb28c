//! DMARC aggregate reports (RFC 7489 §7.2 and Appendix C) that receivers
//! send to a domain's `rua`: read from a file or a report mail — XML,
//! gzip, zip, or a mail carrying one of them — within size limits, with
//! mail-auth's parser ([`read`]); and summarised per source address with
//! its disposition and alignment ([`summarise`]).

mod read;
mod summary;

pub use mail_auth::report::Report;
pub use read::{DmarcReadError, MAX_DMARC_REPORT_SIZE, read};
pub use summary::{DmarcSummary, SourceRow, summarise};
