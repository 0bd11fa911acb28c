//! STARTTLS on the server side (RFC 3207).

use tokio::io::{AsyncRead, AsyncWrite};

use super::{Next, Session, SessionEnd};
use crate::error::{Error, Stage};
use crate::handler::Handler;
use crate::record::TlsInfo;
use crate::replies;
use crate::wire::Stream;

impl<S, H> Session<'_, S, H>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
    H: Handler,
{
    pub(super) async fn starttls(&mut self) -> Result<Next, Error> {
        if !self.advertised().starttls {
            let canned = if self.facts.tls.is_some() {
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
        let decision = self.handler.starttls().await;
        let Some(reply) = self.decide(Stage::StartTls, decision, standard).await? else {
            return Ok(Next::End(SessionEnd::Dropped));
        };
        if reply.code != 220 {
            return Ok(Next::Continue);
        }
        self.flush(Stage::StartTls).await?;
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
        let limit = self.config.limits.idle;
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
        let info = info(tls.get_ref().1);
        self.wire.stream = Stream::ServerTls(Box::new(tls));
        self.handler.tls_established(&info);
        self.facts.tls = Some(info);
        // RFC 3207 §4.2: the client must start over with EHLO; nothing
        // learnt before the handshake is kept.
        self.facts.helo = None;
        self.facts.extended = false;
        self.facts.user = None;
        self.reset();
        Ok(Next::Continue)
    }
}

/// The parameters of a completed server handshake.
pub(super) fn info(connection: &rustls::ServerConnection) -> TlsInfo {
    TlsInfo {
        version: connection
            .protocol_version()
            .map(crate::record::version_name)
            .unwrap_or_default(),
        cipher: connection
            .negotiated_cipher_suite()
            .map(|s| crate::record::cipher_name(s.suite()))
            .unwrap_or_default(),
        server_name: connection.server_name().unwrap_or_default().to_owned(),
    }
}
