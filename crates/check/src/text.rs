//! The shape of each area's table of texts: one entry per finding id, with
//! its severity, title and remedy. Each area keeps its table in one file
//! (`spf/texts.rs`, `dmarc/texts.rs`, `tlsrpt/texts.rs`).

use crate::finding::{Area, Finding, Severity};

/// One row of an area's table.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Text {
    /// The area the finding belongs to.
    pub area: Area,
    /// The stable id.
    pub id: &'static str,
    /// How bad the finding is.
    pub severity: Severity,
    /// The short title.
    pub title: &'static str,
    /// What to do; `{domain}` is replaced by the domain checked.
    pub remedy: &'static str,
}

impl Text {
    /// A table row.
    pub const fn new(
        area: Area,
        id: &'static str,
        severity: Severity,
        title: &'static str,
        remedy: &'static str,
    ) -> Self {
        Self {
            area,
            id,
            severity,
            title,
            remedy,
        }
    }

    /// The finding for `domain` with this row's texts and `evidence`.
    pub fn finding(&self, domain: &str, evidence: impl Into<String>) -> Finding {
        Finding {
            area: self.area,
            severity: self.severity,
            id: self.id,
            title: self.title,
            evidence: evidence.into(),
            remedy: self.remedy.replace("{domain}", domain),
            detail: None,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Checks a table: ids unique, kebab-case and prefixed; passes have no
    /// remedy, warnings and errors have one. Used by each table's unit test.
    pub(crate) fn check_table(table: &[Text], prefix: &str) {
        let mut seen = std::collections::HashSet::new();
        for text in table {
            assert!(seen.insert(text.id), "duplicate id {}", text.id);
            assert!(text.id.starts_with(prefix), "{} lacks {prefix}", text.id);
            assert!(
                text.id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{} is not kebab-case",
                text.id
            );
            assert!(!text.title.is_empty(), "{} has no title", text.id);
            match text.severity {
                Severity::Pass => assert!(text.remedy.is_empty(), "{}: a pass", text.id),
                Severity::Warning | Severity::Error => {
                    assert!(!text.remedy.is_empty(), "{} needs a remedy", text.id)
                }
                _ => {}
            }
        }
    }

    #[test]
    fn remedy_names_the_domain() {
        let text = Text::new(
            Area::Spf,
            "spf-x",
            Severity::Warning,
            "t",
            "publish at {domain}",
        );
        let finding = text.finding("example.test", "seen");
        assert_eq!(finding.remedy, "publish at example.test");
        assert_eq!(finding.evidence, "seen");
        assert_eq!(finding.id, "spf-x");
    }
}
