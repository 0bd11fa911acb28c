//! The test world's programs take flags like every other binary: `--help`
//! explains and starts nothing.

use std::process::Command;

#[test]
fn testworld_dns_help_explains_and_serves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_testworld-dns"))
        .arg("--help")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(help.contains("DNS only"), "{help}");
    assert!(
        !dir.path().join("--help").exists(),
        "--help is not taken for a directory"
    );
}

#[test]
fn testworld_peer_without_a_spec_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_testworld-peer"))
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(!dir.path().join("out").exists());
}
