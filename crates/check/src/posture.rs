//! The whole posture of one domain: the delivery plan and probe that
//! `sealane route` makes, and every area's findings, in one report.

use std::sync::Arc;
use std::time::Duration;

use delivery::{DeliveryOptions, HostAttempt, Verdict};
use dns::{Name, Resolver};
use policy::sts::{Discovery, FetchOptions, NetworkSource, StsPolicies, StsSource};
use policy::{DeliveryPlan, PeerLimits, PlanOptions};
use serde::Serialize;
use tracing::{Instrument, debug_span};

use crate::finding::{Finding, Severity, worst};
use crate::names::bare;
use crate::{
    check_dane, check_dkim, check_dmarc, check_dnssec, check_mta_sts, check_mx, check_spf,
    check_tlsrpt, verdict,
};

/// How long a domain's records wait for its MX answer before they are
/// asked anyway: a name server that does not answer should not keep them
/// waiting for its timeout first, then time out on its own.
const MX_HEAD_START: Duration = Duration::from_millis(500);

/// Everything the checker needs, shared by every domain it checks: one
/// resolver (one cache), one set of MTA-STS policies, the delivery options
/// of the probe and the fetch options of the policy check.
pub struct Checker<S = NetworkSource> {
    /// The validating resolver, shared.
    pub resolver: Resolver,
    /// How MX hosts are probed (port, trust roots, timeouts), as delivery would.
    pub delivery: DeliveryOptions,
    /// The MTA-STS policies the delivery plan consults.
    pub sts: StsPolicies<S>,
    /// How the MTA-STS check fetches policies (port, roots, timeout).
    pub fetch: FetchOptions,
    /// DKIM selectors whose key records to check for every domain
    /// (`--dkim-selector`); none by default, as selectors cannot be listed.
    pub dkim_selectors: Vec<String>,
}

/// The report on one domain.
#[must_use]
#[derive(Debug, Clone, Serialize)]
pub struct DomainReport {
    /// The domain, without its trailing dot.
    pub domain: String,
    /// The worst severity found (`pass` when nothing but passes).
    pub worst: Severity,
    /// What delivery would do now, as `sealane route` says.
    pub verdict: Verdict,
    /// Every finding, grouped by area in a fixed order: mx, dnssec, dane,
    /// mta-sts, tls-rpt, spf, dkim (for the selectors asked about), dmarc,
    /// delivery.
    pub findings: Vec<Finding>,
}

/// One domain's report as JSON (`sealane check --json`, one line per
/// domain, and `GET /api/v1/check/{domain}`; `docs/check-json.md`).
#[derive(Debug, Serialize)]
pub struct JsonReport<'a> {
    /// Always 1 for this shape.
    pub version: u32,
    /// The report, its fields inline.
    #[serde(flatten)]
    pub report: &'a DomainReport,
}

impl<'a> JsonReport<'a> {
    /// `report` in the version-1 shape.
    pub fn new(report: &'a DomainReport) -> Self {
        Self { version: 1, report }
    }
}

impl<S: StsSource> Checker<S> {
    /// Checks one domain: plans as delivery does (DNS, DANE, MTA-STS),
    /// probes every MX host as `sealane route` does, and reads the
    /// records senders and receivers read.
    ///
    /// With `-v`, each step is a span whose close says how long it took
    /// (`check` > `plan`, `probe`, `tls-rpt`, `spf`, `dmarc`, `transport`):
    /// the per-domain timeline.
    pub async fn check(&self, domain: &Name) -> DomainReport {
        let shown = bare(domain);
        let span = debug_span!("check", domain = %shown);
        self.check_traced(domain, shown).instrument(span).await
    }

