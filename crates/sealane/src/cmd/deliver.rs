//! `sealane deliver`: one message, delivered once with the full policy,
//! every recipient's outcome and every host's record printed.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, anyhow};
use delivery::{DeliveryOptions, DeliveryReport, Message, RecipientStatus};
use dns::Resolver;
use dns::clock::SystemClock;
use policy::PlanOptions;
use policy::sts::{FetchOptions, NetworkSource, PolicyCache, StsConfig, StsPolicies};
use smtp::untrusted;
use tls::TrustRoots;

use super::resolver::ResolverArgs;
use crate::exit::Failure;

/// EX_TEMPFAIL (sysexits.h): some recipient was deferred.
const EXIT_DEFERRED: u8 = 75;

/// Arguments of `sealane deliver`.
#[derive(clap::Args)]
pub struct Args {
    /// The envelope sender (empty for the null sender).
    #[arg(long, value_name = "ADDR")]
    from: String,
    /// A recipient; repeat for several.
    #[arg(long = "to", value_name = "ADDR", required = true)]
    to: Vec<String>,
    /// The message (header and body) to send.
    #[arg(long, value_name = "FILE")]
    message: PathBuf,
    #[command(flatten)]
    resolver: ResolverArgs,
    #[command(flatten)]
    transport: TransportArgs,
    #[command(flatten)]
    local: LocalPolicyArgs,
    /// The message requires TLS (RFC 8689 REQUIRETLS).
    #[arg(long)]
    require_tls: bool,
    /// Print the reports as JSON.
    #[arg(long)]
    json: bool,
}

/// Local policy for the destination: it can raise the bar, never lower it.
#[derive(clap::Args, Clone, Copy)]
pub struct LocalPolicyArgs {
    /// Require DANE: hosts without usable TLSA records are not used.
    #[arg(long)]
    pub require_dane: bool,
    /// Require MTA-STS enforce (or DANE) for every host.
    #[arg(long)]
    pub require_sts: bool,
    /// Require STARTTLS for every host, even unauthenticated (local policy
    /// `require-tls`; not to be confused with the message flag `--require-tls`,
    /// RFC 8689 REQUIRETLS).
    #[arg(long)]
    pub require_starttls: bool,
}

impl LocalPolicyArgs {
    /// The plan options these flags ask for.
    pub fn options(self) -> PlanOptions {
        PlanOptions::new()
            .with_require_dane(self.require_dane)
            .with_require_sts(self.require_sts)
            .with_require_tls(self.require_starttls)
    }
}

/// Options that point delivery at a test world or a lab: port, roots, name.
#[derive(clap::Args, Clone)]
pub struct TransportArgs {
    /// PEM file of extra trusted root certificates (for MTA-STS hosts).
    #[arg(long, value_name = "FILE")]
    pub ca: Option<PathBuf>,
    /// The port MX hosts listen on.
    #[arg(long, value_name = "N", default_value_t = 25)]
    pub smtp_port: u16,
    /// The port MTA-STS policy hosts (`mta-sts.<domain>`) listen on.
    #[arg(long, value_name = "N", default_value_t = 443)]
    pub https_port: u16,
    /// The name to give in EHLO (default: this machine's host name).
    #[arg(long, value_name = "NAME")]
    pub ehlo: Option<String>,
    /// Keep MTA-STS policies in this SQLite file across runs (default: in
    /// memory, for this run only).
    #[arg(long, value_name = "FILE")]
    pub sts_cache: Option<PathBuf>,
}

impl TransportArgs {
    /// The validated delivery options.
    pub fn options(&self) -> Result<DeliveryOptions, Failure> {
        let ehlo = match &self.ehlo {
            Some(name) => name.clone(),
            None => std::fs::read_to_string("/proc/sys/kernel/hostname")
                .map(|s| s.trim().to_owned())
                .unwrap_or_else(|_| "localhost".into()),
        };
        let mut options = DeliveryOptions::new(ehlo);
        options.smtp_port = self.smtp_port;
        if let Some(path) = &self.ca {
            let pem = std::fs::read(path)
                .with_context(|| format!("cannot read {}", path.display()))
                .map_err(Failure::Input)?;
            let roots = tls::certificates_from_pem(&pem)
                .with_context(|| format!("{}", path.display()))
                .map_err(Failure::Input)?;
            options.roots = TrustRoots::public_and(&roots)
                .with_context(|| format!("{}", path.display()))
                .map_err(Failure::Input)?;
        }
        Ok(options)
    }

    /// MTA-STS policies fetched through `resolver` over HTTPS, trusting the
    /// same roots as delivery, cached in memory for this run.
    pub fn sts_policies(
        &self,
        resolver: &Resolver,
        delivery: &DeliveryOptions,
    ) -> Result<StsPolicies, Failure> {
        let source = NetworkSource {
            resolver: resolver.clone(),
            options: FetchOptions::new(delivery.roots.clone())
                .with_port(self.https_port)
                .with_time(delivery.time.clone()),
        };
        let cache = match &self.sts_cache {
            Some(path) => PolicyCache::open(path)
                .with_context(|| format!("cannot open the MTA-STS policy cache {}", path.display()))
                .map_err(Failure::Input)?,
            None => PolicyCache::in_memory()
                .context("cannot open the MTA-STS policy cache")
                .map_err(Failure::Setup)?,
        };
        Ok(StsPolicies::new(
            source,
            cache,
            Arc::new(SystemClock),
            StsConfig::default(),
        ))
    }
}

