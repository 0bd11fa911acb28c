//! The client session: connect, greeting, EHLO/HELO, STARTTLS, RSET, NOOP,
//! QUIT. Mail transactions are in `transaction.rs`.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use rustls_pki_types::{CertificateDer, ServerName};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpSocket, TcpStream};
use tokio::time::Instant;

use crate::capabilities::{Capabilities, Extension};
use crate::error::{Argument, Error, Stage};
use crate::record::{CommandRecord, SessionRecord, TlsInfo};
use crate::reply::{Category, MalformedReply, Reply, ReplyParser};
use crate::timeouts::Timeouts;
use crate::wire::{Line, Stream, Wire};

/// RFC 5321 §4.5.3.1.5: "The maximum total length of a reply line including
/// the reply code and the `<CRLF>` is 512 octets."
pub const MAX_REPLY_LINE: usize = 512;

/// How a client session connects and how patient it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientOptions {
    /// The local address to connect from (an outbound pool's address);
    /// `None` lets the system choose.
    pub source: Option<IpAddr>,
    /// Time limits per step.
    pub timeouts: Timeouts,
    /// The longest reply line accepted, CRLF included; longer ones are a
    /// [`MalformedReply::LineTooLong`]. Default [`MAX_REPLY_LINE`].
    pub max_reply_line: usize,
    /// When the whole session must be over, connecting included: no step
    /// waits past it, and a step it cuts short fails with
    /// [`Error::Deadline`]. The per-step limits add up (a server that
    /// answers each step just before its limit holds a session for most of
    /// an hour); this bounds their sum. Default `None`: the steps' limits only.
    pub deadline: Option<Instant>,
    /// The slowest rate, in octets per second, at which the server may take
    /// the message data: the whole transfer of `n` octets must be done
    /// within the data block limit plus `n / rate` seconds, or it fails with
    /// [`Error::TooSlow`] (Postfix's `smtp_min_data_rate`; the RFC 5321
    /// §4.5.3.2.5 limit per block alone lets a receiver drip a large
    /// message for hours). Default `None`: the per-block limit only.
    pub min_data_rate: Option<NonZeroU32>,
}

impl Default for ClientOptions {
    fn default() -> ClientOptions {
        ClientOptions {
            source: None,
            timeouts: Timeouts::default(),
            max_reply_line: MAX_REPLY_LINE,
            deadline: None,
            min_data_rate: None,
        }
    }
}

/// An SMTP client session on one TCP connection (RFC 5321 §3, §4).
///
/// The usual order is [`Client::connect`] (which reads the greeting),
/// [`Client::ehlo`], optionally [`Client::starttls`], one or more
/// [`Client::send`], then [`Client::quit`]. After an error that leaves the
/// connection in an unknown state (network trouble, a timeout, a malformed
/// reply, a failed TLS handshake, a 421) every later call fails with
/// [`Error::Unusable`].
pub struct Client {
    pub(crate) wire: Wire<TcpStream>,
    pub(crate) options: ClientOptions,
    pub(crate) caps: Capabilities,
    enhanced: bool,
    pub(crate) record: SessionRecord,
    ehlo_name: Option<String>,
    failed: Option<Stage>,
    pub(crate) needs_rset: bool,
    tls: bool,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("remote", &self.record.remote)
            .field("tls", &self.tls)
            .field("failed", &self.failed)
            .field("capabilities", &self.caps)
            .finish_non_exhaustive()
    }
}

fn is_fatal(err: &Error) -> bool {
    match err {
        Error::Rejected { reply, .. } => reply.code == 421,
        Error::Io { .. }
        | Error::Timeout { .. }
        | Error::Closed { .. }
        | Error::Malformed { .. }
        | Error::UnexpectedReply { .. }
        | Error::Deadline { .. }
        | Error::TooSlow { .. }
        | Error::TlsHandshake { .. }
        | Error::DataBeforeHandshake
        | Error::EarlyReply { .. } => true,
        _ => false,
    }
}

fn check_ehlo_name(name: &str) -> Result<(), Error> {
    let bad = name.is_empty() || !name.bytes().all(|b| b.is_ascii_graphic());
    if bad {
        return Err(Error::InvalidArgument {
            stage: Stage::Ehlo,
            argument: Argument::EhloName,
        });
    }
    Ok(())
}

/// A negative reply is a rejection, a positive one at the wrong place is
/// unexpected.
pub(crate) fn refusal(stage: Stage, reply: Reply) -> Error {
    match reply.category() {
        Category::Transient | Category::Permanent => Error::Rejected { stage, reply },
        Category::Positive | Category::Intermediate => Error::UnexpectedReply { stage, reply },
    }
}

