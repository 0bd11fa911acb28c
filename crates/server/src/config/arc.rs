//! `[arc]`: the ARC set (RFC 8617) we add to mail we pass on — forwarded
//! copies, and if configured mail relayed from the MX listener — so the
//! next hop can trust the authentication results we saw on arrival. The
//! key is read as `[[dkim.sign]]` keys are (`super::dkim::load_key`).

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use serde::Deserialize;

/// `[arc]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawArc {
    pub domain: String,
    pub selector: String,
    pub key_file: PathBuf,
    pub seal: Option<Vec<RawSealed>>,
}

/// One entry of `seal = [...]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum RawSealed {
    Forwarded,
    Relayed,
}

/// ARC sealing, loaded.
#[derive(Clone)]
pub struct ArcSettings {
    /// `d=`: the sealing domain, lowercase.
    pub domain: String,
    /// `s=`: the selector.
    pub selector: String,
    /// The PEM file the key came from.
    pub key_file: PathBuf,
    /// Seal the copies an alias in `[forward]` sends out (default: yes).
    pub forwarded: bool,
    /// Seal mail relayed from the MX listener to other hosts (default: no).
    pub relayed: bool,
    /// The sealer, holding the key (never printed).
    pub sealer: Arc<auth::ArcSealer>,
}

impl fmt::Debug for ArcSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ArcSettings")
            .field("domain", &self.domain)
            .field("selector", &self.selector)
            .field("key_file", &self.key_file)
            .field("forwarded", &self.forwarded)
            .field("relayed", &self.relayed)
            .finish_non_exhaustive()
    }
}

/// Loads `[arc]`; `authserv_id` names us in the
/// `ARC-Authentication-Results`. The error says why, without the key.
pub(crate) fn load(raw: RawArc, authserv_id: &str) -> Result<ArcSettings, String> {
    let (domain, selector, key) = super::dkim::load_key(&raw.domain, &raw.selector, &raw.key_file)?;
    let seal = raw.seal.unwrap_or_else(|| vec![RawSealed::Forwarded]);
    if seal.is_empty() {
        return Err(
            "seal must name \"forwarded\", \"relayed\" or both; remove [arc] to seal nothing"
                .into(),
        );
    }
    Ok(ArcSettings {
        sealer: Arc::new(auth::ArcSealer::new(&domain, &selector, key, authserv_id)),
        domain,
        selector,
        key_file: raw.key_file,
        forwarded: seal.contains(&RawSealed::Forwarded),
        relayed: seal.contains(&RawSealed::Relayed),
    })
}
