use std::path::Path;

use super::*;

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(text, Path::new("test.toml"))
}

#[test]
fn embedded_defaults() {
    let c = Config::embedded();
    assert_eq!(c.data_dir, PathBuf::from("./sealane-data"));
    assert_eq!(
        c.listeners,
        vec![Listener {
            role: Role::Submission,
            address: "127.0.0.1:2525".parse().unwrap()
        }]
    );
    assert!(c.may_relay("127.0.0.1".parse().unwrap()));
    assert!(c.may_relay("::1".parse().unwrap()));
    assert!(c.may_relay("::ffff:127.0.0.9".parse().unwrap()));
    assert!(!c.may_relay("192.0.2.1".parse().unwrap()));
    assert_eq!(c.retry.schedule[0], Duration::from_secs(900));
    assert_eq!(c.retry.expire, Duration::from_secs(86_400));
    assert_eq!(c.outbound.smtp_port, 25);
}

#[test]
fn unknown_key_is_an_error_with_its_line() {
    let e = parse("[server]\nhostname = \"mx.example\"\n\n[retry]\nexpiry = \"2d\"\n").unwrap_err();
    let text = e.to_string();
    assert!(text.starts_with("test.toml:5:"), "{text}");
    assert!(text.contains("expiry"), "{text}");
}

#[test]
fn bad_duration_names_line_and_form() {
    let e = parse("[retry]\nexpire = \"one day\"\n").unwrap_err();
    let text = e.to_string();
    assert!(text.starts_with("test.toml:2:"), "{text}");
    assert!(text.contains("30s, 15m, 1h or 2d"), "{text}");
}

#[test]
fn domain_needs_exactly_one_target() {
    let e = parse("[domain.\"example.org\"]\n").unwrap_err();
    assert!(e.to_string().contains("domain.example.org"), "{e}");
    let e = parse("[domain.\"example.org\"]\nmaildir = \"m\"\nrelay = \"h:25\"\n").unwrap_err();
    assert!(e.to_string().contains("exactly one"), "{e}");
    let e = parse("[domain.\"example.org\"]\nrelay = \"h\"\n").unwrap_err();
    assert!(e.to_string().contains("host:port"), "{e}");
    let c = parse("[domain.\"Example.ORG.\"]\nrelay = \"10.0.0.5:25\"\nrelay_tls = \"require\"\n")
        .unwrap();
    assert!(c.accepts("example.org"));
    assert_eq!(
        c.domains["example.org"],
        LocalDomain::Relay {
            target: "10.0.0.5:25".into(),
            tls: RelayTls::Require
        }
    );
}

#[test]
fn submissions_needs_a_certificate() {
    let e =
        parse("[[listener]]\nrole = \"submissions\"\naddress = \"127.0.0.1:465\"\n").unwrap_err();
    assert!(e.to_string().contains("[tls]"), "{e}");
}

#[test]
fn retry_schedule_and_notice() {
    let c = parse("[retry]\nschedule = [\"5m\", \"2h\"]\nexpire = \"5d\"\ndelay_notice = false\n")
        .unwrap();
    assert_eq!(c.retry.schedule.len(), 2);
    assert!(parse("[retry]\nschedule = [\"5m\", \"30m\", \"2h\"]\n").is_err());
    assert_eq!(c.retry.expire, Duration::from_secs(5 * 86_400));
    assert_eq!(c.retry.delay_notice, None);
    assert!(parse("[retry]\nschedule = []\n").is_err());
    assert!(parse("[retry]\nexpire = \"1m\"\n").is_err());
    assert!(parse("[retry]\njitter_percent = 90\n").is_err());
}

#[test]
fn user_hash_must_be_argon2_and_is_never_printed() {
    assert!(parse("[[user]]\nname = \"a\"\npassword_hash = \"secret\"\n").is_err());
    let c = parse("[[user]]\nname = \"a\"\npassword_hash = \"$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA\"\n")
        .unwrap();
    assert!(!format!("{c:?}").contains("argon2id"));
}

