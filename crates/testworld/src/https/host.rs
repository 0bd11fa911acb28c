//! A policy host: a listener on one loopback address whose connections get
//! TLS with tokio-rustls and hand-written HTTP/1.1, on a thread (and
//! runtime) of its own.

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_rustls::TlsAcceptor;

use super::behaviour::PolicyBehaviour;
use super::http::{
    HEAD_TIMEOUT, not_found, parse_head, policy_response, read_body, read_head, upload_response,
};
use super::record::{Recorder, Request};
use crate::record::WaitTimeout;
use crate::server_thread::ServerThread;

/// An HTTPS server on loopback standing for `mta-sts.<domain>`, answering
/// `GET /.well-known/mta-sts.txt` with a chosen [`PolicyBehaviour`] (and a
/// POST, as a TLS report endpoint, with the behaviour's status) and
/// recording every request with its body. It stops when dropped.
///
/// It runs on its own thread, so it answers whatever the test's own runtime
/// is doing (including blocking on a child process).
pub struct PolicyHost {
    server: ServerThread,
    behaviour: Arc<Mutex<PolicyBehaviour>>,
    recorder: Arc<Recorder>,
}

impl std::fmt::Debug for PolicyHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolicyHost")
            .field("addr", &self.server.addr())
            .finish_non_exhaustive()
    }
}

impl PolicyHost {
    /// Listens on `addr` (port 0 picks a free one) and serves every
    /// connection with `behaviour`.
    pub fn start(addr: SocketAddr, behaviour: PolicyBehaviour) -> io::Result<PolicyHost> {
        let behaviour = Arc::new(Mutex::new(behaviour));
        let recorder = Arc::new(Recorder::new());
        let server = ServerThread::start(addr, "policy-host", {
            let behaviour = behaviour.clone();
            let recorder = recorder.clone();
            move |stream, peer| {
                recorder.update(|log| log.connections += 1);
                let behaviour = behaviour
                    .lock()
                    .expect("no thread panics holding the behaviour")
                    .clone();
                serve(stream, peer, behaviour, recorder.clone())
            }
        })?;
        Ok(PolicyHost {
            server,
            behaviour,
            recorder,
        })
    }

    /// Where the host listens.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// The port it listens on: what a fetcher's HTTPS port override takes.
    pub fn port(&self) -> u16 {
        self.server.addr().port()
    }

    /// Replaces the behaviour for connections accepted from now on.
    pub fn set_behaviour(&self, behaviour: PolicyBehaviour) {
        *self.lock() = behaviour;
    }

    /// Serves `text` as the policy from now on, keeping the rest of the
    /// behaviour (e.g. a new policy published beside a new record `id`).
    pub fn set_policy(&self, text: &str) {
        self.lock().policy = text.to_owned();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, PolicyBehaviour> {
        self.behaviour
            .lock()
            .expect("no thread panics holding the behaviour")
    }

    /// Every request read so far, in order, whatever its path.
    pub fn requests(&self) -> Vec<Request> {
        self.recorder.read().requests.clone()
    }

    /// How many requests were for the policy (`GET
    /// /.well-known/mta-sts.txt`): what a cache test counts.
    pub fn fetches(&self) -> usize {
        self.recorder.read().fetches()
    }

    /// How many TCP connections were accepted, including those whose TLS
    /// handshake then failed (the client refused the certificate).
    pub fn connections(&self) -> usize {
        self.recorder.read().connections
    }

    /// Waits until at least `count` policy requests arrived, and returns
    /// every request.
    pub async fn wait_for_fetches(
        &self,
        count: usize,
        limit: Duration,
    ) -> Result<Vec<Request>, WaitTimeout> {
        self.recorder
            .wait("policy fetches", count, limit, |log| log.fetches())
            .await?;
        Ok(self.requests())
    }

    /// [`PolicyHost::wait_for_fetches`] for tests without a runtime: blocks
    /// the calling thread.
    pub fn wait_for_fetches_blocking(
        &self,
        count: usize,
        limit: Duration,
    ) -> Result<Vec<Request>, WaitTimeout> {
        self.recorder
            .wait_blocking("policy fetches", count, limit, |log| log.fetches())?;
        Ok(self.requests())
    }
}

/// One connection: TLS, one request, the behaviour's answer, close.
async fn serve(
    tcp: TcpStream,
    peer: SocketAddr,
    behaviour: PolicyBehaviour,
    recorder: Arc<Recorder>,
) {
    let acceptor = TlsAcceptor::from(behaviour.tls.clone());
    let Ok(Ok(mut stream)) = timeout(HEAD_TIMEOUT, acceptor.accept(tcp)).await else {
        return;
    };
    let sni = stream.get_ref().1.server_name().map(str::to_owned);
    let Ok(Ok(Some(bytes))) = timeout(HEAD_TIMEOUT, read_head(&mut stream)).await else {
        return;
    };
    let Some(head) = parse_head(&bytes) else {
        return;
    };
    let mut request = Request::new(peer, sni, head);
    let Ok(Ok(Some(body))) = timeout(HEAD_TIMEOUT, read_body(&mut stream, &request)).await else {
        return;
    };
    request.body = body;
    let fetch = request.is_policy_fetch();
    let post = request.method == "POST";
    recorder.update(|log| log.requests.push(request));
    let response = if post {
        upload_response(&behaviour)
    } else if fetch {
        if let Some(delay) = behaviour.delay {
            tokio::time::sleep(delay).await;
        }
        if behaviour.drop {
            // Dropping the stream closes the connection without a TLS
            // close_notify, as a crashing server would.
            return;
        }
        policy_response(&behaviour)
    } else {
        not_found()
    };
    let _ = stream.write_all(&response).await;
    let _ = stream.shutdown().await;
}
