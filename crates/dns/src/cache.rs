//! The answer cache: answers live as long as their TTL (RFC 1035 §3.2.1),
//! negative answers as long as their SOA allows (RFC 2308 §5), and each keeps
//! the DNSSEC status it was validated with.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use hickory_proto::rr::{Name, RecordType};

/// A bounded map from question to answer, aged by the caller's clock.
pub(crate) struct Cache<V> {
    capacity: usize,
    entries: Mutex<HashMap<(Name, RecordType), Entry<V>>>,
}

struct Entry<V> {
    value: V,
    expires: SystemTime,
}

impl<V: Clone> Cache<V> {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The cached answer and the seconds it has left, if it has any.
    pub(crate) fn get(&self, name: &Name, rtype: RecordType, now: SystemTime) -> Option<(V, u32)> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let entry = entries.get(&(name.to_lowercase(), rtype))?;
        let left = entry.expires.duration_since(now).ok()?;
        let left = u32::try_from(left.as_secs()).unwrap_or(u32::MAX);
        (left > 0).then(|| (entry.value.clone(), left))
    }

    /// Keeps an answer for `ttl` seconds. When full, expired answers go
    /// first, then the answers closest to expiry.
    pub(crate) fn insert(
        &self,
        name: &Name,
        rtype: RecordType,
        value: V,
        ttl: u32,
        now: SystemTime,
    ) {
        if ttl == 0 || self.capacity == 0 {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= self.capacity {
            entries.retain(|_, entry| entry.expires > now);
        }
        if entries.len() >= self.capacity {
            let soonest = entries
                .iter()
                .min_by_key(|(_, entry)| entry.expires)
                .map(|(key, _)| key.clone());
            if let Some(key) = soonest {
                entries.remove(&key);
            }
        }
        entries.insert(
            (name.to_lowercase(), rtype),
            Entry {
                value,
                expires: now + Duration::from_secs(u64::from(ttl)),
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> Name {
        Name::from_ascii(s).unwrap()
    }

    #[test]
    fn entries_expire_with_their_ttl() {
        let cache = Cache::new(10);
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        cache.insert(&name("a.test."), RecordType::A, 7u8, 60, t0);
        assert_eq!(
            cache.get(&name("A.test."), RecordType::A, t0),
            Some((7, 60))
        );
        let later = t0 + Duration::from_secs(59);
        assert_eq!(
            cache.get(&name("a.test."), RecordType::A, later),
            Some((7, 1))
        );
        assert_eq!(
            cache.get(
                &name("a.test."),
                RecordType::A,
                t0 + Duration::from_secs(60)
            ),
            None
        );
    }

    #[test]
    fn a_full_cache_drops_the_soonest_to_expire() {
        let cache = Cache::new(2);
        let t0 = SystemTime::UNIX_EPOCH;
        cache.insert(&name("a.test."), RecordType::A, 1u8, 10, t0);
        cache.insert(&name("b.test."), RecordType::A, 2u8, 100, t0);
        cache.insert(&name("c.test."), RecordType::A, 3u8, 100, t0);
        assert_eq!(cache.get(&name("a.test."), RecordType::A, t0), None);
        assert!(cache.get(&name("b.test."), RecordType::A, t0).is_some());
        assert!(cache.get(&name("c.test."), RecordType::A, t0).is_some());
    }
}
