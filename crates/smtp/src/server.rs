//! The server session: one SMTP conversation over any byte stream, with the
//! caller's [`Handler`] choosing replies (RFC 5321 §4.1, §4.3.2).

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};

use crate::capabilities::Capabilities;
use crate::command::{Command, CommandError};
use crate::data::{self, DataLine};
use crate::error::{Error, Stage};
use crate::handler::{Decision, Handler, ReceivedMessage};
use crate::params;
use crate::record::TlsInfo;
use crate::replies::{self, Canned};
use crate::reply::Reply;
use crate::wire::{Line, Stream, Wire};

/// How a server session behaves.
#[derive(Clone)]
pub struct ServerConfig {
    /// The name in the greeting and the EHLO reply.
    pub hostname: String,
    /// What EHLO advertises. STARTTLS is left out once under TLS and
    /// REQUIRETLS before it (RFC 8689 §4.1). STARTTLS may be advertised
    /// without a TLS configuration: the command then gets 454.
    pub capabilities: Capabilities,
    /// The TLS configuration for STARTTLS.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// The longest command line, CRLF included; RFC 5321 §4.5.3.1.4: 512.
    pub max_command_line: usize,
    /// The longest line of message data, CRLF included; RFC 5321
    /// §4.5.3.1.6: 1000.
    pub max_data_line: usize,
    /// The largest message accepted, in octets.
    pub max_message_size: usize,
    /// How long to wait for a command or a data line; RFC 5321 §4.5.3.2.7:
    /// at least 5 minutes.
    pub timeout: Duration,
}

impl ServerConfig {
    /// A configuration with RFC limits, a 10 MiB message limit, PIPELINING,
    /// 8BITMIME, ENHANCEDSTATUSCODES and SIZE advertised, and no TLS.
    pub fn new(hostname: impl Into<String>) -> ServerConfig {
        let max_message_size = 10 * 1024 * 1024;
        ServerConfig {
            hostname: hostname.into(),
            capabilities: Capabilities {
                pipelining: true,
                size: Some(max_message_size as u64),
                eight_bit_mime: true,
                enhanced_status_codes: true,
                ..Capabilities::default()
            },
            tls: None,
            max_command_line: 512,
            max_data_line: 1000,
            max_message_size,
            timeout: Duration::from_secs(300),
        }
    }
}

impl std::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerConfig")
            .field("hostname", &self.hostname)
            .field("capabilities", &self.capabilities)
            .field("tls", &self.tls.is_some())
            .field("max_command_line", &self.max_command_line)
            .field("max_data_line", &self.max_data_line)
            .field("max_message_size", &self.max_message_size)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// How a server session ended without error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionEnd {
    /// The client sent QUIT.
    Quit,
    /// The handler chose [`Decision::Drop`], or a 421 closed the session.
    Dropped,
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
    tls: Option<TlsInfo>,
    helo: Option<String>,
    mail: Option<(String, Vec<String>)>,
    rcpts: Vec<String>,
}

/// Runs one server session on `stream` until QUIT, a drop, or an error
/// (the client closing without QUIT is [`Error::Closed`]).
pub async fn serve<S, H>(
    stream: S,
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
        tls: None,
        helo: None,
        mail: None,
        rcpts: Vec::new(),
    };
    session.run().await
}

