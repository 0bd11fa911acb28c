//! `--color`, `NO_COLOR`, `-q` and `--json`: colour only when asked or on a
//! terminal, plain text through a pipe, JSON never mixed with anything.

use std::process::Output;

use testworld::dns::{DnsServer, standard};

struct World {
    server: DnsServer,
    anchor: tempfile::TempPath,
}

async fn world() -> World {
    let server = standard().serve().await.expect("test world starts");
    let anchor = tempfile::NamedTempFile::new()
        .expect("temp file")
        .into_temp_path();
    server.write_trust_anchor(&anchor).expect("anchor written");
    World { server, anchor }
}

impl World {
    /// `sealane dns mx.expired.test A` (a bogus answer) with `options`,
    /// and `NO_COLOR` set when `no_color`.
    async fn bogus(&self, options: &[&str], no_color: bool) -> Output {
        self.bogus_with(options, &[], no_color).await
    }

    /// The same, with `after` after the command's name.
    async fn bogus_with(&self, options: &[&str], after: &[&str], no_color: bool) -> Output {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_sealane"));
        command
            .args(options)
            .args(["dns", "mx.expired.test", "A"])
            .args(after)
            .arg("--dns-server")
            .arg(self.server.addr().to_string())
            .arg("--trust-anchor")
            .arg(&self.anchor)
            .env_remove("NO_COLOR");
        if no_color {
            command.env("NO_COLOR", "1");
        }
        command.output().await.expect("sealane runs")
    }
}

fn coloured(output: &Output) -> bool {
    output.stdout.windows(2).any(|w| w == b"\x1b[")
}

#[tokio::test]
async fn a_pipe_gets_plain_text_unless_colour_is_forced() {
    let w = world().await;
    let piped = w.bogus(&[], false).await;
    assert_eq!(piped.status.code(), Some(3));
    assert!(
        !coloured(&piped),
        "{}",
        String::from_utf8_lossy(&piped.stdout)
    );
    let forced = w.bogus(&["--color", "always"], false).await;
    assert!(coloured(&forced));
    let text = String::from_utf8_lossy(&forced.stdout);
    assert!(text.contains("dnssec: \x1b["), "{text:?}");
    assert!(!coloured(&w.bogus(&["--color", "never"], false).await));
    assert!(!coloured(&w.bogus(&["--color", "auto"], true).await));
}

#[tokio::test]
async fn colour_options_go_after_the_command_too() {
    let w = world().await;
    let output = w.bogus(&[], false).await;
    assert!(!coloured(&output));
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_sealane"));
    command
        .args([
            "dns",
            "mx.expired.test",
            "A",
            "--color=always",
            "--dns-server",
        ])
        .arg(w.server.addr().to_string())
        .arg("--trust-anchor")
        .arg(&w.anchor);
    assert!(coloured(&command.output().await.expect("sealane runs")));
}

#[tokio::test]
async fn quiet_prints_nothing_and_keeps_the_exit_status() {
    let w = world().await;
    let quiet = w.bogus(&["-q"], false).await;
    assert_eq!(quiet.status.code(), Some(3));
    assert!(
        quiet.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&quiet.stdout)
    );
    assert!(quiet.stderr.is_empty());
}

#[tokio::test]
async fn json_is_never_coloured_nor_mixed_with_text() {
    let w = world().await;
    let output = w
        .bogus_with(&["--color", "always"], &["--json"], false)
        .await;
    assert_eq!(output.status.code(), Some(3));
    assert!(!coloured(&output));
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).expect("only JSON");
    assert_eq!(value["status"], "bogus");
}

#[tokio::test]
async fn quiet_and_verbose_together_are_refused() {
    let w = world().await;
    let output = w.bogus(&["-q", "-v"], false).await;
    assert_eq!(output.status.code(), Some(2));
}
