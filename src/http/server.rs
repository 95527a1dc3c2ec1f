//! Serving a router on a listener with read timeouts (issue 12, defect 11).
//!
//! `axum::serve` has no timeouts: a client that sends half a request header, or promises a body
//! it never sends, held its connection forever. Here every connection gets hyper's header read
//! timeout (which also closes idle keep-alive connections) and every request body a deadline for
//! the whole body. Graceful shutdown: on the signal the listener closes, idle connections close,
//! requests in flight may finish (bounded).

use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};

use axum::{body::Bytes, extract::ConnectInfo, Router};
use hyper::body::{Body as HttpBody, Frame, Incoming, SizeHint};
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    server::graceful::GracefulShutdown,
    service::TowerToHyperService,
};
use tokio::{net::TcpListener, sync::watch};
use tower::ServiceExt;

/// The whole request head must arrive within this (Caddy uses the same `read_header 10s`).
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// The whole request body must arrive within this after the head (Caddy: `read_body 10s`).
/// Webhook bodies are at most 64 KiB, so this is generous for a real client.
pub const BODY_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long requests in flight may take to finish once shutdown starts.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Serves `router` on `listener` until `shutdown` changes (or its sender is gone). Handlers see
/// the peer address as `ConnectInfo<SocketAddr>`, as with `into_make_service_with_connect_info`.
pub async fn serve(listener: TcpListener, router: Router, mut shutdown: watch::Receiver<bool>) {
    let graceful = GracefulShutdown::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(HEADER_READ_TIMEOUT);
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = shutdown.changed() => break,
        };
        let (stream, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // Out of file descriptors and the like: do not spin; the clients retry.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let service = router.clone().map_request(move |req: axum::http::Request<Incoming>| {
            let mut req = req.map(|body| axum::body::Body::new(DeadlineBody::new(body, BODY_READ_TIMEOUT)));
            req.extensions_mut().insert(ConnectInfo(peer));
            req
        });
        let conn = builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            // Timeouts and clients that hang up are routine; nothing to report above debug.
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, %peer, "connection ended");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await.is_err() {
        tracing::warn!("connections still open after the shutdown grace period");
    }
}

/// A request body read past its deadline.
#[derive(Debug, thiserror::Error)]
#[error("request body not received within {0:?}")]
pub struct BodyTimeout(Duration);

/// Whether `e` (or an error it wraps) is a [`BodyTimeout`].
pub fn is_body_timeout(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if err.is::<BodyTimeout>() {
            return true;
        }
        cur = err.source();
    }
    false
}

/// A body that fails with [`BodyTimeout`] when it is not complete by its deadline, however the
/// bytes trickle in (a per-read timeout would let a client send one byte every few seconds).
pub struct DeadlineBody<B> {
    inner: B,
    limit: Duration,
    deadline: Pin<Box<tokio::time::Sleep>>,
}

impl<B> DeadlineBody<B> {
    /// The deadline starts now (when the request head has been read).
    pub fn new(inner: B, limit: Duration) -> Self {
        Self { inner, limit, deadline: Box::pin(tokio::time::sleep(limit)) }
    }
}

impl<B> HttpBody for DeadlineBody<B>
where
    B: HttpBody<Data = Bytes> + Unpin,
    B::Error: Into<axum::BoxError>,
{
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        // Data already here is delivered even at the deadline.
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        match this.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(BodyTimeout(this.limit))))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use super::*;
    use http_body_util::BodyExt;

    #[tokio::test]
    async fn a_stalled_body_fails_at_the_deadline_with_a_body_timeout() {
        let (mut tx, rx) = http_body_util_channel();
        let body = DeadlineBody::new(rx, Duration::from_millis(200));
        tx.push(Bytes::from_static(b"abc"));
        let err = axum::body::to_bytes(axum::body::Body::new(body), 1024).await.unwrap_err();
        assert!(is_body_timeout(&err), "{err}");
        drop(tx);
    }

    #[tokio::test]
    async fn a_complete_body_is_passed_through() {
        let body = DeadlineBody::new(http_body_util::Full::new(Bytes::from_static(b"hello")), Duration::from_secs(10));
        assert_eq!(body.collect().await.unwrap().to_bytes(), Bytes::from_static(b"hello"));
    }

    #[test]
    fn other_errors_are_not_timeouts() {
        let e = axum::Error::new(std::io::Error::other("reset"));
        assert!(!is_body_timeout(&e));
        let e = axum::Error::new(axum::Error::new(BodyTimeout(Duration::from_secs(1))));
        assert!(is_body_timeout(&e));
    }

    /// A body that yields what was pushed and then waits forever (a client that stopped sending).
    struct Stalled(std::sync::Arc<std::sync::Mutex<Vec<Bytes>>>);
    struct Pusher(std::sync::Arc<std::sync::Mutex<Vec<Bytes>>>);
    impl Pusher {
        fn push(&mut self, b: Bytes) {
            self.0.lock().unwrap().push(b);
        }
    }
    fn http_body_util_channel() -> (Pusher, Stalled) {
        let q = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        (Pusher(q.clone()), Stalled(q))
    }
    impl HttpBody for Stalled {
        type Data = Bytes;
        type Error = Infallible;
        fn poll_frame(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
            match self.0.lock().unwrap().pop() {
                Some(b) => Poll::Ready(Some(Ok(Frame::data(b)))),
                None => Poll::Pending,
            }
        }
    }
}
