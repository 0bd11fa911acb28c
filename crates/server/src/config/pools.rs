//! `[pools.<name>]`: the outbound pools (DESIGN §3), each a set of source
//! addresses with an EHLO name, and the senders (addresses or domains)
//! given a pool of their own. `normal`, `high-risk` and `relay` always
//! exist; unconfigured, they leave from `[outbound]`'s address and name.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::error::{ConfigError, line_of};
use super::outbound::Outbound;

/// The pool of everything no rule sends elsewhere.
pub const NORMAL: &str = "normal";
/// The pool of risky mail: spam verdicts, our own notices, senders whose
/// domain does not resolve.
pub const HIGH_RISK: &str = "high-risk";
/// The pool of forwarded or relayed mail whose sender cannot be validated.
pub const RELAY: &str = "relay";

/// `[pools.<name>]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPool {
    pub source: Option<Vec<IpAddr>>,
    pub ehlo: Option<String>,
    pub senders: Option<Vec<String>>,
}

/// One outbound pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pool {
    /// Its name, as recorded in the trace.
    pub name: String,
    /// The addresses mail of the pool leaves from (IPv4 and IPv6); empty:
    /// the system's choice.
    pub sources: Vec<IpAddr>,
    /// The name it gives in EHLO.
    pub ehlo: String,
}

impl Pool {
    /// The source for one message: one address per family, the same one
    /// for every attempt of a message (`key`, e.g. a hash of its id), and
    /// the messages spread over the pool's addresses.
    pub fn source(&self, key: u64) -> delivery::Source {
        let v4: Vec<_> = self
            .sources
            .iter()
            .filter_map(|ip| match ip {
                IpAddr::V4(v4) => Some(*v4),
                IpAddr::V6(_) => None,
            })
            .collect();
        let v6: Vec<_> = self
            .sources
            .iter()
            .filter_map(|ip| match ip {
                IpAddr::V6(v6) => Some(*v6),
                IpAddr::V4(_) => None,
            })
            .collect();
        let pick = |n: usize| usize::try_from(key % n.max(1) as u64).unwrap_or(0);
        delivery::Source {
            v4: v4.get(pick(v4.len())).copied(),
            v6: v6.get(pick(v6.len())).copied(),
        }
    }
}

/// Every pool, and the senders given one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pools {
    pools: BTreeMap<String, Pool>,
    /// A lowercased sender address or domain → its pool.
    assigned: BTreeMap<String, String>,
}

impl Pools {
    /// The pool named `name`.
    pub fn get(&self, name: &str) -> Option<&Pool> {
        self.pools.get(name)
    }

    /// The `normal` pool, which always exists.
    pub fn normal(&self) -> &Pool {
        self.pools
            .get(NORMAL)
            .expect("parse() always defines the normal pool")
    }

    /// The pool given to `key`, a lowercased sender address or domain.
    pub fn assigned(&self, key: &str) -> Option<&str> {
        self.assigned.get(key).map(String::as_str)
    }

    /// The pools, by name.
    pub fn iter(&self) -> impl Iterator<Item = &Pool> {
        self.pools.values()
    }

    /// The senders (lowercased addresses and domains) given the pool named
    /// `pool` by its `senders` key, in order.
    pub fn senders<'a>(&'a self, pool: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.assigned
            .iter()
            .filter(move |(_, name)| name.as_str() == pool)
            .map(|(sender, _)| sender.as_str())
    }
}

