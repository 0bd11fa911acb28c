//! `sealane auth`: sender authentication one message or one address at a
//! time, like `spfquery`, `dkimverify` and `dkimsign`, through Sealane's
//! own resolver and the same code the MX listener runs on arrival.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, anyhow};
use auth::dmarc::{self, DmarcResult, DmarcVerdict};
use auth::{ArcVerdict, Checked, DkimResult, DkimVerdict, SpfInput, SpfResult, SpfVerdict};
use dns::Resolver;
use serde::Serialize;

use super::auth_oneshot_text as text;
use super::resolver::ResolverArgs;
use crate::exit::Failure;

/// Exit status when the result is not a pass.
const EXIT_NOT_PASS: u8 = 3;

/// The `auth` subcommands.
#[derive(clap::Subcommand)]
pub enum Command {
    /// Evaluate SPF (RFC 7208) for a client address and sender, and show
    /// the result, the domain's explanation and every DNS question asked.
    #[command(after_help = crate::exit::statuses::AUTH_SPF)]
    Spf(SpfArgs),
    /// Verify a message file: DKIM, ARC and DMARC (and SPF with --ip and
    /// --sender), printed as an Authentication-Results header field.
    #[command(after_help = crate::exit::statuses::AUTH_VERIFY)]
    Verify(VerifyArgs),
    /// Sign a message file with a DKIM key and print the signed message.
    Sign(SignArgs),
}

/// Arguments of `sealane auth spf`.
#[derive(clap::Args)]
pub struct SpfArgs {
    /// The client's address.
    #[arg(long, value_name = "IP")]
    ip: IpAddr,
    /// The MAIL FROM address; an empty one (`""`) is the null sender,
    /// checked as postmaster@ the HELO name.
    #[arg(long, value_name = "ADDR")]
    sender: String,
    /// The HELO/EHLO name, also checked on its own when given.
    #[arg(long, value_name = "NAME")]
    helo: Option<String>,
    /// Print the results as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    resolver: ResolverArgs,
}

/// Arguments of `sealane auth verify`.
#[derive(clap::Args)]
pub struct VerifyArgs {
    /// The message file (RFC 5322), CRLF or LF line ends.
    file: PathBuf,
    /// The address the message came from, for SPF (with --sender).
    #[arg(long, value_name = "IP", requires = "sender")]
    ip: Option<IpAddr>,
    /// The MAIL FROM address, for SPF (with --ip).
    #[arg(long, value_name = "ADDR", requires = "ip")]
    sender: Option<String>,
    /// The HELO/EHLO name, for SPF (with --ip).
    #[arg(long, value_name = "NAME", requires = "ip")]
    helo: Option<String>,
    /// The authserv-id of the header field (default: this host's name).
    #[arg(long, value_name = "ID")]
    authserv_id: Option<String>,
    /// Print every result as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    resolver: ResolverArgs,
}

/// Arguments of `sealane auth sign`.
#[derive(clap::Args)]
pub struct SignArgs {
    /// The message file (RFC 5322), CRLF or LF line ends.
    file: PathBuf,
    /// The signing domain (`d=`).
    #[arg(long, value_name = "DOMAIN")]
    domain: String,
    /// The selector (`s=`).
    #[arg(long, value_name = "SELECTOR")]
    selector: String,
    /// The PEM private key (RSA of 2048 bits or more, or Ed25519).
    #[arg(long, value_name = "FILE")]
    key: PathBuf,
    /// With --dns-server: verify the new signature against the key
    /// published at SELECTOR._domainkey.DOMAIN, and fail if it does not
    /// verify.
    #[arg(long)]
    check: bool,
    #[command(flatten)]
    resolver: ResolverArgs,
}

/// Runs an `auth` subcommand.
pub async fn run(command: Command) -> Result<ExitCode, Failure> {
    match command {
        Command::Spf(args) => spf(args).await,
        Command::Verify(args) => verify(args).await,
        Command::Sign(args) => sign(args).await,
    }
}

/// What `auth spf --json` prints.
#[derive(Serialize)]
struct SpfReport {
    mail_from: SpfVerdict,
    helo: Option<SpfVerdict>,
}

