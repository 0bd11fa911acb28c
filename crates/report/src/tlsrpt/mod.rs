//! SMTP TLS reporting (RFC 8460): the `v=TLSRPTv1` record that asks for
//! reports (§3), the daily aggregate report and its JSON (§4), its gzip
//! form (§5.1), the mail that carries it (§5.3) and its HTTPS upload
//! (§5.4); and reading the reports others send us (§5.3, §5.4), kept per
//! policy domain and summarised.

mod aggregate;
pub mod datetime;
mod discover;
mod gzip;
mod mail;
mod model;
mod receive;
mod received;
mod record;
mod upload;

pub use aggregate::{Reporter, build, day_text, parse_day, report_id};
pub use discover::{DiscoveryError, discover};
pub use gzip::{MAX_REPORT_SIZE, ReadError, compress, read};
pub use mail::{
    GZIP_MEDIA_TYPE, ReportMail, build_mail, file_name, read_mail, read_mail_with_domain,
};
pub use model::{DateRange, FailureDetails, Policy, PolicyResult, PolicyType, Report, Summary};
pub use receive::{
    MAX_MAIL_SIZE, ReceiveError, Received, keep, parse_mail, parse_post, receive_mail,
    receive_post, split,
};
pub use received::{DayWithFailures, PolicySummary, ReceivedSummary, ResultCount, summarise};
pub use record::{TlsRptError, TlsRptRecord, is_tlsrpt, looks_like_tlsrpt};
pub use upload::{UploadError, upload};
