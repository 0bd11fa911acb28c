//! The human output of the one-shot tools, as snapshots: `tlsa`, `auth`,
//! `dkim keygen`, `report tls read`, `user add`, `config check` and
//! `limits list`. What changes from run to run — ports, key material,
//! password hashes, temporary paths — is masked.

mod masks;

use std::process::{Output, Stdio};

use masks::mask_hex;
use testworld::ca::TestCa;
use testworld::dns::{Denial, DnsServer, DnsWorld};
use tokio::io::AsyncWriteExt;

/// `sender.test.`, signed, whose SPF record allows 192.0.2.0/24 and
/// refuses everyone else; a test CA with one leaf for `mx.example.test`.
struct World {
    dns: DnsServer,
    dir: tempfile::TempDir,
}

async fn world() -> World {
    let mut dns_world = DnsWorld::new();
    dns_world
        .signed_zone("sender.test.", Denial::Nsec)
        .txt("sender.test.", "v=spf1 ip4:192.0.2.0/24 -all");
    let dns = dns_world.serve().await.expect("DNS serves");
    let dir = tempfile::tempdir().expect("temporary directory");
    dns.write_trust_anchor(&dir.path().join("anchor"))
        .expect("anchor written");
    let ca = TestCa::new("cli tools ca");
    let id = ca.issue(&["mx.example.test"]);
    std::fs::write(dir.path().join("chain.pem"), id.chain_pem()).expect("chain written");
    std::fs::write(
        dir.path().join("message"),
        "From: someone@sender.test\r\nTo: user@example.test\r\nSubject: unsigned\r\n\r\nHello.\r\n",
    )
    .expect("message written");
    World { dns, dir }
}

impl World {
    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).to_string_lossy().into_owned()
    }

    fn dns_args(&self) -> [String; 4] {
        [
            "--dns-server".into(),
            self.dns.addr().to_string(),
            "--trust-anchor".into(),
            self.path("anchor"),
        ]
    }

    /// What changes from run to run, replaced by a name.
    fn mask(&self, text: &str) -> String {
        let text = text
            .replace(&self.dns.addr().to_string(), "[DNS]")
            .replace(&self.dir.path().to_string_lossy().into_owned(), "[DIR]");
        mask_base64(&mask_hex(&text))
    }
}

/// Runs of 20 or more base64 characters (keys, salts, hashes) become
/// `[BASE64]`.
fn mask_base64(text: &str) -> String {
    let b64 = |c: char| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=');
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    for c in text.chars().chain(std::iter::once('\0')) {
        if b64(c) {
            run.push(c);
            continue;
        }
        if run.len() >= 20 && run.chars().any(|c| c.is_ascii_digit()) {
            out.push_str("[BASE64]");
        } else {
            out.push_str(&run);
        }
        run.clear();
        if c != '\0' {
            out.push(c);
        }
    }
    out
}

async fn sealane(args: &[String], stdin: Option<&str>) -> Output {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_sealane"))
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sealane runs");
    if let Some(text) = stdin {
        let mut pipe = child.stdin.take().expect("stdin piped");
        pipe.write_all(text.as_bytes())
            .await
            .expect("stdin written");
    }
    child.wait_with_output().await.expect("sealane ends")
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// Exit status, then standard output, then standard error, as one text.
fn shown(world: &World, output: &Output) -> String {
    format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        output
            .status
            .code()
            .map_or("signal".into(), |c| c.to_string()),
        world.mask(&String::from_utf8_lossy(&output.stdout)),
        world.mask(&String::from_utf8_lossy(&output.stderr)),
    )
}

