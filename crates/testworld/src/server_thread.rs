//! What every test-world server shares: a listener on one loopback address,
//! accepted connections served on a thread (and single-threaded runtime) of
//! its own, so the server answers whatever the test's runtime is doing, and
//! a stop when dropped.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::thread::JoinHandle;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

/// A running accept loop; it stops, and cancels every connection still
/// being served, when dropped.
pub(crate) struct ServerThread {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl ServerThread {
    /// Listens on `addr` (port 0 picks a free one) and spawns
    /// `serve(stream, peer)` for every connection accepted.
    pub(crate) fn start<F, Fut>(addr: SocketAddr, name: &str, mut serve: F) -> io::Result<Self>
    where
        F: FnMut(TcpStream, SocketAddr) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let listener = std::net::TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let (stop, mut stopped) = oneshot::channel::<()>();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()?;
        let label = format!("{name} {addr}");
        let thread = std::thread::Builder::new()
            .name(label.clone())
            .spawn(move || {
                runtime.block_on(async move {
                    let listener = match TcpListener::from_std(listener) {
                        Ok(listener) => listener,
                        Err(e) => {
                            tracing::error!(error = %e, "{label} cannot listen");
                            return;
                        }
                    };
                    loop {
                        tokio::select! {
                            _ = &mut stopped => return,
                            accepted = listener.accept() => {
                                let Ok((stream, peer)) = accepted else { continue };
                                tokio::spawn(serve(stream, peer));
                            }
                        }
                    }
                });
            })?;
        Ok(Self {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// Where the server listens.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for ServerThread {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _already_gone = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            // Dropping the runtime at the end of the thread cancels every
            // connection still being served.
            let _ = thread.join();
        }
    }
}
