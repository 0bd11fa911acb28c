//! DMARC aggregate reports (RFC 7489 §7.2 and Appendix C).
//!
//! Those receivers send to a domain's `rua`: read from a file or a
//! report mail — XML, gzip, zip, or a mail carrying one of them — within
//! size limits, with mail-auth's parser ([`read`]); summarised per source
//! address with its disposition and alignment ([`summarise`]); and kept
//! when they arrive at our report address ([`receive_mail`]).
//!
//! Those we send: the day's counted rows of a Domain Owner written as
//! Appendix C XML ([`to_xml`]), gzip-compressed, in the report mail of
//! §7.2.1.1 ([`build_mail`]). Who gets them (`rua` and the external
//! destination check of §7.1) is the `auth` crate's; when, the daemon's.

mod aggregate;
mod combined;
mod mail;
mod read;
mod receive;
mod summary;

pub use aggregate::{DmarcReporter, PublishedPolicy, date_range, report_id, to_xml};
pub use combined::{DomainSources, ReceivedDmarcSummary, SourceTotal, combine};
pub use mail::{DmarcReportMail, build_mail, compress, file_name};
pub use mail_auth::report::Report;
pub use read::{DmarcReadError, MAX_DMARC_REPORT_SIZE, read};
pub use receive::{DmarcReceiveError, ReceivedDmarc, receive_mail, received, to_store};
pub use summary::{DmarcSummary, SourceRow, summarise};