/// Runs one step: within `limit`, cut short by `deadline` when that comes
/// first ([`Error::Timeout`] or [`Error::Deadline`]).
pub(crate) async fn within<F: Future>(
    stage: Stage,
    limit: Duration,
    deadline: Option<Instant>,
    step: F,
) -> Result<F::Output, Error> {
    let step_end = Instant::now() + limit;
    match deadline {
        Some(deadline) if deadline < step_end => tokio::time::timeout_at(deadline, step)
            .await
            .map_err(|_| Error::Deadline { stage }),
        _ => tokio::time::timeout_at(step_end, step)
            .await
            .map_err(|_| Error::Timeout {
                stage,
                after: limit,
            }),
    }
}

impl Client {
    /// Connects to `remote` (from `options.source` when given) and reads the
    /// 220 greeting (RFC 5321 §4.3.1; a multi-line greeting is fine).
    pub async fn connect(remote: SocketAddr, options: ClientOptions) -> Result<Client, Error> {
        let socket = match remote {
            SocketAddr::V4(_) => TcpSocket::new_v4(),
            SocketAddr::V6(_) => TcpSocket::new_v6(),
        }
        .map_err(|source| Error::Connect { source })?;
        if let Some(ip) = options.source {
            socket
                .bind(SocketAddr::new(ip, 0))
                .map_err(|source| Error::Connect { source })?;
        }
        let limit = options.timeouts.connect;
        let stream = within(
            Stage::Connect,
            limit,
            options.deadline,
            socket.connect(remote),
        )
        .await?
        .map_err(|source| Error::Connect { source })?;
        let mut record = SessionRecord::new(remote);
        record.local = stream.local_addr().ok();
        tracing::debug!(%remote, local = ?record.local, "smtp connected");
        let mut client = Client {
            wire: Wire::new(stream),
            options,
            caps: Capabilities::default(),
            enhanced: false,
            record,
            ehlo_name: None,
            failed: None,
            needs_rset: false,
            tls: false,
        };
        let greeting = client
            .read_reply(Stage::Greeting, client.options.timeouts.greeting)
            .await?;
        client.record.greeting = Some(greeting.clone());
        if greeting.code != 220 {
            return Err(client.poison(refusal(Stage::Greeting, greeting)));
        }
        Ok(client)
    }

    /// Sends EHLO; when the server refuses it with a 5xx, sends HELO instead
    /// (RFC 5321 §3.2) and assumes no extensions. Returns what the server
    /// offers.
    pub async fn ehlo(&mut self, name: &str) -> Result<&Capabilities, Error> {
        self.usable(Stage::Ehlo)?;
        check_ehlo_name(name)?;
        self.ehlo_name = Some(name.to_owned());
        self.record.ehlo_name = Some(name.to_owned());
        self.hello(name).await?;
        Ok(&self.caps)
    }

    async fn hello(&mut self, name: &str) -> Result<(), Error> {
        let limit = self.options.timeouts.command;
        let reply = self
            .command(Stage::Ehlo, &format!("EHLO {name}"), limit)
            .await?;
        if reply.is_positive() {
            self.caps = Capabilities::from_ehlo(&reply);
            self.enhanced = self.caps.enhanced_status_codes;
            self.record.capabilities = Some(self.caps.clone());
            return Ok(());
        }
        if !reply.is_permanent() {
            return Err(self.poison(refusal(Stage::Ehlo, reply)));
        }
        let reply = self
            .command(Stage::Ehlo, &format!("HELO {name}"), limit)
            .await?;
        if !reply.is_positive() {
            return Err(self.poison(refusal(Stage::Ehlo, reply)));
        }
        self.caps = Capabilities::default();
        self.enhanced = false;
        self.record.used_helo = true;
        self.record.capabilities = Some(self.caps.clone());
        Ok(())
    }

    /// Upgrades the session to TLS (RFC 3207) with `config` (whose verifier
    /// decides what certificate is good enough), sending `server_name` as
    /// SNI, then sends EHLO again and replaces the capabilities, as RFC 3207
    /// §4.2 requires.
    ///
    /// Fails with [`Error::NotOffered`] when the server did not announce
    /// STARTTLS (nothing is sent), with [`Error::Rejected`] when it refuses
    /// the command (the plaintext session is still usable). A failed
    /// handshake closes the connection: [`Error::TlsHandshake`], and the
    /// session is unusable, so no plaintext fallback can happen on it.
    pub async fn starttls(
        &mut self,
        config: Arc<rustls::ClientConfig>,
        server_name: ServerName<'static>,
    ) -> Result<TlsInfo, Error> {
        self.usable(Stage::StartTls)?;
        let Some(name) = self.ehlo_name.clone() else {
            return Err(Error::BadSequence {
                stage: Stage::StartTls,
            });
        };
        if self.tls {
            return Err(Error::BadSequence {
                stage: Stage::StartTls,
            });
        }
        if !self.caps.starttls {
            return Err(Error::NotOffered {
                stage: Stage::StartTls,
                extension: Extension::StartTls,
            });
        }
        let limit = self.options.timeouts.command;
        let reply = self.command(Stage::StartTls, "STARTTLS", limit).await?;
        if reply.code != 220 {
            return Err(self.poison(refusal(Stage::StartTls, reply)));
        }
        if self.wire.has_buffered() {
            return Err(self.poison(Error::DataBeforeHandshake));
        }
        let info = self.handshake(config, server_name).await?;
        // RFC 3207 §4.2: forget what was learnt before TLS.
        self.caps = Capabilities::default();
        self.enhanced = false;
        self.record.capabilities = None;
        self.hello(&name).await?;
        Ok(info)
    }