    async fn check_traced(&self, domain: &Name, shown: String) -> DomainReport {
        let route = async {
            let plan =
                policy::plan_with_sts(&self.resolver, domain, &PlanOptions::new(), &self.sts)
                    .instrument(debug_span!("plan"))
                    .await;
            let (probes, teardown) = delivery::probe_detached(&plan, &self.delivery)
                .instrument(debug_span!("probe"))
                .await;
            (plan, probes, teardown)
        };
        let dkim = async {
            let mut findings = Vec::new();
            for selector in &self.dkim_selectors {
                findings.extend(check_dkim(&self.resolver, domain, selector).await);
            }
            findings
        };
        // The `_mta-sts` record, and the policy host's addresses when there
        // is one, are looked up beside the plan, which would otherwise ask
        // for them only after the MX hosts and their TLSA.
        let discovery = async {
            let discovery = policy::sts::discover(&self.resolver, domain).await;
            if matches!(discovery, Discovery::Found { .. })
                && let Ok(host) = policy::sts::policy_host(domain)
            {
                // Into the cache, for the fetch.
                let _ = self.resolver.addresses(&host).await;
            }
            discovery
        };
        // The records wait for the MX answer, the plan's first question
        // (asked once: this wait joins it in flight), for at most
        // MX_HEAD_START. Validating it authenticates the zone's keys, its
        // DS and DNSKEY RRsets, which every later answer from the zone
        // reuses; asked all at once, each answer had the keys authenticated
        // again.
        let records = async {
            let _ = tokio::time::timeout(MX_HEAD_START, self.resolver.mx(domain)).await;
            tokio::join!(
                check_tlsrpt(&self.resolver, domain).instrument(debug_span!("tls-rpt")),
                check_spf(&self.resolver, domain).instrument(debug_span!("spf")),
                dkim.instrument(debug_span!("dkim")),
                check_dmarc(&self.resolver, domain).instrument(debug_span!("dmarc")),
                discovery.instrument(debug_span!("mta-sts-record")),
            )
        };
        let ((plan, probes, teardown), (tlsrpt, spf, dkim, dmarc, discovery)) =
            tokio::join!(route, records);
        let records = [tlsrpt, spf, dkim, dmarc].concat();
        // The probe's QUITs are answered while the findings are made.
        let (mut findings, ()) = tokio::join!(
            self.findings(domain, &shown, &plan, &probes, discovery, records),
            teardown.run(),
        );
        let verdict = Verdict::of(&plan, &probes);
        if !nonexistent(&plan) {
            findings.push(verdict::verdict_finding(&shown, &verdict));
        }
        DomainReport {
            domain: shown,
            worst: worst(&findings).unwrap_or(Severity::Pass),
            verdict,
            findings,
        }
    }

    /// Every area's findings, in order; `records` (TLS-RPT, SPF, DMARC)
    /// follow the transport areas when the domain exists and the resolver
    /// can serve DNSSEC.
    async fn findings(
        &self,
        domain: &Name,
        shown: &str,
        plan: &DeliveryPlan,
        probes: &[HostAttempt],
        discovery: Discovery,
        records: Vec<Finding>,
    ) -> Vec<Finding> {
        match self.resolver.probe().await {
            // Every lookup went through a resolver that cannot serve DNSSEC:
            // nothing seen says anything about the domain.
            Err(error) if error.is_local() => {
                vec![crate::dnssec::local_resolver_finding(shown, &error)]
            }
            // A domain proven not to exist: that is the one cause; every
            // other area would only repeat it in its own words.
            _ if nonexistent(plan) => check_mx(&self.resolver, plan, probes).await,
            _ => {
                let mut findings = self
                    .transport(domain, plan, probes, discovery)
                    .instrument(debug_span!("transport"))
                    .await;
                findings.extend(records);
                findings
            }
        }
    }

    /// The transport-security areas: MX, DNSSEC, DANE, MTA-STS.
    async fn transport(
        &self,
        domain: &Name,
        plan: &DeliveryPlan,
        probes: &[HostAttempt],
        discovery: Discovery,
    ) -> Vec<Finding> {
        let (mx, dnssec, sts) = tokio::join!(
            check_mx(&self.resolver, plan, probes),
            check_dnssec(&self.resolver, plan),
            check_mta_sts(
                &self.resolver,
                domain,
                &self.fetch,
                plan,
                probes,
                &self.delivery,
                discovery,
            ),
        );
        let mut findings = mx;
        findings.extend(dnssec);
        findings.extend(check_dane(plan, probes));
        findings.extend(sts);
        findings
    }
}

/// The MX lookup proved that the domain does not exist (NXDOMAIN with a
/// secure or insecure denial; a bogus one is a DNSSEC finding).
fn nonexistent(plan: &DeliveryPlan) -> bool {
    plan.mx_kind == Some(dns::MxKind::NoSuchDomain)
        && matches!(
            plan.mx_status,
            dns::DnssecStatus::Secure | dns::DnssecStatus::Insecure
        )
}

impl Checker<NetworkSource> {
    /// A checker whose MTA-STS policies come from the network through
    /// `resolver`, fetched with `fetch` and cached in memory for this run.
    /// Unless `delivery` or `fetch` limit connections per peer address
    /// already, both share one [`PeerLimits::default`]: an address that is
    /// both an MX host and a policy host counts its connections once.
    pub fn new(
        resolver: Resolver,
        mut delivery: DeliveryOptions,
        mut fetch: FetchOptions,
    ) -> Result<Self, policy::sts::CacheError> {
        let peers = PeerLimits::default();
        delivery.peers.get_or_insert_with(|| peers.clone());
        fetch.peers.get_or_insert(peers);
        let source = NetworkSource {
            resolver: resolver.clone(),
            options: fetch.clone(),
        };
        let sts = StsPolicies::new(
            source,
            policy::sts::PolicyCache::in_memory()?,
            Arc::new(dns::clock::SystemClock),
            policy::sts::StsConfig::default(),
        );
        Ok(Self {
            resolver,
            delivery,
            sts,
            fetch,
            dkim_selectors: Vec::new(),
        })
    }
}
