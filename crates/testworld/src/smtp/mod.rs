//! The SMTP part of the test world: receivers on `127.0.0.x` with chosen
//! behaviours, built on the `smtp` crate's server session, recording what
//! they receive.
//!
//! Two MX hosts on different loopback addresses with the same port, as the
//! product's `--smtp-port` override expects:
//!
//! ```no_run
//! use std::net::SocketAddr;
//! use testworld::ca::TestCa;
//! use testworld::net::{free_port, loopback};
//! use testworld::smtp::{Behaviour, Receiver, Step};
//!
//! let ca = TestCa::new("Test World Root");
//! let (mx1, mx2) = (loopback(2), loopback(3));
//! let port = free_port(&[mx1, mx2]);
//! let first = Receiver::start(
//!     SocketAddr::new(mx1, port),
//!     Behaviour::starttls(&ca.issue_expired(&["mx1.example.test"])),
//! )?;
//! let second = Receiver::start(
//!     SocketAddr::new(mx2, port),
//!     Behaviour::starttls(&ca.issue(&["mx2.example.test"])).temporary_for("later@example.test"),
//! )?;
//! // ... deliver with `--smtp-port {port}` and `--ca` pointing at the root ...
//! # Ok::<(), std::io::Error>(())
//! ```

mod behaviour;
mod handler;
mod hostile;
mod receiver;
mod record;
mod trickle;

pub use behaviour::{Behaviour, Step};
pub use hostile::HOSTILE_TEXT;
pub use receiver::Receiver;
pub use record::{Ended, Session, WaitTimeout};