    async fn handshake(
        &mut self,
        config: Arc<rustls::ClientConfig>,
        server_name: ServerName<'static>,
    ) -> Result<TlsInfo, Error> {
        let Some(tcp) = self.wire.take_plain() else {
            return Err(Error::BadSequence {
                stage: Stage::StartTls,
            });
        };
        let sni = server_name.to_str().into_owned();
        let connector = tokio_rustls::TlsConnector::from(config);
        let limit = self.options.timeouts.tls_handshake;
        let deadline = self.options.deadline;
        let handshake = connector.connect(server_name, tcp);
        let tls = match within(Stage::StartTls, limit, deadline, handshake).await {
            Err(e) => Err(e),
            Ok(Err(source)) => Err(Error::TlsHandshake { source }),
            Ok(Ok(tls)) => Ok(tls),
        };
        let tls = tls.map_err(|e| self.poison(e))?;
        let connection = tls.get_ref().1;
        let info = TlsInfo {
            version: connection
                .protocol_version()
                .map(crate::record::version_name)
                .unwrap_or_default(),
            cipher: connection
                .negotiated_cipher_suite()
                .map(|s| crate::record::cipher_name(s.suite()))
                .unwrap_or_default(),
            server_name: sni,
        };
        tracing::debug!(remote = %self.record.remote, version = %info.version, cipher = %info.cipher, "smtp tls established");
        self.wire.stream = Stream::ClientTls(Box::new(tls));
        self.tls = true;
        self.record.starttls = true;
        self.record.tls = Some(info.clone());
        Ok(info)
    }

    /// Sends RSET (RFC 5321 §4.1.1.5), ending any open transaction.
    pub async fn rset(&mut self) -> Result<Reply, Error> {
        self.usable(Stage::Rset)?;
        let limit = self.options.timeouts.command;
        let reply = self.command(Stage::Rset, "RSET", limit).await?;
        if !reply.is_positive() {
            return Err(self.poison(refusal(Stage::Rset, reply)));
        }
        self.needs_rset = false;
        Ok(reply)
    }

    /// Sends NOOP (RFC 5321 §4.1.1.9), e.g. to check a cached connection.
    pub async fn noop(&mut self) -> Result<Reply, Error> {
        self.usable(Stage::Noop)?;
        let limit = self.options.timeouts.command;
        let reply = self.command(Stage::Noop, "NOOP", limit).await?;
        if !reply.is_positive() {
            return Err(self.poison(refusal(Stage::Noop, reply)));
        }
        Ok(reply)
    }

    /// Sends QUIT (RFC 5321 §4.1.1.10), reads the reply and closes the
    /// connection. The session is unusable afterwards.
    pub async fn quit(&mut self) -> Result<Reply, Error> {
        self.usable(Stage::Quit)?;
        let limit = self.options.timeouts.command;
        let reply = self.command(Stage::Quit, "QUIT", limit).await;
        self.failed = Some(Stage::Quit);
        let reply = reply?;
        // Best effort: the reply is in; a failed close (e.g. no TLS
        // close_notify answer) changes nothing for the session.
        let deadline = self.options.deadline;
        let _closed = within(Stage::Quit, limit, deadline, self.wire.stream.shutdown()).await;
        if !reply.is_positive() {
            return Err(refusal(Stage::Quit, reply));
        }
        Ok(reply)
    }

    /// What the server offers (from the latest EHLO).
    pub fn capabilities(&self) -> &Capabilities {
        &self.caps
    }

    /// The record of the session so far.
    pub fn record(&self) -> &SessionRecord {
        &self.record
    }

    /// The record of the session so far, leaving the session going with an
    /// empty command list: what one transaction on a reused connection
    /// adds to the trace. The greeting, capabilities and TLS parameters
    /// stay in both.
    pub fn take_transcript(&mut self) -> SessionRecord {
        let commands = std::mem::take(&mut self.record.commands);
        SessionRecord {
            commands,
            ..self.record.clone()
        }
    }

