//! The delivery plan for a recipient domain (DESIGN §2): its MX hosts in
//! the order to try them (RFC 5321 §5.1), every address of each, and the
//! TLS each host requires, with the reason.

use std::net::IpAddr;

use dns::{DnssecStatus, MxKind, Name, Resolver};
use futures_util::future::join_all;
use serde::{Serialize, Serializer};

use crate::dane;
use crate::options::PlanOptions;
use crate::sts_plan::{StsPlan, StsTesting};
use crate::trouble::{Cause, DnsStep, Trouble};

/// Serializes a DNS name in presentation form, with its trailing dot.
pub(crate) fn serialize_name<S: Serializer>(name: &Name, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(name)
}

/// Where mail for one domain goes and under which TLS requirement.
///
/// Built by [`plan`]; the delivery code tries [`DeliveryPlan::hosts`] in
/// order, skipping the ones that are [`Requirement::UnusableNow`], and
/// when none is left defers with [`DeliveryPlan::trouble`].
#[must_use]
#[derive(Debug, Clone, Serialize)]
pub struct DeliveryPlan {
    /// The recipient domain.
    #[serde(serialize_with = "serialize_name")]
    pub domain: Name,
    /// How the MX hosts were found; `None` when the MX lookup failed.
    pub mx_kind: Option<MxKind>,
    /// The DNSSEC status of the MX RRset (or of its denial).
    pub mx_status: DnssecStatus,
    /// Every MX host, by ascending preference. Empty when
    /// [`DeliveryPlan::domain_trouble`] says why.
    pub hosts: Vec<HostPlan>,
    /// A trouble that concerns the whole domain: null MX, NXDOMAIN, failed
    /// or bogus MX lookup. `None` when there are hosts to consider.
    pub domain_trouble: Option<Trouble>,
    /// The local policy the plan was built under.
    pub options: PlanOptions,
    /// What MTA-STS said, when it was consulted ([`crate::plan_with_sts`]
    /// consults it when some host has no DANE): the policy applied (id,
    /// mode, `mx` patterns, cache or fetch, expiry) and any fetch failure
    /// to report.
    pub sts: Option<StsPlan>,
}

/// One MX host and what it requires.
#[derive(Debug, Clone, Serialize)]
pub struct HostPlan {
    /// The MX host name, as the MX record gives it (the domain itself for
    /// an implicit MX).
    #[serde(serialize_with = "serialize_name")]
    pub name: Name,
    /// Its MX preference (0 for an implicit MX).
    pub preference: u16,
    /// Every IPv4 and IPv6 address, all of them candidates.
    pub addresses: Vec<IpAddr>,
    /// The DNSSEC status of the address records and of any CNAME leading
    /// to them; [`DnssecStatus::Indeterminate`] when the lookup failed.
    pub address_status: DnssecStatus,
    /// The TLSA lookup, when one was made (RFC 7672 §2.2.2: only for hosts
    /// whose address records are secure).
    pub tlsa: Option<TlsaAnswer>,
    /// What TLS the host requires, or why it cannot be used now.
    pub requirement: Requirement,
    /// Why DNS led to that requirement.
    pub reason: Reason,
    /// The local policy rule that raised the requirement, if one did.
    pub raised_by: Option<Raise>,
    /// An MTA-STS `testing` policy covers this host (RFC 8461 §5): delivery
    /// goes on as the requirement says, and records what would have failed
    /// under `enforce`, for TLS-RPT.
    pub sts_testing: Option<StsTesting>,
}

/// The TLSA RRset found for a host.
#[derive(Debug, Clone, Serialize)]
pub struct TlsaAnswer {
    /// The TLSA base domain the records were looked up at (RFC 7672 §2.2.3):
    /// the CNAME-expanded host name, or the MX host name. The records are
    /// at `_25._tcp.<base_domain>`.
    #[serde(serialize_with = "serialize_name")]
    pub base_domain: Name,
    /// Every base domain asked, in order.
    #[serde(serialize_with = "serialize_names")]
    pub tried: Vec<Name>,
    /// The records as published, usable or not.
    pub records: Vec<tls::Tlsa>,
    /// The DNSSEC status of the TLSA answer (or of its denial);
    /// [`DnssecStatus::Indeterminate`] when the lookup failed.
    pub status: DnssecStatus,
}

fn serialize_names<S: Serializer>(names: &[Name], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(names.iter().map(ToString::to_string))
}

