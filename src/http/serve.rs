//! Accepting connections: HTTP/1.1 through hyper with a deadline for each request's headers
//! (hyper restarts it whenever a kept-alive connection goes idle, so idle connections are closed
//! after the same time), a cap on the connections one client address may hold open, the peer
//! address in every request's extensions, and a graceful shutdown that lets in-flight requests
//! finish within the grace period.

use std::{
    collections::HashMap,
    future::Future,
    io,
    net::IpAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{Router, extract::ConnectInfo};
use hyper::{body::Incoming, server::conn::http1};
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    server::graceful::GracefulShutdown,
    service::TowerToHyperService,
};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

/// How connections are accepted and let go.
#[derive(Debug, Clone)]
pub(crate) struct ServeSettings {
    /// Longest a connection may take to send a request's headers, counted from when it opens or goes idle.
    pub(crate) header_timeout: Duration,
    /// Most connections one client address may hold open at once; 0 means no limit.
    pub(crate) per_address: usize,
    /// After the shutdown signal, how long in-flight requests may take.
    pub(crate) grace: Duration,
}

/// Serves `app` on `listener` until `shutdown` resolves. Then no connection is accepted, idle ones
/// close, and requests in flight may finish; shortly before the grace period ends `hand_back`
/// is cancelled (a waiting run_model then answers with its request id), and when it ends the
/// server returns whatever is still open.
pub(crate) async fn serve(
    listener: TcpListener,
    app: Router,
    settings: ServeSettings,
    shutdown: impl Future<Output = ()>,
    hand_back: CancellationToken,
) -> io::Result<()> {
    let mut builder = http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(settings.header_timeout).keep_alive(true);
    let graceful = GracefulShutdown::new();
    let open = OpenConnections::default();
    tokio::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Some(held) = open.take(peer.ip(), settings.per_address) else {
            refuse(tcp);
            continue;
        };
        // Nagle plus delayed ACK adds ~40 ms to every streamed response.
        let _ = tcp.set_nodelay(true);
        let service = app.clone().map_request(move |mut request: http::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            request
        });
        let connection = graceful.watch(builder.serve_connection(TokioIo::new(tcp), TowerToHyperService::new(service)));
        tokio::spawn(async move {
            let _ = connection.await;
            drop(held);
        });
    }
    drop(listener);
    let grace = settings.grace;
    tracing::info!("shutting down: no new connections; requests in flight have {} s to finish", grace.as_secs());
    let drained = graceful.shutdown();
    tokio::pin!(drained);
    let margin = (grace / 4).min(Duration::from_secs(2));
    tokio::select! {
        () = &mut drained => return Ok(()),
        () = tokio::time::sleep(grace.saturating_sub(margin)) => hand_back.cancel(),
    }
    tokio::select! {
        () = &mut drained => {}
        () = tokio::time::sleep(margin) => {
            tracing::warn!("shutdown grace period of {} s is over; exiting with requests in flight", grace.as_secs());
        }
    }
    Ok(())
}

/// Tells a client over its limit why it was turned away, then closes the connection.
fn refuse(tcp: TcpStream) {
    const TOO_MANY: &[u8] = b"HTTP/1.1 429 Too Many Requests\r\ncontent-type: application/json\r\ncontent-length: 87\r\nconnection: close\r\n\r\n{\"error\":\"too_many_connections\",\"message\":\"this address has too many open connections\"}";
    crate::metrics::shed_connection();
    let _ = tcp.try_write(TOO_MANY);
}

/// Open connections per client address.
#[derive(Clone, Default)]
struct OpenConnections(Arc<Mutex<HashMap<IpAddr, usize>>>);

/// One open connection, counted until dropped.
struct Held {
    open: OpenConnections,
    ip: IpAddr,
}

impl OpenConnections {
    fn take(&self, ip: IpAddr, limit: usize) -> Option<Held> {
        let mut open = self.0.lock().expect("connection counts");
        let count = open.entry(ip).or_default();
        if limit > 0 && *count >= limit {
            return None;
        }
        *count += 1;
        Some(Held { open: self.clone(), ip })
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        let mut open = self.open.0.lock().expect("connection counts");
        if let Some(count) = open.get_mut(&self.ip) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::OpenConnections;

    #[test]
    fn each_address_holds_at_most_its_limit() {
        let open = OpenConnections::default();
        let a = "127.0.0.2".parse().unwrap();
        let b = "127.0.0.3".parse().unwrap();
        let held: Vec<_> = (0..3).map(|_| open.take(a, 3).unwrap()).collect();
        assert!(open.take(a, 3).is_none(), "the fourth from one address is refused");
        assert!(open.take(b, 3).is_some(), "another address is unaffected");
        drop(held);
        assert!(open.take(a, 3).is_some(), "closing frees the address's slots");
        assert!(open.0.lock().unwrap().len() <= 2);
        assert!(
            (0..100).all(|_| open.take(a, 0).is_some_and(|h| {
                std::mem::forget(h);
                true
            })),
            "0 means no limit"
        );
    }
}
