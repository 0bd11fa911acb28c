//! Notices to the sender (RFC 3464): built by the `report` crate from the
//! trouble table's texts, queued like any message with the null sender in
//! the `high-risk` pool (DESIGN §3), and named in the original's trace.
//! They are queued with the outcome that owes them, in one transaction,
//! DKIM-signed with the key of the system's domain when `[[dkim.sign]]`
//! has one.

use queue::{ClaimedMessage, Envelope, MessageMeta, NewMessage, QueueId, QueuedNotice};
use report::dsn::{self, Notice, NoticeKind, RecipientNotice};

use super::settle::OwedNotice;
use crate::pool;
use crate::shared::Shared;

/// Builds one notice per kind for `owed`, to be queued by the same
/// transaction that records the outcomes owing them.
pub(crate) fn build(
    shared: &Shared,
    message: &ClaimedMessage,
    owed: &[OwedNotice],
    body: &[u8],
) -> Vec<QueuedNotice> {
    let mut notices = Vec::new();
    for kind in [NoticeKind::Failure, NoticeKind::Delay, NoticeKind::Success] {
        let of_kind: Vec<&OwedNotice> = owed.iter().filter(|n| n.kind == kind).collect();
        if of_kind.is_empty() {
            continue;
        }
        let now = shared.now();
        let id = QueueId::generate(now);
        let queue_id = message.id.to_string();
        let notice = Notice {
            kind,
            reporting_mta: &shared.config.hostname,
            to: &message.envelope.sender,
            arrival_date: message.meta.received_at,
            now,
            envelope_id: message.envelope.envid.as_deref(),
            ret: message.envelope.ret,
            original: body,
            queue_id: &queue_id,
            recipients: of_kind
                .iter()
                .map(|n| recipient(shared, message, n))
                .collect(),
        };
        let data = crate::signing::sign(
            &shared.config.dkim_sign,
            &dsn::from_address(&shared.config.hostname),
            dsn::build(&notice),
            "notice",
        );
        let mut meta = MessageMeta::new(now);
        meta.size = data.len() as u64;
        let facts = pool::Facts {
            sender: "",
            origin: pool::Origin::Notice,
            spam: false,
            sender_domain: pool::SenderDomain::Unknown,
        };
        pool::route(&shared.config.pools, &facts).record(&mut meta);
        meta.message_id = Some(format!("{}.notice@{}", queue_id, shared.config.hostname));
        notices.push(QueuedNotice {
            message: NewMessage {
                id,
                envelope: Envelope::new(""),
                recipients: vec![smtp::Recipient::new(message.envelope.sender.clone())],
                meta,
                body: data,
            },
            kind: match kind {
                NoticeKind::Failure => queue::NoticeKind::Failure,
                NoticeKind::Delay => queue::NoticeKind::Delay,
                NoticeKind::Success => queue::NoticeKind::Success,
            },
            recipients: of_kind
                .iter()
                .map(|n| n.recipient.address.clone())
                .collect(),
        });
    }
    notices
}

fn recipient(shared: &Shared, message: &ClaimedMessage, owed: &OwedNotice) -> RecipientNotice {
    let trouble = owed.trouble.as_ref();
    let status = match (&owed.kind, trouble) {
        (NoticeKind::Failure, Some(t)) => t.final_code(),
        (NoticeKind::Delay, Some(t)) => t.code(),
        _ => owed
            .reply
            .as_ref()
            .and_then(|r| r.enhanced)
            .unwrap_or(smtp::EnhancedCode::OK),
    };
    RecipientNotice {
        final_recipient: owed.recipient.address.clone(),
        original_recipient: owed.recipient.original.clone(),
        status,
        remote_mta: owed.mx.clone(),
        diagnostic: owed.reply.as_ref().map(ToString::to_string),
        last_attempt: Some(owed.at),
        will_retry_until: (owed.kind == NoticeKind::Delay)
            .then(|| shared.schedule.expires_at(message.meta.received_at)),
        cause_text: trouble.map_or("", |t| t.text()).to_owned(),
        detail: trouble.and_then(|t| t.detail.clone()),
    }
}
