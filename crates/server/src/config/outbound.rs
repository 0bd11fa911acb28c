//! `[outbound]` and `[outbound.timeouts]`: how the daemon connects out, and
//! what one delivery attempt may cost (issue 20: a destination that drips
//! or never greets must cost a bounded number of worker-seconds).

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::path::Path;
use std::time::Duration;

use delivery::AttemptLimits;
use smtp::Timeouts;
use toml::Spanned;

use super::error::{ConfigError, line_of};
use super::period::Period;
use super::raw::{RawOutbound, RawTimeouts};

/// How long an address that could not be reached or timed out is skipped
/// by default (DESIGN §7).
const FAILURE_MEMORY: Duration = Duration::from_secs(5 * 60);

/// How we connect out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outbound {
    /// The EHLO name (default: the host name).
    pub ehlo: String,
    /// The local address to connect from (default: the system's choice).
    pub source: Option<IpAddr>,
    /// The port MX hosts listen on (25; tests and labs change it).
    pub smtp_port: u16,
    /// The port MTA-STS policy hosts listen on (443).
    pub https_port: u16,
    /// The SMTP client's limit at each step (`[outbound.timeouts]`;
    /// default RFC 5321 §4.5.3.2).
    pub timeouts: Timeouts,
    /// Deadlines, minimum data rate, addresses and sessions per attempt
    /// (defaults as Postfix's).
    pub attempt: AttemptLimits,
    /// How long an address that could not be reached or timed out is
    /// skipped by every worker (zero: never skipped). Default 5 minutes.
    pub failure_memory: Duration,
}

/// Reads `[outbound]`; `text` and `path` name lines in errors.
pub(super) fn parse(
    raw: RawOutbound,
    hostname: &str,
    text: &str,
    path: &Path,
) -> Result<Outbound, ConfigError> {
    let keys = Keys { text, path };
    let timeouts = keys.timeouts(raw.timeouts)?;
    let defaults = AttemptLimits::default();
    let attempt_deadline = keys.positive("outbound.attempt_deadline", raw.attempt_deadline)?;
    let connection_deadline =
        keys.positive("outbound.connection_deadline", raw.connection_deadline)?;
    let attempt_limit = attempt_deadline.map_or(defaults.attempt, |(d, _)| d);
    // The attempt must leave room for at least one greeting: otherwise no
    // address is ever tried and every message waits for expiry.
    if attempt_limit < timeouts.connect + timeouts.greeting {
        return Err(keys.invalid(
            "outbound.attempt_deadline",
            attempt_deadline.map(|(_, line)| line),
            format!(
                "{} is shorter than connecting and the greeting ({} + {}): no server could answer in time",
                Period(attempt_limit),
                Period(timeouts.connect),
                Period(timeouts.greeting)
            ),
        ));
    }
    let connection = match connection_deadline {
        Some((connection, line)) if connection > attempt_limit => {
            return Err(keys.invalid(
                "outbound.connection_deadline",
                Some(line),
                format!(
                    "{} is longer than the attempt's deadline {}: a connection is part of an attempt",
                    Period(connection),
                    Period(attempt_limit)
                ),
            ));
        }
        Some((connection, _)) => connection,
        // A shorter attempt deadline bounds every connection anyway.
        None => defaults.connection.min(attempt_limit),
    };
    let attempt = AttemptLimits {
        attempt: attempt_limit,
        connection,
        // 0: no rate, only the data block limit.
        min_data_rate: match raw.min_data_rate {
            Some(rate) => NonZeroU32::new(rate.into_inner()),
            None => defaults.min_data_rate,
        },
        addresses: keys.count(
            "outbound.max_addresses",
            raw.max_addresses,
            defaults.addresses,
        )?,
        sessions: keys.count("outbound.max_sessions", raw.max_sessions, defaults.sessions)?,
    };
    Ok(Outbound {
        ehlo: raw.ehlo.unwrap_or_else(|| hostname.to_owned()),
        source: raw.source,
        smtp_port: raw.smtp_port.unwrap_or(25),
        https_port: raw.https_port.unwrap_or(443),
        timeouts,
        attempt,
        failure_memory: raw
            .failure_memory
            .map_or(FAILURE_MEMORY, |p| p.into_inner().0),
    })
}

/// Reads keys of `[outbound]` with their lines.
struct Keys<'a> {
    text: &'a str,
    path: &'a Path,
}

