//! The daemon's configuration, in two stages (DESIGN §6): [`raw`] reads the
//! TOML as written (unknown keys are errors), [`Config::parse`] turns it into
//! the validated form the rest of the daemon uses. An empty file is the
//! embedded default: data in `./sealane-data`, submission on
//! 127.0.0.1:2525, loopback clients may relay.

mod admin;
mod arc;
mod auth;
mod dkim;
mod dmarc_report;
mod error;
mod forward;
mod masked;
mod outbound;
mod period;
mod pools;
mod raw;
mod sending;
mod spam;
mod store;
mod tls_report;

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use ipnet::IpNet;
use policy::PlanOptions;

pub use admin::{AdminSettings, DEFAULT_LISTEN as DEFAULT_ADMIN_LISTEN};
pub use arc::ArcSettings;
pub use auth::{AuthSettings, DmarcAction, QuarantineAction};
pub use dkim::{SigningKey, key_for as dkim_key_for};
pub use dmarc_report::DmarcReportSettings;
pub use error::ConfigError;
pub use forward::{Forwarding, SrsSettings};
pub use masked::MASK;
pub use outbound::Outbound;
pub use period::{Period, PeriodError};
pub use pools::{HIGH_RISK, NORMAL, Pool, Pools, RELAY};
use raw::{RawConfig, RawDelayNotice, RawRelayTls, RawRole};
pub use sending::{DOMAIN_DEFAULT, SendingLimitSettings, USER_DEFAULT};
pub use spam::{SpamSettings, WhenDown};
pub use store::{PasswordSource, StoreSettings};
pub use tls_report::{DEFAULT_MAX_DESTINATIONS, TlsReportSettings};

/// The validated configuration.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// Our host name: the EHLO name, the `Received:` `by` name and the
    /// Reporting-MTA of DSNs.
    pub hostname: String,
    /// Where the queue, the MTA-STS cache and the Maildirs of the lab
    /// domains live.
    pub data_dir: PathBuf,
    /// The SMTP listeners.
    pub listeners: Vec<Listener>,
    /// The server certificate and key (PEM), reloaded when they change.
    pub tls: Option<TlsFiles>,
    /// Accepted domains and where their mail goes.
    pub domains: BTreeMap<String, LocalDomain>,
    /// Users who may authenticate (AUTH PLAIN/LOGIN after TLS).
    pub users: Vec<User>,
    /// Clients in these networks may relay without authenticating.
    pub relay_networks: Vec<IpNet>,
    /// DNS servers (empty: /etc/resolv.conf) and trust anchors.
    pub dns: DnsSettings,
    /// Extra WebPKI roots (PEM) trusted beside the public ones.
    pub webpki_extra_roots: Option<PathBuf>,
    /// Local policy per destination domain (DESIGN §2): raises the bar.
    pub local_policy: BTreeMap<String, PlanOptions>,
    /// Where the queue lives (`[store]`): SQLite in the data directory, or
    /// PostgreSQL shared by several nodes.
    pub store: StoreSettings,
    /// How long a claimed recipient stays leased (`[queue]`).
    pub queue: QueueSettings,
    /// When to try again, and when to give up.
    pub retry: RetryPolicy,
    /// Limits on what clients send and on delivery concurrency.
    pub limits: Limits,
    /// How we connect out.
    pub outbound: Outbound,
    /// TLS reporting (RFC 8460).
    pub tls_report: TlsReportSettings,
    /// DMARC aggregate reporting (RFC 7489 §7.2, `[dmarc_report]`).
    pub dmarc_report: DmarcReportSettings,
    /// Sender authentication on the MX listener (`[auth]`).
    pub auth: AuthSettings,
    /// The outbound pools and the senders given one (`[pools]`).
    pub pools: Pools,
    /// Forwarding rules and SRS (`[forward]`, `[srs]`).
    pub forwarding: Forwarding,
    /// DKIM keys for the mail we write ourselves (`[[dkim.sign]]`).
    pub dkim_sign: Vec<SigningKey>,
    /// ARC sealing of mail we pass on (`[arc]`); `None`: nothing is sealed.
    pub arc: Option<ArcSettings>,
    /// Sending limits per authenticated user and sender domain
    /// (`[sending_limits]`).
    pub sending_limits: SendingLimitSettings,
    /// The spam filter (`[spam]`, rspamd); `None`: no filter.
    pub spam: Option<SpamSettings>,
    /// The web console and API (`[admin]`); `None`: no admin listener.
    pub admin: Option<AdminSettings>,
    /// The file as written, as JSON, its secrets masked: what the console
    /// and `GET /api/v1/config` show.
    pub shown: serde_json::Value,
}