/// Delivers and prints. Exit 0 when every recipient was delivered, 75 when
/// some were deferred and none failed, 1 when some failed, 2 for bad input.
pub async fn run(args: Args) -> Result<ExitCode, Failure> {
    let data = std::fs::read(&args.message)
        .with_context(|| format!("cannot read {}", args.message.display()))
        .map_err(Failure::Input)?;
    let mut by_domain: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for to in &args.to {
        let domain = to
            .rsplit_once('@')
            .map(|(_, d)| d.to_ascii_lowercase())
            .filter(|d| !d.is_empty())
            .ok_or_else(|| {
                Failure::Input(anyhow!(
                    "--to {} is not an address (local@domain)",
                    smtp::quoted(to)
                ))
            })?;
        by_domain.entry(domain).or_default().push(to.clone());
    }
    let resolver = Resolver::new(args.resolver.config()?);
    let options = args.transport.options()?;
    let sts = args.transport.sts_policies(&resolver, &options)?;
    let mut reports = Vec::new();
    for (domain, recipients) in by_domain {
        let name = Resolver::parse_name(&domain).map_err(|e| Failure::Input(e.into()))?;
        let plan = policy::plan_with_sts(&resolver, &name, &args.local.options(), &sts).await;
        let message = Message {
            sender: args.from.clone(),
            recipients,
            data: data.clone(),
            require_tls: args.require_tls,
        };
        reports.push(delivery::deliver(&plan, &message, &options).await);
    }
    if args.json {
        let text =
            serde_json::to_string_pretty(&reports).map_err(|e| Failure::Runtime(e.into()))?;
        crate::output::json(&text);
    } else {
        for report in &reports {
            crate::output::human(&human(report));
        }
        let deferred = reports
            .iter()
            .flat_map(|r| &r.recipients)
            .any(|o| o.status == RecipientStatus::Deferred);
        if deferred {
            crate::output::human(
                "Not delivered this time. Nothing was kept: `sealane deliver` does not queue, \
                 so nothing will be retried; submit through `sealane serve` for retries.\n",
            );
        }
    }
    let statuses: Vec<RecipientStatus> = reports
        .iter()
        .flat_map(|r| r.recipients.iter().map(|o| o.status))
        .collect();
    Ok(if statuses.contains(&RecipientStatus::Failed) {
        ExitCode::from(1)
    } else if statuses.contains(&RecipientStatus::Deferred) {
        ExitCode::from(EXIT_DEFERRED)
    } else {
        ExitCode::SUCCESS
    })
}

/// The human report. Text from the network (replies, certificate names,
/// verifier reasons) is shown escaped: replies and troubles escape
/// themselves, the rest goes through [`untrusted`].
fn human(report: &DeliveryReport) -> String {
    let mut out = format!("domain {}\n", report.plan.domain);
    if let Some(sts) = &report.plan.sts {
        if let Some(applied) = sts.active() {
            out += &format!(
                "  MTA-STS policy {} mode {} ({})\n",
                untrusted(&applied.id),
                applied.policy.mode,
                applied.origin.describe()
            );
        }
        if let Some(trouble) = &sts.trouble {
            out += &format!("  MTA-STS: {}\n", trouble.diagnostic());
        }
    }
    for outcome in &report.recipients {
        let status = match outcome.status {
            RecipientStatus::Delivered => "delivered",
            RecipientStatus::Deferred => "deferred",
            RecipientStatus::Failed => "failed",
        };
        out += &format!("  {} {status}", outcome.address);
        if let Some(host) = &outcome.host {
            out += &format!(" via {host}");
        }
        match (&outcome.trouble, &outcome.reply) {
            // The diagnostic starts with our status code.
            (Some(trouble), _) => out += &format!(": {}", trouble.diagnostic()),
            (None, Some(reply)) => out += &format!(": {reply}"),
            (None, None) => {}
        }
        out += "\n";
    }
    for attempt in &report.attempts {
        out += &format!(
            "  host {}",
            super::endpoint::endpoint(&attempt.host, &attempt.address)
        );
        if attempt.plaintext_retry {
            out += " (plaintext retry)";
        }
        if let Some(reply) = &attempt.starttls_refused {
            out += &format!(" STARTTLS refused ({reply}): plaintext, as allowed here");
        }
        if let Some(tls) = attempt.session.as_ref().and_then(|s| s.tls.as_ref()) {
            out += &format!(" {} {}", tls.version, tls.cipher);
        }
        if let Some(verification) = &attempt.verification {
            out += &format!(" verified: {}", describe(verification));
        }
        if let Some(trouble) = &attempt.trouble {
            out += &format!(" trouble: {}", trouble.diagnostic());
        }
        if let Some(trouble) = &attempt.sts_testing_failure {
            out += &format!(" MTA-STS testing would fail: {}", trouble.diagnostic());
        }
        if !attempt.delivered.is_empty() {
            out += &format!(" delivered: {}", attempt.delivered.join(", "));
        }
        out += "\n";
    }
    out
}

/// "dane authenticated, TLSA 3 1 1 … at depth 0", for the human report.
pub fn describe(outcome: &tls::VerificationOutcome) -> String {
    let mut text = format!("{} {}", outcome.method.as_str(), outcome.status.as_str());
    if let Some(found) = &outcome.dane {
        text += &format!(", TLSA {} at depth {}", found.record, found.depth);
    }
    if let Some(failure) = &outcome.failure {
        text += &format!(
            ", {} ({})",
            failure.result_type.as_str(),
            untrusted(&failure.reason)
        );
    }
    text
}
