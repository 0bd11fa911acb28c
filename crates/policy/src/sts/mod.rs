//! MTA-STS (RFC 8461): discovering a domain's policy through its
//! `_mta-sts` TXT record ([`discover`]), fetching it over HTTPS with WebPKI
//! validation ([`fetch()`]), parsing it ([`Policy`]), matching MX hosts
//! against its patterns ([`MxPattern`]), and keeping it in a persistent
//! cache ([`PolicyStore`], kept by the queue's store or a [`PolicyCache`]) that [`StsPolicies`] consults and refreshes as
//! RFC 8461 §5.1 describes, counting its fetches and cache hits
//! ([`StsPolicies::stats`]).
//!
//! What an `enforce` or `testing` policy means for a connection (which TLS
//! requirement an MX host gets) is the delivery plan's business; this module
//! only says which policy is in force and where it came from.

mod cache;
mod discover;
mod error;
mod fetch;
mod pattern;
mod policy;
mod record;
mod resolve;
mod response;
mod stats;
mod store;

pub use cache::PolicyCache;
pub use discover::{Discovery, discover, judge, record_name};
pub use error::{FetchError, StsResultType};
pub use fetch::{
    DEFAULT_TIMEOUT, FetchOptions, Fetched, WELL_KNOWN_PATH, WebPkiStream, connect_webpki, fetch,
    policy_host,
};
pub use pattern::{MxPattern, PatternError};
pub use policy::{MAX_AGE_LIMIT, Mode, Policy, PolicyError};
pub use record::{RecordError, StsRecord, is_candidate};
pub use resolve::{
    AppliedPolicy, FetchAttempt, NetworkSource, Origin, StsAnswer, StsConfig, StsPolicies,
    StsSource,
};
pub use response::{
    BodyLimit, MAX_POLICY_SIZE, check_content_length, check_content_type, check_status,
};
pub use stats::StsStats;
pub use store::{
    CacheEntry, CacheError, CachedPolicy, FailedFetch, PolicyStore, domain_key, mx_column,
    policy_from_columns,
};