impl Keys<'_> {
    fn invalid(&self, key: &str, line: Option<usize>, reason: String) -> ConfigError {
        ConfigError::Invalid {
            path: self.path.to_owned(),
            key: key.to_owned(),
            line,
            reason,
        }
    }

    /// A duration that must not be zero, with its line.
    fn positive(
        &self,
        key: &str,
        value: Option<Spanned<Period>>,
    ) -> Result<Option<(Duration, usize)>, ConfigError> {
        let Some(value) = value else {
            return Ok(None);
        };
        let line = line_of(self.text, value.span().start);
        let duration = value.into_inner().0;
        if duration.is_zero() {
            return Err(self.invalid(key, Some(line), "must be longer than zero".into()));
        }
        Ok(Some((duration, line)))
    }

    /// A number of addresses or sessions: at least 1.
    fn count(
        &self,
        key: &str,
        value: Option<Spanned<u32>>,
        default: usize,
    ) -> Result<usize, ConfigError> {
        let Some(value) = value else {
            return Ok(default);
        };
        if *value.get_ref() == 0 {
            let line = line_of(self.text, value.span().start);
            return Err(self.invalid(key, Some(line), "must be at least 1".into()));
        }
        Ok(value.into_inner() as usize)
    }

    fn timeouts(&self, raw: RawTimeouts) -> Result<Timeouts, ConfigError> {
        let mut timeouts = Timeouts::default();
        let steps = [
            ("connect", raw.connect, &mut timeouts.connect),
            ("greeting", raw.greeting, &mut timeouts.greeting),
            ("command", raw.command, &mut timeouts.command),
            (
                "tls_handshake",
                raw.tls_handshake,
                &mut timeouts.tls_handshake,
            ),
            ("mail", raw.mail, &mut timeouts.mail),
            ("rcpt", raw.rcpt, &mut timeouts.rcpt),
            ("data_init", raw.data_init, &mut timeouts.data_init),
            ("data_block", raw.data_block, &mut timeouts.data_block),
            (
                "data_termination",
                raw.data_termination,
                &mut timeouts.data_termination,
            ),
        ];
        for (name, value, slot) in steps {
            if let Some((duration, _)) =
                self.positive(&format!("outbound.timeouts.{name}"), value)?
            {
                *slot = duration;
            }
        }
        Ok(timeouts)
    }
}

#[cfg(test)]
mod tests {
    use super::super::Config;
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("test.toml"))
    }

    #[test]
    fn defaults_are_the_rfc_and_postfix_figures() {
        let outbound = Config::embedded().outbound;
        assert_eq!(outbound.timeouts, Timeouts::default());
        assert_eq!(outbound.attempt, AttemptLimits::default());
        assert_eq!(outbound.failure_memory, Duration::from_secs(300));
    }

    #[test]
    fn the_example_documents_the_defaults() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sealane.example.toml");
        let example = std::fs::read_to_string(&path).unwrap();
        let outbound = Config::parse(&example, &path).unwrap().outbound;
        let defaults = Config::embedded().outbound;
        assert_eq!(outbound.timeouts, defaults.timeouts);
        assert_eq!(outbound.attempt, defaults.attempt);
        assert_eq!(outbound.failure_memory, defaults.failure_memory);
        for key in [
            "attempt_deadline",
            "connection_deadline",
            "min_data_rate",
            "max_addresses",
            "max_sessions",
            "failure_memory",
            "[outbound.timeouts]",
            "tls_handshake",
            "data_termination",
        ] {
            assert!(example.contains(key), "{key} is not in the example");
        }
    }

    #[test]
    fn every_key_is_read() {
        let c = parse(
            "[outbound]\nattempt_deadline = \"10m\"\nconnection_deadline = \"5m\"\n\
             min_data_rate = 0\nmax_addresses = 3\nmax_sessions = 1\nfailure_memory = \"1m\"\n\n\
             [outbound.timeouts]\nconnect = \"5s\"\ngreeting = \"1m\"\ncommand = \"2m\"\n\
             tls_handshake = \"30s\"\nmail = \"3m\"\nrcpt = \"4m\"\ndata_init = \"1m\"\n\
             data_block = \"2m\"\ndata_termination = \"4m\"\n",
        )
        .unwrap();
        let o = c.outbound;
        let s = Duration::from_secs;
        assert_eq!(o.attempt.attempt, s(600));
        assert_eq!(o.attempt.connection, s(300));
        assert_eq!(o.attempt.min_data_rate, None);
        assert_eq!((o.attempt.addresses, o.attempt.sessions), (3, 1));
        assert_eq!(o.failure_memory, s(60));
        let t = o.timeouts;
        assert_eq!(
            [
                t.connect,
                t.greeting,
                t.command,
                t.tls_handshake,
                t.mail,
                t.rcpt,
                t.data_init,
                t.data_block,
                t.data_termination
            ],
            [
                s(5),
                s(60),
                s(120),
                s(30),
                s(180),
                s(240),
                s(60),
                s(120),
                s(240)
            ]
        );
    }

    #[test]
    fn errors_name_the_key_and_its_line() {
        let e = parse("[outbound]\n\n[outbound.timeouts]\ngreeting = \"0s\"\n").unwrap_err();
        let text = e.to_string();
        assert!(text.starts_with("test.toml:4:"), "{text}");
        assert!(text.contains("outbound.timeouts.greeting"), "{text}");

        let e = parse("[outbound]\nmax_sessions = 0\n").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("test.toml:2: outbound.max_sessions"),
            "{e}"
        );

        let e = parse("[outbound]\nattempt_deadline = \"10m\"\nconnection_deadline = \"20m\"\n")
            .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("test.toml:3: outbound.connection_deadline"),
            "{e}"
        );

        let e = parse("[outbound]\nattempt_deadline = \"1m\"\n").unwrap_err();
        assert!(e.to_string().contains("greeting"), "{e}");

        let e = parse("[outbound.timeouts]\ngreting = \"1m\"\n").unwrap_err();
        assert!(e.to_string().starts_with("test.toml:2:"), "{e}");
    }
}
