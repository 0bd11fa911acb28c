//! Errors an administrator reads are in Sealane's words: no library text
//! (`Malformed label`, `Query { name: Name(…) }`, `request timed out`), no
//! debug output, each cause said once.

use std::process::Output;

use testworld::dns::{DnsServer, standard};

async fn sealane(args: &[&str]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_sealane"))
        .args(args)
        .output()
        .await
        .expect("sealane runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Fragments of hickory's and Rust's own texts.
fn assert_no_library_text(text: &str) {
    for fragment in [
        "Malformed label",
        "Query {",
        "Name(",
        "Err(",
        "Errors",
        "request timed out",
        "error parsing",
        "invalid digit",
        "ttl not specified",
    ] {
        assert!(!text.contains(fragment), "{fragment:?} in {text}");
    }
}

async fn world() -> (DnsServer, tempfile::TempPath) {
    let server = standard().serve().await.expect("test world starts");
    let anchor = tempfile::NamedTempFile::new()
        .expect("temp file")
        .into_temp_path();
    server.write_trust_anchor(&anchor).expect("anchor written");
    (server, anchor)
}

#[tokio::test]
async fn a_name_with_an_empty_label_is_refused_in_our_words() {
    let output = sealane(&["dns", "bad..name", "A", "--dns-server", "127.0.0.1"]).await;
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        "sealane: \"bad..name\" is not a valid domain name: it has an empty label \
         (two dots in a row, or a dot at the start)\n"
    );
}

#[tokio::test]
async fn a_name_with_a_bad_character_names_the_label() {
    for command in [
        &["dns", "a$b.test", "MX"][..],
        &["check", "a$b.test"],
        &["route", "a$b.test"],
    ] {
        let mut args = command.to_vec();
        args.extend(["--dns-server", "127.0.0.1"]);
        let output = sealane(&args).await;
        assert_eq!(output.status.code(), Some(2), "{command:?}");
        let err = stderr(&output);
        assert!(
            err.contains("the label \"a$b\" has a character a domain name cannot have"),
            "{err}"
        );
        assert_no_library_text(&err);
    }
}

#[tokio::test]
async fn a_silent_server_is_said_to_give_no_answer() {
    let (_server, anchor) = world().await;
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").expect("socket");
    let address = silent.local_addr().expect("address").to_string();
    let anchor = anchor.to_string_lossy().into_owned();
    let args = [
        "dns",
        "secure.test",
        "A",
        "--dns-server",
        &address,
        "--trust-anchor",
        &anchor,
    ];
    let output = sealane(&args).await;
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(err.contains("no answer before the timeout"), "{err}");
    assert_no_library_text(&err);
}

#[tokio::test]
async fn a_bad_trust_anchor_names_the_record_not_the_parser() {
    let file = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(file.path(), ". 3600 IN DS 1234 8 2 zz\n").expect("written");
    let path = file.path().to_string_lossy().into_owned();
    let output = sealane(&[
        "dns",
        "secure.test",
        "A",
        "--dns-server",
        "127.0.0.1",
        "--trust-anchor",
        &path,
    ])
    .await;
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(
        err.trim_end().ends_with(": . 3600 IN DS 1234 8 2 zz"),
        "{err}"
    );
    assert_no_library_text(&err);
}

#[tokio::test]
async fn a_missing_file_is_said_once() {
    let output = sealane(&[
        "dns",
        "secure.test",
        "A",
        "--dns-server",
        "127.0.0.1",
        "--trust-anchor",
        "/nonexistent/anchor",
    ])
    .await;
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert_eq!(err.matches("no such file or directory").count(), 1, "{err}");
    assert!(!err.contains("os error"), "{err}");
}

#[test]
fn a_refused_connection_is_said_without_the_system_code() {
    let port = testworld::net::free_port(&[testworld::net::loopback(1)]);
    let server = format!("127.0.0.1:{port}");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_sealane"))
        .args([
            "sendmail",
            "-f",
            "me@client.test",
            "--server",
            &server,
            "you@example.test",
        ])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("sealane runs");
    assert_eq!(output.status.code(), Some(75));
    assert_eq!(
        stderr(&output),
        format!("sealane: sendmail: {server}: connect: connection refused\n")
    );
}