/// The TLS requirement of one host (DESIGN §2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Requirement {
    /// DANE (RFC 7672 §3): STARTTLS mandatory, and the certificate must
    /// match one of `records`. Usage 3 ignores names and dates; usage 2
    /// chains to the record's trust anchor and checks `names`.
    Dane {
        /// The usable records, after digest agility (RFC 7671 §9).
        records: Vec<tls::Tlsa>,
        /// Reference identifiers for usage 2 (RFC 7672 §3.2.2): the TLSA
        /// base domain and the MX host name, without trailing dots.
        names: Vec<String>,
        /// The TLSA base domain (RFC 7672 §2.2.3). RFC 7672 asks that the
        /// SNI name the TLSA base domain.
        #[serde(serialize_with = "serialize_name")]
        base_domain: Name,
    },
    /// STARTTLS mandatory, any certificate: the TLSA RRset is secure but no
    /// record is usable (RFC 7672 §2.2), or local policy requires TLS.
    TlsMandatoryUnauthenticated,
    /// MTA-STS `enforce` (RFC 8461 §4.2, §5): STARTTLS mandatory, TLS 1.2
    /// or later, and a certificate valid under WebPKI for the MX host name.
    /// Only for a host without DANE whose name matches a policy `mx`
    /// pattern (§4.1); a host that matches none is
    /// [`Requirement::UnusableNow`].
    StsEnforce {
        /// The MX host name, as the MX record gives it, without the
        /// trailing dot: the name the certificate must be valid for.
        name: String,
    },
    /// No DANE for this host: the TLSA RRset is securely absent or not
    /// secure. This is where MTA-STS (RFC 8461) and then local policy apply;
    /// as DANE alone leaves it, STARTTLS is used when offered, and plaintext
    /// is allowed when it is not (RFC 7435).
    Opportunistic,
    /// Do not use this host now, and do not downgrade: try the next one,
    /// and defer when none is left.
    UnusableNow(Trouble),
}

impl Requirement {
    /// The requirement for the `tls` crate's verifiers; `None` for a host
    /// that must not be used.
    pub fn tls_requirement(&self) -> Option<tls::TlsRequirement> {
        match self {
            Self::Dane { records, names, .. } => Some(tls::TlsRequirement::Dane {
                records: records.clone(),
                names: names.clone(),
            }),
            Self::TlsMandatoryUnauthenticated => {
                Some(tls::TlsRequirement::MandatoryUnauthenticated)
            }
            Self::StsEnforce { name } => Some(tls::TlsRequirement::WebPki { name: name.clone() }),
            Self::Opportunistic => Some(tls::TlsRequirement::Opportunistic),
            Self::UnusableNow(_) => None,
        }
    }

    /// Whether STARTTLS is mandatory: no plaintext delivery to this host.
    pub fn requires_tls(&self) -> bool {
        matches!(
            self,
            Self::Dane { .. } | Self::TlsMandatoryUnauthenticated | Self::StsEnforce { .. }
        )
    }

    /// Whether the host may be tried now.
    pub fn is_usable(&self) -> bool {
        !matches!(self, Self::UnusableNow(_))
    }
}

/// Why DNS led to a host's requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Reason {
    /// Secure addresses, and a secure TLSA RRset with usable records.
    TlsaUsable,
    /// A secure TLSA RRset, none of whose records is usable (RFC 7672 §2.2).
    TlsaAllUnusable,
    /// The TLSA RRset is proven not to exist.
    TlsaSecurelyAbsent,
    /// The TLSA RRset is in unsigned DNS space.
    TlsaInsecure,
    /// The TLSA answer failed DNSSEC validation (bogus or indeterminate).
    TlsaNotValidated,
    /// The TLSA lookup failed (SERVFAIL, timeout).
    TlsaLookupFailed,
    /// The address records (or a CNAME to them) are insecure, so no TLSA
    /// lookup is made (RFC 7672 §2.2.2).
    AddressesInsecure,
    /// The address records failed DNSSEC validation.
    AddressesNotValidated,
    /// The address lookup failed.
    AddressLookupFailed,
    /// The host has no A or AAAA records.
    NoAddresses,
    /// The administrator chose this host for an accepted domain; DNS
    /// policy does not apply to it.
    ConfiguredRelay,
}

impl Reason {
    /// A short description for `sealane route` and the trace.
    pub fn describe(self) -> &'static str {
        match self {
            Self::TlsaUsable => "DNSSEC-signed TLSA records with at least one usable record",
            Self::TlsaAllUnusable => "DNSSEC-signed TLSA records, none of them usable",
            Self::TlsaSecurelyAbsent => "no TLSA records, and DNSSEC proves there are none",
            Self::TlsaInsecure => "TLSA lookup answered from unsigned DNS",
            Self::TlsaNotValidated => "TLSA answer failed DNSSEC validation",
            Self::TlsaLookupFailed => "TLSA lookup failed",
            Self::AddressesInsecure => "address records not DNSSEC-signed, so no TLSA lookup",
            Self::AddressesNotValidated => "address records failed DNSSEC validation",
            Self::AddressLookupFailed => "address lookup failed",
            Self::NoAddresses => "no A or AAAA records",
            Self::ConfiguredRelay => "internal relay host chosen by the configuration",
        }
    }
}

/// A local policy rule that raised a host's requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Raise {
    /// `require-dane`.
    RequireDane,
    /// `require-sts`.
    RequireSts,
    /// `require-tls`.
    RequireTls,
}

