//! Queue identifiers: short, printable, and sorted by arrival.

use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// Crockford's base32 alphabet: digits and capitals without I, L, O and U,
/// in ASCII order, so that the text sorts as the number does.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Characters in a queue id: 80 bits, five per character.
const LEN: usize = 16;

/// The identifier of a queued message, like Postfix's long queue ids:
/// 48 bits of milliseconds since the Unix epoch then 32 bits that differ
/// between messages of the same millisecond, written as 16 characters of
/// Crockford base32 (e.g. `01KBF3M2QZ7N4XA8`). Ids sort by arrival time,
/// both as numbers and as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct QueueId(u128);

/// Why a text is not a queue id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum QueueIdError {
    /// Not 16 characters.
    #[error("a queue id has {LEN} characters")]
    Length,
    /// A character outside Crockford's base32 alphabet.
    #[error("a queue id is written in Crockford base32 (0-9, A-Z without I, L, O, U)")]
    Character,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl QueueId {
    /// A fresh id for a message received at `now`. The low 32 bits are a
    /// per-process counter offset by a random number, so ids of one
    /// process never repeat within a millisecond and two processes writing
    /// one store (the server and `sealane sendmail`) are unlikely to meet.
    pub fn generate(now: SystemTime) -> QueueId {
        let millis =
            now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis()) & ((1u128 << 48) - 1);
        let low = COUNTER
            .fetch_add(1, Ordering::Relaxed)
            .wrapping_add(process_salt());
        QueueId((millis << 32) | u128::from(low))
    }

    /// The arrival time encoded in the id, to the millisecond.
    pub fn time(self) -> SystemTime {
        let millis = u64::try_from(self.0 >> 32).unwrap_or(u64::MAX);
        UNIX_EPOCH + std::time::Duration::from_millis(millis)
    }
}

fn process_salt() -> u32 {
    static SALT: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    *SALT.get_or_init(|| fastrand::u32(..))
}

impl fmt::Display for QueueId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = [0u8; LEN];
        for (i, slot) in out.iter_mut().enumerate() {
            let shift = 5 * (LEN - 1 - i);
            *slot = ALPHABET[((self.0 >> shift) & 31) as usize];
        }
        // The alphabet is ASCII, so the bytes are UTF-8.
        f.write_str(std::str::from_utf8(&out).map_err(|_| fmt::Error)?)
    }
}

impl FromStr for QueueId {
    type Err = QueueIdError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text.len() != LEN {
            return Err(QueueIdError::Length);
        }
        let mut value = 0u128;
        for byte in text.bytes() {
            let digit = ALPHABET
                .iter()
                .position(|&a| a == byte.to_ascii_uppercase())
                .ok_or(QueueIdError::Character)?;
            value = (value << 5) | digit as u128;
        }
        Ok(QueueId(value))
    }
}

impl TryFrom<String> for QueueId {
    type Error = QueueIdError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl From<QueueId> for String {
    fn from(id: QueueId) -> String {
        id.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn round_trips_through_text() {
        let id = QueueId::generate(SystemTime::now());
        let text = id.to_string();
        assert_eq!(text.len(), 16);
        assert_eq!(text.parse::<QueueId>().unwrap(), id);
        assert_eq!(text.to_lowercase().parse::<QueueId>().unwrap(), id);
    }

    #[test]
    fn sorts_by_time_as_text() {
        let t = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let a = QueueId::generate(t);
        let b = QueueId::generate(t + Duration::from_millis(1));
        assert!(a.to_string() < b.to_string());
        assert_eq!(a.time(), t);
    }

    #[test]
    fn same_millisecond_ids_differ() {
        let t = SystemTime::now();
        let ids: std::collections::HashSet<_> = (0..1000).map(|_| QueueId::generate(t)).collect();
        assert_eq!(ids.len(), 1000);
    }

    #[test]
    fn bad_text_is_refused() {
        assert_eq!("ABC".parse::<QueueId>(), Err(QueueIdError::Length));
        assert_eq!(
            "0123456789ABCDEI".parse::<QueueId>(),
            Err(QueueIdError::Character)
        );
    }
}
