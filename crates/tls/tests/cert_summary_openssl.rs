//! [`tls::CertSummary`] against OpenSSL's reading of the same certificates:
//! certificates made by the `openssl` command line (not by rcgen, which the
//! other tests use), summarised by us and printed by `openssl x509`. The
//! DNS names (in order, wildcards kept, other SAN kinds and names that are
//! no host name left out), the validity and the SHA-256 fingerprint must
//! agree.

use std::path::Path;
use std::process::Command;

use tls::CertSummary;

fn openssl(args: &[&str], dir: &Path) -> String {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the openssl command line is installed (.ci/run installs it)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("openssl prints UTF-8")
}

/// Makes a self-signed P-256 certificate with `san` and returns its DER.
fn make_cert(dir: &Path, name: &str, san: &str) -> Vec<u8> {
    let pem = format!("{name}.pem");
    openssl(
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &pem,
            "-days",
            "30",
            "-subj",
            &format!("/CN={name}/O=Sealane interop"),
            "-addext",
            &format!("subjectAltName={san}"),
        ],
        dir,
    );
    let der = format!("{name}.der");
    openssl(&["x509", "-in", &pem, "-outform", "DER", "-out", &der], dir);
    std::fs::read(dir.join(der)).expect("openssl wrote the DER")
}

/// The DNS names of the SAN extension as `openssl x509 -ext` prints them.
fn openssl_dns_names(dir: &Path, name: &str) -> Vec<String> {
    let text = openssl(
        &[
            "x509",
            "-in",
            &format!("{name}.pem"),
            "-noout",
            "-ext",
            "subjectAltName",
        ],
        dir,
    );
    text.lines()
        .skip(1)
        .flat_map(|line| line.split(','))
        .filter_map(|entry| entry.trim().strip_prefix("DNS:"))
        .map(str::to_owned)
        .collect()
}

/// `openssl x509 -fingerprint -sha256`, lower-case hex without colons.
fn openssl_sha256(dir: &Path, name: &str) -> String {
    let text = openssl(
        &[
            "x509",
            "-in",
            &format!("{name}.pem"),
            "-noout",
            "-fingerprint",
            "-sha256",
        ],
        dir,
    );
    let (_, hex) = text.trim().split_once('=').expect("Fingerprint=...");
    hex.replace(':', "").to_lowercase()
}

/// Whether OpenSSL says the certificate expires within `seconds` from now
/// (`openssl x509 -checkend`).
fn expires_within(dir: &Path, name: &str, seconds: i64) -> bool {
    let out = Command::new("openssl")
        .args(["x509", "-in", &format!("{name}.pem"), "-noout", "-checkend"])
        .arg(seconds.to_string())
        .current_dir(dir)
        .output()
        .expect("openssl runs");
    !out.status.success()
}

fn scratch(label: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "sealane-cert-summary-{label}-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    dir
}

#[test]
fn dns_names_validity_and_fingerprint_agree_with_openssl() {
    let dir = scratch("mixed");
    let san = "DNS:mx1.example.net,IP:192.0.2.25,DNS:*.mail.example.net,\
               email:postmaster@example.net,DNS:MX2.Example.NET,IP:2001:db8::25,\
               URI:https://example.net/,DNS:not a host";
    let der = make_cert(&dir, "mixed", san);
    let summary = CertSummary::of(&der.into()).expect("an OpenSSL certificate parses");

    let listed = openssl_dns_names(&dir, "mixed");
    assert_eq!(
        listed,
        [
            "mx1.example.net",
            "*.mail.example.net",
            "MX2.Example.NET",
            "not a host"
        ],
        "the test reads OpenSSL's listing"
    );
    // What is no host name is left out; the rest as OpenSSL lists it.
    assert_eq!(summary.dns_names, listed[..3]);
    assert_eq!(summary.sha256, openssl_sha256(&dir, "mixed"));
    assert!(summary.subject.contains("CN=mixed"), "{}", summary.subject);
    assert_eq!(summary.subject, summary.issuer, "self-signed");

    // OpenSSL's own clock against our not_after: expired within the span
    // up to a minute past it, not within the span up to a minute before.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs() as i64;
    let left = summary.not_after - now;
    assert!(expires_within(&dir, "mixed", left + 60));
    assert!(!expires_within(&dir, "mixed", left - 60));
    assert!(summary.not_before <= now && now - summary.not_before < 3600);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_provider_certificate_with_250_names_lists_them_all_in_order() {
    let dir = scratch("many");
    let names: Vec<String> = (1..=250).map(|i| format!("mx.d{i:04}.example")).collect();
    let san = names
        .iter()
        .map(|n| format!("DNS:{n}"))
        .collect::<Vec<_>>()
        .join(",");
    let der = make_cert(&dir, "many", &san);
    let summary = CertSummary::of(&der.into()).expect("parses");
    assert_eq!(openssl_dns_names(&dir, "many"), names);
    assert_eq!(summary.dns_names, names);
    let _ = std::fs::remove_dir_all(&dir);
}
