//! A stream whose reads are rationed: what [`Behaviour::reads_slowly`]
//! serves the session on.
//!
//! [`Behaviour::reads_slowly`]: super::Behaviour::reads_slowly

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// Reads at most `octets` bytes per `every`; writes pass through.
pub(crate) struct Trickle<S> {
    inner: S,
    octets: usize,
    every: Duration,
    pause: Pin<Box<Sleep>>,
}

impl<S> Trickle<S> {
    pub(crate) fn new(inner: S, octets: usize, every: Duration) -> Self {
        Self {
            inner,
            octets,
            every,
            pause: Box::pin(tokio::time::sleep(Duration::ZERO)),
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Trickle<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.pause.as_mut().poll(cx));
        let limit = buf.remaining().min(this.octets);
        let mut part = ReadBuf::new(buf.initialize_unfilled_to(limit));
        ready!(Pin::new(&mut this.inner).poll_read(cx, &mut part))?;
        let read = part.filled().len();
        buf.advance(read);
        if read > 0 {
            this.pause.as_mut().reset(Instant::now() + this.every);
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Trickle<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}
