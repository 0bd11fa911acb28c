//! Commands as a server reads them (RFC 5321 §4.1.1).

/// One parsed command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `EHLO domain` (RFC 5321 §4.1.1.1).
    Ehlo(String),
    /// `HELO domain`.
    Helo(String),
    /// `STARTTLS` (RFC 3207 §4).
    StartTls,
    /// `MAIL FROM:<reverse-path> [params]` (RFC 5321 §4.1.1.2); the path is
    /// empty for the null sender.
    Mail {
        /// The reverse-path without brackets.
        from: String,
        /// The parameters as sent, e.g. `SIZE=1000`.
        params: Vec<String>,
    },
    /// `RCPT TO:<forward-path> [params]` (RFC 5321 §4.1.1.3).
    Rcpt {
        /// The forward-path without brackets.
        to: String,
        /// The parameters as sent.
        params: Vec<String>,
    },
    /// `DATA`.
    Data,
    /// `BDAT chunk-size [LAST]` (RFC 3030 §3): `size` octets of message
    /// data follow the command line at once.
    Bdat {
        /// The chunk size in octets.
        size: u64,
        /// Whether this is the last chunk.
        last: bool,
    },
    /// `AUTH mechanism [initial-response]` (RFC 4954 §4).
    Auth {
        /// The SASL mechanism, upper-cased.
        mechanism: String,
        /// The initial response, still base64 (`=` for an empty one).
        initial: Option<String>,
    },
    /// `RSET`.
    Rset,
    /// `NOOP [string]`.
    Noop,
    /// `QUIT`.
    Quit,
    /// A known command this server does not implement (VRFY, EXPN, HELP,
    /// TURN, ETRN).
    NotImplemented,
}

/// Why a command line was not understood.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    /// Unknown verb (reply 500).
    #[error("command unrecognized")]
    Unrecognized,
    /// Known verb, bad arguments (reply 501).
    #[error("syntax error in parameters or arguments")]
    Arguments,
}

/// Parses `<prefix><path> params`, where `prefix` is `FROM:` or `TO:`
/// (case-insensitive). RFC 5321 §4.1.2 puts no space after the colon; one
/// is tolerated, as most servers do.
fn path_and_params(rest: &str, prefix: &str) -> Result<(String, Vec<String>), CommandError> {
    let head = rest.get(..prefix.len()).ok_or(CommandError::Arguments)?;
    if !head.eq_ignore_ascii_case(prefix) {
        return Err(CommandError::Arguments);
    }
    let rest = rest[prefix.len()..].trim_start_matches(' ');
    let inner = rest.strip_prefix('<').ok_or(CommandError::Arguments)?;
    let close = inner.find('>').ok_or(CommandError::Arguments)?;
    let path = &inner[..close];
    if path.chars().any(|c| c.is_control() || c == ' ' || c == '<') {
        return Err(CommandError::Arguments);
    }
    let after = &inner[close + 1..];
    if !after.is_empty() && !after.starts_with(' ') {
        return Err(CommandError::Arguments);
    }
    let params = after
        .split(' ')
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect();
    Ok((path.to_owned(), params))
}

fn no_arguments(rest: &str, command: Command) -> Result<Command, CommandError> {
    if rest.trim().is_empty() {
        Ok(command)
    } else {
        Err(CommandError::Arguments)
    }
}

fn domain(rest: &str) -> Result<String, CommandError> {
    let name = rest.trim();
    if name.is_empty() || name.contains(' ') {
        return Err(CommandError::Arguments);
    }
    Ok(name.to_owned())
}

/// `bdat-cmd = "BDAT" SP chunk-size [ SP end-marker ]`, `chunk-size =
/// 1*DIGIT`, `end-marker = "LAST"` (RFC 3030 §3).
fn bdat(rest: &str) -> Result<Command, CommandError> {
    let mut words = rest.split(' ');
    let size = words.next().unwrap_or_default();
    if size.is_empty() || !size.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CommandError::Arguments);
    }
    let size = size.parse().map_err(|_| CommandError::Arguments)?;
    let last = match words.next() {
        None => false,
        Some(word) if word.eq_ignore_ascii_case("LAST") => true,
        Some(_) => return Err(CommandError::Arguments),
    };
    if words.next().is_some() {
        return Err(CommandError::Arguments);
    }
    Ok(Command::Bdat { size, last })
}

/// `"AUTH" SP sasl-mech [SP initial-response]` (RFC 4954 §4).
fn auth(rest: &str) -> Result<Command, CommandError> {
    let mut words = rest.split(' ');
    let mechanism = words.next().unwrap_or_default();
    let valid = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    if mechanism.is_empty() || mechanism.len() > 20 || !mechanism.chars().all(valid) {
        return Err(CommandError::Arguments);
    }
    let initial = words.next().map(str::to_owned);
    if words.next().is_some() {
        return Err(CommandError::Arguments);
    }
    Ok(Command::Auth {
        mechanism: mechanism.to_ascii_uppercase(),
        initial,
    })
}

