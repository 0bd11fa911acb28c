//! Serves the standard DNS world (see `testworld::dns::standard`) until
//! killed, for tools outside Rust tests: the Unbound interop check and
//! manual exploration with `dig` or `sealane dns`.

use std::path::PathBuf;

use clap::Parser;

/// Serve Sealane's standard signed DNS test world on loopback until killed.
///
/// DNS only (UDP and TCP on one 127.0.0.1 port): a private signed root and
/// a zone per case (secure, insecure, bogus, expired, NSEC3, ...); no SMTP
/// receivers or MTA-STS policy hosts (see testworld-peer for those).
#[derive(Parser)]
#[command(name = "testworld-dns", version)]
struct Args {
    /// Directory to write into: `addr` (IP:PORT, written last, once the
    /// server answers), `port`, and the root trust anchor as `anchor.ds`
    /// and `anchor.dnskey`. Created if missing.
    dir: PathBuf,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let dir = Args::parse().dir;
    std::fs::create_dir_all(&dir)?;
    let server = testworld::dns::standard().serve().await?;
    std::fs::write(
        dir.join("anchor.ds"),
        format!("{}\n", server.trust_anchor_ds()),
    )?;
    std::fs::write(
        dir.join("anchor.dnskey"),
        format!("{}\n", server.trust_anchor_dnskey()),
    )?;
    std::fs::write(dir.join("port"), format!("{}\n", server.addr().port()))?;
    // Written last: its presence says the server is ready.
    std::fs::write(dir.join("addr"), format!("{}\n", server.addr()))?;
    eprintln!(
        "testworld-dns: serving the standard world on {}",
        server.addr()
    );
    std::future::pending::<()>().await;
    Ok(())
}
