//! Mail transactions on a client session: MAIL, RCPT, DATA (RFC 5321
//! §3.3), pipelined when the server offers PIPELINING (RFC 2920).

use std::time::Duration;

use crate::client::{Client, refusal};
use crate::data;
use crate::envelope::{
    Envelope, RecipientResult, RecipientStatus, TransactionResult, mail_command, rcpt_command,
};
use crate::error::{Argument, Error, Stage};
use crate::reply::Reply;

/// Message data is written in pieces of this size, each within the data
/// block timeout (RFC 5321 §4.5.3.2.5).
const DATA_BLOCK: usize = 64 * 1024;

/// The replies to the envelope commands of one transaction.
struct EnvelopeReplies {
    mail: Reply,
    rcpts: Vec<Reply>,
    /// The reply to DATA; `None` when DATA was not sent.
    data: Option<Reply>,
}

impl Client {
    /// Sends one message: MAIL, one RCPT per recipient, DATA and the
    /// dot-stuffed message (see [`data::encode`]).
    ///
    /// With PIPELINING, MAIL, all RCPTs and DATA go in one write and the
    /// replies are read in order (RFC 2920 §3.1: DATA is the last command of
    /// the group); otherwise each command waits for its reply, and DATA is
    /// not sent when no recipient was accepted. If the previous transaction
    /// did not end with the reply to the final dot, RSET is sent first.
    ///
    /// Returns per-recipient results when the server accepted MAIL; a refused
    /// MAIL is [`Error::Rejected`] at [`Stage::Mail`]. A 421 at any point, or
    /// any network trouble, is an error and leaves the session unusable.
    pub async fn send(
        &mut self,
        envelope: &Envelope,
        message: &[u8],
    ) -> Result<TransactionResult, Error> {
        self.usable(Stage::Mail)?;
        if !self.ehlo_done() {
            return Err(Error::BadSequence { stage: Stage::Mail });
        }
        if envelope.recipients.is_empty() {
            return Err(Error::InvalidArgument {
                stage: Stage::Mail,
                argument: Argument::NoRecipients,
            });
        }
        let wire_data = data::encode(message);
        let size = (wire_data.len() - data::END_OF_DATA.len()) as u64;
        let eight_bit = data::is_eight_bit(message);
        let mail = mail_command(envelope, &self.caps, self.under_tls(), size, eight_bit)?;
        let rcpts = envelope
            .recipients
            .iter()
            .map(|r| rcpt_command(r, &self.caps, envelope.options.smtputf8))
            .collect::<Result<Vec<_>, _>>()?;
        if self.needs_rset {
            self.rset().await?;
        }
        // Until the final dot's reply is in, the next transaction needs RSET.
        self.needs_rset = true;
        let pipelined = self.caps.pipelining;
        let replies = if pipelined {
            self.envelope_pipelined(&mail, &rcpts).await?
        } else {
            self.envelope_lockstep(&mail, &rcpts).await?
        };
        let any_accepted =
            replies.mail.is_positive() && replies.rcpts.iter().any(Reply::is_positive);
        // `decider` is the reply that settles every accepted recipient: the
        // reply to the final dot, or DATA's refusal.
        let (decider, final_reply) = match replies.data {
            None => (None, None),
            Some(reply) if reply.code == 354 && any_accepted => {
                let end = self.transfer(&wire_data).await?;
                self.needs_rset = false;
                if end.code == 421 {
                    self.poison(refusal(Stage::DataEnd, end.clone()));
                }
                (Some((end.clone(), Stage::DataEnd)), Some(end))
            }
            Some(reply) if reply.code == 354 => {
                // RFC 2920 §3.1: a server that accepts DATA without any
                // recipient gets an empty message, which it must refuse.
                self.transfer(data::END_OF_DATA).await?;
                (None, None)
            }
            Some(reply) if reply.is_positive() || reply.code / 100 == 3 => {
                return Err(self.poison(refusal(Stage::Data, reply)));
            }
            Some(reply) => (Some((reply, Stage::Data)), None),
        };
        if !replies.mail.is_positive() {
            return Err(refusal(Stage::Mail, replies.mail));
        }
        let recipients = envelope
            .recipients
            .iter()
            .zip(replies.rcpts)
            .map(|(recipient, rcpt)| match (&decider, rcpt.is_positive()) {
                (Some((decider, stage)), true) => RecipientResult {
                    address: recipient.address.clone(),
                    status: RecipientStatus::from_reply(decider),
                    reply: decider.clone(),
                    stage: *stage,
                },
                _ => RecipientResult {
                    address: recipient.address.clone(),
                    status: RecipientStatus::from_rcpt_reply(&rcpt),
                    reply: rcpt,
                    stage: Stage::Rcpt,
                },
            })
            .collect();
        Ok(TransactionResult {
            mail: replies.mail,
            recipients,
            data: final_reply,
            pipelined,
        })
    }

