//! The compressed form of a report (RFC 8460 §5.1: `.json.gz`, the
//! `application/tlsrpt+gzip` media type of §5.3 and §6): gzip (RFC 1952),
//! and reading it back within a bound, so a small compression bomb cannot
//! fill memory.

use std::io::{Read, Write};

use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;

use super::model::Report;

/// The largest report JSON we read, compressed or not.
pub const MAX_REPORT_SIZE: usize = 20 * 1024 * 1024;

/// Why a report could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// The gzip stream is corrupt.
    #[error("not a valid gzip stream: {0}")]
    Gzip(std::io::Error),
    /// The report is larger than [`MAX_REPORT_SIZE`] once uncompressed.
    #[error("the report is larger than {MAX_REPORT_SIZE} octets")]
    TooLarge,
    /// The JSON is not a TLS report.
    #[error("not a TLS report: {0}")]
    NotAReport(serde_json::Error),
    /// A mail message holds no TLS report.
    #[error("the message holds no TLS report (application/tlsrpt+gzip or +json)")]
    NoReportInMessage,
}

impl ReadError {
    /// Whether trying again could help: never, the input is what it is.
    pub fn is_temporary(&self) -> bool {
        false
    }
}

/// The report's JSON, gzip-compressed.
pub fn compress(report: &Report) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    // Writing into a Vec cannot fail.
    encoder
        .write_all(report.to_json().as_bytes())
        .expect("compressing into memory does not fail");
    encoder
        .finish()
        .expect("compressing into memory does not fail")
}

/// Reads a report from JSON or gzip-compressed JSON (told apart by the
/// gzip magic number), within [`MAX_REPORT_SIZE`].
pub fn read(data: &[u8]) -> Result<Report, ReadError> {
    let json = if data.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        GzDecoder::new(data)
            .take(MAX_REPORT_SIZE as u64 + 1)
            .read_to_end(&mut out)
            .map_err(ReadError::Gzip)?;
        out
    } else {
        data.to_vec()
    };
    if json.len() > MAX_REPORT_SIZE {
        return Err(ReadError::TooLarge);
    }
    serde_json::from_slice(&json).map_err(ReadError::NotAReport)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_compression_bomb_is_refused() {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
        let zeros = vec![b' '; 1024 * 1024];
        for _ in 0..=(MAX_REPORT_SIZE / zeros.len()) {
            encoder.write_all(&zeros).unwrap();
        }
        let bomb = encoder.finish().unwrap();
        assert!(bomb.len() < 100_000, "{}", bomb.len());
        assert!(matches!(read(&bomb), Err(ReadError::TooLarge)));
    }

    #[test]
    fn garbage_is_not_a_report() {
        assert!(matches!(read(b"hello"), Err(ReadError::NotAReport(_))));
        assert!(matches!(read(&[0x1f, 0x8b, 0, 0]), Err(ReadError::Gzip(_))));
    }
}
