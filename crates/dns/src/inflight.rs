//! Questions in flight: a question asked while the same one is already on
//! its way upstream waits for that answer instead of asking, and
//! validating, a second time.
//!
//! The posture checker asks about one domain from several places at once
//! (the delivery plan, the SPF walk, the MTA-STS discovery); without this,
//! each of them that missed the cache sent its own query and had its own
//! answer validated.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};

use hickory_proto::rr::{Name, RecordType};
use tokio::sync::OnceCell;

type Key = (Name, RecordType);

/// The questions on their way upstream, each with the cell its answer
/// lands in.
pub(crate) struct InFlight<V> {
    asked: Mutex<HashMap<Key, Arc<OnceCell<V>>>>,
}

impl<V> Default for InFlight<V> {
    fn default() -> Self {
        Self {
            asked: Mutex::new(HashMap::new()),
        }
    }
}

impl<V: Clone> InFlight<V> {
    /// The answer to `rtype` at `name`: `ask`'s, or that of the same
    /// question already in flight. The flag is true when `ask` ran here.
    ///
    /// Should the task asking be dropped before its answer comes, one of
    /// those waiting asks in its place.
    pub(crate) async fn join<F>(&self, name: &Name, rtype: RecordType, ask: F) -> (V, bool)
    where
        F: Future<Output = V>,
    {
        let key = (name.to_lowercase(), rtype);
        let cell = Arc::clone(self.lock().entry(key.clone()).or_default());
        let leave = Leave {
            flight: self,
            key,
            cell,
        };
        let mut asked = false;
        let value = leave
            .cell
            .get_or_init(|| {
                asked = true;
                ask
            })
            .await
            .clone();
        (value, asked)
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<Key, Arc<OnceCell<V>>>> {
        self.asked.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Takes a question off the list when its answer is in, or when the last
/// task that wanted it is gone without one.
struct Leave<'a, V> {
    flight: &'a InFlight<V>,
    key: Key,
    cell: Arc<OnceCell<V>>,
}

impl<V> Drop for Leave<'_, V> {
    fn drop(&mut self) {
        let mut entries = self.flight.asked.lock().unwrap_or_else(|e| e.into_inner());
        // Clones are made under this lock: two are the list's and ours.
        let done = self.cell.initialized() || Arc::strong_count(&self.cell) <= 2;
        if done
            && entries
                .get(&self.key)
                .is_some_and(|current| Arc::ptr_eq(current, &self.cell))
        {
            entries.remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    fn name(s: &str) -> Name {
        Name::from_ascii(s).unwrap()
    }

    #[tokio::test]
    async fn the_same_question_at_once_is_asked_once() {
        let flight = InFlight::default();
        let asked = AtomicUsize::new(0);
        let ask = || async {
            asked.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(20)).await;
            7u8
        };
        let (lower, upper) = (name("a.test."), name("A.test."));
        let ((a, a_asked), (b, b_asked)) = tokio::join!(
            flight.join(&lower, RecordType::A, ask()),
            flight.join(&upper, RecordType::A, ask()),
        );
        assert_eq!((a, b), (7, 7));
        assert_eq!(asked.load(Ordering::SeqCst), 1);
        assert!(a_asked ^ b_asked);
        assert!(flight.lock().is_empty());
    }

    #[tokio::test]
    async fn other_questions_and_later_ones_are_asked_again() {
        let flight = InFlight::default();
        let (a, _) = flight
            .join(&name("a.test."), RecordType::A, async { 1u8 })
            .await;
        let (aaaa, _) = flight
            .join(&name("a.test."), RecordType::AAAA, async { 2u8 })
            .await;
        let (again, asked) = flight
            .join(&name("a.test."), RecordType::A, async { 3u8 })
            .await;
        assert_eq!((a, aaaa, again), (1, 2, 3));
        assert!(asked);
    }

    #[tokio::test]
    async fn a_dropped_asker_leaves_the_question_to_a_waiter() {
        let flight = InFlight::default();
        let a = name("a.test.");
        let first = flight.join(&a, RecordType::A, async {
            tokio::time::sleep(Duration::from_secs(60)).await;
            1u8
        });
        let second = flight.join(&a, RecordType::A, async { 2u8 });
        let (gone, answer) = tokio::join!(
            tokio::time::timeout(Duration::from_millis(10), first),
            async {
                tokio::task::yield_now().await;
                second.await
            }
        );
        assert!(gone.is_err());
        assert_eq!(answer, (2, true));
        assert!(flight.lock().is_empty());
    }

    #[tokio::test]
    async fn an_abandoned_question_leaves_the_list() {
        let flight: InFlight<u8> = InFlight::default();
        let abandoned = tokio::time::timeout(
            Duration::from_millis(5),
            flight.join(&name("a.test."), RecordType::A, std::future::pending()),
        )
        .await;
        assert!(abandoned.is_err());
        assert!(flight.lock().is_empty());
    }
}
