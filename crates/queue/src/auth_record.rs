//! Sender authentication as the trace keeps it: what SPF, DKIM, DMARC and
//! ARC said about a message on arrival (the results of RFC 8601 §2.7), in
//! the queue's own types so the stored trace keeps its shape when the
//! `auth` crate's change.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

/// Every result of sender authentication for one message.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AuthRecord {
    /// The address SPF and DMARC evaluated: the client's, or the first
    /// hop from outside the trusted gateways.
    pub evaluated_ip: Option<IpAddr>,
    /// The trusted gateway the message came through, when SPF evaluated a
    /// hop behind it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway: Option<IpAddr>,
    /// SPF of the HELO and MAIL FROM identities.
    pub spf: Vec<SpfRecord>,
    /// Each DKIM signature.
    pub dkim: Vec<DkimRecord>,
    /// DMARC, when the message had a single author domain.
    pub dmarc: Option<DmarcRecord>,
    /// ARC (RFC 8617), when checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arc: Option<ArcRecord>,
    /// What the arrival policy did with the result (`accept`, `mark`,
    /// `quarantine`, `override`) and why, in words.
    pub verdict: String,
}

/// One SPF check (RFC 7208).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpfRecord {
    /// `helo` or `mailfrom`.
    pub identity: String,
    /// The identity checked (`postmaster@` the domain when it had no local part).
    pub sender: String,
    /// `pass`, `fail`, `softfail`, `neutral`, `none`, `temperror` or `permerror`.
    pub result: String,
    /// The domain's explanation for a `fail`, or why the result is an error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// One DKIM signature (RFC 6376).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DkimRecord {
    /// `pass`, `fail`, `policy`, `neutral`, `temperror` or `permerror`.
    pub result: String,
    /// The signing domain (`d=`).
    pub domain: String,
    /// The selector (`s=`).
    pub selector: String,
    /// The algorithm (`a=`).
    pub algorithm: String,
    /// Why it did not pass.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

/// DMARC (RFC 7489).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DmarcRecord {
    /// `pass`, `fail`, `none`, `temperror` or `permerror`.
    pub result: String,
    /// The RFC5322.From domain.
    pub from_domain: String,
    /// The published policy that applied (`none`, `quarantine`, `reject`).
    pub policy: Option<String>,
    /// What the policy asked for this message after `pct`.
    pub disposition: String,
    /// SPF passed for an aligned domain.
    pub spf_aligned: bool,
    /// DKIM passed for an aligned domain.
    pub dkim_aligned: bool,
    /// Why it did not pass.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

/// ARC (RFC 8617).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArcRecord {
    /// The chain validation status: `none`, `pass` or `fail`.
    pub result: String,
    /// The sealing domains, oldest first.
    pub sealers: Vec<String>,
    /// The trusted sealer whose `dmarc=pass` overrode a local DMARC
    /// failure, if one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub override_by: Option<String>,
    /// Why it did not pass.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

/// The ARC set (RFC 8617) we added to a copy before queueing it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArcSealRecord {
    /// The sealing domain (`d=`).
    pub domain: String,
    /// The selector (`s=`).
    pub selector: String,
    /// The instance of our set (`i=`), 1 when the message arrived without
    /// ARC.
    pub instance: u32,
    /// The chain validation status we sealed with (`cv=`): `none`, `pass`
    /// or `fail`.
    pub cv: String,
}
