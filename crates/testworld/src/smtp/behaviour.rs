//! What a receiver does: its TLS, what it advertises, and its reply (or
//! silence, or slowness) at each step.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use smtp::replies::{self, Canned};
use smtp::{Capabilities, Class, Decision, Reply};

use crate::identity::Identity;

/// A step of the SMTP session where a receiver can misbehave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Step {
    /// The 220 greeting after connect.
    Greeting,
    /// EHLO, and the HELO a client falls back to.
    Ehlo,
    /// The STARTTLS command (before the handshake).
    StartTls,
    /// MAIL FROM.
    Mail,
    /// RCPT TO (every recipient; see [`Behaviour::reply_for`] for one).
    Rcpt,
    /// DATA, before the 354.
    Data,
    /// The reply to the final dot, after the message was received.
    DataEnd,
}

impl Step {
    /// The table reply for a temporary (4xx) refusal at this step.
    pub(crate) fn temporary(self) -> Canned {
        match self {
            Step::Greeting => replies::SERVICE_UNAVAILABLE,
            Step::StartTls => replies::TLS_NOT_AVAILABLE,
            Step::Ehlo | Step::Mail | Step::Rcpt | Step::Data | Step::DataEnd => {
                replies::LOCAL_ERROR
            }
        }
    }

    /// The table reply for a permanent (5xx) refusal at this step.
    fn permanent(self) -> Canned {
        match self {
            Step::Rcpt => replies::MAILBOX_UNAVAILABLE,
            Step::Greeting
            | Step::Ehlo
            | Step::StartTls
            | Step::Mail
            | Step::Data
            | Step::DataEnd => replies::TRANSACTION_FAILED,
        }
    }
}

/// How STARTTLS goes.
#[derive(Debug, Clone)]
pub(crate) enum StartTls {
    /// Not advertised.
    NotOffered,
    /// Advertised and completed with this configuration.
    Offered(Arc<rustls::ServerConfig>),
    /// Advertised, but the command gets 454.
    Refused,
    /// Advertised, the command gets 220, then the connection closes.
    Aborted,
}

/// What one step does: an optional delay, then a decision.
#[derive(Debug, Clone, Default)]
struct Rule {
    delay: Option<Duration>,
    decision: Option<Decision>,
}

/// A receiver's behaviour, built from one of the constructors and refined
/// with the builder methods:
///
/// - a normal server: [`Behaviour::starttls`] with a good [`Identity`];
/// - expired certificate, certificate for another name, untrusted CA,
///   replayed chain without its key: [`Behaviour::starttls`] with such an
///   identity (see [`TestCa`](crate::ca::TestCa) and [`Identity::replayed`]);
/// - no STARTTLS: [`Behaviour::plain`]; STARTTLS that fails:
///   [`Behaviour::starttls_refused`] (454), [`Behaviour::starttls_aborted`]
///   (220, then the connection closes before any handshake) or
///   [`Behaviour::starttls_failing`] (220, then a TLS alert);
/// - refusals, slowness and drops at a [`Step`]: [`Behaviour::temporary_at`],
///   [`Behaviour::permanent_at`], [`Behaviour::reply_at`],
///   [`Behaviour::delay_at`], [`Behaviour::drop_at`]; per recipient:
///   [`Behaviour::temporary_for`], [`Behaviour::permanent_for`],
///   [`Behaviour::reply_for`]; a limit on recipients per transaction:
///   [`Behaviour::recipient_limit`];
/// - broken or hostile replies: [`Behaviour::burst_at`], e.g.
///   [`Behaviour::early_accept_at_data`] (354 and 250 at once, then close).
///
/// Temporary refusals are 421 at the greeting (which closes the session),
/// 454 at STARTTLS and 451 4.3.0 elsewhere; permanent ones are 550 5.1.1 at
/// RCPT and 554 5.0.0 elsewhere, all from the reply table in `smtp`.
#[derive(Debug, Clone)]
pub struct Behaviour {
    pub(crate) hostname: String,
    pub(crate) starttls: StartTls,
    pub(crate) capabilities: Capabilities,
    pub(crate) helo_only: bool,
    pub(crate) timeout: Duration,
    /// Octets read per interval, for [`Behaviour::reads_slowly`].
    pub(crate) read_rate: Option<(usize, Duration)>,
    rules: HashMap<Step, Rule>,
    recipients: HashMap<String, Decision>,
    recipient_limit: Option<(usize, Reply)>,
}