impl DeliveryPlan {
    fn without_hosts(domain: &Name, trouble: Trouble, options: &PlanOptions) -> Self {
        Self {
            domain: domain.clone(),
            mx_kind: None,
            mx_status: DnssecStatus::Indeterminate,
            hosts: Vec::new(),
            domain_trouble: Some(trouble),
            options: options.clone(),
            sts: None,
        }
    }

    /// The hosts that may be tried now, in order.
    pub fn usable_hosts(&self) -> impl Iterator<Item = &HostPlan> {
        self.hosts.iter().filter(|h| h.requirement.is_usable())
    }

    /// The hosts DANE leaves opportunistic, where MTA-STS applies next
    /// (RFC 8461 §2: DANE wins where it exists).
    pub fn hosts_without_dane_mut(&mut self) -> impl Iterator<Item = &mut HostPlan> {
        self.hosts
            .iter_mut()
            .filter(|h| h.requirement == Requirement::Opportunistic)
    }

    /// Why nothing can be tried now, when nothing can: the domain's trouble,
    /// or, when every host is unusable, the first security trouble among
    /// them (the most telling for the sender), else the last host's.
    pub fn trouble(&self) -> Option<Trouble> {
        if let Some(trouble) = &self.domain_trouble {
            return Some(trouble.clone());
        }
        if self.usable_hosts().next().is_some() {
            return None;
        }
        let troubles: Vec<&Trouble> = self
            .hosts
            .iter()
            .filter_map(|h| match &h.requirement {
                Requirement::UnusableNow(trouble) => Some(trouble),
                _ => None,
            })
            .collect();
        troubles
            .iter()
            .find(|t| t.is_security())
            .or(troubles.last())
            .map(|t| (*t).clone())
    }
}

/// Builds the delivery plan for `domain` (DESIGN §2) from DNS, DANE and
/// local policy, without consulting MTA-STS: for tools and tests that look
/// at DNS alone. Delivery uses [`crate::plan_with_sts`].
///
/// - MX per RFC 5321 §5.1 with null MX (RFC 7505 §3 → permanent `5.1.10`)
///   and implicit MX; NXDOMAIN → permanent `5.1.2`; a failed MX lookup →
///   temporary `4.4.312`; a bogus MX RRset → no host, temporary `4.7.324`.
/// - For every MX host and every address, DANE usability per RFC 7672
///   §2.2 (see [`Requirement`]); an insecure MX RRset does not stop DANE
///   for a host whose addresses and TLSA records are secure (§2.2.1).
/// - Then local policy ([`PlanOptions::apply`]).
pub async fn plan(resolver: &Resolver, domain: &Name, options: &PlanOptions) -> DeliveryPlan {
    let mut plan = dane_plan(resolver, domain, options).await;
    // MTA-STS (RFC 8461) comes here in `plan_with_sts`, on
    // `plan.hosts_without_dane_mut()`, before local policy raises what is left.
    options.apply(&mut plan);
    plan
}

/// The plan as DNS and DANE alone make it, before MTA-STS and local policy.
pub async fn dane_plan(resolver: &Resolver, domain: &Name, options: &PlanOptions) -> DeliveryPlan {
    let mx = match resolver.mx(domain).await {
        Ok(mx) => mx,
        Err(error) => {
            return DeliveryPlan::without_hosts(domain, Trouble::dns(DnsStep::Mx, &error), options);
        }
    };
    let mut plan = DeliveryPlan {
        domain: domain.clone(),
        mx_kind: Some(mx.kind),
        mx_status: mx.status,
        hosts: Vec::new(),
        domain_trouble: None,
        options: options.clone(),
        sts: None,
    };
    // RFC 7672 §2.1: an MX RRset that fails validation cannot be used, and
    // delivery is deferred. A bogus answer carries no records, so this comes
    // before reading the kind.
    if matches!(mx.status, DnssecStatus::Bogus | DnssecStatus::Indeterminate) {
        plan.domain_trouble = Some(Trouble::with_detail(
            Cause::DnssecInvalid { step: DnsStep::Mx },
            format!("{domain} MX: DNSSEC status {}", mx.status),
        ));
        return plan;
    }
    match mx.kind {
        MxKind::NullMx => {
            plan.domain_trouble = Some(Trouble::with_detail(
                Cause::NullMx,
                format!("{domain} MX 0 ."),
            ));
        }
        MxKind::NoSuchDomain => {
            plan.domain_trouble = Some(Trouble::with_detail(
                Cause::NoSuchDomain,
                format!("{domain}: NXDOMAIN"),
            ));
        }
        MxKind::Explicit | MxKind::Implicit => {
            // Hosts are looked up together, so that one slow or silent name
            // server does not delay the others; the order stays the MX order.
            plan.hosts = join_all(
                mx.hosts
                    .iter()
                    .map(|host| dane::host_plan(resolver, &host.name, host.preference)),
            )
            .await;
        }
    }
    plan
}