async fn spf(args: SpfArgs) -> Result<ExitCode, Failure> {
    let sender = args.sender.trim_matches(['<', '>']).to_owned();
    let helo = args.helo.clone().unwrap_or_default();
    if sender.is_empty() && helo.is_empty() {
        return Err(Failure::Input(anyhow!(
            "the null sender is checked as postmaster@ the HELO name: give --helo"
        )));
    }
    let resolver = Resolver::new(args.resolver.config()?);
    let receiver = super::sendmail::host_name();
    let input = SpfInput {
        ip: args.ip,
        helo: &helo,
        mail_from: &sender,
        receiver: &receiver,
    };
    let mail_from = auth::check_mail_from(&resolver, &input).await;
    let helo = match args.helo {
        Some(_) => Some(auth::check_helo(&resolver, &input).await),
        None => None,
    };
    let code = match mail_from.result {
        SpfResult::Pass => ExitCode::SUCCESS,
        SpfResult::TempError => ExitCode::FAILURE,
        _ => ExitCode::from(EXIT_NOT_PASS),
    };
    let report = SpfReport { mail_from, helo };
    if args.json {
        json(&report)?;
    } else {
        let mut out = text::spf(&report.mail_from, args.ip);
        if let Some(helo) = &report.helo {
            out.push_str(&text::spf(helo, args.ip));
        }
        crate::output::human(&out);
    }
    Ok(code)
}

/// What `auth verify --json` prints: the header field and every result.
#[derive(Serialize)]
struct VerifyReport {
    authentication_results: String,
    spf_helo: Option<SpfVerdict>,
    spf_mail_from: Option<SpfVerdict>,
    dkim: Vec<DkimVerdict>,
    dmarc: Option<DmarcVerdict>,
    dmarc_problem: Option<String>,
    arc: ArcVerdict,
}

async fn verify(args: VerifyArgs) -> Result<ExitCode, Failure> {
    let message = crlf(&read(&args.file)?);
    let resolver = Resolver::new(args.resolver.config()?);
    let receiver = super::sendmail::host_name();
    let authserv_id = args.authserv_id.clone().unwrap_or_else(|| receiver.clone());
    let (spf_helo, spf_mail_from) = match (args.ip, &args.sender) {
        (Some(ip), Some(sender)) => {
            let sender = sender.trim_matches(['<', '>']);
            let helo = args.helo.clone().unwrap_or_default();
            let input = SpfInput {
                ip,
                helo: &helo,
                mail_from: sender,
                receiver: &receiver,
            };
            let spf_helo = match &args.helo {
                Some(_) => Some(auth::check_helo(&resolver, &input).await),
                None => None,
            };
            (
                spf_helo,
                Some(auth::check_mail_from(&resolver, &input).await),
            )
        }
        _ => (None, None),
    };
    let dkim = auth::dkim::verify(&resolver, &message).await;
    let (dmarc, dmarc_problem) = match dmarc::author_domain(&message) {
        Ok(domain) => {
            let spf = spf_mail_from
                .clone()
                .unwrap_or_else(|| not_checked(&domain));
            let verdict =
                dmarc::evaluate(&resolver, &domain, &spf, &dkim, dmarc::roll(&message)).await;
            (Some(verdict), None)
        }
        Err(problem) => (None, Some(problem)),
    };
    let arc = auth::arc::verify(&resolver, &message).await;
    let header = auth::authentication_results(
        &authserv_id,
        &Checked {
            spf_helo: spf_helo.as_ref(),
            spf_mail_from: spf_mail_from.as_ref(),
            dkim: &dkim,
            dmarc: dmarc.as_ref(),
            arc: Some(&arc),
        },
    );
    let report = VerifyReport {
        authentication_results: header,
        spf_helo,
        spf_mail_from,
        dkim,
        dmarc,
        dmarc_problem,
        arc,
    };
    let code = verify_status(&report);
    if args.json {
        json(&report)?;
    } else {
        crate::output::verbatim(&text::verify(
            &report.authentication_results,
            report.spf_helo.iter().chain(report.spf_mail_from.iter()),
            &report.dkim,
            report.dmarc.as_ref(),
            report.dmarc_problem.as_deref(),
            &report.arc,
        ));
    }
    Ok(code)
}

