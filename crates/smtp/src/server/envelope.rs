//! EHLO/HELO, MAIL and RCPT on the server side.

use tokio::io::{AsyncRead, AsyncWrite};

use super::{Next, Session, continue_unless_dropped};
use crate::error::{Error, Stage};
use crate::handler::Handler;
use crate::params;
use crate::replies;
use crate::reply::Reply;

impl<S, H> Session<'_, S, H>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
    H: Handler,
{
    /// RFC 5321 §4.1.4: EHLO or HELO resets the transaction.
    pub(super) async fn hello(&mut self, name: String, extended: bool) -> Result<Next, Error> {
        self.reset();
        let mut standard = replies::HELLO.reply_after(&self.config.hostname);
        if extended {
            standard.lines.extend(self.advertised().ehlo_lines());
        }
        let decision = self.handler.hello(&name, extended).await;
        let next = self.decide(Stage::Ehlo, decision, standard).await?;
        if next.as_ref().is_some_and(Reply::is_positive) {
            self.facts.helo = Some(name);
            self.facts.extended = extended;
        }
        Ok(continue_unless_dropped(next))
    }

    pub(super) async fn mail_from(
        &mut self,
        from: String,
        params: Vec<String>,
    ) -> Result<Next, Error> {
        if self.facts.helo.is_none() || self.mail.is_some() {
            return self.reply(Stage::Mail, replies::BAD_SEQUENCE).await;
        }
        let caps = self.advertised();
        let mail = match params::mail_from(from, params, &caps, self.config.limits.message_size) {
            Ok(mail) => mail,
            Err(canned) => return self.reply(Stage::Mail, canned).await,
        };
        let decision = self.handler.mail(&mail, &self.facts).await;
        let next = self
            .decide(Stage::Mail, decision, replies::SENDER_OK.reply())
            .await?;
        if next.as_ref().is_some_and(Reply::is_positive) {
            self.mail = Some(mail);
        }
        Ok(continue_unless_dropped(next))
    }

    pub(super) async fn rcpt_to(&mut self, to: String, params: Vec<String>) -> Result<Next, Error> {
        let Some(mail) = self.mail.take() else {
            return self.reply(Stage::Rcpt, replies::BAD_SEQUENCE).await;
        };
        let result = self.rcpt_in_transaction(&mail, to, params).await;
        self.mail = Some(mail);
        result
    }

    async fn rcpt_in_transaction(
        &mut self,
        mail: &params::MailFrom,
        to: String,
        params: Vec<String>,
    ) -> Result<Next, Error> {
        if self.chunks.is_some() {
            return self.reply(Stage::Rcpt, replies::BAD_SEQUENCE).await;
        }
        let caps = self.advertised();
        let rcpt = match params::rcpt_to(to, params, &caps, mail.options.smtputf8) {
            Ok(rcpt) => rcpt,
            Err(canned) => return self.reply(Stage::Rcpt, canned).await,
        };
        // RFC 5321 §4.5.3.1.10: "452 Too many recipients"; the client
        // sends the rest in another transaction.
        if self.rcpts.len() >= self.config.limits.recipients {
            return self.reply(Stage::Rcpt, replies::TOO_MANY_RECIPIENTS).await;
        }
        let decision = self.handler.rcpt(&rcpt, mail, &self.facts).await;
        let next = self
            .decide(Stage::Rcpt, decision, replies::RECIPIENT_OK.reply())
            .await?;
        if next.as_ref().is_some_and(Reply::is_positive) {
            self.rcpts.push(rcpt.recipient);
        }
        Ok(continue_unless_dropped(next))
    }
}
