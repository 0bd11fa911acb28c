//! SMTP in: the daemon's answer at each step of a server session — relay
//! rules, authentication against the configured users, and the message
//! stored durably (with its `Received:` header) before the 250.

use std::net::SocketAddr;
use std::sync::Arc;

use queue::{BodyType, Envelope, MessageMeta, NewMessage, QueueId, TlsSummary, domain_of};
use smtp::replies;
use smtp::{
    AuthVerdict, Body, Credentials, Decision, Handler, MailFrom, RcptTo, ReceivedMessage,
    SessionFacts,
};
use tracing::{info, warn};

use crate::config::Role;
use crate::shared::Shared;

/// One SMTP session's handler.
pub struct Inbound {
    shared: Arc<Shared>,
    role: Role,
}

impl Inbound {
    /// A handler for a session on a listener with `role`.
    pub fn new(shared: Arc<Shared>, role: Role) -> Inbound {
        Inbound { shared, role }
    }

    /// Whether the client may send to any domain.
    fn may_relay(&self, session: &SessionFacts) -> bool {
        session.user.is_some() || self.shared.config.may_relay(session.client.ip())
    }
}

impl Handler for Inbound {
    async fn authenticate(
        &mut self,
        credentials: &Credentials,
        _session: &SessionFacts,
    ) -> AuthVerdict {
        let Some(user) = self
            .shared
            .config
            .users
            .iter()
            .find(|u| u.name == credentials.username)
        else {
            return AuthVerdict::Refused;
        };
        let hash = user.password_hash.clone();
        let password = credentials.password().to_owned();
        // Argon2 is slow on purpose; keep it off the reactor.
        let verified =
            tokio::task::spawn_blocking(move || crate::users::verify(&hash, &password)).await;
        match verified {
            Ok(true) => AuthVerdict::Accepted,
            Ok(false) => AuthVerdict::Refused,
            Err(_) => AuthVerdict::Temporary,
        }
    }

    async fn mail(&mut self, _mail: &MailFrom, session: &SessionFacts) -> Decision {
        if self.role != Role::Mx && !self.may_relay(session) {
            return Decision::Reply(replies::AUTH_REQUIRED.reply());
        }
        Decision::Accept
    }

    async fn rcpt(&mut self, rcpt: &RcptTo, _mail: &MailFrom, session: &SessionFacts) -> Decision {
        let domain = domain_of(&rcpt.recipient.address);
        if self.shared.config.accepts(&domain)
            || crate::tls_report_inbox::is_report_address(&self.shared, &rcpt.recipient.address)
            || self.may_relay(session)
        {
            Decision::Accept
        } else {
            info!(client = %session.client, to = %rcpt.recipient.address, "relay denied");
            Decision::Reply(replies::RELAY_DENIED.reply())
        }
    }

    async fn message(&mut self, mut message: ReceivedMessage) -> Decision {
        let (auth_header, data) = if self.role == Role::Mx {
            match crate::arrival::check(&self.shared, &message).await {
                crate::arrival::Arrival::Accept { header, data } => (header, data),
                crate::arrival::Arrival::Refuse(reply) => {
                    info!(client = %message.session.client, from = %message.envelope.sender, "refused by DMARC policy");
                    return Decision::Reply(reply);
                }
            }
        } else {
            (String::new(), message.data.clone())
        };
        let recipients = &mut message.envelope.recipients;
        if let Some(reply) = crate::tls_report_inbox::take(&self.shared, recipients, &data).await {
            return Decision::Reply(reply);
        }
        let now = self.shared.now();
        let id = QueueId::generate(now);
        let id_text = id.to_string();
        let single = match message.envelope.recipients.as_slice() {
            [only] => Some(only.address.as_str()),
            _ => None,
        };
        let stamp = smtp::Stamp {
            by: &self.shared.config.hostname,
            id: Some(&id_text),
            recipient: single,
            at: now,
        };
        let received = smtp::received_header(&message.session, &stamp);
        let mut body = Vec::with_capacity(received.len() + auth_header.len() + data.len());
        body.extend_from_slice(received.as_bytes());
        body.extend_from_slice(auth_header.as_bytes());
        body.extend_from_slice(&data);

        let mut envelope = Envelope::new(message.envelope.sender.clone());
        envelope.ret = message.envelope.options.dsn_return;
        envelope.envid = message.envelope.options.envelope_id.clone();
        envelope.smtputf8 = message.envelope.options.smtputf8;
        envelope.require_tls = message.envelope.options.requiretls;
        envelope.body = match message.body {
            Body::EightBitMime => BodyType::EightBitMime,
            Body::SevenBit => BodyType::SevenBit,
        };
        let mut meta = MessageMeta::new(now);
        meta.client = Some(message.session.client);
        meta.ehlo = message.session.helo.clone();
        meta.tls = message.session.tls.as_ref().map(|t| TlsSummary {
            version: t.version.clone(),
            cipher: t.cipher.clone(),
        });
        meta.authenticated = message.session.user.clone();
        meta.size = body.len() as u64;
        meta.message_id = message_id(&data);
        let recipients = message.envelope.recipients.len();
        let new = NewMessage {
            id,
            envelope,
            recipients: message.envelope.recipients,
            meta,
            body,
        };
        match self.shared.store.insert(new).await {
            Ok(()) => {
                self.shared.wake.notify_one();
                info!(queue_id = %id, client = %message.session.client, from = %message.envelope.sender,
                    recipients, "queued");
                Decision::Reply(replies::QUEUED.reply_with(&id_text))
            }
            Err(e) => {
                warn!(client = %message.session.client, error = %e, "message not stored; the client was told to retry");
                Decision::Reply(replies::NOT_STORED.reply())
            }
        }
    }
}

/// The `Message-ID:` of a message, without angle brackets.
fn message_id(data: &[u8]) -> Option<String> {
    let parsed = mail_parser::MessageParser::default().parse_headers(data)?;
    parsed.message_id().map(str::to_owned)
}

/// The address a listener is bound to, for logs.
pub fn describe(role: Role, address: SocketAddr) -> String {
    let name = match role {
        Role::Mx => "mx",
        Role::Submission => "submission",
        Role::Submissions => "submissions",
    };
    format!("{name} on {address}")
}
