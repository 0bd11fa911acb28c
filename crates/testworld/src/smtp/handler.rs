//! The server-session handler of one receiver connection: it answers as the
//! behaviour says and records what arrives.

use std::sync::Arc;

use smtp::replies;
use std::net::SocketAddr;

use smtp::{Decision, Handler, MailFrom, RcptTo, ReceivedMessage, SessionFacts, TlsInfo};

use super::behaviour::{Behaviour, Step, accepts};
use super::record::{Recorder, Session};

pub(crate) struct SessionHandler {
    behaviour: Behaviour,
    recorder: Arc<Recorder>,
    /// This session's index in the log.
    index: usize,
    /// Recipients accepted in the current transaction.
    accepted: usize,
}

impl SessionHandler {
    /// Records a new session and returns its handler.
    pub fn new(behaviour: Behaviour, recorder: Arc<Recorder>, session: Session) -> SessionHandler {
        let index = recorder.update(|log| {
            log.sessions.push(session);
            log.sessions.len() - 1
        });
        SessionHandler {
            behaviour,
            recorder,
            index,
            accepted: 0,
        }
    }

    pub fn index(&self) -> usize {
        self.index
    }

    fn session(&self, change: impl FnOnce(&mut Session)) {
        self.recorder
            .update(|log| change(&mut log.sessions[self.index]));
    }

    fn command(&self, line: String) {
        self.session(|session| session.commands.push(line));
    }
}

/// `COMMAND:<address> PARAMS` as the client sent it.
fn with_params(verb: &str, address: &str, params: &[String]) -> String {
    let mut line = format!("{verb}:<{address}>");
    for param in params {
        line.push(' ');
        line.push_str(param);
    }
    line
}

impl Handler for SessionHandler {
    async fn connected(&mut self, _client: SocketAddr) -> Decision {
        self.behaviour.decision(Step::Greeting, Decision::Accept)
    }

    async fn hello(&mut self, name: &str, extended: bool) -> Decision {
        let verb = if extended { "EHLO" } else { "HELO" };
        self.command(format!("{verb} {name}"));
        self.accepted = 0;
        if extended && self.behaviour.helo_only {
            return Decision::Reply(replies::SYNTAX_ERROR.reply());
        }
        let decision = self.behaviour.decision(Step::Ehlo, Decision::Accept);
        if accepts(&decision) {
            self.session(|session| session.ehlo = Some(name.to_owned()));
        }
        decision
    }

    async fn starttls(&mut self) -> Decision {
        self.command("STARTTLS".to_owned());
        let standard = self.behaviour.starttls_standard();
        self.behaviour.decision(Step::StartTls, standard)
    }

    fn tls_established(&mut self, info: &TlsInfo) {
        self.session(|session| session.tls = Some(info.clone()));
    }

    async fn mail(&mut self, mail: &MailFrom, _session: &SessionFacts) -> Decision {
        self.command(with_params("MAIL FROM", &mail.sender, &mail.params));
        self.accepted = 0;
        self.behaviour.decision(Step::Mail, Decision::Accept)
    }

    async fn rcpt(&mut self, rcpt: &RcptTo, _mail: &MailFrom, _session: &SessionFacts) -> Decision {
        let to = &rcpt.recipient.address;
        self.command(with_params("RCPT TO", to, &rcpt.params));
        let decision = self.behaviour.rcpt_decision(to, self.accepted);
        if accepts(&decision) {
            self.accepted += 1;
        }
        decision
    }

    async fn data(&mut self) -> Decision {
        self.command("DATA".to_owned());
        self.behaviour.decision(Step::Data, Decision::Accept)
    }

    async fn message(&mut self, message: ReceivedMessage) -> Decision {
        let decision = self.behaviour.decision(Step::DataEnd, Decision::Accept);
        let accepted = accepts(&decision);
        self.recorder.update(|log| {
            log.sessions[self.index].commands.push(".".to_owned());
            if accepted {
                log.messages.push(message);
            }
        });
        decision
    }
}
