//! Message data on the server side: DATA with dot-unstuffing (RFC 5321
//! §4.1.1.4, §4.5.2) and BDAT chunks (RFC 3030). Nothing reaches the
//! handler until the message is complete and within the limits.

use tokio::io::{AsyncRead, AsyncWrite};

use super::{Next, Session, SessionEnd, continue_unless_dropped};
use crate::data::{self, DataLine};
use crate::envelope::Envelope;
use crate::error::{Error, Stage};
use crate::handler::{Handler, ReceivedMessage};
use crate::replies::{self, Canned};
use crate::wire::{ChunkError, Line};

/// Whether a received data line breaks RFC 5321 §2.3.8: it must end in
/// CRLF and hold no other CR or LF. A bare LF is how "SMTP smuggling" hides
/// an end-of-data marker from one server and shows it to the next.
fn has_bare_line_end(line: &[u8]) -> bool {
    match line.strip_suffix(b"\r\n") {
        Some(text) => text.contains(&b'\r'),
        None => true,
    }
}

impl<S, H> Session<'_, S, H>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
    H: Handler,
{
    pub(super) async fn data(&mut self) -> Result<Next, Error> {
        // RFC 3030 §3: DATA in a transaction begun with BDAT gets 503.
        if self.mail.is_none() || self.chunks.is_some() {
            return self.reply(Stage::Data, replies::BAD_SEQUENCE).await;
        }
        if self.rcpts.is_empty() {
            return self.reply(Stage::Data, replies::NO_VALID_RECIPIENTS).await;
        }
        let decision = self.handler.data().await;
        let Some(reply) = self
            .decide(Stage::Data, decision, replies::START_DATA.reply())
            .await?
        else {
            return Ok(Next::End(SessionEnd::Dropped));
        };
        if reply.code != 354 {
            self.reset();
            return Ok(Next::Continue);
        }
        let limits = &self.config.limits;
        let (max_size, max_line) = (limits.message_size, limits.data_line);
        let mut message = Vec::new();
        let mut refusal: Option<Canned> = None;
        let refuse = |canned: Canned, refusal: &mut Option<Canned>| {
            // The first problem found is the one reported, bare line ends
            // first of all.
            if refusal.is_none() || canned == replies::BARE_LINE_END {
                *refusal = Some(canned);
            }
        };
        loop {
            match self.read_line(Stage::DataBlock, max_line).await? {
                // A connection lost mid-message hands nothing to the handler.
                Line::Eof => {
                    self.reset();
                    return Err(Error::Closed {
                        stage: Stage::DataBlock,
                    });
                }
                Line::TooLong => refuse(replies::DATA_LINE_TOO_LONG, &mut refusal),
                Line::Complete(line) => {
                    if has_bare_line_end(&line) {
                        refuse(replies::BARE_LINE_END, &mut refusal);
                        continue;
                    }
                    match data::decode_line(&line) {
                        DataLine::End => break,
                        DataLine::Text(text) => {
                            if message.len() + text.len() > max_size {
                                refuse(replies::MESSAGE_TOO_BIG, &mut refusal);
                            } else if refusal.is_none() {
                                message.extend_from_slice(text);
                            }
                        }
                    }
                }
            }
        }
        if let Some(canned) = refusal {
            self.reset();
            return self.reply(Stage::DataEnd, canned).await;
        }
        self.deliver(message).await
    }

    /// `BDAT size [LAST]`: the chunk is read whatever the reply, so the
    /// octets are never taken as commands (RFC 3030 §2).
    pub(super) async fn bdat(&mut self, size: u64, last: bool) -> Result<Next, Error> {
        if !self.advertised().chunking {
            self.discard_chunk(size).await?;
            return self.reply(Stage::Data, replies::NOT_IMPLEMENTED).await;
        }
        // RFC 3030 §2: after a failed chunk the transaction is over, and
        // further pipelined BDATs get 503.
        if self.mail.is_none() {
            self.discard_chunk(size).await?;
            return self.reply(Stage::Data, replies::BAD_SEQUENCE).await;
        }
        if self.rcpts.is_empty() {
            self.discard_chunk(size).await?;
            self.reset();
            return self.reply(Stage::Data, replies::NO_VALID_RECIPIENTS).await;
        }
        if self.chunks.is_none() {
            let decision = self.handler.data().await;
            let start = replies::START_DATA.reply();
            let Some(reply) = self.resolve(Stage::Data, decision, start).await? else {
                return Ok(Next::End(SessionEnd::Dropped));
            };
            if reply.code != 354 && !reply.is_positive() {
                self.discard_chunk(size).await?;
                self.reset();
                self.send(Stage::Data, &reply).await?;
                if reply.code == 421 {
                    return Ok(Next::End(SessionEnd::Dropped));
                }
                return Ok(Next::Continue);
            }
            self.chunks = Some(Vec::new());
        }
        let mut chunks = self.chunks.take().unwrap_or_default();
        let room = (self.config.limits.message_size as u64).saturating_sub(chunks.len() as u64);
        if size > room {
            self.discard_chunk(size).await?;
            self.reset();
            return self.reply(Stage::DataEnd, replies::MESSAGE_TOO_BIG).await;
        }
        if !self.read_chunk(size, Some(&mut chunks)).await? {
            self.reset();
            return Err(Error::Closed {
                stage: Stage::DataBlock,
            });
        }
        if last {
            return self.deliver(chunks).await;
        }
        self.chunks = Some(chunks);
        let reply = replies::CHUNK_RECEIVED.reply_after(&size.to_string());
        self.send(Stage::DataBlock, &reply).await?;
        Ok(Next::Continue)
    }

    /// Reads and drops a chunk that will not be used.
    pub(super) async fn discard_chunk(&mut self, size: u64) -> Result<(), Error> {
        if self.read_chunk(size, None).await? {
            Ok(())
        } else {
            self.reset();
            Err(Error::Closed {
                stage: Stage::DataBlock,
            })
        }
    }

    /// Reads a chunk within the idle limit; `false` when the client closed.
    async fn read_chunk(&mut self, size: u64, keep: Option<&mut Vec<u8>>) -> Result<bool, Error> {
        self.flush_before_waiting(Stage::DataBlock).await?;
        // The idle limit is per read, as for lines: a large chunk may take
        // longer as long as octets keep arriving.
        let limit = self.config.limits.idle;
        match self.wire.read_chunk(size, keep, limit).await {
            Err(ChunkError::Idle) => Err(self.timed_out(Stage::DataBlock).await),
            Err(ChunkError::Io(source)) => Err(Error::Io {
                stage: Stage::DataBlock,
                source,
            }),
            Ok(complete) => Ok(complete),
        }
    }

    /// Hands the complete message to the handler and sends its reply; the
    /// transaction is over either way.
    async fn deliver(&mut self, data: Vec<u8>) -> Result<Next, Error> {
        let mail = self.mail.take();
        let recipients = std::mem::take(&mut self.rcpts);
        self.reset();
        let Some(mail) = mail else {
            return self.reply(Stage::DataEnd, replies::BAD_SEQUENCE).await;
        };
        let message = ReceivedMessage {
            envelope: Envelope {
                sender: mail.sender,
                recipients,
                options: mail.options,
            },
            mail_params: mail.params,
            body: mail.body,
            data,
            session: self.facts.clone(),
        };
        let decision = self.handler.message(message).await;
        let next = self
            .decide(Stage::DataEnd, decision, replies::MESSAGE_ACCEPTED.reply())
            .await?;
        Ok(continue_unless_dropped(next))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_line_ends() {
        assert!(!has_bare_line_end(b"text\r\n"));
        assert!(!has_bare_line_end(b"\r\n"));
        assert!(has_bare_line_end(b".\n"));
        assert!(has_bare_line_end(b"a\rb\r\n"));
        assert!(has_bare_line_end(b"a\r\r\n"));
    }
}
