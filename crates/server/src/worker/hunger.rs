//! Whether a worker takes the new mail of its destination itself: a worker
//! whose last claim came back short of a full batch has drained what was
//! due, and goes on with what arrives next on the connections it holds.
//! While one is so, the scheduler starts no other worker for that
//! destination, which would open a new connection (and a new TLS
//! handshake) for a few messages; a full claim means a backlog, and then
//! the scheduler adds workers up to the per-destination limit.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

/// How many of a destination's workers on this node are hungry.
#[derive(Debug, Default, Clone)]
pub(crate) struct Hungry(Arc<AtomicU32>);

impl Hungry {
    /// Whether any worker of the destination is.
    pub(crate) fn any(&self) -> bool {
        self.0.load(Ordering::Acquire) > 0
    }
}

/// One worker's part in its destination's [`Hungry`] count.
#[derive(Debug)]
pub(crate) struct Hunger {
    count: Hungry,
    hungry: bool,
}

impl Hunger {
    /// A worker of the destination counted by `count`, not yet hungry.
    pub(crate) fn new(count: Hungry) -> Hunger {
        Hunger {
            count,
            hungry: false,
        }
    }

    /// Records a claim of `messages` messages out of a full batch of
    /// `full`.
    pub(crate) fn claimed(&mut self, messages: usize, full: usize) {
        self.set(messages < full);
    }

    /// No longer takes new mail (it is leaving).
    pub(crate) fn leave(&mut self) {
        self.set(false);
    }

    fn set(&mut self, hungry: bool) {
        if hungry == self.hungry {
            return;
        }
        if hungry {
            self.count.0.fetch_add(1, Ordering::AcqRel);
        } else {
            self.count.0.fetch_sub(1, Ordering::AcqRel);
        }
        self.hungry = hungry;
    }
}

impl Drop for Hunger {
    fn drop(&mut self) {
        self.leave();
    }
}
