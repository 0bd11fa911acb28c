//! `sealane report dmarc read FILE...`: DMARC aggregate reports (RFC 7489
//! §7.2) that reached an administrator — XML, `.xml.gz`, `.zip` or a whole
//! report mail — summarised per source address with the receiver's
//! disposition and DKIM/SPF alignment (or as JSON).

use std::fmt::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::anyhow;
use report::dmarc::{self, DmarcSummary};
use smtp::untrusted as shown;

use crate::cmd::report::{ReadArgs, failed};
use crate::exit::Failure;

fn read_file(path: &PathBuf) -> Result<DmarcSummary, Failure> {
    let data = std::fs::read(path).map_err(|e| {
        Failure::Input(anyhow!(
            "cannot read {}: {}",
            path.display(),
            smtp::io_text(&e)
        ))
    })?;
    dmarc::read(&data)
        .map(|report| dmarc::summarise(&report))
        .map_err(|e| Failure::Input(anyhow!("{}: {e}", path.display())))
}

/// Runs `report dmarc read`.
pub(crate) fn read(args: ReadArgs) -> Result<ExitCode, Failure> {
    let summaries = args
        .files
        .iter()
        .map(read_file)
        .collect::<Result<Vec<_>, _>>()?;
    if args.json {
        let text = serde_json::to_string_pretty(&summaries)
            .map_err(|e| Failure::Runtime(anyhow!("cannot write JSON: {e}")))?;
        crate::output::json(&text);
    } else {
        let text: String = summaries.iter().map(summary).collect();
        crate::output::human(&text);
    }
    Ok(ExitCode::SUCCESS)
}

/// What a report says, for a person; every text in it came from the
/// reporter, and is shown escaped.
fn summary(s: &DmarcSummary) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} ({}), {} to {}, report {}",
        shown(&s.organization),
        shown(&s.contact),
        s.begin,
        s.end,
        shown(&s.report_id)
    );
    let _ = writeln!(
        out,
        "  {} p={}: {}, {} passed DMARC, {}",
        shown(&s.domain),
        s.policy,
        smtp::count(s.messages, "message", "messages"),
        s.passed,
        failed(s.messages - s.passed)
    );
    for row in &s.sources {
        let _ = writeln!(
            out,
            "    {} x{}: {}, dkim {}, spf {} (From {})",
            if row.source_ip.is_empty() {
                "(no address)".to_owned()
            } else {
                shown(&row.source_ip).to_string()
            },
            row.count,
            row.disposition,
            row.dkim,
            row.spf,
            shown(&row.header_from)
        );
    }
    out
}
