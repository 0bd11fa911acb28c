//! Fetching the TXT records an area reads, with their DNSSEC status, and
//! saying what was seen in a finding's evidence.

use dns::{Absence, DnssecStatus, Name, Resolver};

/// The TXT answer at one name, its strings joined per record (RFC 7208
/// §3.3, RFC 7489 §6.1, RFC 8460 §3).
#[derive(Clone, Debug)]
pub(crate) struct TxtAnswer {
    /// The name asked about, without its trailing dot.
    pub name: String,
    /// The DNSSEC status of the answer (or of its denial).
    pub status: DnssecStatus,
    /// Each record's strings, joined.
    pub texts: Vec<String>,
    /// Why there are no records, when there are none.
    pub absence: Option<Absence>,
}

impl TxtAnswer {
    /// The texts `keep` accepts (say, those starting `v=spf1`).
    pub fn select(&self, keep: impl Fn(&str) -> bool) -> Vec<&str> {
        self.texts
            .iter()
            .map(String::as_str)
            .filter(|t| keep(t))
            .collect()
    }

    /// `name TXT (DNSSEC: status)`, the head of every piece of evidence.
    pub fn source(&self) -> String {
        format!("{} TXT (DNSSEC: {})", self.name, self.status)
    }

    /// The source and every record, quoted; or why there is none.
    pub fn describe(&self) -> String {
        match self.absence {
            Some(Absence::NxDomain) => format!("{}: no such name (NXDOMAIN)", self.source()),
            Some(Absence::NoData) => format!("{}: no TXT records (NODATA)", self.source()),
            None => {
                let quoted: Vec<String> = self
                    .texts
                    .iter()
                    .map(|t| smtp::quoted(t).to_string())
                    .collect();
                format!("{}: {}", self.source(), quoted.join(", "))
            }
        }
    }

    /// The source and the given records, quoted.
    pub fn describe_records(&self, records: &[&str]) -> String {
        let quoted: Vec<String> = records
            .iter()
            .map(|t| smtp::quoted(t).to_string())
            .collect();
        format!("{}: {}", self.source(), quoted.join(", "))
    }
}

/// Why no usable TXT answer was had.
#[derive(Clone, Debug)]
pub(crate) struct FetchFailure {
    /// The name asked about, without its trailing dot.
    pub name: String,
    /// What went wrong, for evidence.
    pub reason: String,
}

impl std::fmt::Display for FetchFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} TXT: {}", self.name, self.reason)
    }
}

/// The TXT records at `name`. A lookup failure (SERVFAIL, timeout) and a
/// bogus answer are both failures: a validating receiver gets SERVFAIL for
/// the latter (RFC 4035 §5.5) and so sees no record either.
pub(crate) async fn fetch(resolver: &Resolver, name: &Name) -> Result<TxtAnswer, FetchFailure> {
    let shown = display(name);
    let lookup = resolver.txt(name).await.map_err(|e| FetchFailure {
        name: shown.clone(),
        reason: e.to_string(),
    })?;
    if lookup.status == DnssecStatus::Bogus {
        return Err(FetchFailure {
            name: shown,
            reason: "DNSSEC validation failed (bogus); validating resolvers answer SERVFAIL".into(),
        });
    }
    Ok(TxtAnswer {
        name: shown,
        status: lookup.status,
        texts: lookup.records.iter().map(dns::Txt::joined).collect(),
        absence: lookup.absence,
    })
}

/// A name as people write it: no trailing dot, lower case.
pub(crate) fn display(name: &Name) -> String {
    let text = name.to_lowercase().to_string();
    match text.strip_suffix('.') {
        Some(stripped) if !stripped.is_empty() => stripped.to_owned(),
        _ => text,
    }
}