    /// Sets when the session must be over from now on: a reused connection
    /// gets the deadline of the attempt that reuses it.
    pub fn set_deadline(&mut self, deadline: Option<Instant>) {
        self.options.deadline = deadline;
    }

    /// Whether the last transaction left nothing open, so the next MAIL
    /// may follow without RSET.
    pub fn is_idle(&self) -> bool {
        self.failed.is_none() && !self.needs_rset
    }

    /// The record of the session, consuming it.
    pub fn into_record(self) -> SessionRecord {
        self.record
    }

    /// The negotiated TLS parameters, after STARTTLS.
    pub fn tls(&self) -> Option<&TlsInfo> {
        self.record.tls.as_ref()
    }

    /// The certificate chain the server presented, after STARTTLS.
    pub fn peer_certificates(&self) -> Option<&[CertificateDer<'static>]> {
        match &self.wire.stream {
            Stream::ClientTls(tls) => tls.get_ref().1.peer_certificates(),
            _ => None,
        }
    }

    /// Whether the session can still be used.
    pub fn is_usable(&self) -> bool {
        self.failed.is_none()
    }

    pub(crate) fn usable(&self, stage: Stage) -> Result<(), Error> {
        match self.failed {
            Some(failed) => Err(Error::Unusable { stage, failed }),
            None => Ok(()),
        }
    }

    pub(crate) fn ehlo_done(&self) -> bool {
        self.ehlo_name.is_some()
    }

    pub(crate) fn under_tls(&self) -> bool {
        self.tls
    }

    /// Marks the session unusable when `err` leaves it in an unknown state.
    pub(crate) fn poison(&mut self, err: Error) -> Error {
        if is_fatal(&err) && self.failed.is_none() {
            tracing::debug!(remote = %self.record.remote, error = %err, "smtp session unusable");
            self.failed = Some(err.stage());
        }
        err
    }

    pub(crate) fn note(&mut self, stage: Stage, command: &str, reply: Option<&Reply>) {
        tracing::trace!(remote = %self.record.remote, %stage, command, reply = ?reply.map(ToString::to_string));
        self.record.commands.push(CommandRecord {
            stage,
            command: command.to_owned(),
            reply: reply.cloned(),
        });
    }

    /// Writes `bytes` within `limit`.
    pub(crate) async fn write(
        &mut self,
        stage: Stage,
        bytes: &[u8],
        limit: Duration,
    ) -> Result<(), Error> {
        let deadline = self.options.deadline;
        let result = match within(stage, limit, deadline, self.wire.write_all(bytes)).await {
            Err(e) => Err(e),
            Ok(Err(source)) => Err(Error::Io { stage, source }),
            Ok(Ok(())) => Ok(()),
        };
        result.map_err(|e| self.poison(e))
    }

    /// Sends one command line and reads its reply; records both.
    pub(crate) async fn command(
        &mut self,
        stage: Stage,
        line: &str,
        limit: Duration,
    ) -> Result<Reply, Error> {
        let result = self
            .write(stage, format!("{line}\r\n").as_bytes(), limit)
            .await;
        if let Err(err) = result {
            self.note(stage, line, None);
            return Err(err);
        }
        self.answer(stage, line, limit).await
    }

    /// Reads the reply to a command already sent, and records both.
    pub(crate) async fn answer(
        &mut self,
        stage: Stage,
        line: &str,
        limit: Duration,
    ) -> Result<Reply, Error> {
        let reply = self.read_reply(stage, limit).await;
        self.note(stage, line, reply.as_ref().ok());
        reply
    }

    /// Reads one (possibly multi-line) reply within `limit`.
    pub(crate) async fn read_reply(
        &mut self,
        stage: Stage,
        limit: Duration,
    ) -> Result<Reply, Error> {
        let max_line = self.options.max_reply_line;
        let enhanced = self.enhanced;
        let deadline = self.options.deadline;
        let wire = &mut self.wire;
        let read = async move {
            let mut parser = ReplyParser::new(enhanced);
            loop {
                let line = wire
                    .read_line(max_line)
                    .await
                    .map_err(|source| Error::Io { stage, source })?;
                let line = match line {
                    Line::Complete(line) => line,
                    Line::TooLong => {
                        let kind = MalformedReply::LineTooLong { limit: max_line };
                        return Err(Error::Malformed { stage, kind });
                    }
                    Line::Eof => return Err(Error::Closed { stage }),
                };
                let parsed = parser
                    .push_line(&line)
                    .map_err(|kind| Error::Malformed { stage, kind })?;
                if let Some(reply) = parsed {
                    return Ok(reply);
                }
            }
        };
        let result = within(stage, limit, deadline, read).await.and_then(|r| r);
        result.map_err(|e| self.poison(e))
    }
}
