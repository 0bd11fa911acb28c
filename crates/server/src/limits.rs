//! Sending limits on arrival (DESIGN §3): who a transaction is counted
//! under — the authenticated user, and the domain it sends as; clients of
//! the relay networks are our own infrastructure (applications, load
//! balancers, other MTAs) and are not counted — the check at RCPT (a blocked subject is
//! refused at once) and the count at the end of data, every recipient of
//! the transaction counted. A message over a limit is refused, not moved
//! to a pool; its trace is kept with the block.

use queue::{
    EventKind, NewMessage, SendingBlock, SendingLimits, SendingRequest, SendingVerdict, Subject,
    TroubleRecord,
};
use smtp::{Reply, SessionFacts, replies};
use tracing::{info, warn};

use crate::shared::Shared;

/// The subjects of a transaction from `sender` in `session`, each with its
/// limits; none unless the client authenticated.
pub(crate) fn subjects(
    shared: &Shared,
    session: &SessionFacts,
    sender: &str,
) -> Vec<(Subject, SendingLimits)> {
    let config = &shared.config;
    let mut subjects = Vec::new();
    if let Some(user) = &session.user {
        subjects.push((Subject::user(user), config.sending_limits.for_user(user)));
    }
    if session.user.is_some()
        && let Some((_, domain)) = sender.rsplit_once('@')
    {
        let subject = Subject::domain(domain);
        let limits = config.sending_limits.for_domain(&subject.name);
        subjects.push((subject, limits));
    }
    subjects
}

/// The reply to RCPT when a subject is blocked; `None` to go on.
pub(crate) async fn at_rcpt(
    shared: &Shared,
    session: &SessionFacts,
    sender: &str,
) -> Option<Reply> {
    let subjects: Vec<Subject> = subjects(shared, session, sender)
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    if subjects.is_empty() {
        return None;
    }
    match shared.store.sending_block(&subjects).await {
        Ok(None) => None,
        Ok(Some(block)) => {
            info!(client = %session.client, subject = %block.subject, limit = %block.limit, "blocked sender refused at RCPT");
            Some(refusal(&block))
        }
        Err(e) => {
            warn!(client = %session.client, error = %e, "sending limits cannot be read; the client was told to retry");
            Some(replies::LOCAL_ERROR.reply())
        }
    }
}

/// What counting a message decided.
pub(crate) enum Counted {
    /// Within the limits (or not counted): go on.
    Within,
    /// Over a limit: refuse with this reply.
    Refused(Reply),
}

/// Counts a message of `recipients` recipients under its subjects; when
/// one goes over a limit, keeps `refused` (built by the caller, without
/// its body) in the trace with the block.
pub(crate) async fn count(
    shared: &Shared,
    session: &SessionFacts,
    sender: &str,
    recipients: usize,
    refused: impl FnOnce(&SendingBlock) -> NewMessage,
) -> Counted {
    let subjects = subjects(shared, session, sender);
    if subjects.is_empty() {
        return Counted::Within;
    }
    let request = SendingRequest {
        subjects,
        recipients: recipients as u64,
    };
    let block = match shared.store.count_sending(request).await {
        Ok(SendingVerdict::Within) => return Counted::Within,
        Ok(SendingVerdict::Blocked(block)) => block,
        Err(e) => {
            warn!(client = %session.client, error = %e, "sending limits cannot be counted; the client was told to retry");
            return Counted::Refused(replies::NOT_STORED.reply());
        }
    };
    let reply = refusal(&block);
    let mut message = refused(&block);
    info!(queue_id = %message.id, client = %session.client, subject = %block.subject,
        limit = %block.limit, allowed = block.allowed, count = block.count, "over a sending limit: refused");
    message.body.clear();
    let trouble = TroubleRecord {
        code: replies::SENDING_LIMIT
            .enhanced
            .expect("the reply table gives SENDING_LIMIT an enhanced code"),
        cause: "sending-limit".into(),
        detail: block.to_string(),
        mx: None,
    };
    if let Err(e) = shared
        .store
        .trace_refused(message, trouble, vec![EventKind::SendingLimit(block)])
        .await
    {
        warn!(error = %e, "the refused message's trace was not kept");
    }
    Counted::Refused(reply)
}

fn refusal(block: &SendingBlock) -> Reply {
    replies::SENDING_LIMIT.reply_with(&block.to_string())
}
