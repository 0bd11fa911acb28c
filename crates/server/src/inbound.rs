//! SMTP in: the daemon's answer at each step of a server session — relay
//! rules, authentication against the configured users, and the message
//! stored durably (with its `Received:` header) before the 250.

use std::net::SocketAddr;
use std::sync::Arc;

use queue::{
    BodyType, Envelope, EventKind, MessageMeta, NewMessage, QueueId, TlsSummary, TroubleRecord,
    domain_of,
};
use smtp::replies;
use smtp::{
    AuthVerdict, Body, Credentials, Decision, Handler, MailFrom, RcptTo, ReceivedMessage,
    SessionFacts,
};
use tracing::{info, warn};

use crate::config::Role;
use crate::shared::Shared;
use crate::{forward, limits, pool};

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
            .smtp_users()
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

    async fn rcpt(&mut self, rcpt: &RcptTo, mail: &MailFrom, session: &SessionFacts) -> Decision {
        let now = self.shared.now();
        match forward::reverse_srs(&self.shared.config, &rcpt.recipient.address, now) {
            Some(Ok(_)) => return Decision::Accept,
            Some(Err(e)) => {
                info!(client = %session.client, to = %rcpt.recipient.address, error = %e, "SRS address refused");
                return Decision::Reply(replies::SRS_REFUSED.reply_with(&e.to_string()));
            }
            None => {}
        }
        let domain = domain_of(&rcpt.recipient.address);
        if self.shared.config.accepts(&domain)
            || crate::tls_report_inbox::is_report_address(&self.shared, &rcpt.recipient.address)
            || crate::dmarc_report_inbox::is_report_address(&self.shared, &rcpt.recipient.address)
            || self.may_relay(session)
        {
            match limits::at_rcpt(&self.shared, session, &mail.sender).await {
                Some(reply) => Decision::Reply(reply),
                None => Decision::Accept,
            }
        } else {
            info!(client = %session.client, to = %rcpt.recipient.address, "relay denied");
            Decision::Reply(replies::RELAY_DENIED.reply())
        }
    }

    async fn message(&mut self, mut message: ReceivedMessage) -> Decision {
        let mx = self.role == Role::Mx;
        let (auth_header, data, spf_or_dkim, auth_record, quarantine, seal_facts) = if mx {
            match crate::arrival::check(&self.shared, &message).await {
                crate::arrival::Arrival::Accept {
                    header,
                    data,
                    record,
                    quarantine,
                    sender_validated,
                    seal_facts,
                } => (
                    header,
                    data,
                    sender_validated,
                    Some(record),
                    quarantine,
                    Some(seal_facts),
                ),
                crate::arrival::Arrival::Refuse(reply) => {
                    info!(client = %message.session.client, from = %message.envelope.sender, "refused by sender authentication policy");
                    return Decision::Reply(reply);
                }
            }
        } else {
            (String::new(), message.data.clone(), false, None, None, None)
        };
        let recipients = &mut message.envelope.recipients;
        if let Some(reply) = crate::tls_report_inbox::take(&self.shared, recipients, &data).await {
            return Decision::Reply(reply);
        }
        if let Some(reply) = crate::dmarc_report_inbox::take(&self.shared, recipients, &data).await
        {
            return Decision::Reply(reply);
        }
        let mut spam = false;
        let mut rejected = None;
        if let Some(settings) = &self.shared.config.spam {
            match crate::spam::check(settings, &message, &data).await {
                crate::spam::Verdict::Accept => {}
                crate::spam::Verdict::Spam => spam = true,
                crate::spam::Verdict::Refuse(reply) => return Decision::Reply(reply),
                crate::spam::Verdict::Reject {
                    reply,
                    action,
                    score,
                } => rejected = Some((reply, action, score)),
            }
        }
        let auth_header = if spam {
            format!("{}{auth_header}", crate::spam::SPAM_HEADER)
        } else {
            auth_header
        };
        let now = self.shared.now();
        let config = &self.shared.config;
        let split = match forward::split(config, &message.envelope.recipients, now) {
            Ok(split) => split,
            Err(e) => return Decision::Reply(replies::SRS_REFUSED.reply_with(&e.to_string())),
        };
        for f in &split.forwards {
            if let Some(cause) = forward::loop_in(&data, &f.alias) {
                info!(client = %message.session.client, alias = %f.alias, cause, "forwarding loop refused");
                return Decision::Reply(replies::FORWARD_LOOP.reply_with(&cause));
            }
        }
        let sender = message.envelope.sender.as_str();
        // DESIGN §3: a sender is validated when it is in one of our
        // domains, or SPF or its domain's DKIM passed on arrival.
        let validated = sender.is_empty() || config.accepts(&domain_of(sender)) || spf_or_dkim;
        let sender_domain = pool::sender_domain(&self.shared, sender).await;
        let facts = |origin| pool::Facts {
            sender,
            origin,
            spam,
            sender_domain,
        };
        let arrival = Arrival {
            message: &message,
            auth_header: &auth_header,
            data: &data,
            auth_record,
            quarantine,
            now,
        };
        let mut queued = Vec::new();
        // Which copies get our ARC set: only after arrival authentication
        // (the MX listener), whose results the set carries.
        let arc = config.arc.as_ref().filter(|_| seal_facts.is_some());
        let mut to_seal = Vec::new();
        if !split.addressed.is_empty() {
            let relayed = split
                .addressed
                .iter()
                .any(|r| !config.accepts(&domain_of(&r.address)));
            let origin = if relayed {
                pool::Origin::Relayed { validated }
            } else {
                pool::Origin::Received
            };
            let route = pool::route(&config.pools, &facts(origin));
            if relayed && arc.is_some_and(|a| a.relayed) {
                to_seal.push(queued.len());
            }
            queued.push(arrival.queued(config, sender, split.addressed, None, route));
        }
        if !split.returned.is_empty() {
            // A bounce to an SRS address whose hash verified: sent back as
            // it came.
            let route = pool::route(&config.pools, &facts(pool::Origin::Received));
            queued.push(arrival.queued(config, sender, split.returned, None, route));
        }
        for f in split.forwards {
            // The null sender has nothing to rewrite; an unvalidated one is
            // never vouched for with our domain.
            let (forwarded_sender, rewritten) = match &config.forwarding.srs {
                _ if sender.is_empty() => (String::new(), true),
                Some(settings) if validated => {
                    match settings.srs.forward(sender, &settings.domain, now) {
                        Ok(rewritten) => (rewritten, true),
                        Err(e) => {
                            warn!(from = %sender, error = %e, "sender cannot be rewritten with SRS");
                            (sender.to_owned(), false)
                        }
                    }
                }
                _ => (sender.to_owned(), false),
            };
            let origin = pool::Origin::Forwarded {
                validated,
                rewritten,
            };
            let route = pool::route(&config.pools, &facts(origin));
            let recipients = f
                .targets
                .iter()
                .cloned()
                .map(smtp::Recipient::new)
                .collect();
            if arc.is_some_and(|a| a.forwarded) {
                to_seal.push(queued.len());
            }
            queued.push(arrival.queued(
                config,
                &forwarded_sender,
                recipients,
                Some(&f.alias),
                route,
            ));
        }
        if let Some((reply, action, score)) = rejected {
            // Refused for good: kept in the trace, so the administrator
            // finds why.
            let why = format!("spam filter: {action}");
            let recipients = message.envelope.recipients.clone();
            let mut refused =
                arrival.queued(config, sender, recipients, None, pool::Route::blocked(why));
            refused.body.clear();
            let trouble = TroubleRecord {
                code: replies::SPAM_REJECTED
                    .enhanced
                    .expect("the reply table gives SPAM_REJECTED an enhanced code"),
                cause: "spam".into(),
                detail: format!("the spam filter's action was {action} (score {score})"),
                mx: None,
            };
            let event = EventKind::SpamRefused {
                action,
                score: score.to_string(),
            };
            info!(queue_id = %refused.id, client = %message.session.client, from = %sender, "refused by the spam filter");
            if let Err(e) = self
                .shared
                .store
                .trace_refused(refused, trouble, vec![event])
                .await
            {
                warn!(error = %e, "the refused message's trace was not kept");
            }
            return Decision::Reply(reply);
        }
        // Every recipient of the transaction counts, whatever copy it is in.
        let counted = limits::count(
            &self.shared,
            &message.session,
            sender,
            message.envelope.recipients.len(),
            |block| {
                let route = pool::Route::blocked(block.to_string());
                let recipients = message.envelope.recipients.clone();
                arrival.queued(config, sender, recipients, None, route)
            },
        )
        .await;
        if let limits::Counted::Refused(reply) = counted {
            return Decision::Reply(reply);
        }
        if let (Some(settings), Some(seal_facts)) = (arc, &seal_facts) {
            for i in to_seal {
                crate::sealing::seal(&self.shared, settings, seal_facts, &mut queued[i]).await;
            }
        }
        let logged: Vec<_> = queued
            .iter()
            .map(|new| {
                (
                    new.id,
                    new.recipients.len(),
                    new.meta.pool.clone(),
                    new.envelope.sender.clone(),
                    new.meta.quarantine.is_some(),
                    new.meta.arc_sealed.is_some(),
                )
            })
            .collect();
        // Every copy of the arrival, or none: a client told to retry never
        // leaves half of its message queued.
        let stored = match <[_; 1]>::try_from(queued) {
            Ok([only]) => self.shared.store.insert(only).await,
            Err(queued) => self.shared.store.insert_all(queued).await,
        };
        if let Err(e) = stored {
            warn!(client = %message.session.client, error = %e, "message not stored; the client was told to retry");
            return Decision::Reply(replies::NOT_STORED.reply());
        }
        let mut ids = Vec::new();
        for (id, recipients, pool, from, quarantined, arc_sealed) in logged {
            self.shared.counters.received(&pool);
            info!(queue_id = %id, client = %message.session.client, from = %from,
                recipients, pool, quarantined, arc_sealed, "queued");
            ids.push(id.to_string());
        }
        self.shared.wake.notify_one();
        Decision::Reply(replies::QUEUED.reply_with(&ids.join(" ")))
    }
}

