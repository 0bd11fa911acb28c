//! `sealane sendmail`: the classic local submission interface. Reads a
//! message on standard input and submits it over SMTP to the running
//! server's submission listener.
//!
//! Exit status as sendmail's (sysexits.h): 0 queued, 75 (EX_TEMPFAIL) when
//! the server is unreachable or answers 4xx, 1 on a 5xx refusal.

use std::io::Read;
use std::net::SocketAddr;
use std::process::ExitCode;

use anyhow::{Context, anyhow};
use smtp::{Client, ClientOptions, Envelope, MailOptions, Recipient, RecipientStatus};

use crate::exit::Failure;
use smtp::untrusted as shown;

/// sysexits.h EX_TEMPFAIL: try again later; the caller keeps the message.
const EX_TEMPFAIL: u8 = 75;

/// Arguments of `sealane sendmail`.
#[derive(clap::Args)]
pub struct Args {
    /// Take the recipients from the To:, Cc: and Bcc: header fields (and
    /// remove Bcc:), besides those given as arguments.
    #[arg(short = 't')]
    from_headers: bool,
    /// The envelope sender (default: the user at this host).
    #[arg(short = 'f', value_name = "FROM")]
    from: Option<String>,
    /// The sender's full name, for a From: field added when the message
    /// has none.
    #[arg(short = 'F', value_name = "NAME")]
    full_name: Option<String>,
    /// A line holding a single dot does not end the message.
    #[arg(short = 'i')]
    ignore_dots: bool,
    /// Sendmail options: `-oi` is `-i`; others are accepted and ignored.
    #[arg(short = 'o', value_name = "OPTION")]
    options: Vec<String>,
    /// The submission listener.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:2525")]
    server: SocketAddr,
    /// The recipients.
    #[arg(value_name = "RCPT")]
    recipients: Vec<String>,
}

/// Runs `sealane sendmail`.
pub async fn run(args: Args) -> Result<ExitCode, Failure> {
    let ignore_dots = args.ignore_dots || args.options.iter().any(|o| o == "i");
    for ignored in args.options.iter().filter(|o| *o != "i") {
        eprintln!("sealane: sendmail: ignoring option -o{}", shown(ignored));
    }
    let mut input = Vec::new();
    std::io::stdin()
        .read_to_end(&mut input)
        .context("cannot read the message from standard input")
        .map_err(Failure::Input)?;
    if !ignore_dots {
        input = up_to_dot_line(input);
    }
    let sender = args.from.clone().unwrap_or_else(default_sender);
    let mut recipients = args.recipients.clone();
    if args.from_headers {
        recipients.extend(header_recipients(&input));
        input = without_bcc(&input);
    }
    recipients.dedup();
    if recipients.is_empty() {
        return Err(Failure::Input(anyhow!(
            "no recipients (give them as arguments, or use -t)"
        )));
    }
    let message = with_from(input, &sender, args.full_name.as_deref());
    let smtputf8 = !sender.is_ascii() || recipients.iter().any(|r| !r.is_ascii());
    let envelope = Envelope {
        sender,
        recipients: recipients.into_iter().map(Recipient::new).collect(),
        options: MailOptions {
            smtputf8,
            ..MailOptions::default()
        },
    };
    submit(args.server, &envelope, &message).await
}

/// Sends the message and maps the answer to sendmail's exit status.
async fn submit(
    server: SocketAddr,
    envelope: &Envelope,
    message: &[u8],
) -> Result<ExitCode, Failure> {
    let temporary = |e: smtp::Error| -> Result<ExitCode, Failure> {
        eprintln!("sealane: sendmail: {}: {}", server, shown(&e.to_string()));
        if e.is_temporary() {
            Ok(ExitCode::from(EX_TEMPFAIL))
        } else {
            Ok(ExitCode::FAILURE)
        }
    };
    let mut client = match Client::connect(server, ClientOptions::default()).await {
        Ok(client) => client,
        Err(e) => return temporary(e),
    };
    if let Err(e) = client.ehlo(&ehlo_name()).await {
        return temporary(e);
    }
    let result = match client.send(envelope, message).await {
        Ok(result) => result,
        Err(e) => return temporary(e),
    };
    let _ = client.quit().await;
    let mut status = ExitCode::SUCCESS;
    let mut worst = 0;
    for r in &result.recipients {
        let rank = match r.status {
            RecipientStatus::Accepted => continue,
            RecipientStatus::TemporaryFailure => 1,
            RecipientStatus::PermanentFailure => 2,
        };
        eprintln!(
            "sealane: sendmail: <{}>: {}",
            shown(&r.address),
            shown(&r.reply.to_string())
        );
        worst = worst.max(rank);
    }
    if let Some(data) = result.data.as_ref().filter(|d| !d.is_positive()) {
        eprintln!("sealane: sendmail: data: {}", shown(&data.to_string()));
        worst = worst.max(if data.is_permanent() { 2 } else { 1 });
    } else if result.data.is_none() && worst == 0 {
        worst = 1;
    }
    if worst == 1 {
        status = ExitCode::from(EX_TEMPFAIL);
    } else if worst == 2 {
        status = ExitCode::FAILURE;
    }
    Ok(status)
}

