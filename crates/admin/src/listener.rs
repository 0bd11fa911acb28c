//! The accept loop: HTTP/1.1, over TLS when configured, each request
//! tagged with the client's address (for the login rate limit), a bounded
//! number of connections, and a deadline on reading each request's head so
//! a slow client cannot hold a connection open for nothing.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;
use tracing::debug;

/// Connections served at once; more wait in the kernel's backlog.
const MAX_CONNECTIONS: usize = 256;
/// How long a client has for the TLS handshake and for each request head.
const HEAD_DEADLINE: Duration = Duration::from_secs(10);

/// The client's address, in every request's extensions.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Peer(pub SocketAddr);

/// Accepts until `shutdown` turns true, then drops every connection.
pub(crate) async fn run(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    router: Router,
    mut shutdown: watch::Receiver<bool>,
) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let mut connections = JoinSet::new();
    loop {
        while connections.try_join_next().is_some() {}
        let permit = tokio::select! {
            permit = slots.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            _ = shutdown.changed() => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    debug!(error = %e, "admin console accept failed");
                    continue;
                }
            },
            _ = shutdown.changed() => break,
        };
        let router = router.clone();
        let tls = tls.clone();
        connections.spawn(async move {
            let _permit = permit;
            match tls {
                Some(acceptor) => {
                    match tokio::time::timeout(HEAD_DEADLINE, acceptor.accept(stream)).await {
                        Ok(Ok(stream)) => serve(stream, peer, router).await,
                        Ok(Err(e)) => {
                            debug!(%peer, error = %e, "admin console TLS handshake failed")
                        }
                        Err(_) => debug!(%peer, "admin console TLS handshake timed out"),
                    }
                }
                None => serve(stream, peer, router).await,
            }
        });
    }
    connections.abort_all();
    while connections.join_next().await.is_some() {}
}

async fn serve<S>(stream: S, peer: SocketAddr, router: Router)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
        request.extensions_mut().insert(Peer(peer));
        router.clone().oneshot(request)
    });
    let served = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEAD_DEADLINE)
        .serve_connection(TokioIo::new(stream), service)
        .await;
    if let Err(e) = served {
        debug!(%peer, error = %e, "admin console connection ended");
    }
}