impl Command {
    /// Parses one command line (its CRLF, or a bare LF, may be included).
    pub fn parse(line: &[u8]) -> Result<Command, CommandError> {
        let line = line.strip_suffix(b"\n").unwrap_or(line);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        // RFC 6531 allows UTF-8 in addresses; anything else is garbage.
        let line = std::str::from_utf8(line).map_err(|_| CommandError::Unrecognized)?;
        if line.chars().any(|c| c.is_control()) {
            return Err(CommandError::Unrecognized);
        }
        let (verb, rest) = line.split_once(' ').unwrap_or((line, ""));
        match verb.to_ascii_uppercase().as_str() {
            "EHLO" => Ok(Command::Ehlo(domain(rest)?)),
            "HELO" => Ok(Command::Helo(domain(rest)?)),
            "STARTTLS" => no_arguments(rest, Command::StartTls),
            "MAIL" => {
                let (from, params) = path_and_params(rest, "FROM:")?;
                Ok(Command::Mail { from, params })
            }
            "RCPT" => {
                let (to, params) = path_and_params(rest, "TO:")?;
                if to.is_empty() {
                    return Err(CommandError::Arguments);
                }
                Ok(Command::Rcpt { to, params })
            }
            "DATA" => no_arguments(rest, Command::Data),
            "RSET" => no_arguments(rest, Command::Rset),
            "NOOP" => Ok(Command::Noop),
            "QUIT" => no_arguments(rest, Command::Quit),
            "BDAT" => bdat(rest),
            "AUTH" => auth(rest),
            "VRFY" | "EXPN" | "HELP" | "TURN" | "ETRN" => Ok(Command::NotImplemented),
            _ => Err(CommandError::Unrecognized),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_envelope_commands() {
        assert_eq!(
            Command::parse(b"mail from:<a@b.example> SIZE=10 BODY=8BITMIME\r\n"),
            Ok(Command::Mail {
                from: "a@b.example".into(),
                params: vec!["SIZE=10".into(), "BODY=8BITMIME".into()],
            })
        );
        assert_eq!(
            Command::parse(b"MAIL FROM: <>\r\n"),
            Ok(Command::Mail {
                from: String::new(),
                params: vec![],
            })
        );
        assert_eq!(
            Command::parse(b"RCPT TO:<c@d.example>\r\n"),
            Ok(Command::Rcpt {
                to: "c@d.example".into(),
                params: vec![],
            })
        );
    }

    #[test]
    fn bad_arguments_and_unknown_verbs() {
        assert_eq!(
            Command::parse(b"RCPT TO:<>\r\n"),
            Err(CommandError::Arguments)
        );
        assert_eq!(
            Command::parse(b"MAIL FROM:a@b\r\n"),
            Err(CommandError::Arguments)
        );
        assert_eq!(
            Command::parse(b"MAIL TO:<a@b>\r\n"),
            Err(CommandError::Arguments)
        );
        assert_eq!(Command::parse(b"EHLO\r\n"), Err(CommandError::Arguments));
        assert_eq!(
            Command::parse(b"DATA now\r\n"),
            Err(CommandError::Arguments)
        );
        assert_eq!(Command::parse(b"FROB\r\n"), Err(CommandError::Unrecognized));
        assert_eq!(
            Command::parse(b"\xff\xfe\r\n"),
            Err(CommandError::Unrecognized)
        );
        assert_eq!(Command::parse(b"VRFY x\r\n"), Ok(Command::NotImplemented));
    }

    #[test]
    fn bdat_and_auth() {
        assert_eq!(
            Command::parse(b"BDAT 10 LAST\r\n"),
            Ok(Command::Bdat {
                size: 10,
                last: true
            })
        );
        assert_eq!(
            Command::parse(b"bdat 0\r\n"),
            Ok(Command::Bdat {
                size: 0,
                last: false
            })
        );
        for bad in [
            &b"BDAT\r\n"[..],
            b"BDAT -1\r\n",
            b"BDAT 1 FIRST\r\n",
            b"BDAT 1 LAST x\r\n",
        ] {
            assert_eq!(Command::parse(bad), Err(CommandError::Arguments));
        }
        assert_eq!(
            Command::parse(b"AUTH plain AGEAYg==\r\n"),
            Ok(Command::Auth {
                mechanism: "PLAIN".into(),
                initial: Some("AGEAYg==".into())
            })
        );
        assert_eq!(Command::parse(b"AUTH\r\n"), Err(CommandError::Arguments));
    }
}
