//! The byte stream under a session: plaintext or TLS, read a line at a time.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};

/// A connection before or after STARTTLS.
pub(crate) enum Stream<S> {
    /// Before STARTTLS.
    Plain(S),
    /// After STARTTLS, client side.
    ClientTls(Box<tokio_rustls::client::TlsStream<S>>),
    /// After STARTTLS, server side.
    ServerTls(Box<tokio_rustls::server::TlsStream<S>>),
    /// The plaintext stream was handed to a TLS handshake that failed; nothing
    /// is left to read or write.
    Gone,
}

fn gone() -> io::Error {
    io::Error::new(
        io::ErrorKind::NotConnected,
        "connection closed after a failed TLS handshake",
    )
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for Stream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::ClientTls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
            Stream::ServerTls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
            Stream::Gone => Poll::Ready(Err(gone())),
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for Stream<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::ClientTls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
            Stream::ServerTls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
            Stream::Gone => Poll::Ready(Err(gone())),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::ClientTls(s) => Pin::new(s.as_mut()).poll_flush(cx),
            Stream::ServerTls(s) => Pin::new(s.as_mut()).poll_flush(cx),
            Stream::Gone => Poll::Ready(Err(gone())),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::ClientTls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
            Stream::ServerTls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
            Stream::Gone => Poll::Ready(Ok(())),
        }
    }
}

/// What [`Wire::read_line`] found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Line {
    /// A line, its LF (and CR, if any) included.
    Complete(Vec<u8>),
    /// A line longer than the limit; it has been read and dropped up to its LF.
    TooLong,
    /// The peer closed the connection (any unterminated partial line is dropped).
    Eof,
}

const CHUNK: usize = 8 * 1024;

/// Why [`Wire::read_chunk`] stopped.
#[derive(Debug)]
pub(crate) enum ChunkError {
    /// No octet arrived within the idle limit.
    Idle,
    /// Reading failed.
    Io(io::Error),
}

