//! Exit statuses and the one-line error every command prints on failure.

use std::process::ExitCode;

/// Why a command could not do its job.
pub enum Failure {
    /// The user gave something unusable (a bad name, type, file or address): exit 2.
    Input(anyhow::Error),
    /// The work was attempted and failed (no answer from DNS, ...): exit 1.
    Runtime(anyhow::Error),
    /// The process could not start its runtime: exit 1.
    Setup(anyhow::Error),
}

/// Prints `sealane: <error>` on one line and returns the exit status.
pub fn fail(failure: Failure) -> ExitCode {
    let (error, code) = match failure {
        Failure::Input(e) => (e, 2),
        Failure::Runtime(e) | Failure::Setup(e) => (e, 1),
    };
    eprintln!("sealane: {}", one_line(&error));
    ExitCode::from(code)
}

/// The error and its causes on one line, each cause said once: an error
/// whose text already includes its cause's is not followed by it again.
/// A system error is said in our words, without its code.
fn one_line(error: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in error.chain() {
        let text = match cause.downcast_ref::<std::io::Error>() {
            Some(io) => smtp::io_text(io),
            None => cause.to_string(),
        };
        if line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}

/// Exit status of `dns` when the answer's DNSSEC status is bogus or could
/// not be determined.
pub const DNS_NOT_VALIDATED: u8 = 3;

/// The exit statuses of a command, for the end of its `--help` and its
/// manual page.
pub mod statuses {
    /// Commands without statuses of their own.
    pub const GENERAL: &str = "\
Exit status:
  0  success
  1  the work failed (a server did not answer, a file could not be written, ...)
  2  unusable input (a bad name, address, option or file)";

    /// `sealane dns`.
    pub const DNS: &str = "\
Exit status:
  0  an answer (or a proven absence) that is DNSSEC secure or insecure
  1  no answer could be had (timeout, SERVFAIL, REFUSED)
  2  unusable input (a bad name, type, address or trust anchor file)
  3  an answer that is DNSSEC bogus or could not be validated";

    /// `sealane deliver`.
    pub const DELIVER: &str = "\
Exit status:
  0  every recipient was delivered
  1  a recipient was refused for good, or the delivery could not be made
  2  unusable input
  75 a recipient was not delivered this time (EX_TEMPFAIL); nothing was kept, nothing will be retried";

    /// `sealane route`.
    pub const ROUTE: &str = "\
Exit status:
  0  a message would be delivered now
  1  a message would be refused for good, or the dry run failed
  2  unusable input
  75 a message would be deferred now (EX_TEMPFAIL)";

    /// `sealane check`.
    pub const CHECK: &str = "\
Exit status:
  0  no finding worse than a note
  1  the check could not be run
  2  unusable input
  3  the worst finding is a warning
  4  the worst finding is an error";

    /// `sealane tlsa verify`.
    pub const TLSA: &str = "\
Exit status:
  0  records generated, or the chain matches a record
  1  the chain matches no record
  2  unusable input (a bad certificate, key or record)";

    /// `sealane auth spf`.
    pub const AUTH_SPF: &str = "\
Exit status:
  0  SPF pass: the address may send for the sender
  1  temperror: a DNS lookup failed for now
  2  unusable input
  3  any other result (fail, softfail, neutral, none, permerror)";

    /// `sealane auth verify`.
    pub const AUTH_VERIFY: &str = "\
Exit status:
  0  the message authenticates: DMARC pass or, without a DMARC policy, a DKIM signature or SPF passed
  1  nothing passed and a lookup failed for now (temperror), or the check could not run
  2  unusable input
  3  the message does not authenticate";

    /// `sealane sendmail`.
    pub const SENDMAIL: &str = "\
Exit status:
  0  the message was queued
  1  the server refused it for good
  2  unusable input
  75 it could not be queued now (EX_TEMPFAIL); the caller keeps it and tries again";
}

#[cfg(test)]
mod tests {
    use super::one_line;

    #[test]
    fn a_system_error_is_said_without_its_code() {
        let refused = std::io::Error::from_raw_os_error(111);
        let error = anyhow::Error::new(refused).context("cannot connect to 127.0.0.1:25");
        assert_eq!(
            one_line(&error),
            "cannot connect to 127.0.0.1:25: connection refused"
        );
    }

    #[test]
    fn a_cause_already_in_the_message_is_not_repeated() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "No such file");
        let error = anyhow::Error::new(io).context("cannot read FILE: No such file");
        assert_eq!(one_line(&error), "cannot read FILE: No such file");
        let error = anyhow::anyhow!("timed out").context("asked 127.0.0.1:53");
        assert_eq!(one_line(&error), "asked 127.0.0.1:53: timed out");
    }
}
