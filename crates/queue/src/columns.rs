//! How both backends write the queue's types into columns and read them
//! back: JSON text for structured values, a state name plus its due time
//! for a recipient's state.

use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::StoreError;
use crate::id::QueueId;
use crate::meta::MessageMeta;
use crate::state::{RecipientState, TroubleRecord};
use crate::time::from_millis;

/// JSON for a column. The queue's types are plain structs and enums with
/// string keys, which serde_json always encodes.
pub fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("queue types have string keys and encode as JSON")
}

/// A column's JSON read back.
pub fn from_json<T: DeserializeOwned>(what: &'static str, text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|source| StoreError::Corrupt {
        what,
        source: Arc::new(source),
    })
}

/// A stored queue id read back.
pub fn parse_id(id: &str) -> Result<QueueId, StoreError> {
    id.parse().map_err(|_| {
        corrupt(
            "queue id",
            format!("{} is not a queue id", smtp::quoted(id)),
        )
    })
}

/// A [`StoreError::Corrupt`] for a value that is not JSON at all.
pub fn corrupt(what: &'static str, detail: String) -> StoreError {
    StoreError::Corrupt {
        what,
        source: Arc::new(<serde_json::Error as serde::de::Error>::custom(detail)),
    }
}

/// A recipient's state from its stored name, due time, lease owner and
/// last trouble.
pub fn state_from(
    name: &str,
    due_at: Option<i64>,
    owner: Option<String>,
    trouble: Option<TroubleRecord>,
) -> Result<RecipientState, StoreError> {
    let unknown = || StoreError::Corrupt {
        what: "recipient state",
        source: Arc::new(<serde_json::Error as serde::de::Error>::custom(format!(
            "state {} with due time {}",
            smtp::quoted(name),
            due_at.map_or_else(|| "none".to_owned(), |t| t.to_string())
        ))),
    };
    Ok(match name {
        "queued" => RecipientState::Queued,
        "in-flight" => RecipientState::InFlight {
            lease_until: from_millis(due_at.ok_or_else(unknown)?),
            owner: owner.unwrap_or_default(),
        },
        "deferred" => RecipientState::Deferred {
            next_attempt: from_millis(due_at.ok_or_else(unknown)?),
            trouble: trouble.ok_or_else(unknown)?,
        },
        "delivered" => RecipientState::Delivered,
        "bounced" => RecipientState::Bounced,
        "expired" => RecipientState::Expired,
        "held" => RecipientState::Held,
        "quarantined" => RecipientState::Quarantined,
        _ => return Err(unknown()),
    })
}
/// The state and due time a new message's recipients start in: queued
/// and due now, or quarantined (never due) when the arrival policy said so.
pub(crate) fn first_state(meta: &MessageMeta, now: i64) -> (&'static str, Option<i64>) {
    if meta.quarantine.is_some() {
        ("quarantined", None)
    } else {
        ("queued", Some(now))
    }
}
