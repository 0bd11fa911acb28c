//! The console in a real browser: headless Chromium driven through
//! WebDriver (`chromium-driver`, `python3-selenium`; `.ci/run` installs
//! them) by `tests/browser/drive.py` — log in, find a deferred message by
//! recipient, open its trace, retry it, run the troubleshooter on a DANE
//! mismatch, check a domain — against a daemon in the test world.
//! Screenshots of the pages go to `target/screenshots/`.

#[path = "../../server/tests/common/mod.rs"]
mod common;

use std::path::PathBuf;

const PASSWORD: &str = "correct horse battery staple";

/// Whether Chromium and its WebDriver are here; under CI they must be.
fn browser_present() -> bool {
    let present = ["/usr/bin/chromium", "/usr/bin/chromedriver"]
        .iter()
        .all(|p| std::path::Path::new(p).exists());
    if !present && std::env::var_os("CI").is_some() {
        panic!("chromium and chromium-driver are not installed under CI: .ci/run installs them");
    }
    if !present {
        eprintln!("SKIPPED: no chromium/chromium-driver for the browser test");
    }
    present
}

#[tokio::test(flavor = "multi_thread")]
async fn an_administrator_finds_retries_and_troubleshoots_in_a_browser() {
    if !browser_present() {
        return;
    }
    let hash = server::users::hash(PASSWORD).unwrap();
    let extra = format!(
        "[admin]\nlisten = \"127.0.0.1:0\"\n\n\
         [[user]]\nname = \"ann\"\npassword_hash = \"{hash}\"\nadmin = true\n"
    );
    let world = common::world(&extra).await;
    let console = admin::Console::start(world.daemon.shared().clone())
        .await
        .unwrap()
        .unwrap();
    let reply = common::submit(&world, "alice@sender.test", &["bob@dead.test"]).await;
    let id = common::queue_id(&reply);
    // Something for the dashboard's charts: DANE deliveries, an MTA-STS
    // one, a DANE mismatch.
    for to in [
        "carol@dane.test",
        "erin@dane.test",
        "carol@sts.test",
        "dave@mismatch.test",
    ] {
        common::submit(&world, "alice@sender.test", &[to]).await;
    }
    world.daemon.drain().await.unwrap();

    let shots = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    let (address, screenshots) = (console.address(), shots.clone());
    // The browser talks to the console on this runtime: wait off it.
    let driven = tokio::task::spawn_blocking(move || {
        std::process::Command::new("/usr/bin/python3")
            .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/browser/drive.py"))
            .env("CONSOLE", format!("http://{address}"))
            .env("CONSOLE_USER", "ann")
            .env("PASSWORD", PASSWORD)
            .env("RECIPIENT", "bob@dead.test")
            .env("MISMATCH", "someone@mismatch.test")
            .env("CHECK", "dane.test")
            .env("SCREENSHOTS", &screenshots)
            .output()
    })
    .await
    .unwrap()
    .expect("/usr/bin/python3 runs");
    assert!(
        driven.status.success(),
        "the browser run failed:\n{}\n{}",
        String::from_utf8_lossy(&driven.stdout),
        String::from_utf8_lossy(&driven.stderr)
    );
    // The retry clicked in the browser reached the queue.
    let detail = world
        .daemon
        .shared()
        .store
        .show(id.parse().unwrap())
        .await
        .unwrap()
        .expect("the message is in the queue");
    assert!(
        detail
            .events
            .iter()
            .any(|e| matches!(e.kind, queue::EventKind::RetryRequested)),
        "no retry in the trace: {:?}",
        detail.events
    );
    for page in ["dashboard.png", "message.png", "route.png", "check.png"] {
        let size = std::fs::metadata(shots.join(page))
            .map(|m| m.len())
            .unwrap_or(0);
        assert!(size > 10_000, "{page}: {size} bytes");
    }
    console.stop().await;
}