/// A stream with a read buffer, so lines can be taken one at a time while
/// pipelined input stays buffered.
pub(crate) struct Wire<S> {
    pub(crate) stream: Stream<S>,
    buf: Vec<u8>,
    /// Replies queued but not yet written (server side, RFC 2920 §3.2).
    out: Vec<u8>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Wire<S> {
    pub(crate) fn new(stream: S) -> Wire<S> {
        Wire {
            stream: Stream::Plain(stream),
            buf: Vec::new(),
            out: Vec::new(),
        }
    }

    /// Whether input is waiting in the buffer (read but not yet consumed).
    pub(crate) fn has_buffered(&self) -> bool {
        !self.buf.is_empty()
    }

    /// Whether the peer has sent anything not yet consumed, without
    /// waiting: input already buffered, or bytes ready on the stream now
    /// (they are kept in the buffer). The end of the stream counts as
    /// nothing; the next read reports it.
    pub(crate) async fn input_waiting(&mut self) -> io::Result<bool> {
        if !self.buf.is_empty() {
            return Ok(true);
        }
        self.buf.reserve(CHUNK);
        // `read_buf` is cancel-safe: dropping it unfinished loses nothing.
        let mut read = std::pin::pin!(self.stream.read_buf(&mut self.buf));
        let polled = std::future::poll_fn(|cx| Poll::Ready(read.as_mut().poll(cx))).await;
        match polled {
            Poll::Pending => Ok(false),
            Poll::Ready(read) => Ok(read? > 0),
        }
    }

    /// Drops buffered input (the server side does this at STARTTLS).
    pub(crate) fn discard_buffered(&mut self) {
        self.buf.clear();
    }

    /// Reads one line ending in LF, of at most `limit` bytes with its line end.
    pub(crate) async fn read_line(&mut self, limit: usize) -> io::Result<Line> {
        let mut discarding = false;
        let mut scanned = 0;
        loop {
            if let Some(pos) = self.buf[scanned..].iter().position(|&b| b == b'\n') {
                let end = scanned + pos + 1;
                let line: Vec<u8> = self.buf.drain(..end).collect();
                if discarding || line.len() > limit {
                    return Ok(Line::TooLong);
                }
                return Ok(Line::Complete(line));
            }
            if self.buf.len() > limit {
                // Keep reading to the end of the line without keeping it.
                discarding = true;
                self.buf.clear();
            }
            scanned = self.buf.len();
            // `read_buf` appends and is cancel-safe: a timeout around this
            // call loses no data and leaves no filler in the buffer.
            self.buf.reserve(CHUNK);
            let read = self.stream.read_buf(&mut self.buf).await?;
            if read == 0 {
                self.buf.clear();
                return Ok(Line::Eof);
            }
        }
    }

    /// Reads exactly `size` octets (a BDAT chunk, RFC 3030 §2), appending
    /// them to `keep` when given and dropping them otherwise, waiting at most
    /// `idle` for each read. `Ok(false)` when the peer closed the connection
    /// first.
    pub(crate) async fn read_chunk(
        &mut self,
        mut size: u64,
        mut keep: Option<&mut Vec<u8>>,
        idle: Duration,
    ) -> Result<bool, ChunkError> {
        loop {
            let take = usize::try_from(size).map_or(self.buf.len(), |s| s.min(self.buf.len()));
            if let Some(keep) = keep.as_deref_mut() {
                keep.extend_from_slice(&self.buf[..take]);
            }
            self.buf.drain(..take);
            size -= take as u64;
            if size == 0 {
                return Ok(true);
            }
            self.buf.reserve(CHUNK);
            let read = tokio::time::timeout(idle, self.stream.read_buf(&mut self.buf))
                .await
                .map_err(|_| ChunkError::Idle)?
                .map_err(ChunkError::Io)?;
            if read == 0 {
                self.buf.clear();
                return Ok(false);
            }
        }
    }

    /// Queues `bytes` to be written by the next [`Wire::flush`].
    pub(crate) fn queue(&mut self, bytes: &[u8]) {
        self.out.extend_from_slice(bytes);
    }

    /// Writes what was queued.
    pub(crate) async fn flush(&mut self) -> io::Result<()> {
        if self.out.is_empty() {
            return Ok(());
        }
        self.stream.write_all(&self.out).await?;
        self.out.clear();
        self.stream.flush().await
    }

    /// Writes all of `bytes` and flushes.
    pub(crate) async fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes).await?;
        self.stream.flush().await
    }

    /// Takes the plaintext stream out for a TLS handshake, leaving
    /// [`Stream::Gone`]; `None` when the stream is not plaintext.
    pub(crate) fn take_plain(&mut self) -> Option<S> {
        match std::mem::replace(&mut self.stream, Stream::Gone) {
            Stream::Plain(s) => Some(s),
            other => {
                self.stream = other;
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn input_waiting_sees_unread_bytes_without_blocking() {
        let (mut a, b) = tokio::io::duplex(64);
        let mut wire = Wire::new(b);
        assert!(!wire.input_waiting().await.unwrap());
        a.write_all(b"250 early\r\n").await.unwrap();
        assert!(wire.input_waiting().await.unwrap());
        assert_eq!(
            wire.read_line(64).await.unwrap(),
            Line::Complete(b"250 early\r\n".to_vec())
        );
        drop(a);
        assert!(!wire.input_waiting().await.unwrap());
        assert_eq!(wire.read_line(64).await.unwrap(), Line::Eof);
    }

    #[tokio::test]
    async fn reads_lines_and_reports_long_ones() {
        let (mut a, b) = tokio::io::duplex(64);
        let writer = tokio::spawn(async move {
            a.write_all(b"short\r\n").await.unwrap();
            a.write_all(&[b'x'; 100]).await.unwrap();
            a.write_all(b"\r\nnext\nrest").await.unwrap();
        });
        let mut wire = Wire::new(b);
        assert_eq!(
            wire.read_line(16).await.unwrap(),
            Line::Complete(b"short\r\n".to_vec())
        );
        assert_eq!(wire.read_line(16).await.unwrap(), Line::TooLong);
        assert_eq!(
            wire.read_line(16).await.unwrap(),
            Line::Complete(b"next\n".to_vec())
        );
        writer.await.unwrap();
        assert_eq!(wire.read_line(16).await.unwrap(), Line::Eof);
    }

    const IDLE: Duration = Duration::from_secs(10);

    #[tokio::test]
    async fn reads_chunks_across_the_buffer() {
        let (mut a, b) = tokio::io::duplex(64);
        let writer = tokio::spawn(async move {
            a.write_all(b"BDAT 5\r\nhel").await.unwrap();
            a.write_all(b"loNEXT\r\n0123456789").await.unwrap();
        });
        let mut wire = Wire::new(b);
        wire.read_line(64).await.unwrap();
        let mut kept = Vec::new();
        assert!(wire.read_chunk(5, Some(&mut kept), IDLE).await.unwrap());
        assert_eq!(kept, b"hello");
        assert_eq!(
            wire.read_line(64).await.unwrap(),
            Line::Complete(b"NEXT\r\n".to_vec())
        );
        assert!(wire.read_chunk(4, None, IDLE).await.unwrap());
        writer.await.unwrap();
        assert!(!wire.read_chunk(7, None, IDLE).await.unwrap());
    }
}