/// Validates `[pools]`; `outbound` gives the defaults.
pub(super) fn parse(
    raw: BTreeMap<String, Spanned<RawPool>>,
    outbound: &Outbound,
    text: &str,
    path: &Path,
) -> Result<Pools, ConfigError> {
    let default_pool = |name: &str| Pool {
        name: name.to_owned(),
        sources: outbound.source.into_iter().collect(),
        ehlo: outbound.ehlo.clone(),
    };
    let mut pools: BTreeMap<String, Pool> = [NORMAL, HIGH_RISK, RELAY]
        .into_iter()
        .map(|name| (name.to_owned(), default_pool(name)))
        .collect();
    let mut assigned = BTreeMap::new();
    for (name, spanned) in raw {
        let line = Some(line_of(text, spanned.span().start));
        let invalid = |key: &str, reason: String| ConfigError::Invalid {
            path: path.to_owned(),
            key: format!("pools.{name}{key}"),
            line,
            reason,
        };
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(invalid(
                "",
                "a pool's name is lowercase letters, digits and hyphens".into(),
            ));
        }
        let pool = spanned.into_inner();
        let mut defined = default_pool(&name);
        if let Some(sources) = pool.source {
            if sources
                .iter()
                .any(|ip| ip.is_unspecified() || ip.is_multicast())
            {
                return Err(invalid(
                    ".source",
                    "a source address must be one of this host's unicast addresses".into(),
                ));
            }
            defined.sources = sources;
        }
        if let Some(ehlo) = pool.ehlo {
            if ehlo.is_empty() || ehlo.contains(|c: char| c.is_whitespace() || c.is_control()) {
                return Err(invalid(
                    ".ehlo",
                    format!("{} is not a host name", smtp::quoted(&ehlo)),
                ));
            }
            defined.ehlo = ehlo;
        }
        for sender in pool.senders.unwrap_or_default() {
            let key = sender.trim_end_matches('.').to_ascii_lowercase();
            let well_formed = match key.rsplit_once('@') {
                Some((local, domain)) => !local.is_empty() && !domain.is_empty(),
                None => !key.is_empty(),
            };
            if !well_formed || key.contains(char::is_whitespace) {
                return Err(invalid(
                    ".senders",
                    format!(
                        "{} is neither a sender address nor a domain",
                        smtp::quoted(&sender)
                    ),
                ));
            }
            if let Some(other) = assigned.insert(key, name.clone()) {
                return Err(invalid(
                    ".senders",
                    format!(
                        "{} is already given to pool {}",
                        smtp::quoted(&sender),
                        smtp::quoted(&other)
                    ),
                ));
            }
        }
        pools.insert(name, defined);
    }
    Ok(Pools { pools, assigned })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("test.toml"))
    }

    #[test]
    fn the_three_pools_exist_on_the_default_source_until_configured() {
        let config = parse("[outbound]\nehlo = \"out.example\"\nsource = \"192.0.2.7\"\n").unwrap();
        for name in [NORMAL, HIGH_RISK, RELAY] {
            let pool = config.pools.get(name).unwrap();
            assert_eq!(pool.sources, ["192.0.2.7".parse::<IpAddr>().unwrap()]);
            assert_eq!(pool.ehlo, "out.example");
        }
        let config = parse(
            "[pools.high-risk]\nsource = [\"192.0.2.9\", \"2001:db8::9\"]\nehlo = \"risk.example\"\n\n\
             [pools.bulk]\nsenders = [\"News.Example\", \"ceo@corp.example\"]\n",
        )
        .unwrap();
        assert_eq!(config.pools.get(HIGH_RISK).unwrap().sources.len(), 2);
        assert_eq!(config.pools.get(HIGH_RISK).unwrap().ehlo, "risk.example");
        assert_eq!(config.pools.assigned("news.example"), Some("bulk"));
        assert_eq!(config.pools.assigned("ceo@corp.example"), Some("bulk"));
        assert_eq!(
            config.pools.senders("bulk").collect::<Vec<_>>(),
            ["ceo@corp.example", "news.example"]
        );
        assert_eq!(config.pools.senders(NORMAL).count(), 0);
        assert!(config.pools.get(NORMAL).unwrap().sources.is_empty());
    }

    #[test]
    fn a_sender_in_two_pools_or_a_bad_name_is_refused_with_its_line() {
        let e =
            parse("[pools.a]\nsenders = [\"x.example\"]\n[pools.b]\nsenders = [\"X.example\"]\n")
                .unwrap_err()
                .to_string();
        assert!(e.contains("test.toml:3: pools.b.senders"), "{e}");
        assert!(e.contains("already given to pool \"a\""), "{e}");
        let e = parse("[pools.Bad_Name]\n").unwrap_err().to_string();
        assert!(e.contains("lowercase letters"), "{e}");
    }

    #[test]
    fn messages_spread_over_a_pools_addresses_one_per_family() {
        let pool = Pool {
            name: "normal".into(),
            sources: ["192.0.2.1", "2001:db8::1", "192.0.2.2"]
                .iter()
                .map(|s| s.parse().unwrap())
                .collect(),
            ehlo: "out.example".into(),
        };
        let first = pool.source(0);
        let second = pool.source(1);
        assert_eq!(first.v4, Some("192.0.2.1".parse().unwrap()));
        assert_eq!(second.v4, Some("192.0.2.2".parse().unwrap()));
        assert_eq!(first.v6, second.v6);
        assert_eq!(first.v6, Some("2001:db8::1".parse().unwrap()));
    }
}
