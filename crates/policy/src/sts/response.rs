//! Checks on the HTTP response that carries a policy (RFC 8461 §3.2, §3.3),
//! kept apart from the network so each can be tested alone.

use hyper::StatusCode;
use hyper::header::HeaderValue;

use super::error::FetchError;

/// The largest policy body accepted: 64 KiB (RFC 8461 §3.3: senders may
/// limit the size of policies; 64 KiB is far beyond any real policy).
pub const MAX_POLICY_SIZE: usize = 64 * 1024;

/// Only `200 OK` is a policy; redirects are not followed (RFC 8461 §3.3).
pub fn check_status(status: StatusCode, location: Option<&HeaderValue>) -> Result<(), FetchError> {
    if status == StatusCode::OK {
        Ok(())
    } else if status.is_redirection() {
        Err(FetchError::Redirect {
            status: status.as_u16(),
            location: location
                .and_then(|v| v.to_str().ok())
                .map(|l| l.chars().take(200).collect()),
        })
    } else {
        Err(FetchError::Status {
            status: status.as_u16(),
        })
    }
}

/// The media type must be `text/plain`; parameters such as `charset` are
/// ignored (RFC 8461 §3.2). Type and subtype compare case-insensitively
/// (RFC 9110 §8.3.1). A missing header is refused.
pub fn check_content_type(value: Option<&HeaderValue>) -> Result<(), FetchError> {
    let found = || {
        value.map(|v| {
            String::from_utf8_lossy(v.as_bytes())
                .chars()
                .take(100)
                .collect()
        })
    };
    let media_type = value
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or_default().trim());
    match media_type {
        Some(media) if media.eq_ignore_ascii_case("text/plain") => Ok(()),
        _ => Err(FetchError::ContentType { found: found() }),
    }
}

/// Refuses a body whose `Content-Length` exceeds [`MAX_POLICY_SIZE`]
/// before reading it. A missing length is fine (chunked bodies); an
/// unreadable one has already been refused by the HTTP parser.
pub fn check_content_length(value: Option<&HeaderValue>) -> Result<(), FetchError> {
    let announced = value
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    match announced {
        Some(length) if length > MAX_POLICY_SIZE as u64 => Err(FetchError::TooLarge {
            limit: MAX_POLICY_SIZE,
            announced: Some(length),
        }),
        _ => Ok(()),
    }
}

/// Collects a body, refusing it as soon as it grows past the limit.
#[derive(Debug)]
pub struct BodyLimit {
    body: Vec<u8>,
    limit: usize,
}

impl BodyLimit {
    /// An empty body that may grow to `limit` bytes.
    pub fn new(limit: usize) -> Self {
        Self {
            body: Vec::new(),
            limit,
        }
    }

    /// Adds a chunk.
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), FetchError> {
        if chunk.len() > self.limit - self.body.len() {
            return Err(FetchError::TooLarge {
                limit: self.limit,
                announced: None,
            });
        }
        self.body.extend_from_slice(chunk);
        Ok(())
    }

    /// The body collected.
    pub fn into_inner(self) -> Vec<u8> {
        self.body
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(text: &str) -> HeaderValue {
        HeaderValue::from_str(text).unwrap()
    }

    #[test]
    fn only_200_passes() {
        assert!(check_status(StatusCode::OK, None).is_ok());
        for code in [201, 204, 206, 400, 403, 404, 500, 503] {
            let status = StatusCode::from_u16(code).unwrap();
            assert!(
                matches!(check_status(status, None), Err(FetchError::Status { status }) if status == code),
                "{code}"
            );
        }
    }

    #[test]
    fn redirects_are_refused_with_their_target() {
        for code in [301, 302, 303, 307, 308] {
            let status = StatusCode::from_u16(code).unwrap();
            let location = header("https://evil.example/policy");
            match check_status(status, Some(&location)) {
                Err(FetchError::Redirect { status, location }) => {
                    assert_eq!(status, code);
                    assert_eq!(location.as_deref(), Some("https://evil.example/policy"));
                }
                other => panic!("{code}: {other:?}"),
            }
        }
    }

    #[test]
    fn text_plain_with_parameters_passes() {
        for ok in [
            "text/plain",
            "text/plain; charset=utf-8",
            "TEXT/Plain;charset=\"us-ascii\"",
            " text/plain ",
        ] {
            assert!(check_content_type(Some(&header(ok))).is_ok(), "{ok:?}");
        }
    }

    #[test]
    fn other_media_types_are_refused() {
        for bad in [
            "text/html",
            "text/html; charset=utf-8",
            "application/octet-stream",
            "text/plain2",
            "text/plainx; a=b",
            "text",
            "",
        ] {
            assert!(
                matches!(check_content_type(Some(&header(bad))), Err(FetchError::ContentType { found: Some(f) }) if f == bad),
                "{bad:?}"
            );
        }
        assert!(matches!(
            check_content_type(None),
            Err(FetchError::ContentType { found: None })
        ));
    }

    #[test]
    fn content_length_over_64k_is_refused_before_reading() {
        assert!(check_content_length(None).is_ok());
        assert!(check_content_length(Some(&header("65536"))).is_ok());
        assert!(matches!(
            check_content_length(Some(&header("65537"))),
            Err(FetchError::TooLarge {
                announced: Some(65537),
                ..
            })
        ));
        assert!(matches!(
            check_content_length(Some(&header("99999999999999999"))),
            Err(FetchError::TooLarge { .. })
        ));
    }

    #[test]
    fn body_over_64k_is_refused_while_reading() {
        let mut body = BodyLimit::new(MAX_POLICY_SIZE);
        body.push(&[b'a'; 60 * 1024]).unwrap();
        body.push(&[b'a'; 4 * 1024]).unwrap();
        assert_eq!(body.body.len(), MAX_POLICY_SIZE);
        assert!(matches!(
            body.push(b"a"),
            Err(FetchError::TooLarge {
                announced: None,
                ..
            })
        ));
        let mut small = BodyLimit::new(10);
        small.push(b"12345").unwrap();
        assert!(small.push(b"123456").is_err());
        small.push(b"").unwrap();
        assert_eq!(small.into_inner(), b"12345");
    }
}
