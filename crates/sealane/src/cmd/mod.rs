//! One module per subcommand, plus the options they share.

pub mod auth;
mod auth_oneshot_text;
mod auth_text;
pub mod check;
mod check_text;
pub mod config;
pub mod deliver;
pub mod demo;
mod demo_text;
pub mod dkim;
pub mod dns;
mod endpoint;
pub mod limits;
pub mod mta_sts;
pub mod publish;
pub mod queue;
mod queue_text;
pub mod report;
pub mod report_dmarc;
pub mod report_store;
pub mod resolver;
pub mod route;
mod route_text;
pub mod sendmail;
pub mod serve;
pub mod tlsa;
pub mod user;
