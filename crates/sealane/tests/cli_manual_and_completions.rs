//! `sealane man DIR` and `sealane completions SHELL`, generated from the
//! command line's definitions.

use std::process::Output;

fn sealane(args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_sealane"))
        .args(args)
        .output()
        .expect("sealane runs")
}

#[test]
fn man_writes_a_page_per_command() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("man1");
    let output = sealane(&["man", path.to_str().expect("utf-8 path")]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut pages: Vec<String> = std::fs::read_dir(&path)
        .expect("directory made")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    pages.sort();
    for page in [
        "sealane.1",
        "sealane-check.1",
        "sealane-dns.1",
        "sealane-route.1",
        "sealane-queue-list.1",
        "sealane-tlsa-verify.1",
        "sealane-completions.1",
    ] {
        assert!(
            pages.iter().any(|p| p == page),
            "{page} missing from {pages:?}"
        );
    }
    let dns = std::fs::read_to_string(path.join("sealane-dns.1")).expect("page");
    assert!(dns.contains("\\-\\-dns\\-server"), "options listed");
    assert!(dns.contains(".SH \"EXIT STATUS\""), "{dns}");
    assert!(dns.contains("an answer that is DNSSEC bogus"), "{dns}");
    assert_eq!(dns.matches(".ie \\n(.g").count(), 1, "one preamble");
    let said = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        said,
        format!(
            "{} manual pages written to {}\n",
            pages.len(),
            path.display()
        )
    );
}

#[test]
fn completions_generate_for_bash_zsh_and_fish() {
    for (shell, marker) in [
        ("bash", "complete -F _sealane"),
        ("zsh", "#compdef sealane"),
        ("fish", "complete -c sealane"),
    ] {
        let output = sealane(&["completions", shell]);
        assert!(output.status.success(), "{shell}");
        let script = String::from_utf8_lossy(&output.stdout);
        assert!(script.contains(marker), "{shell}: {script}");
        for command in ["route", "check", "queue", "dns-server"] {
            assert!(script.contains(command), "{shell}: no {command}");
        }
    }
    let unknown = sealane(&["completions", "tcsh"]);
    assert_eq!(unknown.status.code(), Some(2));
}
