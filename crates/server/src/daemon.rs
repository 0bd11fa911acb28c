//! Starting and stopping the daemon: open the store (which also keeps the
//! MTA-STS policy cache), build the resolver and delivery options from the
//! configuration, bind the listeners, start the scheduler; on stop, stop accepting, let running
//! deliveries finish or lapse, and close the store.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use delivery::{DeliveryOptions, HostFailureMemory};
use dns::clock::Clock;
use dns::{Resolver, ResolverConfig, TrustAnchor, system_nameservers};
use policy::sts::{FetchOptions, NetworkSource, PolicyStore, StsConfig, StsPolicies};
use queue::RetrySchedule;
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;
use tracing::{debug, info, warn};

use crate::config::{Config, Role};
use crate::listener::{self, Connections};
use crate::scheduler::Scheduler;
use crate::shared::Shared;
use crate::tls_files;

/// Why the daemon could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The queue could not be opened.
    #[error(transparent)]
    Store(#[from] crate::store::OpenError),
    /// The MTA-STS policies of an older data directory's `mta-sts.db`
    /// could not be moved into the queue's store.
    #[error("cannot move the MTA-STS policies of {path} into the queue's store: {source}")]
    StsCache {
        /// The old file.
        path: String,
        /// Why.
        source: policy::sts::CacheError,
    },
    /// A listener could not be bound.
    #[error("cannot listen on {address}: {}", smtp::io_text(.source))]
    Bind {
        /// The address.
        address: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// DNS settings, trust anchors, roots or the certificate could not be read.
    #[error("{0}")]
    Setup(String),
}

/// Who runs the scheduler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheduling {
    /// The daemon's own loop, woken by new mail and by its timers.
    Automatic,
    /// Nobody: the caller runs [`Daemon::drain`] after moving the clock
    /// (`sealane demo`, scenario tests).
    Manual,
}

/// A running daemon.
pub struct Daemon {
    shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
    tasks: JoinSet<()>,
    listening: Vec<(Role, SocketAddr)>,
}

impl Daemon {
    /// Starts the daemon with `config`, its timers reading `clock`.
    pub async fn start(
        config: Config,
        clock: Arc<dyn Clock>,
        scheduling: Scheduling,
    ) -> Result<Daemon, StartError> {
        std::fs::create_dir_all(&config.data_dir).map_err(|e| {
            StartError::Setup(format!(
                "cannot create {}: {}",
                config.data_dir.display(),
                smtp::io_text(&e)
            ))
        })?;
        let store = crate::store::open(&config, clock.clone()).await?;
        let reports = &config.dmarc_report;
        if reports.enabled
            && crate::config::dkim_key_for(&config.dkim_sign, &reports.sender).is_none()
        {
            warn!(sender = %reports.sender, "DMARC reports will go unsigned: no [[dkim.sign]] key for their sender's domain, and receivers may find they fail DMARC (RFC 7489 §7.2.1.1)");
        }

        let servers = if config.dns.servers.is_empty() {
            system_nameservers().map_err(|e| {
                StartError::Setup(format!(
                    "cannot read /etc/resolv.conf ({e}); set [dns] servers"
                ))
            })?
        } else {
            config.dns.servers.clone()
        };
        let mut resolver_config = ResolverConfig::new(servers);
        if let Some(path) = &config.dns.trust_anchor {
            let anchors =
                TrustAnchor::from_file(path).map_err(|e| StartError::Setup(e.to_string()))?;
            resolver_config = resolver_config.with_trust_anchors(anchors);
        }
        let resolver = Resolver::with_clock(resolver_config, clock.clone());

        let mut delivery = DeliveryOptions::new(config.outbound.ehlo.clone());
        // DESIGN §7: a destination's connection failures are remembered
        // briefly, so a dead host costs a few attempts, not one per message.
        delivery.failure_memory = Some(HostFailureMemory::new(
            clock.clone(),
            config.outbound.failure_memory,
        ));
        delivery.smtp_port = config.outbound.smtp_port;
        delivery.source = delivery::Source::of(config.outbound.source);
        // Issue 20: each step's limit, and what one attempt may cost in
        // all, so a destination that drips or never greets holds a worker
        // for a bounded time.
        delivery.timeouts = config.outbound.timeouts;
        delivery.limits = config.outbound.attempt;
        if let Some(path) = &config.webpki_extra_roots {
            let pem = std::fs::read(path).map_err(|e| {
                StartError::Setup(format!(
                    "cannot read {}: {}",
                    path.display(),
                    smtp::io_text(&e)
                ))
            })?;
            let roots = tls::certificates_from_pem(&pem)
                .map_err(|e| StartError::Setup(format!("{}: {e}", path.display())))?;
            delivery.roots = tls::TrustRoots::public_and(&roots)
                .map_err(|e| StartError::Setup(format!("{}: {e}", path.display())))?;
        }

        // The policy cache lives in the queue's store, shared by every
        // node of the same database.
        let cache: Arc<dyn PolicyStore> = store.clone();
        let copied = crate::sts_import::import_legacy_cache(&config.data_dir, cache.as_ref())
            .await
            .map_err(|source| StartError::StsCache {
                path: config
                    .data_dir
                    .join(crate::sts_import::LEGACY_FILE)
                    .display()
                    .to_string(),
                source,
            })?;
        if copied > 0 {
            info!(copied, "MTA-STS policies moved into the queue's store");
        }
        let sts = StsPolicies::new(
            NetworkSource {
                resolver: resolver.clone(),
                options: FetchOptions::new(delivery.roots.clone())
                    .with_port(config.outbound.https_port)
                    .with_time(delivery.time.clone()),
            },
            cache,
            clock.clone(),
            StsConfig::default(),
        );

        let schedule = RetrySchedule {
            first: config.retry.schedule[0],
            then: *config
                .retry
                .schedule
                .last()
                .unwrap_or(&config.retry.schedule[0]),
            expiry: config.retry.expire,
            jitter: f64::from(config.retry.jitter_percent) / 100.0,
        };
        let server_tls = match &config.tls {
            Some(files) => Some(tls_files::server_config(files).map_err(StartError::Setup)?),
            None => None,
        };
        let owner = format!("{}:{}", config.hostname, std::process::id());

        let mut listeners = Vec::new();
        for l in &config.listeners {
            let bound = TcpListener::bind(l.address)
                .await
                .map_err(|source| StartError::Bind {
                    address: l.address,
                    source,
                })?;
            let local = bound.local_addr().map_err(|source| StartError::Bind {
                address: l.address,
                source,
            })?;
            listeners.push((l.role, bound, local));
        }

        let mut smtp_config = smtp::ServerConfig::new(config.hostname.clone());
        smtp_config.limits.message_size = config.limits.message_size as usize;
        smtp_config.limits.recipients = config.limits.recipients_per_message as usize;
        smtp_config.limits.connections_per_client = config.limits.connections_per_client as usize;
        smtp_config.capabilities.size = Some(config.limits.message_size);
        // NOTIFY, RET and ENVID are kept with the message and honoured by
        // the notices (RFC 3461).
        smtp_config.capabilities.dsn = true;
        if let Some(tls) = server_tls {
            smtp_config = smtp_config.with_tls(tls);
            if config.smtp_users().next().is_some() {
                smtp_config = smtp_config.with_auth();
            }
        }
        let smtp_config = Arc::new(smtp_config);

        let shared = Arc::new(Shared {
            config,
            store,
            resolver,
            sts,
            delivery,
            clock,
            schedule,
            wake: Notify::new(),
            owner,
            stopping: AtomicBool::new(false),
            counters: Default::default(),
            dmarc_counts: Default::default(),
        });
        let (shutdown, watch) = watch::channel(false);
        let mut tasks = JoinSet::new();
        let connections = Arc::new(Connections::default());
        let mut listening = Vec::new();
        for (role, bound, local) in listeners {
            info!(listener = %crate::inbound::describe(role, local), "listening");
            listening.push((role, local));
            tasks.spawn(listener::run(
                shared.clone(),
                role,
                bound,
                smtp_config.clone(),
                connections.clone(),
                watch.clone(),
            ));
        }
        // Issue 12: find out at start, not on the first recipient, whether
        // the configured resolver serves DNSSEC from our trust anchors. In
        // the background: an unreachable resolver must not hold up start-up
        // (its timeouts add up to tens of seconds), and a failure is logged,
        // not fatal (deliveries defer with 4.4.3 until the resolver works).
        tasks.spawn(probe_resolver(shared.resolver.clone(), watch.clone()));
        if scheduling == Scheduling::Automatic {
            tasks.spawn(Scheduler::new(shared.clone()).run(watch));
        }
        Ok(Daemon {
            shared,
            shutdown,
            tasks,
            listening,
        })
    }

