//! The server session: one SMTP conversation over any byte stream, with the
//! caller's [`Handler`] choosing replies (RFC 5321 §4.1, §4.3.2).
//!
//! Replies are queued and written when the session would otherwise wait for
//! input, so a pipelined batch gets its replies in one write (RFC 2920
//! §3.2), in the order of the commands.

mod auth;
mod config;
mod data;
mod envelope;
mod tls;

use std::net::SocketAddr;

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};

pub use config::{Limits, ServerConfig};

use crate::capabilities::Capabilities;
use crate::command::{Command, CommandError};
use crate::envelope::Recipient;
use crate::error::{Error, Stage};
use crate::handler::{Decision, Handler, SessionFacts};
use crate::params::MailFrom;
use crate::replies::{self, Canned};
use crate::reply::Reply;
use crate::wire::{Line, Wire};

/// How a server session ended without error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionEnd {
    /// The client sent QUIT.
    Quit,
    /// The handler chose [`Decision::Drop`], or a 421 closed the session.
    Dropped,
    /// [`Limits::errors`] was reached; the client got 421.
    TooManyErrors,
    /// [`Limits::commands`] was reached; the client got 421.
    TooManyCommands,
}

/// What the session does after a step.
enum Next {
    Continue,
    End(SessionEnd),
}

struct Session<'a, S, H> {
    wire: Wire<S>,
    config: &'a ServerConfig,
    handler: &'a mut H,
    facts: SessionFacts,
    mail: Option<MailFrom>,
    rcpts: Vec<Recipient>,
    /// The chunks so far of a BDAT transaction (RFC 3030).
    chunks: Option<Vec<u8>>,
    /// Class 5 replies sent.
    errors: usize,
}

/// Runs one server session with the client at `client` on `stream` until
/// QUIT, a drop, a limit, or an error (the client closing without QUIT is
/// [`Error::Closed`]; a message not complete by then is never handed to the
/// handler).
pub async fn serve<S, H>(
    stream: S,
    client: SocketAddr,
    config: &ServerConfig,
    handler: &mut H,
) -> Result<SessionEnd, Error>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
    H: Handler,
{
    run_session(stream, SessionFacts::new(client), config, handler).await
}

/// [`serve`] on a connection that is TLS from its first octet (RFC 8314
/// §3.3, submission on port 465): the session starts with the handshake's
/// parameters, as it would after STARTTLS, so the handler, the AUTH rule and
/// the `Received:` header see them, and STARTTLS is not offered.
pub async fn serve_implicit_tls<S, H>(
    stream: tokio_rustls::server::TlsStream<S>,
    client: SocketAddr,
    config: &ServerConfig,
    handler: &mut H,
) -> Result<SessionEnd, Error>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
    H: Handler,
{
    let info = tls::info(stream.get_ref().1);
    handler.tls_established(&info);
    let mut facts = SessionFacts::new(client);
    facts.tls = Some(info);
    run_session(stream, facts, config, handler).await
}

async fn run_session<S, H>(
    stream: S,
    facts: SessionFacts,
    config: &ServerConfig,
    handler: &mut H,
) -> Result<SessionEnd, Error>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
    H: Handler,
{
    let mut session = Session {
        wire: Wire::new(stream),
        config,
        handler,
        facts,
        mail: None,
        rcpts: Vec::new(),
        chunks: None,
        errors: 0,
    };
    let result = session.run().await;
    // Best effort: replies queued before an error or a drop still go out.
    let _flushed = tokio::time::timeout(config.limits.idle, session.wire.flush()).await;
    result
}

/// Answers a connection that gets no session (e.g. a client over
/// [`Limits::connections_per_client`]) with `canned` after the host name,
/// and closes it (RFC 5321 §3.1: a 421 or 554 greeting).
pub async fn refuse<S>(mut stream: S, config: &ServerConfig, canned: Canned) -> Result<(), Error>
where
    S: AsyncWrite + Unpin + Send,
{
    let reply = canned.reply_after(&config.hostname).to_wire();
    let write = async {
        stream.write_all(reply.as_bytes()).await?;
        stream.shutdown().await
    };
    match tokio::time::timeout(config.limits.idle, write).await {
        Err(_) => Err(Error::Timeout {
            stage: Stage::Greeting,
            after: config.limits.idle,
        }),
        Ok(Err(source)) => Err(Error::Io {
            stage: Stage::Greeting,
            source,
        }),
        Ok(Ok(())) => Ok(()),
    }
}

