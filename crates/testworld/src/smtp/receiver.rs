//! A receiver: a listener on one loopback address whose connections are
//! served by `smtp::serve` on a thread (and runtime) of its own.

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use smtp::{ReceivedMessage, SessionEnd};
use tokio::net::TcpStream;

use super::behaviour::Behaviour;
use super::handler::SessionHandler;
use super::record::{Ended, Recorder, Session, WaitTimeout};
use super::trickle::Trickle;
use crate::server_thread::ServerThread;

/// An SMTP server on loopback with a chosen [`Behaviour`], recording what it
/// receives. It stops when dropped.
///
/// It runs on its own thread, so it answers whatever the test's own runtime
/// is doing (including blocking on a child process).
pub struct Receiver {
    server: ServerThread,
    behaviour: Arc<Mutex<Behaviour>>,
    recorder: Arc<Recorder>,
}

impl std::fmt::Debug for Receiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Receiver")
            .field("addr", &self.server.addr())
            .finish_non_exhaustive()
    }
}

impl Receiver {
    /// Listens on `addr` (port 0 picks a free one) and serves every
    /// connection with `behaviour`.
    pub fn start(addr: SocketAddr, behaviour: Behaviour) -> io::Result<Receiver> {
        let behaviour = Arc::new(Mutex::new(behaviour));
        let recorder = Arc::new(Recorder::new());
        let server = ServerThread::start(addr, "smtp-receiver", {
            let behaviour = behaviour.clone();
            let recorder = recorder.clone();
            move |stream, peer| {
                let behaviour = behaviour
                    .lock()
                    .expect("no thread panics holding the behaviour")
                    .clone();
                session(stream, peer, behaviour, recorder.clone())
            }
        })?;
        Ok(Receiver {
            server,
            behaviour,
            recorder,
        })
    }

    /// Where the receiver listens.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// Replaces the behaviour for connections accepted from now on (e.g. a
    /// server that refuses the first attempt and accepts the retry).
    pub fn set_behaviour(&self, behaviour: Behaviour) {
        *self
            .behaviour
            .lock()
            .expect("no thread panics holding the behaviour") = behaviour;
    }

    /// The messages accepted so far (a positive reply to the final dot).
    pub fn messages(&self) -> Vec<ReceivedMessage> {
        self.recorder.read().messages.clone()
    }

    /// Every session so far, in the order they connected.
    pub fn sessions(&self) -> Vec<Session> {
        self.recorder.read().sessions.clone()
    }

    /// Waits until at least `count` messages were accepted, and returns them.
    pub async fn wait_for_messages(
        &self,
        count: usize,
        limit: Duration,
    ) -> Result<Vec<ReceivedMessage>, WaitTimeout> {
        self.recorder
            .wait("messages", count, limit, |log| log.messages.len())
            .await?;
        Ok(self.messages())
    }

    /// Waits until at least `count` sessions have ended, and returns every
    /// session.
    pub async fn wait_for_ended_sessions(
        &self,
        count: usize,
        limit: Duration,
    ) -> Result<Vec<Session>, WaitTimeout> {
        self.recorder
            .wait("ended sessions", count, limit, |log| log.ended())
            .await?;
        Ok(self.sessions())
    }

    /// [`Receiver::wait_for_messages`] for tests without a runtime: blocks
    /// the calling thread.
    pub fn wait_for_messages_blocking(
        &self,
        count: usize,
        limit: Duration,
    ) -> Result<Vec<ReceivedMessage>, WaitTimeout> {
        self.recorder
            .wait_blocking("messages", count, limit, |log| log.messages.len())?;
        Ok(self.messages())
    }
}

async fn session(
    stream: TcpStream,
    peer: SocketAddr,
    behaviour: Behaviour,
    recorder: Arc<Recorder>,
) {
    let config = behaviour.server_config();
    let read_rate = behaviour.read_rate;
    let mut handler = SessionHandler::new(behaviour, recorder.clone(), Session::new(peer));
    let served = match read_rate {
        Some((octets, every)) => {
            let stream = Trickle::new(stream, octets, every);
            smtp::serve(stream, peer, &config, &mut handler).await
        }
        None => smtp::serve(stream, peer, &config, &mut handler).await,
    };
    let end = match served {
        Ok(SessionEnd::Quit) => Ended::Quit,
        Ok(_) => Ended::Dropped,
        Err(error) => Ended::Failed {
            stage: error.stage(),
            error: error.to_string(),
        },
    };
    let index = handler.index();
    recorder.update(|log| log.sessions[index].end = Some(end));
}
