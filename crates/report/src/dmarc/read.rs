//! Reading one aggregate report, whatever it came in.

use std::io::{Cursor, Read};

use mail_auth::report::Report;

/// Largest report read, before and after decompression: reports of large
/// receivers stay far below it; a compression bomb stops at it.
pub const MAX_DMARC_REPORT_SIZE: usize = 20 * 1024 * 1024;

/// Why a file or mail is not a readable aggregate report.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DmarcReadError {
    /// Larger than [`MAX_DMARC_REPORT_SIZE`], compressed or not.
    #[error("larger than {} MiB", MAX_DMARC_REPORT_SIZE / (1024 * 1024))]
    TooLarge,
    /// The gzip or zip data cannot be decompressed.
    #[error("cannot decompress: {0}")]
    Compression(String),
    /// The XML is not a DMARC aggregate report.
    #[error("not a DMARC aggregate report: {0}")]
    NotAReport(String),
    /// A mail that carries no aggregate report.
    #[error("the message holds no DMARC aggregate report (XML, gzip or zip)")]
    NoReportInMail,
}

/// Reads a report: XML, gzip or zip data, or a report mail (RFC 5322)
/// carrying one as an attachment.
pub fn read(data: &[u8]) -> Result<Report, DmarcReadError> {
    if data.len() > MAX_DMARC_REPORT_SIZE {
        return Err(DmarcReadError::TooLarge);
    }
    let start = data
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(0);
    match &data[start..] {
        [0x1f, 0x8b, ..] => xml(&capped(flate2::read::GzDecoder::new(data))?),
        [b'P', b'K', 3, 4, ..] => xml(&unzip(data)?),
        [b'<', ..] => xml(data),
        _ => Report::parse_rfc5322(data, MAX_DMARC_REPORT_SIZE).map_err(|e| match e {
            mail_auth::report::Error::UncompressError(why) => DmarcReadError::Compression(why),
            mail_auth::report::Error::ReportParseError(why) => DmarcReadError::NotAReport(why),
            mail_auth::report::Error::ReportTooLarge => DmarcReadError::TooLarge,
            _ => DmarcReadError::NoReportInMail,
        }),
    }
}

fn xml(data: &[u8]) -> Result<Report, DmarcReadError> {
    Report::parse_xml(data).map_err(DmarcReadError::NotAReport)
}

/// The first `.xml` member of a zip archive (receivers send one).
fn unzip(data: &[u8]) -> Result<Vec<u8>, DmarcReadError> {
    let compression = |e: zip::result::ZipError| DmarcReadError::Compression(e.to_string());
    let mut archive = zip::ZipArchive::new(Cursor::new(data)).map_err(compression)?;
    for i in 0..archive.len() {
        let file = archive.by_index(i).map_err(compression)?;
        if file.name().to_ascii_lowercase().ends_with(".xml") {
            return capped(file);
        }
    }
    Err(DmarcReadError::Compression(
        "the archive holds no .xml file".into(),
    ))
}

/// Everything `reader` gives, up to [`MAX_DMARC_REPORT_SIZE`].
fn capped(reader: impl Read) -> Result<Vec<u8>, DmarcReadError> {
    let mut out = Vec::new();
    let limit = u64::try_from(MAX_DMARC_REPORT_SIZE).unwrap_or(u64::MAX) + 1;
    reader
        .take(limit)
        .read_to_end(&mut out)
        .map_err(|e| DmarcReadError::Compression(e.to_string()))?;
    if out.len() > MAX_DMARC_REPORT_SIZE {
        return Err(DmarcReadError::TooLarge);
    }
    Ok(out)
}
