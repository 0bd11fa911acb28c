//! Receivers that attack the client's patience and its operator's
//! terminal: a server that never greets, one that answers every step just
//! before the client's limit, one that takes message data at a trickle,
//! and one whose replies carry terminal control characters.

use std::time::Duration;

use smtp::Reply;

use super::behaviour::{Behaviour, Step};

/// A reply text that would clear the screen (ESC `[2J`), retitle the window
/// (OSC 0 … BEL), go back to the start of the line (CR) to overwrite it
/// with "delivered", and reverse what follows (U+202E).
pub const HOSTILE_TEXT: &str = "\x1b[2J\x1b]0;owned\x07\rdelivered \u{202e}deliver";

/// Every step a receiver answers at.
const EVERY_STEP: [Step; 7] = [
    Step::Greeting,
    Step::Ehlo,
    Step::StartTls,
    Step::Mail,
    Step::Rcpt,
    Step::Data,
    Step::DataEnd,
];

impl Behaviour {
    /// A server that accepts the connection and never sends its greeting
    /// (it holds the connection for an hour).
    pub fn never_greets() -> Behaviour {
        Behaviour::plain().delay_at(Step::Greeting, Duration::from_secs(3600))
    }

    /// Waits `delay` before every reply, greeting included: with `delay`
    /// just under the client's limit for each step, a session that never
    /// times out a step and lasts as long as their sum.
    pub fn slow_at_every_step(mut self, delay: Duration) -> Behaviour {
        for step in EVERY_STEP {
            self = self.delay_at(step, delay);
        }
        self
    }

    /// Reads what the client sends at most `octets` at a time, `every`
    /// interval: a trickle that keeps each write of message data just
    /// within its limit while the whole transfer takes as long as the
    /// server likes.
    pub fn reads_slowly(mut self, octets: usize, every: Duration) -> Behaviour {
        self.read_rate = Some((octets.max(1), every));
        self
    }

    /// A 4xx reply at `step` whose text is [`HOSTILE_TEXT`].
    pub fn hostile_text_at(self, step: Step) -> Behaviour {
        let standard = step.temporary().reply();
        let reply = Reply::new(standard.code, standard.enhanced, HOSTILE_TEXT);
        self.reply_at(step, reply)
    }
}