/// The message up to a line holding a single dot (traditional sendmail
/// without `-i`).
fn up_to_dot_line(mut input: Vec<u8>) -> Vec<u8> {
    let mut start = 0;
    while start < input.len() {
        let end = input[start..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(input.len(), |i| start + i + 1);
        let line = &input[start..end];
        let bare = line
            .strip_suffix(b"\n")
            .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
            .unwrap_or(line);
        if bare == b"." {
            input.truncate(start);
            break;
        }
        start = end;
    }
    input
}

/// The header section: up to the first empty line.
fn header_end(message: &[u8]) -> usize {
    let mut start = 0;
    while start < message.len() {
        let end = message[start..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(message.len(), |i| start + i + 1);
        if matches!(&message[start..end], b"\n" | b"\r\n") {
            return start;
        }
        start = end;
    }
    message.len()
}

/// The addresses of To:, Cc: and Bcc: (RFC 5322 §3.6.3), groups included.
fn header_recipients(message: &[u8]) -> Vec<String> {
    let Some(parsed) = mail_parser::MessageParser::default().parse_headers(message) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for field in [parsed.to(), parsed.cc(), parsed.bcc()]
        .into_iter()
        .flatten()
    {
        for addr in field.iter() {
            if let Some(a) = addr.address() {
                out.push(a.to_owned());
            }
        }
    }
    out
}

/// The message without its Bcc: field(s), continuation lines included.
fn without_bcc(message: &[u8]) -> Vec<u8> {
    let end = header_end(message);
    let mut out = Vec::with_capacity(message.len());
    let mut dropping = false;
    for line in message[..end].split_inclusive(|&b| b == b'\n') {
        let continuation = line.first().is_some_and(|b| *b == b' ' || *b == b'\t');
        if !continuation {
            dropping = line.len() >= 4 && line[..4].eq_ignore_ascii_case(b"bcc:");
        }
        if !dropping {
            out.extend_from_slice(line);
        }
    }
    out.extend_from_slice(&message[end..]);
    out
}

/// Adds `From:` when the message has none (RFC 5322 §3.6: it is required).
fn with_from(message: Vec<u8>, sender: &str, name: Option<&str>) -> Vec<u8> {
    let has_from = message[..header_end(&message)]
        .split(|&b| b == b'\n')
        .any(|l| l.len() >= 5 && l[..5].eq_ignore_ascii_case(b"from:"));
    if has_from {
        return message;
    }
    let field = match name {
        Some(name) => format!(
            "From: \"{}\" <{sender}>\r\n",
            name.replace(['\\', '"', '\r', '\n'], "")
        ),
        None => format!("From: <{sender}>\r\n"),
    };
    let mut out = field.into_bytes();
    out.extend_from_slice(&message);
    out
}

/// This machine's host name, or `localhost`.
pub(crate) fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_owned())
        .ok()
        .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_graphic()))
        .unwrap_or_else(|| "localhost".to_owned())
}

fn ehlo_name() -> String {
    host_name()
}

/// `user@host`, the user from $USER or $LOGNAME.
fn default_sender() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "root".to_owned());
    format!("{user}@{}", host_name())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dot_line_ends_the_message_unless_ignored() {
        let text = b"Subject: x\n\nbody\n.\nafter\n".to_vec();
        assert_eq!(up_to_dot_line(text), b"Subject: x\n\nbody\n");
        let text = b"a\r\n..\r\n.\r\n".to_vec();
        assert_eq!(up_to_dot_line(text), b"a\r\n..\r\n");
    }

    #[test]
    fn recipients_from_headers_and_bcc_removed() {
        let message = b"From: a@x.test\r\nTo: B <b@y.test>, c@y.test\r\nCc: d@z.test\r\nBcc: e@z.test,\r\n f@z.test\r\nSubject: hi\r\n\r\nBcc: not a header\r\n";
        assert_eq!(
            header_recipients(message),
            ["b@y.test", "c@y.test", "d@z.test", "e@z.test", "f@z.test"]
        );
        let stripped = String::from_utf8(without_bcc(message)).unwrap();
        assert_eq!(
            stripped,
            "From: a@x.test\r\nTo: B <b@y.test>, c@y.test\r\nCc: d@z.test\r\nSubject: hi\r\n\r\nBcc: not a header\r\n"
        );
    }

    #[test]
    fn from_is_added_only_when_missing() {
        let with = with_from(b"Subject: s\n\nb\n".to_vec(), "me@h.test", Some("Me \"X\""));
        assert!(with.starts_with(b"From: \"Me X\" <me@h.test>\r\nSubject"));
        let kept = with_from(b"from: a@b.test\n\nb\n".to_vec(), "me@h.test", None);
        assert_eq!(kept, b"from: a@b.test\n\nb\n");
    }
}