    /// The shared state: store, clock, configuration.
    pub fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// Where each listener listens (ports resolved when 0 was asked).
    pub fn listening(&self) -> &[(Role, SocketAddr)] {
        &self.listening
    }

    /// Tries everything due at the clock's current time once, and returns
    /// when no worker runs (with [`Scheduling::Manual`]).
    pub async fn drain(&self) -> Result<(), queue::StoreError> {
        Scheduler::new(self.shared.clone()).drain().await
    }

    /// Sends the TLS reports due at the clock's current time (with
    /// [`Scheduling::Manual`]; the scheduler does it on its own otherwise).
    pub async fn send_tls_reports(&self) -> Result<usize, queue::StoreError> {
        crate::tls_reports::send_due(&self.shared).await
    }

    /// Deletes the finished messages past `[queue] retention` (with
    /// [`Scheduling::Manual`]; the scheduler does it every hour otherwise).
    pub async fn housekeeping(&self) -> Result<u64, queue::StoreError> {
        crate::housekeeping::run(&self.shared).await
    }

    /// Writes this node's pending DMARC report counts to the store, then
    /// queues the DMARC reports due at the clock's current time (with
    /// [`Scheduling::Manual`]; the scheduler does it on its own otherwise).
    pub async fn send_dmarc_reports(&self) -> Result<usize, queue::StoreError> {
        crate::dmarc_reports::send_due(&self.shared).await
    }

    /// Stops accepting, waits for running deliveries, writes the pending
    /// DMARC report counts, and returns.
    pub async fn stop(mut self) {
        self.shared.stopping.store(true, Ordering::Relaxed);
        let _ = self.shutdown.send(true);
        while self.tasks.join_next().await.is_some() {}
        if let Err(e) = self.shared.dmarc_counts.flush(&*self.shared.store).await {
            warn!(error = %e, "DMARC report counts of this run not written");
        }
        info!("stopped");
    }
}

/// Probes `resolver`'s DNSSEC once; gives up at shutdown. A failure is
/// logged by the resolver itself, one warning per trust anchor naming what
/// the upstream did, so it is not repeated here.
async fn probe_resolver(resolver: Resolver, mut shutdown: watch::Receiver<bool>) {
    tokio::select! {
        probed = resolver.probe() => match probed {
            Ok(()) => info!("the DNS resolver serves DNSSEC from our trust anchors"),
            Err(e) => debug!(error = %e, "DNSSEC probe at start failed; deliveries defer (4.4.3) until the resolver answers"),
        },
        _ = shutdown.changed() => {}
    }
}