impl<S, H> Session<'_, S, H>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
    H: Handler,
{
    async fn run(&mut self) -> Result<SessionEnd, Error> {
        let decision = self.handler.connected(self.facts.client).await;
        let greeting = replies::GREETING.reply_after(&self.config.hostname);
        let Some(greeting) = self.resolve(Stage::Greeting, decision, greeting).await? else {
            return Ok(SessionEnd::Dropped);
        };
        self.send(Stage::Greeting, &greeting).await?;
        if greeting.code == 421 {
            return Ok(SessionEnd::Dropped);
        }
        // RFC 5321 §3.1: after a 554 greeting, wait for QUIT and answer 503
        // to anything else.
        let refused = !greeting.is_positive();
        let mut commands = 0;
        loop {
            let limit = self.config.limits.command_line;
            let line = self.read_line(Stage::Command, limit).await?;
            commands += 1;
            if commands > self.config.limits.commands {
                self.send(Stage::Command, &replies::TOO_MANY_COMMANDS.reply())
                    .await?;
                return Ok(SessionEnd::TooManyCommands);
            }
            let next = match line {
                Line::Complete(line) => match Command::parse(&line) {
                    Err(CommandError::Unrecognized) => {
                        self.reply(Stage::Command, replies::SYNTAX_ERROR).await?
                    }
                    Err(CommandError::Arguments) => {
                        self.reply(Stage::Command, replies::ARGUMENT_ERROR).await?
                    }
                    Ok(Command::Quit) => self.quit().await?,
                    Ok(Command::Bdat { size, .. }) if refused => {
                        self.discard_chunk(size).await?;
                        self.reply(Stage::Command, replies::BAD_SEQUENCE).await?
                    }
                    Ok(_) if refused => self.reply(Stage::Command, replies::BAD_SEQUENCE).await?,
                    Ok(command) => self.step(command).await?,
                },
                Line::TooLong => self.reply(Stage::Command, replies::LINE_TOO_LONG).await?,
                Line::Eof => {
                    return Err(Error::Closed {
                        stage: Stage::Command,
                    });
                }
            };
            if let Next::End(end) = next {
                return Ok(end);
            }
            if self.errors >= self.config.limits.errors {
                self.send(Stage::Command, &replies::TOO_MANY_ERRORS.reply())
                    .await?;
                return Ok(SessionEnd::TooManyErrors);
            }
        }
    }

    async fn step(&mut self, command: Command) -> Result<Next, Error> {
        match command {
            Command::Ehlo(name) => self.hello(name, true).await,
            Command::Helo(name) => self.hello(name, false).await,
            Command::StartTls => self.starttls().await,
            Command::Auth { mechanism, initial } => self.auth(&mechanism, initial).await,
            Command::Mail { from, params } => self.mail_from(from, params).await,
            Command::Rcpt { to, params } => self.rcpt_to(to, params).await,
            Command::Data => self.data().await,
            Command::Bdat { size, last } => self.bdat(size, last).await,
            Command::Rset => {
                self.reset();
                self.reply(Stage::Rset, replies::OK).await
            }
            Command::Noop => self.reply(Stage::Noop, replies::OK).await,
            Command::Quit => self.quit().await,
            Command::NotImplemented => self.reply(Stage::Command, replies::NOT_IMPLEMENTED).await,
        }
    }

    /// Ends the mail transaction (RFC 5321 §4.1.1.5).
    fn reset(&mut self) {
        self.mail = None;
        self.rcpts.clear();
        self.chunks = None;
    }

    /// The capabilities as advertised now.
    fn advertised(&self) -> Capabilities {
        let mut caps = self.config.capabilities.clone();
        if caps.size.is_some() {
            caps.size = Some(self.config.limits.message_size as u64);
        }
        caps.auth
            .retain(|m| m.eq_ignore_ascii_case("PLAIN") || m.eq_ignore_ascii_case("LOGIN"));
        if self.facts.tls.is_some() {
            caps.starttls = false;
        } else {
            caps.requiretls = false;
            caps.auth.clear();
        }
        caps
    }

    async fn quit(&mut self) -> Result<Next, Error> {
        let reply = replies::CLOSING.reply_after(&self.config.hostname);
        self.send(Stage::Quit, &reply).await?;
        self.flush(Stage::Quit).await?;
        // Best effort: the client has its 221; a failed close changes nothing.
        let _closed =
            tokio::time::timeout(self.config.limits.idle, self.wire.stream.shutdown()).await;
        Ok(Next::End(SessionEnd::Quit))
    }

    /// Applies the handler's decision; returns the reply sent, or `None`
    /// after a drop. A 421 ends the session after it is sent.
    async fn decide(
        &mut self,
        stage: Stage,
        decision: Decision,
        standard: Reply,
    ) -> Result<Option<Reply>, Error> {
        // A slow answer should not hold back the replies before it.
        if matches!(decision, Decision::Delay(..)) {
            self.flush(stage).await?;
        }
        let Some(reply) = self.resolve(stage, decision, standard).await? else {
            return Ok(None);
        };
        self.send(stage, &reply).await?;
        if reply.code == 421 {
            return Ok(None);
        }
        Ok(Some(reply))
    }

    /// Waits out any delays and returns the reply to send; `None` for a
    /// drop, or after a burst was sent.
    pub(super) async fn resolve(
        &mut self,
        stage: Stage,
        mut decision: Decision,
        standard: Reply,
    ) -> Result<Option<Reply>, Error> {
        loop {
            match decision {
                Decision::Accept => return Ok(Some(standard)),
                Decision::Reply(reply) => return Ok(Some(reply)),
                Decision::Drop => return Ok(None),
                Decision::Burst(replies) => {
                    for reply in &replies {
                        self.wire.queue(reply.to_wire().as_bytes());
                    }
                    self.flush(stage).await?;
                    // Best effort: the burst is out; a failed close changes nothing.
                    let limit = self.config.limits.idle;
                    let _closed = tokio::time::timeout(limit, self.wire.stream.shutdown()).await;
                    return Ok(None);
                }
                Decision::Delay(wait, next) => {
                    tokio::time::sleep(wait).await;
                    decision = *next;
                }
            }
        }
    }

    async fn reply(&mut self, stage: Stage, canned: Canned) -> Result<Next, Error> {
        self.send(stage, &canned.reply()).await?;
        Ok(Next::Continue)
    }

    /// Queues a reply; it is written before the session next waits for
    /// input, or at once when it closes the session.
    async fn send(&mut self, stage: Stage, reply: &Reply) -> Result<(), Error> {
        if reply.is_permanent() {
            self.errors += 1;
        }
        self.wire.queue(reply.to_wire().as_bytes());
        if reply.code == 421 {
            self.flush(stage).await?;
        }
        Ok(())
    }

    async fn flush(&mut self, stage: Stage) -> Result<(), Error> {
        let limit = self.config.limits.idle;
        match tokio::time::timeout(limit, self.wire.flush()).await {
            Err(_) => Err(Error::Timeout {
                stage,
                after: limit,
            }),
            Ok(Err(source)) => Err(Error::Io { stage, source }),
            Ok(Ok(())) => Ok(()),
        }
    }

    /// Flushes queued replies unless more pipelined input is waiting
    /// (RFC 2920 §3.2).
    async fn flush_before_waiting(&mut self, stage: Stage) -> Result<(), Error> {
        if self.wire.has_buffered() {
            return Ok(());
        }
        self.flush(stage).await
    }

    async fn read_line(&mut self, stage: Stage, max: usize) -> Result<Line, Error> {
        self.flush_before_waiting(stage).await?;
        let limit = self.config.limits.idle;
        match tokio::time::timeout(limit, self.wire.read_line(max)).await {
            Err(_) => Err(self.timed_out(stage).await),
            Ok(Err(source)) => Err(Error::Io { stage, source }),
            Ok(Ok(line)) => Ok(line),
        }
    }

    /// RFC 5321 §4.5.3.2.7: the server may close after its timeout; it says
    /// so first, best effort.
    async fn timed_out(&mut self, stage: Stage) -> Error {
        let _told = self.send(stage, &replies::TIMEOUT.reply()).await;
        Error::Timeout {
            stage,
            after: self.config.limits.idle,
        }
    }
}

fn continue_unless_dropped(sent: Option<Reply>) -> Next {
    match sent {
        Some(_) => Next::Continue,
        None => Next::End(SessionEnd::Dropped),
    }
}
