//! `/metrics`: the Prometheus text exposition format (version 0.0.4),
//! written here: the queue's sizes read from the store at each scrape, the
//! daemon's counters (`server::counters`), and what the shared resolver
//! (`dns::Resolver::stats`) and MTA-STS policies
//! (`policy::sts::StsPolicies::stats`) counted.

use std::fmt::Write;
use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use dns::ResolverStats;
use policy::sts::StsStats;
use queue::QueueSummary;
use server::counters::Snapshot;

use crate::App;

/// The media type of the text format.
const TEXT_FORMAT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// `GET /metrics`.
pub(crate) async fn handler(State(app): State<Arc<App>>) -> Response {
    match app.shared.store.summary().await {
        Ok(summary) => {
            let text = render(
                &summary,
                &app.shared.counters.snapshot(),
                &app.shared.resolver.stats(),
                &app.shared.sts.stats(),
            );
            ([(CONTENT_TYPE, TEXT_FORMAT)], text).into_response()
        }
        Err(e) => {
            tracing::warn!(error = %e, "metrics: the store failed");
            (StatusCode::SERVICE_UNAVAILABLE, crate::texts::STORE_FAILED).into_response()
        }
    }
}

/// A label value, escaped as the text format wants (`\\`, `\"`, `\n`).
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Pending recipients by state, all destinations together.
pub(crate) fn by_state(summary: &QueueSummary) -> Vec<(&'static str, u64)> {
    let (mut queued, mut in_flight, mut deferred, mut held) = (0, 0, 0, 0);
    for domain in &summary.by_domain {
        queued += domain.queued;
        in_flight += domain.in_flight;
        deferred += domain.deferred;
        held += domain.held;
    }
    vec![
        ("queued", queued),
        ("in-flight", in_flight),
        ("deferred", deferred),
        ("held", held),
    ]
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// A histogram's `_bucket`, `_sum` and `_count` lines; `buckets` are
/// cumulative, the `+Inf` bucket is `count`.
fn histogram(out: &mut String, name: &str, buckets: &[(f64, u64)], sum: f64, count: u64) {
    for (bound, n) in buckets {
        let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {n}");
    }
    let _ = writeln!(
        out,
        "{name}_bucket{{le=\"+Inf\"}} {count}\n{name}_sum {sum}\n{name}_count {count}"
    );
}

/// The whole text.
pub(crate) fn render(
    summary: &QueueSummary,
    counted: &Snapshot,
    resolver: &ResolverStats,
    sts: &StsStats,
) -> String {
    let mut out = String::new();
    family(
        &mut out,
        "sealane_queue_recipients",
        "gauge",
        "Recipients waiting in the queue, by state.",
    );
    for (state, count) in by_state(summary) {
        let _ = writeln!(out, "sealane_queue_recipients{{state=\"{state}\"}} {count}");
    }
    family(
        &mut out,
        "sealane_queue_deferred_by_cause",
        "gauge",
        "Deferred recipients, by the cause of their last failure.",
    );
    for cause in &summary.by_cause {
        let _ = writeln!(
            out,
            "sealane_queue_deferred_by_cause{{cause=\"{}\",code=\"{}\"}} {}",
            label(&cause.cause),
            label(&cause.code.to_string()),
            cause.recipients
        );
    }
    family(
        &mut out,
        "sealane_messages_received_total",
        "counter",
        "Messages queued on arrival, by outbound pool.",
    );
    for (pool, count) in &counted.received {
        let _ = writeln!(
            out,
            "sealane_messages_received_total{{pool=\"{}\"}} {count}",
            label(pool)
        );
    }
    family(
        &mut out,
        "sealane_recipients_total",
        "counter",
        "Recipients settled by delivery attempts: outcome (delivered, deferred, bounced, expired), cause and security level.",
    );
    for ((outcome, cause, security), count) in &counted.outcomes {
        let _ = writeln!(
            out,
            "sealane_recipients_total{{outcome=\"{}\",cause=\"{}\",security=\"{}\"}} {count}",
            label(outcome),
            label(cause),
            label(security)
        );
    }
    family(
        &mut out,
        "sealane_tls_sessions_total",
        "counter",
        "Outbound connections by policy kind and RFC 8460 result type (success when none failed).",
    );
    for ((policy, result), count) in &counted.tls {
        let _ = writeln!(
            out,
            "sealane_tls_sessions_total{{policy=\"{}\",result_type=\"{}\"}} {count}",
            label(policy),
            label(result)
        );
    }
    family(
        &mut out,
        "sealane_dnssec_failures_total",
        "counter",
        "Outbound connections whose DNS answers failed DNSSEC validation.",
    );
    let _ = writeln!(
        out,
        "sealane_dnssec_failures_total {}",
        counted.dnssec_failures
    );
    family(
        &mut out,
        "sealane_delivery_latency_seconds",
        "histogram",
        "Time from arrival to delivery, per delivered recipient.",
    );
    histogram(
        &mut out,
        "sealane_delivery_latency_seconds",
        &counted.latency_buckets,
        counted.latency_sum,
        counted.latency_count,
    );
    family(
        &mut out,
        "sealane_dns_lookup_seconds",
        "histogram",
        "Time the DNSSEC-validating resolver spent on questions that went to the network (cache misses), answered or not.",
    );
    histogram(
        &mut out,
        "sealane_dns_lookup_seconds",
        &resolver.network_buckets,
        resolver.network_seconds,
        resolver.network_count,
    );
    family(
        &mut out,
        "sealane_dns_lookup_failures_total",
        "counter",
        "Questions that went to the network and got no answer (timeout, SERVFAIL, validation that could not finish).",
    );
    let _ = writeln!(
        out,
        "sealane_dns_lookup_failures_total {}",
        resolver.network_failures
    );
    family(
        &mut out,
        "sealane_dns_cache_hits_total",
        "counter",
        "Questions the resolver answered from its cache.",
    );
    let _ = writeln!(out, "sealane_dns_cache_hits_total {}", resolver.cache_hits);
    family(
        &mut out,
        "sealane_mta_sts_fetches_total",
        "counter",
        "MTA-STS policy fetches over HTTPS, by result (ok, failed).",
    );
    let _ = writeln!(
        out,
        "sealane_mta_sts_fetches_total{{result=\"ok\"}} {}\n\
         sealane_mta_sts_fetches_total{{result=\"failed\"}} {}",
        sts.fetches_ok, sts.fetches_failed
    );
    family(
        &mut out,
        "sealane_mta_sts_cache_hits_total",
        "counter",
        "MTA-STS policies applied from the cache without a fetch.",
    );
    let _ = writeln!(out, "sealane_mta_sts_cache_hits_total {}", sts.cache_hits);
    out
}