/// What every message queued from one arrival shares.
struct Arrival<'a> {
    message: &'a ReceivedMessage,
    auth_header: &'a str,
    data: &'a [u8],
    /// Every sender authentication result, for the trace.
    auth_record: Option<Box<queue::AuthRecord>>,
    /// Why the arrival policy holds the message in quarantine, if it does.
    quarantine: Option<String>,
    now: std::time::SystemTime,
}

impl Arrival<'_> {
    /// One message to queue: to `recipients` from `sender`, with our
    /// `Received:` (and, for an alias's copy, `Delivered-To:`) on top.
    fn queued(
        &self,
        config: &crate::config::Config,
        sender: &str,
        recipients: Vec<smtp::Recipient>,
        alias: Option<&str>,
        route: pool::Route,
    ) -> NewMessage {
        let message = self.message;
        let id = QueueId::generate(self.now);
        let id_text = id.to_string();
        let single = match recipients.as_slice() {
            [only] => Some(only.address.as_str()),
            _ => None,
        };
        let stamp = smtp::Stamp {
            by: &config.hostname,
            id: Some(&id_text),
            recipient: single,
            at: self.now,
        };
        let received = smtp::received_header(&message.session, &stamp);
        // RFC 9228 §4: the address this copy was delivered to, so a copy
        // that comes back is recognised.
        let delivered_to = alias.map(|a| format!("Delivered-To: {a}\r\n"));
        let delivered_to = delivered_to.as_deref().unwrap_or("");
        let mut body = Vec::with_capacity(
            delivered_to.len() + received.len() + self.auth_header.len() + self.data.len(),
        );
        body.extend_from_slice(delivered_to.as_bytes());
        body.extend_from_slice(received.as_bytes());
        body.extend_from_slice(self.auth_header.as_bytes());
        body.extend_from_slice(self.data);

        let mut envelope = Envelope::new(sender.to_owned());
        envelope.ret = message.envelope.options.dsn_return;
        envelope.envid = message.envelope.options.envelope_id.clone();
        envelope.smtputf8 = message.envelope.options.smtputf8;
        envelope.require_tls = message.envelope.options.requiretls;
        envelope.body = match message.body {
            Body::EightBitMime => BodyType::EightBitMime,
            Body::SevenBit => BodyType::SevenBit,
        };
        let mut meta = MessageMeta::new(self.now);
        meta.client = Some(message.session.client);
        meta.ehlo = message.session.helo.clone();
        meta.tls = message.session.tls.as_ref().map(|t| TlsSummary {
            version: t.version.clone(),
            cipher: t.cipher.clone(),
        });
        meta.authenticated = message.session.user.clone();
        meta.size = body.len() as u64;
        meta.message_id = message_id(self.data);
        meta.auth = self.auth_record.clone();
        meta.quarantine = self.quarantine.clone();
        route.record(&mut meta);
        NewMessage {
            id,
            envelope,
            recipients,
            meta,
            body,
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