/// What a listener is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Port 25: mail for accepted domains from anywhere; relaying only for
    /// the relay networks and authenticated users.
    Mx,
    /// Port 587 (RFC 6409): submission with STARTTLS.
    Submission,
    /// Port 465 (RFC 8314): submission over implicit TLS.
    Submissions,
}

/// One SMTP listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listener {
    /// What it is for.
    pub role: Role,
    /// Where it listens.
    pub address: SocketAddr,
}

/// The server's certificate chain and private key, as PEM files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// The certificate chain.
    pub certificate: PathBuf,
    /// The private key (never logged).
    pub key: PathBuf,
}

/// Where mail for an accepted domain goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocalDomain {
    /// Into a Maildir per recipient under this directory (labs, the demo).
    Maildir(PathBuf),
    /// To an internal host.
    Relay {
        /// The host and port.
        target: String,
        /// What TLS the internal host must offer.
        tls: RelayTls,
    },
}

/// TLS towards an internal relay host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelayTls {
    /// STARTTLS when offered.
    Opportunistic,
    /// STARTTLS mandatory (certificate not authenticated).
    Require,
}

/// A user who may authenticate.
#[derive(Clone, PartialEq, Eq)]
pub struct User {
    /// The login name.
    pub name: String,
    /// The argon2 PHC string (`$argon2id$...`).
    pub password_hash: String,
    /// An administrator: logs in to the web console and API
    /// (`sealane user add --admin`), and only there: an administrator's
    /// password is not an SMTP AUTH password, so one stolen submission
    /// password never opens the console.
    pub admin: bool,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("name", &self.name)
            .field("password_hash", &"<hidden>")
            .field("admin", &self.admin)
            .finish()
    }
}

/// Where DNS answers come from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DnsSettings {
    /// Servers to ask; empty means the system's (/etc/resolv.conf).
    pub servers: Vec<SocketAddr>,
    /// DS or DNSKEY records in zone-file syntax; none means the IANA root.
    pub trust_anchor: Option<PathBuf>,
}

/// How the daemon uses its queue (`[queue]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueSettings {
    /// `lease`: how long a worker owns the recipients it claimed. A worker
    /// that dies (kill -9, power loss) leaves its recipients in flight
    /// until then; the next scheduler pass after it puts them back and
    /// they are retried. It must outlast the slowest delivery of a batch,
    /// or a second worker may deliver the same message while the first
    /// is still at it (a duplicate, never a loss). Default `15m`.
    pub lease: Duration,
    /// `retention`: how long a finished message (every recipient
    /// delivered, bounced or expired) and its trace are kept; the daemon
    /// deletes older ones every hour. Messages still queued are never
    /// deleted. Default `30d`.
    pub retention: Duration,
}

impl Default for QueueSettings {
    fn default() -> Self {
        Self {
            lease: Duration::from_secs(15 * 60),
            retention: Duration::from_secs(30 * 86_400),
        }
    }
}

/// The retry schedule (DESIGN §2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The wait after the first failure, then the wait after each later
    /// one (one entry: the same wait every time).
    pub schedule: Vec<Duration>,
    /// Age after which a message still not delivered expires (NDR 5.4.7).
    pub expire: Duration,
    /// Age after which the sender is told of the delay; `None`: never.
    pub delay_notice: Option<Duration>,
    /// Each delay is moved by up to this share, so retries spread out.
    pub jitter_percent: u8,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            schedule: vec![Duration::from_secs(15 * 60), Duration::from_secs(3600)],
            expire: Duration::from_secs(24 * 3600),
            delay_notice: Some(Duration::from_secs(4 * 3600)),
            jitter_percent: 10,
        }
    }
}

