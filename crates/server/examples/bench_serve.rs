//! The daemon's end-to-end figure: N messages submitted over SMTP by C
//! concurrent clients to `sealane serve` (the library, in this process),
//! each delivered over DANE-verified STARTTLS to a receiver on loopback.
//! Prints messages per second from the first submission to the last
//! delivery, and the process's peak RSS.
//!
//!     cargo run --release -p sealane-server --example bench_serve -- [N] [C] [mx] [tlsrpt=off]
//!
//! With `mx` the messages go to an MX listener instead (loopback may
//! relay), which authenticates each on arrival (SPF, DKIM, DMARC, ARC;
//! the author domain's DMARC failure only marked): the same messages
//! and delivery, so the difference is the cost of sender authentication.
//! `tlsrpt=off` turns TLS-RPT session recording off (`[tls_report]
//! enabled = false`), to compare the cost of counting every session.

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{Load, submit_load, world_with};
use server::Scheduling;

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        })
        .unwrap_or(0)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let c: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10);
    let flags: Vec<String> = args.collect();
    let mx = flags.iter().any(|a| a == "mx");
    let recording = !flags.iter().any(|a| a == "tlsrpt=off");
    let mut extra = String::new();
    if mx {
        extra.push_str("[auth]\ndmarc_reject = \"mark\"\n\n[[listener]]\nrole = \"mx\"\naddress = \"127.0.0.3:0\"\n");
    }
    if !recording {
        extra.push_str("[tls_report]\nenabled = false\n");
    }
    let w = Arc::new(world_with(&extra, Scheduling::Automatic).await);
    let submission = if mx {
        w.daemon
            .listening()
            .iter()
            .find(|(role, _)| *role == server::config::Role::Mx)
            .expect("an MX listener")
            .1
    } else {
        w.submission()
    };
    let start = Instant::now();
    submit_load(
        &[submission],
        c,
        Load {
            range: 0..n,
            sender: "bench@forged.test",
            rcpt: "sink@dane.test",
            head: |i| {
                format!(
                    "From: <bench@forged.test>\r\nSubject: bench {i}\r\nMessage-ID: <b{i}@sender.test>\r\n"
                )
            },
        },
    )
    .await;
    let injected = start.elapsed();
    while w.receivers[0].messages().len() < n {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let total = start.elapsed();
    let sessions = w.receivers[0].sessions();
    let verified = sessions.iter().filter(|s| s.tls.is_some()).count();
    let today = queue::utc_day(dns::clock::Clock::now(&*w.clock));
    let counted: u64 = w
        .daemon
        .shared()
        .store
        .tls_sessions("dane.test", today)
        .await
        .expect("the store answers")
        .iter()
        .map(|c| c.count)
        .sum();
    println!(
        "sealane-serve-dane{} (TLS-RPT recording {}): {n} messages in {:.3} s = {:.1} msg/s (injection {:.2} s; {} TLS sessions at the receiver of {}; {counted} sessions counted for TLS-RPT; peak RSS {} MiB)",
        if mx { " (mx, authenticated)" } else { "" },
        if recording { "on" } else { "off" },
        total.as_secs_f64(),
        n as f64 / total.as_secs_f64(),
        injected.as_secs_f64(),
        verified,
        sessions.len(),
        peak_rss_kib() / 1024
    );
}
