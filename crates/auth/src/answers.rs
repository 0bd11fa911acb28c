//! TXT answers from Sealane's resolver, handed to mail-auth.
//!
//! mail-auth's verifiers read DNS through caches they are given before they
//! ask a resolver of their own. For DKIM keys (and DMARC records) the names
//! are known before verification starts, so [`Answers`] asks them through
//! our resolver first and mail-auth only ever reads this cache. The
//! resolver mail-auth is built with ([`offline`]) has no servers at all: a
//! name we did not prefetch fails as a temporary error and never leaves the
//! machine.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, OnceLock};

use dns::{DnssecStatus, Resolver};
use mail_auth::common::parse::TxtRecordParser;
use mail_auth::hickory_resolver::TokioResolver;
use mail_auth::hickory_resolver::config::ResolverConfig;
use mail_auth::hickory_resolver::net::runtime::TokioRuntimeProvider;
use mail_auth::hickory_resolver::proto::op::ResponseCode;
use mail_auth::{MessageAuthenticator, ResolverCache, Txt};

/// A mail-auth authenticator whose own resolver has no servers, built once
/// (building one costs more than verifying a signature).
pub(crate) fn offline() -> &'static MessageAuthenticator {
    static OFFLINE: OnceLock<MessageAuthenticator> = OnceLock::new();
    OFFLINE.get_or_init(|| {
        let config = ResolverConfig::from_parts(None, vec![], vec![]);
        let resolver = TokioResolver::builder_with_config(config, TokioRuntimeProvider::default())
            .build()
            // Invariant: building needs no I/O and an empty server list is valid.
            .expect("a resolver without servers builds");
        MessageAuthenticator(resolver)
    })
}

/// What our resolver said about one TXT name.
#[derive(Clone)]
pub(crate) struct Fetched {
    /// The parsed record for mail-auth, or the error it should see.
    pub(crate) txt: Txt,
    /// The DNSSEC status, when there was an answer.
    pub(crate) dnssec: Option<DnssecStatus>,
}

/// Prefetched TXT answers, keyed by lower-case FQDN with its trailing dot.
#[derive(Default)]
pub(crate) struct Answers {
    map: Mutex<HashMap<Box<str>, Txt>>,
    fetched: Mutex<HashMap<Box<str>, Arc<Fetched>>>,
}

impl Answers {
    /// Asks `name` through `resolver`, parsing the first TXT record that
    /// parses as `T` (as mail-auth does), unless already asked.
    pub(crate) async fn fetch<T>(&self, resolver: &Resolver, name: &str) -> Arc<Fetched>
    where
        T: TxtRecordParser + Into<Txt>,
    {
        let key = fqdn(name);
        if let Some(found) = self.lock_fetched().get(&key) {
            return found.clone();
        }
        let fetched = Arc::new(ask::<T>(resolver, &key).await);
        self.lock_map().insert(key.clone(), fetched.txt.clone());
        self.lock_fetched().insert(key, fetched.clone());
        fetched
    }

    /// What was fetched for `name`, if it was.
    pub(crate) fn fetched(&self, name: &str) -> Option<Arc<Fetched>> {
        self.lock_fetched().get(&fqdn(name)).cloned()
    }

    fn lock_map(&self) -> std::sync::MutexGuard<'_, HashMap<Box<str>, Txt>> {
        // Invariant: no code panics while holding this lock.
        self.map.lock().expect("answers lock is never poisoned")
    }

    fn lock_fetched(&self) -> std::sync::MutexGuard<'_, HashMap<Box<str>, Arc<Fetched>>> {
        // Invariant: no code panics while holding this lock.
        self.fetched.lock().expect("answers lock is never poisoned")
    }
}

fn fqdn(name: &str) -> Box<str> {
    let mut key = name.to_ascii_lowercase();
    if !key.ends_with('.') {
        key.push('.');
    }
    key.into_boxed_str()
}

async fn ask<T: TxtRecordParser + Into<Txt>>(resolver: &Resolver, key: &str) -> Fetched {
    let temp = |problem: String| Fetched {
        txt: Txt::Error(mail_auth::Error::Dns(mail_auth::DnsError::Resolver(
            problem,
        ))),
        dnssec: None,
    };
    let name = match Resolver::parse_name(key) {
        Ok(name) => name,
        Err(_) => {
            return Fetched {
                txt: Txt::Error(mail_auth::Error::ParseError),
                dnssec: None,
            };
        }
    };
    let lookup = match resolver.txt(&name).await {
        Ok(lookup) => lookup,
        Err(e) => return temp(e.to_string()),
    };
    if lookup.status == DnssecStatus::Bogus {
        let mut fetched = temp(format!("{key} TXT: DNSSEC-bogus answer"));
        fetched.dnssec = Some(lookup.status);
        return fetched;
    }
    let code = match lookup.absence {
        Some(dns::Absence::NxDomain) => Some(ResponseCode::NXDomain),
        Some(dns::Absence::NoData) => Some(ResponseCode::NoError),
        None => None,
    };
    let txt = match code {
        Some(code) => Txt::Error(mail_auth::Error::Dns(mail_auth::DnsError::RecordNotFound(
            code,
        ))),
        None => {
            let mut parsed = Err(mail_auth::Error::Dns(
                mail_auth::DnsError::InvalidRecordType,
            ));
            for record in &lookup.records {
                parsed = T::parse(record.joined().as_bytes());
                if parsed.is_ok() {
                    break;
                }
            }
            match parsed {
                Ok(record) => record.into(),
                Err(e) => Txt::Error(e),
            }
        }
    };
    Fetched {
        txt,
        dnssec: Some(lookup.status),
    }
}

impl ResolverCache<Box<str>, Txt> for Answers {
    fn get<Q>(&self, name: &Q) -> Option<Txt>
    where
        Box<str>: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.lock_map().get(name).cloned()
    }

    fn remove<Q>(&self, name: &Q) -> Option<Txt>
    where
        Box<str>: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.lock_map().remove(name)
    }

    fn insert(&self, key: Box<str>, value: Txt, _valid_until: std::time::Instant) {
        self.lock_map().insert(key, value);
    }
}
