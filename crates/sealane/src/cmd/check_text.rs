//! The readable form of a `sealane check` report: findings grouped by
//! area, each with its severity, title, evidence and remedy; ANSI colour
//! only when asked (on a terminal).

use std::fmt::Write;

use check::{DomainReport, Severity};

use crate::output::Tone;

/// The colour of each severity.
fn paint(severity: Severity, text: &str, colour: bool) -> String {
    if !colour {
        return text.to_owned();
    }
    let tone = match severity {
        Severity::Pass => Tone::Good,
        Severity::Info => Tone::Note,
        Severity::Warning => Tone::Warning,
        _ => Tone::Bad,
    };
    crate::output::paint(tone, text)
}

/// Renders one domain's report.
pub fn render(report: &DomainReport, colour: bool) -> String {
    let mut out = String::new();
    let worst = report.worst.as_str();
    let _ = writeln!(
        out,
        "{} — worst: {}",
        report.domain,
        paint(report.worst, worst, colour)
    );
    let mut area = None;
    for finding in &report.findings {
        if area != Some(finding.area) {
            area = Some(finding.area);
            let _ = writeln!(out, "  {}", finding.area.as_str().to_uppercase());
        }
        let tag = format!("{:<7}", finding.severity.as_str());
        let _ = writeln!(
            out,
            "    {} {} [{}]",
            paint(finding.severity, &tag, colour),
            finding.title,
            finding.id
        );
        if !finding.evidence.is_empty() {
            let _ = writeln!(out, "            seen: {}", finding.evidence);
        }
        if !finding.remedy.is_empty() && finding.severity > Severity::Pass {
            let _ = writeln!(out, "            fix:  {}", finding.remedy);
        }
    }
    out.push('\n');
    out
}