#[test]
fn local_policy_per_domain() {
    let c = parse("[policy.\"bank.example\"]\nrequire-dane = true\n").unwrap();
    assert!(c.local_policy_for("BANK.example.").require_dane);
    assert!(!c.local_policy_for("other.example").require_dane);
    assert!(parse("[policy.\"bank.example\"]\nrequire_dane = true\n").is_err());
}

#[test]
fn zero_limits_are_refused() {
    let e = parse("[limits]\nconcurrency = 0\n").unwrap_err();
    assert!(e.to_string().starts_with("test.toml:2:"), "{e}");
}

#[test]
fn queue_lease_defaults_to_15_minutes_and_can_be_set() {
    assert_eq!(Config::embedded().queue.lease, Duration::from_secs(900));
    let c = parse("[queue]\nlease = \"5s\"\n").unwrap();
    assert_eq!(c.queue.lease, Duration::from_secs(5));
    let e = parse("[queue]\nlease = \"0s\"\n").unwrap_err();
    assert!(e.to_string().contains("queue.lease"), "{e}");
}

#[test]
fn store_is_sqlite_by_default_and_postgres_with_a_url() {
    assert_eq!(Config::embedded().store, StoreSettings::Sqlite);
    assert_eq!(
        parse("[store]\nkind = \"sqlite\"\n").unwrap().store,
        StoreSettings::Sqlite
    );
    let c = parse(
        "[store]\nkind = \"postgres\"\nurl = \"postgresql://sealane@db/sealane\"\npassword_env = \"PGPASS\"\n",
    )
    .unwrap();
    assert_eq!(
        c.store,
        StoreSettings::Postgres {
            url: "postgresql://sealane@db/sealane".into(),
            password: Some(PasswordSource::Env("PGPASS".into())),
        }
    );
}

#[test]
fn store_errors_name_key_and_line() {
    let cases = [
        (
            "[store]\nkind = \"postgres\"\n",
            "test.toml:2: store.url",
            "needs url",
        ),
        (
            "[store]\nkind = \"postgres\"\nurl = \"postgresql://u:pw@db/x\"\n",
            "test.toml:3: store.url",
            "password_file or password_env",
        ),
        (
            "[store]\nurl = \"postgresql://u@db/x\"\n",
            "test.toml:2: store.url",
            "only for kind",
        ),
        (
            "[store]\nkind = \"postgres\"\nurl = \"host=db\"\npassword_file = \"f\"\npassword_env = \"P\"\n",
            "test.toml:5: store.password_env",
            "not both",
        ),
        (
            "[store]\nkind = \"mysql\"\n",
            "test.toml:2:",
            "unknown variant",
        ),
        (
            "[store]\npassword = \"x\"\n",
            "test.toml:2:",
            "unknown field",
        ),
    ];
    for (text, start, contains) in cases {
        let e = parse(text).unwrap_err().to_string();
        assert!(e.starts_with(start), "{text}: {e}");
        assert!(e.contains(contains), "{text}: {e}");
        assert!(!e.contains("pw@"), "the password is not repeated: {e}");
    }
}

#[test]
fn the_admin_console_runs_only_when_asked_and_never_in_clear_off_loopback() {
    assert!(Config::embedded().admin.is_none());
    let on = parse("[admin]\n").unwrap().admin.unwrap();
    assert_eq!(on.listen, DEFAULT_ADMIN_LISTEN);
    assert!(!on.tls && !on.metrics && on.tls_reports);
    assert!(parse("[admin]\nenabled = false\n").unwrap().admin.is_none());
    let error = parse("[admin]\nlisten = \"0.0.0.0:8080\"\n")
        .unwrap_err()
        .to_string();
    assert!(error.contains("needs TLS"), "{error}");
    let error = parse("[admin]\ntls = true\n").unwrap_err().to_string();
    assert!(error.contains("[tls]"), "{error}");
    let tls = parse(
        "[tls]\ncertificate = \"c.pem\"\nkey = \"k.pem\"\n[admin]\nlisten = \"0.0.0.0:443\"\nmetrics = true\n",
    )
    .unwrap()
    .admin
    .unwrap();
    assert!(tls.tls && tls.metrics);
    assert!(parse("[admin]\nlisten_on = \"x\"\n").is_err());
}