    /// MAIL, each RCPT and DATA in one write; replies read in order.
    async fn envelope_pipelined(
        &mut self,
        mail: &str,
        rcpts: &[String],
    ) -> Result<EnvelopeReplies, Error> {
        let timeouts = self.options.timeouts;
        let mut batch = format!("{mail}\r\n");
        for rcpt in rcpts {
            batch.push_str(rcpt);
            batch.push_str("\r\n");
        }
        batch.push_str("DATA\r\n");
        if let Err(err) = self
            .write(Stage::Mail, batch.as_bytes(), timeouts.mail)
            .await
        {
            self.note(Stage::Mail, mail, None);
            return Err(err);
        }
        let mail = self.answer(Stage::Mail, mail, timeouts.mail).await?;
        self.closing(Stage::Mail, &mail)?;
        let mut replies = Vec::with_capacity(rcpts.len());
        for rcpt in rcpts {
            let reply = self.answer(Stage::Rcpt, rcpt, timeouts.rcpt).await?;
            self.closing(Stage::Rcpt, &reply)?;
            replies.push(reply);
        }
        let data = self.answer(Stage::Data, "DATA", timeouts.data_init).await?;
        self.closing(Stage::Data, &data)?;
        Ok(EnvelopeReplies {
            mail,
            rcpts: replies,
            data: Some(data),
        })
    }

    /// MAIL, each RCPT and DATA, each waiting for its reply; stops after a
    /// refused MAIL, and before DATA when no recipient was accepted.
    async fn envelope_lockstep(
        &mut self,
        mail: &str,
        rcpts: &[String],
    ) -> Result<EnvelopeReplies, Error> {
        let timeouts = self.options.timeouts;
        let mail = self.command(Stage::Mail, mail, timeouts.mail).await?;
        self.closing(Stage::Mail, &mail)?;
        let mut replies = Vec::with_capacity(rcpts.len());
        if !mail.is_positive() {
            return Ok(EnvelopeReplies {
                mail,
                rcpts: replies,
                data: None,
            });
        }
        for rcpt in rcpts {
            let reply = self.command(Stage::Rcpt, rcpt, timeouts.rcpt).await?;
            self.closing(Stage::Rcpt, &reply)?;
            replies.push(reply);
        }
        if !replies.iter().any(Reply::is_positive) {
            return Ok(EnvelopeReplies {
                mail,
                rcpts: replies,
                data: None,
            });
        }
        let data = self
            .command(Stage::Data, "DATA", timeouts.data_init)
            .await?;
        self.closing(Stage::Data, &data)?;
        Ok(EnvelopeReplies {
            mail,
            rcpts: replies,
            data: Some(data),
        })
    }

    /// A 421 means the server is closing the channel (RFC 5321 §3.8).
    fn closing(&mut self, stage: Stage, reply: &Reply) -> Result<(), Error> {
        if reply.code == 421 {
            return Err(self.poison(refusal(stage, reply.clone())));
        }
        Ok(())
    }

    /// Writes encoded message data (ending in `"." CRLF`) and reads the reply
    /// to the final dot.
    async fn transfer(&mut self, wire_data: &[u8]) -> Result<Reply, Error> {
        let timeouts = self.options.timeouts;
        let octets = wire_data.len() - data::END_OF_DATA.len();
        let label = format!("<{octets} octets> .");
        let min_rate = self.options.min_data_rate;
        let blocks = async {
            for block in wire_data.chunks(DATA_BLOCK) {
                self.no_early_reply().await?;
                self.write(Stage::DataBlock, block, timeouts.data_block)
                    .await?;
            }
            Ok(())
        };
        let sent = match min_rate {
            Some(rate) => {
                let allowed = timeouts.data_block
                    + Duration::from_secs_f64(wire_data.len() as f64 / f64::from(rate.get()));
                tokio::time::timeout(allowed, blocks)
                    .await
                    .unwrap_or(Err(Error::TooSlow {
                        octets: wire_data.len() as u64,
                        rate,
                    }))
            }
            None => blocks.await,
        };
        if let Err(err) = sent {
            let early = match &err {
                Error::EarlyReply { reply } => reply.as_ref(),
                _ => None,
            };
            self.note(Stage::DataBlock, &label, early);
            return Err(self.poison(err));
        }
        self.answer(Stage::DataEnd, &label, timeouts.data_termination)
            .await
    }

    /// Fails the transaction when the server has sent anything since its
    /// 354 (checked before each block, the last one ending with the final
    /// dot): a reply before the end of data is a protocol error, and a
    /// `250` in it must not count as a delivery (RFC 5321 §4.1.1.4). The
    /// caller notes the error and marks the session unusable.
    async fn no_early_reply(&mut self) -> Result<(), Error> {
        match self.wire.input_waiting().await {
            Ok(false) => return Ok(()),
            Ok(true) => {}
            Err(source) => {
                let stage = Stage::DataBlock;
                return Err(Error::Io { stage, source });
            }
        }
        // What arrived, when it is a whole reply already; never waited for.
        let reply = self.read_reply(Stage::DataBlock, Duration::ZERO).await.ok();
        Err(Error::EarlyReply { reply })
    }
}