/// Limits on clients and on delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest message accepted, in bytes (SIZE, 552 above it).
    pub message_size: u64,
    /// Recipients per message (452 above it).
    pub recipients_per_message: u32,
    /// Simultaneous connections from one client address.
    pub connections_per_client: u32,
    /// Deliveries in flight at once, all destinations together.
    pub concurrency: u32,
    /// Deliveries in flight at once to one destination domain.
    pub per_destination: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            message_size: 50 * 1024 * 1024,
            recipients_per_message: 1000,
            connections_per_client: 50,
            concurrency: 100,
            per_destination: 20,
        }
    }
}

impl Config {
    /// The embedded defaults: what `sealane serve` runs with no file.
    pub fn embedded() -> Config {
        // The empty document is valid by construction: every key is optional.
        Self::parse("", Path::new("(embedded defaults)"))
            .expect("the embedded default configuration is valid")
    }

    /// Reads and validates the file at `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Validates `text`, read from `path` (named in errors).
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError::parse(path, text, e))?;
        let at = |span: std::ops::Range<usize>| error::line_of(text, span.start);
        let invalid = |key: &str, line: Option<usize>, reason: String| ConfigError::Invalid {
            path: path.to_owned(),
            key: key.to_owned(),
            line,
            reason,
        };

        let hostname = raw.server.hostname.unwrap_or_else(local_hostname);
        if hostname.is_empty() || hostname.contains(char::is_whitespace) {
            return Err(invalid(
                "server.hostname",
                None,
                format!("{} is not a host name", smtp::quoted(&hostname)),
            ));
        }
        let tls = raw.tls.map(|t| TlsFiles {
            certificate: t.certificate,
            key: t.key,
        });

        let mut listeners = Vec::new();
        for listener in &raw.listeners {
            let line = Some(at(listener.span()));
            let role = match listener.get_ref().role {
                RawRole::Mx => Role::Mx,
                RawRole::Submission => Role::Submission,
                RawRole::Submissions => Role::Submissions,
            };
            if role == Role::Submissions && tls.is_none() {
                return Err(invalid(
                    "listener.role",
                    line,
                    "role \"submissions\" (implicit TLS, port 465) needs a [tls] certificate and key"
                        .into(),
                ));
            }
            let address = listener.get_ref().address;
            if listeners.iter().any(|l: &Listener| l.address == address) {
                return Err(invalid(
                    "listener.address",
                    line,
                    format!("{address} is given to two listeners"),
                ));
            }
            listeners.push(Listener { role, address });
        }
        if listeners.is_empty() {
            listeners.push(Listener {
                role: Role::Submission,
                address: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 2525),
            });
        }

        let mut domains = BTreeMap::new();
        for (name, domain) in &raw.domains {
            let line = Some(at(domain.span()));
            let key = format!("domain.{name}");
            let d = domain.get_ref();
            let target = match (&d.maildir, &d.relay) {
                (Some(dir), None) => {
                    if d.relay_tls.is_some() {
                        return Err(invalid(
                            &key,
                            line,
                            "relay_tls is only for a relay target".into(),
                        ));
                    }
                    LocalDomain::Maildir(dir.clone())
                }
                (None, Some(target)) => {
                    if !target.rsplit_once(':').is_some_and(|(host, port)| {
                        !host.is_empty() && port.parse::<u16>().is_ok_and(|p| p != 0)
                    }) {
                        return Err(invalid(
                            &format!("{key}.relay"),
                            line,
                            format!("{} is not host:port", smtp::quoted(target)),
                        ));
                    }
                    let tls = match d.relay_tls.unwrap_or(RawRelayTls::Opportunistic) {
                        RawRelayTls::Opportunistic => RelayTls::Opportunistic,
                        RawRelayTls::Require => RelayTls::Require,
                    };
                    LocalDomain::Relay {
                        target: target.clone(),
                        tls,
                    }
                }
                _ => {
                    return Err(invalid(
                        &key,
                        line,
                        "give exactly one of maildir = \"DIR\" or relay = \"host:port\"".into(),
                    ));
                }
            };
            domains.insert(name.trim_end_matches('.').to_ascii_lowercase(), target);
        }

        let mut users = Vec::new();
        for user in raw.users {
            if !user.password_hash.starts_with("$argon2") {
                return Err(invalid(
                    "user.password_hash",
                    None,
                    format!(
                        "the hash of user {} is not an argon2 PHC string; make one with `sealane user add`",
                        smtp::quoted(&user.name)
                    ),
                ));
            }
            users.push(User {
                name: user.name,
                password_hash: user.password_hash,
                admin: user.admin,
            });
        }

        let relay_networks = raw.relay_networks.unwrap_or_else(|| {
            ["127.0.0.0/8", "::1/128"]
                .iter()
                .map(|n| n.parse().expect("loopback networks are well-formed CIDR"))
                .collect()
        });

        let local_policy = raw
            .policy
            .into_iter()
            .map(|(domain, p)| {
                (
                    domain.trim_end_matches('.').to_ascii_lowercase(),
                    PlanOptions::new()
                        .with_require_dane(p.require_dane)
                        .with_require_sts(p.require_sts)
                        .with_require_tls(p.require_tls),
                )
            })
            .collect();

        let store = store::validate(raw.store)
            .map_err(|e| invalid(e.key, e.offset.map(|o| error::line_of(text, o)), e.reason))?;

        let mut queue = QueueSettings::default();
        if let Some(lease) = raw.queue.lease {
            if lease.0.is_zero() {
                return Err(invalid(
                    "queue.lease",
                    None,
                    "must be longer than zero (e.g. \"15m\")".into(),
                ));
            }
            queue.lease = lease.0;
        }
        if let Some(retention) = raw.queue.retention {
            if retention.0 < Duration::from_secs(3600) {
                return Err(invalid(
                    "queue.retention",
                    None,
                    "must be at least an hour (e.g. \"30d\")".into(),
                ));
            }
            queue.retention = retention.0;
        }

        let mut retry = RetryPolicy::default();
        if let Some(schedule) = raw.retry.schedule {
            if schedule.is_empty() || schedule.len() > 2 || schedule.iter().any(|p| p.0.is_zero()) {
                return Err(invalid(
                    "retry.schedule",
                    None,
                    "give one or two delays, none zero: the wait after the first failure and the \
                     wait after each later one (e.g. [\"15m\", \"1h\"])"
                        .into(),
                ));
            }
            retry.schedule = schedule.into_iter().map(|p| p.0).collect();
        }
        if let Some(expire) = raw.retry.expire {
            retry.expire = expire.0;
        }
        if retry.expire < retry.schedule[0] {
            return Err(invalid(
                "retry.expire",
                None,
                format!(
                    "{} is shorter than the first retry delay {}",
                    Period(retry.expire),
                    Period(retry.schedule[0])
                ),
            ));
        }
        match raw.retry.delay_notice {
            None => {}
            Some(RawDelayNotice::Off(false)) => retry.delay_notice = None,
            Some(RawDelayNotice::Off(true)) => {}
            Some(RawDelayNotice::After(p)) => retry.delay_notice = Some(p.0),
        }
        if let Some(jitter) = raw.retry.jitter_percent {
            if *jitter.get_ref() > 50 {
                return Err(invalid(
                    "retry.jitter_percent",
                    Some(at(jitter.span())),
                    "at most 50".into(),
                ));
            }
            retry.jitter_percent = jitter.into_inner();
        }

        let mut limits = Limits::default();
        let positive = |value: Option<toml::Spanned<u32>>, key: &str, into: &mut u32| {
            if let Some(v) = value {
                if *v.get_ref() == 0 {
                    return Err(invalid(
                        key,
                        Some(at(v.span())),
                        "must be at least 1".into(),
                    ));
                }
                *into = v.into_inner();
            }
            Ok(())
        };
        positive(
            raw.limits.recipients_per_message,
            "limits.recipients_per_message",
            &mut limits.recipients_per_message,
        )?;
        positive(
            raw.limits.connections_per_client,
            "limits.connections_per_client",
            &mut limits.connections_per_client,
        )?;
        positive(
            raw.limits.concurrency,
            "limits.concurrency",
            &mut limits.concurrency,
        )?;
        positive(
            raw.limits.per_destination,
            "limits.per_destination",
            &mut limits.per_destination,
        )?;
        if let Some(size) = raw.limits.message_size {
            if *size.get_ref() < 1024 {
                return Err(invalid(
                    "limits.message_size",
                    Some(at(size.span())),
                    "must be at least 1024 bytes".into(),
                ));
            }
            limits.message_size = size.into_inner();
        }

        let outbound = outbound::parse(raw.outbound, &hostname, text, path)?;

        let tls_report = TlsReportSettings::from_raw(raw.tls_report, &hostname)
            .map_err(|reason| invalid("tls_report", None, reason))?;
        let dmarc_report = DmarcReportSettings::from_raw(raw.dmarc_report, &hostname)
            .map_err(|reason| invalid("dmarc_report", None, reason))?;
        if let (Some(tls), Some(dmarc)) =
            (&tls_report.receive_address, &dmarc_report.receive_address)
            && tls.eq_ignore_ascii_case(dmarc)
        {
            return Err(invalid(
                "dmarc_report.receive_address",
                None,
                format!(
                    "{} is also [tls_report] receive_address: each kind of report needs its own address",
                    smtp::quoted(dmarc)
                ),
            ));
        }

        let auth = auth::AuthSettings::from_raw(raw.auth, &hostname);
        let pools = pools::parse(raw.pools, &outbound, text, path)?;
        let forwarding = forward::parse(
            raw.srs,
            raw.forward,
            &hostname,
            |d| domains.contains_key(d.trim_end_matches('.')),
            text,
            path,
        )?;
        let dkim_sign = dkim::load(raw.dkim).map_err(|reason| invalid("dkim", None, reason))?;
        let arc = match raw.arc {
            None => None,
            Some(raw_arc) => {
                let line = Some(at(raw_arc.span()));
                let loaded = arc::load(raw_arc.into_inner(), &auth.authserv_id)
                    .map_err(|reason| invalid("arc", line, reason))?;
                Some(loaded)
            }
        };
        let sending_limits = sending::parse(raw.sending_limits, text, path)?;
        let spam = spam::parse(raw.spam, text, path)?;
        let admin = AdminSettings::from_raw(raw.admin, tls.is_some())
            .map_err(|reason| invalid("admin", None, reason))?;
        Ok(Config {
            hostname,
            data_dir: raw
                .server
                .data_dir
                .unwrap_or_else(|| PathBuf::from("./sealane-data")),
            listeners,
            tls,
            domains,
            users,
            relay_networks,
            dns: DnsSettings {
                servers: raw.dns.servers,
                trust_anchor: raw.dns.trust_anchor,
            },
            webpki_extra_roots: raw.webpki.extra_roots,
            local_policy,
            store,
            queue,
            retry,
            limits,
            outbound,
            tls_report,
            dmarc_report,
            auth,
            pools,
            forwarding,
            dkim_sign,
            arc,
            sending_limits,
            spam,
            admin,
            shown: masked::masked(text),
        })
    }

    /// Whether mail for `domain` is ours to accept from anyone.
    pub fn accepts(&self, domain: &str) -> bool {
        self.domains
            .contains_key(domain.trim_end_matches('.').to_ascii_lowercase().as_str())
    }

    /// The users who may authenticate over SMTP (administrators may not).
    pub fn smtp_users(&self) -> impl Iterator<Item = &User> {
        self.users.iter().filter(|u| !u.admin)
    }

    /// The administrators, who may log in to the console.
    pub fn admins(&self) -> impl Iterator<Item = &User> {
        self.users.iter().filter(|u| u.admin)
    }

    /// Whether `client` may relay without authenticating.
    pub fn may_relay(&self, client: IpAddr) -> bool {
        let client = match client {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(client, IpAddr::V4),
            v4 => v4,
        };
        self.relay_networks.iter().any(|n| n.contains(&client))
    }

    /// The local policy for `domain` (none: the domain's publications decide).
    pub fn local_policy_for(&self, domain: &str) -> PlanOptions {
        self.local_policy
            .get(domain.trim_end_matches('.').to_ascii_lowercase().as_str())
            .cloned()
            .unwrap_or_default()
    }
}

fn local_hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_owned())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

#[cfg(test)]
mod tests;
