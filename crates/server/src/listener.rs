//! The SMTP listeners: accept connections, limit them per client address,
//! and run one server session per connection with the daemon's handler.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use smtp::replies;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;
use tracing::{debug, info, warn};

use crate::config::Role;
use crate::inbound::Inbound;
use crate::shared::Shared;

/// Open connections per client address, across the listeners.
#[derive(Default)]
pub(crate) struct Connections(Mutex<HashMap<IpAddr, u32>>);

impl Connections {
    fn enter(&self, ip: IpAddr, limit: u32) -> bool {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let n = map.entry(ip).or_default();
        if *n >= limit {
            return false;
        }
        *n += 1;
        true
    }

    fn leave(&self, ip: IpAddr) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = map.get_mut(&ip) {
            *n -= 1;
            if *n == 0 {
                map.remove(&ip);
            }
        }
    }
}

/// Accepts on `listener` until `shutdown`.
pub(crate) async fn run(
    shared: Arc<Shared>,
    role: Role,
    listener: TcpListener,
    config: Arc<smtp::ServerConfig>,
    connections: Arc<Connections>,
    mut shutdown: watch::Receiver<bool>,
) {
    let implicit_tls = match (role, &config.tls) {
        (Role::Submissions, Some(tls)) => Some(TlsAcceptor::from(tls.clone())),
        _ => None,
    };
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = shutdown.changed() => return,
        };
        let (stream, client) = match accepted {
            Ok(pair) => pair,
            Err(e) => {
                warn!(error = %e, "accept failed");
                continue;
            }
        };
        let limit = shared.config.limits.connections_per_client;
        if !connections.enter(client.ip(), limit) {
            info!(client = %client, "too many connections from this client; refused with 421");
            let config = config.clone();
            tokio::spawn(async move {
                let _ = smtp::refuse(stream, &config, replies::TOO_MANY_CONNECTIONS).await;
            });
            continue;
        }
        let shared = shared.clone();
        let config = config.clone();
        let connections = connections.clone();
        let implicit_tls = implicit_tls.clone();
        tokio::spawn(async move {
            session(shared, role, stream, client, &config, implicit_tls).await;
            connections.leave(client.ip());
        });
    }
}

async fn session(
    shared: Arc<Shared>,
    role: Role,
    stream: tokio::net::TcpStream,
    client: SocketAddr,
    config: &smtp::ServerConfig,
    implicit_tls: Option<TlsAcceptor>,
) {
    let _ = stream.set_nodelay(true);
    let mut handler = Inbound::new(shared, role);
    let result = match implicit_tls {
        Some(acceptor) => match acceptor.accept(stream).await {
            Ok(tls) => smtp::serve_implicit_tls(tls, client, config, &mut handler).await,
            Err(e) => {
                debug!(client = %client, error = %e, "TLS handshake on the submissions port failed");
                return;
            }
        },
        None => smtp::serve(stream, client, config, &mut handler).await,
    };
    match result {
        Ok(end) => debug!(client = %client, end = ?end, "session ended"),
        Err(e) => debug!(client = %client, error = %e, "session ended with an error"),
    }
}
