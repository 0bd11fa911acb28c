//! `sealane dkim keygen`: the key file is the owner's alone and never
//! overwritten, and the record printed is the one for the key written.

use std::process::Output;

fn sealane(args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_sealane"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn keygen_writes_a_private_key_and_prints_its_record_and_signing_entry() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("e1.pem");
    let key_text = key.to_str().unwrap();
    let out = sealane(&[
        "dkim",
        "keygen",
        "--domain",
        "Example.ORG.",
        "--selector",
        "e1",
        "--algorithm",
        "ed25519",
        "--out",
        key_text,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8(out.stdout).unwrap();
    assert!(
        printed.contains("e1._domainkey.example.org. 3600 IN TXT \"v=DKIM1; k=ed25519; p="),
        "{printed}"
    );
    assert!(printed.contains("[[dkim.sign]]\ndomain = \"example.org\"\nselector = \"e1\"\n"));
    assert!(
        printed.contains(&format!("key_file = \"{key_text}\"")),
        "{printed}"
    );
    let pem = std::fs::read_to_string(&key).unwrap();
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }

    // The same file again: refused, and the key stays as it was.
    let again = sealane(&[
        "dkim",
        "keygen",
        "--domain",
        "example.org",
        "--selector",
        "e1",
        "--out",
        key_text,
    ]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("cannot create"));
    assert_eq!(std::fs::read_to_string(&key).unwrap(), pem);

    // publish prints the same record from the file.
    let published = sealane(&[
        "publish",
        "example.org",
        "--mx",
        "mx.example.org",
        "--dkim-selector",
        "e1",
        "--dkim-key",
        key_text,
        "--json",
    ]);
    assert!(published.status.success());
    let json: serde_json::Value = serde_json::from_slice(&published.stdout).unwrap();
    let record = json["records"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "e1._domainkey.example.org.")
        .unwrap();
    let data = record["data"].as_str().unwrap();
    assert!(printed.contains(data), "{data}\n{printed}");
}

#[test]
fn keygen_refuses_a_bad_selector_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("k.pem");
    let out = sealane(&[
        "dkim",
        "keygen",
        "--domain",
        "example.org",
        "--selector",
        "no spaces",
        "--algorithm",
        "ed25519",
        "--out",
        key.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("selector"));
    assert!(!key.exists());
}
