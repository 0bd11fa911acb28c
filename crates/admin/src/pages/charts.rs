//! The dashboard's hourly charts, drawn on the server: stacked columns
//! as inline SVG (no script, nothing loaded from elsewhere), with the
//! numbers in words for assistive technology and in a table.

use std::collections::BTreeMap;

use queue::HourlyCount;
use serde::Serialize;

/// Width of one hour's column, gap included, in SVG units.
const COLUMN: u64 = 20;
/// Width of the drawn bar within it.
const BAR: u64 = 16;
/// Height of the drawing area.
const HEIGHT: u64 = 120;
/// Colour classes in `style.css`, one per series, reused in turn.
const CLASSES: usize = 6;

/// One hourly chart: a series per name, stacked per hour.
#[derive(Debug, Serialize)]
pub(crate) struct HourlyChart {
    /// The series, in drawing order, with their colour class and total.
    pub series: Vec<Series>,
    /// One row per hour, oldest first.
    pub hours: Vec<Hour>,
    /// Every count of every hour added up.
    pub total: u64,
    /// The totals in words, e.g. `DANE 3, MTA-STS 0, …`.
    pub summary: String,
    /// The drawing's width.
    pub width: u64,
    /// The drawing area's height (the time axis' labels go below it).
    pub height: u64,
}

/// One series (a security level or a result type).
#[derive(Debug, Serialize)]
pub(crate) struct Series {
    /// Its name as stored (`dane`, `tlsa-invalid`, ...).
    pub name: String,
    /// Its name as shown.
    pub label: String,
    /// Its colour class.
    pub class: String,
    /// Its count over the window.
    pub total: u64,
}

/// One hour: its counts in series order and its bar's pieces.
#[derive(Debug, Serialize)]
pub(crate) struct Hour {
    /// The hour as `YYYY-MM-DD HH:00` (UTC).
    pub label: String,
    /// The counts, in series order.
    pub counts: Vec<u64>,
    /// Their sum.
    pub total: u64,
    /// The pieces of its stacked bar, bottom up; only non-empty ones.
    pub pieces: Vec<Piece>,
    /// The left edge of its bar.
    pub x: u64,
    /// Its label on the time axis (`HH:00`), every sixth hour.
    pub tick: Option<String>,
}

/// One rectangle of a stacked bar.
#[derive(Debug, Serialize)]
pub(crate) struct Piece {
    /// The series' label.
    pub label: String,
    /// The series' colour class.
    pub class: String,
    /// Its count.
    pub count: u64,
    /// Top edge.
    pub y: u64,
    /// Height.
    pub height: u64,
}

/// How a series is named on the page.
fn label(name: &str) -> String {
    match name {
        "dane" => "DANE".to_owned(),
        "mta-sts" => "MTA-STS".to_owned(),
        "tls" => "opportunistic TLS".to_owned(),
        "plaintext" => "plaintext".to_owned(),
        "none" => "no connection".to_owned(),
        other => other.to_owned(),
    }
}

impl HourlyChart {
    /// The chart of the counts `pick` takes from each hour: the series
    /// `first` in that order, then any other name seen, alphabetically.
    pub(crate) fn of(
        hours: &[HourlyCount],
        first: impl IntoIterator<Item = String>,
        pick: impl Fn(&HourlyCount) -> &BTreeMap<String, u64>,
    ) -> Self {
        let mut names: Vec<String> = first.into_iter().collect();
        for hour in hours {
            for name in pick(hour).keys() {
                if !names.contains(name) {
                    names.push(name.clone());
                }
            }
        }
        let counts: Vec<Vec<u64>> = hours
            .iter()
            .map(|h| {
                let by = pick(h);
                names
                    .iter()
                    .map(|n| by.get(n).copied().unwrap_or(0))
                    .collect()
            })
            .collect();
        let tallest = counts
            .iter()
            .map(|c| c.iter().sum::<u64>())
            .max()
            .unwrap_or(0)
            .max(1);
        let series: Vec<Series> = names
            .iter()
            .enumerate()
            .map(|(i, name)| Series {
                name: name.clone(),
                label: label(name),
                class: format!("s{}", i % CLASSES),
                total: counts.iter().map(|c| c[i]).sum(),
            })
            .collect();
        let rows = hours
            .iter()
            .zip(counts)
            .enumerate()
            .map(|(i, (hour, counts))| {
                let mut below = 0;
                let mut pieces = Vec::new();
                for (s, count) in series.iter().zip(&counts) {
                    if *count == 0 {
                        continue;
                    }
                    let bottom = HEIGHT - (below * HEIGHT / tallest);
                    below += count;
                    let top = HEIGHT - (below * HEIGHT / tallest);
                    pieces.push(Piece {
                        label: s.label.clone(),
                        class: s.class.clone(),
                        count: *count,
                        y: top,
                        height: (bottom - top).max(1),
                    });
                }
                let at = report::tlsrpt::datetime::format(hour.hour.into());
                Hour {
                    label: format!(
                        "{} {}",
                        at.get(..10).unwrap_or_default(),
                        at.get(11..16).unwrap_or_default()
                    ),
                    total: counts.iter().sum(),
                    counts,
                    pieces,
                    x: i as u64 * COLUMN + (COLUMN - BAR) / 2,
                    tick: (i % 6 == 0).then(|| at.get(11..16).unwrap_or_default().to_owned()),
                }
            })
            .collect::<Vec<_>>();
        let summary = series
            .iter()
            .map(|s| format!("{} {}", s.label, s.total))
            .collect::<Vec<_>>()
            .join(", ");
        HourlyChart {
            total: series.iter().map(|s| s.total).sum(),
            width: rows.len() as u64 * COLUMN,
            height: HEIGHT,
            series,
            hours: rows,
            summary,
        }
    }
}
