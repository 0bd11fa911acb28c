//! Serves the standard DNS world (see `testworld::dns::standard`) until
//! killed, for tools outside Rust tests: the Unbound interop check and
//! manual exploration with `dig` or `sealane dns`.
//!
//! Usage: `testworld-dns DIR` — writes `DIR/addr` (IP:PORT), `DIR/port`, and
//! `DIR/anchor.ds` and `DIR/anchor.dnskey` (the root trust anchor).

use std::path::PathBuf;

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let Some(dir) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: testworld-dns DIR");
        std::process::exit(2);
    };
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