#[test]
fn administrators_are_not_smtp_users() {
    let c = parse(
        "[[user]]\nname = \"ann\"\npassword_hash = \"$argon2id$x\"\nadmin = true\n\
         [[user]]\nname = \"bob\"\npassword_hash = \"$argon2id$y\"\n",
    )
    .unwrap();
    assert_eq!(
        c.admins().map(|u| u.name.as_str()).collect::<Vec<_>>(),
        ["ann"]
    );
    assert_eq!(
        c.smtp_users().map(|u| u.name.as_str()).collect::<Vec<_>>(),
        ["bob"]
    );
    assert_eq!(c.shown["user"][0]["password_hash"], MASK);
}

#[test]
fn arc_seals_forwarded_mail_by_default_and_refuses_unknown_keys() {
    let key = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../auth/tests/keys/rsa2048.pem"
    );
    let arc = |extra: &str| {
        format!(
            "[auth]\nauthserv_id = \"mx.example\"\n\n[arc]\ndomain = \"Example.ORG.\"\nselector = \"arc\"\nkey_file = \"{key}\"\n{extra}"
        )
    };
    let c = parse(&arc("")).unwrap();
    let settings = c.arc.expect("[arc] loaded");
    assert_eq!(settings.domain, "example.org");
    assert!(settings.forwarded && !settings.relayed);
    assert!(!format!("{settings:?}").contains("PRIVATE"));

    let c = parse(&arc("seal = [\"forwarded\", \"relayed\"]\n")).unwrap();
    let settings = c.arc.expect("[arc] loaded");
    assert!(settings.forwarded && settings.relayed);

    let e = parse(&arc("sign = true\n")).unwrap_err().to_string();
    assert!(e.starts_with("test.toml:8:"), "{e}");
    assert!(e.contains("sign"), "{e}");
    let e = parse(&arc("seal = [\"everything\"]\n"))
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("test.toml:8:"), "{e}");
    let e = parse(&arc("seal = []\n")).unwrap_err().to_string();
    assert!(e.contains("seal must name"), "{e}");
    let e = parse("[arc]\ndomain = \"example.org\"\nselector = \"arc\"\nkey_file = \"/nonexistent/arc.pem\"\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("/nonexistent/arc.pem"), "{e}");
    assert!(parse("").unwrap().arc.is_none());
}

#[test]
fn dmarc_reporting_is_off_by_default_and_needs_its_own_address() {
    let c = Config::embedded();
    assert!(!c.dmarc_report.enabled);
    assert_eq!(c.dmarc_report.receive_address, None);
    let c = parse(
        "[server]\nhostname = \"mx.example.org\"\n[dmarc_report]\nenabled = true\nreceive_address = \"dmarc@example.org\"\n",
    )
    .unwrap();
    assert!(c.dmarc_report.enabled);
    assert_eq!(c.dmarc_report.sender, "dmarc-noreply@mx.example.org");
    assert_eq!(c.dmarc_report.email, "postmaster@mx.example.org");
    let e = parse(
        "[tls_report]\nreceive_address = \"reports@example.org\"\n[dmarc_report]\nreceive_address = \"Reports@example.org\"\n",
    )
    .unwrap_err();
    assert!(e.to_string().contains("its own address"), "{e}");
    let e = parse("[dmarc_report]\nemail = \"nobody\"\n").unwrap_err();
    assert!(e.to_string().contains("not an address"), "{e}");
}