impl Behaviour {
    fn new(starttls: StartTls) -> Behaviour {
        let mut config = smtp::ServerConfig::new("receiver.test");
        config.capabilities.dsn = true;
        config.capabilities.smtputf8 = true;
        config.capabilities.starttls = !matches!(starttls, StartTls::NotOffered);
        Behaviour {
            hostname: config.hostname,
            starttls,
            capabilities: config.capabilities,
            helo_only: false,
            timeout: Duration::from_secs(30),
            read_rate: None,
            rules: HashMap::new(),
            recipients: HashMap::new(),
            recipient_limit: None,
        }
    }

    /// A server that does not advertise STARTTLS and accepts mail in
    /// plaintext.
    pub fn plain() -> Behaviour {
        Behaviour::new(StartTls::NotOffered)
    }

    /// A server that advertises STARTTLS and presents `identity`.
    pub fn starttls(identity: &Identity) -> Behaviour {
        Behaviour::starttls_with(identity.rustls_server_config())
    }

    /// A server that advertises STARTTLS with any rustls configuration
    /// (e.g. one offering only TLS 1.2).
    pub fn starttls_with(config: Arc<rustls::ServerConfig>) -> Behaviour {
        Behaviour::new(StartTls::Offered(config))
    }

    /// A server that advertises STARTTLS but answers the command with 454.
    pub fn starttls_refused() -> Behaviour {
        Behaviour::new(StartTls::Refused)
    }

    /// A server that advertises STARTTLS, answers 220, then closes the
    /// connection instead of doing the handshake.
    pub fn starttls_aborted() -> Behaviour {
        Behaviour::new(StartTls::Aborted)
    }

    /// A server that advertises STARTTLS, answers 220, then fails the
    /// handshake with a `handshake_failure` alert (it has no certificate to
    /// offer).
    pub fn starttls_failing() -> Behaviour {
        Behaviour::starttls_with(crate::identity::no_certificate_config())
    }

    /// The name in the greeting and the EHLO reply (default `receiver.test`).
    pub fn hostname(mut self, name: &str) -> Behaviour {
        self.hostname = name.to_owned();
        self
    }

    /// Whether REQUIRETLS (RFC 8689) is advertised; like every server
    /// session, only after STARTTLS. Off by default.
    pub fn requiretls(mut self, offered: bool) -> Behaviour {
        self.capabilities.requiretls = offered;
        self
    }

    /// Changes what EHLO advertises (default: PIPELINING, SIZE, 8BITMIME,
    /// ENHANCEDSTATUSCODES, DSN, SMTPUTF8, and STARTTLS as constructed).
    /// STARTTLS stays as the constructor chose.
    pub fn capabilities(mut self, change: impl FnOnce(&mut Capabilities)) -> Behaviour {
        let starttls = self.capabilities.starttls;
        change(&mut self.capabilities);
        self.capabilities.starttls = starttls;
        self
    }

    /// Answers EHLO with 500, as a server that knows only HELO.
    pub fn helo_only(mut self) -> Behaviour {
        self.helo_only = true;
        self
    }

    /// How long the server waits for a command or data line before giving
    /// up (default 30 s).
    pub fn timeout(mut self, limit: Duration) -> Behaviour {
        self.timeout = limit;
        self
    }

    /// A 4xx reply at `step`.
    pub fn temporary_at(self, step: Step) -> Behaviour {
        self.reply_at(step, step.temporary().reply())
    }

    /// A 5xx reply at `step`.
    pub fn permanent_at(self, step: Step) -> Behaviour {
        self.reply_at(step, step.permanent().reply())
    }

    /// This reply at `step` (a 2xx, or 354 at DATA, 220 at STARTTLS, goes on
    /// as accepted).
    pub fn reply_at(self, step: Step, reply: Reply) -> Behaviour {
        self.decide_at(step, Decision::Reply(reply))
    }

    /// Closes the connection without a reply at `step`.
    pub fn drop_at(self, step: Step) -> Behaviour {
        self.decide_at(step, Decision::Drop)
    }

    /// Sends `replies` together in one write at `step`, then closes the
    /// connection without reading further.
    pub fn burst_at(self, step: Step, replies: Vec<Reply>) -> Behaviour {
        self.decide_at(step, Decision::Burst(replies))
    }

    /// Answers DATA with 354 and 250 in one write, then closes: a `250`
    /// that arrives before the client has sent the message, let alone its
    /// final dot. Nothing is received.
    pub fn early_accept_at_data(self) -> Behaviour {
        let replies = vec![
            replies::START_DATA.reply(),
            replies::MESSAGE_ACCEPTED.reply(),
        ];
        self.burst_at(Step::Data, replies)
    }