/// 0 when the message authenticates (DMARC pass; without a DMARC policy,
/// a DKIM signature or SPF passed), 1 when a lookup failed for now and
/// nothing passed, 3 otherwise.
fn verify_status(report: &VerifyReport) -> ExitCode {
    let dmarc = report.dmarc.as_ref().map(|d| d.result);
    let dkim_pass = report.dkim.iter().any(|d| d.result == DkimResult::Pass);
    let spf_pass = report
        .spf_mail_from
        .as_ref()
        .is_some_and(|s| s.result.is_pass());
    let temporary = dmarc == Some(DmarcResult::TempError)
        || report
            .dkim
            .iter()
            .any(|d| d.result == DkimResult::TempError)
        || report
            .spf_mail_from
            .as_ref()
            .is_some_and(|s| s.result == SpfResult::TempError);
    match dmarc {
        Some(DmarcResult::Pass) => ExitCode::SUCCESS,
        Some(DmarcResult::None) | None if dkim_pass || spf_pass => ExitCode::SUCCESS,
        _ if temporary => ExitCode::FAILURE,
        _ => ExitCode::from(EXIT_NOT_PASS),
    }
}

/// An SPF verdict for DMARC when SPF was not asked for: `none`, which
/// never aligns (RFC 7489 §4.2).
fn not_checked(domain: &str) -> SpfVerdict {
    SpfVerdict {
        result: SpfResult::None,
        identity: auth::Identity::MailFrom,
        sender: String::new(),
        domain: domain.to_owned(),
        explanation: None,
        problem: Some("not checked: no --ip and --sender".into()),
        lookups: Vec::new(),
    }
}

async fn sign(args: SignArgs) -> Result<ExitCode, Failure> {
    let original = read(&args.file)?;
    let message = crlf(&original);
    let pem = std::fs::read_to_string(&args.key)
        .with_context(|| format!("cannot read {}", args.key.display()))
        .map_err(Failure::Input)?;
    let key = auth::DkimKey::from_pem(&pem)
        .with_context(|| format!("{}", args.key.display()))
        .map_err(Failure::Input)?;
    let signer = auth::DkimSigner::new(&args.domain, &args.selector, key);
    let header = signer
        .sign(&message)
        .map_err(|e| Failure::Input(e.into()))?;
    if args.check {
        let resolver = Resolver::new(args.resolver.config()?);
        let mut signed = header.clone().into_bytes();
        signed.extend_from_slice(&message);
        let verdicts = auth::dkim::verify(&resolver, &signed).await;
        let ours = verdicts.first().ok_or_else(|| {
            Failure::Runtime(anyhow!("the signed message does not parse to verify"))
        })?;
        if ours.result != DkimResult::Pass {
            return Err(Failure::Runtime(anyhow!(
                "the key published at {}._domainkey.{} does not verify the signature: {} ({})",
                args.selector,
                signer.domain(),
                ours.result,
                ours.problem.as_deref().unwrap_or("no reason given")
            )));
        }
    }
    // The file's own line ends are kept, for the header field too.
    let header = if original.windows(2).any(|w| w == b"\r\n") {
        header
    } else {
        header.replace("\r\n", "\n")
    };
    let mut out = header.into_bytes();
    out.extend_from_slice(&original);
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(&out)
        .and_then(|()| stdout.flush())
        .context("cannot write the signed message")
        .map_err(Failure::Runtime)?;
    Ok(ExitCode::SUCCESS)
}

fn read(path: &Path) -> Result<Vec<u8>, Failure> {
    std::fs::read(path)
        .with_context(|| format!("cannot read {}", path.display()))
        .map_err(Failure::Input)
}

/// The message with every bare LF made CRLF (RFC 5322 §2.1), as it would
/// travel over SMTP; a message already in CRLF is unchanged.
fn crlf(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + message.len() / 40);
    let mut previous = 0u8;
    for &byte in message {
        if byte == b'\n' && previous != b'\r' {
            out.push(b'\r');
        }
        out.push(byte);
        previous = byte;
    }
    out
}

fn json(value: &impl Serialize) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(value).map_err(|e| Failure::Runtime(e.into()))?;
    crate::output::json(&text);
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn bare_line_feeds_become_crlf_and_crlf_stays() {
        assert_eq!(super::crlf(b"a\nb\r\nc\n"), b"a\r\nb\r\nc\r\n");
        assert_eq!(super::crlf(b"a\r\n\r\nb"), b"a\r\n\r\nb");
    }
}