impl<S, H> Session<'_, S, H>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
    H: Handler,
{
    async fn run(&mut self) -> Result<SessionEnd, Error> {
        let decision = self.handler.connected();
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
        loop {
            let limit = self.config.max_command_line;
            let line = self.read_line(Stage::Command, limit).await?;
            let command = match line {
                Line::Complete(line) => Command::parse(&line),
                Line::TooLong => {
                    self.reply(Stage::Command, replies::LINE_TOO_LONG).await?;
                    continue;
                }
                Line::Eof => {
                    return Err(Error::Closed {
                        stage: Stage::Command,
                    });
                }
            };
            let next = match command {
                Err(CommandError::Unrecognized) => {
                    self.reply(Stage::Command, replies::SYNTAX_ERROR).await?
                }
                Err(CommandError::Arguments) => {
                    self.reply(Stage::Command, replies::ARGUMENT_ERROR).await?
                }
                Ok(Command::Quit) => self.quit().await?,
                Ok(_) if refused => self.reply(Stage::Command, replies::BAD_SEQUENCE).await?,
                Ok(command) => self.step(command).await?,
            };
            if let Next::End(end) = next {
                return Ok(end);
            }
        }
    }

    async fn step(&mut self, command: Command) -> Result<Next, Error> {
        match command {
            Command::Ehlo(name) => self.hello(name, true).await,
            Command::Helo(name) => self.hello(name, false).await,
            Command::StartTls => self.starttls().await,
            Command::Mail { from, params } => self.mail_from(from, params).await,
            Command::Rcpt { to, params } => self.rcpt_to(to, params).await,
            Command::Data => self.data().await,
            Command::Rset => {
                self.reset();
                self.reply(Stage::Rset, replies::OK).await
            }
            Command::Noop => self.reply(Stage::Noop, replies::OK).await,
            Command::Quit => self.quit().await,
            Command::NotImplemented => self.reply(Stage::Command, replies::NOT_IMPLEMENTED).await,
        }
    }

    fn reset(&mut self) {
        self.mail = None;
        self.rcpts.clear();
    }

    /// The capabilities as advertised now.
    fn advertised(&self) -> Capabilities {
        let mut caps = self.config.capabilities.clone();
        if self.tls.is_some() {
            caps.starttls = false;
        } else {
            caps.requiretls = false;
        }
        caps
    }

    async fn hello(&mut self, name: String, extended: bool) -> Result<Next, Error> {
        self.reset();
        let standard = if extended {
            let mut reply = replies::HELLO.reply_after(&self.config.hostname);
            reply.lines.extend(self.advertised().ehlo_lines());
            reply
        } else {
            replies::HELLO.reply_after(&self.config.hostname)
        };
        let decision = self.handler.hello(&name, extended);
        let next = self.decide(Stage::Ehlo, decision, standard).await?;
        if next.as_ref().is_some_and(Reply::is_positive) {
            self.helo = Some(name);
        }
        Ok(continue_unless_dropped(next))
    }

    async fn starttls(&mut self) -> Result<Next, Error> {
        if !self.advertised().starttls {
            let canned = if self.tls.is_some() {
                replies::BAD_SEQUENCE
            } else {
                replies::NOT_IMPLEMENTED
            };
            return self.reply(Stage::StartTls, canned).await;
        }
        let standard = match self.config.tls {
            Some(_) => replies::READY_FOR_TLS.reply(),
            None => replies::TLS_NOT_AVAILABLE.reply(),
        };
        let decision = self.handler.starttls();
        let Some(reply) = self.decide(Stage::StartTls, decision, standard).await? else {
            return Ok(Next::End(SessionEnd::Dropped));
        };
        if reply.code != 220 {
            return Ok(Next::Continue);
        }
        let Some(config) = self.config.tls.clone() else {
            // Told to go ahead without a TLS configuration: the client's
            // handshake meets a closed connection (a failing STARTTLS).
            return Ok(Next::End(SessionEnd::Dropped));
        };
        // RFC 3207 §6 / CVE-2011-0411: nothing sent before the handshake
        // may be taken as a command after it.
        self.wire.discard_buffered();
        let Some(plain) = self.wire.take_plain() else {
            return Err(Error::BadSequence {
                stage: Stage::StartTls,
            });
        };
        let acceptor = tokio_rustls::TlsAcceptor::from(config);
        let limit = self.config.timeout;
        let tls = match tokio::time::timeout(limit, acceptor.accept(plain)).await {
            Err(_) => {
                return Err(Error::Timeout {
                    stage: Stage::StartTls,
                    after: limit,
                });
            }
            Ok(Err(source)) => return Err(Error::TlsHandshake { source }),
            Ok(Ok(tls)) => tls,
        };
        let connection = tls.get_ref().1;
        let info = TlsInfo {
            version: connection
                .protocol_version()
                .map(|v| format!("{v:?}"))
                .unwrap_or_default(),
            cipher: connection
                .negotiated_cipher_suite()
                .map(|s| format!("{:?}", s.suite()))
                .unwrap_or_default(),
            server_name: connection.server_name().unwrap_or_default().to_owned(),
        };
        self.wire.stream = Stream::ServerTls(Box::new(tls));
        self.handler.tls_established(&info);
        self.tls = Some(info);
        // RFC 3207 §4.2: the client must start over with EHLO.
        self.helo = None;
        self.reset();
        Ok(Next::Continue)
    }

    async fn mail_from(&mut self, from: String, params: Vec<String>) -> Result<Next, Error> {
        if self.helo.is_none() || self.mail.is_some() {
            return self.reply(Stage::Mail, replies::BAD_SEQUENCE).await;
        }
        if let Err(canned) =
            params::check_mail(&params, &self.advertised(), self.config.max_message_size)
        {
            return self.reply(Stage::Mail, canned).await;
        }
        let decision = self.handler.mail(&from, &params);
        let next = self
            .decide(Stage::Mail, decision, replies::SENDER_OK.reply())
            .await?;
        if next.as_ref().is_some_and(Reply::is_positive) {
            self.mail = Some((from, params));
        }
        Ok(continue_unless_dropped(next))
    }

    async fn rcpt_to(&mut self, to: String, params: Vec<String>) -> Result<Next, Error> {
        if self.mail.is_none() {
            return self.reply(Stage::Rcpt, replies::BAD_SEQUENCE).await;
        }
        if let Err(canned) = params::check_rcpt(&params, &self.advertised()) {
            return self.reply(Stage::Rcpt, canned).await;
        }
        let decision = self.handler.rcpt(&to, &params);
        let next = self
            .decide(Stage::Rcpt, decision, replies::RECIPIENT_OK.reply())
            .await?;
        if next.as_ref().is_some_and(Reply::is_positive) {
            self.rcpts.push(to);
        }
        Ok(continue_unless_dropped(next))
    }

    async fn data(&mut self) -> Result<Next, Error> {
        if self.mail.is_none() {
            return self.reply(Stage::Data, replies::BAD_SEQUENCE).await;
        }
        if self.rcpts.is_empty() {
            return self.reply(Stage::Data, replies::NO_VALID_RECIPIENTS).await;
        }
        let decision = self.handler.data();
        let Some(reply) = self
            .decide(Stage::Data, decision, replies::START_DATA.reply())
            .await?
        else {
            return Ok(Next::End(SessionEnd::Dropped));
        };
        if reply.code != 354 {
            return Ok(Next::Continue);
        }
        let mut message = Vec::new();
        let (mut too_big, mut too_long) = (false, false);
        loop {
            match self
                .read_line(Stage::DataBlock, self.config.max_data_line)
                .await?
            {
                Line::Eof => {
                    return Err(Error::Closed {
                        stage: Stage::DataBlock,
                    });
                }
                Line::TooLong => too_long = true,
                Line::Complete(line) => match data::decode_line(&line) {
                    DataLine::End => break,
                    DataLine::Text(text) => {
                        if message.len() + text.len() > self.config.max_message_size {
                            too_big = true;
                        } else {
                            message.extend_from_slice(text);
                        }
                    }
                },
            }
        }
        let (from, mail_params) = self.mail.take().unwrap_or_default();
        let recipients = std::mem::take(&mut self.rcpts);
        if too_big {
            return self.reply(Stage::DataEnd, replies::MESSAGE_TOO_BIG).await;
        }
        if too_long {
            return self
                .reply(Stage::DataEnd, replies::DATA_LINE_TOO_LONG)
                .await;
        }
        let received = ReceivedMessage {
            helo: self.helo.clone().unwrap_or_default(),
            from,
            mail_params,
            recipients,
            data: message,
            tls: self.tls.clone(),
        };
        let decision = self.handler.message(received);
        let next = self
            .decide(Stage::DataEnd, decision, replies::MESSAGE_ACCEPTED.reply())
            .await?;
        Ok(continue_unless_dropped(next))
    }

    async fn quit(&mut self) -> Result<Next, Error> {
        let reply = replies::CLOSING.reply_after(&self.config.hostname);
        self.send(Stage::Quit, &reply).await?;
        // Best effort: the client has its 221; a failed close changes nothing.
        let _closed = tokio::time::timeout(self.config.timeout, self.wire.stream.shutdown()).await;
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
    async fn resolve(
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
                    let wire: String = replies.iter().map(Reply::to_wire).collect();
                    self.send_raw(stage, wire.as_bytes()).await?;
                    // Best effort: the burst is out; a failed close changes nothing.
                    let limit = self.config.timeout;
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
        let reply = canned.reply();
        self.send(stage, &reply).await?;
        Ok(Next::Continue)
    }

    async fn send(&mut self, stage: Stage, reply: &Reply) -> Result<(), Error> {
        self.send_raw(stage, reply.to_wire().as_bytes()).await
    }

    async fn send_raw(&mut self, stage: Stage, bytes: &[u8]) -> Result<(), Error> {
        let limit = self.config.timeout;
        match tokio::time::timeout(limit, self.wire.write_all(bytes)).await {
            Err(_) => Err(Error::Timeout {
                stage,
                after: limit,
            }),
            Ok(Err(source)) => Err(Error::Io { stage, source }),
            Ok(Ok(())) => Ok(()),
        }
    }

    async fn read_line(&mut self, stage: Stage, max: usize) -> Result<Line, Error> {
        let limit = self.config.timeout;
        match tokio::time::timeout(limit, self.wire.read_line(max)).await {
            Err(_) => {
                // RFC 5321 §4.5.3.2.7: the server may close after its
                // timeout; say so first, best effort.
                let _told = self.send(stage, &replies::TIMEOUT.reply()).await;
                Err(Error::Timeout {
                    stage,
                    after: limit,
                })
            }
            Ok(Err(source)) => Err(Error::Io { stage, source }),
            Ok(Ok(line)) => Ok(line),
        }
    }
}

fn continue_unless_dropped(sent: Option<Reply>) -> Next {
    match sent {
        Some(_) => Next::Continue,
        None => Next::End(SessionEnd::Dropped),
    }
}