fn fixture(name: &str) -> String {
    format!(
        "{}/../report/tests/fixtures/tlsrpt/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[tokio::test]
async fn tlsa_human_output() {
    let w = world().await;
    let generated = sealane(
        &args(&["tlsa", "generate", "--cert", &w.path("chain.pem")]),
        None,
    )
    .await;
    insta::assert_snapshot!("tlsa_generate", shown(&w, &generated));
    let stdout = String::from_utf8_lossy(&generated.stdout);
    let record = stdout
        .lines()
        .find(|l| l.starts_with("3 1 1 "))
        .expect("a 3 1 1 record is generated");
    let matching = sealane(
        &args(&[
            "tlsa",
            "verify",
            "--chain",
            &w.path("chain.pem"),
            "--tlsa",
            record,
        ]),
        None,
    )
    .await;
    insta::assert_snapshot!("tlsa_verify_match", shown(&w, &matching));
    let other = format!("3 1 1 {}", "ab".repeat(32));
    let mismatch = sealane(
        &args(&[
            "tlsa",
            "verify",
            "--chain",
            &w.path("chain.pem"),
            "--tlsa",
            &other,
        ]),
        None,
    )
    .await;
    insta::assert_snapshot!("tlsa_verify_mismatch", shown(&w, &mismatch));
}

#[tokio::test]
async fn auth_human_output() {
    let w = world().await;
    for (name, ip) in [
        ("auth_spf_pass", "192.0.2.25"),
        ("auth_spf_fail", "198.51.100.7"),
    ] {
        let mut list = args(&["auth", "spf", "--ip", ip, "--sender", "someone@sender.test"]);
        list.extend(w.dns_args());
        let output = sealane(&list, None).await;
        insta::assert_snapshot!(name, shown(&w, &output));
    }
    let mut list = args(&[
        "auth",
        "verify",
        &w.path("message"),
        "--authserv-id",
        "mx.example.test",
    ]);
    list.extend(w.dns_args());
    let verified = sealane(&list, None).await;
    insta::assert_snapshot!("auth_verify_unsigned", shown(&w, &verified));
}

#[tokio::test]
async fn dkim_keygen_human_output() {
    let w = world().await;
    let out = w.path("example.com.s1.pem");
    let made = sealane(
        &args(&[
            "dkim",
            "keygen",
            "--domain",
            "example.com",
            "--selector",
            "s1",
            "--algorithm",
            "ed25519",
            "--out",
            &out,
        ]),
        None,
    )
    .await;
    insta::assert_snapshot!("dkim_keygen", shown(&w, &made));
    let again = sealane(
        &args(&[
            "dkim",
            "keygen",
            "--domain",
            "example.com",
            "--selector",
            "s1",
            "--out",
            &out,
        ]),
        None,
    )
    .await;
    insta::assert_snapshot!("dkim_keygen_exists", shown(&w, &again));
}

#[tokio::test]
async fn report_tls_read_human_output() {
    let w = world().await;
    let read = sealane(
        &args(&[
            "report",
            "tls",
            "read",
            &fixture("rfc8460-example.json"),
            &fixture("google-published.eml"),
            &fixture("microsoft-published.json"),
        ]),
        None,
    )
    .await;
    let text = shown(&w, &read).replace(&fixture(""), "[FIXTURES]/");
    insta::assert_snapshot!("report_tls_read", text);
    let dmarc_fixture = |name: &str| {
        format!(
            "{}/../report/tests/fixtures/dmarc/{name}",
            env!("CARGO_MANIFEST_DIR")
        )
    };
    let dmarc = sealane(
        &args(&[
            "report",
            "dmarc",
            "read",
            &dmarc_fixture("google-published.eml"),
            &dmarc_fixture("microsoft-published.eml"),
            &dmarc_fixture("sample-reporter.xml"),
        ]),
        None,
    )
    .await;
    insta::assert_snapshot!("report_dmarc_read", shown(&w, &dmarc));
    let not_dmarc = sealane(
        &args(&["report", "dmarc", "read", &w.path("message")]),
        None,
    )
    .await;
    insta::assert_snapshot!("report_dmarc_read_not_a_report", shown(&w, &not_dmarc));
    let not_a_report = sealane(&args(&["report", "tls", "read", &w.path("message")]), None).await;
    insta::assert_snapshot!("report_tls_read_not_a_report", shown(&w, &not_a_report));
}

#[tokio::test]
async fn user_add_and_config_check_human_output() {
    let w = world().await;
    let added = sealane(
        &args(&["user", "add", "alice", "--admin"]),
        Some("a long passphrase\n"),
    )
    .await;
    insta::assert_snapshot!("user_add", shown(&w, &added));
    let block = String::from_utf8_lossy(&added.stdout).into_owned();
    let config = format!(
        "[server]\nhostname = \"mx.example.test\"\ndata_dir = \"{}\"\n\n{block}",
        w.path("data")
    );
    std::fs::write(w.path("sealane.toml"), config).expect("config written");
    let checked = sealane(&args(&["config", "check", &w.path("sealane.toml")]), None).await;
    insta::assert_snapshot!("config_check_ok", shown(&w, &checked));
    let limits = sealane(
        &args(&["limits", "list", "--config", &w.path("sealane.toml")]),
        None,
    )
    .await;
    insta::assert_snapshot!("limits_list_empty", shown(&w, &limits));
}