    /// Accepts at most `limit` recipients per transaction and refuses the
    /// others for lack of room with `code`: 452 4.5.3 as RFC 5321
    /// §4.5.3.1.10 asks, or 552 5.5.3 as servers of the RFC 821 era answer.
    pub fn recipient_limit(mut self, limit: usize, code: u16) -> Behaviour {
        let canned = replies::TOO_MANY_RECIPIENTS;
        let class = Class::from_digit((code / 100) as u8).unwrap_or(Class::Transient);
        let enhanced = canned.enhanced.map(|e| e.with_class(class));
        self.recipient_limit = Some((limit, Reply::new(code, enhanced, canned.text)));
        self
    }

    /// Waits `delay` before replying at `step` (whatever the reply is).
    pub fn delay_at(mut self, step: Step, delay: Duration) -> Behaviour {
        self.rules.entry(step).or_default().delay = Some(delay);
        self
    }

    fn decide_at(mut self, step: Step, decision: Decision) -> Behaviour {
        self.rules.entry(step).or_default().decision = Some(decision);
        self
    }

    /// A 4xx reply to RCPT for `address` (as the client writes it, without
    /// angle brackets); other recipients follow [`Step::Rcpt`].
    pub fn temporary_for(self, address: &str) -> Behaviour {
        self.reply_for(address, Step::Rcpt.temporary().reply())
    }

    /// A 5xx reply to RCPT for `address`.
    pub fn permanent_for(self, address: &str) -> Behaviour {
        self.reply_for(address, Step::Rcpt.permanent().reply())
    }

    /// This reply to RCPT for `address`.
    pub fn reply_for(mut self, address: &str, reply: Reply) -> Behaviour {
        self.recipients
            .insert(address.to_owned(), Decision::Reply(reply));
        self
    }

    /// The server session's configuration (capabilities and TLS).
    pub(crate) fn server_config(&self) -> smtp::ServerConfig {
        let mut config = smtp::ServerConfig::new(self.hostname.clone());
        config.capabilities = self.capabilities.clone();
        config.limits.idle = self.timeout;
        config.tls = match &self.starttls {
            StartTls::Offered(tls) => Some(tls.clone()),
            StartTls::NotOffered | StartTls::Refused | StartTls::Aborted => None,
        };
        config
    }

    /// The decision at `step`, with `standard` where no rule says otherwise.
    pub(crate) fn decision(&self, step: Step, standard: Decision) -> Decision {
        let rule = self.rules.get(&step).cloned().unwrap_or_default();
        with_delay(rule.delay, rule.decision.unwrap_or(standard))
    }

    /// The decision for RCPT to `address` when `accepted` recipients of
    /// the transaction were accepted before it.
    pub(crate) fn rcpt_decision(&self, address: &str, accepted: usize) -> Decision {
        if let Some((limit, reply)) = &self.recipient_limit
            && accepted >= *limit
        {
            return Decision::Reply(reply.clone());
        }
        match self.recipients.get(address) {
            Some(decision) => {
                let delay = self.rules.get(&Step::Rcpt).and_then(|rule| rule.delay);
                with_delay(delay, decision.clone())
            }
            None => self.decision(Step::Rcpt, Decision::Accept),
        }
    }

    /// What STARTTLS does when no rule for [`Step::StartTls`] is set.
    pub(crate) fn starttls_standard(&self) -> Decision {
        match self.starttls {
            // The server session sends 220 and, lacking a TLS configuration,
            // closes the connection.
            StartTls::Aborted => Decision::Reply(replies::READY_FOR_TLS.reply()),
            // Without a TLS configuration the standard reply is 454.
            StartTls::NotOffered | StartTls::Offered(_) | StartTls::Refused => Decision::Accept,
        }
    }
}

fn with_delay(delay: Option<Duration>, decision: Decision) -> Decision {
    match delay {
        Some(wait) => Decision::Delay(wait, Box::new(decision)),
        None => decision,
    }
}

/// Whether a decision ends with a positive reply (the step goes on).
pub(crate) fn accepts(decision: &Decision) -> bool {
    match decision {
        Decision::Accept => true,
        Decision::Reply(reply) => reply.is_positive(),
        Decision::Drop | Decision::Burst(_) => false,
        Decision::Delay(_, next) => accepts(next),
    }
}
