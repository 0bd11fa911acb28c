//! SMTP TLS reporting (RFC 8460): the `v=TLSRPTv1` record that asks for
//! reports (§3), the daily aggregate report and its JSON (§4), its gzip
//! form (§5.1) and the mail that carries it (§5.3).

mod aggregate;
pub mod datetime;
mod gzip;
mod model;
mod record;

pub use aggregate::{Reporter, build, day_text, report_id};
pub use gzip::{MAX_REPORT_SIZE, ReadError, compress, read};
pub use model::{DateRange, FailureDetails, Policy, PolicyResult, PolicyType, Report, Summary};
pub use record::{TlsRptError, TlsRptRecord, is_tlsrpt, looks_like_tlsrpt};
